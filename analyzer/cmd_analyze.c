/*
 * cmd_analyze.c - "sipdisc analyze": every sign-in attempt in the captures,
 * checked against the client's rules, printed (text or JSON Lines) and
 * stored. Options and inputs are parsed here; the work is the library's:
 * batch.h (inputs, worker pool, one-capture analysis), report.h, store.h.
 *
 * Workers only analyse. Printing and storing happen in this thread, in
 * input order, one store transaction per capture, so the output and the
 * database are the same whatever -j is.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "config.h"
#include "json.h"
#include "profile.h"
#include "report.h"
#include "store.h"

#define TOP_CODES 5

struct item {
	struct sd_capture_result res;
	char *out;     /* the attempts' text/JSON, rendered by the worker */
	size_t outlen;
	struct sd_fp fp; /* when storing: the file's fingerprint */
	int have_fp;
	uint64_t size;
	int skipped; /* --skip-known: already stored */
};

struct code_count {
	char code[SD_ATT_CODE];
	uint64_t n;
};

struct an {
	/* options */
	int json, verbose, color, skip_known, no_db, jobs;
	int want_sha256; /* --sha256, or a database with rows known only by SHA-256 */
	const char *db_path;
	struct sd_pipeline_opts po;
	struct sd_attempt_opts ao;
	struct sd_report_opts ro;
	/* run */
	struct sd_inputs in;
	struct item *items;
	struct sd_store *store;
	pthread_mutex_t store_mu; /* workers ask sd_store_known while this thread writes */
	int progress;
	/* totals */
	size_t done, read_ok, read_failed, skipped;
	uint64_t bytes, attempts, signed_in, failed, inconclusive;
	int store_failed;
	struct code_count *codes;
	size_t ncodes, capcodes;
	size_t slowest;
	int64_t slowest_ns;
};

static void usage(FILE *out)
{
	fputs("usage: sipdisc analyze [OPTIONS] CAPTURE...\n"
	      "CAPTURE: pcap/pcapng file (gzip too), glob pattern, or directory (searched\n"
	      "recursively for captures)\n"
	      "  --profile NAME     client profile (default auto: chosen from the lookups)\n"
	      "  --profiles FILE    profile definitions (default: the installed profiles.ini)\n"
	      "  --strict MODE      SRV naming check: domain, narrow or off (default: profile)\n"
	      "  --ca-file FILE     trusted CA certificates (PEM) for the chain check\n"
	      "  --ca-path DIR      trusted CA directory (c_rehash form)\n"
	      "  --json             one JSON object per attempt (docs/analyze-json.md)\n"
	      "  --verbose          every query and answer, the full certificate chain\n"
	      "  --color, --no-color  colour the text (default: when stdout is a terminal)\n"
	      "  --db FILE          results database (default: sipdisc.db)\n"
	      "  --no-db            do not store results\n"
	      "  --skip-known       skip captures already stored (same bytes)\n"
	      "  --sha256           also store each capture's SHA-256 (slower: ~0.7 s per GB)\n"
	      "  -j N               analyse N captures in parallel (default 1)\n"
	      "  --idle SECONDS     close an attempt after this much silence (default 30)\n"
	      "  --help             this text\n"
	      "exit status: 0 all signed in, 1 an attempt failed or was inconclusive,\n"
	      "2 usage error or unreadable input\n",
	      out);
}

/* ------------------------------------------------------------- workers */

/* Fingerprints the file into it before it is analysed (--skip-known needs
 * it first); an unreadable file fails again, with its reason, when it is
 * analysed. */
static void fingerprint(const struct an *c, const char *path, struct item *it)
{
	char err[256];
	it->have_fp = sd_fp_file(path, c->want_sha256, &it->fp, err, sizeof err) == 0;
	if (it->have_fp)
		it->size = it->fp.size;
}

/* What the analysis fingerprints on its way through the file: nothing
 * without a store or when it is known already, else XXH3-128 (SHA-256 too
 * when asked for) in the same pass that reads it, so the file is read once. */
static unsigned an_flags(const struct an *c, const struct item *it)
{
	if (!c->store || it->have_fp)
		return 0;
	return SD_AN_FP | (c->want_sha256 ? SD_AN_SHA256 : 0);
}

