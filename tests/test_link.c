/*
 * test_link.c - every link type in link.c's table, VLAN stacks, LLC/SNAP,
 * BSD loopback families in both byte orders, truncation and unknown types.
 */
#include "testutil.h"

#include "link.h"

#include <string.h>

/* a recognisable network-layer start: an IPv4 version/IHL byte, then a marker */
#define NET4 "45 00 00 14 de ad"
#define NET6 "60 00 00 00 be ef"

static int decode_hex(int linktype, const char *hex, struct sd_link *out, uint8_t *buf, size_t cap)
{
	size_t n = sd_hex(hex, buf, cap);
	return sd_link_decode(linktype, cur_init(buf, n), out);
}

/* The network layer starts with bytes `first` and has `len` bytes. */
static int net_is(const struct sd_link *l, const char *first, size_t len)
{
	uint8_t want[32];
	size_t n = sd_hex(first, want, sizeof want);
	struct cur c = l->net;
	if (cur_left(&c) != len)
		return 0;
	const uint8_t *p = cur_take(&c, n);
	return p && memcmp(p, want, n) == 0;
}

static void test_ethernet(void)
{
	uint8_t b[128];
	struct sd_link l;
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 0800" NET4, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT_EQUAL(l.nvlan, 0);
	CU_ASSERT(net_is(&l, NET4, 6));
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 86dd" NET6, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT(net_is(&l, NET6, 6));
	/* non-IP: decoded, ethertype reported for the caller to skip */
	CU_ASSERT_EQUAL(decode_hex(1, "ffffffffffff 020000000002 0806 0001 0800", &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0x0806);
	CU_ASSERT_EQUAL(cur_left(&l.net), 4);
	/* header only: an empty network layer */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 0800", &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(cur_left(&l.net), 0);
}

static void test_ethernet_truncated(void)
{
	uint8_t b[64];
	struct sd_link l;
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 08", &l, b, sizeof b), SD_E_TRUNC);
	CU_ASSERT_EQUAL(sd_link_decode(1, cur_init(NULL, 0), &l), SD_E_TRUNC);
	/* cut inside a VLAN tag */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 8100 0064 08", &l, b, sizeof b), SD_E_TRUNC);
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 8100 00", &l, b, sizeof b), SD_E_TRUNC);
	/* cut inside LLC/SNAP */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 0030 aaaa03 000000 08", &l, b, sizeof b),
			SD_E_TRUNC);
}

static void test_vlan(void)
{
	uint8_t b[128];
	struct sd_link l;
	/* 802.1Q, priority bits masked off the id */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 8100 e00b 0800" NET4, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT_EQUAL(l.nvlan, 1);
	CU_ASSERT_EQUAL(l.vlan[0], 11);
	CU_ASSERT(net_is(&l, NET4, 6));
	/* QinQ: 802.1ad outer, 802.1Q inner */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 88a8 00c8 8100 0064 86dd" NET6, &l, b, sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT_EQUAL(l.nvlan, 2);
	CU_ASSERT_EQUAL(l.vlan[0], 200);
	CU_ASSERT_EQUAL(l.vlan[1], 100);
	CU_ASSERT(net_is(&l, NET6, 6));
	/* three tags (old 0x9100 QinQ outside): two ids kept, all counted */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 9100 0001 88a8 0002 8100 0003 0800" NET4, &l, b,
				   sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.nvlan, 3);
	CU_ASSERT_EQUAL(l.vlan[0], 1);
	CU_ASSERT_EQUAL(l.vlan[1], 2);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
}

static void test_vlan_many_tags(void)
{
	/* 300 tags: the loop is bounded by the bytes, the count saturates */
	uint8_t b[14 + 300 * 4 + 8];
	memset(b, 2, 12);
	size_t n = 12;
	for (int i = 0; i < 300; i++) {
		b[n++] = 0x81;
		b[n++] = 0x00;
		b[n++] = 0x00;
		b[n++] = 0x05;
	}
	b[n++] = 0x08;
	b[n++] = 0x00;
	b[n++] = 0x45;
	struct sd_link l;
	CU_ASSERT_EQUAL(sd_link_decode(1, cur_init(b, n), &l), SD_OK);
	CU_ASSERT_EQUAL(l.nvlan, 255);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT_EQUAL(cur_left(&l.net), 1);
}

