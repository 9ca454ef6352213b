/*
 * fuzz_analyze.c - libFuzzer target for the whole analysis: the input is a
 * capture file, read as `sipdisc analyze` reads one (through a memfd, so the
 * path-based entry point and its fingerprint stream run too), every attempt
 * reconstructed, checked by the rules, printed as text and JSON and stored
 * in an in-memory database. The decoders have targets of their own; this
 * one reaches what comes after them: odd orders of DNS and TLS events in
 * the reconstruction and rules, and packet text in every output.
 *
 * Invariants, beyond "no crash, no leak":
 *   - attempts leave the stream with ids 1, 2, 3 ... and r.nattempts counts them;
 *   - the text report (no colour) holds only printable ASCII, newlines and
 *     valid UTF-8: no byte from a packet reaches the terminal raw;
 *   - each JSON report is one line of valid JSON (checked by a small
 *     parser below) in valid UTF-8;
 *   - every attempt can be stored (a store error on packet data is a bug).
 * Seeds: the regression captures (captures/), see fuzz-smoke in Makefile.am.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attempt.h"
#include "batch.h"
#include "json.h"
#include "profile.h"
#include "report.h"
#include "store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sd_profiles *profiles;
static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[512];
	profiles = sd_profiles_load(NULL, err, sizeof err); /* the source tree's data/profiles.ini */
	memfd = memfd_create("capture", MFD_CLOEXEC);
	if (!profiles || memfd < 0) {
		fprintf(stderr, "fuzz_analyze: cannot set up: %s\n", err);
		abort();
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	return 0;
}

/* ------------------------------------------------ output checks */

/* Length of the valid UTF-8 character at s (shortest form, no surrogates,
 * at most U+10FFFF), 0 if invalid. Written out here rather than taken from
 * json.c so that the check does not share a bug with what it checks. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc0 && c < 0xe0)
		len = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c < 0xf0)
		len = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c < 0xf8)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Text for a terminal: printable ASCII, newline, valid UTF-8 only. */
static void check_text(const char *t, size_t n)
{
	const unsigned char *s = (const unsigned char *)t;
	for (size_t i = 0; i < n;) {
		if (s[i] == '\n' || (s[i] >= 0x20 && s[i] < 0x7f)) {
			i++;
			continue;
		}
		size_t u = s[i] >= 0x80 ? utf8_char(s + i, n - i) : 0;
		if (!u)
			abort(); /* a raw control byte or broken UTF-8 in the text report */
		i += u;
	}
}

/* A JSON reader that only says whether the text is one valid value. */
struct jp {
	const unsigned char *s;
	size_t n, i;
	int depth;
};

static void j_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r'))
		p->i++; /* no '\n': the report is one line */
}

static int j_lit(struct jp *p, const char *w)
{
	size_t l = strlen(w);
	if (p->n - p->i < l || memcmp(p->s + p->i, w, l) != 0)
		return 0;
	p->i += l;
	return 1;
}

static int j_string(struct jp *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return 0;
	p->i++;
	while (p->i < p->n) {
		unsigned char c = p->s[p->i];
		if (c == '"') {
			p->i++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++p->i >= p->n)
				return 0;
			c = p->s[p->i];
			if (c == 'u') {
				if (p->n - p->i < 5)
					return 0;
				for (int k = 1; k <= 4; k++) {
					unsigned char h = p->s[p->i + (size_t)k];
					if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
						return 0;
				}
				p->i += 5;
			} else if (strchr("\"\\/bfnrt", c) && c) {
				p->i++;
			} else {
				return 0;
			}
			continue;
		}
		size_t u = utf8_char(p->s + p->i, p->n - p->i);
		if (!u)
			return 0;
		p->i += u;
	}
	return 0;
}

static int j_number(struct jp *p)
{
	size_t i0 = p->i;
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	size_t d0 = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	if (p->i == d0 || (p->s[d0] == '0' && p->i - d0 > 1))
		return 0;
	if (p->i < p->n && p->s[p->i] == '.') {
		size_t f0 = ++p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == f0)
			return 0;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t e0 = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == e0)
			return 0;
	}
	return p->i > i0;
}

static int j_value(struct jp *p);

static int j_seq(struct jp *p, unsigned char close, int members)
{
	p->i++; /* '{' or '[' */
	if (++p->depth > 64)
		return 0;
	j_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return 1;
	}
	for (;;) {
		j_ws(p);
		if (members) {
			if (!j_string(p))
				return 0;
			j_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return 0;
			p->i++;
			j_ws(p);
		}
		if (!j_value(p))
			return 0;
		j_ws(p);
		if (p->i >= p->n)
			return 0;
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] != close)
			return 0;
		p->i++;
		p->depth--;
		return 1;
	}
}

static int j_value(struct jp *p)
{
	if (p->i >= p->n)
		return 0;
	switch (p->s[p->i]) {
	case '{': return j_seq(p, '}', 1);
	case '[': return j_seq(p, ']', 0);
	case '"': return j_string(p);
	case 't': return j_lit(p, "true");
	case 'f': return j_lit(p, "false");
	case 'n': return j_lit(p, "null");
	default: return j_number(p);
	}
}

static void check_json(const char *t, size_t n)
{
	struct jp p = { (const unsigned char *)t, n, 0, 0 };
	j_ws(&p);
	if (!j_value(&p))
		abort(); /* the JSON report is not valid JSON */
	j_ws(&p);
	if (p.i != n)
		abort(); /* more than one value, or a newline inside the line */
}

