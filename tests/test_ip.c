/*
 * test_ip.c - IPv4/IPv6 decoding, extension headers, tunnels and fragment
 * reassembly, on hand-built packets and on public captures.
 */
#include "testutil.h"

#include "ip.h"
#include "link.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL

static const uint8_t V4SRC[4] = { 192, 0, 2, 1 }, V4DST[4] = { 198, 51, 100, 2 };
static const uint8_t V6SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6DST[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* Byte i of a test datagram: distinct per position and per seed, so a test
 * can tell which copy of an overlapping fragment was kept. */
static uint8_t pat(uint32_t i, uint8_t seed) { return (uint8_t)(i * 31u + seed); }

static int payload_is(struct cur c, uint32_t from, uint32_t len, uint8_t seed)
{
	if (cur_left(&c) != len)
		return 0;
	for (uint32_t i = 0; i < len; i++)
		if (cur_u8(&c) != pat(from + i, seed))
			return 0;
	return 1;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IPv4 packet carrying bytes [off, off+len) of a datagram of pattern seed,
 * with optlen bytes of options (NOPs). */
static size_t v4pkt(uint8_t *b, size_t optlen, uint16_t id, int mf, uint32_t off, uint32_t len, uint8_t proto,
		    uint8_t seed)
{
	size_t hl = 20 + optlen;
	memset(b, 0, hl);
	b[0] = (uint8_t)(0x40 | hl / 4);
	put16(b + 2, (uint32_t)(hl + len));
	put16(b + 4, id);
	put16(b + 6, (mf ? 0x2000u : 0) | off / 8);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, V4SRC, 4);
	memcpy(b + 16, V4DST, 4);
	memset(b + 20, 1, optlen);
	for (uint32_t i = 0; i < len; i++)
		b[hl + i] = pat(off + i, seed);
	return hl + len;
}

/* IPv6 packet: header, ext (already chained, first type nh), then bytes
 * [off, off+len) of pattern seed. */
static size_t v6pkt(uint8_t *b, uint8_t nh, const uint8_t *ext, size_t extlen, uint32_t off, uint32_t len,
		    uint8_t seed)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, (uint32_t)(extlen + len));
	b[6] = nh;
	b[7] = 64;
	memcpy(b + 8, V6SRC, 16);
	memcpy(b + 24, V6DST, 16);
	if (extlen)
		memcpy(b + 40, ext, extlen);
	for (uint32_t i = 0; i < len; i++)
		b[40 + extlen + i] = pat(off + i, seed);
	return 40 + extlen + len;
}

static size_t v6frag(uint8_t *b, uint32_t id, uint32_t off, int more, uint8_t next, uint32_t len, uint8_t seed)
{
	uint8_t fh[8] = { next, 0, 0, 0, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };
	put16(fh + 2, off | (more ? 1u : 0));
	return v6pkt(b, 44, fh, sizeof fh, off, len, seed);
}

static int dec(struct sd_ipfrag *f, uint16_t et, const uint8_t *b, size_t cap, uint32_t missing, uint64_t frame,
	       int64_t ts, struct sd_ip_pkt *out)
{
	return sd_ip_decode(f, et, cur_init(b, cap), missing, frame, ts, out);
}

static struct sd_ipfrag_stats stats(const struct sd_ipfrag *f)
{
	struct sd_ipfrag_stats s;
	sd_ipfrag_stats(f, &s);
	return s;
}

/* ------------------------------------------------------------------ IPv4 */

static void test_v4_plain(void)
{
	uint8_t b[64];
	struct sd_ip_pkt p;
	size_t n = v4pkt(b, 0, 7, 0, 0, 8, 17, 1);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 5, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.src.family, 4);
	CU_ASSERT(memcmp(p.src.a, V4SRC, 4) == 0);
	CU_ASSERT(memcmp(p.dst.a, V4DST, 4) == 0);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT(payload_is(p.payload, 0, 8, 1));
	CU_ASSERT_EQUAL(p.missing, 0);
	CU_ASSERT_EQUAL(p.first_frame, 5);
	CU_ASSERT_EQUAL(p.fragmented, 0);
}

static void test_v4_options(void)
{
	uint8_t b[128];
	struct sd_ip_pkt p;
	for (size_t opt = 4; opt <= 40; opt += 36) {
		size_t n = v4pkt(b, opt, 7, 0, 0, 10, 6, 2);
		CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_DONE);
		CU_ASSERT_EQUAL(p.proto, 6);
		CU_ASSERT(payload_is(p.payload, 0, 10, 2));
	}
}

