/*
 * ip.h - IPv4 and IPv6 (extension headers, IP-in-IP and 6in4 tunnels) and
 * fragment reassembly with bounded memory and timeouts.
 */
#ifndef SD_IP_H
#define SD_IP_H

#include "common.h"
#include "cursor.h"

/* One transport-layer datagram, whole (reassembled when it was fragmented). */
struct sd_ip_pkt {
	struct sd_addr src, dst;
	uint8_t proto;        /* 6 = TCP, 17 = UDP, ... */
	struct cur payload;   /* transport header + data, captured part */
	uint32_t missing;     /* payload bytes on the wire but not captured (snaplen) */
	uint64_t first_frame; /* first fragment's frame (== current frame if not fragmented) */
	uint8_t fragmented;   /* 1 when reassembled from fragments */
};

struct sd_ipfrag; /* reassembly state */

/* The first member of struct sd_ipfrag: lets the per-packet path skip the
 * timeout walk when no datagram is held, without a call. */
struct sd_ipfrag_head {
	size_t ndgram; /* datagrams held */
};

static inline int sd_ipfrag_held(const struct sd_ipfrag *f)
{
	return ((const struct sd_ipfrag_head *)(const void *)f)->ndgram != 0;
}

/* max_bytes bounds all held fragment data; a datagram not completed within
 * timeout_ns of capture time is dropped (and counted). */
struct sd_ipfrag *sd_ipfrag_new(size_t max_bytes, int64_t timeout_ns);
void sd_ipfrag_free(struct sd_ipfrag *f);

enum { SD_IP_DONE = 1, SD_IP_HELD = 2 };

/*
 * Decodes the network layer of one frame.
 *   ethertype  SD_ETH_IPV4 or SD_ETH_IPV6
 *   net        the network-layer bytes as captured
 *   missing    bytes of this frame not captured (wirelen - caplen)
 * Returns SD_IP_DONE with *out filled (payload valid until the next call),
 * SD_IP_HELD when a fragment was stored and no datagram is complete yet, or
 * a negative sd_status (SD_E_TRUNC when the header itself was cut by the
 * snaplen, SD_E_MALFORMED for inconsistent headers).
 */
static inline int sd_ip_decode(struct sd_ipfrag *f, uint16_t ethertype, struct cur net, uint32_t missing,
			       uint64_t frame, int64_t ts_ns, struct sd_ip_pkt *out);

/* Every case (sd_ip_decode without its inline IPv4 path). */
int sd_ip_decode_any(struct sd_ipfrag *f, uint16_t ethertype, struct cur net, uint32_t missing,
		     uint64_t frame, int64_t ts_ns, struct sd_ip_pkt *out);

static inline void sd_ip_addr4_at(const struct cur *h, size_t off, struct sd_addr *a)
{
	memset(a, 0, sizeof *a);
	a->family = 4;
	cur_at_copy(h, off, a->a, 4);
}

/*
 * The common case, inline in the caller: IPv4 with a consistent header, not
 * a fragment, carrying neither IPv4 (4) nor IPv6 (41). Gives what the full
 * decoder would; 0 sends everything else (and every error) to it.
 */
static inline int sd_ip_v4_plain(struct cur net, uint64_t missing, uint64_t frame, struct sd_ip_pkt *out)
{
	size_t cap = cur_left(&net);
	struct cur h = cur_sub(&net, 20);
	if (!cur_ok(&h))
		return 0;
	uint8_t vihl = cur_at_u8(&h, 0);
	uint64_t tot = cur_at_be16(&h, 2);
	uint16_t fo = cur_at_be16(&h, 6);
	uint8_t proto = cur_at_u8(&h, 9);
	size_t hl = (size_t)(vihl & 0x0f) * 4;
	uint64_t wire = cap + missing;
	if (vihl >> 4 != 4 || hl < 20 || (fo & 0x3fff) || proto == 4 || proto == 41)
		return 0;
	if (tot == 0)
		tot = wire; /* segmentation offload: the sender's NIC fills it in later */
	if (tot < hl || tot > wire || cap < hl)
		return 0;
	sd_ip_addr4_at(&h, 12, &out->src);
	sd_ip_addr4_at(&h, 16, &out->dst);
	cur_skip(&net, hl - 20);
	uint64_t pl_wire = tot - hl;
	size_t pl_cap = cur_left(&net) < pl_wire ? cur_left(&net) : (size_t)pl_wire;
	out->proto = proto;
	out->payload = cur_sub(&net, pl_cap);
	uint64_t miss = pl_wire - pl_cap;
	out->missing = miss > UINT32_MAX ? UINT32_MAX : (uint32_t)miss;
	out->fragmented = 0;
	out->first_frame = frame;
	return 1;
}

struct sd_ipfrag_stats {
	uint64_t reassembled, timed_out, dropped_limit, held_bytes;
};
void sd_ipfrag_stats(const struct sd_ipfrag *f, struct sd_ipfrag_stats *out);

static inline int sd_ip_decode(struct sd_ipfrag *f, uint16_t ethertype, struct cur net, uint32_t missing,
			       uint64_t frame, int64_t ts_ns, struct sd_ip_pkt *out)
{
	/* with fragments held, their timeouts run first: the full path */
	if (ethertype == 0x0800 && !(f && sd_ipfrag_held(f)) && sd_ip_v4_plain(net, missing, frame, out))
		return SD_IP_DONE;
	return sd_ip_decode_any(f, ethertype, net, missing, frame, ts_ns, out);
}

/* ---- internal to ip.c / ipfrag.c (one prototype both files see) ---- */

/* A datagram's identity: RFC 791 (src, dst, id, proto) for IPv4; for IPv6
 * the id is 32 bits and proto is the fragment header's next header. */
struct sd_ipfrag_key {
	struct sd_addr src, dst;
	uint32_t id;
	uint8_t proto;
};

/* Stores one fragment: data holds its captured bytes, wire_len its length on
 * the wire (more than cur_left(&data) when cut by the snaplen), off its byte
 * offset, more the more-fragments flag. Returns SD_IP_HELD; SD_IP_DONE with
 * *whole (the reassembled bytes, owned by f, valid until the next call) and
 * *first_frame; or SD_E_TRUNC (a fragment of it was cut by the capture),
 * SD_E_MALFORMED (inconsistent fragments), SD_E_LIMIT (cannot fit). */
int sd_ipfrag_add(struct sd_ipfrag *f, const struct sd_ipfrag_key *k, uint32_t off, int more,
		  struct cur data, uint32_t wire_len, uint64_t frame, int64_t ts_ns, struct cur *whole,
		  uint64_t *first_frame);

/* Drops datagrams whose first fragment is older than the timeout at now_ns. */
void sd_ipfrag_expire(struct sd_ipfrag *f, int64_t now_ns);

#endif
