/* The SQLite store: schema creation and migration, one transaction per
 * capture, replacement on re-analysis, read-back for "report", live mode,
 * and every query printed in docs/schema.md run as written. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "store.h"
#include "testutil.h"

static char dbpath[256];

static void fresh_path(const char *tag)
{
	snprintf(dbpath, sizeof dbpath, "/tmp/sd-test-store-%d-%s.db", (int)getpid(), tag);
	char p[300];
	unlink(dbpath);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	unlink(p);
}

static long long scalar(const char *path, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

/* A self-signed certificate with a SAN, made here so the test needs no files.
 * Made once: every attempt presents the same certificate, as one pool does. */
static uint8_t *make_cert_der_new(const char *cn, const char *san, size_t *len);
static uint8_t *make_cert_der(const char *cn, const char *san, size_t *len)
{
	static uint8_t *der;
	static size_t der_len;
	if (!der)
		der = make_cert_der_new(cn, san, &der_len);
	uint8_t *copy = malloc(der_len);
	memcpy(copy, der, der_len);
	*len = der_len;
	return copy;
}

static uint8_t *make_cert_der_new(const char *cn, const char *san, size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	X509_sign(x, k, EVP_sha256());
	unsigned char *der = NULL;
	int l = i2d_X509(x, &der);
	X509_free(x);
	EVP_PKEY_free(k);
	uint8_t *copy = malloc((size_t)l);
	memcpy(copy, der, (size_t)l);
	OPENSSL_free(der);
	*len = (size_t)l;
	return copy;
}

/* The lab story's second attempt, built by hand: SRV NXDOMAIN, sipinternal
 * CNAME to the pool, TLS with a certificate lacking sipinternal. */