static void test_llc_snap(void)
{
	uint8_t b[128];
	struct sd_link l;
	/* 802.3 length field, then SNAP with an ethertype */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 002e aaaa03 000000 0800" NET4, &l, b, sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	/* plain LLC (spanning tree): no ethertype, not IP */
	CU_ASSERT_EQUAL(decode_hex(1, "0180c2000000 020000000002 0026 424203 0000", &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
	/* SNAP behind a VLAN tag: the length after the tag means LLC too */
	CU_ASSERT_EQUAL(decode_hex(1, "020000000001 020000000002 8100 0007 002e aaaa03 000000 86dd" NET6, &l, b,
				   sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.nvlan, 1);
	CU_ASSERT_EQUAL(l.vlan[0], 7);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT(net_is(&l, NET6, 6));
	/* FDDI: frame control, addresses, then LLC/SNAP */
	CU_ASSERT_EQUAL(decode_hex(10, "50 020000000001 020000000002 aaaa03 000000 0800" NET4, &l, b, sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	CU_ASSERT_EQUAL(decode_hex(10, "50 020000000001 0200000000", &l, b, sizeof b), SD_E_TRUNC);
}

static void test_sll(void)
{
	uint8_t b[128];
	struct sd_link l;
	/* packet type, ARPHRD_ETHER, address length 6, address (8), protocol */
	CU_ASSERT_EQUAL(decode_hex(113, "0000 0001 0006 080027b91521 0000 86dd" NET6, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT(net_is(&l, NET6, 6));
	CU_ASSERT_EQUAL(decode_hex(113, "0004 0001 0006 080027b91521 0000 0800" NET4, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	/* VLAN tag re-inserted by libpcap */
	CU_ASSERT_EQUAL(decode_hex(113, "0000 0001 0006 080027b91521 0000 8100 0021 0800" NET4, &l, b, sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.nvlan, 1);
	CU_ASSERT_EQUAL(l.vlan[0], 33);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	/* protocol 4: an 802.2 LLC frame follows */
	CU_ASSERT_EQUAL(decode_hex(113, "0000 0001 0006 080027b91521 0000 0004 aaaa03 000000 0800" NET4, &l, b,
				   sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	CU_ASSERT_EQUAL(decode_hex(113, "0000 0001 0006 080027b91521 0000 08", &l, b, sizeof b), SD_E_TRUNC);
}

static void test_sll2(void)
{
	uint8_t b[128];
	struct sd_link l;
	/* protocol, reserved, ifindex, ARPHRD, packet type, address length, address (8) */
	CU_ASSERT_EQUAL(decode_hex(276, "0800 0000 00000003 0001 04 06 080027b91521 0000" NET4, &l, b, sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	CU_ASSERT_EQUAL(decode_hex(276, "86dd 0000 00000003 0001 00 06 080027b91521 0000" NET6, &l, b, sizeof b),
			SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT(net_is(&l, NET6, 6));
	CU_ASSERT_EQUAL(decode_hex(276, "0800 0000 00000003 0001 04 06 080027b915", &l, b, sizeof b), SD_E_TRUNC);
}

/* PKTAP header (little-endian): length, record type, DLT, interface name,
 * then process metadata up to the stated length. */
static size_t pktap(uint8_t *b, size_t cap, uint32_t hlen, uint32_t rectype, uint32_t dlt, const char *inner)
{
	memset(b, 0, cap);
	const uint32_t v[3] = { hlen, rectype, dlt };
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 4; k++)
			b[i * 4 + k] = (uint8_t)(v[i] >> (8 * k));
	memcpy(b + 12, "en0", 3);
	return hlen + sd_hex(inner, b + hlen, cap - hlen);
}

static void test_pktap(void)
{
	uint8_t b[256];
	struct sd_link l;
	/* the layout of tcpdump's LINKTYPE_PKTAP.pcap: 108-byte header, Ethernet */
	size_t n = pktap(b, sizeof b, 108, 1, 1, "001e491ff2c4 7073cb0b262a 0800" NET4);
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	/* a longer header is skipped by its own length; inner NULL and RAW */
	n = pktap(b, sizeof b, 120, 1, 0, "1e000000" NET6);
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT(net_is(&l, NET6, 6));
	n = pktap(b, sizeof b, 108, 1, 12, NET4);
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_OK);
	CU_ASSERT(net_is(&l, NET4, 6));
	/* a record without a packet: decoded, nothing for IP */
	n = pktap(b, sizeof b, 108, 0, 1, "");
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
	/* unknown inner DLT, and PKTAP inside PKTAP, are not decoded */
	n = pktap(b, sizeof b, 108, 1, 9, NET4);
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_E_UNSUPPORTED);
	n = pktap(b, sizeof b, 108, 1, 258, NET4);
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_E_UNSUPPORTED);
	/* a header length below the struct's is malformed; one past the
	 * captured bytes, or a cut fixed part, is truncated */
	n = pktap(b, sizeof b, 108, 1, 1, "");
	b[0] = 100;
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_E_MALFORMED);
	b[0] = 108;
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, 107), &l), SD_E_TRUNC);
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, 11), &l), SD_E_TRUNC);
	/* truncated inside the inner Ethernet header */
	n = pktap(b, sizeof b, 108, 1, 1, "001e491ff2c4 7073cb0b262a 08");
	CU_ASSERT_EQUAL(sd_link_decode(258, cur_init(b, n), &l), SD_E_TRUNC);
}

static void test_null_loop(void)
{
	static const struct {
		uint32_t fam;
		uint16_t et;
	} fams[] = {
		{ 2, SD_ETH_IPV4 },  { 10, SD_ETH_IPV6 }, { 24, SD_ETH_IPV6 },
		{ 28, SD_ETH_IPV6 }, { 30, SD_ETH_IPV6 }, { 7, 0 },
	};
	for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++) {
		for (int order = 0; order < 2; order++) {
			uint8_t b[8] = { 0, 0, 0, 0, 0x45, 1, 2, 3 };
			b[order ? 3 : 0] = (uint8_t)fams[i].fam; /* big-endian : host (little) order */
			for (int lt = 0; lt <= 108; lt += 108) {
				struct sd_link l;
				CU_ASSERT_EQUAL(sd_link_decode(lt, cur_init(b, sizeof b), &l), SD_OK);
				CU_ASSERT_EQUAL(l.ethertype, fams[i].et);
				CU_ASSERT_EQUAL(cur_left(&l.net), 4);
			}
		}
	}
	uint8_t b[3] = { 2, 0, 0 };
	struct sd_link l;
	CU_ASSERT_EQUAL(sd_link_decode(0, cur_init(b, sizeof b), &l), SD_E_TRUNC);
	CU_ASSERT_EQUAL(sd_link_decode(108, cur_init(b, sizeof b), &l), SD_E_TRUNC);
}

static void test_raw(void)
{
	uint8_t b[64];
	struct sd_link l;
	static const int raw_types[] = { 101, 12, 14 };
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(decode_hex(raw_types[i], NET4, &l, b, sizeof b), SD_OK);
		CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
		CU_ASSERT(net_is(&l, NET4, 6)); /* nothing consumed */
		CU_ASSERT_EQUAL(decode_hex(raw_types[i], NET6, &l, b, sizeof b), SD_OK);
		CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
		CU_ASSERT_EQUAL(decode_hex(raw_types[i], "50 00", &l, b, sizeof b), SD_E_MALFORMED);
		CU_ASSERT_EQUAL(sd_link_decode(raw_types[i], cur_init(b, 0), &l), SD_E_TRUNC);
	}
	/* IPV4 / IPV6 link types say the version themselves */
	CU_ASSERT_EQUAL(decode_hex(228, NET4, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV4);
	CU_ASSERT(net_is(&l, NET4, 6));
	CU_ASSERT_EQUAL(decode_hex(229, NET6, &l, b, sizeof b), SD_OK);
	CU_ASSERT_EQUAL(l.ethertype, SD_ETH_IPV6);
	CU_ASSERT(net_is(&l, NET6, 6));
}

static void test_unknown_linktype(void)
{
	uint8_t b[64];
	struct sd_link l;
	l.ethertype = 0x1234;
	CU_ASSERT_EQUAL(decode_hex(147, NET4, &l, b, sizeof b), SD_E_UNSUPPORTED); /* USER0 */
	CU_ASSERT_EQUAL(l.ethertype, 0);
	CU_ASSERT_EQUAL(decode_hex(-1, NET4, &l, b, sizeof b), SD_E_UNSUPPORTED);
	CU_ASSERT_EQUAL(sd_link_supported(147), 0);
	CU_ASSERT_EQUAL(sd_link_supported(9), 0); /* PPP: not (yet) decoded */
	static const int known[] = { 0, 1, 10, 12, 14, 101, 108, 113, 228, 229, 258, 276 };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		CU_ASSERT_EQUAL(sd_link_supported(known[i]), 1);
}

static const struct sd_test tests[] = {
	SD_TEST(test_ethernet),
	SD_TEST(test_ethernet_truncated),
	SD_TEST(test_vlan),
	SD_TEST(test_vlan_many_tags),
	SD_TEST(test_llc_snap),
	SD_TEST(test_sll),
	SD_TEST(test_sll2),
	SD_TEST(test_pktap),
	SD_TEST(test_null_loop),
	SD_TEST(test_raw),
	SD_TEST(test_unknown_linktype),
	{ 0 },
};

int main(void) { return sd_run_tests("link", tests); }
