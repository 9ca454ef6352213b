/*
 * test_report.c - the analyze output on hand-built attempts: the exact text
 * (the regression runner diffs it, so any change must be deliberate), the
 * 80-column limit on every line, colour only when asked, packet text made
 * harmless, and JSON that parses back with the model's values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attempt.h"
#include "batch.h"
#include "dns.h"
#include "json.h"
#include "report.h"
#include "testutil.h"
#include "x509.h"

#define T0 1700000000000000000LL /* attempt start, ns */
#define MS 1000000LL

/* ------------------------------------------------------------ helpers */

/* A certificate with a fixed Ed25519 key: Ed25519 signatures are
 * deterministic, so the DER and its SHA-256 are the same on every run. */
static uint8_t *make_cert(const char *cn, const char *san, size_t *len)
{
	static const uint8_t seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof seed);
	X509 *x = X509_new();
	CU_ASSERT_FATAL(k && x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)1767225600); /* 2026-01-01 */
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)1798761600);  /* 2027-01-01 */
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	CU_ASSERT_FATAL(e != NULL);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "serverAuth");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	CU_ASSERT_FATAL(X509_sign(x, k, NULL) > 0);
	unsigned char *der = NULL;
	int l = i2d_X509(x, &der);
	CU_ASSERT_FATAL(l > 0);
	uint8_t *copy = malloc((size_t)l);
	memcpy(copy, der, (size_t)l);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
	*len = (size_t)l;
	return copy;
}

static struct sd_step *add_step(struct sd_attempt *a, enum sd_role role, const char *name, uint16_t qtype,
				uint64_t frame, int64_t ms)
{
	a->steps = realloc(a->steps, (a->nsteps + 1) * sizeof *a->steps);
	struct sd_step *s = &a->steps[a->nsteps];
	memset(s, 0, sizeof *s);
	s->order = (unsigned)++a->nsteps;
	s->role = role;
	s->parent = -1;
	s->conn = -1;
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->queried, sizeof s->queried, "%s", name);
	s->qtype = qtype;
	s->transport = 17;
	s->state = SD_STEP_ANSWERED;
	s->frame = frame;
	s->resp_frame = frame + 1;
	s->rcode = SD_DNS_RCODE_NXDOMAIN;
	s->rtt_ns = 400000;
	s->ts_ns = T0 + ms * MS;
	s->ts_done_ns = s->ts_ns + s->rtt_ns;
	s->queries = calloc(1, sizeof *s->queries);
	s->nqueries = 1;
	struct sd_query *q = s->queries;
	snprintf(q->qname, sizeof q->qname, "%s", name);
	q->qtype = qtype;
	q->txid = (uint16_t)(0x100 + frame);
	q->transport = 17;
	sd_addr_parse("10.0.0.1", &q->server);
	q->frame = frame;
	q->ts_ns = s->ts_ns;
	q->resp_frame = frame + 1;
	q->rcode = s->rcode;
	q->rtt_ns = s->rtt_ns;
	return s;
}

static struct sd_answer *add_answer(struct sd_step *s, uint16_t type, const char *owner)
{
	s->answers = realloc(s->answers, (s->nanswers + 1) * sizeof *s->answers);
	struct sd_answer *an = &s->answers[s->nanswers++];
	memset(an, 0, sizeof *an);
	an->type = type;
	an->section = SD_DNS_AN;
	an->ttl = 3600;
	snprintf(an->owner, sizeof an->owner, "%s", owner);
	an->frame = s->resp_frame;
	an->ts_ns = s->ts_done_ns;
	s->queries[0].nanswers = s->nanswers;
	return an;
}

static struct sd_finding *add_finding(struct sd_attempt *a, const char *code, enum sd_severity sev,
				      const char *msg, const char *fix)
{
	a->findings = realloc(a->findings, (a->nfindings + 1) * sizeof *a->findings);
	struct sd_finding *f = &a->findings[a->nfindings++];
	memset(f, 0, sizeof *f);
	snprintf(f->code, sizeof f->code, "%s", code);
	f->severity = sev;
	snprintf(f->message, sizeof f->message, "%s", msg);
	snprintf(f->fix, sizeof f->fix, "%s", fix);
	f->step = -1;
	f->conn = -1;
	return f;
}

/* The lab story (spec 000_e02314df20f87d0a): OC 2007 finds no SRV record,
 * sipinternal.schertz.local is a CNAME of the pool, and the pool's
 * certificate does not name sipinternal. */