static struct sd_attempt *lab_attempt(uint64_t id, const char *client)
{
	struct sd_attempt *a = calloc(1, sizeof *a);
	a->id = id;
	sd_addr_parse(client, &a->client);
	strcpy(a->domain, "schertz.local");
	strcpy(a->profile, "oc2007");
	a->profile_auto = 1;
	strcpy(a->profile_why, "only legacy names queried");
	a->verdict = SD_VERDICT_FAILED;
	a->end_reason = SD_END_GAVE_UP;
	a->ts_start_ns = 1700000000LL * 1000000000LL;
	a->ts_end_ns = a->ts_start_ns + 250000000LL;
	a->frame_first = 1;
	a->frame_last = 30;
	a->nsteps = 2;
	a->steps = calloc(2, sizeof *a->steps);
	struct sd_step *s = &a->steps[0];
	s->order = 1;
	s->role = SD_ROLE_S1;
	s->parent = -1;
	s->conn = -1;
	strcpy(s->name, "_sipinternaltls._tcp.schertz.local");
	s->qtype = 33;
	s->transport = 17;
	s->state = SD_STEP_ANSWERED;
	s->rcode = 3;
	s->rtt_ns = 400000;
	s->frame = 1;
	s->resp_frame = 2;
	s = &a->steps[1];
	s->order = 2;
	s->role = SD_ROLE_F1;
	s->parent = -1;
	s->conn = 0;
	strcpy(s->name, "sipinternal.schertz.local");
	strcpy(s->queried, s->name);
	strcpy(s->expected, s->name);
	strcpy(s->canonical, "pool.schertz.local");
	s->qtype = 1;
	s->transport = 17;
	s->state = SD_STEP_ANSWERED;
	s->rcode = 0;
	s->resolved = 1;
	s->via_cname = 1;
	s->frame = 9;
	s->resp_frame = 10;
	s->rtt_ns = 1234567890123456789LL; /* past 2^53: a double would round it */
	s->nqueries = 1;
	s->queries = calloc(1, sizeof *s->queries);
	strcpy(s->queries[0].qname, "sipinternal.schertz.local");
	s->queries[0].qtype = 1;
	s->queries[0].frame = 9;
	s->queries[0].resp_frame = 10;
	s->queries[0].txid = 0xbeef;
	s->queries[0].ts_ns = 1700000000123456789LL;
	s->queries[0].rtt_ns = 1500000;
	s->queries[0].tc = 1;
	s->queries[0].status = SD_E_TRUNC;
	s->queries[0].nanswers = 2;
	s->nanswers = 2;
	s->answers = calloc(2, sizeof *s->answers);
	s->answers[0].type = 5;
	s->answers[0].section = 1;
	strcpy(s->answers[0].owner, "sipinternal.schertz.local");
	strcpy(s->answers[0].target, "pool.schertz.local");
	s->answers[0].frame = 10;
	s->answers[1].type = 1;
	s->answers[1].section = 1;
	strcpy(s->answers[1].owner, "pool.schertz.local");
	sd_addr_parse("10.77.0.20", &s->answers[1].addr);
	s->answers[1].frame = 10;
	a->nconns = 1;
	a->conns = calloc(1, sizeof *a->conns);
	struct sd_conn *c = &a->conns[0];
	c->step = 1;
	c->conn_id = 7;
	strcpy(c->expected, "sipinternal.schertz.local");
	c->client = a->client;
	sd_addr_parse("10.77.0.20", &c->server);
	c->cport = 40000;
	c->sport = 5061;
	c->outcome = SD_CONN_TLS_ALERT;
	c->version = 0x0301;
	c->has_sh = 1;
	c->syn_frame = 11;
	c->cert_frame = 16;
	c->alert_frame = 18;
	c->alert_level = 1; /* a warning: rows before schema 4 read every alert as fatal */
	c->alert_desc = 42;
	c->ncerts = 2;
	c->certs_total = 2;
	c->certs = calloc(2, sizeof *c->certs);
	c->certs[0].der = make_cert_der("pool.schertz.local", "DNS:pool.schertz.local,DNS:sip.schertz.local",
					&c->certs[0].der_len);
	char err[128];
	c->certs[0].decoded =
		sd_x509_decode(c->certs[0].der, c->certs[0].der_len, &c->certs[0].cert, err, sizeof err) == 0;
	/* the issuer's, which did not decode: its bytes are not kept, its length is */
	c->certs[1].der = malloc(3);
	memcpy(c->certs[1].der, "\x30\x82\x01", 3);
	c->certs[1].der_len = 3;
	strcpy(c->certs[1].err, "certificate: truncated");
	a->nfindings = 2;
	a->findings = calloc(2, sizeof *a->findings);
	struct sd_finding *f = &a->findings[0];
	strcpy(f->code, "CERT-SAN");
	f->severity = SD_SEV_ERROR;
	f->event_id = 4;
	strcpy(f->message, "certificate of 10.77.0.20 lacks sipinternal.schertz.local");
	strcpy(f->fix, "add sipinternal.schertz.local to the SAN");
	f->frames[0] = 16;
	f->frames[1] = 18;
	f->nframes = 2;
	f->step = 1;
	f->conn = 0;
	f = &a->findings[1];
	strcpy(f->code, "NO_SRV");
	f->severity = SD_SEV_WARN;
	f->event_id = 1;
	f->frames[0] = 2;
	f->nframes = 1;
	f->step = 0;
	f->conn = -1;
	a->event_ids[0] = 1;
	a->event_ids[1] = 4;
	a->nevent_ids = 2;
	a->winning_step = 1;
	a->winning_conn = 0;
	strcpy(a->expected_name, "sipinternal.schertz.local");
	strcpy(a->symptom, "There was a problem verifying the certificate from the server.");
	return a;
}

static struct sd_run_info run_ok(void)
{
	struct sd_run_info r;
	memset(&r, 0, sizeof r);
	strcpy(r.format, "pcapng");
	r.linktypes[0] = 1;
	r.nlinktypes = 1;
	r.frames = 30;
	r.first_ts_ns = 1700000000LL * 1000000000LL;
	r.last_ts_ns = r.first_ts_ns + 1000000000LL;
	return r;
}

/* Stores one "capture" (by its fingerprint) with n attempts; 0 on success. */
static int store_capture(struct sd_store *st, const struct sd_fp *fp, int n)
{
	char err[256];
	struct sd_store_capture c = { "lab.pcapng", 1234, fp, "test", 1700000000, 0 };
	int64_t id = sd_store_begin(st, &c, err, sizeof err);
	if (id <= 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct sd_attempt *a = lab_attempt((uint64_t)i + 1, i % 2 ? "10.77.0.6" : "10.77.0.5");
		int rc = sd_store_attempt(st, id, a, err, sizeof err);
		sd_attempt_free(a);
		if (rc)
			return -1;
	}
	struct sd_run_info r = run_ok();
	return sd_store_end(st, id, &r, err, sizeof err);
}

