/*
 * test_source.c - capture input (source.c, pcapng.c): captures written here
 * byte by byte in every format and byte order, gzip-compressed, damaged at
 * every byte, and the malformed public captures.
 */
#include "testutil.h"
#include "source.h"
#include "pcapng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---------------------------------------------------------------- writer */

struct bb {
	uint8_t *b;
	size_t n, cap;
	int be;
};

static void put(struct bb *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (w->n + n > w->cap) {
		size_t c = w->cap ? w->cap : 256;
		while (c < w->n + n)
			c *= 2;
		uint8_t *nb = realloc(w->b, c);
		CU_ASSERT_FATAL(nb != NULL);
		w->b = nb;
		w->cap = c;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}
static void p8(struct bb *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(w, &b, 1);
}
static void p16(struct bb *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	if (w->be) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	}
	put(w, b, 2);
}
static void p32(struct bb *w, uint32_t v)
{
	if (w->be) {
		p16(w, v >> 16);
		p16(w, v & 0xffff);
	} else {
		p16(w, v & 0xffff);
		p16(w, v >> 16);
	}
}
static void pad4(struct bb *w)
{
	while (w->n % 4)
		p8(w, 0);
}
static void patch32(struct bb *w, size_t at, uint32_t v)
{
	struct bb t = { .be = w->be };
	p32(&t, v);
	memcpy(w->b + at, t.b, 4);
	free(t.b);
}

/* pcapng blocks: block_start writes type and a length to patch. */
static size_t block_start(struct bb *w, uint32_t type)
{
	size_t at = w->n;
	p32(w, type);
	p32(w, 0);
	return at;
}
static void block_end(struct bb *w, size_t at)
{
	pad4(w);
	uint32_t len = (uint32_t)(w->n - at + 4);
	p32(w, len);
	patch32(w, at + 4, len);
}
static void opt(struct bb *w, unsigned code, const void *v, size_t n)
{
	p16(w, code);
	p16(w, (unsigned)n);
	put(w, v, n);
	pad4(w);
}

static void shb(struct bb *w, const char *comment)
{
	size_t at = block_start(w, 0x0A0D0D0Au);
	p32(w, 0x1A2B3C4Du);
	p16(w, 1);
	p16(w, 0);
	p32(w, 0xffffffffu);
	p32(w, 0xffffffffu);
	if (comment) {
		opt(w, 1, comment, strlen(comment));
		opt(w, 0, NULL, 0);
	}
	block_end(w, at);
}
static void idb(struct bb *w, unsigned lt, uint32_t snap, int tsresol, int64_t tsoffset)
{
	size_t at = block_start(w, 1);
	p16(w, lt);
	p16(w, 0);
	p32(w, snap);
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;
		opt(w, 9, &r, 1);
	}
	if (tsoffset) {
		p16(w, 14);
		p16(w, 8);
		uint64_t v = (uint64_t)tsoffset;
		p32(w, w->be ? (uint32_t)(v >> 32) : (uint32_t)v);
		p32(w, w->be ? (uint32_t)v : (uint32_t)(v >> 32));
	}
	block_end(w, at);
}
static void epb(struct bb *w, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen, uint32_t wirelen,
		const char *comment)
{
	size_t at = block_start(w, 6);
	p32(w, ifid);
	p32(w, (uint32_t)(ts >> 32));
	p32(w, (uint32_t)ts);
	p32(w, caplen);
	p32(w, wirelen);
	put(w, data, caplen);
	pad4(w);
	if (comment)
		opt(w, 1, comment, strlen(comment));
	block_end(w, at);
}