static struct sd_attempt *lab_attempt(void)
{
	struct sd_attempt *a = calloc(1, sizeof *a);
	a->id = 1;
	sd_addr_parse("10.0.0.5", &a->client);
	snprintf(a->domain, sizeof a->domain, "schertz.local");
	snprintf(a->profile, sizeof a->profile, "oc2007");
	a->profile_auto = 1;
	snprintf(a->profile_why, sizeof a->profile_why, "SRV names then sipinternal, sip, sipexternal");
	a->verdict = SD_VERDICT_FAILED;
	a->end_reason = SD_END_GAVE_UP;
	a->ts_start_ns = T0;
	a->ts_end_ns = T0 + 2315 * MS;
	a->frame_first = 1;
	a->frame_last = 23;
	add_step(a, SD_ROLE_S1, "_sipinternaltls._tcp.schertz.local", SD_DNS_T_SRV, 1, 0);
	add_step(a, SD_ROLE_S2, "_sipinternal._tcp.schertz.local", SD_DNS_T_SRV, 3, 2);
	add_step(a, SD_ROLE_S3, "_sip._tls.schertz.local", SD_DNS_T_SRV, 5, 4);
	add_step(a, SD_ROLE_S4, "_sip._tcp.schertz.local", SD_DNS_T_SRV, 7, 6);
	struct sd_step *s = add_step(a, SD_ROLE_F1, "sipinternal.schertz.local", SD_DNS_T_A, 12, 120);
	s->rcode = SD_DNS_RCODE_NOERROR;
	s->queries[0].rcode = SD_DNS_RCODE_NOERROR;
	s->resolved = 1;
	s->via_cname = 1;
	s->conn = 0;
	snprintf(s->canonical, sizeof s->canonical, "pool.schertz.local");
	snprintf(s->expected, sizeof s->expected, "sipinternal.schertz.local");
	struct sd_answer *an = add_answer(s, SD_DNS_T_CNAME, "sipinternal.schertz.local");
	snprintf(an->target, sizeof an->target, "pool.schertz.local");
	an = add_answer(s, SD_DNS_T_A, "pool.schertz.local");
	sd_addr_parse("10.0.0.20", &an->addr);

	a->conns = calloc(1, sizeof *a->conns);
	a->nconns = 1;
	struct sd_conn *c = &a->conns[0];
	c->conn_id = 1;
	sd_addr_parse("10.0.0.5", &c->client);
	sd_addr_parse("10.0.0.20", &c->server);
	c->cport = 49200;
	c->sport = 5061;
	c->step = 4;
	snprintf(c->expected, sizeof c->expected, "sipinternal.schertz.local");
	c->outcome = SD_CONN_TLS_ALERT;
	c->syn_frame = 15;
	c->synack_frame = 16;
	c->ch_frame = 18;
	c->sh_frame = 21;
	c->cert_frame = 21;
	c->alert_frame = 23;
	c->end_frame = 24;
	c->ts_ns = T0 + 130 * MS;
	c->ts_end_ns = T0 + 150 * MS;
	c->has_ch = c->has_sh = 1;
	c->version_offered = 0x0301;
	c->version = 0x0301;
	c->cipher = 0x002f;
	c->alert_level = 2;
	c->alert_desc = 42; /* bad_certificate */
	c->certs = calloc(1, sizeof *c->certs);
	c->ncerts = c->certs_total = 1;
	struct sd_conn_cert *cc = &c->certs[0];
	cc->der = make_cert("pool.schertz.local", "DNS:pool.schertz.local,DNS:sip.schertz.local", &cc->der_len);
	char err[128];
	CU_ASSERT_FATAL(sd_x509_decode(cc->der, cc->der_len, &cc->cert, err, sizeof err) == 0);
	cc->decoded = 1;

