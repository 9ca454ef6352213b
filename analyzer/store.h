/*
 * store.h - the SQLite results store (schema and its versions in
 * docs/schema.md). One transaction per capture, so a capture is stored whole
 * or not at all; re-analysing a file with the same bytes (same XXH3-128,
 * fingerprint.h) replaces its rows.
 * Only prepared statements: no SQL text is ever built from packet data.
 * The store sees attempts (attempt.h) and run summaries (pipeline.h), never
 * decoders.
 */
#ifndef SD_STORE_H
#define SD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "attempt.h"
#include "fingerprint.h"
#include "pipeline.h"

#define SD_STORE_SCHEMA_VERSION 4 /* PRAGMA user_version written by this build */

struct sd_store;

/* Opens (creating or migrating) the database: WAL mode, foreign keys on.
 * The handle is not locked internally: one thread at a time may use it.
 * A database whose user_version is newer than this build is refused.
 * NULL with the reason in err. */
struct sd_store *sd_store_open(const char *path, char *err, size_t errlen);
void sd_store_close(struct sd_store *st);

/* 1 when a capture with this fingerprint (XXH3-128, or the SHA-256 when
 * one is given) is already stored with status ok. */
int sd_store_known(struct sd_store *st, const struct sd_fp *fp);

/* 1 when the database holds captures stored before schema 3, known only by
 * their SHA-256: a run must then compute SHA-256 too, or re-analysing such
 * a capture would not replace its rows. */
int sd_store_wants_sha256(struct sd_store *st);

struct sd_store_capture {
	const char *path;
	uint64_t size;            /* used when fp is NULL */
	const struct sd_fp *fp;   /* NULL: not known yet (sd_store_set_fingerprint), or live */
	const char *tool_version;
	int64_t analysed_at;      /* Unix seconds */
	int live;                 /* live run: commit each attempt as it is stored */
};

/* Begins one capture: opens its transaction (offline) and replaces any rows
 * of an earlier analysis of the same bytes (when c->fp is given). Returns the captures row id
 * (> 0), or -1 with err. */
int64_t sd_store_begin(struct sd_store *st, const struct sd_store_capture *c, char *err, size_t errlen);
/* Gives the open capture its fingerprint once it is known (a capture hashed
 * while it is analysed): rows of an earlier analysis of the same bytes are
 * replaced, as sd_store_begin does. 0 on success. */
int sd_store_set_fingerprint(struct sd_store *st, int64_t capture_id, const struct sd_fp *fp, char *err,
			     size_t errlen);
/* Stores one completed attempt (steps, answers, connections, certificates,
 * findings) under the capture. 0 on success; on failure rows of the attempt
 * may remain, so an offline capture must then be rolled back whole
 * (sd_store_abort); a live attempt is rolled back here. */
int sd_store_attempt(struct sd_store *st, int64_t capture_id, const struct sd_attempt *a, char *err,
		     size_t errlen);
/* Fills the capture's read results (format, link types, frames, times,
 * status, error) and commits. 0 on success. */
int sd_store_end(struct sd_store *st, int64_t capture_id, const struct sd_run_info *run, char *err,
		 size_t errlen);
/* Rolls the open capture back (nothing of it stays). */
void sd_store_abort(struct sd_store *st);

/* Reading back ("sipdisc report"): attempts matching the filter, rebuilt as
 * struct sd_attempt, in capture then attempt order. NULL fields = any. */
struct sd_store_filter {
	const char *domain, *client, *verdict; /* verdict as sd_verdict_str */
	int64_t since;                         /* attempts starting at/after (Unix s); 0 = any */
};
typedef void (*sd_store_attempt_fn)(void *ud, const char *capture_path, const struct sd_attempt *a);
int sd_store_each(struct sd_store *st, const struct sd_store_filter *f, sd_store_attempt_fn fn, void *ud,
		  char *err, size_t errlen);

#endif
