/*
 * source.c - capture input: recognises the format by its first bytes, never
 * by the file name (captures are often misnamed), and hands out frames.
 *
 * Layers, bottom up:
 *   raw stream (FILE*, 1 MiB stdio buffer when we open it)
 *   optional gzip (zlib inflate over the raw stream)
 *   format reader behind struct src_ops: classic pcap via libpcap, pcapng
 *   via pcapng.c. Live capture will add another src_ops here.
 * The first bytes are read once to recognise the format and then replayed
 * from a small prefix buffer, so non-seekable input (pipes) works too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif
#include "source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cursor.h"
#include "pcapng.h"

#define STDIO_BUF (1u << 20) /* libpcap's 4 KiB default makes reading syscall-bound */
#define ZIN_BUF (64u << 10)
#define PEEK_MAX 24          /* a classic pcap file header */
#define MAX_LINKTYPES 32

/* ---------------------------------------------------------------- input */

struct input {
	FILE *fp;
	uint8_t rawpre[PEEK_MAX]; /* raw bytes read for detection, replayed first */
	size_t rawn, rawpos;
	int gz;
	int zend;
	z_stream z;
	uint8_t *zin;
	uint8_t pre[PEEK_MAX]; /* decoded bytes read for detection, replayed first */
	size_t pren, prepos;
	int err; /* latched: msg says why */
	char msg[160];
	/* plain seekable pcapng: read with pread from offset pr_off (pr_read) */
	uint8_t *pr_buf;
	size_t pr_n, pr_pos;
	off_t pr_off;
	int pr_eof;
};

static void in_fail(struct input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void in_fail(struct input *in, const char *fmt, ...)
{
	if (in->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->msg, sizeof in->msg, fmt, ap);
	va_end(ap);
	in->err = 1;
}

static size_t raw_read(struct input *in, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n && in->rawpos < in->rawn)
		buf[got++] = in->rawpre[in->rawpos++];
	if (got < n) {
		got += fread(buf + got, 1, n - got, in->fp);
		if (got < n && ferror(in->fp))
			in_fail(in, "read error: %s", strerror(errno));
	}
	return got;
}

/* Refills zlib's input; 0 at the end of the raw stream. */
static size_t z_refill(struct input *in)
{
	size_t m = raw_read(in, in->zin, ZIN_BUF);
	in->z.next_in = in->zin;
	in->z.avail_in = (uInt)m;
	return m;
}

static size_t gz_read(struct input *in, uint8_t *buf, size_t n)
{
	in->z.next_out = buf;
	in->z.avail_out = (uInt)n;
	while (in->z.avail_out > 0 && !in->zend && !in->err) {
		if (in->z.avail_in == 0 && z_refill(in) == 0) {
			in_fail(in, "gzip: unexpected end of compressed data");
			break;
		}
		int r = inflate(&in->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			/* gzip allows concatenated members; anything else after
			 * the first member is ignored, as gzread does. */
			if (in->z.avail_in == 0 && z_refill(in) == 0) {
				in->zend = 1;
				break;
			}
			struct cur c = cur_init(in->z.next_in, in->z.avail_in);
			if (cur_u8(&c) != 0x1f)
				in->zend = 1;
			else
				inflateReset(&in->z);
		} else if (r != Z_OK) {
			in_fail(in, "gzip: %s", in->z.msg ? in->z.msg : "corrupt compressed data");
			break;
		}
	}
	return n - in->z.avail_out;
}

static size_t dec_read(struct input *in, uint8_t *buf, size_t n)
{
	return in->gz ? gz_read(in, buf, n) : raw_read(in, buf, n);
}

static size_t in_read(void *ctx, void *vbuf, size_t n)
{
	struct input *in = ctx;
	uint8_t *buf = vbuf;
	size_t got = 0;
	while (got < n && in->prepos < in->pren)
		buf[got++] = in->pre[in->prepos++];
	if (got < n)
		got += dec_read(in, buf + got, n - got);
	return got;
}

/*
 * The pcapng reader asks for each block in two small reads; through stdio
 * each costs a locked fread and a copy out of a buffer that is never aligned
 * with ours. A plain file (not gzip, seekable) is instead read here with
 * pread in 1 MiB pieces from the offset where the capture starts (the bytes
 * peeked for detection are simply read again). Same contract as in_read.
 */
#define PR_BUF (1u << 20)

