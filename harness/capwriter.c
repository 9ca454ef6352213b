/*
 * capwriter.c - capture writer and packet builders for test tooling.
 * See capwriter.h. All output is little-endian on disk (the pcap magic tells
 * readers the order), so files are identical on every host.
 */
#include "capwriter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ================================================================ buffers */

static void cw_oom(void)
{
	fputs("capwriter: out of memory\n", stderr);
	abort();
}

void cw_buf_init(struct cw_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void cw_buf_free(struct cw_buf *b)
{
	free(b->p);
	cw_buf_init(b);
}

void cw_buf_reset(struct cw_buf *b)
{
	b->len = 0;
}

void cw_buf_reserve(struct cw_buf *b, size_t extra)
{
	if (extra > SIZE_MAX / 2 - b->len)
		cw_oom();
	if (b->len + extra <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		cw_oom();
	b->p = p;
	b->cap = cap;
}

void cw_put(struct cw_buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	cw_buf_reserve(b, n);
	memcpy(b->p + b->len, p, n); /* NOLINT(clang-analyzer-core.NonNullParamChecker): callers pass NULL only with n == 0 */
	b->len += n;
}

void cw_put_zero(struct cw_buf *b, size_t n)
{
	if (!n)
		return;
	cw_buf_reserve(b, n);
	memset(b->p + b->len, 0, n);
	b->len += n;
}

void cw_put_u8(struct cw_buf *b, uint8_t v)
{
	cw_put(b, &v, 1);
}

void cw_put_be16(struct cw_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	cw_put(b, x, 2);
}

void cw_put_be24(struct cw_buf *b, uint32_t v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	cw_put(b, x, 3);
}

void cw_put_be32(struct cw_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	cw_put(b, x, 4);
}

static void put_le16(struct cw_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	cw_put(b, x, 2);
}

static void put_le32(struct cw_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	cw_put(b, x, 4);
}

static void set_le32(struct cw_buf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 4)
		abort(); /* a caller bug, never data-dependent */
	b->p[off] = (uint8_t)v;
	b->p[off + 1] = (uint8_t)(v >> 8);
	b->p[off + 2] = (uint8_t)(v >> 16);
	b->p[off + 3] = (uint8_t)(v >> 24);
}

void cw_set_be16(struct cw_buf *b, size_t off, uint16_t v)
{
	if (off > b->len || b->len - off < 2)
		abort();
	b->p[off] = (uint8_t)(v >> 8);
	b->p[off + 1] = (uint8_t)v;
}

void cw_set_be24(struct cw_buf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 3)
		abort();
	b->p[off] = (uint8_t)(v >> 16);
	b->p[off + 1] = (uint8_t)(v >> 8);
	b->p[off + 2] = (uint8_t)v;
}

/* ================================================================ files */

#define CW_MAX_IF 16

struct cw_file {
	FILE *fp;
	gzFile gz;
	char *iobuf;
	enum cw_format fmt;
	int nif;
	struct {
		int linktype;
		uint32_t snaplen;
		uint8_t tsresol;
	} ifs[CW_MAX_IF];
	struct cw_buf blk; /* one record or block, assembled before writing */
	uint64_t bytes;
	int err;
};

static int file_out(struct cw_file *f, const void *p, size_t n)
{
	if (f->err)
		return -1;
	if (f->gz) {
		/* gzwrite takes an unsigned; records are far below that */
		if (n > 0x7fffffffu || gzwrite(f->gz, p, (unsigned)n) != (int)n)
			f->err = 1;
	} else if (fwrite(p, 1, n, f->fp) != n) {
		f->err = 1;
	}
	if (!f->err)
		f->bytes += n;
	return f->err ? -1 : 0;
}

static void pad4(struct cw_buf *b)
{
	while (b->len & 3)
		cw_put_u8(b, 0);
}

/* pcapng block: type, total length (filled in), body, total length. */
static size_t blk_begin(struct cw_buf *b, uint32_t type)
{
	cw_buf_reset(b);
	put_le32(b, type);
	put_le32(b, 0);
	return 0;
}

static int blk_end(struct cw_file *f)
{
	pad4(&f->blk);
	uint32_t total = (uint32_t)(f->blk.len + 4);
	put_le32(&f->blk, total);
	set_le32(&f->blk, 4, total);
	return file_out(f, f->blk.p, f->blk.len);
}

static void opt_put(struct cw_buf *b, uint16_t code, const void *p, uint16_t len)
{
	put_le16(b, code);
	put_le16(b, len);
	cw_put(b, p, len);
	pad4(b);
}

static int write_idb(struct cw_file *f, int linktype, uint32_t snaplen, uint8_t tsresol)
{
	blk_begin(&f->blk, 1);
	put_le16(&f->blk, (uint16_t)linktype);
	put_le16(&f->blk, 0);
	put_le32(&f->blk, snaplen);
	opt_put(&f->blk, 9, &tsresol, 1); /* if_tsresol, written even for µs to exercise readers */
	opt_put(&f->blk, 0, NULL, 0);
	return blk_end(f);
}

