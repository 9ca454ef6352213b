/*
 * rules.c - autoconfig-rules.md sections 2-4 over one completed attempt.
 *
 * The attempt's steps and connections are facts; the profile says what the
 * client should have done with them. Each check adds a finding with the
 * frames that prove it; the verdict comes last, from the connections
 * (did the client go encrypted with a sign-in server?) and from whether
 * the capture holds the whole attempt. Severity policy: a rule sourced as
 * [doc]/[blog] may warn or fail; [inf]/[conflict] rules and profile values
 * "unknown" stay at info (docs/findings.md lists each code's source).
 */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

/* Every code the rules produce: findings with other codes were added by
 * attempt.c and survive a re-check. */
static const char *const rule_codes[] = {
	"NO_SRV", "NAME_UNRESOLVED", "NO_SERVER", "FALLBACK_STOPPED", "SRV-ALIAS", "SRV-NOTARGET",
	"SRV-STRICT", "SRV-PORT", "SRV-PRIO", "SRV-ONE", "ORDER_MISMATCH", "WENT_ON_AFTER_SUCCESS",
	"STOPPED_EARLY", "CONN_REFUSED", "CONN_RESET", "CONN_TIMEOUT", "TLS_ABORTED", "CERT-SAN",
	"CERT-CN", "CERT-WILD", "CERT-TIME", "CERT-CHAIN", "CERT-EKU", "CERT-WEAK-SIG",
	"CERT-WEAK-KEY", "CERT-AD", "CERT_NOT_VISIBLE", "TRANSPORT_TCP", "IP_FAILOVER",
	"AD_UNREACHABLE", "AD_INTERNAL_MISSING", "AD_XDOMAIN_CNAME", "NO_AUTODISCOVER",
	"PROFILE_MISMATCH", "EVIDENCE_INCOMPLETE", NULL
};


#define IS_AD(r) ((r) == SD_ROLE_AD1 || (r) == SD_ROLE_AD2)
#define IS_SRV(r) ((r) >= SD_ROLE_S1 && (r) <= SD_ROLE_S4)
#define IS_F(r) ((r) >= SD_ROLE_F1 && (r) <= SD_ROLE_F3)

struct rctx {
	struct sd_attempt *a;
	const struct sd_profile *p;
	const struct sd_rules_opts *o;
	enum sd_strict strict;
	int events;           /* the profile documents client event IDs */
	int role_step[SD_ROLE_F3 + 1]; /* first step of each discovery role, -1 */
	int success_conn;     /* first sign-in connection the client went encrypted on, -1 */
	int cert_reject;      /* a certificate finding explains a failed connection */
	int trust_dialog;
	int no_server;
	size_t fcap;          /* allocated length of a->findings */
};

/* ---------------------------------------------------------------- findings */

void sd_finding_frame(struct sd_finding *f, uint64_t frame)
{
	size_t i;

	if (!f || !frame)
		return;
	for (i = 0; i < f->nframes && f->frames[i] < frame; i++)
		;
	if (i < f->nframes && f->frames[i] == frame)
		return;
	if (f->nframes == SD_FINDING_FRAMES) {
		/* keep the earliest frames: they show how the failure began */
		f->frames_dropped++;
		if (i == f->nframes)
			return;
		f->nframes--;
	}
	memmove(&f->frames[i + 1], &f->frames[i], (f->nframes - i) * sizeof f->frames[0]);
	f->frames[i] = frame;
	f->nframes++;
}

/* snprintf(dst, cap, "%s", src) without the printf machinery (cap > 0) */
static void copy_s(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* snprintf(dst, cap, "%s%s", a, b) likewise */
static void join_s(char *dst, size_t cap, const char *a, const char *b)
{
	size_t n = strnlen(a, cap - 1);

	memcpy(dst, a, n);
	copy_s(dst + n, cap - n, b);
}

/* Appends one finding. cap: the allocated length of a->findings, known
 * only inside sd_rules_check (it then grows by doubling); NULL: unknown,
 * grow by one as callers outside may have allocated exactly. */
static struct sd_finding *finding_new(struct sd_attempt *a, size_t *cap, const char *code, enum sd_severity sev,
				      const uint64_t *frames, size_t nframes)
{
	struct sd_finding *nf, *f;

	if (!a || !code)
		return NULL;
	if (!cap || a->nfindings >= *cap) {
		size_t nc = !cap ? a->nfindings + 1 : *cap ? *cap * 2 : 4;

		if (nc < a->nfindings + 1)
			nc = a->nfindings + 1;
		nf = realloc(a->findings, nc * sizeof *nf);
		if (!nf)
			return NULL;
		a->findings = nf;
		if (cap)
			*cap = nc;
	}
	f = &a->findings[a->nfindings++];
	memset(f, 0, sizeof *f);
	copy_s(f->code, sizeof f->code, code);
	f->severity = sev;
	f->step = f->conn = -1;
	for (size_t i = 0; frames && i < nframes; i++)
		sd_finding_frame(f, frames[i]);
	return f;
}

struct sd_finding *sd_finding_add(struct sd_attempt *a, const char *code, enum sd_severity sev,
				  const uint64_t *frames, size_t nframes)
{
	return finding_new(a, NULL, code, sev, frames, nframes);
}

static void fmt(char *dst, size_t cap, const char *f, va_list ap) __attribute__((format(printf, 3, 0)));
static void fmt(char *dst, size_t cap, const char *f, va_list ap)
{
	vsnprintf(dst, cap, f, ap);
}

static void set_msg(struct sd_finding *f, const char *m, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(struct sd_finding *f, const char *m, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, m);
	fmt(f->message, sizeof f->message, m, ap);
	va_end(ap);
}

static void set_fix(struct sd_finding *f, const char *m, ...) __attribute__((format(printf, 2, 3)));
static void set_fix(struct sd_finding *f, const char *m, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, m);
	fmt(f->fix, sizeof f->fix, m, ap);
	va_end(ap);
}

static struct sd_finding *add(struct rctx *r, const char *code, enum sd_severity sev, int step, int conn)
{
	struct sd_finding *f = finding_new(r->a, &r->fcap, code, sev, NULL, 0);

	if (f) {
		f->step = step;
		f->conn = conn;
	}
	return f;
}

/* Severity of a rule whose strength the profile gives as a level. */
static enum sd_severity lvl_sev(enum sd_level l)
{
	switch (l) {
	case SD_LVL_ERROR: return SD_SEV_ERROR;
	case SD_LVL_WARN: return SD_SEV_WARN;
	default: return SD_SEV_INFO; /* ok, info, unknown */
	}
}

static void step_frames(struct rctx *r, struct sd_finding *f, int si)
{
	const struct sd_step *s;

	if (!f || si < 0 || (size_t)si >= r->a->nsteps)
		return;
	s = &r->a->steps[si];
	sd_finding_frame(f, s->frame);
	sd_finding_frame(f, s->resp_frame);
	for (size_t i = 0; i < s->nqueries; i++) {
		sd_finding_frame(f, s->queries[i].frame);
		sd_finding_frame(f, s->queries[i].resp_frame);
	}
}

static void conn_frames(struct sd_finding *f, const struct sd_conn *c, int with_cert)
{
	if (!f)
		return;
	sd_finding_frame(f, c->syn_frame);
	sd_finding_frame(f, c->synack_frame);
	if (c->outcome == SD_CONN_REFUSED || c->outcome == SD_CONN_RESET || c->outcome == SD_CONN_TIMEOUT ||
	    c->outcome == SD_CONN_CLOSED)
		sd_finding_frame(f, c->end_frame);
	if (with_cert)
		sd_finding_frame(f, c->cert_frame);
	sd_finding_frame(f, c->alert_frame);
}

/* ------------------------------------------------------------------ helpers */

static const char *dom(const struct rctx *r)
{
	return r->a->domain;
}

/* name == d or ends with ".d" */
static int in_domain(const char *name, const char *d)
{
	size_t n = strlen(name), m = strlen(d);

	if (!m)
		return 0;
	if (n == m)
		return strcmp(name, d) == 0;
	return n > m && name[n - m - 1] == '.' && strcmp(name + n - m, d) == 0;
}

static const char *outcome_str(enum sd_conn_outcome o)
{
	switch (o) {
	case SD_CONN_REFUSED: return "refused";
	case SD_CONN_RESET: return "reset";
	case SD_CONN_TIMEOUT: return "timed out";
	case SD_CONN_TLS_ALERT: return "TLS alert";
	case SD_CONN_CLOSED: return "closed during the handshake";
	default: return "no answer";
	}
}

