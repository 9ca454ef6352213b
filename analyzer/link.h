/*
 * link.h - link layer: from a frame to its network-layer payload.
 * Table-driven by link type: Ethernet (with 802.1Q/802.1ad/QinQ tags),
 * Linux cooked SLL and SLL2, BSD loopback/NULL (either byte order), raw
 * IPv4/IPv6 (LINKTYPE_RAW, IPV4, IPV6), and Apple PKTAP around any of
 * these (an unknown DLT inside PKTAP is SD_E_UNSUPPORTED).
 */
#ifndef SD_LINK_H
#define SD_LINK_H

#include "common.h"
#include "cursor.h"

#define SD_ETH_IPV4 0x0800
#define SD_ETH_IPV6 0x86dd
#define SD_ETH_8021Q 0x8100
#define SD_ETH_8021AD 0x88a8
#define SD_ETH_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen */

struct sd_link {
	uint16_t ethertype; /* SD_ETH_IPV4, SD_ETH_IPV6, or another value (not IP) */
	uint8_t nvlan;      /* VLAN tags stripped (at most 2 kept in vlan[]) */
	uint16_t vlan[2];   /* VLAN ids, outermost first */
	struct cur net;     /* network-layer bytes (captured part) */
};

/* Any link type (sd_link_decode without its inline Ethernet path). */
int sd_link_decode_any(int linktype, struct cur frame, struct sd_link *out);

static inline int sd_eth_is_tag(uint16_t type)
{
	return type == SD_ETH_8021Q || type == SD_ETH_8021AD || type == SD_ETH_QINQ_OLD;
}

/* Ethernet II with at most two VLAN tags, nearly every frame: inline in the
 * caller, fixed-size reads. 0 leaves the frame to sd_link_decode_any (LLC,
 * deeper tag stacks, short frames). cur_ok comes before the reads of each
 * window so the compiler knows its size and drops their checks. */
static inline int sd_link_ether_fast(struct cur c, struct sd_link *out)
{
	struct cur h = cur_sub(&c, 14);
	if (!cur_ok(&h))
		return 0;
	uint16_t type = cur_at_be16(&h, 12);
	uint16_t vlan[2] = { 0, 0 };
	uint8_t nv = 0;
	while (sd_eth_is_tag(type)) {
		if (nv == 2)
			return 0;
		h = cur_sub(&c, 4);
		if (!cur_ok(&h))
			return 0;
		vlan[nv++] = cur_at_be16(&h, 0) & 0x0fff;
		type = cur_at_be16(&h, 2);
	}
	if (type <= 1500)
		return 0;
	out->ethertype = type;
	out->nvlan = nv;
	out->vlan[0] = vlan[0];
	out->vlan[1] = vlan[1];
	out->net = cur_rest(&c);
	return 1;
}

/* SD_OK with out filled; SD_E_UNSUPPORTED for an unknown link type;
 * SD_E_TRUNC / SD_E_MALFORMED when the header does not fit. A non-IP
 * ethertype is SD_OK with out->ethertype set: callers skip it. */
static inline int sd_link_decode(int linktype, struct cur frame, struct sd_link *out)
{
	if (linktype == 1 && sd_link_ether_fast(frame, out))
		return SD_OK;
	return sd_link_decode_any(linktype, frame, out);
}

/* Nonzero if sd_link_decode knows this link type. */
int sd_link_supported(int linktype);

#endif
