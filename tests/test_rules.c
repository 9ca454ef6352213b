/*
 * test_rules.c - the profile parser and the rule engine on hand-built
 * attempts: steps, answers and connections as attempt.c would fill them,
 * with real certificates made here by OpenSSL, so every check is pinned to
 * exact codes, severities, events, frames and verdicts (spec section 6).
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"
#include "dns.h"
#include "profile.h"
#include "rules.h"
#include "testutil.h"
#include "x509.h"

#define T0 1700000000LL /* capture time (seconds) */

static struct sd_profiles *g_ps;
static uint64_t g_frame;

/* ------------------------------------------------------------- builders */

static const struct sd_profile *prof(const char *name)
{
	const struct sd_profile *p = sd_profiles_get(g_ps, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static struct sd_attempt *att(const char *d)
{
	struct sd_attempt *a = calloc(1, sizeof *a);

	snprintf(a->domain, sizeof a->domain, "%s", d);
	a->end_reason = SD_END_GAVE_UP;
	a->winning_step = a->winning_conn = -1;
	g_frame = 0;
	return a;
}

/* One lookup answered with rcode (answers added after). */
static int step(struct sd_attempt *a, enum sd_role role, const char *name, int rcode, int parent)
{
	struct sd_step *s;

	a->steps = realloc(a->steps, (a->nsteps + 1) * sizeof *s);
	s = &a->steps[a->nsteps];
	memset(s, 0, sizeof *s);
	s->order = (unsigned)a->nsteps + 1;
	s->role = role;
	s->parent = parent;
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->queried, sizeof s->queried, "%s", name);
	s->qtype = role >= SD_ROLE_S1 && role <= SD_ROLE_S4 ? SD_DNS_T_SRV : SD_DNS_T_A;
	s->transport = 17;
	s->state = rcode < 0 ? SD_STEP_UNANSWERED : SD_STEP_ANSWERED;
	s->frame = ++g_frame;
	s->resp_frame = rcode < 0 ? 0 : ++g_frame;
	s->rcode = rcode;
	s->rtt_ns = -1;
	s->ts_ns = T0 * 1000000000LL;
	s->conn = -1;
	s->queries = calloc(1, sizeof *s->queries);
	s->nqueries = 1;
	snprintf(s->queries[0].qname, sizeof s->queries[0].qname, "%s", name);
	s->queries[0].qtype = s->qtype;
	s->queries[0].frame = s->frame;
	s->queries[0].resp_frame = s->resp_frame;
	s->queries[0].rcode = rcode;
	return (int)a->nsteps++;
}

static struct sd_answer *ans(struct sd_attempt *a, int si, uint16_t type, const char *owner)
{
	struct sd_step *s = &a->steps[si];
	struct sd_answer *r;

	s->answers = realloc(s->answers, (s->nanswers + 1) * sizeof *r);
	r = &s->answers[s->nanswers++];
	memset(r, 0, sizeof *r);
	r->type = type;
	r->section = SD_DNS_AN;
	r->ttl = 3600;
	snprintf(r->owner, sizeof r->owner, "%s", owner);
	r->frame = s->resp_frame;
	return r;
}

static void ans_a(struct sd_attempt *a, int si, const char *ip)
{
	struct sd_answer *r = ans(a, si, SD_DNS_T_A, a->steps[si].canonical[0] ? a->steps[si].canonical : a->steps[si].name);

	sd_addr_parse(ip, &r->addr);
	a->steps[si].resolved = 1;
}

static void ans_cname(struct sd_attempt *a, int si, const char *target)
{
	struct sd_answer *r = ans(a, si, SD_DNS_T_CNAME, a->steps[si].name);

	snprintf(r->target, sizeof r->target, "%s", target);
	a->steps[si].via_cname = 1;
	snprintf(a->steps[si].canonical, sizeof a->steps[si].canonical, "%s", target);
}

static void ans_srv(struct sd_attempt *a, int si, const char *target, uint16_t port, uint16_t prio)
{
	struct sd_answer *r = ans(a, si, SD_DNS_T_SRV, a->steps[si].name);

	snprintf(r->target, sizeof r->target, "%s", target);
	r->port = port;
	r->priority = prio;
	a->steps[si].resolved = 1;
}

static int conn(struct sd_attempt *a, int si, const char *ip, uint16_t port, enum sd_conn_outcome o)
{
	struct sd_conn *c;

	a->conns = realloc(a->conns, (a->nconns + 1) * sizeof *c);
	c = &a->conns[a->nconns];
	memset(c, 0, sizeof *c);
	c->conn_id = a->nconns + 1;
	sd_addr_parse("10.0.0.99", &c->client);
	sd_addr_parse(ip, &c->server);
	c->cport = 50000;
	c->sport = port;
	c->step = si;
	c->outcome = o;
	c->ts_ns = T0 * 1000000000LL;
	c->syn_frame = ++g_frame;
	if (o == SD_CONN_REFUSED || o == SD_CONN_TIMEOUT) {
		c->end_frame = ++g_frame;
	} else {
		c->synack_frame = ++g_frame;
		if (o == SD_CONN_RESET) {
			c->end_frame = ++g_frame;
		} else if (o != SD_CONN_PLAIN_TCP) {
			c->ch_frame = ++g_frame;
			c->sh_frame = ++g_frame;
			c->has_ch = c->has_sh = 1;
			c->version = 0x0303;
			if (o == SD_CONN_TLS_ALERT)
				c->alert_frame = ++g_frame;
			else if (o == SD_CONN_CLOSED)
				c->end_frame = ++g_frame;
			else
				c->enc_frame = ++g_frame;
		}
	}
	if (si >= 0 && a->steps[si].conn < 0)
		a->steps[si].conn = (int)a->nconns;
	return (int)a->nconns++;
}

/* ----------------------------------------------------------- certificates */

static EVP_PKEY *g_key, *g_cakey, *g_ca2key;
static X509 *g_ca, *g_ca2;

struct certspec {
	const char *cn;
	const char *san;      /* "DNS:a,DNS:b" or NULL */
	long nb, na;          /* offsets to T0 in seconds */
	const char *eku;      /* "serverAuth" or NULL */
	int sha1;
	EVP_PKEY *key;        /* NULL = g_key */
	X509 *issuer;         /* NULL = self-signed */
	EVP_PKEY *ikey;
	int ca;
};

static X509 *mkx509(const struct certspec *cs)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	EVP_PKEY *key = cs->key ? cs->key : g_key;
	static long serial = 1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(T0 + cs->nb));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T0 + cs->na));
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cs->cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, cs->issuer ? X509_get_subject_name(cs->issuer) : n);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, cs->issuer ? cs->issuer : x, x, NULL, NULL, 0);
	if (cs->san) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, cs->san);

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (cs->eku) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, cs->eku);

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (cs->ca) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, cs->ikey ? cs->ikey : key, cs->sha1 ? EVP_sha1() : EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static void add_x509(struct sd_attempt *a, int ci, X509 *x)
{
	struct sd_conn *c = &a->conns[ci];
	struct sd_conn_cert *cc;
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	char err[128];

	CU_ASSERT_FATAL(len > 0);
	c->certs = realloc(c->certs, (c->ncerts + 1) * sizeof *cc);
	cc = &c->certs[c->ncerts++];
	memset(cc, 0, sizeof *cc);
	cc->der = malloc((size_t)len);
	memcpy(cc->der, der, (size_t)len);
	cc->der_len = (size_t)len;
	OPENSSL_free(der);
	cc->decoded = sd_x509_decode(cc->der, cc->der_len, &cc->cert, err, sizeof err) == 0;
	CU_ASSERT_FATAL(cc->decoded);
	c->certs_total = c->ncerts;
	if (!c->cert_frame)
		c->cert_frame = c->sh_frame; /* Certificate in the ServerHello flight */
}

static void add_cert(struct sd_attempt *a, int ci, const struct certspec *cs)
{
	X509 *x = mkx509(cs);

	add_x509(a, ci, x);
	X509_free(x);
}

/* A good server certificate for the names given. */
static void good_cert(struct sd_attempt *a, int ci, const char *cn, const char *san)
{
	struct certspec cs = { cn, san, -86400, 86400 * 365, "serverAuth", 0, NULL, NULL, NULL, 0 };

	add_cert(a, ci, &cs);
}

/* ------------------------------------------------------------ assertions */

static const struct sd_finding *find(const struct sd_attempt *a, const char *code)
{
	for (size_t i = 0; i < a->nfindings; i++)
		if (!strcmp(a->findings[i].code, code))
			return &a->findings[i];
	return NULL;
}

static size_t count(const struct sd_attempt *a, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nfindings; i++)
		n += !strcmp(a->findings[i].code, code);
	return n;
}