static int step_ok(const struct rctx *r, int si)
{
	return si >= 0 && (size_t)si < r->a->nsteps;
}

/* A step whose negative answer is in the capture: NXDOMAIN / no data. */
static int step_negative(const struct sd_step *s)
{
	return s->state == SD_STEP_ANSWERED && !s->resolved && !sd_step_cut(s);
}

/* The discovery step (AD/S/F) a step hangs off. */
static int root_step(const struct rctx *r, int si)
{
	for (int guard = 0; step_ok(r, si) && guard < 16; guard++) {
		const struct sd_step *s = &r->a->steps[si];

		if (s->role <= SD_ROLE_F3 || s->parent < 0)
			return si;
		si = s->parent;
	}
	return si;
}

static int conn_root(const struct rctx *r, const struct sd_conn *c)
{
	return c->step >= 0 ? root_step(r, c->step) : -1;
}

static int conn_is_ad(const struct rctx *r, const struct sd_conn *c)
{
	int rs = conn_root(r, c);

	return step_ok(r, rs) && IS_AD(r->a->steps[rs].role) &&
	       !(step_ok(r, c->step) && r->a->steps[c->step].role == SD_ROLE_POOL);
}

/* The name the client expects in the certificate (spec 3): the SRV target,
 * the fallback or Autodiscover name as queried (never its CNAME target), or
 * the pool Autodiscover named. */
static const char *expected_for_conn(const struct rctx *r, const struct sd_conn *c)
{
	int si = c->step;

	for (int guard = 0; step_ok(r, si) && guard < 16; guard++) {
		const struct sd_step *s = &r->a->steps[si];

		if (s->role == SD_ROLE_CNAME_TARGET && s->parent >= 0) {
			si = s->parent;
			continue;
		}
		if (IS_SRV(s->role)) {
			/* address came in the additional section: its owner is the target */
			for (size_t i = 0; i < s->nanswers; i++)
				if ((s->answers[i].type == SD_DNS_T_A || s->answers[i].type == SD_DNS_T_AAAA) &&
				    sd_addr_eq(&s->answers[i].addr, &c->server))
					return s->answers[i].owner;
			for (size_t i = 0; i < s->nanswers; i++)
				if (s->answers[i].type == SD_DNS_T_SRV && s->answers[i].target[0])
					return s->answers[i].target;
		}
		return s->name;
	}
	return c->expected;
}

static int conn_signed_in(const struct sd_conn *c)
{
	return c->outcome == SD_CONN_HANDSHAKE_DONE || c->outcome == SD_CONN_PLAIN_TCP;
}

static int conn_failed(const struct sd_conn *c)
{
	return c->outcome == SD_CONN_REFUSED || c->outcome == SD_CONN_RESET || c->outcome == SD_CONN_TIMEOUT ||
	       c->outcome == SD_CONN_TLS_ALERT || c->outcome == SD_CONN_CLOSED;
}

/* The step after which nothing else of the discovery sequence was asked. */
static unsigned max_order(const struct rctx *r)
{
	unsigned m = 0;

	for (size_t i = 0; i < r->a->nsteps; i++)
		if (r->a->steps[i].order > m)
			m = r->a->steps[i].order;
	return m;
}

/* ------------------------------------------------------------- SRV checks */

static int expected_srv_port(enum sd_role role)
{
	switch (role) {
	case SD_ROLE_S1: return 5061;
	case SD_ROLE_S2: return 5060;
	case SD_ROLE_S3: return 443;
	default: return 0;
	}
}

/* Target step of an SRV RR, -1 when the client never looked it up. */
static int target_step(const struct rctx *r, int si, const char *target)
{
	for (size_t i = 0; i < r->a->nsteps; i++) {
		const struct sd_step *t = &r->a->steps[i];

		if (t->role == SD_ROLE_SRV_TARGET && t->parent == si && !strcmp(t->name, target))
			return (int)i;
	}
	for (size_t i = 0; i < r->a->nsteps; i++)
		if (r->a->steps[i].role == SD_ROLE_SRV_TARGET && !strcmp(r->a->steps[i].name, target))
			return (int)i;
	return -1;
}

static int trusted(const struct rctx *r, const char *target)
{
	if (r->p->trust_prompt != SD_TRI_YES)
		return 0;
	for (size_t i = 0; i < r->p->ntrusted; i++)
		if (strchr(r->p->trusted_domains[i], '.') && in_domain(target, r->p->trusted_domains[i]))
			return 1;
	return 0;
}

static void check_srv_rr(struct rctx *r, int si, const struct sd_answer *rr)
{
	const struct sd_step *s = &r->a->steps[si];
	const char *d = dom(r);
	int ts;
	struct sd_finding *f;
	int eport = expected_srv_port(s->role);

	if (!rr->target[0]) {
		f = add(r, "SRV-NOTARGET", SD_SEV_ERROR, si, -1);
		step_frames(r, f, si);
		set_msg(f, "%s answers with target \".\": service not available there", s->name);
		set_fix(f, "Point %s at the Front End pool or Director FQDN, or delete the record", s->name);
		return;
	}
	ts = target_step(r, si, rr->target);
	/* alias: the target's lookup went through a CNAME, or the response said so */
	{
		int alias = 0;
		const char *canon = "";

		if (ts >= 0 && r->a->steps[ts].via_cname) {
			alias = 1;
			canon = r->a->steps[ts].canonical;
		}
		for (size_t i = 0; i < s->nanswers && !alias; i++)
			if (s->answers[i].type == SD_DNS_T_CNAME && !strcmp(s->answers[i].owner, rr->target)) {
				alias = 1;
				canon = s->answers[i].target;
			}
		if (alias) {
			f = add(r, "SRV-ALIAS", SD_SEV_ERROR, si, -1);
			step_frames(r, f, si);
			step_frames(r, f, ts);
			set_msg(f, "SRV %s target %s is a CNAME (to %s), not a host with an A/AAAA record", s->name,
				rr->target, canon[0] ? canon : "?");
			set_fix(f, "Replace the CNAME %s with an A record, or point %s at %s directly", rr->target,
				s->name, canon[0] ? canon : "the host");
		}
	}
	/* target known not to resolve: its lookup, or the lack of any address for it */
	if (ts >= 0 && step_negative(&r->a->steps[ts])) {
		f = add(r, "SRV-NOTARGET", SD_SEV_ERROR, si, -1);
		step_frames(r, f, si);
		step_frames(r, f, ts);
		set_msg(f, "SRV %s names %s, which does not resolve (rcode %d)", s->name, rr->target,
			r->a->steps[ts].rcode);
		set_fix(f, "Create an A record for %s, or point %s at a host that has one", rr->target, s->name);
	}
	/* strict DNS naming (spec 2.2) */
	if (r->strict != SD_STRICT_OFF && d[0]) {
		int indom = in_domain(rr->target, d);
		int narrow_ok = !strcmp(rr->target, d) || (!strncmp(rr->target, "sip.", 4) && !strcmp(rr->target + 4, d));

		if (!indom && !trusted(r, rr->target)) {
			enum sd_severity sev = lvl_sev(r->p->out_of_domain);

			f = add(r, "SRV-STRICT", sev, si, -1);
			step_frames(r, f, si);
			set_msg(f, "SRV %s target %s is outside the SIP domain %s%s", s->name, rr->target, d,
				r->p->out_of_domain == SD_LVL_ERROR   ? ": the client does not use the record (DL09)"
				: r->p->out_of_domain == SD_LVL_WARN ? ": the client asks the user to trust it"
								      : "");
			set_fix(f, "Point %s at a server FQDN in %s (e.g. a pool name under %s), or enable DisableStrictDNSNaming",
				s->name, d, d);
			if (sev == SD_SEV_WARN && r->p->trust_prompt == SD_TRI_YES && r->p->dlg_trust[0])
				r->trust_dialog = 1;
		} else if (indom && r->strict == SD_STRICT_NARROW && !narrow_ok) {
			/* the ADMX reading: only D or sip.D, unless the certificate carries sip.D */
			int has_sipd = 0;
			char sipd[SD_ATT_NAME + 8];

			snprintf(sipd, sizeof sipd, "sip.%s", d);
			for (size_t c = 0; c < r->a->nconns && !has_sipd; c++) {
				const struct sd_conn *cn = &r->a->conns[c];

				if (cn->ncerts && cn->certs[0].decoded && !strcmp(expected_for_conn(r, cn), rr->target))
					for (size_t k = 0; k < cn->certs[0].cert.nsan_dns; k++)
						if (!strcmp(cn->certs[0].cert.san_dns[k], sipd))
							has_sipd = 1;
			}
			if (!has_sipd) {
				f = add(r, "SRV-STRICT", SD_SEV_WARN, si, -1);
				step_frames(r, f, si);
				set_msg(f, "SRV %s target %s is neither %s nor %s (strict naming, narrow reading)",
					s->name, rr->target, d, sipd);
				set_fix(f, "Add %s to the SAN of %s's certificate (LS13CI)", sipd, rr->target);
			}
		}
	}
	if (eport && rr->port != eport) {
		f = add(r, "SRV-PORT", SD_SEV_INFO, si, -1);
		step_frames(r, f, si);
		set_msg(f, "SRV %s gives port %u for %s; %d is usual", s->name, rr->port, rr->target, eport);
		set_fix(f, "Check that %s listens on %u for this service, or set the record's port to %d",
			rr->target, rr->port, eport);
	}
}