struct cw_file *cw_open(const char *path, enum cw_format fmt, int linktype, uint32_t snaplen, int gzip)
{
	struct cw_file *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->fmt = fmt;
	cw_buf_init(&f->blk);
	if (gzip) {
		f->gz = gzopen(path, "wb9");
		if (!f->gz) {
			free(f);
			return NULL;
		}
		gzbuffer(f->gz, 1u << 17);
	} else {
		f->fp = fopen(path, "wb");
		if (!f->fp) {
			free(f);
			return NULL;
		}
		/* a large stdio buffer: benchmark files are written at disk speed */
		f->iobuf = malloc(1u << 20);
		if (f->iobuf)
			setvbuf(f->fp, f->iobuf, _IOFBF, 1u << 20);
	}
	f->nif = 1;
	f->ifs[0].linktype = linktype;
	f->ifs[0].snaplen = snaplen;
	f->ifs[0].tsresol = fmt == CW_PCAP_NS ? 9 : 6;

	if (fmt == CW_PCAPNG) {
		blk_begin(&f->blk, 0x0A0D0D0A);
		put_le32(&f->blk, 0x1A2B3C4D);
		put_le16(&f->blk, 1);
		put_le16(&f->blk, 0);
		put_le32(&f->blk, 0xffffffff); /* section length unknown */
		put_le32(&f->blk, 0xffffffff);
		static const char app[] = "sipdisc capwriter";
		opt_put(&f->blk, 4, app, (uint16_t)(sizeof app - 1)); /* shb_userappl */
		opt_put(&f->blk, 0, NULL, 0);
		blk_end(f);
		write_idb(f, linktype, snaplen, 6);
	} else {
		cw_buf_reset(&f->blk);
		put_le32(&f->blk, fmt == CW_PCAP_NS ? 0xa1b23c4d : 0xa1b2c3d4);
		put_le16(&f->blk, 2);
		put_le16(&f->blk, 4);
		put_le32(&f->blk, 0);
		put_le32(&f->blk, 0);
		put_le32(&f->blk, snaplen);
		put_le32(&f->blk, (uint32_t)linktype);
		file_out(f, f->blk.p, f->blk.len);
	}
	if (f->err) {
		cw_close(f);
		errno = EIO;
		return NULL;
	}
	return f;
}

int cw_add_interface(struct cw_file *f, int linktype, uint32_t snaplen, uint8_t tsresol)
{
	if (f->fmt != CW_PCAPNG || f->nif >= CW_MAX_IF)
		return -1;
	/* decimal resolutions finer than ns and binary ones finer than 2^-30
	 * would overflow our 64-bit conversion; refuse rather than write junk */
	if ((tsresol & 0x80) ? (tsresol & 0x7f) > 30 : tsresol > 9)
		return -1;
	int id = f->nif++;
	f->ifs[id].linktype = linktype;
	f->ifs[id].snaplen = snaplen;
	f->ifs[id].tsresol = tsresol;
	if (write_idb(f, linktype, snaplen, tsresol) < 0)
		return -1;
	return id;
}

int cw_write_dsb(struct cw_file *f, const char *keylog)
{
	if (f->fmt != CW_PCAPNG)
		return -1;
	size_t n = strlen(keylog);
	blk_begin(&f->blk, 0x0000000A);
	put_le32(&f->blk, 0x544c534b); /* TLS Key Log */
	put_le32(&f->blk, (uint32_t)n);
	cw_put(&f->blk, keylog, n);
	return blk_end(f);
}

/* Timestamp in units of the interface's resolution. */
static uint64_t ts_units(uint64_t ts_ns, uint8_t tsresol)
{
	uint64_t sec = ts_ns / 1000000000u, frac = ts_ns % 1000000000u;
	if (tsresol & 0x80) {
		unsigned sh = tsresol & 0x7f;
		return (sec << sh) + ((frac << sh) / 1000000000u);
	}
	uint64_t per = 1;
	for (unsigned i = 0; i < tsresol; i++)
		per *= 10;
	uint64_t div = 1000000000u / per;
	return sec * per + frac / div;
}

int cw_write(struct cw_file *f, int ifid, uint64_t ts_ns, const uint8_t *frame, size_t len, const char *comment)
{
	if (ifid < 0 || ifid >= f->nif || len > 0xffffffffu)
		return -1;
	uint32_t caplen = (uint32_t)len;
	if (caplen > f->ifs[ifid].snaplen)
		caplen = f->ifs[ifid].snaplen;
	struct cw_buf *b = &f->blk;
	if (f->fmt == CW_PCAPNG) {
		uint64_t t = ts_units(ts_ns, f->ifs[ifid].tsresol);
		blk_begin(b, 6);
		put_le32(b, (uint32_t)ifid);
		put_le32(b, (uint32_t)(t >> 32));
		put_le32(b, (uint32_t)t);
		put_le32(b, caplen);
		put_le32(b, (uint32_t)len);
		cw_put(b, frame, caplen);
		pad4(b);
		if (comment) {
			size_t cl = strlen(comment);
			if (cl > 0xfff0)
				cl = 0xfff0;
			opt_put(b, 1, comment, (uint16_t)cl);
			opt_put(b, 0, NULL, 0);
		}
		return blk_end(f);
	}
	uint64_t sec = ts_ns / 1000000000u, frac = ts_ns % 1000000000u;
	cw_buf_reset(b);
	put_le32(b, (uint32_t)sec);
	put_le32(b, (uint32_t)(f->fmt == CW_PCAP_NS ? frac : frac / 1000));
	put_le32(b, caplen);
	put_le32(b, (uint32_t)len);
	cw_put(b, frame, caplen);
	return file_out(f, b->p, b->len);
}