static const struct sd_fp FP_A_ = { 1234, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "" };
static const struct sd_fp FP_B_ = { 1234, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "" };
#define FP_A (&FP_A_)
#define FP_B (&FP_B_)

static void test_create_and_counts(void)
{
	fresh_path("create");
	char err[256] = "";
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "PRAGMA user_version"), SD_STORE_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 2), 0);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 2);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM steps"), 4);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM answers"), 4);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM connections"), 2);
	/* the same certificate twice: stored once, with its two SAN names */
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM certificates"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM certificate_names"), 2);
	/* two chains of two: the decoded leaf, and an issuer kept as its error and length */
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM connection_certificates"), 4);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM connection_certificates WHERE cert_id IS NULL"
				       " AND decode_error = 'certificate: truncated' AND der_len = 3"),
			2);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM findings"), 4);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures WHERE status = 'ok' AND frames = 30"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM findings WHERE code = 'CERT-SAN' AND frames = '16,18'"
					" AND event_id = 4"), 2);
	CU_ASSERT_EQUAL(sd_store_known(st, FP_A), 1);
	CU_ASSERT_EQUAL(sd_store_known(st, FP_B), 0);
	/* the same bytes again: replaced, not duplicated */
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 2), 0);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 2);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM steps"), 4);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM findings"), 4);
	CU_ASSERT_EQUAL(store_capture(st, FP_B, 1), 0);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 3);
	CU_ASSERT_EQUAL(scalar(dbpath, "PRAGMA foreign_key_check"), -1); /* no rows = no violation */
	sd_store_close(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
}

static void test_abort_keeps_nothing(void)
{
	fresh_path("abort");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 1), 0);
	struct sd_store_capture c = { "other.pcap", 1, FP_B, "test", 0, 0 };
	int64_t id = sd_store_begin(st, &c, err, sizeof err);
	CU_ASSERT(id > 0);
	struct sd_attempt *a = lab_attempt(1, "10.77.0.9");
	CU_ASSERT_EQUAL(sd_store_attempt(st, id, a, err, sizeof err), 0);
	sd_attempt_free(a);
	sd_store_abort(st);
	sd_store_close(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts WHERE client = '10.77.0.9'"), 0);
}

static void test_newer_refused_and_foreign_refused(void)
{
	fresh_path("newer");
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	char err[256] = "";
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 99 is newer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, dbpath));

	fresh_path("foreign");
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "CREATE TABLE mine (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	err[0] = 0;
	st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a sipdisc store"));
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM sqlite_master"), 1);
}

/* A version-1 database (tables, no indexes or views) is upgraded in place
 * and keeps its rows. */
static void test_migrate_v1(void)
{
	fresh_path("migrate");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 2), 0);
	sd_store_close(st);
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	char *msg = NULL;
	/* back to version 1: undo migration 4, 3, then 2 */
	int rc = sqlite3_exec(db,
			      "BEGIN; ALTER TABLE connections DROP COLUMN conn_id; ALTER TABLE steps DROP COLUMN rtt_ns;"
			      " ALTER TABLE connections DROP COLUMN alert_level;"
			      " ALTER TABLE connection_certificates DROP COLUMN der_len;"
			      " DROP INDEX captures_xxh128; ALTER TABLE captures DROP COLUMN xxh128;"
			      " CREATE INDEX attempts_capture ON attempts(capture_id);"
			      " CREATE INDEX steps_attempt ON steps(attempt_id);"
			      " CREATE INDEX connections_attempt ON connections(attempt_id);"
			      " DROP VIEW failed_signins_by_domain; DROP VIEW certificate_problems;"
			      " DROP VIEW fallback_discovery; DROP INDEX attempts_capture; DROP INDEX attempts_domain;"
			      " DROP INDEX attempts_client; DROP INDEX steps_attempt; DROP INDEX answers_step;"
			      " DROP INDEX connections_attempt; DROP INDEX conncerts_cert; DROP INDEX findings_attempt;"
			      " DROP INDEX findings_code; DROP INDEX certnames_name; PRAGMA user_version = 1; COMMIT;",
			      NULL, NULL, &msg);
	CU_ASSERT_EQUAL(rc, SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(scalar(dbpath, "PRAGMA user_version"), 1);
	st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	sd_store_close(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "PRAGMA user_version"), SD_STORE_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 2);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT failed FROM failed_signins_by_domain"), 2);
}