static void check_srv(struct rctx *r, int *chosen)
{
	int best_rank = 1000;

	*chosen = -1;
	for (size_t i = 0; i < r->a->nsteps; i++) {
		const struct sd_step *s = &r->a->steps[i];
		const struct sd_answer **rrs;
		size_t n = 0;

		if (!IS_SRV(s->role) || !s->nanswers)
			continue;
		/* every RR of the answer: SRV-ONE states the count the response carried
		 * (a fixed 32 undercounted S02's 61 records) */
		rrs = malloc(s->nanswers * sizeof *rrs); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
		if (!rrs)
			continue;
		for (size_t k = 0; k < s->nanswers; k++)
			if (s->answers[k].type == SD_DNS_T_SRV && s->answers[k].section != SD_DNS_AR)
				rrs[n++] = &s->answers[k];
		if (!n) {
			free(rrs);
			continue;
		}
		/* precedence, not packet order (R2DQ: queried in parallel) */
		{
			int rank = sd_profile_step_index(r->p, s->role);

			if (rank < 0)
				rank = 100 + (int)s->role;
			if (rank < best_rank) {
				best_rank = rank;
				*chosen = (int)i;
			}
		}
		for (size_t k = 0; k < n; k++)
			check_srv_rr(r, (int)i, rrs[k]);
		if (n > 1) {
			struct sd_finding *f = add(r, "SRV-ONE", SD_SEV_INFO, (int)i, -1);
			uint16_t lo = rrs[0]->priority;

			step_frames(r, f, (int)i);
			set_msg(f, "SRV %s has %zu records; one sign-in pool per SIP domain is documented", s->name, n);
			set_fix(f, "Keep one %s record per SIP domain (OCSACS, LS13ACS)", s->name);
			for (size_t k = 1; k < n; k++)
				if (rrs[k]->priority < lo)
					lo = rrs[k]->priority;
			/* which target did the client contact first? */
			for (size_t c = 0; c < r->a->nconns; c++) {
				const struct sd_conn *cn = &r->a->conns[c];
				const char *e;

				if (conn_root(r, cn) != (int)i)
					continue;
				e = expected_for_conn(r, cn);
				for (size_t k = 0; k < n; k++)
					if (!strcmp(rrs[k]->target, e) && rrs[k]->priority != lo) {
						f = add(r, "SRV-PRIO", SD_SEV_INFO, (int)i, (int)c);
						step_frames(r, f, (int)i);
						conn_frames(f, cn, 0);
						set_msg(f, "client contacted %s (priority %u) first although priority %u exists",
							e, rrs[k]->priority, lo);
						set_fix(f, "None needed: client selection among SRV records is undocumented (SFBADV)");
						k = n;
					}
				break;
			}
		}
		free(rrs);
	}
}

/* --------------------------------------------------------- discovery flow */

static void check_ad(struct rctx *r, int *ad_ok)
{
	int any = 0, res[2] = { 0, 0 };
	int in_prof = r->p->nad > 0;
	int ad_only = r->p->nad > 0 && !r->p->nsrv && !r->p->na;

	*ad_ok = 0;
	for (int k = 0; k < 2; k++) {
		int si = r->role_step[SD_ROLE_AD1 + k];
		const struct sd_step *s;
		int nconn = 0, okc = 0, failc = -1;

		if (si < 0)
			continue;
		any = 1;
		s = &r->a->steps[si];
		res[k] = s->resolved;
		for (size_t c = 0; c < r->a->nconns; c++) {
			const struct sd_conn *cn = &r->a->conns[c];

			if (!conn_is_ad(r, cn) || conn_root(r, cn) != si)
				continue;
			nconn++;
			if (cn->outcome == SD_CONN_HANDSHAKE_DONE || cn->outcome == SD_CONN_PLAIN_TCP)
				okc = 1;
			else if ((cn->outcome == SD_CONN_REFUSED || cn->outcome == SD_CONN_RESET ||
				  cn->outcome == SD_CONN_TIMEOUT) && failc < 0)
				failc = (int)c; /* a TLS failure means the service answered */
		}
		if (okc)
			*ad_ok = 1;
		if (s->resolved && !okc && failc >= 0) {
			const struct sd_conn *cn = &r->a->conns[failc];
			struct sd_finding *f = add(r, "AD_UNREACHABLE", in_prof ? SD_SEV_WARN : SD_SEV_INFO, si, failc);

			step_frames(r, f, si);
			conn_frames(f, cn, 0);
			set_msg(f, "%s resolves but its Autodiscover service did not answer on port %u (%s)", s->name,
				cn->sport, outcome_str(cn->outcome));
			set_fix(f, "Publish the Autodiscover service behind %s on 443 (and 80), or remove the record",
				s->name);
		}
		if (s->resolved && s->via_cname && ad_only && s->canonical[0] && !in_domain(s->canonical, dom(r))) {
			struct sd_finding *f = add(r, "AD_XDOMAIN_CNAME", SD_SEV_WARN, si, -1);

			step_frames(r, f, si);
			set_msg(f, "%s is a CNAME to %s in another domain; mobile clients do not follow it over HTTPS",
				s->name, s->canonical);
			set_fix(f, "Publish Autodiscover on port 80 for the first request, or use an A record in %s (LS13ADD)",
				dom(r));
		}
	}
	if (!any)
		return;
	{
		int s1 = r->role_step[SD_ROLE_AD1], s2 = r->role_step[SD_ROLE_AD2];

		if (s1 >= 0 && s2 >= 0 && step_negative(&r->a->steps[s1]) && res[1]) {
			struct sd_finding *f = add(r, "AD_INTERNAL_MISSING", in_prof ? SD_SEV_WARN : SD_SEV_INFO, s1, -1);

			step_frames(r, f, s1);
			step_frames(r, f, s2);
			set_msg(f, "%s does not resolve; the client used the external %s", r->a->steps[s1].name,
				r->a->steps[s2].name);
			set_fix(f, "Create %s internally, pointing at the internal Director/Front End pool (LS13ADD)",
				r->a->steps[s1].name);
		}
	}
	if (!*ad_ok) {
		int all_dead = 1;

		for (int k = 0; k < 2; k++) {
			int si = r->role_step[SD_ROLE_AD1 + k];

			if (si >= 0 && r->a->steps[si].state == SD_STEP_PENDING)
				all_dead = 0;
		}
		if (all_dead) {
			struct sd_finding *f = add(r, "NO_AUTODISCOVER", ad_only ? SD_SEV_ERROR : SD_SEV_INFO, -1, -1);

			step_frames(r, f, r->role_step[SD_ROLE_AD1]);
			step_frames(r, f, r->role_step[SD_ROLE_AD2]);
			set_msg(f, "no Autodiscover name of %s led to a working Autodiscover service%s", dom(r),
				ad_only ? "; this client has no other way to find its server" : "");
			set_fix(f, "Create lyncdiscoverinternal.%s (internal) and lyncdiscover.%s (external) pointing at the Autodiscover service",
				dom(r), dom(r));
		}
	}
}