/* A regular file behind a descriptor: pread can read it. */
static int plain_file(FILE *fp)
{
	struct stat st;
	int fd = fileno(fp);
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static size_t pr_read(void *ctx, void *vbuf, size_t n)
{
	struct input *in = ctx;
	uint8_t *buf = vbuf;
	size_t got = 0;
	while (got < n) {
		if (in->pr_pos == in->pr_n) {
			if (in->pr_eof || in->err)
				break;
			ssize_t r = pread(fileno(in->fp), in->pr_buf, PR_BUF, in->pr_off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				in_fail(in, "read error: %s", strerror(errno));
				break;
			}
			if (r == 0) {
				in->pr_eof = 1; /* sticky, as stdio's end of file */
				break;
			}
			in->pr_off += r;
			in->pr_n = (size_t)r;
			in->pr_pos = 0;
		}
		size_t k = in->pr_n - in->pr_pos < n - got ? in->pr_n - in->pr_pos : n - got;
		memcpy(buf + got, in->pr_buf + in->pr_pos, k);
		in->pr_pos += k;
		got += k;
	}
	return got;
}

/* Makes the first n decoded bytes available in pre; returns how many are. */
static size_t in_peek(struct input *in, size_t n)
{
	if (in->pren < n)
		in->pren += dec_read(in, in->pre + in->pren, n - in->pren);
	return in->pren;
}

/* stdio view of the input for libpcap (gzip, or a stream we cannot rewind). */
static ssize_t ck_read(void *ctx, char *buf, size_t n)
{
	struct input *in = ctx;
	size_t got = in_read(in, buf, n);
	if (got == 0 && in->err) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)got;
}

static int ck_close(void *ctx)
{
	(void)ctx; /* the input belongs to the source */
	return 0;
}

/* ---------------------------------------------------------------- source */

struct sd_source;

/* Per-format reader; live capture adds one more of these. next returns 1/0/-1
 * like sd_source_next and, on -1, puts the reason in src->reason. */
struct src_ops {
	int (*next)(struct sd_source *src, struct sd_frame *out);
	void (*close)(struct sd_source *src);
};

struct sd_source {
	const struct src_ops *ops;
	char *name;
	char fmt[16];
	char err[512];
	char reason[256];
	uint64_t frames;
	int failed;
	int lts[MAX_LINKTYPES];
	int nlt;
	struct input in;
	void *vbuf; /* our stdio buffer on in.fp, freed after fclose */
	/* classic pcap */
	pcap_t *pc;
	FILE *ck;      /* cookie stream over `in` when libpcap cannot get in.fp */
	void *ckbuf;
	int pcap_linktype;
	int pcap_owns; /* pcap_close will fclose the stream libpcap was given */
	/* pcapng */
	struct sd_pcapng *png;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* libpcap's wording, rephrased to match the pcapng reader's. */
static void pcap_reason(struct sd_source *s, const char *msg)
{
	unsigned need;
	size_t have;
	if (sscanf(msg, "truncated dump file; tried to read %u captured bytes, only got %zu", &need, &have) == 2)
		snprintf(s->reason, sizeof s->reason, "truncated record: need %u bytes, have %zu", need, have);
	else if (sscanf(msg, "truncated dump file; tried to read %u header bytes, only got %zu", &need, &have) == 2)
		snprintf(s->reason, sizeof s->reason, "truncated record header: need %u bytes, have %zu", need,
			 have);
	else
		snprintf(s->reason, sizeof s->reason, "%s", msg);
}

static int pcap_next_frame(struct sd_source *s, struct sd_frame *out)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int r = pcap_next_ex(s->pc, &h, &d);
	if (r == 1) {
		/* opened with nanosecond precision: tv_usec holds ns */
		out->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
		out->caplen = h->caplen;
		out->wirelen = h->len;
		out->linktype = s->pcap_linktype;
		out->ifindex = 0;
		out->data = d;
		return 1;
	}
	if (r == PCAP_ERROR_BREAK)
		return 0;
	pcap_reason(s, pcap_geterr(s->pc));
	return -1;
}

static void pcap_close_src(struct sd_source *s)
{
	if (s->pc)
		pcap_close(s->pc); /* also fcloses the FILE it was given */
	s->pc = NULL;
}

static const struct src_ops pcap_ops = { pcap_next_frame, pcap_close_src };

static int png_next_frame(struct sd_source *s, struct sd_frame *out)
{
	return sd_pcapng_next(s->png, out, s->reason, sizeof s->reason);
}

static void png_close_src(struct sd_source *s)
{
	sd_pcapng_free(s->png);
	s->png = NULL;
}

static const struct src_ops pcapng_ops = { png_next_frame, png_close_src };