static void test_v4_padding_trimmed(void)
{
	uint8_t b[64];
	struct sd_ip_pkt p;
	size_t n = v4pkt(b, 0, 7, 0, 0, 6, 17, 3);
	memset(b + n, 0xee, 46 - n); /* Ethernet minimum frame padding */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 46, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 6, 3));
	CU_ASSERT_EQUAL(p.missing, 0);
	/* padding that was cut by the snaplen is not missing payload either */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 23, 46 - 23, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 3, 3));
	CU_ASSERT_EQUAL(p.missing, 3);
}

static void test_v4_truncated_payload(void)
{
	uint8_t b[256];
	struct sd_ip_pkt p;
	v4pkt(b, 0, 7, 0, 0, 100, 6, 4);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 24, 96, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 4, 4));
	CU_ASSERT_EQUAL(p.missing, 96);
	/* exactly the header captured */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 20, 100, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(cur_left(&p.payload), 0);
	CU_ASSERT_EQUAL(p.missing, 100);
}

static void test_v4_truncated_header(void)
{
	uint8_t b[128];
	struct sd_ip_pkt p;
	size_t n = v4pkt(b, 0, 7, 0, 0, 30, 6, 5);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 10, (uint32_t)n - 10, 1, 0, &p), SD_E_TRUNC);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 0, (uint32_t)n, 1, 0, &p), SD_E_TRUNC);
	/* not cut by the capture: the frame itself is too short */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 10, 0, 1, 0, &p), SD_E_MALFORMED);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 0, 0, 1, 0, &p), SD_E_MALFORMED);
	/* options cut by the snaplen */
	n = v4pkt(b, 40, 7, 0, 0, 30, 6, 5);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 40, (uint32_t)n - 40, 1, 0, &p), SD_E_TRUNC);
}

static void test_v4_malformed(void)
{
	uint8_t b[128];
	struct sd_ip_pkt p;
	size_t n = v4pkt(b, 0, 7, 0, 0, 30, 6, 5);
	b[0] = 0x44; /* IHL 16 bytes */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);
	b[0] = 0x55; /* version 5 */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);
	b[0] = 0x60; /* an IPv6 packet announced as IPv4 */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);
	b[0] = 0x45;
	put16(b + 2, 19); /* total shorter than the header */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);
	put16(b + 2, (uint32_t)n + 1); /* longer than the frame on the wire */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);
	/* ...but fine when the capture cut the byte off */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 1, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.missing, 1);
	b[0] = 0x4f; /* IHL 60 > total 50 */
	put16(b + 2, (uint32_t)n);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);
	/* total length 0: segmentation offload, the frame holds the length */
	b[0] = 0x45;
	put16(b + 2, 0);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 30, 5));
	CU_ASSERT_EQUAL(dec(NULL, 0x0806, b, n, 0, 1, 0, &p), SD_E_UNSUPPORTED);
}

/* ------------------------------------------------------------------ IPv6 */

static void test_v6_plain(void)
{
	uint8_t b[128];
	struct sd_ip_pkt p;
	size_t n = v6pkt(b, 17, NULL, 0, 0, 12, 6);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 9, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.src.family, 6);
	CU_ASSERT(memcmp(p.src.a, V6SRC, 16) == 0);
	CU_ASSERT(memcmp(p.dst.a, V6DST, 16) == 0);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT(payload_is(p.payload, 0, 12, 6));
	CU_ASSERT_EQUAL(p.first_frame, 9);
	/* padding after the payload length is trimmed, cut-off bytes counted */
	memset(b + n, 0, 20);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n + 20, 0, 9, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 12, 6));
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 45, (uint32_t)n - 45, 9, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 5, 6));
	CU_ASSERT_EQUAL(p.missing, 7);
	/* header cut vs frame too short */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 39, (uint32_t)n - 39, 9, 0, &p), SD_E_TRUNC);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 39, 0, 9, 0, &p), SD_E_MALFORMED);
	/* payload length beyond the wire; wrong version */
	put16(b + 4, 13);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 9, 0, &p), SD_E_MALFORMED);
	put16(b + 4, 12);
	b[0] = 0x40;
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 9, 0, &p), SD_E_MALFORMED);
}

/* hop-by-hop (8) -> routing (24) -> AH (24) -> destination options (16) -> TCP */
static const char *EXT_CHAIN = "2b 00 0000 0000 0000"
			       "33 02 0000 0000 0000  0000 0000 0000 0000  0000 0000 0000 0000"
			       "3c 04 0000 0000 0000  0000 0000 0000 0000  0000 0000 0000 0000"
			       "06 01 0000 0000 0000  0000 0000 0000 0000";