/* Findings above info, as "CODE:sev CODE:sev" in order. */
static const char *loud(const struct sd_attempt *a)
{
	static char buf[1024];
	size_t l = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->nfindings; i++)
		if (a->findings[i].severity > SD_SEV_INFO)
			l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s:%s", l ? " " : "", a->findings[i].code,
					      a->findings[i].severity == SD_SEV_ERROR ? "error" : "warn");
	return buf;
}

static void dump(const struct sd_attempt *a)
{
	if (!getenv("SD_TEST_VERBOSE"))
		return;
	fprintf(stderr, "\n-- verdict %d symptom [%s] events", a->verdict, a->symptom);
	for (size_t i = 0; i < a->nevent_ids; i++)
		fprintf(stderr, " %d", a->event_ids[i]);
	fprintf(stderr, "\n");
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct sd_finding *f = &a->findings[i];

		fprintf(stderr, "  %s:%d ev%d [", f->code, f->severity, f->event_id);
		for (size_t k = 0; k < f->nframes; k++)
			fprintf(stderr, "%s%llu", k ? "," : "", (unsigned long long)f->frames[k]);
		fprintf(stderr, "] %s | %s\n", f->message, f->fix);
	}
}

static void check(struct sd_attempt *a, const char *profile, const struct sd_rules_opts *o)
{
	static const struct sd_rules_opts none = { SD_STRICT_PROFILE, NULL, NULL };

	sd_rules_check(a, prof(profile), o ? o : &none);
	dump(a);
}

#define LOUD(a, s)                                                                                  \
	do {                                                                                        \
		if (strcmp(loud(a), s))                                                             \
			fprintf(stderr, "\n%s:%d: findings \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
				loud(a), s);                                                        \
		CU_ASSERT_STRING_EQUAL(loud(a), s);                                                 \
	} while (0)

/* ======================================================== profile parser */

static void test_profiles_shipped(void)
{
	static const char *const names[] = { "oc2007", "oc2007r2", "oc2007r2-beta", "lync2010", "lync2010-cu",
					     "lync2013", "sfb", "sfb-online", "store-app", "cpe2007r2", "lpe2010" };
	const struct sd_profile *p;

	CU_ASSERT_EQUAL(g_ps->n, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CU_ASSERT_PTR_NOT_NULL(sd_profiles_get(g_ps, names[i]));
	p = prof("oc2007");
	CU_ASSERT_EQUAL(p->nsrv, 4);
	CU_ASSERT_TRUE(p->srv[1].optional);
	CU_ASSERT_FALSE(p->srv[1].tls);
	CU_ASSERT_EQUAL(p->na, 3);
	CU_ASSERT_EQUAL(p->a[1].nports, 2);
	CU_ASSERT_EQUAL(p->a[1].ports[0], 5061);
	CU_ASSERT_EQUAL(p->a[1].ports[1], 443);
	CU_ASSERT_EQUAL(p->ev_no_srv, 1);
	CU_ASSERT_EQUAL(p->ev_name_unresolved, 3);
	CU_ASSERT_EQUAL(p->ev_cert_name, 4);
	CU_ASSERT_EQUAL(p->events_known, SD_TRI_YES);
	CU_ASSERT_EQUAL(p->cert_name, SD_CN_CN_OR_SAN);
	CU_ASSERT_EQUAL(p->out_of_domain, SD_LVL_ERROR);
	CU_ASSERT_EQUAL(p->sni, SD_TRI_UNKNOWN);
	CU_ASSERT_TRUE(p->a_only_if_no_srv);
	CU_ASSERT_TRUE(p->a_stop_first_resolving);
	CU_ASSERT_STRING_EQUAL(p->dlg_no_server,
			       "Cannot sign in because the server is temporarily unavailable. If the problem persists, contact your system administrator.");
	/* variants: R2 beta order, Lync 2010 CU with Autodiscover; both [conflict] */
	p = prof("oc2007r2-beta");
	CU_ASSERT_STRING_EQUAL(p->a[0].name, "sip");
	CU_ASSERT_STRING_EQUAL(p->a[1].name, "sipinternal");
	CU_ASSERT_EQUAL(p->nsrv, 4);
	CU_ASSERT_TRUE(p->conflict);
	CU_ASSERT_FALSE(prof("oc2007r2")->conflict);
	CU_ASSERT_EQUAL(prof("oc2007r2")->nsrv, 3);
	p = prof("lync2010-cu");
	CU_ASSERT_EQUAL(p->nad, 2);
	CU_ASSERT_TRUE(p->conflict);
	CU_ASSERT_EQUAL(prof("lync2010")->nad, 0);
	/* lync2010 inherits the R2 lists but resets events to unknown */
	p = prof("lync2010");
	CU_ASSERT_EQUAL(p->events_known, SD_TRI_UNKNOWN);
	CU_ASSERT_EQUAL(p->ev_no_srv, 0);
	CU_ASSERT_EQUAL(p->ip_failover, SD_TRI_UNKNOWN);
	CU_ASSERT_EQUAL(p->out_of_domain, SD_LVL_WARN);
	CU_ASSERT_EQUAL(p->cert_name, SD_CN_RFC2818);
	CU_ASSERT_STRING_EQUAL(p->dlg_no_server, "");
	p = prof("sfb");
	CU_ASSERT_EQUAL(p->nsrv, 2);
	CU_ASSERT_EQUAL(sd_profile_step_index(p, SD_ROLE_S2), -1);
	CU_ASSERT_EQUAL(sd_profile_step_index(p, SD_ROLE_S3), 1);
	CU_ASSERT_EQUAL(p->ntrusted, 4);
	CU_ASSERT_EQUAL(p->cert_name, SD_CN_SAN_ONLY);
	CU_ASSERT_EQUAL(prof("sfb-online")->nignore, 1);
	CU_ASSERT_STRING_EQUAL(prof("sfb-online")->dlg_no_server, "Server is temporarily unavailable");
	p = prof("store-app");
	CU_ASSERT_EQUAL(p->nsrv + p->na, 0);
	CU_ASSERT_EQUAL(p->cert_wildcard_sip, SD_LVL_UNKNOWN);
	CU_ASSERT_TRUE(p->revocation_enforced);
	p = prof("cpe2007r2");
	CU_ASSERT_STRING_EQUAL(p->srv[1].name, "_sip._tls");
	CU_ASSERT_TRUE(p->suffix_retry_expected);
	CU_ASSERT_EQUAL(p->a[0].nports, 2);
	p = prof("lpe2010");
	CU_ASSERT_FALSE(p->supported);
	CU_ASSERT_FALSE(p->auto_ok);
}

static void test_profiles_parse(void)
{
	static const char txt[] =
		"; header\n"
		"[defaults]\n"
		"strict_naming = narrow\n"
		"[profile b]\n"
		"inherit = a            ; defined below: inherit looks ahead\n"
		"label = \"B; with semicolon\"\n"
		"a = x:1|2|3, y?\n"
		"future_key = whatever  ; unknown keys are harmless\n"
		"variant.v.a = y, x\n"
		"variant.v.events = unknown\n"
		"[profile a]\n"
		"srv = _s._tcp:tcp?, _t._tls\n"
		"events = no_srv:7\n"
		"dialogs = no_server:\"x, y\", cert:\"c\"\n"
		"ip_failover = unknown\n";
	char err[256];
	struct sd_profiles *ps = sd_profiles_parse(txt, sizeof txt - 1, "t.ini", err, sizeof err);
	const struct sd_profile *b, *bv, *a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_EQUAL(ps->n, 3);
	b = sd_profiles_get(ps, "b");
	bv = sd_profiles_get(ps, "b-v");
	a = sd_profiles_get(ps, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(ps->p[0].name, "b");
	CU_ASSERT_STRING_EQUAL(ps->p[1].name, "b-v");
	CU_ASSERT_STRING_EQUAL(b->label, "B; with semicolon");
	CU_ASSERT_EQUAL(b->strict_naming, SD_STRICT_NARROW);
	CU_ASSERT_EQUAL(b->nsrv, 2);
	CU_ASSERT_TRUE(b->srv[0].optional);
	CU_ASSERT_FALSE(b->srv[0].tls);
	CU_ASSERT_TRUE(b->srv[1].tls);
	CU_ASSERT_EQUAL(b->na, 2);
	CU_ASSERT_EQUAL(b->a[0].nports, 3);
	CU_ASSERT_EQUAL(b->a[0].ports[2], 3);
	CU_ASSERT_TRUE(b->a[1].optional);
	CU_ASSERT_EQUAL(b->ev_no_srv, 7);
	CU_ASSERT_STRING_EQUAL(b->dlg_no_server, "x, y");
	CU_ASSERT_STRING_EQUAL(b->dlg_cert, "c");
	CU_ASSERT_EQUAL(b->ip_failover, SD_TRI_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(bv->a[0].name, "y");
	CU_ASSERT_EQUAL(bv->events_known, SD_TRI_UNKNOWN);
	CU_ASSERT_EQUAL(bv->ev_no_srv, 0);
	CU_ASSERT_EQUAL(bv->nsrv, 2);
	CU_ASSERT_EQUAL(a->na, 0);
	sd_profiles_free(ps);
}

static void expect_err(const char *txt, const char *msg)
{
	char err[256] = "";
	struct sd_profiles *ps = sd_profiles_parse(txt, strlen(txt), "t.ini", err, sizeof err);

	CU_ASSERT_PTR_NULL(ps);
	if (strcmp(err, msg))
		fprintf(stderr, "\nerror \"%s\", want \"%s\"\n", err, msg);
	CU_ASSERT_STRING_EQUAL(err, msg);
	sd_profiles_free(ps);
}

static void test_profiles_errors(void)
{
	expect_err("[profile a]\nlabel = x\nnonsense\n", "t.ini:3: expected KEY = VALUE");
	expect_err("x = 1\n", "t.ini:1: KEY = VALUE before any section");
	expect_err("[profile a]\ninherit = zz\n", "t.ini:2: inherit: no profile \"zz\"");
	expect_err("[profile a]\ninherit = b\n[profile b]\ninherit = a\n",
		   "t.ini:3: inherit chain of [profile b] too deep (a cycle?)");
	expect_err("[profile a]\nip_failover = maybe\n", "t.ini:2: ip_failover: expected yes, no or unknown, got \"maybe\"");
	expect_err("[profile a]\na = sip:99999\n", "t.ini:2: a: bad port in \"sip\"");
	expect_err("[profile a]\nsrv = _s._tcp:udp\n", "t.ini:2: srv: transport of \"_s._tcp\" must be tls or tcp");
	expect_err("[other]\n", "t.ini:1: unknown section [other]");
	expect_err("[profile a]\n[profile a]\n", "t.ini:2: profile \"a\" defined twice");
	expect_err("[profile a]\ndialogs = cert:\"open\n", "t.ini:2: dialogs: unterminated quoted text");
	expect_err("[profile a]\nvariant.x = 1\n", "t.ini:2: expected variant.NAME.KEY, got \"variant.x\"");
	expect_err("[profile a]\nevents = no_srv:x\n", "t.ini:2: events: bad event ID \"x\"");
}

static void test_profiles_load(void)
{
	char err[256];
	struct sd_profiles *ps = sd_profiles_load("/nonexistent/p.ini", err, sizeof err);

	CU_ASSERT_PTR_NULL(ps);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/p.ini: No such file or directory");
	setenv("SIPDISC_PROFILES", sd_srcpath("data/profiles.ini"), 1);
	ps = sd_profiles_load(NULL, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL(ps);
	if (ps)
		CU_ASSERT_STRING_EQUAL(ps->origin, sd_srcpath("data/profiles.ini"));
	sd_profiles_free(ps);
	unsetenv("SIPDISC_PROFILES");
}

static const char *auto_pick(struct sd_attempt *a)
{
	static char why[SD_ATT_TEXT];
	const struct sd_profile *p = sd_profile_auto(g_ps, a, why, sizeof why);

	return p ? p->name : "(null)";
}

static void test_profile_auto(void)
{
	struct sd_attempt *a = att("d.example");
	int f1;

	step(a, SD_ROLE_S1, "_sipinternaltls._tcp.d.example", 3, -1);
	step(a, SD_ROLE_S4, "_sip._tcp.d.example", 3, -1);
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "oc2007");
	sd_attempt_free(a);

	a = att("d.example");
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp.d.example", 3, -1);
	step(a, SD_ROLE_F2, "sip.d.example", 3, -1);
	step(a, SD_ROLE_F1, "sipinternal.d.example", 3, -1);
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "oc2007r2-beta");
	sd_attempt_free(a);

	a = att("d.example");
	step(a, SD_ROLE_AD1, "lyncdiscoverinternal.d.example", 3, -1);
	step(a, SD_ROLE_AD2, "lyncdiscover.d.example", 3, -1);
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "store-app");
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp.d.example", 3, -1);
	step(a, SD_ROLE_S3, "_sip._tls.d.example", 3, -1);
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "sfb");
	step(a, SD_ROLE_S2, "_sipinternal._tcp.d.example", 3, -1);
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "lync2013");
	sd_attempt_free(a);

	a = att("d.example");
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp.d.example", 3, -1);
	f1 = step(a, SD_ROLE_F1, "sipinternal.d.example", 0, -1);
	ans_a(a, f1, "10.0.0.5");
	conn(a, f1, "10.0.0.5", 5061, SD_CONN_REFUSED);
	conn(a, f1, "10.0.0.5", 443, SD_CONN_HANDSHAKE_DONE);
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "cpe2007r2");
	sd_attempt_free(a);

	a = att("d.example");
	CU_ASSERT_STRING_EQUAL(auto_pick(a), "oc2007");
	sd_attempt_free(a);
}