uint64_t cw_bytes(const struct cw_file *f)
{
	return f->bytes;
}

int cw_close(struct cw_file *f)
{
	if (!f)
		return -1;
	int rc = f->err ? -1 : 0;
	if (f->gz) {
		if (gzclose(f->gz) != Z_OK)
			rc = -1;
	} else if (f->fp) {
		if (fclose(f->fp) != 0)
			rc = -1;
	}
	free(f->iobuf);
	cw_buf_free(&f->blk);
	free(f);
	return rc;
}

/* ================================================================ addresses */

struct cw_addr cw_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct cw_addr x;
	memset(&x, 0, sizeof x);
	x.family = 4;
	x.a[0] = a;
	x.a[1] = b;
	x.a[2] = c;
	x.a[3] = d;
	return x;
}

struct cw_addr cw_ip6_doc(uint16_t hi, uint32_t lo)
{
	struct cw_addr x;
	memset(&x, 0, sizeof x);
	x.family = 6;
	x.a[0] = 0x20;
	x.a[1] = 0x01;
	x.a[2] = 0x0d;
	x.a[3] = 0xb8;
	x.a[4] = (uint8_t)(hi >> 8);
	x.a[5] = (uint8_t)hi;
	x.a[12] = (uint8_t)(lo >> 24);
	x.a[13] = (uint8_t)(lo >> 16);
	x.a[14] = (uint8_t)(lo >> 8);
	x.a[15] = (uint8_t)lo;
	return x;
}

/* ================================================================ link */