/* ------------------------------------------------ the run */

struct out {
	char *text, *json; /* every attempt's report, as analyze prints it */
	size_t tlen, jlen;
	FILE *t, *j;
};

static int out_open(struct out *o)
{
	memset(o, 0, sizeof *o);
	o->t = open_memstream(&o->text, &o->tlen);
	o->j = open_memstream(&o->json, &o->jlen);
	return o->t && o->j ? 0 : -1;
}

static void out_close(struct out *o)
{
	if (o->t)
		fclose(o->t);
	if (o->j)
		fclose(o->j);
	o->t = o->j = NULL;
}

static void out_free(struct out *o)
{
	out_close(o);
	free(o->text);
	free(o->json);
}

/* Prints a into o, as analyze and report do, and checks each form. */
static void render(struct out *o, const struct sd_attempt *a)
{
	static const struct sd_report_opts plain = { 0, 0 }, verbose = { 0, 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	sd_report_text(m, a, &verbose); /* every answer and the whole chain */
	if (fclose(m) == 0)
		check_text(buf, len);
	free(buf);

	long t0 = ftell(o->t);
	sd_report_text(o->t, a, &plain);
	fflush(o->t);
	check_text(o->text + t0, o->tlen - (size_t)t0);

	long j0 = ftell(o->j);
	sd_report_json(o->j, a);
	fflush(o->j);
	check_json(o->json + j0, o->jlen - (size_t)j0);
	fputc('\n', o->j);
}

struct sink {
	struct sd_store *st;
	int64_t capture_id;
	uint64_t next_id;
	size_t emitted;
	struct out an;
};

static void on_attempt(void *ud, struct sd_attempt *a)
{
	struct sink *s = ud;
	if (a->id != s->next_id)
		abort(); /* the reorder buffer let an attempt out of order */
	s->next_id++;
	s->emitted++;
	render(&s->an, a);
	char err[512];
	if (sd_store_attempt(s->st, s->capture_id, a, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_analyze: attempt %llu not stored: %s\n", (unsigned long long)a->id, err);
		abort();
	}
	sd_attempt_free(a);
}

static void on_stored(void *ud, const char *capture_path, const struct sd_attempt *a)
{
	(void)capture_path;
	render(ud, a);
}

/* At most 200 bytes of text from where it differs, for the message. */
static int shown(size_t len, size_t from)
{
	size_t n = len - from;
	return (int)(n < 200 ? n : 200);
}

static void same(const char *what, const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen == blen && memcmp(a, b, alen) == 0)
		return;
	size_t i = 0;
	while (i < alen && i < blen && a[i] == b[i])
		i++;
	fprintf(stderr, "fuzz_analyze: %s differs from analyze at byte %zu:\n--- analyze\n%.*s\n--- stored\n%.*s\n", what,
		i, shown(alen, i), a + i, shown(blen, i), b + i);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		return 0;
	char err[512];
	struct sink s;
	memset(&s, 0, sizeof s);
	s.next_id = 1;
	/* A database per input: what is read back below is this capture's. */
	s.st = sd_store_open(":memory:", err, sizeof err);
	if (!s.st || out_open(&s.an) != 0) {
		fprintf(stderr, "fuzz_analyze: %s\n", s.st ? "out of memory" : err);
		abort();
	}
	struct sd_store_capture sc = { "fuzz", size, NULL, "fuzz", 0, 0 };
	s.capture_id = sd_store_begin(s.st, &sc, err, sizeof err);
	if (s.capture_id <= 0) {
		fprintf(stderr, "fuzz_analyze: %s\n", err);
		abort();
	}
	struct sd_pipeline_opts po;
	memset(&po, 0, sizeof po);
	struct sd_attempt_opts ao;
	memset(&ao, 0, sizeof ao);
	ao.profiles = profiles;
	struct sd_capture_result r;
	sd_analyze_file_stream(path, &po, &ao, SD_AN_FP, on_attempt, &s, &r);
	if (r.nattempts != s.emitted)
		abort(); /* an attempt completed but never reached the sink */
	if (strnlen(r.run.error, sizeof r.run.error) == sizeof r.run.error)
		abort();
	/* as analyze does: the fingerprint last, then the run's summary */
	if ((r.have_fp && sd_store_set_fingerprint(s.st, s.capture_id, &r.fp, err, sizeof err) != 0) ||
	    sd_store_end(s.st, s.capture_id, &r.run, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_analyze: capture not stored: %s\n", err);
		abort();
	}
	sd_capture_result_free(&r);

	/* "sipdisc report" prints stored attempts exactly as analyze did */
	struct out back;
	if (out_open(&back) != 0)
		abort();
	struct sd_store_filter any;
	memset(&any, 0, sizeof any);
	int nback = sd_store_each(s.st, &any, on_stored, &back, err, sizeof err);
	if (nback < 0) {
		fprintf(stderr, "fuzz_analyze: reading back: %s\n", err);
		abort();
	}
	if ((size_t)nback != s.emitted)
		abort(); /* attempts stored and attempts read back differ in number */
	out_close(&s.an);
	out_close(&back);
	same("text read back", s.an.text, s.an.tlen, back.text, back.tlen);
	same("JSON read back", s.an.json, s.an.jlen, back.json, back.jlen);
	out_free(&back);
	out_free(&s.an);
	sd_store_close(s.st);
	return 0;
}