struct seen {
	int n;
	char path[64];
	struct sd_attempt copy_fields;
	size_t nsteps, nanswers1, nconns, ncerts, nfindings, nsan;
	uint64_t cert_frame, f0frame1;
	char san1[256], expected[SD_ATT_NAME];
	struct sd_query q1; /* step 1's first query */
	int64_t rtt1;
	uint8_t alert_level;
	size_t der_len1; /* the undecodable second certificate */
	char err1[128];
	size_t nq1;
	uint64_t conn_id;
};

static void collect(void *ud, const char *path, const struct sd_attempt *a)
{
	struct seen *s = ud;
	if (s->n++)
		return;
	snprintf(s->path, sizeof s->path, "%s", path);
	s->copy_fields.id = a->id;
	s->copy_fields.verdict = a->verdict;
	s->copy_fields.nevent_ids = a->nevent_ids;
	s->copy_fields.event_ids[1] = a->event_ids[1];
	s->nsteps = a->nsteps;
	s->nanswers1 = a->nsteps > 1 ? a->steps[1].nanswers : 0;
	s->nconns = a->nconns;
	s->ncerts = a->nconns ? a->conns[0].ncerts : 0;
	s->nfindings = a->nfindings;
	s->cert_frame = a->nconns ? a->conns[0].cert_frame : 0;
	s->f0frame1 = a->nfindings ? a->findings[0].frames[1] : 0;
	if (s->ncerts && a->conns[0].certs[0].decoded) {
		s->nsan = a->conns[0].certs[0].cert.nsan_dns;
		snprintf(s->san1, sizeof s->san1, "%s", a->conns[0].certs[0].cert.san_dns[1]);
	}
	snprintf(s->expected, sizeof s->expected, "%s", a->expected_name);
	s->nq1 = a->nsteps > 1 ? a->steps[1].nqueries : 0;
	s->rtt1 = a->nsteps > 1 ? a->steps[1].rtt_ns : 0;
	if (s->nq1)
		s->q1 = a->steps[1].queries[0];
	s->conn_id = a->nconns ? a->conns[0].conn_id : 0;
	s->alert_level = a->nconns ? a->conns[0].alert_level : 0;
	if (a->nconns && a->conns[0].ncerts > 1) {
		s->der_len1 = a->conns[0].certs[1].der_len;
		snprintf(s->err1, sizeof s->err1, "%s", a->conns[0].certs[1].err);
	}
}