/* Takes the fingerprint the analysis computed, if it did. */
static void take_fp(struct item *it)
{
	if (!it->have_fp && it->res.have_fp) {
		it->fp = it->res.fp;
		it->have_fp = 1;
		it->size = it->fp.size;
	}
}

/* One attempt's text or JSON. */
static void print_attempt(const struct an *c, FILE *f, const struct sd_attempt *a)
{
	if (c->json)
		sd_report_json(f, a);
	else
		sd_report_text(f, a, &c->ro);
	fputc('\n', f);
}

/* The worker formats its capture's attempts, so the single writer thread
 * only copies bytes out: formatting is a sixth of the work, and in the
 * writer it would bound the -j speed-up. */
static void render(const struct an *c, struct item *it)
{
	FILE *m = open_memstream(&it->out, &it->outlen);
	if (!m)
		return; /* done() prints them itself */
	for (size_t k = 0; k < it->res.nattempts; k++)
		print_attempt(c, m, it->res.attempts[k]);
	if (fclose(m) != 0) {
		free(it->out);
		it->out = NULL;
		it->outlen = 0;
	}
}

static void work(void *ud, size_t i)
{
	struct an *c = ud;
	struct item *it = &c->items[i];
	const char *path = c->in.paths[i];
	if (c->store && c->skip_known) {
		fingerprint(c, path, it);
		if (it->have_fp) {
			pthread_mutex_lock(&c->store_mu);
			it->skipped = sd_store_known(c->store, &it->fp) == 1;
			pthread_mutex_unlock(&c->store_mu);
			if (it->skipped)
				return;
		}
	} else if (!c->store) {
		struct stat st;
		if (stat(path, &st) == 0)
			it->size = (uint64_t)st.st_size;
	}
	sd_analyze_file(path, &c->po, &c->ao, an_flags(c, it), &it->res);
	take_fp(it);
	render(c, it);
}

/* -------------------------------------------------------------- writer */

static void progress_clear(const struct an *c)
{
	if (c->progress)
		fputs("\r\033[K", stderr);
}

static void progress_draw(const struct an *c)
{
	if (!c->progress)
		return;
	fprintf(stderr, "\r\033[Ksipdisc: %zu/%zu captures  %.1f MB  %llu attempts  %llu failed", c->done,
		c->in.n, (double)c->bytes / 1e6, (unsigned long long)c->attempts,
		(unsigned long long)(c->failed + c->inconclusive + c->read_failed)); /* NOLINT(bugprone-misplaced-widening-cast): the sum is already 64-bit; the cast matches %llu */
	fflush(stderr);
}

static void count_code(struct an *c, const char *code)
{
	for (size_t i = 0; i < c->ncodes; i++)
		if (!strcmp(c->codes[i].code, code)) {
			c->codes[i].n++;
			return;
		}
	if (c->ncodes == c->capcodes) {
		size_t cap = c->capcodes ? c->capcodes * 2 : 16;
		struct code_count *np = realloc(c->codes, cap * sizeof *np);
		if (!np)
			return; /* the summary only loses a count */
		c->codes = np;
		c->capcodes = cap;
	}
	snprintf(c->codes[c->ncodes].code, sizeof c->codes[c->ncodes].code, "%s", code);
	c->codes[c->ncodes++].n = 1;
}

static void json_capture(const char *type, const char *path, const struct item *it)
{
	struct sd_json j;
	sd_json_init(&j, stdout);
	sd_json_obj(&j, NULL);
	sd_json_str(&j, "type", type);
	sd_json_str(&j, "path", path);
	if (it) {
		const struct sd_run_info *ri = &it->res.run;
		if (it->skipped) {
			sd_json_str(&j, "status", "skipped");
		} else {
			sd_json_str(&j, "format", ri->format[0] ? ri->format : NULL);
			sd_json_uint(&j, "frames", ri->frames);
			sd_json_str(&j, "status", ri->status == 0 ? "ok" : ri->status == -1 ? "unreadable" : "read-error");
			sd_json_str(&j, "error", ri->status ? ri->error : NULL);
			sd_json_uint(&j, "attempts", it->res.nattempts);
		}
		sd_json_str(&j, "xxh128", it->have_fp ? it->fp.xxh128 : NULL);
		sd_json_str(&j, "sha256", it->have_fp && it->fp.sha256[0] ? it->fp.sha256 : NULL);
	}
	sd_json_obj_end(&j);
	fputc('\n', stdout);
}