static void test_v6_ext_chain(void)
{
	uint8_t ext[128], b[256];
	struct sd_ip_pkt p;
	size_t el = sd_hex(EXT_CHAIN, ext, sizeof ext);
	CU_ASSERT_EQUAL(el, 72);
	size_t n = v6pkt(b, 0, ext, el, 0, 20, 7);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 6);
	CU_ASSERT(payload_is(p.payload, 0, 20, 7));
	/* capture ends inside the AH header: truncated, not malformed */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 40 + 8 + 24 + 10, (uint32_t)n - 82, 1, 0, &p), SD_E_TRUNC);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 40 + 8 + 24 + 1, (uint32_t)n - 73, 1, 0, &p), SD_E_TRUNC);
	/* the same bytes declared as the whole packet: the header overruns it */
	put16(b + 4, 8 + 24 + 10);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 82, 0, 1, 0, &p), SD_E_MALFORMED);
	/* no next header */
	n = v6pkt(b, 59, NULL, 0, 0, 4, 7);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 59);
}

static void test_v6_ext_bound(void)
{
	uint8_t ext[8 * 20], b[512];
	struct sd_ip_pkt p;
	memset(ext, 0, sizeof ext);
	for (int i = 0; i < 20; i++)
		ext[i * 8] = i == 19 ? 17 : 60;
	/* 16 destination options headers are walked, 17 hit the bound */
	size_t n = v6pkt(b, 60, ext + 4 * 8, 16 * 8, 0, 4, 8);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT(payload_is(p.payload, 0, 4, 8));
	n = v6pkt(b, 60, ext + 3 * 8, 17 * 8, 0, 4, 8);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_E_LIMIT);
}

static void test_v6_jumbo_and_atomic(void)
{
	uint8_t b[256];
	struct sd_ip_pkt p;
	/* payload length 0 (jumbogram / offload): the frame gives the length */
	size_t n = v6pkt(b, 6, NULL, 0, 0, 30, 9);
	put16(b + 4, 0);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 30, 9));
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, 50, (uint32_t)n - 50, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.missing, n - 50);
	/* atomic fragment: offset 0, no more fragments -> a whole packet */
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	n = v6frag(b, 99, 0, 0, 17, 16, 9);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 3, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT_EQUAL(p.fragmented, 0);
	CU_ASSERT(payload_is(p.payload, 0, 16, 9));
	CU_ASSERT_EQUAL(stats(f).reassembled, 0);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	sd_ipfrag_free(f);
}

static void test_v6_fragments(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	size_t n = v6frag(b, 0xb0647780u, 0, 1, 17, 1448, 10);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_HELD);
	CU_ASSERT(stats(f).held_bytes > 1448);
	/* same id, other protocol: another datagram */
	n = v6frag(b, 0xb0647780u, 1448, 0, 6, 251, 10);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 2, 0, &p), SD_IP_HELD);
	n = v6frag(b, 0xb0647780u, 1448, 0, 17, 251, 10);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 3, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT_EQUAL(p.fragmented, 1);
	CU_ASSERT_EQUAL(p.first_frame, 1);
	CU_ASSERT_EQUAL(p.missing, 0);
	CU_ASSERT(memcmp(p.src.a, V6SRC, 16) == 0);
	CU_ASSERT(payload_is(p.payload, 0, 1699, 10));
	CU_ASSERT_EQUAL(stats(f).reassembled, 1);

	/* a destination options header after the fragment header travels in
	 * the first fragment and is walked after reassembly */
	uint8_t d1[600];
	d1[0] = 17; /* destination options, 8 bytes, then UDP */
	d1[1] = 0;
	memset(d1 + 2, 0, 6);
	for (int i = 0; i < 592; i++)
		d1[8 + i] = pat((uint32_t)i, 11);
	uint8_t fh[8 + 600] = { 60, 0, 0, 1, 0, 0, 0, 5 };
	memcpy(fh + 8, d1, 600);
	n = v6pkt(b, 44, fh, sizeof fh, 0, 0, 0);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 4, 0, &p), SD_IP_HELD);
	uint8_t fh2[8] = { 60, 0, 0x02, 0x58, 0, 0, 0, 5 }; /* offset 600 */
	n = v6pkt(b, 44, fh2, sizeof fh2, 592, 100, 11);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 5, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT(payload_is(p.payload, 0, 692, 11));
	CU_ASSERT_EQUAL(stats(f).held_bytes > 0, 1); /* the other-protocol datagram */
	sd_ipfrag_free(f);
}

/* ------------------------------------------------------------ fragments */

