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

struct sd_link {
	uint16_t ethertype; /* SD_ETH_IPV4, SD_ETH_IPV6, or another value (not IP) */
	uint8_t nvlan;      /* VLAN tags stripped (at most 2 kept in vlan[]) */
	uint16_t vlan[2];   /* VLAN ids, outermost first */
	struct cur net;     /* network-layer bytes (captured part) */
};

/* SD_OK with out filled; SD_E_UNSUPPORTED for an unknown link type;
 * SD_E_TRUNC / SD_E_MALFORMED when the header does not fit. A non-IP
 * ethertype is SD_OK with out->ethertype set: callers skip it. */
int sd_link_decode(int linktype, struct cur frame, struct sd_link *out);

/* Nonzero if sd_link_decode knows this link type. */
int sd_link_supported(int linktype);

#endif