/* ============================================ the lab story (ORIG, T02-T04) */

#define D "schertz.local"

static void srv_all_nx(struct sd_attempt *a)
{
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp." D, 3, -1);
	step(a, SD_ROLE_S2, "_sipinternal._tcp." D, 3, -1);
	step(a, SD_ROLE_S3, "_sip._tls." D, 3, -1);
	step(a, SD_ROLE_S4, "_sip._tcp." D, 3, -1);
}

static void test_story_1_no_records(void)
{
	struct sd_attempt *a = att(D);
	const struct sd_finding *f;

	srv_all_nx(a);                                /* frames 1-8 */
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1); /* 9-10 */
	step(a, SD_ROLE_F2, "sip." D, 3, -1);         /* 11-12 */
	step(a, SD_ROLE_F3, "sipexternal." D, 3, -1); /* 13-14 */
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	LOUD(a, "NO_SERVER:error");
	CU_ASSERT_EQUAL_FATAL(a->nevent_ids, 4);
	CU_ASSERT_EQUAL(a->event_ids[0], 1);
	CU_ASSERT_EQUAL(a->event_ids[1], 3);
	CU_ASSERT_EQUAL(a->event_ids[2], 3);
	CU_ASSERT_EQUAL(a->event_ids[3], 3);
	CU_ASSERT_STRING_EQUAL(a->symptom,
			       "Cannot sign in because the server is temporarily unavailable. If the problem persists, contact your system administrator.");
	f = find(a, "NO_SRV");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->severity, SD_SEV_INFO);
	CU_ASSERT_STRING_EQUAL(f->event_text,
			       "Communicator was unable to locate the login server. No DNS SRV records exist for domain schertz.local, so Communicator was unable to login.");
	CU_ASSERT_EQUAL(f->nframes, 8);
	CU_ASSERT_EQUAL(f->frames[0], 1);
	CU_ASSERT_EQUAL(f->frames[7], 8);
	CU_ASSERT_EQUAL(count(a, "NAME_UNRESOLVED"), 3);
	f = find(a, "NAME_UNRESOLVED");
	CU_ASSERT_STRING_EQUAL(f->event_text,
			       "Communicator was unable to resolve the DNS hostname of the login server sipinternal.schertz.local.");
	CU_ASSERT_EQUAL(f->nframes, 2);
	CU_ASSERT_EQUAL(f->frames[0], 9);
	CU_ASSERT_EQUAL(f->frames[1], 10);
	f = find(a, "NO_SERVER");
	CU_ASSERT_EQUAL(f->nframes, 14);
	CU_ASSERT_STRING_EQUAL(f->dialog, a->symptom);
	CU_ASSERT_PTR_NULL(find(a, "STOPPED_EARLY"));
	CU_ASSERT_PTR_NULL(find(a, "ORDER_MISMATCH"));
	sd_attempt_free(a);
}