struct cw_link cw_link_ether(void)
{
	struct cw_link l;
	memset(&l, 0, sizeof l);
	l.linktype = CW_LT_ETHERNET;
	/* locally administered unicast MACs */
	static const uint8_t s[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t d[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
	memcpy(l.src_mac, s, 6);
	memcpy(l.dst_mac, d, 6);
	return l;
}

void cw_link_header(const struct cw_link *l, int af, struct cw_buf *out)
{
	uint16_t ethertype = af == 6 ? 0x86dd : 0x0800;
	switch (l->linktype) {
	case CW_LT_ETHERNET:
		cw_put(out, l->dst_mac, 6);
		cw_put(out, l->src_mac, 6);
		if (l->outer_tpid) {
			cw_put_be16(out, l->outer_tpid);
			cw_put_be16(out, l->outer_vid & 0x0fff);
		}
		if (l->inner_tag) {
			cw_put_be16(out, 0x8100);
			cw_put_be16(out, l->inner_vid & 0x0fff);
		}
		cw_put_be16(out, ethertype);
		break;
	case CW_LT_LINUX_SLL2:
		cw_put_be16(out, ethertype);
		cw_put_be16(out, 0);              /* reserved */
		cw_put_be32(out, l->sll_ifindex);
		cw_put_be16(out, 1);              /* ARPHRD_ETHER */
		cw_put_u8(out, (uint8_t)l->sll_pkttype);
		cw_put_u8(out, 6);                /* address length */
		cw_put(out, l->src_mac, 6);
		cw_put_zero(out, 2);
		break;
	case CW_LT_NULL:
		/* AF_ value in the writer's byte order; we write little-endian
		 * as a macOS/BSD host would (AF_INET6 = 30 on macOS) */
		put_le32(out, af == 6 ? 30 : 2);
		break;
	default: /* CW_LT_RAW: the frame is the IP packet */
		break;
	}
}

/* ================================================================ IP */

uint32_t cw_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t cw_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void cw_ipv4(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
	     uint16_t id, uint8_t ttl, uint16_t frag_off, int mf, int df, const uint8_t *payload, size_t len)
{
	size_t h = out->len;
	cw_put_u8(out, 0x45);
	cw_put_u8(out, 0);
	cw_put_be16(out, (uint16_t)(20 + len));
	cw_put_be16(out, id);
	cw_put_be16(out, (uint16_t)((frag_off & 0x1fff) | (mf ? 0x2000 : 0) | (df ? 0x4000 : 0)));
	cw_put_u8(out, ttl);
	cw_put_u8(out, proto);
	cw_put_be16(out, 0);
	cw_put(out, src->a, 4);
	cw_put(out, dst->a, 4);
	cw_set_be16(out, h + 10, cw_csum_fold(cw_csum_add(0, out->p + h, 20)));
	cw_put(out, payload, len);
}

static void ipv6_hdr(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t nh,
		     uint8_t hlim, size_t plen)
{
	cw_put_be32(out, 0x60000000);
	cw_put_be16(out, (uint16_t)plen);
	cw_put_u8(out, nh);
	cw_put_u8(out, hlim);
	cw_put(out, src->a, 16);
	cw_put(out, dst->a, 16);
}

void cw_ipv6(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
	     uint8_t hlim, const uint8_t *payload, size_t len)
{
	ipv6_hdr(out, src, dst, proto, hlim, len);
	cw_put(out, payload, len);
}

void cw_ipv6_frag(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
		  uint32_t ident, uint16_t frag_off, int mf, const uint8_t *payload, size_t len)
{
	ipv6_hdr(out, src, dst, 44, 64, 8 + len);
	cw_put_u8(out, proto);
	cw_put_u8(out, 0);
	cw_put_be16(out, (uint16_t)((frag_off << 3) | (mf ? 1 : 0)));
	cw_put_be32(out, ident);
	cw_put(out, payload, len);
}

/* Pseudo-header sum for a transport checksum. */
static uint32_t pseudo_sum(const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto, size_t len)
{
	size_t alen = src->family == 6 ? 16 : 4;
	uint32_t s = cw_csum_add(0, src->a, alen);
	s = cw_csum_add(s, dst->a, alen);
	uint8_t tail[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
			    0, 0, 0, proto };
	return cw_csum_add(s, tail, 8);
}

void cw_udp(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint16_t sport,
	    uint16_t dport, const uint8_t *payload, size_t len)
{
	size_t h = out->len;
	cw_put_be16(out, sport);
	cw_put_be16(out, dport);
	cw_put_be16(out, (uint16_t)(8 + len));
	cw_put_be16(out, 0);
	cw_put(out, payload, len);
	uint16_t c = cw_csum_fold(cw_csum_add(pseudo_sum(src, dst, 17, 8 + len), out->p + h, 8 + len));
	cw_set_be16(out, h + 6, c ? c : 0xffff); /* 0 means "no checksum" in UDP */
}

void cw_tcp(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint16_t sport,
	    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, uint16_t mss,
	    const uint8_t *payload, size_t len)
{
	size_t h = out->len, hl = mss ? 24 : 20;
	cw_put_be16(out, sport);
	cw_put_be16(out, dport);
	cw_put_be32(out, seq);
	cw_put_be32(out, ack);
	cw_put_u8(out, (uint8_t)((hl / 4) << 4));
	cw_put_u8(out, flags);
	cw_put_be16(out, win);
	cw_put_be16(out, 0);
	cw_put_be16(out, 0);
	if (mss) {
		cw_put_u8(out, 2);
		cw_put_u8(out, 4);
		cw_put_be16(out, mss);
	}
	cw_put(out, payload, len);
	cw_set_be16(out, h + 16, cw_csum_fold(cw_csum_add(pseudo_sum(src, dst, 6, hl + len), out->p + h, hl + len)));
}

/* ================================================================ emitter */

void cw_net_init(struct cw_net *n, struct cw_file *f, int ifid, const struct cw_link *link, uint64_t ts_ns)
{
	memset(n, 0, sizeof *n);
	n->f = f;
	n->ifid = ifid;
	n->link = *link;
	n->ts_ns = ts_ns;
	n->step_ns = 1000000; /* 1 ms between frames unless the caller says otherwise */
	n->ipv4_id = 0x1000;
	n->ipv6_ident = 0x10000;
	cw_buf_init(&n->scratch);
	cw_buf_init(&n->frame);
}

void cw_net_free(struct cw_net *n)
{
	cw_buf_free(&n->scratch);
	cw_buf_free(&n->frame);
}

int cw_send_raw_ip(struct cw_net *n, int af, const uint8_t *ip, size_t len)
{
	cw_buf_reset(&n->frame);
	cw_link_header(&n->link, af, &n->frame);
	cw_put(&n->frame, ip, len);
	int rc = cw_write(n->f, n->ifid, n->ts_ns, n->frame.p, n->frame.len, n->comment);
	n->comment = NULL;
	n->ts_ns += n->step_ns;
	n->frames++;
	return rc;
}

/* Builds fragment i of a fragmented packet into n->scratch and sends it. */
static int send_frag(struct cw_net *n, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
		     const uint8_t *l4, size_t len, size_t chunk, size_t i, uint32_t id)
{
	size_t off = i * chunk, fl = len - off < chunk ? len - off : chunk;
	int mf = off + fl < len;
	cw_buf_reset(&n->scratch);
	if (src->family == 6)
		cw_ipv6_frag(&n->scratch, src, dst, proto, id, (uint16_t)(off / 8), mf, l4 + off, fl);
	else
		cw_ipv4(&n->scratch, src, dst, proto, (uint16_t)id, 64, (uint16_t)(off / 8), mf, 0, l4 + off, fl);
	return cw_send_raw_ip(n, src->family, n->scratch.p, n->scratch.len);
}

int cw_send_ip(struct cw_net *n, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
	       const uint8_t *l4, size_t len)
{
	size_t hl = src->family == 6 ? 40 : 20;
	if (len > 65535 - hl)
		return -1;
	if (n->mtu && hl + len > n->mtu && n->mtu >= hl + 8 + 8) {
		/* fragment payloads are multiples of 8; IPv6 also carries the
		 * 8-byte fragment header in every fragment */
		size_t chunk = ((n->mtu - hl - (src->family == 6 ? 8 : 0)) / 8) * 8;
		size_t nf = (len + chunk - 1) / chunk;
		uint32_t id = src->family == 6 ? n->ipv6_ident++ : n->ipv4_id++;
		int rc = 0;
		for (size_t k = 0; k < nf; k++) {
			size_t i = n->frag_reverse ? nf - 1 - k : k;
			if (send_frag(n, src, dst, proto, l4, len, chunk, i, id) < 0)
				rc = -1;
		}
		return rc;
	}
	cw_buf_reset(&n->scratch);
	if (src->family == 6)
		cw_ipv6(&n->scratch, src, dst, proto, 64, l4, len);
	else
		cw_ipv4(&n->scratch, src, dst, proto, n->ipv4_id++, 64, 0, 0, 1, l4, len);
	return cw_send_raw_ip(n, src->family, n->scratch.p, n->scratch.len);
}

int cw_send_udp(struct cw_net *n, const struct cw_addr *src, uint16_t sport, const struct cw_addr *dst,
		uint16_t dport, const uint8_t *payload, size_t len)
{
	struct cw_buf l4;
	cw_buf_init(&l4);
	cw_udp(&l4, src, dst, sport, dport, payload, len);
	int rc = cw_send_ip(n, src, dst, 17, l4.p, l4.len);
	cw_buf_free(&l4);
	return rc;
}

/* ================================================================ TCP */

void cw_tcp_init(struct cw_tcp *t, struct cw_net *net, const struct cw_addr *cli, uint16_t cport,
		 const struct cw_addr *srv, uint16_t sport, uint32_t cli_isn, uint32_t srv_isn, uint16_t mss)
{
	memset(t, 0, sizeof *t);
	t->net = net;
	t->addr[0] = *cli;
	t->addr[1] = *srv;
	t->port[0] = cport;
	t->port[1] = sport;
	t->seq[0] = cli_isn;
	t->seq[1] = srv_isn;
	t->mss = mss ? mss : 1460;
	t->win = 64240;
}

static int tcp_out(struct cw_tcp *t, int side, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t mss,
		   const uint8_t *data, size_t len)
{
	struct cw_buf l4;
	cw_buf_init(&l4);
	cw_tcp(&l4, &t->addr[side], &t->addr[!side], t->port[side], t->port[!side], seq, ack, flags, t->win, mss,
	       data, len);
	int rc = cw_send_ip(t->net, &t->addr[side], &t->addr[!side], 6, l4.p, l4.len);
	cw_buf_free(&l4);
	return rc;
}

int cw_tcp_emit(struct cw_tcp *t, int side, uint32_t seq, uint8_t flags, const uint8_t *data, size_t len)
{
	side = side ? 1 : 0;
	uint32_t ack = (flags & CW_TCP_ACK) ? t->seq[!side] : 0;
	return tcp_out(t, side, seq, ack, flags, 0, data, len);
}

int cw_tcp_handshake(struct cw_tcp *t)
{
	int rc = tcp_out(t, 0, t->seq[0], 0, CW_TCP_SYN, t->mss, NULL, 0);
	t->seq[0]++;
	rc |= tcp_out(t, 1, t->seq[1], t->seq[0], CW_TCP_SYN | CW_TCP_ACK, t->mss, NULL, 0);
	t->seq[1]++;
	rc |= cw_tcp_emit(t, 0, t->seq[0], CW_TCP_ACK, NULL, 0);
	return rc ? -1 : 0;
}

size_t cw_tcp_plan(struct cw_tcp *t, int side, size_t len, struct cw_seg *segs, size_t max)
{
	side = side ? 1 : 0;
	size_t n = (len + t->mss - 1) / t->mss;
	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		segs[i].off = i * t->mss;
		segs[i].len = len - segs[i].off < t->mss ? len - segs[i].off : t->mss;
		segs[i].seq = t->seq[side] + (uint32_t)segs[i].off;
	}
	t->seq[side] += (uint32_t)len;
	return n;
}

int cw_tcp_emit_order(struct cw_tcp *t, int side, const uint8_t *data, const struct cw_seg *segs, size_t nsegs,
		      const size_t *order, size_t norder)
{
	int rc = 0;
	for (size_t k = 0; k < norder; k++) {
		if (order[k] >= nsegs)
			continue;
		const struct cw_seg *s = &segs[order[k]];
		rc |= cw_tcp_emit(t, side, s->seq, CW_TCP_ACK | CW_TCP_PSH, data + s->off, s->len);
	}
	return rc ? -1 : 0;
}

int cw_tcp_send(struct cw_tcp *t, int side, const uint8_t *data, size_t len)
{
	side = side ? 1 : 0;
	int rc = 0;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < t->mss ? len - off : t->mss;
		rc |= cw_tcp_emit(t, side, t->seq[side], CW_TCP_ACK | CW_TCP_PSH, data + off, n);
		t->seq[side] += (uint32_t)n;
		off += n;
	}
	return rc ? -1 : 0;
}

