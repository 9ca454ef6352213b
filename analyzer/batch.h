/*
 * batch.h - many captures at once: turning command-line arguments into a
 * list of captures (files, glob(3) patterns, directories walked for files
 * that are captures by content), analysing one capture into its attempts,
 * and a worker pool that analyses in parallel while one thread consumes the
 * results in input order. "analyze" uses all of it; live mode and the
 * regression runner reuse the pieces.
 */
#ifndef SD_BATCH_H
#define SD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "attempt.h"
#include "fingerprint.h"
#include "pipeline.h"

/* Do the first bytes say pcap (µs or ns, either byte order), pcapng or
 * gzip? 1 yes, 0 no (or too short), -1 cannot be opened/read (errno set). */
int sd_is_capture(const char *path);

struct sd_inputs {
	char **paths; /* owned, in argument order; directories expanded sorted */
	size_t n, cap;
};

/* Adds what one argument names:
 *   - an existing directory: every capture below it (recursive, names in
 *     byte order, symlinked directories not followed); other files are
 *     skipped silently;
 *   - an existing file (or any path that does not exist and has no glob
 *     characters): the path itself, capture or not, so reading it reports
 *     why it is not one;
 *   - a glob pattern: each match, files as named, directories walked.
 * Returns 0, or -1 with err when the argument names nothing (a pattern
 * without matches, an unreadable directory, out of memory). */
int sd_inputs_add(struct sd_inputs *in, const char *arg, char *err, size_t errlen);
void sd_inputs_free(struct sd_inputs *in);

/* One capture analysed. */
struct sd_capture_result {
	struct sd_run_info run;            /* how reading went (status < 0: error) */
	struct sd_attempt **attempts;      /* completed attempts, ascending id */
	size_t nattempts;
	int64_t elapsed_ns;                /* wall time of the analysis (monotonic clock) */
	struct sd_fp fp;                   /* with SD_AN_FP: the file's fingerprint */
	int have_fp;
};

/* flags for the analyses below: fingerprint the file (fingerprint.h) in the
 * same pass that reads it, instead of reading it twice. */
#define SD_AN_FP 1u     /* XXH3-128 */
#define SD_AN_SHA256 2u /* and SHA-256 (with SD_AN_FP) */

/* Reads one capture through the pipeline and the sign-in reconstruction
 * (a private sd_attempts in queue mode; ao->on_done is ignored). A read
 * error part-way keeps the attempts seen before it. Returns r->run.status;
 * when the reconstruction cannot be set up, -1 with run.error saying why. */
int sd_analyze_file(const char *path, const struct sd_pipeline_opts *po, const struct sd_attempt_opts *ao,
		    unsigned flags, struct sd_capture_result *r);
void sd_capture_result_free(struct sd_capture_result *r);

/* The same, streaming: each completed attempt is handed to emit (which
 * owns it and must sd_attempt_free it) while the capture is still being
 * read, in ascending id order, so memory does not grow with the capture.
 * An attempt that completes before an older one still open waits in a
 * reorder buffer bounded by the attempts open at once. r->attempts stays
 * empty; r->nattempts counts what was emitted. */
typedef void (*sd_attempt_sink)(void *ud, struct sd_attempt *a);
int sd_analyze_file_stream(const char *path, const struct sd_pipeline_opts *po,
			   const struct sd_attempt_opts *ao, unsigned flags, sd_attempt_sink emit, void *ud,
			   struct sd_capture_result *r);

/* Calls work(ud, i) for every i in [0, n) on `jobs` threads, and done(ud, i)
 * in the calling thread in order 0, 1, ... n-1, each once its work is over:
 * so results are consumed (printed, stored) by one thread in input order
 * whatever order the workers finish in. Workers run at most a bounded
 * window ahead of done, which bounds memory on long batches. jobs <= 1, or
 * threads that cannot be started, run everything in the calling thread.
 * work must be thread-safe for distinct i. */
typedef void (*sd_batch_fn)(void *ud, size_t i);
void sd_batch_run(size_t n, unsigned jobs, sd_batch_fn work, sd_batch_fn done, void *ud);

/* Monotonic clock in ns (elapsed times, never printed as dates). */
int64_t sd_monotonic_ns(void);

#endif
