/*
 * pcapng.c - pcapng block reader (see pcapng.h for why it exists).
 *
 * One block at a time is read into a growable buffer and parsed with the
 * cursor. Blocks we do not need (NRB, ISB, DSB, custom, unknown) are skipped
 * by their length; every length in the file is checked before it is used.
 */
#include "pcapng.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_OPB 0x00000002u /* obsolete Packet Block, still written by old tools */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u

#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* Below this the buffer grows only as bytes actually arrive, so a header
 * that claims a huge block at the end of a short file costs little memory. */
#define GROW_STEP (64u << 10)

struct png_if {
	int linktype;
	uint32_t snaplen;
	uint8_t res_bin; /* if_tsresol is 2^-res_exp (else 10^-res_exp) */
	uint8_t res_exp;
	int64_t offset_s; /* if_tsoffset, seconds */
};

struct sd_pcapng {
	sd_pcapng_read_fn rd;
	void *ctx;
	uint8_t *buf; /* the current block, whole */
	size_t cap;
	int be;       /* byte order of the current section */
	struct png_if *ifs;
	uint32_t nif, ifcap;
};

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint16_t rd16(struct cur *c, int be) { return be ? cur_be16(c) : cur_le16(c); }
static uint32_t rd32(struct cur *c, int be) { return be ? cur_be32(c) : cur_le32(c); }
static uint64_t rd64(struct cur *c, int be)
{
	uint64_t a = rd32(c, be), b = rd32(c, be);
	return be ? (a << 32 | b) : (b << 32 | a);
}

/* Reads until the buffer holds need bytes; returns how many it holds. */
static size_t fill(struct sd_pcapng *p, size_t have, size_t need)
{
	while (have < need) {
		size_t want = need;
		if (want > GROW_STEP && want > have * 2)
			want = have * 2 > GROW_STEP ? have * 2 : GROW_STEP;
		if (want > p->cap) {
			uint8_t *nb = realloc(p->buf, want);
			if (!nb)
				return have;
			p->buf = nb;
			p->cap = want;
		}
		size_t n = p->rd(p->ctx, p->buf + have, want - have);
		have += n;
		if (have < want)
			break;
	}
	return have;
}

/*
 * Reads one whole block. Returns 1 with *type and *body (the bytes between
 * the length fields), 0 at a clean end of input, -1 on error.
 */
static int read_block(struct sd_pcapng *p, uint32_t *type, struct cur *body, char *err, size_t errlen)
{
	size_t have = fill(p, 0, 8);
	if (have == 0)
		return 0;
	if (have < 8) {
		fail(err, errlen, "truncated block header: need 8 bytes, have %zu", have);
		return -1;
	}
	struct cur h = cur_init(p->buf, have);
	uint32_t t = rd32(&h, p->be); /* the SHB type reads the same in both orders */
	if (t == BT_SHB) {
		/* A new section may switch byte order: learn it before the length. */
		have = fill(p, have, 12);
		if (have < 12) {
			fail(err, errlen, "truncated section header: need 12 bytes, have %zu", have);
			return -1;
		}
		h = cur_init(p->buf, have);
		cur_skip(&h, 8);
		uint32_t bom = cur_be32(&h);
		if (bom == 0x1A2B3C4Du)
			p->be = 1;
		else if (bom == 0x4D3C2B1Au)
			p->be = 0;
		else {
			fail(err, errlen, "bad byte-order magic 0x%08x in section header", bom);
			return -1;
		}
		h = cur_init(p->buf, have);
		cur_skip(&h, 4);
	}
	uint32_t len = rd32(&h, p->be);
	uint32_t min = t == BT_SHB ? 28 : 12;
	if (len % 4 != 0 || len < min || len > SD_PCAPNG_MAX_BLOCK) {
		fail(err, errlen, "bad block length %u (block type 0x%08x)", len, t);
		return -1;
	}
	have = fill(p, have, len);
	if (have < len) {
		fail(err, errlen, "truncated block: need %u bytes, have %zu", len, have);
		return -1;
	}
	struct cur b = cur_init(p->buf, len);
	cur_skip(&b, len - 4);
	uint32_t trail = rd32(&b, p->be);
	if (trail != len) {
		fail(err, errlen, "block trailer length %u does not match header length %u", trail, len);
		return -1;
	}
	b = cur_init(p->buf, len - 4);
	cur_skip(&b, 8);
	*body = cur_rest(&b);
	*type = t;
	return 1;
}

/* Walks an options area, checking every length; hands each option to
 * on_opt when given. Returns 0, or -1 with err set. */
typedef int (*opt_fn)(struct sd_pcapng *p, struct png_if *ifc, uint16_t code, struct cur val, char *err,
		      size_t errlen);