static void store_capture(struct an *c, const char *path, const struct item *it)
{
	char err[512];
	struct sd_store_capture sc = {
		.path = path, /* as given (docs/schema.md) */
		.size = it->size,
		.fp = it->have_fp ? &it->fp : NULL,
		.tool_version = PACKAGE_VERSION,
		.analysed_at = (int64_t)time(NULL),
		.live = 0,
	};
	pthread_mutex_lock(&c->store_mu);
	int64_t id = sd_store_begin(c->store, &sc, err, sizeof err);
	int ok = id > 0;
	for (size_t i = 0; ok && i < it->res.nattempts; i++)
		ok = sd_store_attempt(c->store, id, it->res.attempts[i], err, sizeof err) == 0;
	if (ok)
		ok = sd_store_end(c->store, id, &it->res.run, err, sizeof err) == 0;
	if (!ok)
		sd_store_abort(c->store); /* the capture is stored whole or not at all */
	pthread_mutex_unlock(&c->store_mu);
	if (!ok) {
		sd_cli_error("%s: not stored: %s", path, err);
		c->store_failed = 1;
	}
}

/* What is printed before a capture's attempts. */
static void capture_head(struct an *c, size_t i)
{
	const char *path = c->in.paths[i];
	if (c->json)
		json_capture("capture", path, NULL);
	else if (c->in.n > 1)
		printf("# %s\n\n", path);
}

static void count_attempt(struct an *c, const struct sd_attempt *a)
{
	c->attempts++;
	if (a->verdict == SD_VERDICT_SIGNED_IN)
		c->signed_in++;
	else if (a->verdict == SD_VERDICT_FAILED)
		c->failed++;
	else
		c->inconclusive++;
	for (size_t f = 0; f < a->nfindings; f++)
		count_code(c, a->findings[f].code);
}

/* One attempt: printed and counted (the streaming path). */
static void emit_attempt(struct an *c, const struct sd_attempt *a)
{
	print_attempt(c, stdout, a);
	count_attempt(c, a);
}

/* What follows a capture's attempts; counts its read status. */
static void capture_tail(struct an *c, size_t i)
{
	struct item *it = &c->items[i];
	const char *path = c->in.paths[i];
	const struct sd_run_info *ri = &it->res.run;
	if (ri->status < 0) {
		c->read_failed++;
		/* The message names the file already when the reader wrote it. */
		if (!strncmp(ri->error, path, strlen(path)))
			sd_cli_error("%s", ri->error);
		else
			sd_cli_error("%s: %s", path, ri->error[0] ? ri->error : "cannot be read");
	} else {
		c->read_ok++;
	}
	if (!c->json && c->in.n > 1 && ri->status == -1)
		printf("not read: %s\n\n", ri->error[0] ? ri->error : "cannot be read");
	if (c->json)
		json_capture("capture-end", path, it);
	else if (it->res.nattempts == 0 && ri->status == 0)
		printf("no sign-in attempt found (%llu frames)\n\n", (unsigned long long)ri->frames);
	fflush(stdout);
	if (it->res.elapsed_ns > c->slowest_ns) {
		c->slowest_ns = it->res.elapsed_ns;
		c->slowest = i;
	}
}

/* Parallel path: a capture analysed by a worker, printed and stored here
 * in input order. */
static void done(void *ud, size_t i)
{
	struct an *c = ud;
	struct item *it = &c->items[i];
	progress_clear(c);
	c->done++;
	c->bytes += it->size;
	if (it->skipped) {
		c->skipped++;
		if (c->json) {
			json_capture("capture", c->in.paths[i], NULL);
			json_capture("capture-end", c->in.paths[i], it);
		}
		progress_draw(c);
		return;
	}
	capture_head(c, i);
	if (it->out)
		fwrite(it->out, 1, it->outlen, stdout);
	for (size_t k = 0; k < it->res.nattempts; k++) {
		if (!it->out)
			print_attempt(c, stdout, it->res.attempts[k]);
		count_attempt(c, it->res.attempts[k]);
	}
	free(it->out);
	it->out = NULL;
	capture_tail(c, i);
	if (c->store)
		store_capture(c, c->in.paths[i], it);
	sd_capture_result_free(&it->res);
	progress_draw(c);
}