static const uint8_t PKT[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!";

static void pcap_hdr(struct bb *w, int ns, unsigned lt, uint32_t snap)
{
	p32(w, ns ? 0xa1b23c4du : 0xa1b2c3d4u);
	p16(w, 2);
	p16(w, 4);
	p32(w, 0);
	p32(w, 0);
	p32(w, snap);
	p32(w, lt);
}
static void pcap_rec(struct bb *w, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wirelen)
{
	p32(w, sec);
	p32(w, frac);
	p32(w, caplen);
	p32(w, wirelen);
	put(w, PKT, caplen);
}

/* ---------------------------------------------------------------- reading */

static char tmpl[64];

static const char *to_file(const struct bb *w)
{
	snprintf(tmpl, sizeof tmpl, "/tmp/sd_src_XXXXXX");
	int fd = mkstemp(tmpl);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(w->n == 0 || write(fd, w->b, w->n) == (ssize_t)w->n);
	close(fd);
	return tmpl;
}

static struct sd_source *open_bytes(const struct bb *w, char *err, size_t errlen)
{
	const char *path = to_file(w);
	struct sd_source *s = sd_source_open_file(path, err, errlen);
	unlink(path);
	return s;
}

static struct bb gzip_of(const struct bb *in)
{
	struct bb out = { 0 };
	z_stream z;
	memset(&z, 0, sizeof z);
	CU_ASSERT_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	uLong bound = deflateBound(&z, (uLong)in->n);
	out.b = malloc(bound);
	out.cap = bound;
	z.next_in = in->b;
	z.avail_in = (uInt)in->n;
	z.next_out = out.b;
	z.avail_out = (uInt)bound;
	CU_ASSERT_FATAL(deflate(&z, Z_FINISH) == Z_STREAM_END);
	out.n = bound - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Reads every frame; returns the count, *last gets the final return code. */
static int drain(struct sd_source *s, int *last)
{
	struct sd_frame f;
	int n = 0, r;
	while ((r = sd_source_next(s, &f)) == 1)
		n++;
	*last = r;
	return n;
}

/* ---------------------------------------------------------------- classic pcap */

static void test_pcap_formats(void)
{
	for (int be = 0; be <= 1; be++)
		for (int ns = 0; ns <= 1; ns++) {
			struct bb w = { .be = be };
			pcap_hdr(&w, ns, ns ? 101 : 1, 65535);
			pcap_rec(&w, 1700000000u, ns ? 123456789u : 123456u, 60, 60);
			pcap_rec(&w, 1700000001u, ns ? 999999999u : 999999u, 40, 1500);
			pcap_rec(&w, 0, 0, 0, 0);
			char err[512] = "";
			struct sd_source *s = open_bytes(&w, err, sizeof err);
			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			CU_ASSERT_STRING_EQUAL(sd_source_format(s), ns ? "pcap-ns" : "pcap");
			struct sd_frame f;
			CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
			CU_ASSERT_EQUAL(f.number, 1);
			CU_ASSERT_EQUAL(f.ts_ns, ns ? 1700000000123456789LL : 1700000000123456000LL);
			CU_ASSERT_EQUAL(f.caplen, 60);
			CU_ASSERT_EQUAL(f.wirelen, 60);
			CU_ASSERT_EQUAL(f.linktype, ns ? 101 : 1);
			CU_ASSERT_EQUAL(f.ifindex, 0);
			CU_ASSERT_EQUAL(memcmp(f.data, PKT, 60), 0);
			CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
			CU_ASSERT_EQUAL(f.number, 2);
			CU_ASSERT_EQUAL(f.ts_ns, ns ? 1700000001999999999LL : 1700000001999999000LL);
			CU_ASSERT_EQUAL(f.caplen, 40);
			CU_ASSERT_EQUAL(f.wirelen, 1500);
			CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
			CU_ASSERT_EQUAL(f.number, 3);
			CU_ASSERT_EQUAL(f.caplen, 0);
			CU_ASSERT_EQUAL(sd_source_next(s, &f), 0);
			CU_ASSERT_EQUAL(sd_source_frames(s), 3);
			int lts[4];
			CU_ASSERT_EQUAL(sd_source_linktypes(s, lts, 4), 1);
			CU_ASSERT_EQUAL(lts[0], ns ? 101 : 1);
			sd_source_close(s);
			free(w.b);
		}
	CU_ASSERT_STRING_EQUAL(sd_linktype_name(1), "EN10MB");
	CU_ASSERT_STRING_EQUAL(sd_linktype_name(101), "RAW");
	CU_ASSERT_STRING_EQUAL(sd_linktype_name(-1), "LINKTYPE_-1");
}

/* Cut inside the file header: open fails naming the file. Cut inside a
 * record: the frames before it stay, then an error naming the file. */
static void test_pcap_cut_everywhere(void)
{
	struct bb w = { 0 };
	pcap_hdr(&w, 0, 1, 65535);
	pcap_rec(&w, 1, 0, 30, 30);
	size_t rec2 = w.n;
	pcap_rec(&w, 2, 0, 30, 30);
	char err[512];
	for (size_t cut = 0; cut < w.n; cut++) {
		struct bb c = { .b = w.b, .n = cut };
		err[0] = '\0';
		struct sd_source *s = open_bytes(&c, err, sizeof err);
		if (cut < 24) {
			CU_ASSERT_PTR_NULL(s);
			CU_ASSERT_EQUAL(strncmp(err, tmpl, strlen(tmpl)), 0);
			if (s)
				sd_source_close(s);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		int last;
		int n = drain(s, &last);
		CU_ASSERT_EQUAL(n, cut < rec2 ? 0 : 1);
		if (cut == 24 || cut == rec2) {
			CU_ASSERT_EQUAL(last, 0); /* a record boundary: clean end */
		} else {
			CU_ASSERT_EQUAL(last, -1);
			char want[128];
			snprintf(want, sizeof want, "%s: after frame %d: truncated record", tmpl, n);
			CU_ASSERT_EQUAL(strncmp(sd_source_error(s), want, strlen(want)), 0);
			/* once failed, it stays failed */
			struct sd_frame f;
			CU_ASSERT_EQUAL(sd_source_next(s, &f), -1);
		}
		sd_source_close(s);
	}
	free(w.b);
}

static void test_not_a_capture(void)
{
	char err[512];
	struct bb w = { 0 };
	put(&w, "\x12\x34\x56\x78 hello", 10);
	CU_ASSERT_PTR_NULL(open_bytes(&w, err, sizeof err));
	char want[128];
	snprintf(want, sizeof want, "%s: not a capture file (starts with 12 34 56 78)", tmpl);
	CU_ASSERT_STRING_EQUAL(err, want);

	struct bb e = { 0 };
	CU_ASSERT_PTR_NULL(open_bytes(&e, err, sizeof err));
	snprintf(want, sizeof want, "%s: not a capture file (empty)", tmpl);
	CU_ASSERT_STRING_EQUAL(err, want);

	w.n = 3;
	CU_ASSERT_PTR_NULL(open_bytes(&w, err, sizeof err));
	snprintf(want, sizeof want, "%s: not a capture file (starts with 12 34 56)", tmpl);
	CU_ASSERT_STRING_EQUAL(err, want);

	struct bb gz = gzip_of(&w);
	CU_ASSERT_PTR_NULL(open_bytes(&gz, err, sizeof err));
	snprintf(want, sizeof want, "%s: not a capture file (gzip-compressed, starts with 12 34 56)", tmpl);
	CU_ASSERT_STRING_EQUAL(err, want);

	CU_ASSERT_PTR_NULL(sd_source_open_file("/nonexistent/x.pcap", err, sizeof err));
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/x.pcap: No such file or directory");
	CU_ASSERT_PTR_NULL(sd_source_open_stream(NULL, "in", err, sizeof err));
	CU_ASSERT_STRING_EQUAL(err, "in: no stream");
	free(w.b);
	free(gz.b);
}

/* ---------------------------------------------------------------- pcapng */

static struct bb sample_pcapng(int be)
{
	struct bb w = { .be = be };
	shb(&w, "written by test_source");
	idb(&w, 1, 0, -1, 0);       /* Ethernet, default microseconds */
	idb(&w, 101, 0, 9, 0);      /* raw IP, nanoseconds */
	idb(&w, 113, 20, 0x8a, 100); /* Linux SLL, 2^-10 s, +100 s offset, snaplen 20 */
	epb(&w, 0, 1700000000123456ull, PKT, 60, 60, "first frame");
	size_t at = block_start(&w, 0x00000BADu); /* unknown block: skipped */
	put(&w, "junk", 4);
	block_end(&w, at);
	at = block_start(&w, 4); /* name resolution block: skipped */
	p32(&w, 0);
	block_end(&w, at);
	epb(&w, 1, 1700000000123456789ull, PKT, 33, 1500, NULL);
	/* simple packet block on interface 0: 37 bytes on the wire */
	at = block_start(&w, 3);
	p32(&w, 37);
	put(&w, PKT, 37);
	block_end(&w, at);
	epb(&w, 2, 1024ull * 5 + 512, PKT, 20, 64, NULL);
	return w;
}

static void check_sample(struct sd_source *s, const char *fmt)
{
	CU_ASSERT_STRING_EQUAL(sd_source_format(s), fmt);
	struct sd_frame f;
	CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
	CU_ASSERT_EQUAL(f.number, 1);
	CU_ASSERT_EQUAL(f.linktype, 1);
	CU_ASSERT_EQUAL(f.ifindex, 0);
	CU_ASSERT_EQUAL(f.ts_ns, 1700000000123456000LL);
	CU_ASSERT_EQUAL(f.caplen, 60);
	CU_ASSERT_EQUAL(f.wirelen, 60);
	CU_ASSERT_EQUAL(memcmp(f.data, PKT, 60), 0);
	CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
	CU_ASSERT_EQUAL(f.number, 2);
	CU_ASSERT_EQUAL(f.linktype, 101);
	CU_ASSERT_EQUAL(f.ifindex, 1);
	CU_ASSERT_EQUAL(f.ts_ns, 1700000000123456789LL);
	CU_ASSERT_EQUAL(f.caplen, 33);
	CU_ASSERT_EQUAL(f.wirelen, 1500);
	CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
	CU_ASSERT_EQUAL(f.number, 3);
	CU_ASSERT_EQUAL(f.linktype, 1);
	CU_ASSERT_EQUAL(f.ts_ns, 0);
	CU_ASSERT_EQUAL(f.caplen, 37); /* padding is not data */
	CU_ASSERT_EQUAL(f.wirelen, 37);
	CU_ASSERT_EQUAL(memcmp(f.data, PKT, 37), 0);
	CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
	CU_ASSERT_EQUAL(f.number, 4);
	CU_ASSERT_EQUAL(f.linktype, 113);
	CU_ASSERT_EQUAL(f.ifindex, 2);
	/* 5632 / 1024 s = 5.5 s, plus the 100 s offset */
	CU_ASSERT_EQUAL(f.ts_ns, 105500000000LL);
	CU_ASSERT_EQUAL(f.caplen, 20);
	CU_ASSERT_EQUAL(f.wirelen, 64);
	CU_ASSERT_EQUAL(sd_source_next(s, &f), 0);
	int lts[8];
	CU_ASSERT_EQUAL_FATAL(sd_source_linktypes(s, lts, 8), 3);
	CU_ASSERT_EQUAL(lts[0], 1);
	CU_ASSERT_EQUAL(lts[1], 101);
	CU_ASSERT_EQUAL(lts[2], 113);
	CU_ASSERT_EQUAL(sd_source_linktypes(s, lts, 2), 2);
	CU_ASSERT_EQUAL(sd_source_frames(s), 4);
}

static void test_pcapng(void)
{
	char err[512] = "";
	for (int be = 0; be <= 1; be++) {
		struct bb w = sample_pcapng(be);
		struct sd_source *s = open_bytes(&w, err, sizeof err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		check_sample(s, "pcapng");
		sd_source_close(s);

		/* the same over a stream */
		FILE *fp = fmemopen(w.b, w.n, "rb");
		s = sd_source_open_stream(fp, "mem", err, sizeof err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		check_sample(s, "pcapng");
		sd_source_close(s);

		struct bb gz = gzip_of(&w);
		s = open_bytes(&gz, err, sizeof err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		check_sample(s, "pcapng+gzip");
		sd_source_close(s);
		free(gz.b);
		free(w.b);
	}
}

static void test_pcapng_sections(void)
{
	/* a second section in the other byte order renumbers its interfaces */
	struct bb w = { .be = 0 };
	shb(&w, NULL);
	idb(&w, 1, 0, -1, 0);
	epb(&w, 0, 1000000, PKT, 10, 10, NULL);
	struct bb b2 = { .be = 1 };
	shb(&b2, NULL);
	idb(&b2, 101, 0, -1, 0);
	epb(&b2, 0, 2000000, PKT, 11, 11, NULL);
	epb(&b2, 1, 2000000, PKT, 11, 11, NULL); /* interface 1 of section 2 does not exist */
	put(&w, b2.b, b2.n);
	char err[512];
	struct sd_source *s = open_bytes(&w, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct sd_frame f;
	CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
	CU_ASSERT_EQUAL(f.linktype, 1);
	CU_ASSERT_EQUAL(f.ts_ns, 1000000000LL);
	CU_ASSERT_EQUAL_FATAL(sd_source_next(s, &f), 1);
	CU_ASSERT_EQUAL(f.linktype, 101);
	CU_ASSERT_EQUAL(f.caplen, 11);
	CU_ASSERT_EQUAL(f.number, 2);
	CU_ASSERT_EQUAL(sd_source_next(s, &f), -1);
	char want[256];
	snprintf(want, sizeof want, "%s: after frame 2: enhanced packet block for interface 1, but 1 interface is defined",
		 tmpl);
	CU_ASSERT_STRING_EQUAL(sd_source_error(s), want);
	sd_source_close(s);
	free(w.b);
	free(b2.b);
}

static void test_pcapng_cut_everywhere(void)
{
	struct bb w = sample_pcapng(0);
	/* block boundaries, found by walking the lengths */
	size_t bounds[16], nb = 0;
	for (size_t at = 0; at < w.n && nb < 16;) {
		uint32_t len = (uint32_t)w.b[at + 4] | (uint32_t)w.b[at + 5] << 8 | (uint32_t)w.b[at + 6] << 16 |
			       (uint32_t)w.b[at + 7] << 24;
		at += len;
		bounds[nb++] = at;
	}
	CU_ASSERT_EQUAL_FATAL(nb, 10);
	CU_ASSERT_EQUAL_FATAL(bounds[nb - 1], w.n);
	char err[512];
	for (size_t cut = 0; cut < w.n; cut++) {
		struct bb c = { .b = w.b, .n = cut };
		err[0] = '\0';
		struct sd_source *s = open_bytes(&c, err, sizeof err);
		if (cut < bounds[0]) {
			CU_ASSERT_PTR_NULL(s);
			CU_ASSERT_EQUAL(strncmp(err, tmpl, strlen(tmpl)), 0);
			CU_ASSERT(strlen(err) > strlen(tmpl) + 2);
			if (s)
				sd_source_close(s);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		int last, at_bound = 0, before = 0;
		for (size_t i = 0; i < nb; i++)
			at_bound |= bounds[i] == cut;
		/* packet blocks end at bounds[4], [7], [8], [9] */
		before = (cut >= bounds[4]) + (cut >= bounds[7]) + (cut >= bounds[8]) + (cut >= bounds[9]);
		int n = drain(s, &last);
		CU_ASSERT_EQUAL(n, before);
		CU_ASSERT_EQUAL(last, at_bound ? 0 : -1);
		if (!at_bound) {
			char want[128];
			snprintf(want, sizeof want, "%s: after frame %d: truncated block", tmpl, n);
			CU_ASSERT_EQUAL(strncmp(sd_source_error(s), want, strlen(want)), 0);
		}
		sd_source_close(s);
	}
	/* the gzip stream cut anywhere past its header: an error, never a hang */
	struct bb gz = gzip_of(&w);
	for (size_t cut = 10; cut < gz.n; cut += 7) {
		struct bb c = { .b = gz.b, .n = cut };
		struct sd_source *s = open_bytes(&c, err, sizeof err);
		if (!s) {
			CU_ASSERT_EQUAL(strncmp(err, tmpl, strlen(tmpl)), 0);
			continue;
		}
		int last;
		drain(s, &last);
		CU_ASSERT_EQUAL(last, -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "gzip"));
		sd_source_close(s);
	}
	free(gz.b);
	free(w.b);
}

static void test_pcapng_bad_blocks(void)
{
	char err[512], want[256];
	struct bb w = { 0 };
	shb(&w, NULL);
	idb(&w, 1, 0, -1, 0);
	size_t base = w.n;

	/* a length beyond the 64 MiB bound is corruption */
	p32(&w, 6);
	p32(&w, 0xfffffff0u);
	p32(&w, 0);
	struct sd_source *s = open_bytes(&w, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int last;
	CU_ASSERT_EQUAL(drain(s, &last), 0);
	CU_ASSERT_EQUAL(last, -1);
	snprintf(want, sizeof want, "%s: after frame 0: bad block length 4294967280 (block type 0x00000006)", tmpl);
	CU_ASSERT_STRING_EQUAL(sd_source_error(s), want);
	sd_source_close(s);

	/* exactly 64 MiB claimed by a short file: a truncated block */
	w.n = base;
	p32(&w, 6);
	p32(&w, SD_PCAPNG_MAX_BLOCK);
	put(&w, PKT, 40);
	s = open_bytes(&w, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(drain(s, &last), 0);
	snprintf(want, sizeof want, "%s: after frame 0: truncated block: need 67108864 bytes, have 48", tmpl);
	CU_ASSERT_STRING_EQUAL(sd_source_error(s), want);
	sd_source_close(s);

	/* lengths not a multiple of 4, or below the minimum */
	w.n = base;
	p32(&w, 6);
	p32(&w, 13);
	s = open_bytes(&w, err, sizeof err);
	drain(s, &last);
	CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "bad block length 13 (block type 0x00000006)"));
	sd_source_close(s);

	/* trailer disagrees with header */
	w.n = base;
	epb(&w, 0, 0, PKT, 8, 8, NULL);
	w.b[w.n - 4] ^= 4;
	s = open_bytes(&w, err, sizeof err);
	drain(s, &last);
		CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "block trailer length 44 does not match header length 40"));
	sd_source_close(s);

	/* captured length larger than the block */
	w.n = base;
	epb(&w, 0, 0, PKT, 8, 8, NULL);
	patch32(&w, base + 20, 200);
	s = open_bytes(&w, err, sizeof err);
	drain(s, &last);
	CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "enhanced packet block captured length 200 exceeds the block"));
	sd_source_close(s);

	/* an option longer than its block */
	w.n = base;
	epb(&w, 0, 0, PKT, 8, 8, "abcd");
	patch32(&w, base + 36, 1 | (900u << 16));
	s = open_bytes(&w, err, sizeof err);
	drain(s, &last);
	CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "option 1 length 900 exceeds the block"));
	sd_source_close(s);

	/* a packet before any interface */
	struct bb n = { 0 };
	shb(&n, NULL);
	epb(&n, 0, 0, PKT, 8, 8, NULL);
	s = open_bytes(&n, err, sizeof err);
	drain(s, &last);
	CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "for interface 0, but 0 interfaces are defined"));
	sd_source_close(s);

	/* first block not a section header; bad byte-order magic; version 2 */
	struct bb x = { 0 };
	idb(&x, 1, 0, -1, 0);
	put(&x, "\x0a\x0d\x0d\x0a", 4); /* so the magic check passes */
	memmove(x.b + 4, x.b, x.n - 4);
	memcpy(x.b, "\x0a\x0d\x0d\x0a", 4);
	CU_ASSERT_PTR_NULL(open_bytes(&x, err, sizeof err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": bad byte-order magic"));
	struct bb v = { 0 };
	shb(&v, NULL);
	v.b[12] = 2;
	CU_ASSERT_PTR_NULL(open_bytes(&v, err, sizeof err));
	snprintf(want, sizeof want, "%s: unsupported pcapng version 2.0 (only 1.x is defined)", tmpl);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(w.b);
	free(n.b);
	free(x.b);
	free(v.b);
}