	struct sd_finding *f = add_finding(a, "NO_SRV", SD_SEV_INFO,
					   "no SRV record for schertz.local: S1-S4 answered NXDOMAIN",
					   "publish _sipinternaltls._tcp.schertz.local SRV 0 0 5061 "
					   "pool.schertz.local");
	uint64_t fr1[] = { 2, 4, 6, 8 };
	memcpy(f->frames, fr1, sizeof fr1);
	f->nframes = 4;
	f->event_id = 1;
	snprintf(f->event_text, sizeof f->event_text,
		 "Communicator was unable to locate the login server. No DNS SRV records exist for domain "
		 "schertz.local, so Communicator was unable to login.");
	f = add_finding(a, "CERT-SAN", SD_SEV_ERROR,
			"the certificate of 10.0.0.20 names pool.schertz.local and sip.schertz.local, not "
			"sipinternal.schertz.local",
			"add sipinternal.schertz.local to the SAN of the pool certificate");
	uint64_t fr2[] = { 13, 21, 23 };
	memcpy(f->frames, fr2, sizeof fr2);
	f->nframes = 3;
	f->step = 4;
	f->conn = 0;
	f->event_id = 4;
	snprintf(f->event_text, sizeof f->event_text,
		 "Communicator could not connect securely to server sipinternal.schertz.local because the "
		 "certificate presented by the server did not match the expected hostname "
		 "(sipinternal.schertz.local).");
	snprintf(f->dialog, sizeof f->dialog,
		 "There was a problem verifying the certificate from the server. Please contact your "
		 "system administrator.");
	a->winning_step = 4;
	a->winning_conn = 0;
	snprintf(a->expected_name, sizeof a->expected_name, "sipinternal.schertz.local");
	snprintf(a->symptom, sizeof a->symptom, "%s", f->dialog);
	a->event_ids[0] = 1;
	a->event_ids[1] = 4;
	a->nevent_ids = 2;
	a->checked = 1;
	return a;
}

/* An SRV path that worked: S1 answers, its target resolves, TLS completes. */
static struct sd_attempt *srv_attempt(void)
{
	struct sd_attempt *a = calloc(1, sizeof *a);
	a->id = 2;
	sd_addr_parse("2001:db8::5", &a->client);
	snprintf(a->domain, sizeof a->domain, "example.com");
	snprintf(a->profile, sizeof a->profile, "lync2010");
	snprintf(a->profile_why, sizeof a->profile_why, "given with --profile");
	a->verdict = SD_VERDICT_SIGNED_IN;
	a->end_reason = SD_END_CONNECTED;
	a->ts_start_ns = T0;
	a->ts_end_ns = T0 + 40 * MS;
	a->frame_first = 1;
	a->frame_last = 9;
	a->winning_step = 1;
	a->winning_conn = 0;
	struct sd_step *s = add_step(a, SD_ROLE_S1, "_sipinternaltls._tcp.example.com", SD_DNS_T_SRV, 1, 0);
	s->rcode = SD_DNS_RCODE_NOERROR;
	s->resolved = 1;
	struct sd_answer *an = add_answer(s, SD_DNS_T_SRV, "_sipinternaltls._tcp.example.com");
	an->priority = 0;
	an->weight = 10;
	an->port = 5061;
	snprintf(an->target, sizeof an->target, "pool.example.com");
	s = add_step(a, SD_ROLE_SRV_TARGET, "pool.example.com", SD_DNS_T_AAAA, 3, 1);
	s->parent = 0;
	s->rcode = SD_DNS_RCODE_NOERROR;
	s->resolved = 1;
	s->conn = 0;
	an = add_answer(s, SD_DNS_T_AAAA, "pool.example.com");
	sd_addr_parse("2001:db8::20", &an->addr);
	a->conns = calloc(1, sizeof *a->conns);
	a->nconns = 1;
	struct sd_conn *c = &a->conns[0];
	sd_addr_parse("2001:db8::5", &c->client);
	sd_addr_parse("2001:db8::20", &c->server);
	c->cport = 50000;
	c->sport = 5061;
	c->step = 1;
	c->outcome = SD_CONN_HANDSHAKE_DONE;
	c->enc_frame = 9;
	c->ts_ns = T0 + 2 * MS;
	c->has_ch = c->has_sh = 1;
	c->version = 0x0303;
	snprintf(c->sni, sizeof c->sni, "pool.example.com");
	return a;
}

/* Runs a report into a string. */
static char *render(const struct sd_attempt *a, int color, int verbose, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_FATAL(f != NULL);
	struct sd_report_opts o = { color, verbose };
	if (json)
		sd_report_json(f, a);
	else
		sd_report_text(f, a, &o);
	fclose(f);
	return buf;
}

/* Every line at most 80 columns (UTF-8 characters, escapes not counted
 * when color is on), and no escape byte at all when color is off. */
static void check_lines(const char *text, int color)
{
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		CU_ASSERT_FATAL(e != NULL); /* every line ends with a newline */
		int cols = 0;
		for (const char *q = p; q < e; q++) {
			if (*q == '\033') {
				CU_ASSERT(color);
				while (q < e && *q != 'm')
					q++;
				continue;
			}
			if (((unsigned char)*q & 0xc0) != 0x80)
				cols++;
		}
		if (cols > 80)
			fprintf(stderr, "\nline over 80 columns: %.*s\n", (int)(e - p), p);
		CU_ASSERT(cols <= 80);
		CU_ASSERT(e == p || e[-1] != ' '); /* no trailing blanks: diffs stay clean */
		p = e + 1;
	}
}