/* Sequential path: attempts are printed and stored while the capture is
 * read, so memory stays flat however long the capture is (a 1 GB capture
 * holds thousands of attempts). The capture's transaction is open from
 * the first attempt to the end; its fingerprint is computed alongside and
 * set last, which replaces an earlier analysis of the same bytes.
 *
 * Storing an attempt (~13 rows, each a b-tree insert or three) costs about
 * as much as analysing it, so a writer thread stores while this thread
 * reads on: attempts are printed here, in order, then handed over through
 * a bounded queue (memory stays flat), and handed back to be freed here. */
#define WQ_MAX 256
#define WQ_WAKE 16 /* wake the writer for this many: a wake-up per attempt cost the reader a futex call each */
/* A reader that found the queue full sleeps until the writer has emptied
 * it to here. Waking it at the first free slot made the two threads take
 * turns, a futex wait and wake per attempt, whenever attempts came faster
 * than they are stored (at the end of a capture, when every attempt still
 * open completes at once). */
#define WQ_ROOM (WQ_MAX / 2)
/* Stored attempts waiting to go back: everything queued at the reader's
 * last push, plus the one the writer was storing then. */
#define WQ_DONE (WQ_MAX + 1)

struct writer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct sd_attempt *q[WQ_MAX];
	size_t head, n;
	int closing;
	int full; /* the reader waits for the queue to drain to WQ_ROOM */
	/* Stored attempts go back to the reader to be freed: they were
	 * allocated there, and frees from the writer thread made both threads
	 * queue for glibc's main arena lock (strace: ~900 futex waits on one
	 * address per 1 GB capture). */
	struct sd_attempt *done[WQ_DONE];
	size_t ndone;
	struct sd_store *store;
	int64_t capture_id;
	char err[512];
	int store_err; /* set by the writer only; read after the join */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct sd_attempt *prev = NULL; /* stored, not yet handed back */
	for (;;) {
		pthread_mutex_lock(&w->mu);
		if (prev) /* ndone < WQ_DONE: the reader empties done at each push */
			w->done[w->ndone++] = prev;
		prev = NULL;
		while (!w->n && !w->closing)
			pthread_cond_wait(&w->more, &w->mu);
		if (!w->n) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		struct sd_attempt *a = w->q[w->head];
		w->head = (w->head + 1) % WQ_MAX;
		if (--w->n == WQ_ROOM && w->full) /* the reader waits for room only on a full queue */
			pthread_cond_signal(&w->room);
		pthread_mutex_unlock(&w->mu);
		if (!w->store_err && sd_store_attempt(w->store, w->capture_id, a, w->err, sizeof w->err) != 0)
			w->store_err = 1;
		prev = a;
	}
}

/* Moves what the writer has stored to out (w->mu held); the caller frees
 * them with free_done after unlocking. */
static size_t take_done(struct writer *w, struct sd_attempt **out)
{
	size_t n = w->ndone;
	for (size_t i = 0; i < n; i++)
		out[i] = w->done[i];
	w->ndone = 0;
	return n;
}

static void free_done(struct sd_attempt **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sd_attempt_free(a[i]);
}

static int writer_start(struct writer *w, struct sd_store *store, int64_t capture_id)
{
	memset(w, 0, sizeof *w);
	w->store = store;
	w->capture_id = capture_id;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&w->more, NULL) != 0 || pthread_cond_init(&w->room, NULL) != 0 ||
	    pthread_create(&w->th, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		return -1; /* the condition variables need no destroying on Linux */
	}
	return 0;
}

static void writer_push(struct writer *w, struct sd_attempt *a)
{
	struct sd_attempt *stored[WQ_DONE];
	pthread_mutex_lock(&w->mu);
	if (w->n == WQ_MAX) {
		w->full = 1; /* the writer is awake: it was woken at WQ_WAKE and sleeps only when empty */
		while (w->n > WQ_ROOM)
			pthread_cond_wait(&w->room, &w->mu);
		w->full = 0;
	}
	w->q[(w->head + w->n) % WQ_MAX] = a;
	w->n++;
	if (w->n == WQ_WAKE || w->n == WQ_MAX)
		pthread_cond_signal(&w->more);
	size_t nstored = take_done(w, stored);
	pthread_mutex_unlock(&w->mu);
	free_done(stored, nstored);
}