static void test_story_2_cname_cert(void)
{
	struct sd_attempt *a = att(D);
	const struct sd_finding *f;
	int f1, c;

	srv_all_nx(a);
	f1 = step(a, SD_ROLE_F1, "sipinternal." D, 0, -1);
	ans_cname(a, f1, "pool." D);
	ans_a(a, f1, "10.0.0.10");
	c = conn(a, f1, "10.0.0.10", 5061, SD_CONN_CLOSED); /* 11 SYN .. 15 FIN */
	good_cert(a, c, "pool." D, "DNS:pool." D ",DNS:sip." D);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	LOUD(a, "CERT-SAN:error");
	CU_ASSERT_EQUAL_FATAL(a->nevent_ids, 2);
	CU_ASSERT_EQUAL(a->event_ids[0], 1);
	CU_ASSERT_EQUAL(a->event_ids[1], 4);
	CU_ASSERT_STRING_EQUAL(a->expected_name, "sipinternal." D);
	CU_ASSERT_EQUAL(a->winning_conn, 0);
	CU_ASSERT_EQUAL(a->winning_step, f1);
	CU_ASSERT_STRING_EQUAL(a->symptom,
			       "There was a problem verifying the certificate from the server. Please contact your system administrator.");
	f = find(a, "CERT-SAN");
	CU_ASSERT_STRING_EQUAL(f->event_text,
			       "Communicator could not connect securely to server sipinternal.schertz.local because the certificate presented by the server did not match the expected hostname (sipinternal.schertz.local).");
	CU_ASSERT_STRING_EQUAL(f->fix,
			       "Add sipinternal.schertz.local to the certificate's SAN, or delete the sipinternal.schertz.local record so the client falls through to sip.schertz.local");
	CU_ASSERT_STRING_EQUAL(f->dialog, a->symptom);
	/* SYN, SYN-ACK, Certificate (in the ServerHello flight), FIN */
	CU_ASSERT_EQUAL(f->nframes, 4);
	CU_ASSERT_EQUAL(f->frames[0], 11);
	CU_ASSERT_EQUAL(f->frames[2], 14);
	f = find(a, "FALLBACK_STOPPED");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->severity, SD_SEV_INFO);
	CU_ASSERT_PTR_NULL(find(a, "NO_SERVER"));
	CU_ASSERT_PTR_NULL(find(a, "NAME_UNRESOLVED"));
	sd_attempt_free(a);
}

static void test_story_3_sip_record(void)
{
	struct sd_attempt *a = att(D);
	int f2, c;

	srv_all_nx(a);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	f2 = step(a, SD_ROLE_F2, "sip." D, 0, -1);
	ans_a(a, f2, "10.0.0.10");
	c = conn(a, f2, "10.0.0.10", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." D, "DNS:pool." D ",DNS:sip." D);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	LOUD(a, "");
	CU_ASSERT_EQUAL_FATAL(a->nevent_ids, 2);
	CU_ASSERT_EQUAL(a->event_ids[0], 1);
	CU_ASSERT_EQUAL(a->event_ids[1], 3);
	CU_ASSERT_STRING_EQUAL(a->symptom, "");
	CU_ASSERT_STRING_EQUAL(a->expected_name, "sip." D);
	CU_ASSERT_EQUAL(a->winning_step, f2);
	CU_ASSERT_EQUAL(count(a, "NAME_UNRESOLVED"), 1);
	CU_ASSERT_EQUAL(find(a, "CERT-CHAIN")->severity, SD_SEV_INFO);
	sd_attempt_free(a);
}

/* T04: the CNAME'd fallback name in the SAN is fine */
static void test_t04_cname_fallback_ok(void)
{
	struct sd_attempt *a = att(D);
	int f1, c;

	srv_all_nx(a);
	f1 = step(a, SD_ROLE_F1, "sipinternal." D, 0, -1);
	ans_cname(a, f1, "pool." D);
	ans_a(a, f1, "10.0.0.10");
	c = conn(a, f1, "10.0.0.10", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." D, "DNS:pool." D ",DNS:sipinternal." D);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	LOUD(a, "");
	sd_attempt_free(a);
}

/* ============================================================== SRV rules */

#define E "contoso.com"

/* S1 -> target, target A, connection; returns the connection */
static int srv_path(struct sd_attempt *a, const char *target, uint16_t port, enum sd_conn_outcome o)
{
	int s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1);
	int t;

	ans_srv(a, s1, target, port, 0);
	t = step(a, SD_ROLE_SRV_TARGET, target, 0, s1);
	ans_a(a, t, "10.1.0.1");
	return conn(a, t, "10.1.0.1", port, o);
}

static void test_t01_pass(void)
{
	struct sd_attempt *a = att(E);
	int c = srv_path(a, "pool." E, 5061, SD_CONN_HANDSHAKE_DONE);

	good_cert(a, c, "pool." E, "DNS:pool." E);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	LOUD(a, "");
	CU_ASSERT_STRING_EQUAL(a->expected_name, "pool." E);
	CU_ASSERT_EQUAL(a->nevent_ids, 0);
	CU_ASSERT_EQUAL(a->winning_step, 1);
	sd_attempt_free(a);
}

static void test_t05_srv_alias(void)
{
	struct sd_attempt *a = att(E);
	int s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1), t, c;
	const struct sd_finding *f;

	ans_srv(a, s1, "alias." E, 5061, 0);
	t = step(a, SD_ROLE_SRV_TARGET, "alias." E, 0, s1);
	ans_cname(a, t, "pool." E);
	ans_a(a, t, "10.1.0.1");
	c = conn(a, t, "10.1.0.1", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." E, "DNS:pool." E ",DNS:alias." E);
	check(a, "lync2013", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_STRING_EQUAL(a->expected_name, "alias." E);
	f = find(a, "SRV-ALIAS");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->severity, SD_SEV_ERROR);
	CU_ASSERT_EQUAL(f->nframes, 4); /* SRV query+response, target query+response */
	CU_ASSERT_EQUAL(f->frames[3], 4);
	CU_ASSERT_EQUAL(count(a, "SRV-ALIAS"), 1);
	sd_attempt_free(a);
}

static void test_t06_t07_strict(void)
{
	struct sd_attempt *a = att("litwareinc.com");
	int s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp.litwareinc.com", 0, -1);
	const struct sd_finding *f;

	ans_srv(a, s1, "pool01.fabrikam.com", 5061, 0);
	step(a, SD_ROLE_F1, "sipinternal.litwareinc.com", 3, -1);
	check(a, "oc2007", NULL);
	f = find(a, "SRV-STRICT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->severity, SD_SEV_ERROR);
	/* the observed continuation: F1 after an answered SRV is an open question (7.1) */
	CU_ASSERT_EQUAL(find(a, "WENT_ON_AFTER_SUCCESS")->severity, SD_SEV_INFO);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	sd_attempt_free(a);

	a = att("litwareinc.com");
	{
		int t, c;

		s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp.litwareinc.com", 0, -1);
		ans_srv(a, s1, "pool01.fabrikam.com", 5061, 0);
		t = step(a, SD_ROLE_SRV_TARGET, "pool01.fabrikam.com", 0, s1);
		ans_a(a, t, "10.1.0.1");
		c = conn(a, t, "10.1.0.1", 5061, SD_CONN_HANDSHAKE_DONE);
		good_cert(a, c, "pool01.fabrikam.com", "DNS:pool01.fabrikam.com");
	}
	check(a, "lync2010", NULL);
	LOUD(a, "SRV-STRICT:warn");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_STRING_EQUAL(a->symptom,
			       "Lync cannot verify that the server is trusted for your sign-in address. Connect anyway?");
	CU_ASSERT_STRING_EQUAL(find(a, "SRV-STRICT")->dialog, a->symptom);
	/* strict=off switches it off */
	{
		struct sd_rules_opts o = { SD_STRICT_OFF, NULL, NULL };

		check(a, "lync2010", &o);
		LOUD(a, "");
	}
	sd_attempt_free(a);
}

static void test_t08_narrow(void)
{
	struct sd_attempt *a = att(E);
	int c = srv_path(a, "pool.corp." E, 5061, SD_CONN_HANDSHAKE_DONE);
	struct sd_rules_opts narrow = { SD_STRICT_NARROW, NULL, NULL };

	good_cert(a, c, "pool.corp." E, "DNS:pool.corp." E);
	check(a, "oc2007", NULL);
	LOUD(a, "");
	check(a, "oc2007", &narrow);
	LOUD(a, "SRV-STRICT:warn");
	sd_attempt_free(a);

	/* with sip.D in the SAN, narrow is satisfied (LS13CI) */
	a = att(E);
	c = srv_path(a, "pool.corp." E, 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool.corp." E, "DNS:pool.corp." E ",DNS:sip." E);
	check(a, "oc2007", &narrow);
	LOUD(a, "");
	sd_attempt_free(a);
}

static void test_t09_notarget(void)
{
	struct sd_attempt *a = att(E);
	int s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1);

	ans_srv(a, s1, "gone." E, 5061, 0);
	step(a, SD_ROLE_SRV_TARGET, "gone." E, 3, s1);
	check(a, "oc2007", NULL);
	LOUD(a, "SRV-NOTARGET:error NO_SERVER:error");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	/* oc2007 stopping here is the open question 7.2: info */
	CU_ASSERT_EQUAL(find(a, "FALLBACK_STOPPED")->severity, SD_SEV_INFO);
	sd_attempt_free(a);

	/* lync2013 goes on to the fallback names (UCS14): stopping is a warning */
	a = att(E);
	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 3, -1);
	step(a, SD_ROLE_AD2, "lyncdiscover." E, 3, -1);
	s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1);
	ans_srv(a, s1, "", 5061, 0); /* "." */
	check(a, "lync2013", NULL);
	LOUD(a, "SRV-NOTARGET:error NO_SERVER:error");
	CU_ASSERT_EQUAL(find(a, "STOPPED_EARLY")->severity, SD_SEV_INFO); /* [confirm] */
	sd_attempt_free(a);
}

