/*
 * batch.c - inputs, one-capture analysis and the ordered worker pool
 * (see batch.h).
 */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------- inputs */

int sd_is_capture(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char m[4];
	size_t n = fread(m, 1, sizeof m, f);
	int rd_err = ferror(f);
	fclose(f);
	if (rd_err)
		return -1;
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return 1; /* gzip: the source layer opens compressed captures itself */
	if (n < 4)
		return 0;
	uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	return be == 0xa1b2c3d4u || be == 0xd4c3b2a1u || /* pcap, µs */
	       be == 0xa1b23c4du || be == 0x4d3cb2a1u || /* pcap, ns */
	       be == 0x0a0d0d0au;                        /* pcapng section header */
}

static int push(struct sd_inputs *in, const char *path)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		char **np = realloc(in->paths, cap * sizeof *np);
		if (!np)
			return -1;
		in->paths = np;
		in->cap = cap;
	}
	char *p = strdup(path);
	if (!p)
		return -1;
	in->paths[in->n++] = p;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define WALK_DEPTH 64

/* Byte-order names (not the locale's collation) so the same tree gives
 * the same order, and so the same output, everywhere. */
static int walk(struct sd_inputs *in, const char *dir, int depth, char *err, size_t errlen)
{
	if (depth > WALK_DEPTH) {
		snprintf(err, errlen, "%s: directories nested too deep", dir);
		return -1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **np = realloc(names, cap * sizeof *np);
			if (!np) {
				rc = -1;
				break;
			}
			names = np;
		}
		names[n] = strdup(e->d_name);
		if (!names[n]) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		snprintf(err, errlen, "%s: out of memory", dir);
	else if (n) /* an empty directory leaves names NULL, which qsort may not take */
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			size_t len = strlen(dir) + strlen(names[i]) + 2;
			char *p = malloc(len);
			if (!p) {
				snprintf(err, errlen, "%s: out of memory", dir);
				rc = -1;
			} else {
				int slash = dir[0] && dir[strlen(dir) - 1] == '/';
				snprintf(p, len, "%s%s%s", dir, slash ? "" : "/", names[i]);
				struct stat st;
				/* lstat first: a symlinked directory could loop back up */
				if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
					rc = walk(in, p, depth + 1, err, errlen);
				} else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && sd_is_capture(p) == 1) {
					if (push(in, p)) {
						snprintf(err, errlen, "%s: out of memory", dir);
						rc = -1;
					}
				}
				free(p);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* One existing path or one glob match. */
static int add_path(struct sd_inputs *in, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return walk(in, path, 0, err, errlen);
	if (push(in, path)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

int sd_inputs_add(struct sd_inputs *in, const char *arg, char *err, size_t errlen)
{
	struct stat st;
	/* A file literally named "a[1].pcap" is taken as named, not as a pattern. */
	if (!strpbrk(arg, "*?[") || stat(arg, &st) == 0)
		return add_path(in, arg, err, errlen);
	glob_t g;
	int r = glob(arg, 0, NULL, &g);
	if (r == GLOB_NOMATCH) {
		snprintf(err, errlen, "%s: no file matches", arg);
		globfree(&g);
		return -1;
	}
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", arg, r == GLOB_NOSPACE ? "out of memory" : "cannot be read");
		globfree(&g);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) /* glob sorts its matches */
		rc = add_path(in, g.gl_pathv[i], err, errlen);
	globfree(&g);
	return rc;
}

void sd_inputs_free(struct sd_inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->paths[i]);
	free(in->paths);
	memset(in, 0, sizeof *in);
}

/* ------------------------------------------------------------ analysis */