/* ----------------------------------------------------------------- text */

static const char lab_text[] =
	"attempt 1  client 10.0.0.5  domain schertz.local  profile oc2007 (auto: SRV\n"
	"    names then sipinternal, sip, sipexternal)\n"
	"  verdict FAILED  ended gave-up  frames 1-23  lasted 2.315s\n"
	"  server from #5, conn 1, certificate must name sipinternal.schertz.local\n"
	"steps:\n"
	"  #1 +0.000s S1 SRV _sipinternaltls._tcp.schertz.local  frames 1/2  NXDOMAIN\n"
	"      rtt 0.4 ms\n"
	"  #2 +0.002s S2 SRV _sipinternal._tcp.schertz.local  frames 3/4  NXDOMAIN\n"
	"      rtt 0.4 ms\n"
	"  #3 +0.004s S3 SRV _sip._tls.schertz.local  frames 5/6  NXDOMAIN  rtt 0.4 ms\n"
	"  #4 +0.006s S4 SRV _sip._tcp.schertz.local  frames 7/8  NXDOMAIN  rtt 0.4 ms\n"
	"  #5 +0.120s F1 A sipinternal.schertz.local  frames 12/13  NOERROR\n"
	"      CNAME pool.schertz.local -> 10.0.0.20  rtt 0.4 ms\n"
	"connections:\n"
	"  conn 1 10.0.0.5:49200 -> 10.0.0.20:5061  via #5  +0.130s  TLS 1.0  SNI -\n"
	"      certificate must name sipinternal.schertz.local\n"
	"      cert frame 21: CN=pool.schertz.local  SAN pool.schertz.local,\n"
	"        sip.schertz.local\n"
	"      outcome: alert bad_certificate from client frame 23\n"
	"findings:\n"
	"  ERROR CERT-SAN  frames 13,21,23  the certificate of 10.0.0.20 names\n"
	"        pool.schertz.local and sip.schertz.local, not sipinternal.schertz.local\n"
	"        fix: add sipinternal.schertz.local to the SAN of the pool certificate\n"
	"  INFO  NO_SRV  frames 2,4,6,8  no SRV record for schertz.local: S1-S4 answered\n"
	"        NXDOMAIN\n"
	"        fix: publish _sipinternaltls._tcp.schertz.local SRV 0 0 5061\n"
	"             pool.schertz.local\n"
	"what the user saw:\n"
	"  \"There was a problem verifying the certificate from the server. Please contact\n"
	"   your system administrator.\"\n"
	"client event log:\n"
	"  Event 1: Communicator was unable to locate the login server. No DNS SRV\n"
	"    records exist for domain schertz.local, so Communicator was unable to login.\n"
	"  Event 4: Communicator could not connect securely to server\n"
	"    sipinternal.schertz.local because the certificate presented by the server\n"
	"    did not match the expected hostname (sipinternal.schertz.local).\n";

static void expect_text(const char *got, const char *want)
{
	if (strcmp(got, want))
		fprintf(stderr, "\n--- expected\n%s--- got\n%s---\n", want, got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_text_exact(void)
{
	struct sd_attempt *a = lab_attempt();
	char *t = render(a, 0, 0, 0);
	expect_text(t, lab_text);
	check_lines(t, 0);
	/* byte-stable: the same attempt renders the same bytes again */
	char *t2 = render(a, 0, 0, 0);
	CU_ASSERT_STRING_EQUAL(t, t2);
	free(t);
	free(t2);
	sd_attempt_free(a);
}

static const char srv_text[] =
	"attempt 2  client 2001:db8::5  domain example.com  profile lync2010 (given with\n"
	"    --profile)\n"
	"  verdict SIGNED_IN  ended connected  frames 1-9  lasted 0.040s\n"
	"  server from #2, conn 1\n"
	"steps:\n"
	"  #1 +0.000s S1 SRV _sipinternaltls._tcp.example.com  frames 1/2  NOERROR\n"
	"      SRV 0 10 5061 pool.example.com  rtt 0.4 ms\n"
	"  #2 +0.001s SRV-TARGET(#1) AAAA pool.example.com  frames 3/4  NOERROR\n"
	"      -> 2001:db8::20  rtt 0.4 ms\n"
	"connections:\n"
	"  conn 1 [2001:db8::5]:50000 -> [2001:db8::20]:5061  via #2  +0.002s  TLS 1.2\n"
	"      SNI pool.example.com\n"
	"      outcome: handshake done, encrypted from frame 9\n";

static void test_text_srv_ipv6(void)
{
	struct sd_attempt *a = srv_attempt();
	char *t = render(a, 0, 0, 0);
	expect_text(t, srv_text);
	check_lines(t, 0);
	free(t);
	sd_attempt_free(a);
}

static void test_verbose(void)
{
	struct sd_attempt *a = lab_attempt();
	char *t = render(a, 0, 1, 0);
	if (getenv("SD_SHOW"))
		fputs(t, stderr);
	check_lines(t, 0);
	/* every query, every answer, every certificate field */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "      query frame 12 +0.120s A sipinternal.schertz.local id 0x010c udp to\n"
					 "          10.0.0.1 -> frame 13 NOERROR rtt 0.4 ms 2 records\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "      answer frame 13 answer sipinternal.schertz.local CNAME ttl 3600\n"
					 "          pool.schertz.local\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "      answer frame 13 answer pool.schertz.local A ttl 3600 10.0.0.20\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "      cert 1 of 1 (frame 21)\n"
					 "        subject CN=pool.schertz.local\n"
					 "        issuer  CN=pool.schertz.local  (self-issued)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "        valid   2026-01-01T00:00:00Z .. 2027-01-01T00:00:00Z\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "        SAN dns pool.schertz.local, sip.schertz.local\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "        EKU     serverAuth\n"));
	char sha[100];
	snprintf(sha, sizeof sha, "        sha256  %s\n", a->conns[0].certs[0].cert.sha256_hex);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, sha));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "  ERROR CERT-SAN  frames 13,21,23  step #5  conn 1  the certificate"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "      frames syn 15 syn-ack 16 client-hello 18 server-hello 21 end 24"));
	free(t);
	sd_attempt_free(a);
}