static void test_v4_frag_in_order(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	size_t n = v4pkt(b, 0, 0xd0fe, 1, 0, 1480, 17, 12);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 53, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 0xd0fe, 0, 1480, 230, 17, 12);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 54, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.fragmented, 1);
	CU_ASSERT_EQUAL(p.first_frame, 53);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT(payload_is(p.payload, 0, 1710, 12));
	struct sd_ipfrag_stats s = stats(f);
	CU_ASSERT_EQUAL(s.reassembled, 1);
	CU_ASSERT_EQUAL(s.held_bytes, 0);
	sd_ipfrag_free(f);
}

static void test_v4_frag_out_of_order(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	/* last, middle, first; with IP options on the first */
	size_t n = v4pkt(b, 0, 1, 0, 1600, 50, 6, 13);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 10, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 1, 1, 800, 800, 6, 13);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 11, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 8, 1, 1, 0, 800, 6, 13);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 12, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.first_frame, 10);
	CU_ASSERT(payload_is(p.payload, 0, 1650, 13));
	sd_ipfrag_free(f);
}

static void test_v4_frag_overlap_keeps_first(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	/* [0,800) seed 14; [400,1200) seed 15 overlapping; [1200,1300) last */
	size_t n = v4pkt(b, 0, 2, 1, 0, 800, 17, 14);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 2, 1, 400, 800, 17, 15);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 2, 0, &p), SD_IP_HELD);
	/* a fragment inside a hole's neighbours, overlapping both sides */
	n = v4pkt(b, 0, 2, 0, 1192, 108, 17, 16);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 3, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(cur_left(&p.payload), 1300);
	struct cur c = p.payload;
	CU_ASSERT(payload_is(cur_sub(&c, 800), 0, 800, 14));
	CU_ASSERT(payload_is(cur_sub(&c, 400), 800, 400, 15));
	CU_ASSERT(payload_is(cur_sub(&c, 100), 1200, 100, 16));

	/* a hole filled last, by a fragment overlapping both neighbours */
	n = v4pkt(b, 0, 3, 1, 0, 400, 17, 20);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 4, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 3, 0, 800, 400, 17, 21);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 5, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 3, 1, 200, 800, 17, 22);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 6, 0, &p), SD_IP_DONE);
	c = p.payload;
	CU_ASSERT(payload_is(cur_sub(&c, 400), 0, 400, 20));
	CU_ASSERT(payload_is(cur_sub(&c, 400), 400, 400, 22));
	CU_ASSERT(payload_is(cur_sub(&c, 400), 800, 400, 21));
	CU_ASSERT_EQUAL(stats(f).reassembled, 2);
	sd_ipfrag_free(f);
}

static void test_v4_frag_duplicate(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	size_t n = v4pkt(b, 0, 4, 1, 0, 1000, 17, 17);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_HELD);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 2, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 4, 0, 1000, 10, 17, 17);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 3, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 1010, 17));
	CU_ASSERT_EQUAL(p.first_frame, 1);
	/* the payload stays valid over a non-fragment decode... */
	uint8_t b2[64];
	struct sd_ip_pkt q;
	size_t n2 = v4pkt(b2, 0, 5, 0, 0, 8, 6, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b2, n2, 0, 4, 0, &q), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 1010, 17));
	/* a late duplicate starts a new datagram that is never completed */
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 5, 0, &p), SD_IP_HELD);
	CU_ASSERT_EQUAL(stats(f).reassembled, 1);
	sd_ipfrag_free(f);
}

static void test_v4_frag_inconsistent(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	/* two different ends */
	size_t n = v4pkt(b, 0, 6, 0, 800, 100, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 6, 0, 800, 200, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 2, 0, &p), SD_E_MALFORMED);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	/* data beyond a known end */
	n = v4pkt(b, 0, 7, 0, 800, 100, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 3, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 7, 1, 880, 80, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 4, 0, &p), SD_E_MALFORMED);
	/* an end before data already held */
	n = v4pkt(b, 0, 8, 1, 800, 400, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 5, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 8, 0, 400, 400, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 6, 0, &p), SD_E_MALFORMED);
	/* "ping of death": offset 65528 + 100 bytes */
	n = v4pkt(b, 0, 9, 0, 65528, 100, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 7, 0, &p), SD_E_MALFORMED);
	/* no table: fragments cannot be reassembled */
	n = v4pkt(b, 0, 9, 1, 0, 100, 17, 1);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 8, 0, &p), SD_E_UNSUPPORTED);
	CU_ASSERT_EQUAL(stats(f).reassembled, 0);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	sd_ipfrag_free(f);
}