int cw_tcp_ack(struct cw_tcp *t, int side)
{
	side = side ? 1 : 0;
	return cw_tcp_emit(t, side, t->seq[side], CW_TCP_ACK, NULL, 0);
}

int cw_tcp_fin(struct cw_tcp *t, int side)
{
	side = side ? 1 : 0;
	int rc = cw_tcp_emit(t, side, t->seq[side], CW_TCP_FIN | CW_TCP_ACK, NULL, 0);
	t->seq[side]++;
	rc |= cw_tcp_ack(t, !side);
	return rc ? -1 : 0;
}

int cw_tcp_rst(struct cw_tcp *t, int side)
{
	side = side ? 1 : 0;
	return cw_tcp_emit(t, side, t->seq[side], CW_TCP_RST | CW_TCP_ACK, NULL, 0);
}

/* ================================================================ DNS */

void cw_dns_init(struct cw_dns *d, uint16_t id, uint16_t flags)
{
	memset(d, 0, sizeof *d);
	cw_buf_init(&d->b);
	d->compress = 1;
	cw_put_be16(&d->b, id);
	cw_put_be16(&d->b, flags);
	cw_put_zero(&d->b, 8);
}

void cw_dns_free(struct cw_dns *d)
{
	cw_buf_free(&d->b);
}

