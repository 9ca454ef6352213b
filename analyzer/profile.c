/*
 * profile.c - data/profiles.ini: client profiles as data (format in
 * docs/profiles.md). The file is read in two passes: first every section
 * and its key/value lines are kept raw, then each profile is built as
 * [defaults] + its inherit chain + its own keys, and each variant.V.KEY
 * set as one more profile NAME-V. Keeping lines raw until the end lets
 * "inherit" name a profile further down the file and lets every error
 * point at the line that caused it.
 */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv {
	char *key, *val;
	unsigned line;
};

struct sec {
	char name[SD_PROF_NAME];
	int defaults;
	unsigned line;
	struct kv *kv; size_t nkv, cap;
};

struct ctx {
	struct sec *s; size_t ns;
	const char *origin;
	char *err; size_t errlen;
};

static int fail(const struct ctx *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const struct ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char msg[384];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%u: %s", c->origin, line, msg);
	return -1;
}

static void cpy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s)) /* NOLINT(clang-analyzer-core.uninitialized.ArraySubscript): clang 14 does not see fread fill the profiles buffer */
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Cuts a ';' comment, but not one inside a quoted dialog text. */
static void strip_comment(char *s)
{
	int q = 0;

	for (; *s; s++) {
		if (*s == '"')
			q = !q;
		else if (*s == ';' && !q) {
			*s = '\0';
			return;
		}
	}
}

static void secs_free(struct sec *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < s[i].nkv; j++) {
			free(s[i].kv[j].key);
			free(s[i].kv[j].val);
		}
		free(s[i].kv);
	}
	free(s);
}

static int sec_add_kv(struct sec *s, const char *k, const char *v, unsigned line)
{
	if (s->nkv == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct kv *nk = realloc(s->kv, nc * sizeof *nk);

		if (!nk)
			return -1;
		s->kv = nk;
		s->cap = nc;
	}
	s->kv[s->nkv].key = strdup(k);
	s->kv[s->nkv].val = strdup(v);
	s->kv[s->nkv].line = line;
	if (!s->kv[s->nkv].key || !s->kv[s->nkv].val) {
		free(s->kv[s->nkv].key);
		free(s->kv[s->nkv].val);
		return -1;
	}
	s->nkv++;
	return 0;
}

/* ------------------------------------------------------------ value parsers */

/* Splits a list on commas outside quotes; returns the number of items. */
static size_t split_list(char *v, char **items, size_t max)
{
	size_t n = 0;
	int q = 0;
	char *start = v;

	if (!*trim(v))
		return 0;
	for (char *p = v;; p++) {
		if (*p == '"')
			q = !q;
		if ((*p == ',' && !q) || !*p) {
			int end = !*p;

			*p = '\0';
			if (n < max)
				items[n++] = trim(start);
			if (end)
				break;
			start = p + 1;
		}
	}
	return n;
}

static int is_unknown(const char *v)
{
	return strcmp(v, "unknown") == 0;
}

static int parse_tri(const struct ctx *c, const struct kv *kv, enum sd_tri *out)
{
	if (!strcmp(kv->val, "yes"))
		*out = SD_TRI_YES;
	else if (!strcmp(kv->val, "no"))
		*out = SD_TRI_NO;
	else if (is_unknown(kv->val))
		*out = SD_TRI_UNKNOWN;
	else
		return fail(c, kv->line, "%s: expected yes, no or unknown, got \"%s\"", kv->key, kv->val);
	return 0;
}

static int parse_bool(const struct ctx *c, const struct kv *kv, uint8_t *out)
{
	if (!strcmp(kv->val, "yes"))
		*out = 1;
	else if (!strcmp(kv->val, "no"))
		*out = 0;
	else
		return fail(c, kv->line, "%s: expected yes or no, got \"%s\"", kv->key, kv->val);
	return 0;
}

static int parse_level(const struct ctx *c, const struct kv *kv, enum sd_level *out)
{
	static const struct {
		const char *s;
		enum sd_level l;
	} t[] = { { "ok", SD_LVL_OK },       { "ignore", SD_LVL_OK },     { "info", SD_LVL_INFO },
		  { "warn", SD_LVL_WARN },   { "error", SD_LVL_ERROR },  { "violation", SD_LVL_ERROR },
		  { "unknown", SD_LVL_UNKNOWN } };

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(kv->val, t[i].s)) {
			*out = t[i].l;
			return 0;
		}
	return fail(c, kv->line, "%s: expected ok, info, warn, error or unknown, got \"%s\"", kv->key,
		    kv->val);
}