static void free_source(struct sd_source *s)
{
	if (!s)
		return;
	if (s->ops)
		s->ops->close(s);
	if (s->ck && !s->pcap_owns)
		fclose(s->ck);
	if (s->in.fp && !(s->pcap_owns && !s->ck) && s->in.fp != stdin)
		fclose(s->in.fp);
	if (s->in.gz)
		inflateEnd(&s->in.z);
	free(s->in.zin);
	free(s->in.pr_buf);
	free(s->ckbuf); /* only after the streams using them are closed */
	free(s->vbuf);
	free(s->name);
	free(s);
}

static const char *const fmt_names[] = { "pcap", "pcap-ns", "pcapng" };

/* Hands the input to libpcap: the FILE itself when it can be rewound (fast
 * path, no copy), else a cookie stream replaying the peeked bytes. */
static int open_pcap(struct sd_source *s, long pos0, char *err, size_t errlen)
{
	struct cur h = cur_init(s->in.pre, s->in.pren);
	uint32_t magic = cur_be32(&h);
	int swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	cur_skip(&h, 16);
	uint32_t lt = swapped ? cur_le32(&h) : cur_be32(&h);
	/* libpcap reports DLT_ values (RAW becomes 12); keep the file's own
	 * LINKTYPE_ value, minus the FCS bits that share the field. */
	s->pcap_linktype = cur_ok(&h) ? (int)(lt & 0x03FFFFFFu) : -1;

	FILE *fp;
	if (!s->in.gz && pos0 >= 0 && fseek(s->in.fp, pos0, SEEK_SET) == 0) {
		s->in.rawn = s->in.rawpos = 0;
		s->in.pren = s->in.prepos = 0;
		fp = s->in.fp;
	} else {
		static const cookie_io_functions_t io = { ck_read, NULL, NULL, ck_close };
		s->ck = fopencookie(&s->in, "r", io);
		s->ckbuf = malloc(STDIO_BUF);
		if (!s->ck) {
			set_err(err, errlen, "%s: %s", s->name, strerror(errno));
			return -1;
		}
		if (s->ckbuf)
			setvbuf(s->ck, s->ckbuf, _IOFBF, STDIO_BUF);
		__fsetlocking(s->ck, FSETLOCKING_BYCALLER);
		fp = s->ck;
	}
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	s->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!s->pc) {
		if (s->in.err)
			set_err(err, errlen, "%s: %s", s->name, s->in.msg);
		else
			set_err(err, errlen, "%s: %s", s->name, ebuf);
		return -1;
	}
	s->pcap_owns = 1;
	s->ops = &pcap_ops;
	return 0;
}

static struct sd_source *open_any(FILE *fp, void *vbuf, const char *name, char *err, size_t errlen)
{
	struct sd_source *s = calloc(1, sizeof *s);
	if (!s || !(s->name = strdup(name))) {
		set_err(err, errlen, "%s: out of memory", name);
		free(s);
		if (fp != stdin)
			fclose(fp);
		free(vbuf);
		return NULL;
	}
	s->in.fp = fp;
	s->vbuf = vbuf;
	/* Only this source reads the stream. Without this, once the process has
	 * a second thread (the store's writer), every one of libpcap's two
	 * freads per record takes and releases the stream's lock. */
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	long pos0 = ftell(fp); /* -1 for pipes: then we never seek */

	s->in.rawn = raw_read(&s->in, s->in.rawpre, 2);
	struct cur c = cur_init(s->in.rawpre, s->in.rawn);
	if (cur_u8(&c) == 0x1f && cur_u8(&c) == 0x8b && cur_ok(&c)) {
		s->in.gz = 1;
		s->in.zin = malloc(ZIN_BUF);
		if (!s->in.zin || inflateInit2(&s->in.z, 16 + MAX_WBITS) != Z_OK) {
			s->in.gz = 0;
			set_err(err, errlen, "%s: cannot start gzip decompression", name);
			goto fail;
		}
	}

	size_t n = in_peek(&s->in, 4);
	c = cur_init(s->in.pre, n);
	uint32_t magic = cur_be32(&c);
	int kind = -1;
	if (n == 4) {
		if (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u)
			kind = 0;
		else if (magic == 0xa1b23c4du || magic == 0x4d3cb2a1u)
			kind = 1;
		else if (magic == 0x0a0d0d0au)
			kind = 2;
	}
	if (kind < 0) {
		if (s->in.err) {
			set_err(err, errlen, "%s: %s", name, s->in.msg);
			goto fail;
		}
		char hex[16] = "";
		c = cur_init(s->in.pre, n);
		/* each byte after the first takes 3 characters, " xx" */
		for (size_t i = 0, o = 0; i < n; i++)
			o += (size_t)snprintf(hex + o, sizeof hex - o, "%s%02x", i ? " " : "", cur_u8(&c));
		if (n == 0)
			set_err(err, errlen, "%s: not a capture file (%s)", name, s->in.gz ? "empty after gzip" : "empty");
		else
			set_err(err, errlen, "%s: not a capture file (%sstarts with %s)", name,
				s->in.gz ? "gzip-compressed, " : "", hex);
		goto fail;
	}
	snprintf(s->fmt, sizeof s->fmt, "%s%s", fmt_names[kind], s->in.gz ? "+gzip" : "");