/* Strips ANSI sequences. */
static void strip_ansi(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '\033') {
			while (*r && *r != 'm')
				r++;
			if (!*r)
				break;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
}

static void test_color(void)
{
	struct sd_attempt *a = lab_attempt();
	char *t = render(a, 1, 0, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "  verdict \033[1;31mFAILED\033[0m  ended"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "  \033[1;31mERROR\033[0m CERT-SAN"));
	check_lines(t, 1);
	/* colour changes nothing else, wrapping included */
	strip_ansi(t);
	CU_ASSERT_STRING_EQUAL(t, lab_text);
	free(t);
	sd_attempt_free(a);
}

/* Names and texts come from packets: a terminal escape or a stray byte in
 * them must reach the screen as visible text, never as a control. */
static void test_sanitize(void)
{
	struct sd_attempt *a = lab_attempt();
	snprintf(a->domain, sizeof a->domain, "evil\033[2J\x01\xff.local");
	snprintf(a->symptom, sizeof a->symptom, "caf\xc3\xa9 \xc2\x9b" "31m");
	char *t = render(a, 0, 0, 0);
	CU_ASSERT_PTR_NULL(strchr(t, '\033'));
	CU_ASSERT_PTR_NULL(strchr(t, '\001'));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "domain evil\\x1b[2J\\x01\\xff.local"));
	/* valid UTF-8 is kept; the C1 control CSI (U+009B) is not */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"caf\xc3\xa9 \\xc2\\x9b31m\""));
	check_lines(t, 0);
	free(t);
	sd_attempt_free(a);
}

/* Words longer than a line (a 200-character name) are cut, everything
 * else wraps at spaces; nothing is lost. */
static void test_wrap_long(void)
{
	struct sd_attempt *a = lab_attempt();
	char *t0 = render(a, 0, 0, 0);
	size_t nx0 = 0;
	for (const char *p = t0; *p; p++)
		nx0 += *p == 'x';
	free(t0);
	char longname[201];
	memset(longname, 'x', 200);
	longname[200] = '\0';
	snprintf(a->domain, sizeof a->domain, "%s", longname);
	snprintf(a->findings[1].message, sizeof a->findings[1].message, "%s", longname);
	char *t = render(a, 0, 0, 0);
	check_lines(t, 0);
	/* the 2 x 200 x: split over lines but all there */
	size_t nx = 0;
	for (const char *p = t; *p; p++)
		nx += *p == 'x';
	CU_ASSERT_EQUAL(nx, nx0 + 400);
	free(t);
	sd_attempt_free(a);
}

/* Event 3 is logged once per fallback name: each occurrence gets the text
 * of its own finding, in logging order. */