static void test_read_back(void)
{
	fresh_path("read");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 3), 0);
	struct seen s;
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sd_store_each(st, NULL, collect, &s, err, sizeof err), 3);
	CU_ASSERT_STRING_EQUAL(s.path, "lab.pcapng");
	CU_ASSERT_EQUAL(s.copy_fields.id, 1);
	CU_ASSERT_EQUAL(s.copy_fields.verdict, SD_VERDICT_FAILED);
	CU_ASSERT_EQUAL(s.copy_fields.nevent_ids, 2);
	CU_ASSERT_EQUAL(s.copy_fields.event_ids[1], 4);
	CU_ASSERT_EQUAL(s.nsteps, 2);
	CU_ASSERT_EQUAL(s.nanswers1, 2);
	CU_ASSERT_EQUAL(s.nconns, 1);
	CU_ASSERT_EQUAL(s.ncerts, 2);
	CU_ASSERT_EQUAL(s.nsan, 2);
	CU_ASSERT_STRING_EQUAL(s.san1, "sip.schertz.local");
	CU_ASSERT_EQUAL(s.cert_frame, 16);
	CU_ASSERT_EQUAL(s.nfindings, 2);
	CU_ASSERT_EQUAL(s.f0frame1, 18);
	CU_ASSERT_STRING_EQUAL(s.expected, "sipinternal.schertz.local");
	/* every field the reports print comes back (schema 4) */
	CU_ASSERT_EQUAL(s.nq1, 1);
	CU_ASSERT_STRING_EQUAL(s.q1.qname, "sipinternal.schertz.local");
	CU_ASSERT_EQUAL(s.q1.qtype, 1);
	CU_ASSERT_EQUAL(s.q1.frame, 9);
	CU_ASSERT_EQUAL(s.q1.resp_frame, 10);
	CU_ASSERT_EQUAL(s.q1.txid, 0xbeef);
	CU_ASSERT_EQUAL(s.q1.ts_ns, 1700000000123456789LL);
	CU_ASSERT_EQUAL(s.q1.rtt_ns, 1500000);
	CU_ASSERT_EQUAL(s.q1.tc, 1);
	CU_ASSERT_EQUAL(s.q1.status, SD_E_TRUNC);
	CU_ASSERT_EQUAL(s.q1.nanswers, 2);
	CU_ASSERT_EQUAL(s.conn_id, 7);
	CU_ASSERT_EQUAL(s.rtt1, 1234567890123456789LL);
	CU_ASSERT_EQUAL(s.alert_level, 1);
	CU_ASSERT_EQUAL(s.der_len1, 3);
	CU_ASSERT_STRING_EQUAL(s.err1, "certificate: truncated");
	/* filters are bound parameters */
	struct sd_store_filter f = { NULL, "10.77.0.6", NULL, 0 };
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sd_store_each(st, &f, collect, &s, err, sizeof err), 1);
	struct sd_store_filter g = { "SCHERTZ.local", NULL, "failed", 0 };
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sd_store_each(st, &g, collect, &s, err, sizeof err), 3);
	struct sd_store_filter h = { "x' OR 1=1 --", NULL, NULL, 0 };
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sd_store_each(st, &h, collect, &s, err, sizeof err), 0);
	struct sd_store_filter i = { NULL, NULL, NULL, 1700000001 };
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sd_store_each(st, &i, collect, &s, err, sizeof err), 0);
	sd_store_close(st);
}

/* A query list written before schema 4 (no id, times, status) reads with
 * those fields "not known"; one damaged by hand is an error that says where,
 * not a silently shorter list. */
static void test_read_old_and_damaged_queries(void)
{
	fresh_path("oldq");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 1), 0);
	sd_store_close(st);
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	CU_ASSERT_EQUAL(sqlite3_exec(db,
				     "UPDATE steps SET queries = '[{\"qname\":\"sip.schertz.local\",\"type\":\"A\","
				     "\"frame\":9,\"resp_frame\":10,\"rcode\":3,\"server\":\"10.77.0.53\","
				     "\"transport\":\"tcp\",\"suffix_retry\":0,\"retransmit\":1}]' WHERE idx = 1",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(db);
	st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct seen s;
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sd_store_each(st, NULL, collect, &s, err, sizeof err), 1);
	CU_ASSERT_EQUAL(s.nq1, 1);
	CU_ASSERT_STRING_EQUAL(s.q1.qname, "sip.schertz.local");
	CU_ASSERT_EQUAL(s.q1.rcode, 3);
	CU_ASSERT_EQUAL(s.q1.transport, 6);
	CU_ASSERT_EQUAL(s.q1.retransmit, 1);
	CU_ASSERT_EQUAL(s.q1.rtt_ns, -1);
	CU_ASSERT_EQUAL(s.q1.txid, 0);
	CU_ASSERT_EQUAL(s.q1.status, SD_OK);
	sd_store_close(st);

	sqlite3_open(dbpath, &db);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE steps SET queries = '[{\"qname\":' WHERE idx = 1", NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(db);
	st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	memset(&s, 0, sizeof s);
	err[0] = 0;
	CU_ASSERT_EQUAL(sd_store_each(st, NULL, collect, &s, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "reading attempt"));
	CU_ASSERT_EQUAL(s.n, 0);
	sd_store_close(st);
}

