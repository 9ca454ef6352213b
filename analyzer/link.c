/*
 * link.c - link layer, one small decoder per link type found through a
 * table, so adding a link type is one function and one row (the lesson of
 * SLL2 support arriving years late in other tools).
 */
#include "link.h"

#include <string.h>


/* LLC/SNAP after an 802.3 length field or on FDDI: aa aa 03 OUI(3) type(2).
 * Anything else is LLC without an ethertype: not IP for us (ethertype 0). */
static int llc_snap(struct cur *c, struct sd_link *out)
{
	uint8_t dsap = cur_u8(c), ssap = cur_u8(c), ctl = cur_u8(c);
	if (!cur_ok(c))
		return SD_E_TRUNC;
	if (dsap != 0xaa || ssap != 0xaa || ctl != 0x03) {
		out->ethertype = 0;
		return SD_OK;
	}
	cur_skip(c, 3); /* OUI: 0 for encapsulated Ethernet types, the usual case */
	out->ethertype = cur_be16(c);
	return cur_ok(c) ? SD_OK : SD_E_TRUNC;
}

/* From an ethertype onwards: strips any number of VLAN tags (the byte count
 * bounds the loop), keeping the two outermost ids. */
static int ethertype_chain(uint16_t type, struct cur *c, struct sd_link *out)
{
	while (sd_eth_is_tag(type)) {
		uint16_t tci = cur_be16(c);
		type = cur_be16(c);
		if (!cur_ok(c))
			return SD_E_TRUNC;
		if (out->nvlan < 2)
			out->vlan[out->nvlan] = tci & 0x0fff;
		if (out->nvlan < UINT8_MAX)
			out->nvlan++;
	}
	/* behind a tag, as after the MAC addresses, a length means LLC follows */
	if (out->nvlan && type <= 1500)
		return llc_snap(c, out);
	out->ethertype = type;
	return SD_OK;
}

static int dec_ether(struct cur *c, struct sd_link *out)
{
	cur_skip(c, 12); /* destination, source */
	uint16_t type = cur_be16(c);
	if (!cur_ok(c))
		return SD_E_TRUNC;
	if (type <= 1500) /* IEEE 802.3: a length, then LLC */
		return llc_snap(c, out);
	return ethertype_chain(type, c, out);
}

/* BSD loopback: the address family as a 4-byte word in the capturing host's
 * order (NULL) or network order (LOOP); accept both, the values cannot be
 * confused. AF_INET6 differs between systems. */
static uint16_t family_type(uint32_t fam)
{
	switch (fam) {
	case 2: return SD_ETH_IPV4;
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		return SD_ETH_IPV6;
	default: return 0;
	}
}

static int dec_null(struct cur *c, struct sd_link *out)
{
	struct cur le = *c;
	uint32_t be = cur_be32(c);
	uint32_t l = cur_le32(&le);
	if (!cur_ok(c))
		return SD_E_TRUNC;
	out->ethertype = family_type(be);
	if (!out->ethertype)
		out->ethertype = family_type(l);
	return SD_OK;
}

static int dec_raw(struct cur *c, struct sd_link *out)
{
	uint8_t b;
	if (!cur_peek(c, 0, &b))
		return SD_E_TRUNC;
	switch (b >> 4) {
	case 4: out->ethertype = SD_ETH_IPV4; return SD_OK;
	case 6: out->ethertype = SD_ETH_IPV6; return SD_OK;
	default: return SD_E_MALFORMED;
	}
}

static int dec_ipv4(struct cur *c, struct sd_link *out)
{
	(void)c;
	out->ethertype = SD_ETH_IPV4;
	return SD_OK;
}

static int dec_ipv6(struct cur *c, struct sd_link *out)
{
	(void)c;
	out->ethertype = SD_ETH_IPV6;
	return SD_OK;
}

/* Linux cooked protocol values that mean "an LLC frame follows". */
#define SLL_P_802_2 0x0004

static int sll_proto(uint16_t proto, struct cur *c, struct sd_link *out)
{
	if (proto == SLL_P_802_2)
		return llc_snap(c, out);
	/* libpcap re-inserts VLAN tags the kernel stripped, so tags can follow */
	return ethertype_chain(proto, c, out);
}

