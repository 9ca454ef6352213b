/*
 * store.c - the SQLite results store. The schema is docs/schema.md; this
 * file creates it, migrates older versions in place (PRAGMA user_version),
 * writes one capture per transaction and reads attempts back for
 * "sipdisc report". Every statement is prepared with bound parameters:
 * names taken from packets never become SQL text.
 */
#define _GNU_SOURCE /* open_memstream, gmtime_r */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dns.h"
#include "json.h"
#include "tls.h"
#include "x509.h"

/* ------------------------------------------------------------ schema */

/* Schema steps, applied in order from the database's user_version. Each
 * runs in one transaction with the version bump, so a database is always
 * at exactly one version. Only ever append. */
static const char *const migrations[] = {
	/* 1: the tables */
	"CREATE TABLE captures ("
	" id INTEGER PRIMARY KEY,"
	" path TEXT NOT NULL,"
	" size INTEGER,"
	" sha256 TEXT UNIQUE,"        /* NULL for a live run */
	" format TEXT,"
	" link_types TEXT,"
	" frames INTEGER,"
	" first_time TEXT, last_time TEXT,"
	" analysed_at TEXT NOT NULL,"
	" tool_version TEXT NOT NULL,"
	" status TEXT NOT NULL,"      /* running | ok | unreadable | read-error */
	" error TEXT,"
	" live INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE attempts ("
	" id INTEGER PRIMARY KEY,"
	" capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" client TEXT NOT NULL, domain TEXT NOT NULL,"
	" profile TEXT, profile_auto INTEGER, profile_why TEXT,"
	" verdict TEXT NOT NULL, end_reason TEXT,"
	" start_time TEXT, end_time TEXT, start_ns INTEGER, end_ns INTEGER,"
	" frame_first INTEGER, frame_last INTEGER,"
	" winning_step INTEGER, winning_conn INTEGER, expected_name TEXT,"
	" symptom TEXT, event_ids TEXT,"
	" evidence_incomplete INTEGER NOT NULL DEFAULT 0, incomplete_why TEXT, incomplete_frames TEXT,"
	" UNIQUE (capture_id, seq));"
	"CREATE TABLE steps ("
	" id INTEGER PRIMARY KEY,"
	" attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, ord INTEGER, role TEXT NOT NULL, parent INTEGER,"
	" name TEXT NOT NULL, queried TEXT, type TEXT, transport TEXT, state TEXT,"
	" rcode INTEGER, rcode_name TEXT, tc INTEGER, rtt_ms REAL, retries INTEGER,"
	" frame INTEGER, resp_frame INTEGER, time TEXT, ts_ns INTEGER, done_ns INTEGER,"
	" resolved INTEGER, via_cname INTEGER, canonical TEXT, conn INTEGER, expected TEXT,"
	" queries TEXT,"                /* JSON array: every query of the step */
	" UNIQUE (attempt_id, idx));"
	"CREATE TABLE answers ("
	" id INTEGER PRIMARY KEY,"
	" step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, type TEXT NOT NULL, section TEXT, ttl INTEGER, owner TEXT,"
	" address TEXT, target TEXT, priority INTEGER, weight INTEGER, port INTEGER,"
	" frame INTEGER, ts_ns INTEGER);"
	"CREATE TABLE certificates ("
	" id INTEGER PRIMARY KEY,"
	" sha256 TEXT NOT NULL UNIQUE, der BLOB NOT NULL,"
	" subject TEXT, issuer TEXT, cn TEXT, serial TEXT,"
	" not_before TEXT, not_after TEXT, key_type TEXT, key_bits INTEGER, sig_alg TEXT,"
	" eku TEXT, eku_server_auth INTEGER, self_issued INTEGER);"
	"CREATE TABLE certificate_names ("
	" cert_id INTEGER NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,"
	" PRIMARY KEY (cert_id, kind, position));"
	"CREATE TABLE connections ("
	" id INTEGER PRIMARY KEY,"
	" attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, step INTEGER, expected TEXT,"
	" client TEXT, client_port INTEGER, server TEXT, server_port INTEGER,"
	" outcome TEXT NOT NULL, midstream INTEGER, closed_by_server INTEGER,"
	" tls_version TEXT, tls_version_offered TEXT, cipher INTEGER, sni TEXT,"
	" alert TEXT, alert_by_server INTEGER, cert_not_visible INTEGER,"
	" gap_bytes INTEGER, gap_frame INTEGER,"
	" syn_frame INTEGER, synack_frame INTEGER, end_frame INTEGER, ch_frame INTEGER,"
	" sh_frame INTEGER, cert_frame INTEGER, alert_frame INTEGER, enc_frame INTEGER,"
	" time TEXT, ts_ns INTEGER, end_ns INTEGER, certs_total INTEGER,"
	" UNIQUE (attempt_id, idx));"
	"CREATE TABLE connection_certificates ("
	" connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,"
	" position INTEGER NOT NULL,"
	" cert_id INTEGER REFERENCES certificates(id),"
	" decode_error TEXT,"
	" PRIMARY KEY (connection_id, position));"
	"CREATE TABLE findings ("
	" id INTEGER PRIMARY KEY,"
	" attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, code TEXT NOT NULL, severity TEXT NOT NULL,"
	" event_id INTEGER, event_text TEXT, dialog TEXT, message TEXT, fix TEXT,"
	" frames TEXT, frames_dropped INTEGER, step INTEGER, conn INTEGER);",

	/* 2: indexes and the views for the questions people ask */
	"CREATE INDEX attempts_capture ON attempts(capture_id);"
	"CREATE INDEX attempts_domain ON attempts(domain, verdict);"
	"CREATE INDEX attempts_client ON attempts(client);"
	"CREATE INDEX steps_attempt ON steps(attempt_id);"
	"CREATE INDEX answers_step ON answers(step_id);"
	"CREATE INDEX connections_attempt ON connections(attempt_id);"
	"CREATE INDEX conncerts_cert ON connection_certificates(cert_id);"
	"CREATE INDEX findings_attempt ON findings(attempt_id);"
	"CREATE INDEX findings_code ON findings(code);"
	"CREATE INDEX certnames_name ON certificate_names(name);"
	"CREATE VIEW failed_signins_by_domain AS"
	" SELECT domain, count(*) AS failed, count(DISTINCT client) AS clients,"
	"  min(start_time) AS first_seen, max(start_time) AS last_seen"
	" FROM attempts WHERE verdict = 'FAILED' GROUP BY domain ORDER BY failed DESC;"
	"CREATE VIEW certificate_problems AS"
	" SELECT a.domain, a.client, f.code, f.severity, f.message, f.fix, c.path AS capture, f.frames"
	" FROM findings f JOIN attempts a ON a.id = f.attempt_id JOIN captures c ON c.id = a.capture_id"
	" WHERE f.code LIKE 'CERT%' ORDER BY a.domain, f.code;"
	"CREATE VIEW fallback_discovery AS"
	" SELECT a.domain, count(*) AS attempts,"
	"  sum(a.verdict = 'FAILED') AS failed,"
	"  group_concat(DISTINCT s.name) AS fallback_names"
	" FROM attempts a JOIN steps s ON s.attempt_id = a.id AND s.idx = a.winning_step"
	" WHERE s.role IN ('F1', 'F2', 'F3') GROUP BY a.domain ORDER BY failed DESC, attempts DESC;",

	/* 3: captures are identified by XXH3-128 (SHA-256 costs more than the
	 * analysis: docs/performance.md); sha256 stays, filled on request. The
	 * three indexes dropped repeat the left column of a UNIQUE constraint's
	 * own index, and each cost a b-tree insert per row. */
	"ALTER TABLE captures ADD COLUMN xxh128 TEXT;"
	"CREATE UNIQUE INDEX captures_xxh128 ON captures(xxh128);"
	"DROP INDEX attempts_capture;"
	"DROP INDEX steps_attempt;"
	"DROP INDEX connections_attempt;",

	/* 4: what the reports print and the rows did not hold exactly, so
	 * that report prints a stored attempt as analyze did: the pipeline's
	 * connection id, the alert's level, the length of a certificate that
	 * could not be decoded (its bytes are not kept), and the round-trip
	 * time in ns (rtt_ms, a double, rounds times past 2^53 ns). */
	("ALTER TABLE connections ADD COLUMN conn_id INTEGER;"
	 "ALTER TABLE connections ADD COLUMN alert_level INTEGER;"
	 "ALTER TABLE connection_certificates ADD COLUMN der_len INTEGER;"
	 "ALTER TABLE steps ADD COLUMN rtt_ns INTEGER;"),
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(NMIGRATIONS == SD_STORE_SCHEMA_VERSION, "store.h names the schema version");

enum {
	Q_DEL_CAPTURE, Q_DEL_OTHER, Q_SET_FP, Q_INS_CAPTURE, Q_END_CAPTURE, Q_KNOWN, Q_LEGACY,

	Q_INS_ATTEMPT, Q_INS_STEP, Q_INS_ANSWER, Q_INS_CONN,
	Q_FIND_CERT, Q_INS_CERT, Q_INS_CERTNAME, Q_INS_CONNCERT, Q_INS_FINDING,
	Q__COUNT
};

static const char *const sql[Q__COUNT] = {
	/* Same bytes: same XXH3-128, or (rows of schema 2, before xxh128) the
	 * same SHA-256. A NULL ?2 matches nothing. */
	[Q_DEL_CAPTURE] = "DELETE FROM captures WHERE xxh128 = ?1 OR sha256 = ?2",
	[Q_DEL_OTHER] = "DELETE FROM captures WHERE (xxh128 = ?1 OR sha256 = ?2) AND id != ?3",
	[Q_SET_FP] = "UPDATE captures SET xxh128 = ?1, sha256 = ?2, size = ?4 WHERE id = ?3",
	[Q_INS_CAPTURE] = "INSERT INTO captures (path, size, xxh128, sha256, analysed_at, tool_version, status, live)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7)",
	[Q_END_CAPTURE] = "UPDATE captures SET format = ?2, link_types = ?3, frames = ?4, first_time = ?5,"
			  " last_time = ?6, status = ?7, error = ?8 WHERE id = ?1",
	[Q_KNOWN] = "SELECT 1 FROM captures WHERE (xxh128 = ?1 OR sha256 = ?2) AND status = 'ok'",
	[Q_LEGACY] = "SELECT EXISTS (SELECT 1 FROM captures WHERE xxh128 IS NULL AND sha256 IS NOT NULL)",

	[Q_INS_ATTEMPT] = "INSERT INTO attempts (capture_id, seq, client, domain, profile, profile_auto,"
			  " profile_why, verdict, end_reason, start_time, end_time, start_ns, end_ns, frame_first,"
			  " frame_last, winning_step, winning_conn, expected_name, symptom, event_ids,"
			  " evidence_incomplete, incomplete_why, incomplete_frames)"
			  " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)",
	[Q_INS_STEP] = "INSERT INTO steps (attempt_id, idx, ord, role, parent, name, queried, type, transport,"
		       " state, rcode, rcode_name, tc, rtt_ms, retries, frame, resp_frame, time, ts_ns, done_ns,"
		       " resolved, via_cname, canonical, conn, expected, queries, rtt_ns)"
		       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
		       "?23,?24,?25,?26,?27)",
	[Q_INS_ANSWER] = "INSERT INTO answers (step_id, idx, type, section, ttl, owner, address, target,"
			 " priority, weight, port, frame, ts_ns) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	[Q_INS_CONN] = "INSERT INTO connections (attempt_id, idx, step, expected, client, client_port, server,"
		       " server_port, outcome, midstream, closed_by_server, tls_version, tls_version_offered,"
		       " cipher, sni, alert, alert_by_server, cert_not_visible, gap_bytes, gap_frame, syn_frame,"
		       " synack_frame, end_frame, ch_frame, sh_frame, cert_frame, alert_frame, enc_frame, time,"
		       " ts_ns, end_ns, certs_total, conn_id, alert_level) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
		       "?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,?32,"
		       "?33,?34)",
	[Q_FIND_CERT] = "SELECT id FROM certificates WHERE sha256 = ?1",
	[Q_INS_CERT] = "INSERT INTO certificates (sha256, der, subject, issuer, cn, serial, not_before,"
		       " not_after, key_type, key_bits, sig_alg, eku, eku_server_auth, self_issued)"
		       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
	[Q_INS_CERTNAME] = "INSERT INTO certificate_names (cert_id, kind, position, name) VALUES (?1,?2,?3,?4)",
	[Q_INS_CONNCERT] = "INSERT INTO connection_certificates (connection_id, position, cert_id, decode_error,"
			   " der_len) VALUES (?1,?2,?3,?4,?5)",
	[Q_INS_FINDING] = "INSERT INTO findings (attempt_id, idx, code, severity, event_id, event_text, dialog,"
			  " message, fix, frames, frames_dropped, step, conn)"
			  " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
};

struct sd_store {
	sqlite3 *db;
	sqlite3_stmt *q[Q__COUNT];
	int in_txn;  /* an offline capture's transaction is open */
	int live;    /* the open capture commits per attempt */
	FILE *qf;    /* steps.queries is written here, rewound for each step */
	char *qbuf;
	size_t qlen;
	int64_t iso_sec; /* the second whose text is in iso_text (-1: none) */
	char iso_text[24];
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int exec(struct sd_store *st, const char *s, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, s, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errlen, "%s", msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int migrate(struct sd_store *st, const char *path, char *err, size_t errlen)
{
	int v = user_version(st->db);
	if (v < 0) {
		seterr(err, errlen, "%s: not an SQLite database or unreadable: %s", path, sqlite3_errmsg(st->db));
		return -1;
	}
	if (v > (int)NMIGRATIONS) {
		seterr(err, errlen,
		       "%s: schema version %d is newer than this sipdisc understands (%d); use a newer sipdisc or "
		       "another --db",
		       path, v, (int)NMIGRATIONS);
		return -1;
	}
	if (v == 0) {
		/* A file that is not ours must not be written into. */
		sqlite3_stmt *s;
		int tables = 0;
		if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				tables = sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
		}
		if (tables) {
			seterr(err, errlen, "%s: an SQLite database that is not a sipdisc store (user_version 0)", path);
			return -1;
		}
	}
	for (size_t i = (size_t)v; i < NMIGRATIONS; i++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %zu;", i + 1);
		if (exec(st, "BEGIN IMMEDIATE", err, errlen) || exec(st, migrations[i], err, errlen) ||
		    exec(st, bump, err, errlen) || exec(st, "COMMIT", err, errlen)) {
			char msg[256];
			snprintf(msg, sizeof msg, "%s", err ? err : "");
			exec(st, "ROLLBACK", NULL, 0);
			seterr(err, errlen, "%s: migrating the schema to version %zu: %s", path, i + 1, msg);
			return -1;
		}
	}
	return 0;
}

/* SQLite's memory statistics take a global mutex in every malloc and
 * free; nothing here reads them. Only possible before SQLite starts. */
static void sqlite_setup(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

struct sd_store *sd_store_open(const char *path, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	struct sd_store *st = calloc(1, sizeof *st);
	if (!st) {
		seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->iso_sec = -1;
	st->qf = open_memstream(&st->qbuf, &st->qlen);
	if (!st->qf) {
		seterr(err, errlen, "%s: out of memory", path);
		free(st);
		return NULL;
	}
	/* NOMUTEX: callers hand the handle from thread to thread but never use
	 * it from two at once (store.h), so SQLite's per-call connection mutex
	 * only cost a lock and an unlock in every bind and step. */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open database: %s", path,
		       st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* A batch writer and a "report" reader may meet: wait, don't fail. */
	sqlite3_busy_timeout(st->db, 10000);
	char e2[256] = "";
	if (exec(st, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", e2,
		 sizeof e2)) {
		seterr(err, errlen, "%s: %s", path, e2);
		goto fail;
	}
	if (migrate(st, path, err, errlen))
		goto fail;
	for (int i = 0; i < Q__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) != SQLITE_OK) {
			seterr(err, errlen, "%s: preparing statement %d: %s", path, i, sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	return st;
fail:
	sd_store_close(st);
	return NULL;
}

void sd_store_close(struct sd_store *st)
{
	if (!st)
		return;
	if (st->in_txn)
		sd_store_abort(st);
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	fclose(st->qf);
	free(st->qbuf);
	free(st);
}

/* ------------------------------------------------------------ helpers */

/* ISO-8601 UTC with microseconds: sortable text that sqlite's date
 * functions understand. The rows of an attempt mostly share their second,
 * so its text is kept: gmtime_r and strftime once per second, not per row. */
static const char *iso_ns(struct sd_store *st, int64_t ns, char buf[40])
{
	if (ns <= 0)
		return NULL;
	int64_t sec = ns / 1000000000LL;
	if (sec != st->iso_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		if (!gmtime_r(&t, &tm) || strftime(st->iso_text, sizeof st->iso_text, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			return NULL;
		st->iso_sec = sec;
	}
	size_t n = strlen(st->iso_text);
	memcpy(buf, st->iso_text, n);
	unsigned us = (unsigned)((ns % 1000000000LL) / 1000);
	buf[n] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		buf[n + (size_t)i] = (char)('0' + us % 10);
	buf[n + 7] = 'Z';
	buf[n + 8] = 0;
	return buf;
}

static const char *iso_s(int64_t s, char *buf, size_t len)
{
	time_t t = (time_t)s;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return NULL;
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* SQLITE_STATIC: every value is bound and its statement run (which resets
 * and clears the bindings) in the same function, while the text is alive;
 * SQLite need not copy it. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Empty strings are stored as NULL: "no SNI" is absence, not a value. */
static void bind_opt(sqlite3_stmt *s, int i, const char *v) { bind_text(s, i, v && *v ? v : NULL); }

static void bind_frame(sqlite3_stmt *s, int i, uint64_t f)
{
	if (f)
		sqlite3_bind_int64(s, i, (sqlite3_int64)f);
	else
		sqlite3_bind_null(s, i);
}

static void bind_idx(sqlite3_stmt *s, int i, int v)
{
	if (v >= 0)
		sqlite3_bind_int(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static int run(struct sd_store *st, sqlite3_stmt *s, char *err, size_t errlen)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		seterr(err, errlen, "database: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* "12,13,21". Numbers that do not fit whole are left out. */
static void frames_list(const uint64_t *f, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		char d[20];
		size_t k = sd_u64_dec(d, f[i]);
		size_t w = (i ? 1 : 0) + (20 - k);
		if (used + w >= len)
			break;
		if (i)
			buf[used++] = ',';
		memcpy(buf + used, d + k, 20 - k);
		used += 20 - k;
	}
	buf[used] = 0;
}

/* ------------------------------------------------------------ writing */

int sd_store_known(struct sd_store *st, const struct sd_fp *fp)
{
	sqlite3_stmt *s = st->q[Q_KNOWN];
	bind_text(s, 1, fp->xxh128);
	bind_opt(s, 2, fp->sha256);
	int known = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return known;
}

int sd_store_wants_sha256(struct sd_store *st)
{
	sqlite3_stmt *s = st->q[Q_LEGACY];
	int legacy = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return legacy;
}

int64_t sd_store_begin(struct sd_store *st, const struct sd_store_capture *c, char *err, size_t errlen)
{
	if (st->in_txn)
		sd_store_abort(st);
	if (exec(st, "BEGIN IMMEDIATE", err, errlen))
		return -1;
	st->in_txn = 1;
	st->live = c->live;
	const char *xxh = c->fp && c->fp->xxh128[0] ? c->fp->xxh128 : NULL;
	const char *sha = c->fp && c->fp->sha256[0] ? c->fp->sha256 : NULL;
	if (xxh) {
		/* Same bytes analysed again: replace, never duplicate (cascades). */
		sqlite3_stmt *d = st->q[Q_DEL_CAPTURE];
		bind_text(d, 1, xxh);
		bind_text(d, 2, sha);
		if (run(st, d, err, errlen))
			goto fail;
	}
	char when[40];
	sqlite3_stmt *s = st->q[Q_INS_CAPTURE];
	bind_text(s, 1, c->path);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(c->fp ? c->fp->size : c->size));
	bind_text(s, 3, xxh);
	bind_text(s, 4, sha);
	bind_text(s, 5, iso_s(c->analysed_at ? c->analysed_at : (int64_t)time(NULL), when, sizeof when));
	bind_text(s, 6, c->tool_version ? c->tool_version : "?");
	sqlite3_bind_int(s, 7, c->live ? 1 : 0);
	if (run(st, s, err, errlen))
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(st->db);
	if (c->live) {
		/* Live: the run's row is visible at once; attempts commit one by one. */
		if (exec(st, "COMMIT", err, errlen))
			goto fail;
		st->in_txn = 0;
	}
	return id;
fail:
	sd_store_abort(st);
	return -1;
}

int sd_store_set_fingerprint(struct sd_store *st, int64_t capture_id, const struct sd_fp *fp, char *err,
			     size_t errlen)
{
	for (int q = Q_DEL_OTHER; q <= Q_SET_FP; q++) {
		sqlite3_stmt *s = st->q[q];
		bind_text(s, 1, fp->xxh128);
		bind_opt(s, 2, fp->sha256);
		sqlite3_bind_int64(s, 3, capture_id);
		if (q == Q_SET_FP)
			sqlite3_bind_int64(s, 4, (sqlite3_int64)fp->size);
		if (run(st, s, err, errlen))
			return -1;
	}
	return 0;
}

static int64_t store_cert(struct sd_store *st, const struct sd_conn_cert *cc, char *err, size_t errlen)
{
	const struct sd_cert *c = &cc->cert;
	sqlite3_stmt *f = st->q[Q_FIND_CERT];
	sqlite3_bind_text(f, 1, c->sha256_hex, -1, SQLITE_TRANSIENT);
	int64_t id = 0;
	if (sqlite3_step(f) == SQLITE_ROW)
		id = sqlite3_column_int64(f, 0);
	sqlite3_reset(f);
	sqlite3_clear_bindings(f);
	if (id)
		return id; /* stored once per fingerprint */
	char nb[40], na[40];
	sqlite3_stmt *s = st->q[Q_INS_CERT];
	bind_text(s, 1, c->sha256_hex);
	sqlite3_bind_blob(s, 2, cc->der, (int)cc->der_len, SQLITE_TRANSIENT);
	bind_opt(s, 3, c->subject);
	bind_opt(s, 4, c->issuer);
	bind_opt(s, 5, c->cn);
	bind_opt(s, 6, c->serial);
	bind_text(s, 7, iso_s(c->not_before, nb, sizeof nb));
	bind_text(s, 8, iso_s(c->not_after, na, sizeof na));
	bind_opt(s, 9, c->key_type);
	sqlite3_bind_int(s, 10, c->key_bits);
	bind_opt(s, 11, c->sig_alg);
	bind_opt(s, 12, c->eku);
	sqlite3_bind_int(s, 13, c->has_eku ? c->eku_server_auth : -1);
	sqlite3_bind_int(s, 14, c->self_issued);
	if (run(st, s, err, errlen))
		return -1;
	id = sqlite3_last_insert_rowid(st->db);
	sqlite3_stmt *n = st->q[Q_INS_CERTNAME];
	for (size_t i = 0; i < c->nsan_dns + c->nsan_ip; i++) {
		int dns = i < c->nsan_dns;
		sqlite3_bind_int64(n, 1, id);
		bind_text(n, 2, dns ? "dns" : "ip");
		sqlite3_bind_int(n, 3, (int)(dns ? i : i - c->nsan_dns));
		bind_text(n, 4, dns ? c->san_dns[i] : c->san_ip[i - c->nsan_dns]);
		if (run(st, n, err, errlen))
			return -1;
	}
	return id;
}

static const char *section_str(uint8_t s) { return s == SD_DNS_AR ? "additional" : s == SD_DNS_NS ? "authority" : "answer"; }

/* Every query of a step as a small JSON array: kept for audits without a
 * table of its own (users rarely join on single retransmissions). Written
 * with the JSON writer into the store's memory stream, rewound per step.
 * Returns the text and its length in *n, or NULL (stored as NULL) when it
 * is 64 KiB or more. */
static const char *queries_json(struct sd_store *st, const struct sd_step *sp, size_t *n)
{
	rewind(st->qf);
	struct sd_json j;
	sd_json_init(&j, st->qf);
	sd_json_arr(&j, NULL);
	for (size_t i = 0; i < sp->nqueries; i++) {
		const struct sd_query *q = &sp->queries[i];
		char tb[16], ab[SD_ADDRSTRLEN];
		sd_json_obj(&j, NULL);
		sd_json_str(&j, "qname", q->qname); /* names come from packets: escaped */
		sd_json_str(&j, "type", sd_dns_type_str(q->qtype, tb, sizeof tb));
		sd_json_uint(&j, "frame", q->frame);
		sd_json_uint(&j, "resp_frame", q->resp_frame);
		sd_json_int(&j, "rcode", q->rcode);
		sd_json_str(&j, "server", sd_addr_str(&q->server, ab, sizeof ab));
		sd_json_str(&j, "transport", q->transport == 6 ? "tcp" : "udp");
		sd_json_int(&j, "suffix_retry", q->suffix_retry);
		sd_json_int(&j, "retransmit", q->retransmit);
		/* the rest of what the reports print, so that report shows a
		 * stored query as analyze showed it */
		sd_json_uint(&j, "id", q->txid);
		sd_json_int(&j, "ts_ns", q->ts_ns);
		sd_json_int(&j, "rtt_ns", q->rtt_ns);
		sd_json_int(&j, "tc", q->tc);
		sd_json_str(&j, "status", sd_status_str(q->status));
		sd_json_uint(&j, "answers", q->nanswers);
		sd_json_obj_end(&j);
	}
	sd_json_arr_end(&j);
	if (fflush(st->qf) != 0 || st->qlen >= 65535)
		return NULL;
	*n = st->qlen;
	return st->qbuf;
}

static int store_step(struct sd_store *st, int64_t aid, size_t idx, const struct sd_step *sp, char *err,
		      size_t errlen)
{
	static const char *const states[] = { "pending", "answered", "unanswered" };
	char tb[16], when[40];
	size_t qn = 0;
	const char *qj = queries_json(st, sp, &qn);
	sqlite3_stmt *s = st->q[Q_INS_STEP];
	sqlite3_bind_int64(s, 1, aid);
	sqlite3_bind_int(s, 2, (int)idx);
	sqlite3_bind_int(s, 3, (int)sp->order);
	bind_text(s, 4, sd_role_str(sp->role));
	bind_idx(s, 5, sp->parent);
	bind_text(s, 6, sp->name);
	bind_opt(s, 7, sp->queried);
	bind_text(s, 8, sd_dns_type_str(sp->qtype, tb, sizeof tb));
	bind_text(s, 9, sp->transport == 6 ? "tcp" : "udp");
	bind_text(s, 10, (unsigned)sp->state < 3 ? states[sp->state] : "?");
	if (sp->rcode >= 0) {
		sqlite3_bind_int(s, 11, sp->rcode);
		bind_text(s, 12, sd_dns_rcode_str((uint16_t)sp->rcode));
	}
	sqlite3_bind_int(s, 13, sp->tc);
	if (sp->rtt_ns >= 0) {
		sqlite3_bind_double(s, 14, (double)sp->rtt_ns / 1e6);
		sqlite3_bind_int64(s, 27, sp->rtt_ns);
	}
	sqlite3_bind_int(s, 15, (int)sp->retries);
	bind_frame(s, 16, sp->frame);
	bind_frame(s, 17, sp->resp_frame);
	bind_text(s, 18, iso_ns(st, sp->ts_ns, when));
	sqlite3_bind_int64(s, 19, sp->ts_ns);
	sqlite3_bind_int64(s, 20, sp->ts_done_ns);
	sqlite3_bind_int(s, 21, sp->resolved);
	sqlite3_bind_int(s, 22, sp->via_cname);
	bind_opt(s, 23, sp->canonical);
	bind_idx(s, 24, sp->conn);
	bind_opt(s, 25, sp->expected);
	if (qj && qn)
		sqlite3_bind_text(s, 26, qj, (int)qn, SQLITE_STATIC);
	if (run(st, s, err, errlen))
		return -1;
	int64_t sid = sqlite3_last_insert_rowid(st->db);
	sqlite3_stmt *a = st->q[Q_INS_ANSWER];
	for (size_t i = 0; i < sp->nanswers; i++) {
		const struct sd_answer *an = &sp->answers[i];
		sqlite3_bind_int64(a, 1, sid);
		sqlite3_bind_int(a, 2, (int)i);
		bind_text(a, 3, sd_dns_type_str(an->type, tb, sizeof tb));
		bind_text(a, 4, section_str(an->section));
		sqlite3_bind_int64(a, 5, an->ttl);
		bind_opt(a, 6, an->owner);
		char ab[SD_ADDRSTRLEN]; /* bound SQLITE_STATIC: alive until run() below */
		int is_addr = an->type == SD_DNS_T_A || an->type == SD_DNS_T_AAAA;
		bind_text(a, 7, is_addr ? sd_addr_str(&an->addr, ab, sizeof ab) : NULL);
		if (an->type == SD_DNS_T_CNAME || an->type == SD_DNS_T_SRV)
			bind_text(a, 8, an->type == SD_DNS_T_SRV && !an->target[0] ? "." : an->target);
		if (an->type == SD_DNS_T_SRV) {
			sqlite3_bind_int(a, 9, an->priority);
			sqlite3_bind_int(a, 10, an->weight);
			sqlite3_bind_int(a, 11, an->port);
		}
		bind_frame(a, 12, an->frame);
		sqlite3_bind_int64(a, 13, an->ts_ns);
		if (run(st, a, err, errlen))
			return -1;
	}
	return 0;
}

static int store_conn(struct sd_store *st, int64_t aid, size_t idx, const struct sd_conn *c, char *err,
		      size_t errlen)
{
	char cb[SD_ADDRSTRLEN], sb[SD_ADDRSTRLEN], when[40];
	sqlite3_stmt *s = st->q[Q_INS_CONN];
	sqlite3_bind_int64(s, 1, aid);
	sqlite3_bind_int(s, 2, (int)idx);
	bind_idx(s, 3, c->step);
	bind_opt(s, 4, c->expected);
	bind_text(s, 5, sd_addr_str(&c->client, cb, sizeof cb));
	sqlite3_bind_int(s, 6, c->cport);
	bind_text(s, 7, sd_addr_str(&c->server, sb, sizeof sb));
	sqlite3_bind_int(s, 8, c->sport);
	bind_text(s, 9, sd_conn_outcome_str(c->outcome));
	sqlite3_bind_int(s, 10, c->midstream);
	sqlite3_bind_int(s, 11, c->closed_by_server);
	if (c->version)
		bind_text(s, 12, sd_tls_version_str(c->version));
	if (c->version_offered)
		bind_text(s, 13, sd_tls_version_str(c->version_offered));
	if (c->has_sh)
		sqlite3_bind_int(s, 14, c->cipher);
	bind_opt(s, 15, c->sni);
	if (c->alert_frame) {
		bind_text(s, 16, c->alert_desc || c->alert_level ? sd_tls_alert_str(c->alert_desc) : "encrypted");
		sqlite3_bind_int(s, 17, c->alert_by_server);
		sqlite3_bind_int(s, 34, c->alert_level);
	}
	sqlite3_bind_int(s, 18, c->cert_not_visible);
	sqlite3_bind_int64(s, 19, c->gap_bytes);
	bind_frame(s, 20, c->gap_frame);
	bind_frame(s, 21, c->syn_frame);
	bind_frame(s, 22, c->synack_frame);
	bind_frame(s, 23, c->end_frame);
	bind_frame(s, 24, c->ch_frame);
	bind_frame(s, 25, c->sh_frame);
	bind_frame(s, 26, c->cert_frame);
	bind_frame(s, 27, c->alert_frame);
	bind_frame(s, 28, c->enc_frame);
	bind_text(s, 29, iso_ns(st, c->ts_ns, when));
	sqlite3_bind_int64(s, 30, c->ts_ns);
	sqlite3_bind_int64(s, 31, c->ts_end_ns);
	sqlite3_bind_int64(s, 32, (sqlite3_int64)c->certs_total);
	sqlite3_bind_int64(s, 33, (sqlite3_int64)c->conn_id);
	if (run(st, s, err, errlen))
		return -1;
	int64_t cid = sqlite3_last_insert_rowid(st->db);
	for (size_t i = 0; i < c->ncerts; i++) {
		const struct sd_conn_cert *cc = &c->certs[i];
		int64_t certid = cc->decoded ? store_cert(st, cc, err, errlen) : 0;
		if (certid < 0)
			return -1;
		sqlite3_stmt *l = st->q[Q_INS_CONNCERT];
		sqlite3_bind_int64(l, 1, cid);
		sqlite3_bind_int(l, 2, (int)i);
		if (certid)
			sqlite3_bind_int64(l, 3, certid);
		if (!cc->decoded)
			bind_text(l, 4, cc->err[0] ? cc->err : "undecodable");
		sqlite3_bind_int64(l, 5, (sqlite3_int64)cc->der_len);
		if (run(st, l, err, errlen))
			return -1;
	}
	return 0;
}

static int store_attempt_rows(struct sd_store *st, int64_t capture_id, const struct sd_attempt *a, char *err,
			      size_t errlen)
{
	char cb[SD_ADDRSTRLEN], t1[40], t2[40], ev[SD_ATT_EVENTS * 12], inc[SD_FINDING_FRAMES * 21];
	size_t used = 0;
	ev[0] = 0;
	for (size_t i = 0; i < a->nevent_ids && used < sizeof ev; i++) {
		int w = snprintf(ev + used, sizeof ev - used, "%s%d", i ? "," : "", a->event_ids[i]);
		if (w > 0)
			used += (size_t)w;
	}
	frames_list(a->incomplete_frames, a->nincomplete_frames, inc, sizeof inc);
	sqlite3_stmt *s = st->q[Q_INS_ATTEMPT];
	sqlite3_bind_int64(s, 1, capture_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)a->id);
	bind_text(s, 3, sd_addr_str(&a->client, cb, sizeof cb));
	bind_text(s, 4, a->domain);
	bind_opt(s, 5, a->profile);
	sqlite3_bind_int(s, 6, a->profile_auto);
	bind_opt(s, 7, a->profile_why);
	bind_text(s, 8, sd_verdict_str(a->verdict));
	bind_text(s, 9, sd_end_reason_str(a->end_reason));
	bind_text(s, 10, iso_ns(st, a->ts_start_ns, t1));
	bind_text(s, 11, iso_ns(st, a->ts_end_ns, t2));
	sqlite3_bind_int64(s, 12, a->ts_start_ns);
	sqlite3_bind_int64(s, 13, a->ts_end_ns);
	bind_frame(s, 14, a->frame_first);
	bind_frame(s, 15, a->frame_last);
	bind_idx(s, 16, a->winning_step);
	bind_idx(s, 17, a->winning_conn);
	bind_opt(s, 18, a->expected_name);
	bind_opt(s, 19, a->symptom);
	bind_opt(s, 20, ev);
	sqlite3_bind_int(s, 21, a->evidence_incomplete);
	bind_opt(s, 22, a->incomplete_why);
	bind_opt(s, 23, inc);
	if (run(st, s, err, errlen))
		return -1;
	int64_t aid = sqlite3_last_insert_rowid(st->db);
	for (size_t i = 0; i < a->nsteps; i++)
		if (store_step(st, aid, i, &a->steps[i], err, errlen))
			return -1;
	for (size_t i = 0; i < a->nconns; i++)
		if (store_conn(st, aid, i, &a->conns[i], err, errlen))
			return -1;
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct sd_finding *f = &a->findings[i];
		char fr[SD_FINDING_FRAMES * 21];
		frames_list(f->frames, f->nframes, fr, sizeof fr);
		sqlite3_stmt *q = st->q[Q_INS_FINDING];
		sqlite3_bind_int64(q, 1, aid);
		sqlite3_bind_int(q, 2, (int)i);
		bind_text(q, 3, f->code);
		bind_text(q, 4, sd_severity_str(f->severity));
		if (f->event_id)
			sqlite3_bind_int(q, 5, f->event_id);
		bind_opt(q, 6, f->event_text);
		bind_opt(q, 7, f->dialog);
		bind_opt(q, 8, f->message);
		bind_opt(q, 9, f->fix);
		bind_opt(q, 10, fr);
		sqlite3_bind_int64(q, 11, (sqlite3_int64)f->frames_dropped);
		bind_idx(q, 12, f->step);
		bind_idx(q, 13, f->conn);
		if (run(st, q, err, errlen))
			return -1;
	}
	return 0;
}

int sd_store_attempt(struct sd_store *st, int64_t capture_id, const struct sd_attempt *a, char *err,
		     size_t errlen)
{
	if (st->live) {
		/* Live: each attempt is its own transaction, so a crash loses
		 * nothing already printed. */
		if (exec(st, "BEGIN IMMEDIATE", err, errlen))
			return -1;
		if (store_attempt_rows(st, capture_id, a, err, errlen)) {
			exec(st, "ROLLBACK", NULL, 0);
			return -1;
		}
		return exec(st, "COMMIT", err, errlen);
	}
	if (!st->in_txn) {
		seterr(err, errlen, "store: no capture begun");
		return -1;
	}
	/* No savepoint per attempt: a failed attempt fails the capture, whose
	 * transaction the caller rolls back whole (sd_store_abort). A savepoint
	 * made SQLite copy every page an attempt touched into a sub-journal:
	 * 150,000 writes for the 3,362 attempts of a 1 GB capture. */
	return store_attempt_rows(st, capture_id, a, err, errlen);
}

int sd_store_end(struct sd_store *st, int64_t capture_id, const struct sd_run_info *run_info, char *err,
		 size_t errlen)
{
	if (st->live && exec(st, "BEGIN IMMEDIATE", err, errlen))
		return -1;
	if (st->live)
		st->in_txn = 1;
	char lt[128] = "", t1[40], t2[40];
	size_t used = 0;
	for (int i = 0; i < run_info->nlinktypes && used < sizeof lt; i++) {
		int w = snprintf(lt + used, sizeof lt - used, "%s%s", i ? "," : "",
				 sd_linktype_name(run_info->linktypes[i]));
		if (w > 0)
			used += (size_t)w;
	}
	sqlite3_stmt *s = st->q[Q_END_CAPTURE];
	sqlite3_bind_int64(s, 1, capture_id);
	bind_opt(s, 2, run_info->format);
	bind_opt(s, 3, lt);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)run_info->frames);
	bind_text(s, 5, iso_ns(st, run_info->first_ts_ns, t1));
	bind_text(s, 6, iso_ns(st, run_info->last_ts_ns, t2));
	bind_text(s, 7, run_info->status == 0 ? "ok" : run_info->status == -1 ? "unreadable" : "read-error");
	bind_opt(s, 8, run_info->status ? run_info->error : NULL);
	if (run(st, s, err, errlen)) {
		sd_store_abort(st);
		return -1;
	}
	if (exec(st, "COMMIT", err, errlen)) {
		sd_store_abort(st);
		return -1;
	}
	st->in_txn = 0;
	st->live = 0;
	return 0;
}

void sd_store_abort(struct sd_store *st)
{
	if (st->in_txn)
		exec(st, "ROLLBACK", NULL, 0);
	st->in_txn = 0;
	st->live = 0;
}

/* ------------------------------------------------------------ reading */

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static int col_idx(sqlite3_stmt *s, int i) { return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i); }

static uint64_t col_frame(sqlite3_stmt *s, int i) { return (uint64_t)sqlite3_column_int64(s, i); }

static int parse_frames(const char *txt, uint64_t *out, size_t max)
{
	size_t n = 0;
	while (txt && *txt && n < max) {
		char *end;
		unsigned long long v = strtoull(txt, &end, 10);
		if (end == txt)
			break;
		out[n++] = v;
		txt = *end == ',' ? end + 1 : end;
	}
	return (int)n;
}

static int role_num(const char *t)
{
	for (int r = 0; r < SD_ROLE__COUNT; r++)
		if (!strcmp(sd_role_str((enum sd_role)r), t))
			return r;
	return SD_ROLE_OTHER;
}

static int status_num(const char *t)
{
	for (int v = SD_OK; v >= SD_E_LIMIT; v--)
		if (!strcmp(sd_status_str(v), t))
			return v;
	return SD_OK;
}

/* A step's queries from its steps.queries JSON, read by SQLite's own JSON
 * functions. Keys missing from rows written before they were stored read as
 * "not known". NULL (a list of 64 KiB or more) reads as no queries. */
static const char read_queries_sql[] =
	"SELECT json_extract(value, '$.qname'), json_extract(value, '$.type'), json_extract(value, '$.frame'),"
	" json_extract(value, '$.resp_frame'), json_extract(value, '$.rcode'), json_extract(value, '$.server'),"
	" json_extract(value, '$.transport'), json_extract(value, '$.suffix_retry'),"
	" json_extract(value, '$.retransmit'), json_extract(value, '$.id'), json_extract(value, '$.ts_ns'),"
	" ifnull(json_extract(value, '$.rtt_ns'), -1), json_extract(value, '$.tc'),"
	" json_extract(value, '$.status'), json_extract(value, '$.answers')"
	" FROM json_each(?1) ORDER BY key";

/* q: read_queries_sql prepared; json: the steps.queries value. */
static int read_queries(sqlite3_stmt *q, sqlite3_value *json, struct sd_step *sp)
{
	if (sqlite3_value_type(json) == SQLITE_NULL)
		return 0;
	sqlite3_bind_value(q, 1, json);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sd_query *n = realloc(sp->queries, (sp->nqueries + 1) * sizeof *n);
		if (!n)
			break;
		sp->queries = n;
		struct sd_query *qr = &sp->queries[sp->nqueries++];
		memset(qr, 0, sizeof *qr);
		char buf[SD_ADDRSTRLEN + 16];
		col_text(q, 0, qr->qname, sizeof qr->qname);
		col_text(q, 1, buf, sizeof buf);
		qr->qtype = sd_dns_type_num(buf);
		qr->frame = col_frame(q, 2);
		qr->resp_frame = col_frame(q, 3);
		qr->rcode = col_idx(q, 4);
		col_text(q, 5, buf, sizeof buf);
		sd_addr_parse(buf, &qr->server);
		col_text(q, 6, buf, sizeof buf);
		qr->transport = !strcmp(buf, "tcp") ? 6 : 17;
		qr->suffix_retry = (uint8_t)sqlite3_column_int(q, 7);
		qr->retransmit = (uint8_t)sqlite3_column_int(q, 8);
		qr->txid = (uint16_t)sqlite3_column_int(q, 9);
		qr->ts_ns = sqlite3_column_int64(q, 10);
		qr->rtt_ns = sqlite3_column_int64(q, 11);
		qr->tc = (uint8_t)sqlite3_column_int(q, 12);
		col_text(q, 13, buf, sizeof buf);
		qr->status = status_num(buf);
		qr->nanswers = (size_t)sqlite3_column_int64(q, 14);
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1; /* malformed JSON, or out of memory */
}

static int read_steps(struct sd_store *st, int64_t aid, struct sd_attempt *a)
{
	sqlite3_stmt *s, *q, *jq;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, ord, role, parent, name, queried, type, transport, state, rcode, tc, rtt_ms,"
			       " retries, frame, resp_frame, ts_ns, done_ns, resolved, via_cname, canonical, conn,"
			       " expected, queries, rtt_ns FROM steps WHERE attempt_id = ?1 ORDER BY idx",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT type, section, ttl, owner, address, target, priority, weight, port, frame, ts_ns"
			       " FROM answers WHERE step_id = ?1 ORDER BY idx",
			       -1, &q, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, read_queries_sql, -1, &jq, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, aid);
	int rc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct sd_step *n = realloc(a->steps, (a->nsteps + 1) * sizeof *n);
		if (!n) {
			rc = -1;
			break;
		}
		a->steps = n;
		struct sd_step *sp = &a->steps[a->nsteps++];
		memset(sp, 0, sizeof *sp);
		char buf[32];
		sp->order = (unsigned)sqlite3_column_int(s, 1);
		col_text(s, 2, buf, sizeof buf);
		sp->role = (enum sd_role)role_num(buf);
		sp->parent = col_idx(s, 3);
		col_text(s, 4, sp->name, sizeof sp->name);
		col_text(s, 5, sp->queried, sizeof sp->queried);
		col_text(s, 6, buf, sizeof buf);
		sp->qtype = sd_dns_type_num(buf);
		col_text(s, 7, buf, sizeof buf);
		sp->transport = !strcmp(buf, "tcp") ? 6 : 17;
		col_text(s, 8, buf, sizeof buf);
		sp->state = !strcmp(buf, "answered") ? SD_STEP_ANSWERED
			    : !strcmp(buf, "unanswered") ? SD_STEP_UNANSWERED
							 : SD_STEP_PENDING;
		sp->rcode = col_idx(s, 9);
		sp->tc = (uint8_t)sqlite3_column_int(s, 10);
		if (sqlite3_column_type(s, 23) != SQLITE_NULL) /* exact, since schema 4 */
			sp->rtt_ns = sqlite3_column_int64(s, 23);
		else
			sp->rtt_ns = sqlite3_column_type(s, 11) == SQLITE_NULL
					     ? -1
					     : (int64_t)(sqlite3_column_double(s, 11) * 1e6 + 0.5);
		sp->retries = (unsigned)sqlite3_column_int(s, 12);
		sp->frame = col_frame(s, 13);
		sp->resp_frame = col_frame(s, 14);
		sp->ts_ns = sqlite3_column_int64(s, 15);
		sp->ts_done_ns = sqlite3_column_int64(s, 16);
		sp->resolved = (uint8_t)sqlite3_column_int(s, 17);
		sp->via_cname = (uint8_t)sqlite3_column_int(s, 18);
		col_text(s, 19, sp->canonical, sizeof sp->canonical);
		sp->conn = col_idx(s, 20);
		col_text(s, 21, sp->expected, sizeof sp->expected);
		if (read_queries(jq, sqlite3_column_value(s, 22), sp) != 0) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(q, 1, sqlite3_column_int64(s, 0));
		while (sqlite3_step(q) == SQLITE_ROW) {
			struct sd_answer *na = realloc(sp->answers, (sp->nanswers + 1) * sizeof *na);
			if (!na) {
				rc = -1;
				break;
			}
			sp->answers = na;
			struct sd_answer *an = &sp->answers[sp->nanswers++];
			memset(an, 0, sizeof *an);
			col_text(q, 0, buf, sizeof buf);
			an->type = sd_dns_type_num(buf);
			col_text(q, 1, buf, sizeof buf);
			an->section = !strcmp(buf, "additional") ? SD_DNS_AR : !strcmp(buf, "authority") ? SD_DNS_NS : SD_DNS_AN;
			an->ttl = (uint32_t)sqlite3_column_int64(q, 2);
			col_text(q, 3, an->owner, sizeof an->owner);
			char addr[SD_ADDRSTRLEN];
			col_text(q, 4, addr, sizeof addr);
			if (addr[0])
				sd_addr_parse(addr, &an->addr);
			col_text(q, 5, an->target, sizeof an->target);
			if (an->type == SD_DNS_T_SRV && !strcmp(an->target, "."))
				an->target[0] = 0;
			an->priority = (uint16_t)sqlite3_column_int(q, 6);
			an->weight = (uint16_t)sqlite3_column_int(q, 7);
			an->port = (uint16_t)sqlite3_column_int(q, 8);
			an->frame = col_frame(q, 9);
			an->ts_ns = sqlite3_column_int64(q, 10);
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(jq);
	sqlite3_finalize(q);
	sqlite3_finalize(s);
	return rc;
}

static uint8_t alert_num(const char *t)
{
	for (int d = 0; d < 256; d++)
		if (!strcmp(sd_tls_alert_str((uint8_t)d), t))
			return (uint8_t)d;
	return 0;
}

static int read_conns(struct sd_store *st, int64_t aid, struct sd_attempt *a)
{
	sqlite3_stmt *s, *q;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, step, expected, client, client_port, server, server_port, outcome, midstream,"
			       " closed_by_server, tls_version, tls_version_offered, cipher, sni, alert, alert_by_server,"
			       " cert_not_visible, gap_bytes, gap_frame, syn_frame, synack_frame, end_frame, ch_frame,"
			       " sh_frame, cert_frame, alert_frame, enc_frame, ts_ns, end_ns, certs_total, conn_id,"
			       " alert_level"
			       " FROM connections WHERE attempt_id = ?1 ORDER BY idx",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT c.der, l.decode_error, l.der_len FROM connection_certificates l"
			       " LEFT JOIN certificates c ON c.id = l.cert_id WHERE l.connection_id = ?1 ORDER BY l.position",
			       -1, &q, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, aid);
	int rc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct sd_conn *n = realloc(a->conns, (a->nconns + 1) * sizeof *n);
		if (!n) {
			rc = -1;
			break;
		}
		a->conns = n;
		struct sd_conn *c = &a->conns[a->nconns++];
		memset(c, 0, sizeof *c);
		char buf[SD_ADDRSTRLEN + 16];
		c->step = col_idx(s, 1);
		col_text(s, 2, c->expected, sizeof c->expected);
		col_text(s, 3, buf, sizeof buf);
		sd_addr_parse(buf, &c->client);
		c->cport = (uint16_t)sqlite3_column_int(s, 4);
		col_text(s, 5, buf, sizeof buf);
		sd_addr_parse(buf, &c->server);
		c->sport = (uint16_t)sqlite3_column_int(s, 6);
		col_text(s, 7, buf, sizeof buf);
		for (int o = 0; o < SD_CONN__COUNT; o++)
			if (!strcmp(sd_conn_outcome_str((enum sd_conn_outcome)o), buf))
				c->outcome = (enum sd_conn_outcome)o;
		c->midstream = (uint8_t)sqlite3_column_int(s, 8);
		c->closed_by_server = (uint8_t)sqlite3_column_int(s, 9);
		col_text(s, 10, buf, sizeof buf);
		c->version = sd_tls_version_num(buf);
		col_text(s, 11, buf, sizeof buf);
		c->version_offered = sd_tls_version_num(buf);
		c->has_sh = sqlite3_column_type(s, 12) != SQLITE_NULL;
		c->cipher = (uint16_t)sqlite3_column_int(s, 12);
		col_text(s, 13, c->sni, sizeof c->sni);
		col_text(s, 14, buf, sizeof buf);
		if (buf[0] && strcmp(buf, "encrypted"))
			c->alert_desc = alert_num(buf), c->alert_level = 2; /* fatal: all rows before schema 4 */
		if (sqlite3_column_type(s, 31) != SQLITE_NULL)
			c->alert_level = (uint8_t)sqlite3_column_int(s, 31);
		c->alert_by_server = (uint8_t)sqlite3_column_int(s, 15);
		c->cert_not_visible = (uint8_t)sqlite3_column_int(s, 16);
		c->gap_bytes = (uint32_t)sqlite3_column_int64(s, 17);
		c->gap_frame = col_frame(s, 18);
		c->syn_frame = col_frame(s, 19);
		c->synack_frame = col_frame(s, 20);
		c->end_frame = col_frame(s, 21);
		c->ch_frame = col_frame(s, 22);
		c->has_ch = c->ch_frame != 0;
		c->sh_frame = col_frame(s, 23);
		c->cert_frame = col_frame(s, 24);
		c->alert_frame = col_frame(s, 25);
		c->enc_frame = col_frame(s, 26);
		c->ts_ns = sqlite3_column_int64(s, 27);
		c->ts_end_ns = sqlite3_column_int64(s, 28);
		c->certs_total = (size_t)sqlite3_column_int64(s, 29);
		c->conn_id = (uint64_t)sqlite3_column_int64(s, 30); /* NULL (before schema 4): 0 */
		sqlite3_bind_int64(q, 1, sqlite3_column_int64(s, 0));
		while (sqlite3_step(q) == SQLITE_ROW) {
			struct sd_conn_cert *nc = realloc(c->certs, (c->ncerts + 1) * sizeof *nc);
			if (!nc) {
				rc = -1;
				break;
			}
			c->certs = nc;
			struct sd_conn_cert *cc = &c->certs[c->ncerts++];
			memset(cc, 0, sizeof *cc);
			int len = sqlite3_column_bytes(q, 0);
			const void *der = sqlite3_column_blob(q, 0);
			if (der && len > 0 && (cc->der = malloc((size_t)len)) != NULL) {
				memcpy(cc->der, der, (size_t)len);
				cc->der_len = (size_t)len;
				cc->decoded = sd_x509_decode(cc->der, cc->der_len, &cc->cert, cc->err, sizeof cc->err) == 0;
			} else {
				col_text(q, 1, cc->err, sizeof cc->err);
				cc->der_len = (size_t)sqlite3_column_int64(q, 2); /* 0 before schema 4 */
			}
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(s);
	return rc;
}

static int read_findings(struct sd_store *st, int64_t aid, struct sd_attempt *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT code, severity, event_id, event_text, dialog, message, fix, frames, frames_dropped,"
			       " step, conn FROM findings WHERE attempt_id = ?1 ORDER BY idx",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, aid);
	int rc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct sd_finding *n = realloc(a->findings, (a->nfindings + 1) * sizeof *n);
		if (!n) {
			rc = -1;
			break;
		}
		a->findings = n;
		struct sd_finding *f = &a->findings[a->nfindings++];
		memset(f, 0, sizeof *f);
		char sev[16];
		col_text(s, 0, f->code, sizeof f->code);
		col_text(s, 1, sev, sizeof sev);
		f->severity = !strcmp(sev, "error") ? SD_SEV_ERROR : !strcmp(sev, "warn") ? SD_SEV_WARN : SD_SEV_INFO;
		f->event_id = sqlite3_column_int(s, 2);
		col_text(s, 3, f->event_text, sizeof f->event_text);
		col_text(s, 4, f->dialog, sizeof f->dialog);
		col_text(s, 5, f->message, sizeof f->message);
		col_text(s, 6, f->fix, sizeof f->fix);
		f->nframes = (size_t)parse_frames((const char *)sqlite3_column_text(s, 7), f->frames, SD_FINDING_FRAMES);
		f->frames_dropped = (size_t)sqlite3_column_int64(s, 8);
		f->step = col_idx(s, 9);
		f->conn = col_idx(s, 10);
	}
	sqlite3_finalize(s);
	return rc;
}

int sd_store_each(struct sd_store *st, const struct sd_store_filter *f, sd_store_attempt_fn fn, void *ud,
		  char *err, size_t errlen)
{
	sqlite3_stmt *s;
	/* Every filter is a bound parameter; NULL means "any". */
	const char *q = "SELECT a.id, c.path, a.seq, a.client, a.domain, a.profile, a.profile_auto, a.profile_why,"
			" a.verdict, a.end_reason, a.start_ns, a.end_ns, a.frame_first, a.frame_last, a.winning_step,"
			" a.winning_conn, a.expected_name, a.symptom, a.event_ids, a.evidence_incomplete,"
			" a.incomplete_why, a.incomplete_frames"
			" FROM attempts a JOIN captures c ON c.id = a.capture_id"
			" WHERE (?1 IS NULL OR a.domain = lower(?1)) AND (?2 IS NULL OR a.client = ?2)"
			" AND (?3 IS NULL OR a.verdict = upper(?3)) AND (?4 IS NULL OR a.start_ns >= ?4 * 1000000000)"
			" ORDER BY c.id, a.seq";
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK) {
		seterr(err, errlen, "database: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	if (f) {
		bind_text(s, 1, f->domain);
		bind_text(s, 2, f->client);
		bind_text(s, 3, f->verdict);
		if (f->since)
			sqlite3_bind_int64(s, 4, f->since);
	}
	int n = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sd_attempt *a = calloc(1, sizeof *a);
		if (!a) {
			seterr(err, errlen, "database: out of memory after %d attempts", n);
			sqlite3_finalize(s);
			return -1; /* not a short list that looks complete */
		}
		int64_t aid = sqlite3_column_int64(s, 0);
		char path[1024], buf[SD_ATT_TEXT];
		col_text(s, 1, path, sizeof path);
		a->id = (uint64_t)sqlite3_column_int64(s, 2);
		col_text(s, 3, buf, sizeof buf);
		sd_addr_parse(buf, &a->client);
		col_text(s, 4, a->domain, sizeof a->domain);
		col_text(s, 5, a->profile, sizeof a->profile);
		a->profile_auto = (uint8_t)sqlite3_column_int(s, 6);
		col_text(s, 7, a->profile_why, sizeof a->profile_why);
		col_text(s, 8, buf, sizeof buf);
		a->verdict = !strcmp(buf, sd_verdict_str(SD_VERDICT_SIGNED_IN)) ? SD_VERDICT_SIGNED_IN
			     : !strcmp(buf, sd_verdict_str(SD_VERDICT_FAILED))  ? SD_VERDICT_FAILED
										: SD_VERDICT_INCONCLUSIVE;
		col_text(s, 9, buf, sizeof buf);
		for (int r = 0; r <= SD_END_CAPTURE_END; r++)
			if (!strcmp(sd_end_reason_str((enum sd_end_reason)r), buf))
				a->end_reason = (enum sd_end_reason)r;
		a->ts_start_ns = sqlite3_column_int64(s, 10);
		a->ts_end_ns = sqlite3_column_int64(s, 11);
		a->frame_first = col_frame(s, 12);
		a->frame_last = col_frame(s, 13);
		a->winning_step = col_idx(s, 14);
		a->winning_conn = col_idx(s, 15);
		col_text(s, 16, a->expected_name, sizeof a->expected_name);
		col_text(s, 17, a->symptom, sizeof a->symptom);
		col_text(s, 18, buf, sizeof buf);
		uint64_t ev[SD_ATT_EVENTS];
		int ne = parse_frames(buf, ev, SD_ATT_EVENTS);
		for (int i = 0; i < ne; i++)
			a->event_ids[a->nevent_ids++] = (int)ev[i];
		a->evidence_incomplete = (uint8_t)sqlite3_column_int(s, 19);
		col_text(s, 20, a->incomplete_why, sizeof a->incomplete_why);
		a->nincomplete_frames = (size_t)parse_frames((const char *)sqlite3_column_text(s, 21),
							     a->incomplete_frames, SD_FINDING_FRAMES);
		a->checked = 1;
		if (read_steps(st, aid, a) || read_conns(st, aid, a) || read_findings(st, aid, a)) {
			sd_attempt_free(a);
			seterr(err, errlen, "database: reading attempt %" PRId64 ": %s", aid, sqlite3_errmsg(st->db));
			sqlite3_finalize(s);
			return -1;
		}
		fn(ud, path, a);
		sd_attempt_free(a);
		n++;
	}
	if (rc != SQLITE_DONE) {
		seterr(err, errlen, "database: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return n;
}