int64_t sd_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_attempt(const void *x, const void *y)
{
	const struct sd_attempt *a = *(const struct sd_attempt *const *)x;
	const struct sd_attempt *b = *(const struct sd_attempt *const *)y;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The pipeline over the file, fingerprinting it on the way when asked. */
static void run_pipeline(const char *path, unsigned flags, const struct sd_pipeline_opts *po, sd_event_fn fn,
			 void *ud, struct sd_capture_result *r)
{
	if (!(flags & SD_AN_FP)) {
		sd_pipeline_run_file(path, po, fn, ud, &r->run);
		return;
	}
	struct sd_fp_reader *fr;
	FILE *fp = sd_fp_open(path, (flags & SD_AN_SHA256) != 0, &fr, r->run.error, sizeof r->run.error);
	if (!fp) {
		r->run.status = -1;
		return;
	}
	sd_pipeline_run_stream(fp, path, po, fn, ud, &r->run); /* closes fp: the hash is final */
	r->have_fp = sd_fp_result(fr, &r->fp) == 0;
	sd_fp_free(fr);
}

int sd_analyze_file(const char *path, const struct sd_pipeline_opts *po, const struct sd_attempt_opts *ao,
		    unsigned flags, struct sd_capture_result *r)
{
	memset(r, 0, sizeof *r);
	int64_t t0 = sd_monotonic_ns();
	struct sd_attempt_opts o = *ao;
	char aerr[256] = "";
	o.on_done = NULL; /* queue mode: this thread collects the attempts */
	o.ud = NULL;
	o.err = aerr;
	o.errlen = sizeof aerr;
	struct sd_attempts *set = sd_attempts_new(&o);
	if (!set) {
		snprintf(r->run.error, sizeof r->run.error, "%s: %s", path, aerr[0] ? aerr : "cannot analyse");
		r->run.status = -1;
		return -1;
	}
	run_pipeline(path, flags, po, sd_attempts_event_fn, set, r);
	sd_attempts_finish(set);
	size_t cap = 0;
	struct sd_attempt *a;
	while ((a = sd_attempts_next(set)) != NULL) {
		if (r->nattempts == cap) {
			cap = cap ? cap * 2 : 8;
			struct sd_attempt **np = realloc(r->attempts, cap * sizeof *np); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
			if (!np) {
				/* Losing attempts silently would be a wrong verdict: say so. */
				sd_attempt_free(a);
				snprintf(r->run.error, sizeof r->run.error, "%s: out of memory", path);
				r->run.status = -2;
				break;
			}
			r->attempts = np;
		}
		r->attempts[r->nattempts++] = a;
	}
	while ((a = sd_attempts_next(set)) != NULL)
		sd_attempt_free(a);
	sd_attempts_free(set);
	/* Completion order depends on how attempts ended; ids follow the
	 * capture, which is the order people read. */
	if (r->nattempts > 1)
		qsort(r->attempts, r->nattempts, sizeof *r->attempts, cmp_attempt); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
	r->elapsed_ns = sd_monotonic_ns() - t0;
	return r->run.status;
}

/* Reorder buffer: attempts come out of the reconstruction in completion
 * order; they leave here in id order (ids are dense, 1-based). */
struct stream {
	struct sd_attempts *set;
	sd_attempt_sink emit;
	void *ud;
	struct sd_attempt **held; /* sorted by id */
	size_t nheld, cap;
	uint64_t next_id;
	size_t emitted;
	int oom;
};

static void stream_release(struct stream *st)
{
	while (st->nheld && st->held[0]->id <= st->next_id) {
		struct sd_attempt *a = st->held[0];
		memmove(st->held, st->held + 1, (st->nheld - 1) * sizeof *st->held); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
		st->nheld--;
		st->next_id = a->id + 1;
		st->emitted++;
		st->emit(st->ud, a);
	}
}

static void stream_drain(struct stream *st)
{
	struct sd_attempt *a;
	while ((a = sd_attempts_next(st->set)) != NULL) {
		if (st->nheld == st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 16;
			struct sd_attempt **np = realloc(st->held, cap * sizeof *np); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
			if (!np) {
				st->oom = 1;
				sd_attempt_free(a);
				continue;
			}
			st->held = np;
			st->cap = cap;
		}
		size_t k = st->nheld;
		while (k > 0 && st->held[k - 1]->id > a->id)
			k--;
		memmove(st->held + k + 1, st->held + k, (st->nheld - k) * sizeof *st->held); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
		st->held[k] = a;
		st->nheld++;
	}
	stream_release(st);
}

static void stream_event(void *ud, const struct sd_event *ev)
{
	struct stream *st = ud;
	sd_attempts_event(st->set, ev);
	stream_drain(st);
}

int sd_analyze_file_stream(const char *path, const struct sd_pipeline_opts *po,
			   const struct sd_attempt_opts *ao, unsigned flags, sd_attempt_sink emit, void *ud,
			   struct sd_capture_result *r)
{
	memset(r, 0, sizeof *r);
	int64_t t0 = sd_monotonic_ns();
	struct sd_attempt_opts o = *ao;
	char aerr[256] = "";
	o.on_done = NULL; /* queue mode: drained after every event */
	o.ud = NULL;
	o.err = aerr;
	o.errlen = sizeof aerr;
	struct stream st;
	memset(&st, 0, sizeof st);
	st.emit = emit;
	st.ud = ud;
	st.next_id = 1;
	st.set = sd_attempts_new(&o);
	if (!st.set) {
		snprintf(r->run.error, sizeof r->run.error, "%s: %s", path, aerr[0] ? aerr : "cannot analyse");
		r->run.status = -1;
		return -1;
	}
	run_pipeline(path, flags, po, stream_event, &st, r);
	sd_attempts_finish(st.set);
	stream_drain(&st);
	/* Whatever is left (ids skipped by a lost attempt): in order. */
	if (st.nheld) {
		st.next_id = UINT64_MAX;
		stream_release(&st);
	}
	if (st.oom && r->run.status == 0) {
		snprintf(r->run.error, sizeof r->run.error, "%s: out of memory: attempts lost", path);
		r->run.status = -2;
	}
	free(st.held);
	sd_attempts_free(st.set);
	r->nattempts = st.emitted;
	r->elapsed_ns = sd_monotonic_ns() - t0;
	return r->run.status;
}

void sd_capture_result_free(struct sd_capture_result *r)
{
	/* a streamed result counts its attempts but holds none */
	for (size_t i = 0; r->attempts && i < r->nattempts; i++)
		sd_attempt_free(r->attempts[i]);
	free(r->attempts);
	r->attempts = NULL;
	r->nattempts = 0;
}

/* --------------------------------------------------------- worker pool */

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv_work; /* workers: the window moved */
	pthread_cond_t cv_done; /* consumer: an item finished */
	size_t n, next_claim, next_done, window;
	unsigned char *finished;
	sd_batch_fn work;
	void *ud;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->next_claim < p->n && p->next_claim >= p->next_done + p->window)
			pthread_cond_wait(&p->cv_work, &p->mu);
		if (p->next_claim >= p->n)
			break;
		size_t i = p->next_claim++;
		pthread_mutex_unlock(&p->mu);
		p->work(p->ud, i);
		pthread_mutex_lock(&p->mu);
		p->finished[i] = 1;
		pthread_cond_broadcast(&p->cv_done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void sd_batch_run(size_t n, unsigned jobs, sd_batch_fn work, sd_batch_fn done, void *ud)
{
	if (jobs > n)
		jobs = (unsigned)n;
	pthread_t *th = NULL;
	struct pool p;
	memset(&p, 0, sizeof p);
	unsigned started = 0;
	if (jobs > 1) {
		th = calloc(jobs, sizeof *th);
		p.finished = calloc(n, 1);
		if (th && p.finished && pthread_mutex_init(&p.mu, NULL) == 0) {
			pthread_cond_init(&p.cv_work, NULL);
			pthread_cond_init(&p.cv_done, NULL);
			p.n = n;
			p.window = (size_t)jobs * 2;
			p.work = work;
			p.ud = ud;
			for (; started < jobs; started++)
				if (pthread_create(&th[started], NULL, worker, &p) != 0)
					break;
			if (started == 0) {
				pthread_cond_destroy(&p.cv_work);
				pthread_cond_destroy(&p.cv_done);
				pthread_mutex_destroy(&p.mu);
			}
		}
	}
	if (started == 0) {
		/* Sequential: the same order, no threads. */
		free(th);
		free(p.finished);
		for (size_t i = 0; i < n; i++) {
			work(ud, i);
			done(ud, i);
		}
		return;
	}
	pthread_mutex_lock(&p.mu);
	while (p.next_done < n) {
		while (!p.finished[p.next_done])
			pthread_cond_wait(&p.cv_done, &p.mu);
		size_t i = p.next_done;
		pthread_mutex_unlock(&p.mu);
		done(ud, i);
		pthread_mutex_lock(&p.mu);
		p.next_done++;
		pthread_cond_broadcast(&p.cv_work);
	}
	pthread_mutex_unlock(&p.mu);
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_cond_destroy(&p.cv_work);
	pthread_cond_destroy(&p.cv_done);
	pthread_mutex_destroy(&p.mu);
	free(th);
	free(p.finished);
}