static int walk_options(struct sd_pcapng *p, struct cur *c, const char *blk, opt_fn on_opt, struct png_if *ifc,
			char *err, size_t errlen)
{
	/* Fewer than 4 bytes left cannot hold an option: writers that omit
	 * opt_endofopt are common, so leftover padding is tolerated. */
	while (cur_left(c) >= 4) {
		uint16_t code = rd16(c, p->be);
		uint16_t olen = rd16(c, p->be);
		if (code == OPT_ENDOFOPT)
			break;
		if (olen > cur_left(c)) {
			fail(err, errlen, "%s option %u length %u exceeds the block (%zu bytes left)", blk, code,
			     olen, cur_left(c));
			return -1;
		}
		struct cur val = cur_sub(c, olen);
		size_t pad = (4 - olen % 4) % 4;
		cur_skip(c, pad < cur_left(c) ? pad : cur_left(c));
		if (on_opt && on_opt(p, ifc, code, val, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int idb_option(struct sd_pcapng *p, struct png_if *ifc, uint16_t code, struct cur val, char *err,
		      size_t errlen)
{
	if (code == OPT_IF_TSRESOL) {
		if (val.len != 1) {
			fail(err, errlen, "if_tsresol option length %zu (expected 1)", val.len);
			return -1;
		}
		uint8_t r = cur_u8(&val);
		ifc->res_bin = (r & 0x80) != 0;
		ifc->res_exp = r & 0x7f;
	} else if (code == OPT_IF_TSOFFSET) {
		if (val.len != 8) {
			fail(err, errlen, "if_tsoffset option length %zu (expected 8)", val.len);
			return -1;
		}
		ifc->offset_s = (int64_t)rd64(&val, p->be);
	}
	return 0;
}

static int parse_shb(struct sd_pcapng *p, struct cur *c, char *err, size_t errlen)
{
	cur_skip(c, 4); /* byte-order magic, already applied */
	uint16_t major = rd16(c, p->be), minor = rd16(c, p->be);
	cur_skip(c, 8); /* section length: often -1, never needed */
	if (!cur_ok(c)) {
		fail(err, errlen, "section header block too short");
		return -1;
	}
	if (major != 1) {
		fail(err, errlen, "unsupported pcapng version %u.%u (only 1.x is defined)", major, minor);
		return -1;
	}
	if (walk_options(p, c, "section header", NULL, NULL, err, errlen) < 0)
		return -1;
	p->nif = 0; /* interfaces are numbered per section */
	return 0;
}

static int parse_idb(struct sd_pcapng *p, struct cur *c, char *err, size_t errlen)
{
	struct png_if ifc = { 0, 0, 0, 6, 0 };
	ifc.linktype = rd16(c, p->be);
	cur_skip(c, 2);
	ifc.snaplen = rd32(c, p->be);
	if (!cur_ok(c)) {
		fail(err, errlen, "interface description block too short");
		return -1;
	}
	if (walk_options(p, c, "interface description", idb_option, &ifc, err, errlen) < 0)
		return -1;
	if (p->nif >= SD_PCAPNG_MAX_IFS) {
		fail(err, errlen, "more than %u interfaces in one section", SD_PCAPNG_MAX_IFS);
		return -1;
	}
	if (p->nif == p->ifcap) {
		uint32_t ncap = p->ifcap ? p->ifcap * 2 : 8;
		struct png_if *n = realloc(p->ifs, ncap * sizeof *n);
		if (!n) {
			fail(err, errlen, "out of memory");
			return -1;
		}
		p->ifs = n;
		p->ifcap = ncap;
	}
	p->ifs[p->nif++] = ifc;
	return 0;
}

static const uint64_t pow10_tab[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
	1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
	1000000000000000000ull, 10000000000000000000ull,
};

/* Interface time units to ns since the epoch; saturates instead of wrapping
 * on absurd values so a hostile file cannot produce UB. */
static int64_t ts_ns(const struct png_if *ifc, uint64_t ts)
{
	__int128 v;
	if (ifc->res_bin)
		v = (__int128)(((unsigned __int128)ts * 1000000000u) >> ifc->res_exp);
	else if (ifc->res_exp <= 9)
		v = (__int128)ts * (__int128)pow10_tab[9 - ifc->res_exp];
	else if (ifc->res_exp - 9 < 20)
		v = (__int128)(ts / pow10_tab[ifc->res_exp - 9]);
	else
		v = 0;
	v += (__int128)ifc->offset_s * 1000000000;
	if (v > INT64_MAX)
		return INT64_MAX;
	if (v < INT64_MIN)
		return INT64_MIN;
	return (int64_t)v;
}

static const struct png_if *iface(struct sd_pcapng *p, uint32_t id, const char *blk, char *err, size_t errlen)
{
	if (id >= p->nif) {
		fail(err, errlen, "%s for interface %u, but %u interface%s defined", blk, id, p->nif,
		     p->nif == 1 ? " is" : "s are");
		return NULL;
	}
	return &p->ifs[id];
}

/* EPB and OPB: same layout after the interface id. */
static int parse_pkt(struct sd_pcapng *p, struct cur *c, uint32_t type, struct sd_frame *out, char *err,
		     size_t errlen)
{
	const char *blk = type == BT_EPB ? "enhanced packet block" : "packet block";
	uint32_t id = type == BT_EPB ? rd32(c, p->be) : rd16(c, p->be);
	if (type == BT_OPB)
		cur_skip(c, 2); /* drops count */
	uint64_t hi = rd32(c, p->be), lo = rd32(c, p->be);
	uint32_t caplen = rd32(c, p->be), origlen = rd32(c, p->be);
	if (!cur_ok(c)) {
		fail(err, errlen, "%s too short", blk);
		return -1;
	}
	const struct png_if *ifc = iface(p, id, blk, err, errlen);
	if (!ifc)
		return -1;
	if (caplen > cur_left(c)) {
		fail(err, errlen, "%s captured length %u exceeds the block (%zu bytes)", blk, caplen, cur_left(c));
		return -1;
	}
	out->data = cur_take(c, caplen);
	size_t pad = (4 - caplen % 4) % 4;
	if (pad > cur_left(c)) {
		fail(err, errlen, "%s data padding runs past the block", blk);
		return -1;
	}
	cur_skip(c, pad);
	if (walk_options(p, c, blk, NULL, NULL, err, errlen) < 0)
		return -1;
	out->ts_ns = ts_ns(ifc, hi << 32 | lo);
	out->caplen = caplen;
	out->wirelen = origlen;
	out->linktype = ifc->linktype;
	out->ifindex = id;
	return 1;
}

static int parse_spb(struct sd_pcapng *p, struct cur *c, struct sd_frame *out, char *err, size_t errlen)
{
	uint32_t origlen = rd32(c, p->be);
	if (!cur_ok(c)) {
		fail(err, errlen, "simple packet block too short");
		return -1;
	}
	const struct png_if *ifc = iface(p, 0, "simple packet block", err, errlen);
	if (!ifc)
		return -1;
	/* No captured length field: the data is what the block holds (less
	 * padding), cut to the wire length and the interface snaplen. */
	size_t caplen = cur_left(c);
	if (caplen > origlen)
		caplen = origlen;
	if (ifc->snaplen && caplen > ifc->snaplen)
		caplen = ifc->snaplen;
	out->data = cur_take(c, caplen);
	out->ts_ns = 0; /* SPB carries no timestamp (Wireshark shows 0 too) */
	out->caplen = (uint32_t)caplen;
	out->wirelen = origlen;
	out->linktype = ifc->linktype;
	out->ifindex = 0;
	return 1;
}

struct sd_pcapng *sd_pcapng_open(sd_pcapng_read_fn rd, void *ctx, char *err, size_t errlen)
{
	struct sd_pcapng *p = calloc(1, sizeof *p);
	if (!p) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	p->rd = rd;
	p->ctx = ctx;
	uint32_t type;
	struct cur body;
	int r = read_block(p, &type, &body, err, errlen);
	if (r == 0)
		fail(err, errlen, "empty file");
	else if (r > 0 && type != BT_SHB)
		fail(err, errlen, "first block is not a section header block");
	if (r <= 0 || type != BT_SHB || parse_shb(p, &body, err, errlen) < 0) {
		sd_pcapng_free(p);
		return NULL;
	}
	return p;
}

int sd_pcapng_next(struct sd_pcapng *p, struct sd_frame *out, char *err, size_t errlen)
{
	for (;;) {
		uint32_t type;
		struct cur body;
		int r = read_block(p, &type, &body, err, errlen);
		if (r <= 0)
			return r;
		switch (type) {
		case BT_SHB:
			if (parse_shb(p, &body, err, errlen) < 0)
				return -1;
			break;
		case BT_IDB:
			if (parse_idb(p, &body, err, errlen) < 0)
				return -1;
			break;
		case BT_EPB:
		case BT_OPB:
			return parse_pkt(p, &body, type, out, err, errlen);
		case BT_SPB:
			return parse_spb(p, &body, out, err, errlen);
		default:
			/* NRB, ISB, DSB, custom and unknown blocks: nothing we use. */
			break;
		}
	}
}

void sd_pcapng_free(struct sd_pcapng *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p->ifs);
	free(p);
}