	if (kind == 2) {
		char reason[256];
		sd_pcapng_read_fn rd = in_read;
		if (!s->in.gz && pos0 >= 0 && plain_file(s->in.fp) && (s->in.pr_buf = malloc(PR_BUF)) != NULL) {
			s->in.pr_off = pos0;
			rd = pr_read;
		}
		s->png = sd_pcapng_open(rd, &s->in, reason, sizeof reason);
		if (!s->png) {
			set_err(err, errlen, "%s: %s", name, s->in.err ? s->in.msg : reason);
			goto fail;
		}
		s->ops = &pcapng_ops;
	} else {
		in_peek(&s->in, PEEK_MAX);
		if (open_pcap(s, pos0, err, errlen) < 0)
			goto fail;
	}
	return s;
fail:
	free_source(s);
	return NULL;
}

struct sd_source *sd_source_open_stream(FILE *fp, const char *name, char *err, size_t errlen)
{
	if (!fp) {
		set_err(err, errlen, "%s: no stream", name);
		return NULL;
	}
	return open_any(fp, NULL, name, err, errlen);
}

struct sd_source *sd_source_open_file(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* glibc ignores the size when the buffer is NULL, so allocate it. */
	void *vbuf = malloc(STDIO_BUF);
	if (vbuf)
		setvbuf(fp, vbuf, _IOFBF, STDIO_BUF);
	return open_any(fp, vbuf, path, err, errlen);
}

static void note_linktype(struct sd_source *s, int lt)
{
	if (s->nlt > 0 && s->lts[s->nlt - 1] == lt)
		return; /* the common case: same as the previous frame */
	for (int i = 0; i < s->nlt; i++)
		if (s->lts[i] == lt)
			return;
	if (s->nlt < MAX_LINKTYPES)
		s->lts[s->nlt++] = lt;
}

int sd_source_next(struct sd_source *s, struct sd_frame *out)
{
	if (s->failed)
		return -1;
	s->reason[0] = 0;
	int r = s->ops->next(s, out);
	if (r == 0 && s->in.err)
		r = -1; /* the format reader saw a clean end, but the stream broke */
	if (r < 0) {
		s->failed = 1;
		snprintf(s->err, sizeof s->err, "%s: after frame %llu: %s", s->name, (unsigned long long)s->frames,
			 s->in.err ? s->in.msg : s->reason);
		return -1;
	}
	if (r == 0)
		return 0;
	out->number = ++s->frames;
	if (out->ts_ns > SD_TS_LIMIT)
		out->ts_ns = SD_TS_LIMIT;
	else if (out->ts_ns < -SD_TS_LIMIT)
		out->ts_ns = -SD_TS_LIMIT;
	if (out->wirelen < out->caplen)
		out->wirelen = out->caplen; /* so wirelen - caplen never wraps downstream */
	note_linktype(s, out->linktype);
	return 1;
}

const char *sd_source_error(const struct sd_source *s)
{
	return s->err;
}

const char *sd_source_format(const struct sd_source *s)
{
	return s->fmt;
}

int sd_source_linktypes(const struct sd_source *s, int *out, int max)
{
	int n = 0;
	for (int i = 0; i < s->nlt && n < max; i++)
		out[n++] = s->lts[i];
	return n;
}

uint64_t sd_source_frames(const struct sd_source *s)
{
	return s->frames;
}

void sd_source_close(struct sd_source *s)
{
	free_source(s);
}

const char *sd_linktype_name(int linktype)
{
	static _Thread_local char buf[32];
	/* pcap_datalink_val_to_name wants DLT_ values; these LINKTYPE_ values
	 * differ from their Linux DLT_ (libpcap's linktype_to_dlt). */
	int dlt = linktype;
	switch (linktype) {
	case 100: dlt = 11; break; /* ATM_RFC1483 */
	case 101: dlt = 12; break; /* RAW */
	case 102: dlt = 15; break; /* SLIP_BSDOS */
	case 103: dlt = 16; break; /* PPP_BSDOS */
	case 106: dlt = 19; break; /* ATM_CLIP */
	default: break;
	}
	const char *n = linktype >= 0 ? pcap_datalink_val_to_name(dlt) : NULL;
	if (n)
		return n;
	snprintf(buf, sizeof buf, "LINKTYPE_%d", linktype);
	return buf;
}