static void test_t10_t11_failover(void)
{
	struct sd_attempt *a = att(E);
	int s1, t, c;
	const struct sd_finding *f;

	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 3, -1);
	step(a, SD_ROLE_AD2, "lyncdiscover." E, 3, -1);
	s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1);
	ans_srv(a, s1, "pool." E, 5061, 0);
	t = step(a, SD_ROLE_SRV_TARGET, "pool." E, 0, s1);
	ans_a(a, t, "10.1.0.1");
	ans_a(a, t, "10.1.0.2");
	ans_a(a, t, "10.1.0.3");
	conn(a, t, "10.1.0.1", 5061, SD_CONN_REFUSED);
	c = conn(a, t, "10.1.0.2", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." E, "DNS:pool." E);
	check(a, "sfb", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	LOUD(a, "");
	f = find(a, "IP_FAILOVER");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->conn, 1);
	CU_ASSERT_EQUAL(find(a, "CONN_REFUSED")->severity, SD_SEV_INFO);
	CU_ASSERT_EQUAL(a->winning_conn, 1);
	sd_attempt_free(a);

	a = att(E);
	s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1);
	ans_srv(a, s1, "pool." E, 5061, 0);
	t = step(a, SD_ROLE_SRV_TARGET, "pool." E, 0, s1);
	ans_a(a, t, "10.1.0.1");
	ans_a(a, t, "10.1.0.2");
	conn(a, t, "10.1.0.1", 5061, SD_CONN_REFUSED);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	LOUD(a, "CONN_REFUSED:warn NO_SERVER:error");
	CU_ASSERT_PTR_NOT_NULL(strstr(find(a, "NO_SERVER")->message, "cannot fail over"));
	/* SYN and RST prove the refusal */
	f = find(a, "CONN_REFUSED");
	CU_ASSERT_EQUAL(f->nframes, 2);
	CU_ASSERT_EQUAL(f->frames[0], 5);
	CU_ASSERT_EQUAL(f->frames[1], 6);
	sd_attempt_free(a);
}

/* =========================================================== certificates */

static void cert_case(const struct certspec *cs, const char *profile, const char *loud_expect, int verdict,
		      enum sd_conn_outcome o)
{
	struct sd_attempt *a = att(E);
	int c = srv_path(a, "pool." E, 5061, o);

	add_cert(a, c, cs);
	check(a, profile, NULL);
	LOUD(a, loud_expect);
	CU_ASSERT_EQUAL(a->verdict, verdict);
	sd_attempt_free(a);
}

static void test_t12_t14_cert_time_eku(void)
{
	struct certspec expired = { "pool." E, "DNS:pool." E, -86400 * 400, -86400, "serverAuth", 0, NULL, NULL, NULL, 0 };
	struct certspec future = { "pool." E, "DNS:pool." E, 86400, 86400 * 400, "serverAuth", 0, NULL, NULL, NULL, 0 };
	struct certspec client = { "pool." E, "DNS:pool." E, -86400, 86400, "clientAuth", 0, NULL, NULL, NULL, 0 };
	struct certspec noeku = { "pool." E, "DNS:pool." E, -86400, 86400, NULL, 0, NULL, NULL, NULL, 0 };
	struct sd_attempt *a;

	cert_case(&expired, "oc2007", "CERT-TIME:error", SD_VERDICT_FAILED, SD_CONN_TLS_ALERT);
	cert_case(&future, "sfb", "CERT-TIME:error", SD_VERDICT_FAILED, SD_CONN_CLOSED);
	cert_case(&client, "lync2013", "CERT-EKU:error", SD_VERDICT_FAILED, SD_CONN_CLOSED);
	cert_case(&noeku, "lync2013", "", SD_VERDICT_SIGNED_IN, SD_CONN_HANDSHAKE_DONE);
	/* the client accepted it: the capture overrules the profile, warn only */
	cert_case(&expired, "oc2007", "CERT-TIME:warn", SD_VERDICT_SIGNED_IN, SD_CONN_HANDSHAKE_DONE);

	a = att(E);
	add_cert(a, srv_path(a, "pool." E, 5061, SD_CONN_TLS_ALERT), &expired);
	check(a, "sfb", NULL);
	CU_ASSERT_STRING_EQUAL(a->symptom, "Cannot sign into Lync. There was a problem verifying the certificate from the server.");
	CU_ASSERT_EQUAL(a->nevent_ids, 0); /* Lync event IDs are unknown */
	/* Certificate frame and the alert are the proof */
	CU_ASSERT_EQUAL(find(a, "CERT-TIME")->frames[find(a, "CERT-TIME")->nframes - 1], a->conns[0].alert_frame);
	sd_attempt_free(a);
}

static void test_t13_chain(void)
{
	char ca1[] = "/tmp/sdrules-ca1-XXXXXX", ca2[] = "/tmp/sdrules-ca2-XXXXXX";
	int fd1 = mkstemp(ca1), fd2 = mkstemp(ca2);
	FILE *f1 = fdopen(fd1, "w"), *f2 = fdopen(fd2, "w");
	struct certspec leaf = { "pool." E, "DNS:pool." E, -86400, 86400, "serverAuth", 0, NULL, g_ca, g_cakey, 0 };
	struct sd_rules_opts trust1 = { SD_STRICT_PROFILE, ca1, NULL }, trust2 = { SD_STRICT_PROFILE, ca2, NULL };
	struct sd_attempt *a = att(E);
	int c = srv_path(a, "pool." E, 5061, SD_CONN_CLOSED);
	X509 *x = mkx509(&leaf);

	PEM_write_X509(f1, g_ca);
	PEM_write_X509(f2, g_ca2);
	fclose(f1);
	fclose(f2);
	add_x509(a, c, x);
	add_x509(a, c, g_ca);
	X509_free(x);
	check(a, "oc2007", &trust1);
	LOUD(a, "NO_SERVER:error");
	CU_ASSERT_PTR_NULL(find(a, "CERT-CHAIN"));
	check(a, "oc2007", &trust2);
	LOUD(a, "CERT-CHAIN:error");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(find(a, "CERT-CHAIN")->severity, SD_SEV_INFO);
	CU_ASSERT_PTR_NOT_NULL(strstr(find(a, "CERT-CHAIN")->message, "not checked"));
	sd_attempt_free(a);
	unlink(ca1);
	unlink(ca2);
}

static void test_t15_t17_names(void)
{
	struct certspec cn_only = { "pool." E, NULL, -86400, 86400, "serverAuth", 0, NULL, NULL, NULL, 0 };
	struct certspec san_other = { "pool." E, "DNS:other." E, -86400, 86400, "serverAuth", 0, NULL, NULL, NULL, 0 };
	struct certspec wild = { "pool." E, "DNS:*." E, -86400, 86400, "serverAuth", 0, NULL, NULL, NULL, 0 };
	struct certspec none = { "x.example", "DNS:x.example", -86400, 86400, "serverAuth", 0, NULL, NULL, NULL, 0 };

	/* T15: no SAN, CN = host */
	cert_case(&cn_only, "oc2007", "", SD_VERDICT_SIGNED_IN, SD_CONN_HANDSHAKE_DONE);
	cert_case(&cn_only, "sfb", "CERT-SAN:warn", SD_VERDICT_SIGNED_IN, SD_CONN_HANDSHAKE_DONE);
	/* T16: SAN lacks the host, CN = host: OC 2007 accepts (IOCS3), SfB fails */
	cert_case(&san_other, "oc2007", "", SD_VERDICT_SIGNED_IN, SD_CONN_HANDSHAKE_DONE);
	cert_case(&san_other, "sfb", "CERT-SAN:error", SD_VERDICT_FAILED, SD_CONN_CLOSED);
	/* lync2010's RFC 2818 reading is [inf]: info */
	cert_case(&san_other, "lync2010", "NO_SERVER:error", SD_VERDICT_FAILED, SD_CONN_CLOSED);
	/* T17 */
	cert_case(&wild, "sfb", "CERT-WILD:warn", SD_VERDICT_SIGNED_IN, SD_CONN_HANDSHAKE_DONE);
	/* store-app: wildcard level unknown -> info */
	cert_case(&none, "oc2007", "CERT-SAN:error", SD_VERDICT_FAILED, SD_CONN_CLOSED);
	{
		struct sd_attempt *a = att(E);

		add_cert(a, srv_path(a, "pool." E, 5061, SD_CONN_HANDSHAKE_DONE), &san_other);
		check(a, "oc2007", NULL);
		CU_ASSERT_EQUAL(find(a, "CERT-CN")->severity, SD_SEV_INFO);
		sd_attempt_free(a);
	}
}