/* "name[:tls|:tcp|:PORT|PORT...][?]" */
static int parse_steps(const struct ctx *c, const struct kv *kv, int srv, struct sd_pstep *out,
		       size_t *nout)
{
	char buf[SD_PROF_LINE];
	char *items[SD_PROF_STEPS + 1];
	size_t n;

	*nout = 0;
	if (is_unknown(kv->val))
		return 0;
	cpy(buf, sizeof buf, kv->val);
	n = split_list(buf, items, SD_PROF_STEPS + 1);
	if (n > SD_PROF_STEPS)
		return fail(c, kv->line, "%s: more than %d steps", kv->key, SD_PROF_STEPS);
	for (size_t i = 0; i < n; i++) {
		struct sd_pstep *st = &out[i];
		char *it = items[i], *colon;
		size_t len = strlen(it);

		memset(st, 0, sizeof *st);
		st->tls = 1;
		if (len && it[len - 1] == '?') {
			st->optional = 1;
			it[--len] = '\0';
		}
		colon = strchr(it, ':');
		if (colon)
			*colon++ = '\0';
		it = trim(it);
		if (!*it)
			return fail(c, kv->line, "%s: empty step name", kv->key);
		if (strlen(it) >= sizeof st->name)
			return fail(c, kv->line, "%s: step name too long", kv->key);
		for (const char *p = it; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
				return fail(c, kv->line, "%s: bad character '%c' in step \"%s\"", kv->key, *p, it);
		cpy(st->name, sizeof st->name, it);
		if (!colon)
			continue;
		colon = trim(colon);
		if (srv) {
			if (!strcmp(colon, "tls"))
				st->tls = 1;
			else if (!strcmp(colon, "tcp"))
				st->tls = 0;
			else
				return fail(c, kv->line, "%s: transport of \"%s\" must be tls or tcp", kv->key,
					    it);
			continue;
		}
		for (char *p = colon; *p;) {
			char *end;
			long port;

			errno = 0;
			port = strtol(p, &end, 10);
			if (end == p || errno || port < 1 || port > 65535)
				return fail(c, kv->line, "%s: bad port in \"%s\"", kv->key, it);
			if (st->nports == SD_PROF_PORTS)
				return fail(c, kv->line, "%s: more than %d ports for \"%s\"", kv->key,
					    SD_PROF_PORTS, it);
			st->ports[st->nports++] = (uint16_t)port;
			end = trim(end);
			if (*end == '|')
				end++;
			else if (*end)
				return fail(c, kv->line, "%s: bad port list for \"%s\"", kv->key, it);
			p = trim(end);
		}
	}
	*nout = n;
	return 0;
}

/* KEY:"text" or KEY:text; copies the unquoted text. */
static int unquote(const struct ctx *c, const struct kv *kv, const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);

	if (n && in[0] == '"') {
		if (n < 2 || in[n - 1] != '"')
			return fail(c, kv->line, "%s: unterminated quoted text", kv->key);
		in++;
		n -= 2;
	}
	if (n >= cap)
		return fail(c, kv->line, "%s: text longer than %zu characters", kv->key, cap - 1);
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}

static int parse_events(const struct ctx *c, const struct kv *kv, struct sd_profile *p)
{
	char buf[SD_PROF_LINE];
	char *items[16];
	size_t n;

	p->ev_no_srv = p->ev_name_unresolved = p->ev_cert_name = 0;
	if (is_unknown(kv->val)) {
		p->events_known = SD_TRI_UNKNOWN;
		return 0;
	}
	cpy(buf, sizeof buf, kv->val);
	n = split_list(buf, items, 16);
	p->events_known = n ? SD_TRI_YES : SD_TRI_NO;
	for (size_t i = 0; i < n && i < 16; i++) {
		char *colon = strchr(items[i], ':'), *end;
		long id;

		if (!colon)
			return fail(c, kv->line, "events: expected KIND:ID, got \"%s\"", items[i]);
		*colon++ = '\0';
		id = strtol(colon, &end, 10);
		if (end == colon || *trim(end) || id < 1 || id > 65535)
			return fail(c, kv->line, "events: bad event ID \"%s\"", colon);
		if (!strcmp(trim(items[i]), "no_srv"))
			p->ev_no_srv = (int)id;
		else if (!strcmp(trim(items[i]), "name_unresolved"))
			p->ev_name_unresolved = (int)id;
		else if (!strcmp(trim(items[i]), "cert_name"))
			p->ev_cert_name = (int)id;
		/* other kinds: kept harmless, the rules raise no such event */
	}
	return 0;
}