static void test_event_order(void)
{
	struct sd_attempt *a = calloc(1, sizeof *a);
	a->id = 3;
	a->winning_step = a->winning_conn = -1;
	const char *names[] = { "sipinternal", "sip", "sipexternal" };
	for (int i = 0; i < 3; i++) {
		struct sd_finding *f = add_finding(a, "NAME-UNRESOLVED", SD_SEV_WARN, "", "");
		f->event_id = 3;
		snprintf(f->event_text, sizeof f->event_text, "unable to resolve %s.d", names[i]);
		a->event_ids[a->nevent_ids++] = 3;
	}
	char *t = render(a, 0, 0, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "client event log:\n"
					 "  Event 3: unable to resolve sipinternal.d\n"
					 "  Event 3: unable to resolve sip.d\n"
					 "  Event 3: unable to resolve sipexternal.d\n"));
	check_lines(t, 0);
	free(t);
	sd_attempt_free(a);
}

/* ----------------------------------------------------------------- JSON */

/* A minimal JSON reader: skips one value, NULL if the text is not JSON. */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static const char *skip_value(const char *p, int depth);

static const char *skip_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (!*p || !strchr("\"\\/bfnrtu", *p))
				return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *skip_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = skip_ws(p);
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		p = skip_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = skip_string(skip_ws(p));
				if (!p)
					return NULL;
				p = skip_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = skip_value(p, depth + 1);
			if (!p)
				return NULL;
			p = skip_ws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	const char *s = p;
	if (*p == '-')
		p++;
	while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')
		p++;
	return p > s ? p : NULL;
}

static void test_json(void)
{
	struct sd_attempt *a = lab_attempt();
	char *j = render(a, 0, 0, 1);
	CU_ASSERT_PTR_NULL(strchr(j, '\n')); /* one line */
	const char *end = skip_value(j, 0);
	CU_ASSERT_FATAL(end != NULL);
	CU_ASSERT_EQUAL(*skip_ws(end), '\0');
	const char *want[] = {
		"{\"type\":\"attempt\",\"id\":1,\"client\":\"10.0.0.5\",\"domain\":\"schertz.local\","
		"\"profile\":\"oc2007\",\"profile_auto\":true,",
		"\"verdict\":\"FAILED\",\"end_reason\":\"gave-up\"",
		"\"start\":\"2023-11-14T22:13:20.000000000Z\"",
		"\"duration_ns\":2315000000",
		"\"winning_step\":4,\"winning_conn\":0,\"expected_name\":\"sipinternal.schertz.local\"",
		"\"events\":[{\"id\":1,\"text\":\"Communicator was unable to locate",
		"{\"id\":4,\"text\":\"Communicator could not connect securely",
		"\"role\":\"F1\",\"parent\":null,\"name\":\"sipinternal.schertz.local\"",
		"\"state\":\"answered\",\"frame\":12,\"resp_frame\":13,\"rcode\":0,\"rcode_name\":\"NOERROR\"",
		"\"via_cname\":true,\"canonical\":\"pool.schertz.local\"",
		"{\"section\":\"answer\",\"owner\":\"sipinternal.schertz.local\",\"type\":\"CNAME\",\"ttl\":3600,"
		"\"target\":\"pool.schertz.local\",\"frame\":13",
		"\"type\":\"A\",\"ttl\":3600,\"address\":\"10.0.0.20\"",
		"\"rcode\":3,\"rcode_name\":\"NXDOMAIN\"",
		"\"outcome\":\"tls-alert\"",
		"\"version\":\"TLS 1.0\",\"cipher\":47,\"sni\":null",
		"\"alert\":{\"level\":2,\"description\":42,\"description_name\":\"bad_certificate\",\"from\":\"client\"}",
		"\"subject\":\"CN=pool.schertz.local\"",
		"\"serial\":\"1234\"",
		"\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2027-01-01T00:00:00Z\"",
		"\"san_dns\":[\"pool.schertz.local\",\"sip.schertz.local\"],\"san_ip\":[]",
		"\"eku\":[\"serverAuth\"],\"server_auth\":true",
		"{\"code\":\"CERT-SAN\",\"severity\":\"error\",\"event_id\":4,",
		"\"frames\":[13,21,23],\"frames_dropped\":0,\"step\":4,\"conn\":0}",
		"\"symptom\":\"There was a problem verifying the certificate from the server.",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (!strstr(j, want[i]))
			fprintf(stderr, "\nmissing in JSON: %s\n", want[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(j, want[i]));
	}
	char sha[100];
	snprintf(sha, sizeof sha, "\"sha256\":\"%s\"", a->conns[0].certs[0].cert.sha256_hex);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, sha));
	free(j);
	/* bytes from packets cannot break the JSON */
	snprintf(a->domain, sizeof a->domain, "a\"b\\c\x01\xff");
	j = render(a, 0, 0, 1);
	end = skip_value(j, 0);
	CU_ASSERT(end != NULL && *skip_ws(end) == '\0');
	free(j);
	sd_attempt_free(a);
}