void cw_dns_section(struct cw_dns *d, int s)
{
	if (s > d->section && s <= 3)
		d->section = s;
}

static void comp_remember(struct cw_dns *d, size_t off, const char *suffix)
{
	/* a pointer holds 14 bits of offset */
	if (d->ncomp >= CW_DNS_MAXCOMP || off > 0x3fff || strlen(suffix) >= sizeof d->comp[0].name)
		return;
	d->comp[d->ncomp].off = (uint16_t)off;
	snprintf(d->comp[d->ncomp].name, sizeof d->comp[0].name, "%s", suffix);
	d->ncomp++;
}

void cw_dns_name(struct cw_dns *d, const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	char tmp[256];
	if (n >= sizeof tmp)
		n = sizeof tmp - 1; /* names are ours; 255 is the wire limit anyway */
	memcpy(tmp, name, n);
	tmp[n] = '\0';
	const char *p = tmp;
	while (*p) {
		if (d->compress) {
			for (size_t i = 0; i < d->ncomp; i++) {
				if (strcasecmp(d->comp[i].name, p) == 0) {
					cw_put_be16(&d->b, (uint16_t)(0xc000 | d->comp[i].off));
					return;
				}
			}
		}
		comp_remember(d, d->b.len, p);
		const char *dot = strchr(p, '.');
		size_t ll = dot ? (size_t)(dot - p) : strlen(p);
		if (ll > 63)
			ll = 63;
		cw_put_u8(&d->b, (uint8_t)ll);
		cw_put(&d->b, p, ll);
		p = dot ? dot + 1 : p + strlen(p);
	}
	cw_put_u8(&d->b, 0);
}

void cw_dns_question(struct cw_dns *d, const char *name, uint16_t type)
{
	cw_dns_name(d, name);
	cw_put_be16(&d->b, type);
	cw_put_be16(&d->b, 1);
	d->count[0]++;
}

/* Name, type, class IN, TTL and a zero RDLENGTH; returns the RDLENGTH offset. */
static size_t rr_begin(struct cw_dns *d, const char *name, uint16_t type, uint32_t ttl)
{
	if (d->section == 0)
		d->section = 1;
	cw_dns_name(d, name);
	cw_put_be16(&d->b, type);
	cw_put_be16(&d->b, 1);
	cw_put_be32(&d->b, ttl);
	size_t at = d->b.len;
	cw_put_be16(&d->b, 0);
	d->count[d->section]++;
	return at;
}

static void rr_end(struct cw_dns *d, size_t at)
{
	cw_set_be16(&d->b, at, (uint16_t)(d->b.len - at - 2));
}

void cw_dns_a(struct cw_dns *d, const char *name, uint32_t ttl, const struct cw_addr *a)
{
	size_t at = rr_begin(d, name, CW_DNS_A, ttl);
	cw_put(&d->b, a->a, 4);
	rr_end(d, at);
}

void cw_dns_aaaa(struct cw_dns *d, const char *name, uint32_t ttl, const struct cw_addr *a)
{
	size_t at = rr_begin(d, name, CW_DNS_AAAA, ttl);
	cw_put(&d->b, a->a, 16);
	rr_end(d, at);
}