static void test_weak(void)
{
	EVP_PKEY *small = EVP_RSA_gen(1024);
	struct certspec weak = { "pool." E, "DNS:pool." E, -86400, 86400, "serverAuth", 1, small, NULL, NULL, 0 };
	struct sd_attempt *a = att(E);

	add_cert(a, srv_path(a, "pool." E, 5061, SD_CONN_HANDSHAKE_DONE), &weak);
	check(a, "oc2007", NULL);
	LOUD(a, "");
	CU_ASSERT_PTR_NOT_NULL(find(a, "CERT-WEAK-SIG"));
	CU_ASSERT_PTR_NOT_NULL(find(a, "CERT-WEAK-KEY"));
	sd_attempt_free(a);
	EVP_PKEY_free(small);
}

static void test_t32_tls13(void)
{
	struct sd_attempt *a = att(E);
	int c = srv_path(a, "pool." E, 5061, SD_CONN_HANDSHAKE_DONE);
	const struct sd_finding *f;

	a->conns[c].version = 0x0304;
	a->conns[c].cert_not_visible = 1;
	check(a, "sfb", NULL);
	LOUD(a, "");
	f = find(a, "CERT_NOT_VISIBLE");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NULL(find(a, "CERT-CHAIN"));
	CU_ASSERT_PTR_NULL(find(a, "CERT-SAN"));
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	sd_attempt_free(a);
}

/* ========================================================= Autodiscover */

static void test_t19_t21_autodiscover(void)
{
	struct sd_attempt *a = att(E);
	int ad1, ad2, pool, c;

	/* T20: AD1 resolves, 443 refused; AD2 NXDOMAIN; SRV, F in order */
	ad1 = step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 0, -1);
	ans_a(a, ad1, "10.2.0.1");
	conn(a, ad1, "10.2.0.1", 443, SD_CONN_REFUSED);
	step(a, SD_ROLE_AD2, "lyncdiscover." E, 3, -1);
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 3, -1);
	step(a, SD_ROLE_S2, "_sipinternal._tcp." E, 3, -1);
	step(a, SD_ROLE_S3, "_sip._tls." E, 3, -1);
	step(a, SD_ROLE_F1, "sipinternal." E, 3, -1);
	step(a, SD_ROLE_F2, "sip." E, 3, -1);
	step(a, SD_ROLE_F3, "sipexternal." E, 3, -1);
	check(a, "lync2013", NULL);
	LOUD(a, "AD_UNREACHABLE:warn NO_SERVER:error");
	CU_ASSERT_PTR_NULL(find(a, "CONN_REFUSED"));
	CU_ASSERT_EQUAL(a->nevent_ids, 0);
	CU_ASSERT_STRING_EQUAL(a->symptom, ""); /* Lync's no-server text is unsourced */
	sd_attempt_free(a);

	/* T19 / T21: AD1 missing, AD2 works, pool over 5061 */
	a = att(E);
	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 3, -1);
	ad2 = step(a, SD_ROLE_AD2, "lyncdiscover." E, 0, -1);
	ans_a(a, ad2, "10.2.0.2");
	c = conn(a, ad2, "10.2.0.2", 443, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "lyncdiscover." E, "DNS:lyncdiscover." E);
	pool = step(a, SD_ROLE_POOL, "pool." E, 0, ad2);
	ans_a(a, pool, "10.1.0.1");
	c = conn(a, pool, "10.1.0.1", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." E, "DNS:pool." E);
	check(a, "lync2013", NULL);
	LOUD(a, "AD_INTERNAL_MISSING:warn");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_EQUAL(a->winning_conn, 1);
	CU_ASSERT_STRING_EQUAL(a->expected_name, "pool." E);
	sd_attempt_free(a);
}

static void test_t22_t23_store_app(void)
{
	struct sd_attempt *a = att(E);
	int ad2, c;

	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 3, -1);
	step(a, SD_ROLE_AD2, "lyncdiscover." E, 3, -1);
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 3, -1);
	check(a, "store-app", NULL);
	LOUD(a, "NO_AUTODISCOVER:error NO_SERVER:error");
	CU_ASSERT_EQUAL(find(a, "PROFILE_MISMATCH")->severity, SD_SEV_INFO);
	sd_attempt_free(a);

	a = att(E);
	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 3, -1);
	ad2 = step(a, SD_ROLE_AD2, "lyncdiscover." E, 0, -1);
	ans_cname(a, ad2, "dir.contoso.net");
	ans_a(a, ad2, "10.2.0.2");
	c = conn(a, ad2, "10.2.0.2", 443, SD_CONN_CLOSED);
	good_cert(a, c, "dir.contoso.net", "DNS:dir.contoso.net");
	check(a, "store-app", NULL);
	LOUD(a, "AD_XDOMAIN_CNAME:warn AD_INTERNAL_MISSING:warn NO_AUTODISCOVER:error CERT-AD:error");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	sd_attempt_free(a);
}

/* ================================================= order and stop rules */

static void test_t24_order(void)
{
	struct sd_attempt *a = att(D);
	const struct sd_finding *f;

	srv_all_nx(a);
	step(a, SD_ROLE_F2, "sip." D, 3, -1);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	step(a, SD_ROLE_F3, "sipexternal." D, 3, -1);
	check(a, "oc2007", NULL);
	LOUD(a, "ORDER_MISMATCH:warn NO_SERVER:error");
	f = find(a, "ORDER_MISMATCH");
	CU_ASSERT_PTR_NOT_NULL(strstr(f->fix, "oc2007r2-beta"));
	/* SRV names in any order are fine (R2DQ: parallel) */
	check(a, "oc2007r2-beta", NULL);
	LOUD(a, "NO_SERVER:error");
	CU_ASSERT_EQUAL(find(a, "PROFILE_MISMATCH"), NULL);
	sd_attempt_free(a);

	/* [conflict] profile: order findings stay info */
	a = att(D);
	srv_all_nx(a);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	step(a, SD_ROLE_F2, "sip." D, 3, -1);
	step(a, SD_ROLE_F3, "sipexternal." D, 3, -1);
	check(a, "oc2007r2-beta", NULL);
	LOUD(a, "NO_SERVER:error");
	CU_ASSERT_EQUAL(find(a, "ORDER_MISMATCH")->severity, SD_SEV_INFO);
	/* S2 and S4 are not R2's: info */
	check(a, "oc2007r2", NULL);
	CU_ASSERT_EQUAL(count(a, "PROFILE_MISMATCH"), 1);
	LOUD(a, "NO_SERVER:error");
	sd_attempt_free(a);
}

/* T24 as captured: sip.D asked and answered (NXDOMAIN, frames 9/10) before
 * sipinternal.D (11/12) resolved. Order is judged by when the client asked,
 * so this is ORDER_MISMATCH only, never WENT_ON_AFTER_SUCCESS. */