static void test_frag_timeout(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 1 * SEC);
	size_t n = v4pkt(b, 0, 10, 1, 0, 800, 17, 18);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 1, 100 * SEC, &p), SD_IP_HELD);
	/* exactly at the timeout it is still alive */
	uint8_t b2[64];
	size_t n2 = v4pkt(b2, 0, 11, 0, 0, 8, 6, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b2, n2, 0, 2, 101 * SEC, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(stats(f).timed_out, 0);
	/* any packet a moment later expires it */
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b2, n2, 0, 3, 101 * SEC + 1, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(stats(f).timed_out, 1);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	/* so the rest arriving late starts over: held, then whole again */
	size_t nl = v4pkt(b2, 0, 10, 0, 800, 8, 17, 18);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b2, nl, 0, 4, 102 * SEC, &p), SD_IP_HELD);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 5, 102 * SEC, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.first_frame, 4);
	CU_ASSERT(payload_is(p.payload, 0, 808, 18));
	/* time going backwards never expires anything */
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 6, 200 * SEC, &p), SD_IP_HELD);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b2, n2, 0, 7, -5 * SEC, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(stats(f).timed_out, 1);
	sd_ipfrag_free(f);
}

static void test_frag_memory_limit(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(4000, 30 * SEC);
	/* each datagram holds ~1500 bytes: the third pushes the first out */
	for (uint16_t id = 1; id <= 3; id++) {
		size_t n = v4pkt(b, 0, id, 1, 0, 1480, 17, (uint8_t)id);
		CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, id, 0, &p), SD_IP_HELD);
		CU_ASSERT(stats(f).held_bytes <= 4000);
	}
	CU_ASSERT_EQUAL(stats(f).dropped_limit, 1);
	size_t n = v4pkt(b, 0, 1, 0, 1480, 20, 17, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 4, 0, &p), SD_IP_HELD); /* 1 was dropped */
	CU_ASSERT_EQUAL(stats(f).dropped_limit, 2); /* ...and now 2 made room for it */
	n = v4pkt(b, 0, 3, 0, 1480, 20, 17, 3);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 5, 0, &p), SD_IP_DONE);
	CU_ASSERT(payload_is(p.payload, 0, 1500, 3));
	CU_ASSERT(stats(f).held_bytes <= 4000);
	/* a datagram larger than the whole budget is refused */
	struct sd_ipfrag *g = sd_ipfrag_new(1000, 30 * SEC);
	n = v4pkt(b, 0, 1, 1, 0, 1480, 17, 1);
	CU_ASSERT_EQUAL(dec(g, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_LIMIT);
	CU_ASSERT_EQUAL(stats(g).dropped_limit, 1);
	CU_ASSERT_EQUAL(stats(g).held_bytes, 0);
	sd_ipfrag_free(g);
	sd_ipfrag_free(f);
}

static void test_frag_many_holes(void)
{
	uint8_t b[128];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	/* 8-byte fragments with 8-byte holes: bounded span list */
	int r = SD_IP_HELD;
	uint32_t i;
	for (i = 0; i < 2000 && r == SD_IP_HELD; i++) {
		size_t n = v4pkt(b, 0, 77, 1, i * 16, 8, 17, 1);
		r = dec(f, SD_ETH_IPV4, b, n, 0, i + 1, 0, &p);
	}
	CU_ASSERT_EQUAL(r, SD_E_LIMIT);
	CU_ASSERT_EQUAL(i, 1025);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	sd_ipfrag_free(f);
}

static void test_frag_many_datagrams(void)
{
	uint8_t b[256];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(8u << 20, 30 * SEC);
	/* more datagrams in flight than hash buckets, completed in reverse */
	enum { N = 6000 };
	int held = 0, done = 0, right = 0;
	for (uint32_t id = 0; id < N; id++) {
		size_t n = v4pkt(b, 0, (uint16_t)id, 1, 0, 64, 17, (uint8_t)id);
		held += dec(f, SD_ETH_IPV4, b, n, 0, id + 1, 0, &p) == SD_IP_HELD;
	}
	for (uint32_t id = N; id-- > 0;) {
		size_t n = v4pkt(b, 0, (uint16_t)id, 0, 64, 16, 17, (uint8_t)id);
		if (dec(f, SD_ETH_IPV4, b, n, 0, N + 1, 0, &p) == SD_IP_DONE) {
			done++;
			right += p.first_frame == id + 1 && payload_is(p.payload, 0, 80, (uint8_t)id);
		}
	}
	CU_ASSERT_EQUAL(held, N);
	CU_ASSERT_EQUAL(done, N);
	CU_ASSERT_EQUAL(right, N);
	struct sd_ipfrag_stats s = stats(f);
	CU_ASSERT_EQUAL(s.reassembled, N);
	CU_ASSERT_EQUAL(s.dropped_limit, 0);
	CU_ASSERT_EQUAL(s.held_bytes, 0);
	sd_ipfrag_free(f);
}