void cw_dns_cname(struct cw_dns *d, const char *name, uint32_t ttl, const char *target)
{
	size_t at = rr_begin(d, name, CW_DNS_CNAME, ttl);
	cw_dns_name(d, target);
	rr_end(d, at);
}

void cw_dns_srv(struct cw_dns *d, const char *name, uint32_t ttl, uint16_t prio, uint16_t weight, uint16_t port,
		const char *target)
{
	size_t at = rr_begin(d, name, CW_DNS_SRV, ttl);
	cw_put_be16(&d->b, prio);
	cw_put_be16(&d->b, weight);
	cw_put_be16(&d->b, port);
	/* RFC 2782 forbids compressing the SRV target; old resolvers and
	 * the MS clients expect it spelled out */
	int c = d->compress;
	d->compress = 0;
	cw_dns_name(d, target);
	d->compress = c;
	rr_end(d, at);
}

void cw_dns_soa(struct cw_dns *d, const char *zone, uint32_t ttl, const char *mname, const char *rname,
		uint32_t serial, uint32_t minimum)
{
	size_t at = rr_begin(d, zone, CW_DNS_SOA, ttl);
	cw_dns_name(d, mname);
	cw_dns_name(d, rname);
	cw_put_be32(&d->b, serial);
	cw_put_be32(&d->b, 3600);
	cw_put_be32(&d->b, 600);
	cw_put_be32(&d->b, 86400);
	cw_put_be32(&d->b, minimum);
	rr_end(d, at);
}

const struct cw_buf *cw_dns_finish(struct cw_dns *d)
{
	for (int i = 0; i < 4; i++)
		cw_set_be16(&d->b, 4 + 2 * (size_t)i, d->count[i]);
	return &d->b;
}

/* ================================================================ TLS */

static const uint8_t fixed_random[32] = {
	0x73, 0x69, 0x70, 0x64, 0x69, 0x73, 0x63, 0x2d, 0x63, 0x61, 0x70, 0x77, 0x72, 0x69, 0x74, 0x65,
	0x72, 0x2d, 0x66, 0x69, 0x78, 0x65, 0x64, 0x2d, 0x72, 0x61, 0x6e, 0x64, 0x6f, 0x6d, 0x00, 0x01,
};

/* Handshake header; returns the length offset for hs_end. */
static size_t hs_begin(struct cw_buf *out, uint8_t type)
{
	cw_put_u8(out, type);
	size_t at = out->len;
	cw_put_be24(out, 0);
	return at;
}

static void hs_end(struct cw_buf *out, size_t at)
{
	cw_set_be24(out, at, (uint32_t)(out->len - at - 3));
}

void cw_tls_client_hello(struct cw_buf *out, uint16_t legacy_version, const uint8_t *random, const char *sni,
			 const uint16_t *versions, size_t nversions)
{
	static const uint16_t suites[] = { 0x1301, 0x1302, 0xc02f, 0xc030, 0xc013, 0xc014, 0x009c, 0x009d,
					   0x002f, 0x0035, 0x000a };
	size_t at = hs_begin(out, 1);
	cw_put_be16(out, legacy_version);
	cw_put(out, random ? random : fixed_random, 32);
	cw_put_u8(out, 0); /* session id */
	cw_put_be16(out, (uint16_t)(2 * (sizeof suites / sizeof suites[0])));
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		cw_put_be16(out, suites[i]);
	cw_put_u8(out, 1);
	cw_put_u8(out, 0); /* null compression */
	size_t ext = out->len;
	cw_put_be16(out, 0);
	if (sni) {
		size_t sl = strlen(sni);
		if (sl > 255)
			sl = 255;
		cw_put_be16(out, 0);                 /* server_name */
		cw_put_be16(out, (uint16_t)(sl + 5));
		cw_put_be16(out, (uint16_t)(sl + 3)); /* server_name_list */
		cw_put_u8(out, 0);                   /* host_name */
		cw_put_be16(out, (uint16_t)sl);
		cw_put(out, sni, sl);
	}
	/* supported_groups and signature_algorithms, as every real client sends */
	cw_put_be16(out, 10);
	cw_put_be16(out, 6);
	cw_put_be16(out, 4);
	cw_put_be16(out, 0x001d);
	cw_put_be16(out, 0x0017);
	cw_put_be16(out, 13);
	cw_put_be16(out, 8);
	cw_put_be16(out, 6);
	cw_put_be16(out, 0x0807);
	cw_put_be16(out, 0x0804);
	cw_put_be16(out, 0x0401);
	if (nversions) {
		if (nversions > 127)
			nversions = 127;
		cw_put_be16(out, 43);
		cw_put_be16(out, (uint16_t)(1 + 2 * nversions));
		cw_put_u8(out, (uint8_t)(2 * nversions));
		for (size_t i = 0; i < nversions; i++)
			cw_put_be16(out, versions[i]);
	}
	cw_put_be16(out, 0xff01); /* renegotiation_info */
	cw_put_be16(out, 1);
	cw_put_u8(out, 0);
	cw_set_be16(out, ext, (uint16_t)(out->len - ext - 2));
	hs_end(out, at);
}