static void test_live_commits_each_attempt(void)
{
	fresh_path("live");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct sd_store_capture c = { "veth0", 0, NULL, "test", 0, 1 };
	int64_t id = sd_store_begin(st, &c, err, sizeof err);
	CU_ASSERT_FATAL(id > 0);
	/* visible to another reader while the run goes on */
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures WHERE status = 'running' AND live = 1"), 1);
	struct sd_attempt *a = lab_attempt(1, "10.77.0.5");
	CU_ASSERT_EQUAL(sd_store_attempt(st, id, a, err, sizeof err), 0);
	sd_attempt_free(a);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 1);
	struct sd_run_info r = run_ok();
	strcpy(r.format, "live");
	CU_ASSERT_EQUAL(sd_store_end(st, id, &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures WHERE status = 'ok' AND format = 'live'"), 1);
	sd_store_close(st);
}

static void test_unreadable_capture_recorded(void)
{
	fresh_path("bad");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct sd_store_capture c = { "junk.pcap", 5, FP_B, "test", 0, 0 };
	int64_t id = sd_store_begin(st, &c, err, sizeof err);
	struct sd_run_info r;
	memset(&r, 0, sizeof r);
	r.status = -1;
	strcpy(r.error, "junk.pcap: not a capture file (magic 0x6a756e6b)");
	CU_ASSERT_EQUAL(sd_store_end(st, id, &r, err, sizeof err), 0);
	sd_store_close(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures WHERE status = 'unreadable'"
				       " AND error LIKE 'junk.pcap: not a capture%'"), 1);
}

/* Every ```sql block of docs/schema.md must run as written. */
static void test_schema_doc_queries(void)
{
	fresh_path("doc");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 2), 0);
	sd_store_close(st);
	size_t len;
	uint8_t *raw = sd_slurp(sd_srcpath("docs/schema.md"), &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	char *doc = calloc(1, len + 1); /* sd_slurp does not terminate */
	memcpy(doc, raw, len);
	free(raw);
	sqlite3 *db;
	sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL);
	int nq = 0, rows_total = 0;
	char *p = doc;
	while ((p = strstr(p, "```sql\n")) != NULL) {
		p += 7;
		char *end = strstr(p, "```");
		CU_ASSERT_PTR_NOT_NULL_FATAL(end);
		*end = 0;
		sqlite3_stmt *s;
		int rc = sqlite3_prepare_v2(db, p, -1, &s, NULL);
		if (rc != SQLITE_OK)
			fprintf(stderr, "query failed: %s\n%s\n", sqlite3_errmsg(db), p);
		CU_ASSERT_EQUAL(rc, SQLITE_OK);
		int rows = 0;
		if (rc == SQLITE_OK)
			while ((rc = sqlite3_step(s)) == SQLITE_ROW)
				rows++;
		CU_ASSERT(rc == SQLITE_DONE || rc == SQLITE_OK);
		sqlite3_finalize(s);
		rows_total += rows;
		nq++;
		p = end + 3;
	}
	CU_ASSERT(nq >= 8);
	CU_ASSERT(rows_total >= 8); /* the filled database answers them */
	/* and the answers are right: the certificate lacks the expected name */
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM failed_signins_by_domain WHERE domain = 'schertz.local'"
				       " AND failed = 2 AND clients = 2"),
			1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM fallback_discovery WHERE failed = 2"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM certificate_problems WHERE code = 'CERT-SAN'"), 2);
	sqlite3_close(db);
	free(doc);
}

/* One-shot digests of data, as the streaming reader must match them. */
static void want_digests(const unsigned char *data, size_t n, char want_x[33], char want_s[65])
{
	XXH128_canonical_t cx;
	XXH128_canonicalFromHash(&cx, XXH3_128bits(data, n));
	unsigned char md[32];
	SHA256(data, n, md);
	for (int i = 0; i < 16; i++)
		snprintf(want_x + 2 * i, 3, "%02x", cx.digest[i]);
	for (int i = 0; i < 32; i++)
		snprintf(want_s + 2 * i, 3, "%02x", md[i]);
}

/* Fingerprints: the streaming reader, read whole, read in part, or read
 * with a seek back (as the capture reader does), always hashes each byte
 * of the file exactly once, and agrees with one-shot XXH3-128 / SHA-256. */