static int dec_sll(struct cur *c, struct sd_link *out)
{
	cur_skip(c, 14); /* packet type, ARPHRD, address length, address */
	uint16_t proto = cur_be16(c);
	if (!cur_ok(c))
		return SD_E_TRUNC;
	return sll_proto(proto, c, out);
}

static int dec_sll2(struct cur *c, struct sd_link *out)
{
	uint16_t proto = cur_be16(c);
	cur_skip(c, 18); /* reserved, ifindex, ARPHRD, packet type, address */
	if (!cur_ok(c))
		return SD_E_TRUNC;
	return sll_proto(proto, c, out);
}

static int dec_fddi(struct cur *c, struct sd_link *out)
{
	cur_skip(c, 13); /* frame control, destination, source */
	if (!cur_ok(c))
		return SD_E_TRUNC;
	return llc_snap(c, out);
}

static int dec_pktap(struct cur *c, struct sd_link *out);

static const struct {
	int linktype;
	int (*decode)(struct cur *c, struct sd_link *out);
} link_table[] = {
	{ 0, dec_null },     /* NULL */
	{ 1, dec_ether },    /* ETHERNET */
	{ 10, dec_fddi },    /* FDDI */
	{ 12, dec_raw },     /* DLT_RAW as written by most systems */
	{ 14, dec_raw },     /* DLT_RAW on OpenBSD */
	{ 101, dec_raw },    /* RAW */
	{ 108, dec_null },   /* LOOP (OpenBSD: network order) */
	{ 113, dec_sll },    /* LINUX_SLL */
	{ 228, dec_ipv4 },   /* IPV4 */
	{ 229, dec_ipv6 },   /* IPV6 */
	{ 258, dec_pktap },  /* PKTAP (Apple; DLT_PKTAP is 149 on macOS, files say 258) */
	{ 276, dec_sll2 },   /* LINUX_SLL2 */
};

static int (*find(int linktype))(struct cur *, struct sd_link *)
{
	for (size_t i = 0; i < sizeof link_table / sizeof link_table[0]; i++)
		if (link_table[i].linktype == linktype)
			return link_table[i].decode;
	return NULL;
}

/*
 * Apple PKTAP (macOS `tcpdump -k` / `-i pktap`): a per-packet header in the
 * capturing host's byte order (little-endian on every Mac, and Wireshark
 * reads it so) giving its own length, a record type and the DLT of the frame
 * that follows, plus process metadata we do not need. The length is taken
 * from the header, not assumed, since Apple has grown the struct before.
 */
#define PKTAP_MIN_HDR 108 /* struct pktap_header; Wireshark's minimum too */
#define PKTAP_REC_PACKET 1

static int dec_pktap(struct cur *c, struct sd_link *out)
{
	struct cur h = *c;
	uint32_t hlen = cur_le32(&h);
	uint32_t rectype = cur_le32(&h);
	uint32_t dlt = cur_le32(&h);
	if (!cur_ok(&h))
		return SD_E_TRUNC;
	if (hlen < PKTAP_MIN_HDR)
		return SD_E_MALFORMED;
	cur_skip(c, hlen);
	if (!cur_ok(c))
		return SD_E_TRUNC;
	if (rectype != PKTAP_REC_PACKET) { /* no packet in this record */
		out->ethertype = 0;
		return SD_OK;
	}
	/* The inner DLT is looked up in this same table (Wireshark maps it as a
	 * LINKTYPE_ value too), but never as PKTAP again: no nesting. */
	int (*dec)(struct cur *, struct sd_link *) = dlt == 258 ? NULL : find((int)dlt);
	if (!dec)
		return SD_E_UNSUPPORTED;
	return dec(c, out);
}

int sd_link_supported(int linktype)
{
	return find(linktype) != NULL;
}

int sd_link_decode_any(int linktype, struct cur frame, struct sd_link *out)
{
	memset(out, 0, sizeof *out);
	int (*dec)(struct cur *, struct sd_link *) = find(linktype);
	if (!dec)
		return SD_E_UNSUPPORTED;
	int r = dec(&frame, out);
	if (r != SD_OK)
		return r;
	out->net = cur_rest(&frame);
	return SD_OK;
}