void cw_tls_server_hello(struct cw_buf *out, uint16_t version, uint16_t cipher, const uint8_t *random)
{
	size_t at = hs_begin(out, 2);
	cw_put_be16(out, version >= CW_TLS13 ? CW_TLS12 : version);
	cw_put(out, random ? random : fixed_random, 32);
	cw_put_u8(out, 32);
	for (uint8_t i = 0; i < 32; i++)
		cw_put_u8(out, (uint8_t)(0xa0 + i)); /* session id */
	cw_put_be16(out, cipher);
	cw_put_u8(out, 0);
	size_t ext = out->len;
	cw_put_be16(out, 0);
	if (version >= CW_TLS13) {
		cw_put_be16(out, 43);
		cw_put_be16(out, 2);
		cw_put_be16(out, version);
	} else {
		cw_put_be16(out, 0xff01);
		cw_put_be16(out, 1);
		cw_put_u8(out, 0);
	}
	cw_set_be16(out, ext, (uint16_t)(out->len - ext - 2));
	hs_end(out, at);
}

void cw_tls_certificate(struct cw_buf *out, const struct cw_buf *ders, size_t n)
{
	size_t at = hs_begin(out, 11);
	size_t list = out->len;
	cw_put_be24(out, 0);
	for (size_t i = 0; i < n; i++) {
		cw_put_be24(out, (uint32_t)ders[i].len);
		cw_put(out, ders[i].p, ders[i].len);
	}
	cw_set_be24(out, list, (uint32_t)(out->len - list - 3));
	hs_end(out, at);
}

void cw_tls_server_hello_done(struct cw_buf *out)
{
	size_t at = hs_begin(out, 14);
	hs_end(out, at);
}

void cw_tls_record_raw(struct cw_buf *out, uint8_t type, uint16_t version, uint16_t len_field,
		       const uint8_t *body, size_t len)
{
	cw_put_u8(out, type);
	cw_put_be16(out, version);
	cw_put_be16(out, len_field);
	cw_put(out, body, len);
}

void cw_tls_records(struct cw_buf *out, uint8_t type, uint16_t version, const uint8_t *body, size_t len,
		    size_t maxfrag)
{
	if (maxfrag == 0 || maxfrag > 16384)
		maxfrag = 16384;
	size_t off = 0;
	do {
		size_t n = len - off < maxfrag ? len - off : maxfrag;
		cw_tls_record_raw(out, type, version, (uint16_t)n, body ? body + off : NULL, n);
		off += n;
	} while (off < len);
}

void cw_tls_alert(struct cw_buf *out, uint16_t version, uint8_t level, uint8_t desc)
{
	uint8_t a[2] = { level, desc };
	cw_tls_record_raw(out, CW_TLS_ALERT, version, 2, a, 2);
}

/* ================================================================ certificates */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return -1;
	int ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

static X509_NAME *make_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	if (!n)
		return NULL;
	if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"sipdisc synth", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

int cw_cert_make(const struct cw_cert_spec *s, struct cw_buf *out)
{
	int rc = -1;
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s->seed, 32);
	EVP_PKEY *ikey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s->issuer_seed, 32);
	X509 *x = X509_new();
	X509_NAME *subj = make_name(s->cn), *iss = make_name(s->issuer_cn);
	char *san = NULL;
	unsigned char *der = NULL;
	if (!key || !ikey || !x || !subj || !iss)
		goto out;
	if (!X509_set_version(x, 2) || !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), s->serial) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) || !X509_set_subject_name(x, subj) ||
	    !X509_set_issuer_name(x, iss) || !X509_set_pubkey(x, key))
		goto out;
	if (add_ext(x, NULL, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE") < 0)
		goto out;
	if (add_ext(x, NULL, NID_key_usage,
		    s->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment") < 0)
		goto out;
	if (!s->ca && add_ext(x, NULL, NID_ext_key_usage, "serverAuth,clientAuth") < 0)
		goto out;
	if (s->nsans) {
		size_t cap = 1;
		for (size_t i = 0; i < s->nsans; i++)
			cap += strlen(s->sans[i]) + 5;
		san = malloc(cap);
		if (!san)
			goto out;
		size_t pos = 0;
		for (size_t i = 0; i < s->nsans; i++)
			pos += (size_t)snprintf(san + pos, cap - pos, "%sDNS:%s", i ? "," : "", s->sans[i]);
		if (add_ext(x, NULL, NID_subject_alt_name, san) < 0)
			goto out;
	}
	/* Ed25519 takes no digest; its signatures are deterministic */
	if (!X509_sign(x, ikey, NULL))
		goto out;
	int n = i2d_X509(x, &der);
	if (n <= 0)
		goto out;
	cw_put(out, der, (size_t)n);
	rc = 0;
out:
	OPENSSL_free(der);
	free(san);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ikey);
	return rc;
}

/* ================================================================ random */

uint64_t cw_rng_next(struct cw_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t cw_rng_below(struct cw_rng *r, uint32_t n)
{
	return (uint32_t)(((cw_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