/* Only the dialogs listed are replaced; the others stay inherited. */
static int parse_dialogs(const struct ctx *c, const struct kv *kv, struct sd_profile *p)
{
	char buf[SD_PROF_LINE];
	char *items[16];
	size_t n;

	if (is_unknown(kv->val)) {
		p->dlg_no_server[0] = p->dlg_cert[0] = p->dlg_trust[0] = '\0';
		return 0;
	}
	cpy(buf, sizeof buf, kv->val);
	n = split_list(buf, items, 16);
	for (size_t i = 0; i < n && i < 16; i++) {
		char *colon = strchr(items[i], ':');
		char *dst = NULL;
		char *k;

		if (!colon)
			return fail(c, kv->line, "dialogs: expected KIND:\"text\", got \"%s\"", items[i]);
		*colon++ = '\0';
		k = trim(items[i]);
		if (!strcmp(k, "no_server"))
			dst = p->dlg_no_server;
		else if (!strcmp(k, "cert"))
			dst = p->dlg_cert;
		else if (!strcmp(k, "trust"))
			dst = p->dlg_trust;
		if (dst) {
			if (unquote(c, kv, trim(colon), dst, SD_ATT_TEXT) < 0)
				return -1;
		} else {
			char scratch[SD_ATT_TEXT];

			if (unquote(c, kv, trim(colon), scratch, sizeof scratch) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_names(const struct ctx *c, const struct kv *kv, char (*list)[SD_PROF_NAME * 2],
		       size_t *n, int append)
{
	char buf[SD_PROF_LINE];
	char *items[SD_PROF_LIST + 1];
	size_t m;

	if (!append)
		*n = 0;
	if (is_unknown(kv->val))
		return 0;
	cpy(buf, sizeof buf, kv->val);
	m = split_list(buf, items, SD_PROF_LIST + 1);
	for (size_t i = 0; i < m; i++) {
		size_t j;

		for (j = 0; j < *n; j++)
			if (!strcmp(list[j], items[i]))
				break;
		if (j < *n)
			continue;
		if (*n == SD_PROF_LIST)
			return fail(c, kv->line, "%s: more than %d names", kv->key, SD_PROF_LIST);
		cpy(list[(*n)++], SD_PROF_NAME * 2, items[i]);
	}
	return 0;
}

/* Applies one key. Unknown keys are accepted and ignored: the file carries
 * facts (expect.*, cert_cdp, order) that later rules may use. */
static int apply(const struct ctx *c, struct sd_profile *p, const struct kv *kv)
{
	const char *k = kv->key, *v = kv->val;

	if (!strcmp(k, "label"))
		return unquote(c, kv, v, p->label, sizeof p->label);
	if (!strcmp(k, "ad"))
		return parse_steps(c, kv, 0, p->ad, &p->nad);
	if (!strcmp(k, "srv"))
		return parse_steps(c, kv, 1, p->srv, &p->nsrv);
	if (!strcmp(k, "a"))
		return parse_steps(c, kv, 0, p->a, &p->na);
	if (!strcmp(k, "supported"))
		return parse_bool(c, kv, &p->supported);
	if (!strcmp(k, "auto"))
		return parse_bool(c, kv, &p->auto_ok);
	if (!strcmp(k, "tag")) {
		p->conflict = strstr(v, "conflict") != NULL;
		return 0;
	}
	if (!strcmp(k, "a_only_if")) {
		if (!strcmp(v, "no_srv"))
			p->a_only_if_no_srv = 1;
		else if (!strcmp(v, "no_srv_or_srv_path_failed") || is_unknown(v))
			p->a_only_if_no_srv = 0;
		else
			return fail(c, kv->line, "a_only_if: expected no_srv or no_srv_or_srv_path_failed");
		return 0;
	}
	if (!strcmp(k, "a_stop")) {
		if (!strcmp(v, "first_name_resolving"))
			p->a_stop_first_resolving = 1;
		else if (!strcmp(v, "first_name_working") || is_unknown(v))
			p->a_stop_first_resolving = 0;
		else
			return fail(c, kv->line, "a_stop: expected first_name_resolving or first_name_working");
		return 0;
	}
	if (!strcmp(k, "srv_stop") || !strcmp(k, "ad_stop")) {
		if (strcmp(v, "first_srv_with_records") && strcmp(v, "resolves_and_responds") &&
		    !is_unknown(v))
			return fail(c, kv->line, "%s: unknown stop rule \"%s\"", k, v);
		return 0;
	}
	if (!strcmp(k, "continue_after_connect_fail"))
		return parse_tri(c, kv, &p->continue_after_connect_fail);
	if (!strcmp(k, "ip_failover"))
		return parse_tri(c, kv, &p->ip_failover);
	if (!strcmp(k, "trust_prompt"))
		return parse_tri(c, kv, &p->trust_prompt);
	if (!strcmp(k, "sni"))
		return parse_tri(c, kv, &p->sni);
	if (!strcmp(k, "strict_naming")) {
		if (sd_strict_parse(v, &p->strict_naming))
			return fail(c, kv->line, "strict_naming: expected domain, narrow or off, got \"%s\"", v);
		return 0;
	}
	if (!strcmp(k, "out_of_domain_target")) {
		if (!strcmp(v, "ignore_record"))
			p->out_of_domain = SD_LVL_ERROR;
		else if (!strcmp(v, "trust_prompt"))
			p->out_of_domain = SD_LVL_WARN;
		else if (!strcmp(v, "accept"))
			p->out_of_domain = SD_LVL_OK;
		else if (is_unknown(v))
			p->out_of_domain = SD_LVL_UNKNOWN;
		else
			return fail(c, kv->line,
				    "out_of_domain_target: expected ignore_record, trust_prompt, accept or unknown");
		return 0;
	}
	if (!strcmp(k, "cert_name")) {
		if (!strcmp(v, "cn_or_san"))
			p->cert_name = SD_CN_CN_OR_SAN;
		else if (!strcmp(v, "rfc2818"))
			p->cert_name = SD_CN_RFC2818;
		else if (!strcmp(v, "san_only"))
			p->cert_name = SD_CN_SAN_ONLY;
		else if (is_unknown(v))
			p->cert_name = SD_CN_UNKNOWN;
		else
			return fail(c, kv->line, "cert_name: expected cn_or_san, rfc2818, san_only or unknown");
		return 0;
	}
	if (!strcmp(k, "cert_wildcard_sip"))
		return parse_level(c, kv, &p->cert_wildcard_sip);
	if (!strcmp(k, "cert_eku_serverauth")) {
		if (!strcmp(v, "required"))
			p->cert_eku_serverauth = 1;
		else if (!strcmp(v, "not_required") || is_unknown(v))
			p->cert_eku_serverauth = 0;
		else
			return fail(c, kv->line, "cert_eku_serverauth: expected required, not_required or unknown");
		return 0;
	}
	if (!strcmp(k, "revocation")) {
		if (!strcmp(v, "enforced"))
			p->revocation_enforced = 1;
		else if (!strcmp(v, "not_enforced") || is_unknown(v))
			p->revocation_enforced = 0;
		else
			return fail(c, kv->line, "revocation: expected enforced, not_enforced or unknown");
		return 0;
	}
	if (!strcmp(k, "suffix_retry")) {
		if (!strcmp(v, "expected"))
			p->suffix_retry_expected = 1;
		else if (!strcmp(v, "tolerate") || is_unknown(v))
			p->suffix_retry_expected = 0;
		else
			return fail(c, kv->line, "suffix_retry: expected tolerate or expected");
		return 0;
	}
	if (!strcmp(k, "events"))
		return parse_events(c, kv, p);
	if (!strcmp(k, "dialogs"))
		return parse_dialogs(c, kv, p);
	if (!strcmp(k, "trusted_domains"))
		return parse_names(c, kv, p->trusted_domains, &p->ntrusted, 0);
	/* the client's built-in list comes on top of the symbolic entries */
	if (!strcmp(k, "trusted_domains_default"))
		return parse_names(c, kv, p->trusted_domains, &p->ntrusted, 1);
	if (!strcmp(k, "ignore_for_signin")) {
		char tmp[SD_PROF_LIST][SD_PROF_NAME * 2];
		size_t n = 0;

		if (parse_names(c, kv, tmp, &n, 0) < 0)
			return -1;
		p->nignore = n;
		for (size_t i = 0; i < n; i++)
			cpy(p->ignore_for_signin[i], sizeof p->ignore_for_signin[i], tmp[i]);
		return 0;
	}
	if (!strncmp(k, "expect.", 7) && k[7]) {
		size_t i;

		/* a child's expect.NAME replaces the inherited one */
		for (i = 0; i < p->nexpect && strcmp(p->expect[i].name, k + 7); i++)
			;
		if (i == SD_PROF_LIST)
			return fail(c, kv->line, "more than %d expect.* keys", SD_PROF_LIST);
		cpy(p->expect[i].name, sizeof p->expect[i].name, k + 7);
		cpy(p->expect[i].value, sizeof p->expect[i].value, v);
		if (i == p->nexpect)
			p->nexpect++;
		return 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- building */

static const struct sec *find_sec(const struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->ns; i++)
		if (!c->s[i].defaults && !strcmp(c->s[i].name, name))
			return &c->s[i];
	return NULL;
}

static void profile_init(struct sd_profile *p)
{
	memset(p, 0, sizeof *p);
	p->auto_ok = 1;
	p->supported = 1;
	p->a_only_if_no_srv = 1;
	p->a_stop_first_resolving = 1;
	p->continue_after_connect_fail = p->ip_failover = p->trust_prompt = SD_TRI_UNKNOWN;
	p->sni = p->events_known = SD_TRI_UNKNOWN;
	p->strict_naming = SD_STRICT_DOMAIN;
	p->out_of_domain = SD_LVL_UNKNOWN;
	p->cert_name = SD_CN_UNKNOWN;
	p->cert_wildcard_sip = SD_LVL_UNKNOWN;
	p->cert_eku_serverauth = 1; /* CERTINF/R2PKI: every client */
}

/* Applies sec's own keys (not variant.*, not inherit) after its parents. */
static int apply_chain(const struct ctx *c, struct sd_profile *p, const struct sec *s, int depth)
{
	if (depth > 16)
		return fail(c, s->line, "inherit chain of [profile %s] too deep (a cycle?)", s->name);
	for (size_t i = 0; i < s->nkv; i++) {
		const struct kv *kv = &s->kv[i];

		if (strcmp(kv->key, "inherit"))
			continue;
		const struct sec *parent = find_sec(c, kv->val);

		if (!parent)
			return fail(c, kv->line, "inherit: no profile \"%s\"", kv->val);
		if (apply_chain(c, p, parent, depth + 1) < 0)
			return -1;
	}
	for (size_t i = 0; i < s->nkv; i++) {
		const struct kv *kv = &s->kv[i];

		if (!strcmp(kv->key, "inherit") || !strncmp(kv->key, "variant.", 8))
			continue;
		if (apply(c, p, kv) < 0)
			return -1;
	}
	return 0;
}

static int push(struct sd_profiles *ps, size_t *cap, const struct sd_profile *p)
{
	if (ps->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct sd_profile *np = realloc(ps->p, nc * sizeof *np);

		if (!np)
			return -1;
		ps->p = np;
		*cap = nc;
	}
	ps->p[ps->n++] = *p;
	return 0;
}

static int build(const struct ctx *c, struct sd_profiles *ps)
{
	size_t cap = 0;
	struct sd_profile *base = malloc(sizeof *base), *var = malloc(sizeof *var);
	int rc = -1;

	if (!base || !var) {
		fail(c, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->ns; i++) {
		const struct sec *s = &c->s[i];
		char seen[SD_PROF_LIST][SD_PROF_NAME];
		size_t nseen = 0;

		if (s->defaults)
			continue;
		profile_init(base);
		for (size_t j = 0; j < c->ns; j++)
			if (c->s[j].defaults)
				for (size_t k = 0; k < c->s[j].nkv; k++)
					if (apply(c, base, &c->s[j].kv[k]) < 0)
						goto out;
		if (apply_chain(c, base, s, 0) < 0)
			goto out;
		cpy(base->name, sizeof base->name, s->name);
		if (push(ps, &cap, base) < 0) {
			fail(c, s->line, "out of memory");
			goto out;
		}
		/* each variant V, in order of first mention */
		for (size_t j = 0; j < s->nkv; j++) {
			const struct kv *kv = &s->kv[j];
			const char *v = kv->key + 8, *dot;
			char vname[SD_PROF_NAME];
			size_t vl, t;

			if (strncmp(kv->key, "variant.", 8))
				continue;
			dot = strchr(v, '.');
			vl = dot ? (size_t)(dot - v) : 0;
			if (!dot || !vl || !dot[1]) {
				fail(c, kv->line, "expected variant.NAME.KEY, got \"%s\"", kv->key);
				goto out;
			}
			if (vl + strlen(s->name) + 2 > SD_PROF_NAME) {
				fail(c, kv->line, "variant name too long");
				goto out;
			}
			memcpy(vname, v, vl);
			vname[vl] = '\0';
			for (t = 0; t < nseen; t++)
				if (!strcmp(seen[t], vname))
					break;
			if (t < nseen)
				continue;
			if (nseen == SD_PROF_LIST) {
				fail(c, kv->line, "more than %d variants", SD_PROF_LIST);
				goto out;
			}
			cpy(seen[nseen++], SD_PROF_NAME, vname);
			*var = *base;
			/* lengths checked above: name + '-' + variant fits */
			{
				size_t bl = strlen(s->name);

				memcpy(var->name, s->name, bl);
				var->name[bl] = '-';
				memcpy(var->name + bl + 1, vname, vl + 1);
			}
			for (size_t k = j; k < s->nkv; k++) {
				const char *kk = s->kv[k].key;
				struct kv sub = s->kv[k];

				if (strncmp(kk, "variant.", 8) || strncmp(kk + 8, vname, vl) || kk[8 + vl] != '.')
					continue;
				sub.key = s->kv[k].key + 8 + vl + 1;
				if (apply(c, var, &sub) < 0)
					goto out;
			}
			if (push(ps, &cap, var) < 0) {
				fail(c, kv->line, "out of memory");
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(base);
	free(var);
	return rc;
}

struct sd_profiles *sd_profiles_parse(const char *text, size_t len, const char *origin, char *err,
				      size_t errlen)
{
	struct ctx c = { NULL, 0, origin ? origin : "profiles", err, errlen };
	struct sd_profiles *ps = NULL;
	size_t cap = 0, pos = 0;
	unsigned line = 0;
	char buf[SD_PROF_LINE + 2];

	if (err && errlen)
		err[0] = '\0';
	while (pos < len) {
		size_t e = pos, n;
		char *s, *eq;

		while (e < len && text[e] != '\n')
			e++;
		line++;
		n = e - pos;
		if (n > SD_PROF_LINE) {
			fail(&c, line, "line longer than %d characters", SD_PROF_LINE);
			goto bad;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos = e + 1;
		if (memchr(buf, '\0', n)) {
			fail(&c, line, "NUL byte in line");
			goto bad;
		}
		strip_comment(buf);
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']'), *name;
			struct sec *ns;

			if (!end || end[1]) {
				fail(&c, line, "section header must be [defaults] or [profile NAME]");
				goto bad;
			}
			*end = '\0';
			name = trim(s + 1);
			if (c.ns == cap) {
				size_t nc = cap ? cap * 2 : 16;

				ns = realloc(c.s, nc * sizeof *ns);
				if (!ns) {
					fail(&c, line, "out of memory");
					goto bad;
				}
				c.s = ns;
				cap = nc;
			}
			ns = &c.s[c.ns];
			memset(ns, 0, sizeof *ns);
			ns->line = line;
			if (!strcmp(name, "defaults")) {
				ns->defaults = 1;
			} else if (!strncmp(name, "profile", 7) && isspace((unsigned char)name[7])) {
				name = trim(name + 7);
				if (!*name || strlen(name) >= SD_PROF_NAME) {
					fail(&c, line, "bad profile name");
					goto bad;
				}
				for (const char *p = name; *p; p++)
					if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
						fail(&c, line, "bad character '%c' in profile name", *p);
						goto bad;
					}
				if (find_sec(&c, name)) {
					fail(&c, line, "profile \"%s\" defined twice", name);
					goto bad;
				}
				cpy(ns->name, sizeof ns->name, name);
			} else {
				fail(&c, line, "unknown section [%s]", name);
				goto bad;
			}
			c.ns++;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			fail(&c, line, "expected KEY = VALUE");
			goto bad;
		}
		if (!c.ns) {
			fail(&c, line, "KEY = VALUE before any section");
			goto bad;
		}
		*eq = '\0';
		if (!*trim(s)) {
			fail(&c, line, "empty key");
			goto bad;
		}
		if (sec_add_kv(&c.s[c.ns - 1], trim(s), trim(eq + 1), line) < 0) {
			fail(&c, line, "out of memory");
			goto bad;
		}
	}
	ps = calloc(1, sizeof *ps);
	if (!ps) {
		fail(&c, line, "out of memory");
		goto bad;
	}
	cpy(ps->origin, sizeof ps->origin, c.origin);
	if (build(&c, ps) < 0)
		goto bad;
	secs_free(c.s, c.ns);
	return ps;
bad:
	secs_free(c.s, c.ns);
	sd_profiles_free(ps);
	return NULL;
}

struct sd_profiles *sd_profiles_load(const char *path, char *err, size_t errlen)
{
	const char *cand[3];
	char p2[512], p3[512];
	size_t nc = 0;
	FILE *f = NULL;
	const char *used = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct sd_profiles *ps;

	if (path) {
		cand[nc++] = path;
	} else {
		const char *env = getenv("SIPDISC_PROFILES");

		if (env && *env)
			cand[nc++] = env;
		snprintf(p2, sizeof p2, "%s/profiles.ini", SD_DATADIR);
		cand[nc++] = p2;
		snprintf(p3, sizeof p3, "%s/data/profiles.ini", SD_SRCDIR);
		cand[nc++] = p3;
	}
	for (size_t i = 0; i < nc && !f; i++) {
		f = fopen(cand[i], "rb");
		used = cand[i];
		/* an explicit path or $SIPDISC_PROFILES that cannot be opened is an error, not a
		 * reason to fall back silently to another file */
		if (!f && (path || (i == 0 && cand[0] != p2))) {
			if (err && errlen)
				snprintf(err, errlen, "%s: %s", cand[i], strerror(errno));
			return NULL;
		}
	}
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "no profiles file (tried %s, %s)", p2, p3);
		return NULL;
	}
	for (;;) {
		size_t r;

		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb || cap > (16u << 20)) {
				free(nb ? nb : buf);
				fclose(f);
				if (err && errlen)
					snprintf(err, errlen, "%s: %s", used, nb ? "file too large" : "out of memory");
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", used);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	ps = sd_profiles_parse(buf, len, used, err, errlen);
	free(buf);
	return ps;
}

void sd_profiles_free(struct sd_profiles *ps)
{
	if (!ps)
		return;
	free(ps->p);
	free(ps);
}

const struct sd_profile *sd_profiles_get(const struct sd_profiles *ps, const char *name)
{
	if (!ps || !name)
		return NULL;
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].name, name))
			return &ps->p[i];
	return NULL;
}

/* ------------------------------------------------------------------- auto */

static const char *const role_label[] = {
	[SD_ROLE_AD1] = "lyncdiscoverinternal", [SD_ROLE_AD2] = "lyncdiscover",
	[SD_ROLE_S1] = "_sipinternaltls._tcp",  [SD_ROLE_S2] = "_sipinternal._tcp",
	[SD_ROLE_S3] = "_sip._tls",             [SD_ROLE_S4] = "_sip._tcp",
	[SD_ROLE_F1] = "sipinternal",           [SD_ROLE_F2] = "sip",
	[SD_ROLE_F3] = "sipexternal",
};

int sd_strict_parse(const char *s, enum sd_strict *out)
{
	if (!strcmp(s, "domain"))
		*out = SD_STRICT_DOMAIN;
	else if (!strcmp(s, "narrow"))
		*out = SD_STRICT_NARROW;
	else if (!strcmp(s, "off"))
		*out = SD_STRICT_OFF;
	else
		return -1;
	return 0;
}

const char *sd_role_label(enum sd_role role)
{
	return role >= SD_ROLE_AD1 && role <= SD_ROLE_F3 ? role_label[role] : "";
}

int sd_profile_step_index(const struct sd_profile *p, enum sd_role role)
{
	const struct sd_pstep *list;
	size_t n;

	if (!p || role > SD_ROLE_F3)
		return -1;
	if (role <= SD_ROLE_AD2) {
		list = p->ad;
		n = p->nad;
	} else if (role <= SD_ROLE_S4) {
		list = p->srv;
		n = p->nsrv;
	} else {
		list = p->a;
		n = p->na;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].name, role_label[role]))
			return (int)i;
	return -1;
}

/* First query order of each discovery role, 0 when not looked up; one
 * pass over the steps (the attempt's closing asks this on every change). */
static void role_orders(const struct sd_attempt *a, unsigned o[SD_ROLE_F3 + 1])
{
	for (int r = 0; r <= SD_ROLE_F3; r++)
		o[r] = 0;
	for (size_t i = 0; a && i < a->nsteps; i++) {
		enum sd_role r = a->steps[i].role;

		if ((unsigned)r <= SD_ROLE_F3 && (!o[r] || a->steps[i].order < o[r]))
			o[r] = a->steps[i].order ? a->steps[i].order : 1;
	}
}

/* Phone Edition tries each fallback name on 5061 and then 443 (CPE). */
static int cpe_port_pattern(const struct sd_attempt *a)
{
	for (size_t i = 0; i < a->nsteps; i++) {
		int saw5061 = 0;

		if (a->steps[i].role < SD_ROLE_F1 || a->steps[i].role > SD_ROLE_F3)
			continue;
		for (size_t j = 0; j < a->nconns; j++) {
			int st = a->conns[j].step;

			/* the connection may hang off the CNAME target of the name */
			while (st >= 0 && (size_t)st < a->nsteps && st != (int)i &&
			       a->steps[st].role == SD_ROLE_CNAME_TARGET)
				st = a->steps[st].parent;
			if (st != (int)i)
				continue;
			if (a->conns[j].sport == 5061)
				saw5061 = 1;
			else if (a->conns[j].sport == 443 && saw5061)
				return 1;
		}
	}
	return 0;
}

const struct sd_profile *sd_profile_auto(const struct sd_profiles *ps, const struct sd_attempt *a,
					 char *why, size_t whylen)
{
	unsigned o[SD_ROLE_F3 + 1];
	int ad, srv, fb, suffix = 0;
	const char *pick, *reason;
	const struct sd_profile *p;
	char tmp[SD_ATT_TEXT];

	if (!ps)
		return NULL;
	role_orders(a, o);
	ad = o[SD_ROLE_AD1] || o[SD_ROLE_AD2];
	/* suffix retries matter only for the second test below: skip the
	 * walk over every query when that test cannot pass anyway */
	if (o[SD_ROLE_S2] && o[SD_ROLE_S3] && o[SD_ROLE_S3] < o[SD_ROLE_S2] && !ad)
		for (size_t i = 0; a && i < a->nsteps; i++)
			for (size_t j = 0; j < a->steps[i].nqueries; j++)
				suffix |= a->steps[i].queries[j].suffix_retry;
	srv = o[SD_ROLE_S1] || o[SD_ROLE_S2] || o[SD_ROLE_S3] || o[SD_ROLE_S4];
	fb = o[SD_ROLE_F1] || o[SD_ROLE_F2] || o[SD_ROLE_F3];

	/* most specific evidence first: each test names what only one client does */
	if (a && cpe_port_pattern(a)) {
		pick = "cpe2007r2";
		reason = "a fallback name was tried on port 5061 and then 443 (Phone Edition, CPE)";
	} else if (suffix && o[SD_ROLE_S2] && o[SD_ROLE_S3] && o[SD_ROLE_S3] < o[SD_ROLE_S2] && !ad) {
		pick = "cpe2007r2";
		reason = "DNS suffix retries and _sip._tls before _sipinternal._tcp (Phone Edition, CPE)";
	} else if (ad && !srv && !fb) {
		pick = "store-app";
		reason = "only lyncdiscoverinternal/lyncdiscover were looked up (Autodiscover-only client)";
	} else if (ad && srv && !o[SD_ROLE_S2]) {
		pick = "sfb";
		reason = "lyncdiscover* and SRV looked up without _sipinternal._tcp (SfB omits it, SFBADV; "
			 "Lync 2013 may too, UCS14)";
	} else if (ad) {
		pick = "lync2013";
		reason = o[SD_ROLE_S2] ? "lyncdiscover* then SRV including _sipinternal._tcp (Lync 2013)"
				       : "lyncdiscover* then fallback names (Lync 2013)";
	} else if (o[SD_ROLE_F1] && o[SD_ROLE_F2] && o[SD_ROLE_F2] < o[SD_ROLE_F1]) {
		pick = "oc2007r2-beta";
		reason = "sip was looked up before sipinternal (R2 beta order, R2B/IOCS1)";
	} else if (o[SD_ROLE_S4]) {
		pick = "oc2007";
		reason = "_sip._tcp was looked up (S4: Communicator 2007)";
	} else {
		pick = "oc2007";
		reason = srv || fb ? "SRV/fallback names without lyncdiscover* or _sip._tcp; "
				     "Communicator 2007 assumed (same order as 2007 R2 / Lync 2010)"
				   : "no discovery name seen; Communicator 2007 assumed";
	}
	p = sd_profiles_get(ps, pick);
	if (!p || !p->auto_ok) {
		p = NULL;
		for (size_t i = 0; i < ps->n && !p; i++)
			if (ps->p[i].auto_ok)
				p = &ps->p[i];
		if (!p && ps->n)
			p = &ps->p[0];
		snprintf(tmp, sizeof tmp, "profile %s not in the profiles file; using %s", pick,
			 p ? p->name : "none");
		reason = tmp;
	}
	if (why && whylen) {
		/* snprintf(why, whylen, "%s", reason) without printf */
		size_t n = strnlen(reason, whylen - 1);

		memcpy(why, reason, n);
		why[n] = '\0';
	}
	return p;
}