/* Waits until every queued attempt is stored. */
static void writer_finish(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->closing = 1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	free_done(w->done, w->ndone);
	w->ndone = 0;
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->mu);
}

struct stream_ctx {
	struct an *c;
	int64_t capture_id; /* 0 = not storing this capture */
	struct writer *w;   /* NULL: store in this thread */
	char err[512];
	int store_err;
};

static void stream_sink(void *ud, struct sd_attempt *a)
{
	struct stream_ctx *s = ud;
	emit_attempt(s->c, a);
	if (s->w) {
		writer_push(s->w, a);
		return;
	}
	if (s->capture_id > 0 && !s->store_err &&
	    sd_store_attempt(s->c->store, s->capture_id, a, s->err, sizeof s->err) != 0)
		s->store_err = 1;
	sd_attempt_free(a);
}

static void run_streaming(struct an *c)
{
	for (size_t i = 0; i < c->in.n; i++) {
		struct item *it = &c->items[i];
		const char *path = c->in.paths[i];
		progress_clear(c);
		if (c->skip_known) {
			fingerprint(c, path, it);
			if (it->have_fp && sd_store_known(c->store, &it->fp) == 1) {
				it->skipped = 1;
				done(c, i);
				continue;
			}
		}
		struct stream_ctx s;
		memset(&s, 0, sizeof s);
		s.c = c;
		struct writer w;
		if (c->store) {
			struct sd_store_capture sc = { path, 0, it->have_fp ? &it->fp : NULL, PACKAGE_VERSION,
						       (int64_t)time(NULL), 0 };
			s.capture_id = sd_store_begin(c->store, &sc, s.err, sizeof s.err);
			if (s.capture_id <= 0)
				s.store_err = 1;
			else if (writer_start(&w, c->store, s.capture_id) == 0)
				s.w = &w;
		} else {
			struct stat st;
			if (stat(path, &st) == 0)
				it->size = (uint64_t)st.st_size;
		}
		capture_head(c, i);
		sd_analyze_file_stream(path, &c->po, &c->ao, an_flags(c, it), stream_sink, &s, &it->res);
		take_fp(it);
		if (s.w) {
			writer_finish(s.w);
			if (s.w->store_err) {
				s.store_err = 1;
				memcpy(s.err, s.w->err, sizeof s.err);
			}
		}
		c->done++;
		c->bytes += it->size;
		capture_tail(c, i);
		if (c->store) {
			if (!s.store_err && it->have_fp)
				s.store_err = sd_store_set_fingerprint(c->store, s.capture_id, &it->fp, s.err,
								       sizeof s.err) != 0;
			if (!s.store_err)
				s.store_err = sd_store_end(c->store, s.capture_id, &it->res.run, s.err, sizeof s.err) != 0;
			if (s.store_err) {
				sd_store_abort(c->store); /* whole or not at all */
				sd_cli_error("%s: not stored: %s", path, s.err);
				c->store_failed = 1;
			}
		}
		progress_draw(c);
	}
}

static int cmp_code(const void *x, const void *y)
{
	const struct code_count *a = x, *b = y;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->code, b->code);
}

static void summary(struct an *c)
{
	FILE *out = c->json ? stderr : stdout;
	fprintf(out, "summary\n  captures  %zu read, %zu failed", c->read_ok, c->read_failed);
	if (c->skipped)
		fprintf(out, ", %zu skipped (already stored)", c->skipped);
	fprintf(out, "\n  attempts  %llu signed in, %llu failed, %llu inconclusive\n",
		(unsigned long long)c->signed_in, (unsigned long long)c->failed,
		(unsigned long long)c->inconclusive);
	if (c->ncodes) {
		qsort(c->codes, c->ncodes, sizeof *c->codes, cmp_code);
		/* codes come from the rules, not packets, but keep 80 columns */
		int col = fprintf(out, "  findings ");
		for (size_t i = 0; i < c->ncodes && i < TOP_CODES; i++) {
			char item[64];
			int n = snprintf(item, sizeof item, " %s %llu%s", c->codes[i].code,
					 (unsigned long long)c->codes[i].n,
					 i + 1 < c->ncodes && i + 1 < TOP_CODES ? "," : "");
			if (i && col + n > 80)
				col = fprintf(out, "\n%11s", "");
			col += fprintf(out, "%s", item);
		}
		fputc('\n', out);
	}
	if (c->store)
		fprintf(out, "  results stored in %s\n", c->db_path);
	else
		fputs("  results not stored (--no-db)\n", out);
	/* Timing differs from run to run: kept off stdout so that stdout stays
	 * byte-stable for a given capture and options. */
	if (c->slowest_ns >= 0)
		fprintf(stderr, "sipdisc: slowest capture: %s (%.3f s)\n", c->in.paths[c->slowest],
			(double)c->slowest_ns / 1e9);
}