static void test_frag_truncated(void)
{
	uint8_t b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	size_t n = v4pkt(b, 0, 12, 1, 0, 1480, 17, 19);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, 200, (uint32_t)n - 200, 1, 0, &p), SD_IP_HELD);
	CU_ASSERT(stats(f).held_bytes < 1480); /* no bytes kept for it */
	n = v4pkt(b, 0, 12, 0, 1480, 100, 17, 19);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 2, 0, &p), SD_E_TRUNC);
	CU_ASSERT_EQUAL(stats(f).reassembled, 0);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	/* a cut IPv6 fragment, seen last */
	n = v6frag(b, 3, 0, 1, 17, 1000, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, n, 0, 3, 0, &p), SD_IP_HELD);
	n = v6frag(b, 3, 1000, 0, 17, 500, 1);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, 100, (uint32_t)n - 100, 4, 0, &p), SD_E_TRUNC);
	CU_ASSERT_EQUAL(stats(f).held_bytes, 0);
	/* a cut fragment header is a truncated packet */
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV6, b, 44, (uint32_t)n - 44, 5, 0, &p), SD_E_TRUNC);
	sd_ipfrag_free(f);
}

/* -------------------------------------------------------------- tunnels */

static void test_tunnels(void)
{
	uint8_t in[256], b[512];
	struct sd_ip_pkt p;
	/* IPv4 in IPv4 */
	size_t ni = v4pkt(in, 0, 1, 0, 0, 16, 17, 30);
	in[12] = 10; /* inner source 10.0.2.1 */
	size_t n = v4pkt(b, 0, 2, 0, 0, (uint32_t)ni, 4, 0);
	memcpy(b + 20, in, ni);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT_EQUAL(p.src.family, 4);
	CU_ASSERT_EQUAL(p.src.a[0], 10);
	CU_ASSERT(payload_is(p.payload, 0, 16, 30));
	/* ...cut inside the inner header */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 30, (uint32_t)n - 30, 1, 0, &p), SD_E_TRUNC);
	/* ...cut inside the inner payload */
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, 45, (uint32_t)n - 45, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(cur_left(&p.payload), 5);
	CU_ASSERT_EQUAL(p.missing, 11);

	/* IPv6 in IPv4 (6in4, proto 41) */
	ni = v6pkt(in, 6, NULL, 0, 0, 24, 31);
	n = v4pkt(b, 0, 3, 0, 0, (uint32_t)ni, 41, 0);
	memcpy(b + 20, in, ni);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 6);
	CU_ASSERT_EQUAL(p.src.family, 6);
	CU_ASSERT(memcmp(p.dst.a, V6DST, 16) == 0);
	CU_ASSERT(payload_is(p.payload, 0, 24, 31));
	/* inner packet longer than the outer payload */
	put16(in + 4, 25);
	memcpy(b + 20, in, ni);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV4, b, n, 0, 1, 0, &p), SD_E_MALFORMED);

	/* IPv6 in IPv6, then IPv4 in IPv6 */
	ni = v6pkt(in, 17, NULL, 0, 0, 8, 32);
	n = v6pkt(b, 41, in, ni, 0, 0, 0);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT(payload_is(p.payload, 0, 8, 32));
	ni = v4pkt(in, 0, 1, 0, 0, 8, 6, 33);
	n = v6pkt(b, 4, in, ni, 0, 0, 0);
	CU_ASSERT_EQUAL(dec(NULL, SD_ETH_IPV6, b, n, 0, 1, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 6);
	CU_ASSERT_EQUAL(p.src.family, 4);
	CU_ASSERT(payload_is(p.payload, 0, 8, 33));
}