static void test_fingerprint_of_file(void)
{
	fresh_path("fp");
	unsigned char data[300000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	FILE *f = fopen(dbpath, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(data, 1, sizeof data, f);
	fclose(f);
	char want_x[33], want_s[65];
	want_digests(data, sizeof data, want_x, want_s);

	struct sd_fp fp;
	char err[256];
	CU_ASSERT_EQUAL(sd_fp_file(dbpath, 1, &fp, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(fp.xxh128, want_x);
	CU_ASSERT_STRING_EQUAL(fp.sha256, want_s);
	CU_ASSERT_EQUAL(fp.size, sizeof data);
	CU_ASSERT_EQUAL(sd_fp_file(dbpath, 0, &fp, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(fp.xxh128, want_x);
	CU_ASSERT_STRING_EQUAL(fp.sha256, "");

	/* peek, rewind, read part, skip ahead, close: still the whole file */
	struct sd_fp_reader *r;
	FILE *s = sd_fp_open(dbpath, 1, &r, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	unsigned char buf[4096];
	CU_ASSERT_EQUAL(fread(buf, 1, 4, s), 4);
	CU_ASSERT_EQUAL(ftell(s), 4);
	CU_ASSERT_EQUAL(fseek(s, 0, SEEK_SET), 0);
	CU_ASSERT_EQUAL(fread(buf, 1, sizeof buf, s), sizeof buf);
	CU_ASSERT_EQUAL(memcmp(buf, data, sizeof buf), 0);
	CU_ASSERT_EQUAL(fseek(s, 200000, SEEK_SET), 0);
	CU_ASSERT_EQUAL(fread(buf, 1, 10, s), 10);
	CU_ASSERT_EQUAL(memcmp(buf, data + 200000, 10), 0);
	CU_ASSERT_EQUAL(sd_fp_result(r, &fp), -1); /* not closed yet */
	fclose(s);
	CU_ASSERT_EQUAL(sd_fp_result(r, &fp), 0);
	CU_ASSERT_STRING_EQUAL(fp.xxh128, want_x);
	CU_ASSERT_STRING_EQUAL(fp.sha256, want_s);
	CU_ASSERT_EQUAL(fp.size, sizeof data);
	sd_fp_free(r);

	CU_ASSERT_EQUAL(sd_fp_file("/nonexistent/x", 0, &fp, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x"));
	unlink(dbpath);
}

/* A large file is hashed on a thread a chunk behind the reader: small
 * reads (served from stdio's buffer) and reads larger than the buffer
 * (made straight into the caller's memory, hashed at once) mixed with seeks
 * back and forth still give the one-shot digests. */
static void test_fingerprint_large_file(void)
{
	fresh_path("fpbig");
	size_t n = (20u << 20) + 12345;
	unsigned char *data = malloc(n), *buf = malloc(3u << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		data[i] = (unsigned char)x;
	}
	FILE *f = fopen(dbpath, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, n, f), n);
	fclose(f);
	char want_x[33], want_s[65];
	want_digests(data, n, want_x, want_s);

	char err[256];
	struct sd_fp_reader *r;
	FILE *s = sd_fp_open(dbpath, 1, &r, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	size_t off = 0, step = 0;
	int same = 1;
	while (off < n) {
		/* 16 bytes, 1500, 64 KiB, 3 MiB (larger than stdio's buffer) */
		static const size_t sizes[] = { 16, 1500, 65536, 3u << 20 };
		size_t want = sizes[step++ % 4];
		size_t got = fread(buf, 1, want, s);
		same &= got > 0 && memcmp(buf, data + off, got) == 0;
		off += got;
		if (!got)
			break;
		if (step == 7) { /* back to the start and forward again */
			CU_ASSERT_EQUAL(fseek(s, 0, SEEK_SET), 0);
			CU_ASSERT_EQUAL(fseek(s, (long)off, SEEK_SET), 0);
		}
	}
	CU_ASSERT(same);
	CU_ASSERT_EQUAL(off, n);
	fclose(s);
	struct sd_fp fp;
	CU_ASSERT_EQUAL(sd_fp_result(r, &fp), 0);
	CU_ASSERT_STRING_EQUAL(fp.xxh128, want_x);
	CU_ASSERT_STRING_EQUAL(fp.sha256, want_s);
	CU_ASSERT_EQUAL(fp.size, n);
	sd_fp_free(r);
	/* closed after a part only: the rest is read at close */
	s = sd_fp_open(dbpath, 0, &r, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(fread(buf, 1, 5u << 10, s), 5u << 10);
	fclose(s);
	CU_ASSERT_EQUAL(sd_fp_result(r, &fp), 0);
	CU_ASSERT_STRING_EQUAL(fp.xxh128, want_x);
	sd_fp_free(r);
	free(data);
	free(buf);
	unlink(dbpath);
}

/* A capture streamed while it is hashed gets its fingerprint last; an
 * earlier analysis of the same bytes is replaced then, inside the same
 * transaction. */
static void test_fp_set_late_replaces(void)
{
	fresh_path("late");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_capture(st, FP_A, 2), 0);
	struct sd_store_capture c = { "again.pcapng", 1234, NULL, "test", 0, 0 };
	int64_t id = sd_store_begin(st, &c, err, sizeof err);
	CU_ASSERT_FATAL(id > 0);
	struct sd_attempt *a = lab_attempt(1, "10.77.0.7");
	CU_ASSERT_EQUAL(sd_store_attempt(st, id, a, err, sizeof err), 0);
	sd_attempt_free(a);
	CU_ASSERT_EQUAL(sd_store_set_fingerprint(st, id, FP_A, err, sizeof err), 0);
	struct sd_run_info r = run_ok();
	CU_ASSERT_EQUAL(sd_store_end(st, id, &r, err, sizeof err), 0);
	sd_store_close(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures WHERE path = 'again.pcapng' AND xxh128 = "
				       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' AND sha256 IS NULL AND size = 1234"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts WHERE client = '10.77.0.7'"), 1);
}

/* A version-2 database knows its captures by SHA-256 only: after the
 * migration the store asks for SHA-256, and a capture stored with both
 * hashes replaces the old row; once none is left, SHA-256 is not needed. */
static void test_migrate_v2_sha256_rows(void)
{
	fresh_path("v2");
	char err[256];
	struct sd_store *st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(sd_store_wants_sha256(st), 0);
	CU_ASSERT_EQUAL(store_capture(st, FP_B, 1), 0);
	sd_store_close(st);
	const char *sha = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "BEGIN; UPDATE captures SET sha256 = '%s'; ALTER TABLE connections DROP COLUMN conn_id;"
		 " ALTER TABLE connections DROP COLUMN alert_level; ALTER TABLE steps DROP COLUMN rtt_ns;"
		 " ALTER TABLE connection_certificates DROP COLUMN der_len;"
		 " DROP INDEX captures_xxh128;"
		 " ALTER TABLE captures DROP COLUMN xxh128;"
		 " CREATE INDEX attempts_capture ON attempts(capture_id);"
		 " CREATE INDEX steps_attempt ON steps(attempt_id);"
		 " CREATE INDEX connections_attempt ON connections(attempt_id);"
		 " PRAGMA user_version = 2; COMMIT;",
		 sha);
	CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = sd_store_open(dbpath, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(scalar(dbpath, "PRAGMA user_version"), SD_STORE_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM sqlite_master WHERE name = 'steps_attempt'"), 0);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM pragma_table_info('connections') WHERE name = 'conn_id'"),
			1);
	CU_ASSERT_EQUAL(sd_store_wants_sha256(st), 1);
	struct sd_fp both = { 1234, "dddddddddddddddddddddddddddddddd", "" };
	snprintf(both.sha256, sizeof both.sha256, "%s", sha);
	CU_ASSERT_EQUAL(sd_store_known(st, &both), 1);
	CU_ASSERT_EQUAL(store_capture(st, &both, 2), 0);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM captures"), 1);
	CU_ASSERT_EQUAL(scalar(dbpath, "SELECT count(*) FROM attempts"), 2);
	CU_ASSERT_EQUAL(sd_store_wants_sha256(st), 0);
	sd_store_close(st);
}

static const struct sd_test tests[] = {
	SD_TEST(test_fp_set_late_replaces),
	SD_TEST(test_migrate_v2_sha256_rows),
	SD_TEST(test_create_and_counts),
	SD_TEST(test_abort_keeps_nothing),
	SD_TEST(test_newer_refused_and_foreign_refused),
	SD_TEST(test_migrate_v1),
	SD_TEST(test_read_back),
	SD_TEST(test_read_old_and_damaged_queries),
	SD_TEST(test_live_commits_each_attempt),
	SD_TEST(test_unreadable_capture_recorded),
	SD_TEST(test_schema_doc_queries),
	SD_TEST(test_fingerprint_of_file),
	SD_TEST(test_fingerprint_large_file),
	{ 0 },
};

int main(void) { return sd_run_tests("store", tests); }