static void test_t24_time_order(void)
{
	struct sd_attempt *a = att(D);
	int f1, c;

	srv_all_nx(a);                        /* 1-8 */
	step(a, SD_ROLE_F2, "sip." D, 3, -1); /* 9-10 */
	f1 = step(a, SD_ROLE_F1, "sipinternal." D, 0, -1);
	ans_a(a, f1, "10.0.0.10");
	c = conn(a, f1, "10.0.0.10", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." D, "DNS:sipinternal." D);
	check(a, "oc2007", NULL);
	LOUD(a, "ORDER_MISMATCH:warn");
	CU_ASSERT_PTR_NULL(find(a, "WENT_ON_AFTER_SUCCESS"));
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_EQUAL(count(a, "NAME_UNRESOLVED"), 1);
	sd_attempt_free(a);

	/* parallel: sip.D asked after sipinternal.D but before its answer came */
	a = att(D);
	srv_all_nx(a);
	f1 = step(a, SD_ROLE_F1, "sipinternal." D, 0, -1); /* query 9, answer 10 */
	ans_a(a, f1, "10.0.0.10");
	step(a, SD_ROLE_F2, "sip." D, 3, -1);
	a->steps[f1].resp_frame = a->steps[f1].queries[0].resp_frame = 12;
	a->steps[a->nsteps - 1].frame = a->steps[a->nsteps - 1].queries[0].frame = 10;
	a->steps[a->nsteps - 1].resp_frame = a->steps[a->nsteps - 1].queries[0].resp_frame = 11;
	check(a, "oc2007", NULL);
	CU_ASSERT_PTR_NULL(find(a, "WENT_ON_AFTER_SUCCESS"));
	/* asked after the answer: the profile's stop rule is broken */
	a->steps[a->nsteps - 1].frame = a->steps[a->nsteps - 1].queries[0].frame = 13;
	a->steps[a->nsteps - 1].resp_frame = a->steps[a->nsteps - 1].queries[0].resp_frame = 14;
	check(a, "oc2007", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(find(a, "WENT_ON_AFTER_SUCCESS"));
	CU_ASSERT_EQUAL(find(a, "WENT_ON_AFTER_SUCCESS")->severity, SD_SEV_WARN);
	sd_attempt_free(a);
}

/* T27: SfB Online with nothing published. The fix names the O365 records
 * from the profile's expect.* keys, not an on-premises pool SRV record. */
static void test_t27_online_nothing(void)
{
	struct sd_attempt *a = att(D);
	const struct sd_finding *f;

	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." D, 3, -1);
	step(a, SD_ROLE_AD2, "lyncdiscover." D, 3, -1);
	step(a, SD_ROLE_S1, "_sipinternaltls._tcp." D, 3, -1);
	step(a, SD_ROLE_S3, "_sip._tls." D, 3, -1);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	step(a, SD_ROLE_F2, "sip." D, 3, -1);
	step(a, SD_ROLE_F3, "sipexternal." D, 3, -1);
	CU_ASSERT_EQUAL(prof("sfb-online")->nexpect, 3);
	CU_ASSERT_EQUAL(prof("sfb")->nexpect, 0);
	check(a, "sfb-online", NULL);
	LOUD(a, "NO_SERVER:error");
	CU_ASSERT_STRING_EQUAL(a->symptom, "Server is temporarily unavailable");
	f = find(a, "NO_SERVER");
	CU_ASSERT_STRING_EQUAL(f->fix, "Create the records Skype for Business Online / hybrid needs: "
				       "lyncdiscover." D " CNAME webdir.online.lync.com, sip." D
				       " CNAME sipdir.online.lync.com, _sip._tls." D
				       " SRV 100 1 443 sipdir.online.lync.com");
	check(a, "sfb", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(find(a, "NO_SERVER")->fix, "_sipinternaltls._tcp." D " 0 0 5061"));
	sd_attempt_free(a);
}

/* S02/S07: every RR counts (61 here; a fixed array used to stop at 32). */
static void test_srv_one_count(void)
{
	struct sd_attempt *a = att(E);
	int s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1), t, c;

	ans_srv(a, s1, "pool." E, 5061, 0);
	for (int i = 0; i < 60; i++) {
		char n[64];

		snprintf(n, sizeof n, "backup-%02d." E, i);
		ans_srv(a, s1, n, 5061, 20);
	}
	t = step(a, SD_ROLE_SRV_TARGET, "pool." E, 0, s1);
	ans_a(a, t, "10.1.0.1");
	c = conn(a, t, "10.1.0.1", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool." E, "DNS:pool." E);
	check(a, "oc2007", NULL);
	LOUD(a, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(find(a, "SRV-ONE"));
	CU_ASSERT_PTR_NOT_NULL(strstr(find(a, "SRV-ONE")->message, " has 61 records"));
	CU_ASSERT_PTR_NULL(find(a, "SRV-PRIO"));
	sd_attempt_free(a);
}

/* S03: the A answer was cut by the snaplen. NOERROR with no readable record
 * is not "does not resolve": no NAME_UNRESOLVED, no event 3, no verdict. */
static void test_cut_answer(void)
{
	struct sd_attempt *a = att(D);
	int f1;

	srv_all_nx(a);
	f1 = step(a, SD_ROLE_F1, "sipinternal." D, 0, -1);
	a->steps[f1].queries[0].status = SD_E_TRUNC;
	a->evidence_incomplete = 1;
	a->end_reason = SD_END_CAPTURE_END;
	CU_ASSERT(sd_step_cut(&a->steps[f1]));
	check(a, "oc2007", NULL);
	CU_ASSERT_PTR_NULL(find(a, "NAME_UNRESOLVED"));
	CU_ASSERT_PTR_NOT_NULL(find(a, "EVIDENCE_INCOMPLETE"));
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE);
	CU_ASSERT_EQUAL(a->nevent_ids, 1); /* event 1 (no SRV) only */
	/* NXDOMAIN is in the header and survives the cut */
	a->steps[f1].rcode = a->steps[f1].queries[0].rcode = 3;
	CU_ASSERT(!sd_step_cut(&a->steps[f1]));
	check(a, "oc2007", NULL);
	CU_ASSERT_PTR_NOT_NULL(find(a, "NAME_UNRESOLVED"));
	sd_attempt_free(a);
}

/* Established, then nothing readable until the attempt went idle: no TLS,
 * no evidence of plain TCP, so no verdict either way. */
static void test_established_silent(void)
{
	struct sd_attempt *a = att(D);
	int f2;

	srv_all_nx(a);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	f2 = step(a, SD_ROLE_F2, "sip." D, 0, -1);
	ans_a(a, f2, "10.0.0.10");
	conn(a, f2, "10.0.0.10", 5061, SD_CONN_PLAIN_TCP); /* SYN, SYN/ACK only */
	a->conns[0].outcome = SD_CONN_INCOMPLETE;
	a->end_reason = SD_END_IDLE;
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(find(a, "EVIDENCE_INCOMPLETE"));
	CU_ASSERT_PTR_NULL(find(a, "NO_SERVER"));
	CU_ASSERT_PTR_NULL(find(a, "TRANSPORT_TCP"));
	sd_attempt_free(a);
}

static void test_went_on_and_stopped(void)
{
	struct sd_attempt *a = att(D);
	int f1, f2;

	/* oc2007 stops at the first name that resolves (ORIG) */
	srv_all_nx(a);
	f1 = step(a, SD_ROLE_F1, "sipinternal." D, 0, -1);
	ans_a(a, f1, "10.0.0.10");
	conn(a, f1, "10.0.0.10", 5061, SD_CONN_REFUSED);
	f2 = step(a, SD_ROLE_F2, "sip." D, 0, -1);
	ans_a(a, f2, "10.0.0.11");
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(find(a, "WENT_ON_AFTER_SUCCESS")->severity, SD_SEV_WARN);
	sd_attempt_free(a);

	/* F1 NXDOMAIN and nothing after: stopped early */
	a = att(D);
	srv_all_nx(a);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	check(a, "oc2007", NULL);
	LOUD(a, "STOPPED_EARLY:warn NO_SERVER:error");
	/* ... unless the capture ended there: inconclusive, no verdict */
	a->end_reason = SD_END_CAPTURE_END;
	a->steps[a->nsteps - 1].state = SD_STEP_PENDING;
	a->steps[a->nsteps - 1].resp_frame = 0;
	check(a, "oc2007", NULL);
	LOUD(a, "");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(find(a, "EVIDENCE_INCOMPLETE"));
	sd_attempt_free(a);
}

static void test_t25_suffix_retry(void)
{
	struct sd_attempt *a = att(E);
	int c = srv_path(a, "pool." E, 5061, SD_CONN_HANDSHAKE_DONE);
	struct sd_step *s = &a->steps[0];

	/* the suffix retry is a second query of the same step */
	s->queries = realloc(s->queries, 2 * sizeof *s->queries);
	memset(&s->queries[1], 0, sizeof s->queries[1]);
	snprintf(s->queries[1].qname, sizeof s->queries[1].qname, "_sipinternaltls._tcp." E ".corp.local");
	s->queries[1].suffix_retry = 1;
	s->queries[1].frame = 100;
	s->queries[1].resp_frame = 101;
	s->nqueries = 2;
	good_cert(a, c, "pool." E, "DNS:pool." E);
	check(a, "oc2007", NULL);
	LOUD(a, "");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	sd_attempt_free(a);
}

static void test_t28_tcp(void)
{
	struct sd_attempt *a = att(E);
	int s2 = step(a, SD_ROLE_S2, "_sipinternal._tcp." E, 0, -1), t;

	step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 3, -1);
	ans_srv(a, s2, "pool." E, 5060, 0);
	t = step(a, SD_ROLE_SRV_TARGET, "pool." E, 0, s2);
	ans_a(a, t, "10.1.0.1");
	conn(a, t, "10.1.0.1", 5060, SD_CONN_PLAIN_TCP);
	check(a, "oc2007", NULL);
	LOUD(a, "TRANSPORT_TCP:warn");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	sd_attempt_free(a);
}

static void test_t29_cpe(void)
{
	struct sd_attempt *a = att(E);
	int f1, c;

	step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 3, -1);
	step(a, SD_ROLE_S3, "_sip._tls." E, 3, -1);
	step(a, SD_ROLE_S2, "_sipinternal._tcp." E, 3, -1);
	f1 = step(a, SD_ROLE_F1, "sipinternal." E, 0, -1);
	ans_a(a, f1, "10.1.0.1");
	conn(a, f1, "10.1.0.1", 5061, SD_CONN_REFUSED);
	c = conn(a, f1, "10.1.0.1", 443, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "sipinternal." E, "DNS:sipinternal." E);
	check(a, "cpe2007r2", NULL);
	LOUD(a, "");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_EQUAL(a->winning_conn, 1);
	sd_attempt_free(a);
}