static void test_tunnel_depth(void)
{
	uint8_t b[2][512];
	struct sd_ip_pkt p;
	/* wrap a UDP packet in k IPv4-in-IPv4 layers: 4 IP headers decode, 5 do not */
	for (int layers = 1; layers <= 5; layers++) {
		size_t n = v4pkt(b[0], 0, 1, 0, 0, 8, 17, 40);
		for (int k = 1; k < layers; k++) {
			uint8_t *src = b[(k - 1) & 1], *dst = b[k & 1];
			size_t m = v4pkt(dst, 0, 1, 0, 0, (uint32_t)n, 4, 0);
			memcpy(dst + 20, src, n);
			n = m;
		}
		int r = dec(NULL, SD_ETH_IPV4, b[(layers - 1) & 1], n, 0, 1, 0, &p);
		CU_ASSERT_EQUAL(r, layers <= 4 ? SD_IP_DONE : SD_E_UNSUPPORTED);
		if (layers <= 4)
			CU_ASSERT(payload_is(p.payload, 0, 8, 40));
	}
}

static void test_tunnel_fragmented(void)
{
	uint8_t in[2048], b[2048];
	struct sd_ip_pkt p;
	struct sd_ipfrag *f = sd_ipfrag_new(1 << 20, 30 * SEC);
	/* outer IPv4 fragments carrying one 6in4 packet */
	size_t ni = v6pkt(in, 17, NULL, 0, 0, 1400, 41);
	size_t n = v4pkt(b, 0, 50, 1, 0, 800, 41, 0);
	memcpy(b + 20, in, 800);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 7, 0, &p), SD_IP_HELD);
	n = v4pkt(b, 0, 50, 0, 800, (uint32_t)ni - 800, 41, 0);
	memcpy(b + 20, in + 800, ni - 800);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 8, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT_EQUAL(p.src.family, 6);
	CU_ASSERT_EQUAL(p.fragmented, 1);
	CU_ASSERT_EQUAL(p.first_frame, 7);
	CU_ASSERT(payload_is(p.payload, 0, 1400, 41));

	/* inner IPv6 fragments inside plain 6in4 packets */
	ni = v6frag(in, 9, 0, 1, 17, 600, 42);
	n = v4pkt(b, 0, 51, 0, 0, (uint32_t)ni, 41, 0);
	memcpy(b + 20, in, ni);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 9, 0, &p), SD_IP_HELD);
	ni = v6frag(in, 9, 600, 0, 17, 60, 42);
	n = v4pkt(b, 0, 52, 0, 0, (uint32_t)ni, 41, 0);
	memcpy(b + 20, in, ni);
	CU_ASSERT_EQUAL(dec(f, SD_ETH_IPV4, b, n, 0, 10, 0, &p), SD_IP_DONE);
	CU_ASSERT_EQUAL(p.fragmented, 1);
	CU_ASSERT_EQUAL(p.first_frame, 9);
	CU_ASSERT(payload_is(p.payload, 0, 660, 42));
	CU_ASSERT_EQUAL(stats(f).reassembled, 2);
	sd_ipfrag_free(f);
}

/* ------------------------------------------------------- public captures */

struct run {
	uint64_t frames, done, held, errors, fragmented, tunneled_v6, proto_tcp, proto_udp;
	uint64_t reasm_len_sum;
	struct sd_ipfrag_stats st;
};

static int run_capture(const char *rel, struct run *r)
{
	char path[1024];
	const char *dir = getenv("SD_CAPTURES_PUBLIC");
	if (dir)
		snprintf(path, sizeof path, "%s/%s", dir, rel);
	else
		snprintf(path, sizeof path, "%s", sd_pubpath(rel));
	char err[256];
	struct sd_source *src = sd_source_open_file(path, err, sizeof err);
	if (!src) {
		printf("\n  SKIP: %s absent (%s)\n", rel, err);
		return 0;
	}
	memset(r, 0, sizeof *r);
	struct sd_ipfrag *f = sd_ipfrag_new(8u << 20, 30 * SEC);
	struct sd_frame fr;
	while (sd_source_next(src, &fr) == 1) {
		r->frames++;
		struct sd_link l;
		if (sd_link_decode(fr.linktype, cur_init(fr.data, fr.caplen), &l) != SD_OK)
			continue;
		if (l.ethertype != SD_ETH_IPV4 && l.ethertype != SD_ETH_IPV6)
			continue;
		struct sd_ip_pkt p;
		uint32_t missing = fr.wirelen > fr.caplen ? fr.wirelen - fr.caplen : 0;
		int st = sd_ip_decode(f, l.ethertype, l.net, missing, fr.number, fr.ts_ns, &p);
		if (st == SD_IP_HELD) {
			r->held++;
		} else if (st == SD_IP_DONE) {
			r->done++;
			if (p.fragmented) {
				r->fragmented++;
				r->reasm_len_sum += cur_left(&p.payload);
			}
			if (l.ethertype == SD_ETH_IPV4 && p.src.family == 6)
				r->tunneled_v6++;
			r->proto_tcp += p.proto == 6;
			r->proto_udp += p.proto == 17;
		} else {
			r->errors++;
		}
	}
	sd_ipfrag_stats(f, &r->st);
	sd_ipfrag_free(f);
	sd_source_close(src);
	return 1;
}