static void test_json_srv(void)
{
	struct sd_attempt *a = srv_attempt();
	char *j = render(a, 0, 0, 1);
	CU_ASSERT_PTR_NOT_NULL(skip_value(j, 0));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"type\":\"SRV\",\"ttl\":3600,\"priority\":0,\"weight\":10,\"port\":5061,"
					 "\"target\":\"pool.example.com\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"role\":\"SRV-TARGET\",\"parent\":0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"client\":\"2001:db8::5\",\"cport\":50000,\"server\":\"2001:db8::20\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"symptom\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"alert\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"findings\":[]}"));
	free(j);
	sd_attempt_free(a);
}

/* ---------------------------------------------------------------- batch */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CU_ASSERT_FATAL(f != NULL);
	fwrite(data, 1, len, f);
	fclose(f);
}

/* Captures are recognised by their first bytes, whatever their names. */
static void test_is_capture(void)
{
	char dir[] = "/tmp/sd_test_report_XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	char p[256];
	static const struct {
		const char *name;
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
		{ "pcap-le", "\xd4\xc3\xb2\xa1rest", 8, 1 },  { "pcap-be", "\xa1\xb2\xc3\xd4", 4, 1 },
		{ "pcap-ns", "\x4d\x3c\xb2\xa1", 4, 1 },      { "pcapng", "\x0a\x0d\x0d\x0a....", 8, 1 },
		{ "gz.txt", "\x1f\x8b", 2, 1 },                 { "text.pcap", "hello", 5, 0 },
		{ "short", "\xd4\xc3", 2, 0 },                  { "empty", "", 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, cases[i].name);
		write_file(p, cases[i].bytes, cases[i].len);
		CU_ASSERT_EQUAL(sd_is_capture(p), cases[i].want);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s/missing", dir);
	CU_ASSERT_EQUAL(sd_is_capture(p), -1);
	rmdir(dir);
}

/* Directories: captures only, sorted, recursive, no symlink loops; named
 * files as named; patterns through glob(3). */
static void test_inputs(void)
{
	char dir[] = "/tmp/sd_test_report_XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	char p[256], q[256], err[256];
	static const char pcap[] = "\xd4\xc3\xb2\xa1";
	snprintf(p, sizeof p, "%s/sub", dir);
	CU_ASSERT_FATAL(mkdir(p, 0700) == 0);
	snprintf(p, sizeof p, "%s/b.pcap", dir);
	write_file(p, pcap, 4);
	snprintf(p, sizeof p, "%s/a.txt", dir);
	write_file(p, "notes", 5);
	snprintf(p, sizeof p, "%s/sub/c.cap", dir);
	write_file(p, pcap, 4);
	snprintf(p, sizeof p, "%s/sub/loop", dir);
	CU_ASSERT_FATAL(symlink(dir, p) == 0);

	struct sd_inputs in = { 0 };
	CU_ASSERT_EQUAL(sd_inputs_add(&in, dir, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(in.n, 2);
	snprintf(q, sizeof q, "%s/b.pcap", dir);
	CU_ASSERT_STRING_EQUAL(in.paths[0], q);
	snprintf(q, sizeof q, "%s/sub/c.cap", dir);
	CU_ASSERT_STRING_EQUAL(in.paths[1], q);
	sd_inputs_free(&in);

	/* a file named explicitly is kept even when it is not a capture: reading
	 * it then says why */
	snprintf(p, sizeof p, "%s/a.txt", dir);
	CU_ASSERT_EQUAL(sd_inputs_add(&in, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(in.n, 1);
	snprintf(p, sizeof p, "%s/*.pcap", dir);
	CU_ASSERT_EQUAL(sd_inputs_add(&in, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(in.n, 2);
	snprintf(q, sizeof q, "%s/b.pcap", dir);
	CU_ASSERT_STRING_EQUAL(in.paths[1], q);
	snprintf(p, sizeof p, "%s/*.nothing", dir);
	CU_ASSERT_EQUAL(sd_inputs_add(&in, p, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no file matches"));
	CU_ASSERT_EQUAL(in.n, 2);
	sd_inputs_free(&in);

	const char *rm[] = { "sub/loop", "sub/c.cap", "b.pcap", "a.txt" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, rm[i]);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s/sub", dir);
	rmdir(p);
	rmdir(dir);
}

#define NBATCH 40
struct batch_rec {
	int worked[NBATCH];
	int done_seen_work[NBATCH];
	size_t order[NBATCH];
	size_t ndone;
};

static void b_work(void *ud, size_t i)
{
	struct batch_rec *r = ud;
	/* early items slowest, so workers finish out of order */
	usleep((useconds_t)((NBATCH - i) % 7) * 300);
	r->worked[i]++;
}

static void b_done(void *ud, size_t i)
{
	struct batch_rec *r = ud;
	r->done_seen_work[i] = r->worked[i];
	r->order[r->ndone++] = i;
}

/* Results are consumed in input order, each after its work, whatever -j. */
static void test_batch_order(void)
{
	static const unsigned jobs[] = { 1, 2, 4, 64 };
	for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
		struct batch_rec r;
		memset(&r, 0, sizeof r);
		sd_batch_run(NBATCH, jobs[k], b_work, b_done, &r);
		CU_ASSERT_EQUAL(r.ndone, NBATCH);
		for (size_t i = 0; i < NBATCH; i++) {
			CU_ASSERT_EQUAL(r.order[i], i);
			CU_ASSERT_EQUAL(r.worked[i], 1);
			CU_ASSERT_EQUAL(r.done_seen_work[i], 1);
		}
	}
	struct batch_rec r;
	memset(&r, 0, sizeof r);
	sd_batch_run(0, 4, b_work, b_done, &r);
	CU_ASSERT_EQUAL(r.ndone, 0);
}

/* The JSON string escaper, one byte at a time: what the writer's faster
 * copy (8 bytes a step, a 4 KiB buffer) must produce. */
static void ref_escape(char *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	char *o = out;
	*o++ = '"';
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t u;
		if (c == '"' || c == '\\')
			o += sprintf(o, "\\%c", c);
		else if (c == '\n')
			o += sprintf(o, "\\n");
		else if (c == '\t')
			o += sprintf(o, "\\t");
		else if (c == '\r')
			o += sprintf(o, "\\r");
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\u%04x", c);
		else if ((u = sd_utf8_len(s + i, len - i)) > 0) {
			memcpy(o, s + i, u);
			o += u;
			i += u;
			continue;
		} else
			o += sprintf(o, "\\u%04x", c);
		i++;
	}
	*o++ = '"';
	*o = '\0';
}

/* Every byte value at every offset of a word, and strings across the
 * writer's buffer, come out as the one-byte-at-a-time escaper has them. */
static void test_json_strings(void)
{
	static char s[9000], want[6 * 9000 + 16];
	for (size_t len = 1; len <= 9000; len = len < 40 ? len + 1 : len * 3 / 2) {
		for (size_t k = 0; k < len; k++)
			s[k] = (char)('a' + k % 26);
		for (unsigned c = 1; c < 256; c += len < 40 ? 1 : 37) {
			size_t pos = (c * 7919u) % len;
			char keep = s[pos];
			s[pos] = (char)c;
			if (len > 4100 && c < 40)
				s[4090 + c % 8] = '"'; /* near the buffer's end */
			char *buf = NULL;
			size_t blen = 0;
			FILE *f = open_memstream(&buf, &blen);
			CU_ASSERT_FATAL(f != NULL);
			struct sd_json *j = malloc(sizeof *j);
			CU_ASSERT_FATAL(j != NULL);
			sd_json_init(j, f);
			sd_json_arr(j, NULL);
			sd_json_strn(j, NULL, s, len);
			sd_json_arr_end(j);
			sd_json_init(j, f); /* the string as the outermost value */
			sd_json_strn(j, NULL, s, len);
			free(j);
			fclose(f);
			ref_escape(want, s, len);
			size_t wl = strlen(want);
			CU_ASSERT_FATAL(blen == 2 * wl + 2);
			CU_ASSERT(buf[0] == '[' && memcmp(buf + 1, want, wl) == 0 && buf[wl + 1] == ']');
			CU_ASSERT(memcmp(buf + wl + 2, want, wl) == 0);
			free(buf);
			s[pos] = keep;
			for (size_t k = 4090; k < 4098 && k < len; k++)
				s[k] = (char)('a' + k % 26);
		}
	}
}

static const struct sd_test tests[] = {
	SD_TEST(test_text_exact), SD_TEST(test_text_srv_ipv6), SD_TEST(test_verbose),
	SD_TEST(test_color),      SD_TEST(test_sanitize),      SD_TEST(test_wrap_long),
	SD_TEST(test_event_order), SD_TEST(test_json),         SD_TEST(test_json_srv),
	SD_TEST(test_is_capture), SD_TEST(test_inputs),        SD_TEST(test_batch_order),
	SD_TEST(test_json_strings),
	{ 0 },
};

int main(void) { return sd_run_tests("report", tests); }