static void test_t30_prio(void)
{
	struct sd_attempt *a = att(E);
	int s1 = step(a, SD_ROLE_S1, "_sipinternaltls._tcp." E, 0, -1), t, c;

	ans_srv(a, s1, "pool1." E, 5061, 0);
	ans_srv(a, s1, "pool2." E, 5061, 10);
	t = step(a, SD_ROLE_SRV_TARGET, "pool2." E, 0, s1);
	ans_a(a, t, "10.1.0.2");
	c = conn(a, t, "10.1.0.2", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "pool2." E, "DNS:pool2." E);
	check(a, "oc2007", NULL);
	LOUD(a, "");
	CU_ASSERT_PTR_NOT_NULL(find(a, "SRV-PRIO"));
	CU_ASSERT_PTR_NOT_NULL(find(a, "SRV-ONE"));
	sd_attempt_free(a);
}

static void test_t31_lync_continues(void)
{
	struct sd_attempt *a = att(E);
	int c, f1;

	step(a, SD_ROLE_AD1, "lyncdiscoverinternal." E, 3, -1);
	step(a, SD_ROLE_AD2, "lyncdiscover." E, 3, -1);
	c = srv_path(a, "pool." E, 5061, SD_CONN_CLOSED);
	good_cert(a, c, "other." E, "DNS:other." E);
	f1 = step(a, SD_ROLE_F1, "sipinternal." E, 0, -1);
	ans_a(a, f1, "10.1.0.5");
	c = conn(a, f1, "10.1.0.5", 5061, SD_CONN_HANDSHAKE_DONE);
	good_cert(a, c, "sipinternal." E, "DNS:sipinternal." E);
	check(a, "lync2013", NULL);
	LOUD(a, "CERT-SAN:error");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_EQUAL(find(a, "CERT-SAN")->conn, 0);
	CU_ASSERT_STRING_EQUAL(a->symptom, "");
	sd_attempt_free(a);
}

static void test_evidence(void)
{
	struct sd_attempt *a = att(D);
	int f2, c;

	/* capture starts at the fallback names: no SRV lookups seen */
	f2 = step(a, SD_ROLE_F2, "sip." D, 0, -1);
	ans_a(a, f2, "10.0.0.10");
	c = conn(a, f2, "10.0.0.10", 5061, SD_CONN_CLOSED);
	good_cert(a, c, "pool." D, "DNS:pool." D);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(find(a, "EVIDENCE_INCOMPLETE"));
	sd_attempt_free(a);

	/* attempt.c's own note survives, and sets INCONCLUSIVE */
	a = att(D);
	srv_all_nx(a);
	step(a, SD_ROLE_F1, "sipinternal." D, 3, -1);
	step(a, SD_ROLE_F2, "sip." D, 3, -1);
	step(a, SD_ROLE_F3, "sipexternal." D, 3, -1);
	a->evidence_incomplete = 1;
	snprintf(a->incomplete_why, sizeof a->incomplete_why, "DNS responses lost");
	sd_finding_add(a, "LIMIT", SD_SEV_INFO, NULL, 0);
	check(a, "oc2007", NULL);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE);
	CU_ASSERT_STRING_EQUAL(a->findings[0].code, "LIMIT");
	CU_ASSERT_STRING_EQUAL(find(a, "EVIDENCE_INCOMPLETE")->message, "DNS responses lost");
	CU_ASSERT_PTR_NULL(find(a, "NO_SERVER"));
	/* idempotent: a second run gives the same findings */
	{
		size_t n = a->nfindings;

		check(a, "oc2007", NULL);
		CU_ASSERT_EQUAL(a->nfindings, n);
	}
	sd_attempt_free(a);
}

static void test_finding_frames(void)
{
	struct sd_attempt *a = att(D);
	uint64_t fr[] = { 9, 3, 3, 0, 7 };
	struct sd_finding *f = sd_finding_add(a, "X", SD_SEV_WARN, fr, 5);

	CU_ASSERT_EQUAL_FATAL(f->nframes, 3);
	CU_ASSERT_EQUAL(f->frames[0], 3);
	CU_ASSERT_EQUAL(f->frames[1], 7);
	CU_ASSERT_EQUAL(f->frames[2], 9);
	CU_ASSERT_EQUAL(f->step, -1);
	for (uint64_t i = 100; i < 120; i++)
		sd_finding_frame(f, i);
	CU_ASSERT_EQUAL(f->nframes, SD_FINDING_FRAMES);
	CU_ASSERT_EQUAL(f->frames_dropped, 7);
	CU_ASSERT_EQUAL(f->frames[0], 3);
	sd_finding_frame(f, 1); /* earlier frames win the space */
	CU_ASSERT_EQUAL(f->frames[0], 1);
	CU_ASSERT_EQUAL(f->frames_dropped, 8);
	sd_attempt_free(a);
}

/* ===================================================================== */

static void setup_keys(void)
{
	struct certspec ca = { "Test Root CA", NULL, -86400 * 1000, 86400 * 1000, NULL, 0, NULL, NULL, NULL, 1 };

	g_key = EVP_EC_gen("P-256");
	g_cakey = EVP_EC_gen("P-256");
	g_ca2key = EVP_EC_gen("P-256");
	ca.key = g_cakey;
	g_ca = mkx509(&ca);
	ca.key = g_ca2key;
	ca.cn = "Other Root CA";
	g_ca2 = mkx509(&ca);
}

static const struct sd_test tests[] = {
	SD_TEST(test_profiles_shipped),  SD_TEST(test_profiles_parse),   SD_TEST(test_profiles_errors),
	SD_TEST(test_profiles_load),     SD_TEST(test_profile_auto),     SD_TEST(test_story_1_no_records),
	SD_TEST(test_story_2_cname_cert), SD_TEST(test_story_3_sip_record), SD_TEST(test_t04_cname_fallback_ok),
	SD_TEST(test_t01_pass),          SD_TEST(test_t05_srv_alias),    SD_TEST(test_t06_t07_strict),
	SD_TEST(test_t08_narrow),        SD_TEST(test_t09_notarget),     SD_TEST(test_t10_t11_failover),
	SD_TEST(test_t12_t14_cert_time_eku), SD_TEST(test_t13_chain),    SD_TEST(test_t15_t17_names),
	SD_TEST(test_weak),              SD_TEST(test_t32_tls13),        SD_TEST(test_t19_t21_autodiscover),
	SD_TEST(test_t22_t23_store_app), SD_TEST(test_t24_order),        SD_TEST(test_went_on_and_stopped),
	SD_TEST(test_t25_suffix_retry),  SD_TEST(test_t28_tcp),          SD_TEST(test_t29_cpe),
	SD_TEST(test_t30_prio),          SD_TEST(test_t31_lync_continues), SD_TEST(test_evidence),
	SD_TEST(test_finding_frames),    SD_TEST(test_t24_time_order),   SD_TEST(test_srv_one_count),
	SD_TEST(test_cut_answer),        SD_TEST(test_established_silent), SD_TEST(test_t27_online_nothing),
	{ 0 }
};

int main(void)
{
	char err[256];
	int rc;

	g_ps = sd_profiles_load(sd_srcpath("data/profiles.ini"), err, sizeof err);
	if (!g_ps) {
		fprintf(stderr, "profiles: %s\n", err);
		return 1;
	}
	setup_keys();
	rc = sd_run_tests("rules", tests);
	sd_profiles_free(g_ps);
	X509_free(g_ca);
	X509_free(g_ca2);
	EVP_PKEY_free(g_key);
	EVP_PKEY_free(g_cakey);
	EVP_PKEY_free(g_ca2key);
	return rc;
}