/* Profile membership and order (spec 1; SRV group judged by precedence). */
static void check_order(struct rctx *r)
{
	const struct sd_profile *p = r->p;
	enum sd_severity osev = p->conflict ? SD_SEV_INFO : SD_SEV_WARN;

	for (int role = 0; role <= SD_ROLE_F3; role++) {
		int si = r->role_step[role];

		if (si < 0)
			continue;
		if (sd_profile_step_index(p, (enum sd_role)role) < 0) {
			struct sd_finding *f = add(r, "PROFILE_MISMATCH", SD_SEV_INFO, si, -1);

			step_frames(r, f, si);
			set_msg(f, "%s was looked up, but profile %s does not look up %s.D", r->a->steps[si].name,
				p->name, sd_role_label(role));
			set_fix(f, "None on the server; if this is another client, analyse with its --profile");
		}
	}
	/* group order: AD before SRV before fallback names, by first query */
	{
		int idx[SD_ROLE_F3 + 1];
		int n = 0, last_group = -1, last_group_step = -1;

		for (int role = 0; role <= SD_ROLE_F3; role++)
			if (r->role_step[role] >= 0 && sd_profile_step_index(p, (enum sd_role)role) >= 0)
				idx[n++] = role;
		/* sort roles by their step's order */
		for (int i = 1; i < n; i++)
			for (int j = i; j > 0 && r->a->steps[r->role_step[idx[j]]].order <
						 r->a->steps[r->role_step[idx[j - 1]]].order; j--) {
				int t = idx[j];

				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		for (int i = 0; i < n; i++) {
			int role = idx[i];
			int g = IS_AD(role) ? 0 : IS_SRV(role) ? 1 : 2;

			if (g < last_group) {
				struct sd_finding *f = add(r, "ORDER_MISMATCH", osev, r->role_step[role], -1);

				step_frames(r, f, last_group_step);
				step_frames(r, f, r->role_step[role]);
				set_msg(f, "%s was looked up after %s; profile %s looks up %s first",
					r->a->steps[r->role_step[role]].name, r->a->steps[last_group_step].name, p->name,
					g == 0 ? "Autodiscover names" : "SRV records");
				set_fix(f, "None on the server; check the client version (--profile)");
			} else {
				last_group = g;
				last_group_step = r->role_step[role];
			}
		}
	}
	/* within the Autodiscover and fallback lists, profile order */
	for (int g = 0; g < 2; g++) {
		const struct sd_pstep *list = g ? p->a : p->ad;
		size_t nl = g ? p->na : p->nad;
		int base = g ? SD_ROLE_F1 : SD_ROLE_AD1, top = g ? SD_ROLE_F3 : SD_ROLE_AD2;
		int prev = -1;

		for (size_t k = 0; k < nl; k++) {
			int role = -1, si;

			for (int rr = base; rr <= top; rr++)
				if (!strcmp(sd_role_label(rr), list[k].name))
					role = rr;
			if (role < 0)
				continue;
			si = r->role_step[role];
			if (si < 0) {
				/* skipped while a later name of the list was asked */
				for (size_t k2 = k + 1; k2 < nl && !list[k].optional; k2++)
					for (int rr = base; rr <= top; rr++)
						if (!strcmp(sd_role_label(rr), list[k2].name) && r->role_step[rr] >= 0) {
							struct sd_finding *f = add(r, "ORDER_MISMATCH", osev, r->role_step[rr], -1);

							step_frames(r, f, r->role_step[rr]);
							set_msg(f, "%s.%s was never looked up, yet %s was; profile %s asks %s.%s first",
								list[k].name, dom(r), r->a->steps[r->role_step[rr]].name,
								p->name, list[k].name, dom(r));
							set_fix(f, "None on the server; check the client version (--profile)");
							k2 = nl;
							break;
						}
				continue;
			}
			if (prev >= 0 && r->a->steps[si].order < r->a->steps[prev].order) {
				struct sd_finding *f = add(r, "ORDER_MISMATCH", osev, si, -1);
				int beta = g && !strcmp(p->a[0].name, "sipinternal") && role == SD_ROLE_F2 &&
					   r->a->steps[prev].role == SD_ROLE_F1;

				step_frames(r, f, si);
				step_frames(r, f, prev);
				set_msg(f, "%s was looked up before %s; profile %s has the opposite order",
					r->a->steps[si].name, r->a->steps[prev].name, p->name);
				if (beta)
					set_fix(f, "None on the server; this is the R2 beta order: analyse with --profile oc2007r2-beta");
				else
					set_fix(f, "None on the server; check the client version (--profile)");
			}
			if (prev < 0 || r->a->steps[si].order > r->a->steps[prev].order)
				prev = si;
		}
	}
}

/* Connections reached through a step (its address, its CNAME target). */
static int step_conns(const struct rctx *r, int si, int *first_fail, int *any_ok, int *got_cert)
{
	int n = 0;

	*first_fail = -1;
	*any_ok = 0;
	*got_cert = 0;
	for (size_t c = 0; c < r->a->nconns; c++) {
		const struct sd_conn *cn = &r->a->conns[c];

		if (conn_root(r, cn) != si || conn_is_ad(r, cn))
			continue;
		n++;
		if (conn_signed_in(cn))
			*any_ok = 1;
		else if (*first_fail < 0)
			*first_fail = (int)c;
		if (cn->cert_frame || cn->ncerts)
			*got_cert = 1;
	}
	return n;
}

/* Does the SRV path of step si lead to a working connection? -1 no conns */
static int srv_path_ok(const struct rctx *r, int si)
{
	int ff, ok, gc;

	if (!step_conns(r, si, &ff, &ok, &gc))
		return -1;
	return ok;
}

static void check_flow(struct rctx *r, int chosen_srv, int ad_ok)
{
	const struct sd_profile *p = r->p;
	const struct sd_attempt *a = r->a;
	int any_srv = 0, srv_all_neg = 1, any_f = 0;
	uint64_t srv_last = 0;
	int done = a->end_reason != SD_END_CAPTURE_END; /* the client finished, not the capture */

	for (int role = SD_ROLE_S1; role <= SD_ROLE_S4; role++) {
		int si = r->role_step[role];

		if (si < 0)
			continue;
		any_srv = 1;
		if (a->steps[si].resolved || sd_step_cut(&a->steps[si]))
			srv_all_neg = 0;
		if (a->steps[si].state == SD_STEP_PENDING)
			srv_all_neg = 0;
		if (a->steps[si].resp_frame > srv_last)
			srv_last = a->steps[si].resp_frame;
	}
	for (int role = SD_ROLE_F1; role <= SD_ROLE_F3; role++)
		any_f |= r->role_step[role] >= 0;

	/* Event 1: no SRV record at any SRV name (SCH07) */
	if (any_srv && srv_all_neg) {
		struct sd_finding *f = add(r, "NO_SRV", SD_SEV_INFO, r->role_step[SD_ROLE_S1], -1);
		char names[SD_ATT_TEXT] = "";

		for (int role = SD_ROLE_S1; role <= SD_ROLE_S4; role++) {
			int si = r->role_step[role];
			size_t l = strlen(names);

			if (si < 0)
				continue;
			step_frames(r, f, si);
			join_s(names + l, sizeof names - l, l ? ", " : "", a->steps[si].name);
		}
		set_msg(f, "no SRV record exists for %s (%s)", dom(r), names);
		set_fix(f, "Create SRV _sipinternaltls._tcp.%s 0 0 5061 <Front End pool FQDN in %s> (OCSACS)", dom(r),
			dom(r));
		if (f && r->events && p->ev_no_srv) {
			f->event_id = p->ev_no_srv;
			snprintf(f->event_text, sizeof f->event_text,
				 "Communicator was unable to locate the login server. No DNS SRV records exist for domain %s, so Communicator was unable to login.",
				 dom(r));
		}
	}

	/* SRV found records: the fallback names are not for this client (a_only_if) */
	if (chosen_srv >= 0 && any_f) {
		int ok = srv_path_ok(r, chosen_srv);

		for (int role = SD_ROLE_F1; role <= SD_ROLE_F3; role++) {
			int si = r->role_step[role];
			struct sd_finding *f;

			/* asked before the SRV answer was in: parallel lookups, not going on */
			if (si < 0 || a->steps[si].order < a->steps[chosen_srv].order ||
			    (a->steps[si].frame && a->steps[chosen_srv].resp_frame &&
			     a->steps[si].frame < a->steps[chosen_srv].resp_frame))
				continue;
			if (ok == 1) {
				f = add(r, "WENT_ON_AFTER_SUCCESS", SD_SEV_WARN, si, -1);
				set_msg(f, "%s was looked up although the SRV path via %s had worked", a->steps[si].name,
					a->steps[chosen_srv].name);
			} else if (p->a_only_if_no_srv) {
				/* what OC 2007 does after a failed SRV path is open (spec 7.2) */
				f = add(r, "WENT_ON_AFTER_SUCCESS", SD_SEV_INFO, si, -1);
				set_msg(f, "%s was looked up after SRV %s had answered; profile %s uses fallback names only without SRV records (spec 7.2 open)",
					a->steps[si].name, a->steps[chosen_srv].name, p->name);
			} else {
				continue;
			}
			step_frames(r, f, chosen_srv);
			step_frames(r, f, si);
			set_fix(f, "None on the server; check the client version (--profile)");
			break;
		}
	}

	/* Fallback names in the order the client asked them (query frames, not
	 * profile order): event 3 per name that did not resolve, and a name asked
	 * after an earlier name's answer had resolved breaks a_stop. T24 asked
	 * sip.D before sipinternal.D resolved: that is ORDER_MISMATCH only. */
	{
		int fs[SD_ROLE_F3 - SD_ROLE_F1 + 1];
		int nfs = 0;

		for (size_t k = 0; k < p->na; k++)
			for (int rr = SD_ROLE_F1; rr <= SD_ROLE_F3; rr++) {
				int si = r->role_step[rr], dup = 0;

				if (si < 0 || strcmp(sd_role_label(rr), p->a[k].name))
					continue;
				for (int j = 0; j < nfs; j++)
					dup |= fs[j] == si;
				if (!dup && nfs < (int)(sizeof fs / sizeof fs[0]))
					fs[nfs++] = si;
			}
		for (int i = 1; i < nfs; i++)
			for (int j = i; j > 0 && a->steps[fs[j]].order < a->steps[fs[j - 1]].order; j--) {
				int t = fs[j];

				fs[j] = fs[j - 1];
				fs[j - 1] = t;
			}
		for (int i = 0; i < nfs; i++) {
			int si = fs[i];
			const struct sd_step *s = &a->steps[si];

			for (int j = 0; j < i && p->a_stop_first_resolving; j++) {
				const struct sd_step *pr = &a->steps[fs[j]];
				struct sd_finding *f;

				/* asked while the earlier answer was still out: parallel, not after */
				if (!pr->resolved || (s->frame && pr->resp_frame && s->frame < pr->resp_frame))
					continue;
				f = add(r, "WENT_ON_AFTER_SUCCESS", SD_SEV_WARN, si, -1);
				step_frames(r, f, fs[j]);
				step_frames(r, f, si);
				set_msg(f, "%s was looked up after %s had resolved; profile %s stops at the first name that resolves (ORIG)",
					s->name, pr->name, p->name);
				set_fix(f, "None on the server; check the client version (--profile)");
				break;
			}
			if (!s->resolved && s->state != SD_STEP_PENDING && !sd_step_cut(s)) {
				struct sd_finding *f = add(r, "NAME_UNRESOLVED", SD_SEV_INFO, si, -1);

				step_frames(r, f, si);
				if (s->state == SD_STEP_UNANSWERED)
					set_msg(f, "%s: no DNS response", s->name);
				else
					set_msg(f, "%s does not resolve (%s)", s->name,
						s->rcode == SD_DNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "no address");
				set_fix(f, "None if another name leads to the server; else create an A record %s for the Front End pool",
					s->name);
				if (f && r->events && p->ev_name_unresolved) {
					f->event_id = p->ev_name_unresolved;
					snprintf(f->event_text, sizeof f->event_text,
						 "Communicator was unable to resolve the DNS hostname of the login server %s.",
						 s->name);
				}
			}
		}
	}

	/* Where the sequence ended: the last discovery step that was asked */
	if (r->success_conn >= 0 || !done)
		return;
	{
		int last_f = -1, last_k = -1;
		unsigned mo = max_order(r);

		for (size_t k = 0; k < p->na; k++)
			for (int rr = SD_ROLE_F1; rr <= SD_ROLE_F3; rr++)
				if (!strcmp(sd_role_label(rr), p->a[k].name) && r->role_step[rr] >= 0 &&
				    (last_f < 0 || a->steps[r->role_step[rr]].order > a->steps[last_f].order)) {
					last_f = r->role_step[rr];
					last_k = (int)k;
				}
		if (last_f >= 0 && last_k + 1 < (int)p->na) {
			const struct sd_step *s = &a->steps[last_f];
			char next[SD_ATT_NAME + 72];
			int ff, ok, gc, nc = step_conns(r, last_f, &ff, &ok, &gc);

			snprintf(next, sizeof next, "%s.%s", p->a[last_k + 1].name, dom(r));
			/* a cut answer the client connected after counts as resolved */
			if ((s->resolved || sd_step_cut(s)) && nc && !ok) {
				struct sd_finding *f;

				if (p->a_stop_first_resolving) {
					f = add(r, "FALLBACK_STOPPED", SD_SEV_INFO, last_f, ff);
					set_msg(f, "%s resolved and its connection failed; the client did not look up %s (correct for %s: it stops at the first name that resolves, ORIG)",
						s->name, next, p->name);
					set_fix(f, "Make %s work, or delete it so the client falls through to %s", s->name, next);
				} else {
					/* continuing after a failed connection is [blog, confirm] (UCS14): info */
					f = add(r, "STOPPED_EARLY", SD_SEV_INFO, last_f, ff);
					set_msg(f, "%s resolved and its connection failed, but the client did not go on to %s as profile %s does",
						s->name, next, p->name);
					set_fix(f, "Make %s work; check the client version (--profile)", s->name);
				}
				step_frames(r, f, last_f);
				if (f && ff >= 0)
					conn_frames(f, &a->conns[ff], 0);
			} else if (!s->resolved && s->state != SD_STEP_PENDING && !sd_step_cut(s) && s->order == mo) {
				struct sd_finding *f = add(r, "STOPPED_EARLY", SD_SEV_WARN, last_f, -1);

				step_frames(r, f, last_f);
				set_msg(f, "%s did not resolve and the client stopped before %s, which profile %s looks up next",
					s->name, next, p->name);
				set_fix(f, "None on the server; check the client version (--profile)");
			}
		}
		/* SRV stage over with no fallback name asked */
		if (!any_f && p->na && any_srv && !ad_ok) {
			int path_failed = chosen_srv >= 0 && srv_path_ok(r, chosen_srv) != 1;
			struct sd_finding *f = NULL;

			if (chosen_srv < 0 && srv_all_neg) {
				f = add(r, "STOPPED_EARLY", SD_SEV_WARN, -1, -1);
				set_msg(f, "no SRV record for %s and the client looked up no fallback name (%s.%s next)",
					dom(r), p->a[0].name, dom(r));
			} else if (path_failed && !p->a_only_if_no_srv) {
				f = add(r, "STOPPED_EARLY", SD_SEV_INFO, chosen_srv, -1);
				set_msg(f, "the SRV path via %s failed and the client did not go on to %s.%s as profile %s does",
					a->steps[chosen_srv].name, p->a[0].name, dom(r), p->name);
			} else if (path_failed) {
				f = add(r, "FALLBACK_STOPPED", SD_SEV_INFO, chosen_srv, -1);
				set_msg(f, "the SRV path via %s failed and the client looked up no fallback name (what %s does here is open, spec 7.2)",
					a->steps[chosen_srv].name, p->name);
			}
			if (f) {
				for (int role = SD_ROLE_S1; role <= SD_ROLE_S4; role++)
					step_frames(r, f, r->role_step[role]);
				set_fix(f, "Fix the SRV record's target so the SRV path works");
			}
		}
		/* Autodiscover failed and nothing after it (LS13ADU: SRV follows) */
		if ((r->role_step[SD_ROLE_AD1] >= 0 || r->role_step[SD_ROLE_AD2] >= 0) && !ad_ok && !any_srv && !any_f &&
		    (p->nsrv || p->na)) {
			struct sd_finding *f = add(r, "STOPPED_EARLY", SD_SEV_WARN, -1, -1);

			step_frames(r, f, r->role_step[SD_ROLE_AD1]);
			step_frames(r, f, r->role_step[SD_ROLE_AD2]);
			set_msg(f, "Autodiscover failed and the client looked up no SRV record; profile %s goes on to SRV (LS13ADU)",
				p->name);
			set_fix(f, "None on the server; check the client version (--profile)");
		}
	}
}

/* --------------------------------------------------------------- conns */

static void check_conn_outcome(struct rctx *r, size_t ci)
{
	const struct sd_conn *c = &r->a->conns[ci];
	struct sd_finding *f = NULL;
	char ab[SD_ADDRSTRLEN];
	const char *e = expected_for_conn(r, c);
	int recovered = r->success_conn >= 0;
	enum sd_severity sev = recovered ? SD_SEV_INFO : SD_SEV_WARN;

	if (conn_is_ad(r, c))
		return; /* AD_UNREACHABLE covers it */
	sd_addr_str(&c->server, ab, sizeof ab);
	switch (c->outcome) {
	case SD_CONN_REFUSED:
		f = add(r, "CONN_REFUSED", sev, c->step, (int)ci);
		set_msg(f, "%s (%s) refused the connection on port %u", e, ab, c->sport);
		set_fix(f, "Start the SIP service on %s:%u, or open the firewall for it", ab, c->sport);
		break;
	case SD_CONN_RESET:
		f = add(r, "CONN_RESET", sev, c->step, (int)ci);
		set_msg(f, "connection to %s (%s:%u) was reset before the TLS handshake completed", e, ab, c->sport);
		set_fix(f, "Check the service and any load balancer or firewall in front of %s:%u", ab, c->sport);
		break;
	case SD_CONN_TIMEOUT:
		f = add(r, "CONN_TIMEOUT", sev, c->step, (int)ci);
		set_msg(f, "%s (%s) never answered the SYN on port %u", e, ab, c->sport);
		set_fix(f, "Check routing and firewalls to %s:%u, or fix the DNS record that gives %s", ab, c->sport, ab);
		break;
	case SD_CONN_PLAIN_TCP:
		f = add(r, "TRANSPORT_TCP", SD_SEV_WARN, c->step, (int)ci);
		set_msg(f, "client signed in to %s (%s:%u) over plain TCP: unencrypted SIP", e, ab, c->sport);
		set_fix(f, "Publish _sipinternaltls._tcp.%s for the pool and disable TCP in the client policy",
			dom(r));
		break;
	default:
		break;
	}
	if (f)
		conn_frames(f, c, 0);
}

static enum sd_name_mode name_mode(enum sd_cert_name cn)
{
	switch (cn) {
	case SD_CN_RFC2818: return SD_NAME_RFC2818;
	case SD_CN_SAN_ONLY: return SD_NAME_SAN_ONLY;
	default: return SD_NAME_CN_OR_SAN;
	}
}

/* Cert findings on a connection the client accepted cannot have stopped
 * it: the capture overrules the profile, so they drop to warn. */
static enum sd_severity accepted_cap(const struct sd_conn *c, enum sd_severity s)
{
	return c->outcome == SD_CONN_HANDSHAKE_DONE && s == SD_SEV_ERROR ? SD_SEV_WARN : s;
}

static void check_cert(struct rctx *r, size_t ci)
{
	const struct sd_conn *c = &r->a->conns[ci];
	const struct sd_profile *p = r->p;
	const struct sd_cert *leaf;
	const char *e = expected_for_conn(r, c);
	int is_ad = conn_is_ad(r, c);
	int64_t t = c->ts_ns >= 0 ? c->ts_ns / 1000000000 : -1;
	struct sd_finding *f;
	char ab[SD_ADDRSTRLEN];
	int rs = conn_root(r, c);

	sd_addr_str(&c->server, ab, sizeof ab);
	if (c->cert_not_visible || (c->version == 0x0304 && !c->ncerts)) {
		f = add(r, "CERT_NOT_VISIBLE", SD_SEV_INFO, c->step, (int)ci);
		conn_frames(f, c, 0);
		sd_finding_frame(f, c->sh_frame);
		set_msg(f, "%s (%s:%u) negotiated TLS 1.3: the certificate is encrypted, no certificate check possible",
			e, ab, c->sport);
		set_fix(f, "None needed; capture with TLS 1.2 or check the certificate on the server");
		return;
	}
	if (!c->ncerts || !c->certs[0].decoded)
		return;
	leaf = &c->certs[0].cert;

	/* name (spec 3: CERT-SAN / CERT-CN / CERT-WILD; CERT-AD for Autodiscover) */
	if (e[0]) {
		enum sd_name_mode mode = is_ad ? SD_NAME_RFC2818 : name_mode(p->cert_name);
		enum sd_name_match m = sd_x509_match_host(leaf, e, mode);
		enum sd_name_match loose = m == SD_MATCH_NONE ? sd_x509_match_host(leaf, e, SD_NAME_CN_OR_SAN) : m;
		int known = p->cert_name != SD_CN_UNKNOWN;

		if (m == SD_MATCH_NONE) {
			enum sd_severity sev;
			char sans[256] = "";

			if (loose == SD_MATCH_NONE)
				sev = known ? SD_SEV_ERROR : SD_SEV_INFO;
			else if (mode == SD_NAME_SAN_ONLY)
				/* T15: no SAN at all is a documentation breach; T16: SAN present and wrong fails */
				sev = leaf->nsan_dns ? SD_SEV_ERROR : SD_SEV_WARN;
			else
				sev = SD_SEV_INFO; /* rfc2818 reading is [inf] */
			sev = accepted_cap(c, sev);
			for (size_t k = 0; k < leaf->nsan_dns; k++) {
				size_t l = strlen(sans);

				join_s(sans + l, sizeof sans - l, l ? ", " : "", leaf->san_dns[k]);
			}
			f = add(r, is_ad ? "CERT-AD" : "CERT-SAN", sev, c->step, (int)ci);
			conn_frames(f, c, 1);
			set_msg(f, "certificate of %s (%s:%u) does not name %s (CN %s, SAN {%s})%s", e, ab, c->sport, e,
				leaf->cn[0] ? leaf->cn : "-", sans,
				c->outcome == SD_CONN_HANDSHAKE_DONE ? "; the client accepted it anyway" : "");
			if (!is_ad && step_ok(r, rs) && IS_F(r->a->steps[rs].role) && p->a_stop_first_resolving) {
				char next[SD_ATT_NAME + 72] = "";

				for (size_t k = 0; k + 1 < p->na; k++)
					if (!strcmp(p->a[k].name, sd_role_label(r->a->steps[rs].role)))
						snprintf(next, sizeof next, "%s.%s", p->a[k + 1].name, dom(r));
				if (next[0])
					set_fix(f, "Add %s to the certificate's SAN, or delete the %s record so the client falls through to %s",
						e, e, next);
				else
					set_fix(f, "Add %s to the certificate's SAN", e);
			} else {
				set_fix(f, "Add %s to the SAN of the certificate on %s (reissue it)", e, ab);
			}
			if (f && sev == SD_SEV_ERROR) {
				r->cert_reject = 1;
				if (r->events && p->ev_cert_name && !is_ad) {
					f->event_id = p->ev_cert_name;
					snprintf(f->event_text, sizeof f->event_text,
						 "Communicator could not connect securely to server %s because the certificate presented by the server did not match the expected hostname (%s).",
						 e, e);
				}
			}
		} else if (m == SD_MATCH_WILDCARD && !is_ad) {
			f = add(r, "CERT-WILD", lvl_sev(p->cert_wildcard_sip), c->step, (int)ci);
			conn_frames(f, c, 1);
			set_msg(f, "certificate of %s (%s) matches %s only through a wildcard", e, ab, e);
			set_fix(f, "Add %s to the SAN explicitly; wildcards are unsupported for SIP pools/Edge (LS13WC)", e);
		} else if (m == SD_MATCH_CN_ONLY) {
			f = add(r, "CERT-CN", SD_SEV_INFO, c->step, (int)ci);
			conn_frames(f, c, 1);
			set_msg(f, "certificate of %s matches %s in its CN only, not in a SAN (accepted by %s, IOCS3 [conflict])",
				ab, e, p->name);
			set_fix(f, "Add %s to the certificate's SAN: Lync 2013 and later use the SAN only (LS13CE)", e);
		}
	}
	/* validity at capture time */
	if (t >= 0 && (t < leaf->not_before || t > leaf->not_after)) {
		enum sd_severity sev = accepted_cap(c, SD_SEV_ERROR);

		f = add(r, "CERT-TIME", sev, c->step, (int)ci);
		conn_frames(f, c, 1);
		set_msg(f, "certificate of %s (%s) is %s at capture time", e, ab,
			t < leaf->not_before ? "not yet valid" : "expired");
		set_fix(f, "Renew the certificate on %s%s", ab, t < leaf->not_before ? " or fix the server clock" : "");
		if (sev == SD_SEV_ERROR)
			r->cert_reject = 1;
	}
	if (leaf->has_eku && !leaf->eku_server_auth) {
		enum sd_severity sev = accepted_cap(c, p->cert_eku_serverauth ? SD_SEV_ERROR : SD_SEV_INFO);

		f = add(r, "CERT-EKU", sev, c->step, (int)ci);
		conn_frames(f, c, 1);
		set_msg(f, "certificate of %s (%s) lacks the Server Authentication EKU (has %s)", e, ab,
			leaf->eku[0] ? leaf->eku : "none");
		set_fix(f, "Reissue the certificate with EKU Server Authentication (1.3.6.1.5.5.7.3.1)");
		if (sev == SD_SEV_ERROR)
			r->cert_reject = 1;
	}
	/* chain: only against a trust store the user gave (T13) */
	if (r->o && (r->o->ca_file || r->o->ca_path)) {
		struct sd_cert chain[8];
		size_t n = 0;
		char err[256] = "";
		int v;

		for (size_t k = 0; k < c->ncerts && n < 8; k++)
			if (c->certs[k].decoded)
				chain[n++] = c->certs[k].cert;
		v = sd_x509_verify_chain(chain, n, r->o->ca_file, r->o->ca_path, t, err, sizeof err);
		if (v == 0) {
			enum sd_severity sev = accepted_cap(c, SD_SEV_ERROR);

			f = add(r, "CERT-CHAIN", sev, c->step, (int)ci);
			conn_frames(f, c, 1);
			set_msg(f, "certificate chain of %s (%s) does not end at a trusted root: %s", e, ab, err);
			set_fix(f, "Deploy the issuing CA's root to the clients, or have %s send the full chain", ab);
			if (sev == SD_SEV_ERROR)
				r->cert_reject = 1;
		}
	} else {
		f = add(r, "CERT-CHAIN", SD_SEV_INFO, c->step, (int)ci);
		conn_frames(f, c, 1);
		set_msg(f, "certificate chain of %s (%s) not checked: no --ca-file/--ca-path given", e, ab);
		set_fix(f, "Run with --ca-file ROOT.pem to check the chain against the clients' trust store");
	}
	if (sd_x509_weak_signature(leaf)) {
		f = add(r, "CERT-WEAK-SIG", SD_SEV_INFO, c->step, (int)ci);
		conn_frames(f, c, 1);
		set_msg(f, "certificate of %s (%s) is signed with %s", e, ab, leaf->sig_alg);
		set_fix(f, "Reissue with SHA-256 (check OC 2007/XP clients support SHA-2 first, R2PKI)");
	}
	if (sd_x509_weak_key(leaf)) {
		f = add(r, "CERT-WEAK-KEY", SD_SEV_INFO, c->step, (int)ci);
		conn_frames(f, c, 1);
		set_msg(f, "certificate of %s (%s) has a %d-bit %s key", e, ab, leaf->key_bits, leaf->key_type);
		set_fix(f, "Reissue with a 2048-bit RSA key (OCS 2007 R2 supports up to 4096, R2PKI)");
	}
}

/* Several addresses of one name: did the client move on (SFBADV, SFBDNS)? */
static void check_failover(struct rctx *r)
{
	const struct sd_attempt *a = r->a;

	for (size_t i = 0; i < a->nconns; i++) {
		const struct sd_conn *c = &a->conns[i];
		int rs;

		if (!conn_failed(c) || conn_is_ad(r, c) || c->step < 0)
			continue;
		rs = c->step;
		/* the next connection through the same step to another address */
		for (size_t j = i + 1; j < a->nconns; j++) {
			const struct sd_conn *d = &a->conns[j];

			if (d->step != rs || sd_addr_eq(&d->server, &c->server))
				continue;
			if (conn_signed_in(d)) {
				struct sd_finding *f = add(r, "IP_FAILOVER", SD_SEV_INFO, rs, (int)j);
				char x[SD_ADDRSTRLEN], y[SD_ADDRSTRLEN];

				conn_frames(f, c, 0);
				conn_frames(f, d, 0);
				set_msg(f, "%s failed at %s and the client connected to %s instead%s", a->steps[rs].name,
					sd_addr_str(&c->server, x, sizeof x), sd_addr_str(&d->server, y, sizeof y),
					r->p->ip_failover == SD_TRI_NO ? " (profile says this client cannot fail over)" : "");
				set_fix(f, "Fix or remove the DNS record for %s", x);
			}
			i = a->nconns;
			break;
		}
	}
}

/* ----------------------------------------------------------- evidence */

static int check_evidence(struct rctx *r)
{
	struct sd_attempt *a = r->a;
	char why[SD_ATT_TEXT] = "";
	struct sd_finding *f;
	int incomplete = 0;
	uint64_t frames[SD_FINDING_FRAMES];
	size_t nf = 0;

	if (a->evidence_incomplete) {
		incomplete = 1;
		copy_s(why, sizeof why, a->incomplete_why[0] ? a->incomplete_why : "part of the attempt is missing");
		for (size_t i = 0; i < a->nincomplete_frames && nf < SD_FINDING_FRAMES; i++)
			frames[nf++] = a->incomplete_frames[i];
	}
	for (size_t i = 0; i < a->nsteps && !incomplete; i++)
		if (!a->steps[i].frame && a->steps[i].resp_frame && a->steps[i].role <= SD_ROLE_F3) {
			incomplete = 1;
			snprintf(why, sizeof why, "the query for %s is not in the capture (capture starts mid-attempt)",
				 a->steps[i].name);
			frames[nf++] = a->steps[i].resp_frame;
		}
	if (!incomplete && r->p->nsrv && r->role_step[SD_ROLE_S1] < 0 && r->role_step[SD_ROLE_S3] < 0 &&
	    (r->role_step[SD_ROLE_F1] >= 0 || r->role_step[SD_ROLE_F2] >= 0 || r->role_step[SD_ROLE_F3] >= 0) &&
	    !r->p->nad) {
		int first = -1;

		for (int role = SD_ROLE_F1; role <= SD_ROLE_F3; role++)
			if (r->role_step[role] >= 0 && (first < 0 || a->steps[r->role_step[role]].order < a->steps[first].order))
				first = r->role_step[role];
		incomplete = 1;
		snprintf(why, sizeof why, "no SRV lookup before %s: the capture starts mid-attempt", a->steps[first].name);
		frames[nf++] = a->steps[first].frame;
	}
	for (size_t i = 0; i < a->nconns && !incomplete; i++) {
		const struct sd_conn *c = &a->conns[i];

		if (c->gap_bytes && !conn_signed_in(c)) {
			incomplete = 1;
			snprintf(why, sizeof why, "%u bytes of a connection to port %u are missing from the capture",
				 c->gap_bytes, c->sport);
			frames[nf++] = c->gap_frame;
		} else if (c->outcome == SD_CONN_INCOMPLETE && a->end_reason == SD_END_CAPTURE_END) {
			incomplete = 1;
			snprintf(why, sizeof why, "the capture ends before the connection to port %u settled", c->sport);
			frames[nf++] = c->syn_frame;
		} else if (c->outcome == SD_CONN_INCOMPLETE && c->synack_frame) {
			/* established, then silence: neither TLS nor evidence of plain TCP SIP */
			incomplete = 1;
			snprintf(why, sizeof why, "the connection to port %u was established but no TLS handshake is in the capture",
				 c->sport);
			frames[nf++] = c->synack_frame;
		}
	}
	for (size_t i = 0; i < a->nsteps && !incomplete; i++)
		if (a->steps[i].state == SD_STEP_PENDING && a->end_reason == SD_END_CAPTURE_END) {
			incomplete = 1;
			snprintf(why, sizeof why, "the capture ends before %s was answered", a->steps[i].name);
			frames[nf++] = a->steps[i].frame;
		}
	if (!incomplete)
		return 0;
	f = finding_new(a, &r->fcap, "EVIDENCE_INCOMPLETE", SD_SEV_INFO, frames, nf);
	set_msg(f, "%s", why);
	set_fix(f, "Capture the whole sign-in: start the capture before the client starts, stop it after");
	return 1;
}

/* ------------------------------------------------------------------ main */

static int is_rule_code(const char *c)
{
	for (size_t i = 0; rule_codes[i]; i++)
		if (!strcmp(rule_codes[i], c))
			return 1;
	return 0;
}

static uint64_t last_frame(const struct sd_finding *f)
{
	return f->nframes ? f->frames[f->nframes - 1] : 0;
}

size_t sd_rules_check(struct sd_attempt *a, const struct sd_profile *p, const struct sd_rules_opts *o)
{
	struct rctx r;
	size_t keep = 0, nalloc;
	int chosen_srv = -1, ad_ok = 0, incomplete;

	if (!a)
		return 0;
	/* drop what an earlier run produced; keep attempt.c's evidence notes */
	nalloc = a->nfindings; /* at least this many are allocated */
	for (size_t i = 0; i < a->nfindings; i++)
		if (!is_rule_code(a->findings[i].code))
			a->findings[keep++] = a->findings[i];
	a->nfindings = keep;
	a->nevent_ids = 0;
	a->symptom[0] = '\0';
	a->expected_name[0] = '\0';
	a->winning_step = a->winning_conn = -1;
	a->verdict = SD_VERDICT_INCONCLUSIVE;
	a->checked = 1;
	if (!p)
		return a->nfindings;

	memset(&r, 0, sizeof r);
	r.fcap = nalloc;
	r.a = a;
	r.p = p;
	r.o = o;
	r.strict = o && o->strict != SD_STRICT_PROFILE ? o->strict : p->strict_naming;
	r.events = p->events_known == SD_TRI_YES;
	r.success_conn = -1;
	for (int k = 0; k <= SD_ROLE_F3; k++)
		r.role_step[k] = -1;
	for (size_t i = 0; i < a->nsteps; i++) {
		enum sd_role role = a->steps[i].role;

		if (role <= SD_ROLE_F3 &&
		    (r.role_step[role] < 0 || a->steps[i].order < a->steps[r.role_step[role]].order))
			r.role_step[role] = (int)i;
	}
	for (size_t c = 0; c < a->nconns; c++)
		if (conn_signed_in(&a->conns[c]) && !conn_is_ad(&r, &a->conns[c])) {
			r.success_conn = (int)c;
			break;
		}

	incomplete = check_evidence(&r);
	check_ad(&r, &ad_ok);
	check_srv(&r, &chosen_srv);
	check_order(&r);
	check_flow(&r, chosen_srv, ad_ok);
	for (size_t c = 0; c < a->nconns; c++) {
		check_conn_outcome(&r, c);
		check_cert(&r, c);
	}
	check_failover(&r);

	/* verdict */
	if (r.success_conn >= 0) {
		const struct sd_conn *c = &a->conns[r.success_conn];

		a->verdict = c->gap_bytes || c->midstream ? SD_VERDICT_INCONCLUSIVE : SD_VERDICT_SIGNED_IN;
		a->winning_conn = r.success_conn;
		a->winning_step = c->step;
	} else {
		int last_conn = -1, last_step = -1;

		for (size_t c = 0; c < a->nconns; c++)
			if (!conn_is_ad(&r, &a->conns[c]))
				last_conn = (int)c;
		for (size_t i = 0; i < a->nsteps; i++)
			if (a->steps[i].role <= SD_ROLE_F3 &&
			    (last_step < 0 || a->steps[i].order > a->steps[last_step].order))
				last_step = (int)i;
		a->winning_conn = last_conn;
		a->winning_step = last_conn >= 0 ? a->conns[last_conn].step : last_step;
		/* Autodiscover answered but what it named is not in the capture: the
		 * sign-in went on out of sight (HTTPS), so no verdict */
		if (incomplete || !a->nsteps || (ad_ok && last_conn < 0))
			a->verdict = SD_VERDICT_INCONCLUSIVE;
		else
			a->verdict = SD_VERDICT_FAILED;
	}
	if (a->winning_conn >= 0) {
		/* plain TCP SIP shows no certificate, so no name is expected in one */
		if (a->conns[a->winning_conn].outcome != SD_CONN_PLAIN_TCP)
			copy_s(a->expected_name, sizeof a->expected_name, expected_for_conn(&r, &a->conns[a->winning_conn]));
	} else if (step_ok(&r, a->winning_step) && a->steps[a->winning_step].resolved)
		copy_s(a->expected_name, sizeof a->expected_name, a->steps[a->winning_step].name);

	if (a->verdict == SD_VERDICT_FAILED) {
		if (r.cert_reject) {
			copy_s(a->symptom, sizeof a->symptom, p->dlg_cert);
			for (size_t i = 0; i < a->nfindings; i++)
				if (!strncmp(a->findings[i].code, "CERT", 4) && a->findings[i].severity == SD_SEV_ERROR &&
				    !a->findings[i].dialog[0])
					copy_s(a->findings[i].dialog, sizeof a->findings[i].dialog, p->dlg_cert);
		} else {
			/* every discovery step failed at DNS or TCP level */
			struct sd_finding *f = add(&r, "NO_SERVER", SD_SEV_ERROR, a->winning_step, a->winning_conn);
			char tried[SD_ATT_TEXT] = "";
			int multi_addr = 0;

			for (size_t i = 0; i < a->nsteps; i++) {
				size_t l = strlen(tried);

				/* every lookup is evidence (T11: the A answer with three
				 * addresses); only discovery names are listed as tried */
				step_frames(&r, f, (int)i);
				if (a->steps[i].role > SD_ROLE_F3)
					continue;
				join_s(tried + l, sizeof tried - l, l ? ", " : "", a->steps[i].name);
			}
			for (size_t c = 0; c < a->nconns; c++)
				if (!conn_is_ad(&r, &a->conns[c]))
					conn_frames(f, &a->conns[c], 0);
			for (size_t i = 0; i < a->nsteps; i++) {
				size_t naddr = 0;

				for (size_t k = 0; k < a->steps[i].nanswers; k++)
					naddr += a->steps[i].answers[k].type == SD_DNS_T_A ||
						 a->steps[i].answers[k].type == SD_DNS_T_AAAA;
				if (naddr > 1 && a->nconns == 1)
					multi_addr = 1;
			}
			set_msg(f, "no discovery name led to a reachable server (tried %s)%s", tried,
				multi_addr && p->ip_failover == SD_TRI_NO
					? "; the name has more addresses, but this client cannot fail over to them (SFBDNS)"
					: "");
			if (p->nexpect) {
				/* an online service: name the records it needs (O365), not a pool */
				char recs[SD_ATT_TEXT] = "";

				for (size_t k = 0; k < p->nexpect; k++) {
					size_t l = strlen(recs);
					const char *n = p->expect[k].name;

					if (!strncmp(n, "srv.", 4))
						snprintf(recs + l, sizeof recs - l, "%s%s.%s SRV %s", l ? ", " : "", n + 4,
							 dom(&r), p->expect[k].value);
					else
						snprintf(recs + l, sizeof recs - l, "%s%s.%s %s", l ? ", " : "", n, dom(&r),
							 p->expect[k].value);
				}
				set_fix(f, "Create the records %s needs: %s", p->label, recs);
			} else {
				set_fix(f, "Create SRV _sipinternaltls._tcp.%s 0 0 5061 <pool FQDN> with an A record for the pool, or an A record sip.%s, and make the pool reachable",
					dom(&r), dom(&r));
			}
			if (f)
				copy_s(f->dialog, sizeof f->dialog, p->dlg_no_server);
			copy_s(a->symptom, sizeof a->symptom, p->dlg_no_server);
			r.no_server = 1;
		}
	} else if (a->verdict == SD_VERDICT_SIGNED_IN && r.trust_dialog) {
		copy_s(a->symptom, sizeof a->symptom, p->dlg_trust);
	}
	if (r.trust_dialog)
		for (size_t i = 0; i < a->nfindings; i++)
			if (!strcmp(a->findings[i].code, "SRV-STRICT") && a->findings[i].severity == SD_SEV_WARN)
				copy_s(a->findings[i].dialog, sizeof a->findings[i].dialog, p->dlg_trust);

	/* client events in logging order: each is logged when its evidence completes */
	{
		size_t idx[SD_ATT_EVENTS];
		size_t n = 0;

		for (size_t i = 0; i < a->nfindings && n < SD_ATT_EVENTS; i++)
			if (a->findings[i].event_id > 0)
				idx[n++] = i;
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && last_frame(&a->findings[idx[j]]) < last_frame(&a->findings[idx[j - 1]]); j--) {
				size_t t = idx[j];

				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		for (size_t i = 0; i < n; i++)
			a->event_ids[i] = a->findings[idx[i]].event_id;
		a->nevent_ids = n;
	}
	return a->nfindings;
}