/* ------------------------------------------------------------- options */

enum {
	O_PROFILE = 256, O_PROFILES, O_STRICT, O_CAFILE, O_CAPATH, O_JSON, O_VERBOSE, O_COLOR, O_NOCOLOR,
	O_DB, O_NODB, O_SKIP, O_SHA256, O_IDLE,
};

static int parse_opts(struct an *c, int argc, char **argv, const char **profiles_path)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "profiles", required_argument, NULL, O_PROFILES },
		{ "strict", required_argument, NULL, O_STRICT },
		{ "ca-file", required_argument, NULL, O_CAFILE },
		{ "ca-path", required_argument, NULL, O_CAPATH },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "color", no_argument, NULL, O_COLOR },
		{ "colour", no_argument, NULL, O_COLOR },
		{ "no-color", no_argument, NULL, O_NOCOLOR },
		{ "no-colour", no_argument, NULL, O_NOCOLOR },
		{ "db", required_argument, NULL, O_DB },
		{ "no-db", no_argument, NULL, O_NODB },
		{ "skip-known", no_argument, NULL, O_SKIP },
		{ "sha256", no_argument, NULL, O_SHA256 },
		{ "idle", required_argument, NULL, O_IDLE },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	char *end;
	optind = 1;
	while ((o = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (o) {
		case O_PROFILE: c->ao.profile = optarg; break;
		case O_PROFILES: *profiles_path = optarg; break;
		case O_STRICT:
			if (sd_strict_parse(optarg, &c->ao.strict)) {
				sd_cli_error("--strict: '%s' is not domain, narrow or off", optarg);
				return -1;
			}
			break;
		case O_CAFILE: c->ao.ca_file = optarg; break;
		case O_CAPATH: c->ao.ca_path = optarg; break;
		case O_JSON: c->json = 1; break;
		case O_VERBOSE: c->verbose = 1; break;
		case O_COLOR: c->color = 1; break;
		case O_NOCOLOR: c->color = 0; break;
		case O_DB: c->db_path = optarg; break;
		case O_NODB: c->no_db = 1; break;
		case O_SKIP: c->skip_known = 1; break;
		case O_SHA256: c->want_sha256 = 1; break;
		case O_IDLE: {
			errno = 0;
			double s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(s > 0) || s > 86400.0 * 365) {
				sd_cli_error("--idle: '%s' is not a number of seconds > 0", optarg);
				return -1;
			}
			c->ao.idle_ns = (int64_t)(s * 1e9);
			break;
		}
		case 'j': {
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > 256) {
				sd_cli_error("-j: '%s' is not a number from 1 to 256", optarg);
				return -1;
			}
			c->jobs = (int)n;
			break;
		}
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	if (c->skip_known && c->no_db) {
		sd_cli_error("--skip-known needs the database (drop --no-db)");
		return -1;
	}
	if (c->want_sha256 && c->no_db) {
		sd_cli_error("--sha256 is stored in the database (drop --no-db)");
		return -1;
	}
	/* A mistyped trust store would make every chain "untrusted". */
	if (c->ao.ca_file && access(c->ao.ca_file, R_OK) != 0) {
		sd_cli_error("--ca-file %s: %s", c->ao.ca_file, strerror(errno));
		return -1;
	}
	if (c->ao.ca_path && access(c->ao.ca_path, R_OK | X_OK) != 0) {
		sd_cli_error("--ca-path %s: %s", c->ao.ca_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Loads the profiles once for every worker and checks that the options
 * make a working reconstruction (unknown profile name, ...) before any
 * capture is read. */
static struct sd_profiles *setup_profiles(struct an *c, const char *profiles_path)
{
	char err[512] = "";
	struct sd_profiles *ps = sd_profiles_load(profiles_path, err, sizeof err);
	if (!ps) {
		sd_cli_error("%s", err[0] ? err : "cannot load the client profiles");
		return NULL;
	}
	c->ao.profiles = ps;
	c->ao.profiles_path = profiles_path;
	struct sd_attempt_opts probe = c->ao;
	probe.err = err;
	probe.errlen = sizeof err;
	struct sd_attempts *s = sd_attempts_new(&probe);
	if (!s) {
		sd_cli_error("%s", err[0] ? err : "cannot set up the analysis");
		sd_profiles_free(ps);
		c->ao.profiles = NULL;
		return NULL;
	}
	sd_attempts_free(s);
	return ps;
}

int cmd_analyze(int argc, char **argv)
{
	struct an c;
	memset(&c, 0, sizeof c);
	c.color = -1;
	c.jobs = 1;
	c.db_path = "sipdisc.db";
	c.slowest_ns = -1;
	c.ao.profile = "auto";
	c.ao.strict = SD_STRICT_PROFILE;
	const char *profiles_path = NULL;

	int r = parse_opts(&c, argc, argv, &profiles_path);
	if (r)
		return r > 0 ? SD_EXIT_OK : SD_EXIT_USAGE;
	/* like report and live: NO_COLOR (no-color.org) turns the default off */
	c.ro.color = c.json ? 0 : c.color >= 0 ? c.color : isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	c.ro.verbose = c.verbose;
	c.progress = isatty(STDERR_FILENO);

	int input_error = 0;
	for (int i = optind; i < argc; i++) {
		char err[512];
		size_t before = c.in.n;
		if (sd_inputs_add(&c.in, argv[i], err, sizeof err)) {
			sd_cli_error("%s", err);
			input_error = 1;
		} else if (c.in.n == before) {
			sd_cli_error("%s: no capture found", argv[i]);
			input_error = 1;
		}
	}
	if (c.in.n == 0) {
		sd_inputs_free(&c.in);
		return SD_EXIT_USAGE;
	}

	struct sd_profiles *ps = setup_profiles(&c, profiles_path);
	if (!ps) {
		sd_inputs_free(&c.in);
		return SD_EXIT_USAGE;
	}
	if (!c.no_db) {
		char err[512] = "";
		c.store = sd_store_open(c.db_path, err, sizeof err);
		if (!c.store) {
			sd_cli_error("%s: %s", c.db_path, err);
			sd_profiles_free(ps);
			sd_inputs_free(&c.in);
			return SD_EXIT_USAGE;
		}
		if (sd_store_wants_sha256(c.store))
			c.want_sha256 = 1; /* rows of schema 2 are found by SHA-256 only */
	}
	c.items = calloc(c.in.n, sizeof *c.items);
	if (!c.items || pthread_mutex_init(&c.store_mu, NULL) != 0) {
		sd_cli_error("out of memory");
		free(c.items);
		if (c.store)
			sd_store_close(c.store);
		sd_profiles_free(ps);
		sd_inputs_free(&c.in);
		return SD_EXIT_USAGE;
	}

	if (c.jobs <= 1 || c.in.n == 1)
		run_streaming(&c);
	else
		sd_batch_run(c.in.n, (unsigned)c.jobs, work, done, &c);

	progress_clear(&c);
	summary(&c);
	int rc = SD_EXIT_OK;
	if (c.failed || c.inconclusive)
		rc = SD_EXIT_PROBLEM;
	if (input_error || c.read_failed || c.store_failed)
		rc = SD_EXIT_USAGE;
	if (fflush(stdout) != 0) {
		sd_cli_error("writing output failed");
		rc = SD_EXIT_USAGE;
	}
	pthread_mutex_destroy(&c.store_mu);
	if (c.store)
		sd_store_close(c.store);
	sd_profiles_free(ps);
	free(c.items);
	free(c.codes);
	sd_inputs_free(&c.in);
	return rc;
}