/* ---------------------------------------------------------------- public captures */


static void test_public_libpcap_pcapng(void)
{
	static const char *const files[] = { "libpcap/pcapng-invalid-vers-1.pcapng",
					     "libpcap/shb-option-too-long.pcapng" };
	/* the second one's trailer is garbage too, and is checked first */
	static const char *const why[] = { "unsupported pcapng version 0.1",
					   "block trailer length 808464432 does not match header length 52" };
	for (size_t i = 0; i < 2; i++) {
		char path[256], err[512] = "";
		snprintf(path, sizeof path, "%s", sd_pubpath(files[i]));
		if (access(path, R_OK) != 0) {
			fprintf(stderr, "\n  skipped: %s absent\n", path);
			continue;
		}
		struct sd_source *s = sd_source_open_file(path, err, sizeof err);
		CU_ASSERT_PTR_NULL(s);
		if (s)
			sd_source_close(s);
		CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, why[i]));
	}
}

static void test_public_der_incomplete(void)
{
	const char *path = sd_pubpath("suricata-verify/tls_DER-incomplete-header.pcap");
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "\n  skipped: %s absent\n", path);
		return;
	}
	char err[512];
	struct sd_source *s = sd_source_open_file(path, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int last;
	CU_ASSERT_EQUAL(drain(s, &last), 6);
	CU_ASSERT_EQUAL(last, -1);
	char want[512];
	snprintf(want, sizeof want, "%s: after frame 6: ", path);
	CU_ASSERT_EQUAL(strncmp(sd_source_error(s), want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sd_source_error(s), "4325376"));
	sd_source_close(s);
}

static const struct sd_test tests[] = {
	SD_TEST(test_pcap_formats),
	SD_TEST(test_pcap_cut_everywhere),
	SD_TEST(test_not_a_capture),
	SD_TEST(test_pcapng),
	SD_TEST(test_pcapng_sections),
	SD_TEST(test_pcapng_cut_everywhere),
	SD_TEST(test_pcapng_bad_blocks),
	SD_TEST(test_public_libpcap_pcapng),
	SD_TEST(test_public_der_incomplete),
	{ 0 },
};

int main(void) { return sd_run_tests("source", tests); }