static void test_public_sll_ipv6_fragments(void)
{
	struct run r;
	if (!run_capture("sngrep/ipv6frag.pcap", &r))
		return;
	/* tshark: frames 1+2 -> 1699 bytes, 4+5 -> 1879 bytes */
	CU_ASSERT_EQUAL(r.frames, 34);
	CU_ASSERT_EQUAL(r.held, 2);
	CU_ASSERT_EQUAL(r.done, 32);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT_EQUAL(r.fragmented, 2);
	CU_ASSERT_EQUAL(r.reasm_len_sum, 1699 + 1879);
	CU_ASSERT_EQUAL(r.proto_udp, 32);
	CU_ASSERT_EQUAL(r.st.reassembled, 2);
	CU_ASSERT_EQUAL(r.st.held_bytes, 0);
}

static void test_public_ipv6_fragmented_dns(void)
{
	struct run r;
	if (!run_capture("zeek/ipv6-fragmented-dns.pcap", &r))
		return;
	/* frame 4 is a lone last fragment; 6, 7, 8 make a 3238-byte datagram */
	CU_ASSERT_EQUAL(r.frames, 8);
	CU_ASSERT_EQUAL(r.held, 3);
	CU_ASSERT_EQUAL(r.fragmented, 1);
	CU_ASSERT_EQUAL(r.reasm_len_sum, 3238);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT_EQUAL(r.st.reassembled, 1);
	CU_ASSERT(r.st.held_bytes > 0); /* the orphan is still waiting */
}

static void test_public_ipv4_fragments(void)
{
	struct run r;
	if (!run_capture("zeek/dns-edns-ecs.pcap", &r))
		return;
	/* tshark: 4 datagrams of 1710, 1498, 1710, 1738 bytes */
	CU_ASSERT_EQUAL(r.frames, 89);
	CU_ASSERT_EQUAL(r.held, 4);
	CU_ASSERT_EQUAL(r.fragmented, 4);
	CU_ASSERT_EQUAL(r.reasm_len_sum, 1710 + 1498 + 1710 + 1738);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT_EQUAL(r.st.reassembled, 4);
}

static void test_public_6in4(void)
{
	struct run r;
	if (!run_capture("ndpi/6in4tunnel.pcap", &r))
		return;
	/* tshark: all 127 frames are IPv6 in IPv4: 75 TCP, 4 UDP, 48 ICMPv6 */
	CU_ASSERT_EQUAL(r.frames, 127);
	CU_ASSERT_EQUAL(r.done, 127);
	CU_ASSERT_EQUAL(r.tunneled_v6, 127);
	CU_ASSERT_EQUAL(r.proto_tcp, 75);
	CU_ASSERT_EQUAL(r.proto_udp, 4);
	CU_ASSERT_EQUAL(r.errors, 0);
}

static const struct sd_test tests[] = {
	SD_TEST(test_v4_plain),
	SD_TEST(test_v4_options),
	SD_TEST(test_v4_padding_trimmed),
	SD_TEST(test_v4_truncated_payload),
	SD_TEST(test_v4_truncated_header),
	SD_TEST(test_v4_malformed),
	SD_TEST(test_v6_plain),
	SD_TEST(test_v6_ext_chain),
	SD_TEST(test_v6_ext_bound),
	SD_TEST(test_v6_jumbo_and_atomic),
	SD_TEST(test_v6_fragments),
	SD_TEST(test_v4_frag_in_order),
	SD_TEST(test_v4_frag_out_of_order),
	SD_TEST(test_v4_frag_overlap_keeps_first),
	SD_TEST(test_v4_frag_duplicate),
	SD_TEST(test_v4_frag_inconsistent),
	SD_TEST(test_frag_timeout),
	SD_TEST(test_frag_memory_limit),
	SD_TEST(test_frag_many_holes),
	SD_TEST(test_frag_many_datagrams),
	SD_TEST(test_frag_truncated),
	SD_TEST(test_tunnels),
	SD_TEST(test_tunnel_depth),
	SD_TEST(test_tunnel_fragmented),
	SD_TEST(test_public_sll_ipv6_fragments),
	SD_TEST(test_public_ipv6_fragmented_dns),
	SD_TEST(test_public_ipv4_fragments),
	SD_TEST(test_public_6in4),
	{ 0 },
};

int main(void) { return sd_run_tests("ip", tests); }
