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
int sd_ip_decode(struct sd_ipfrag *f, uint16_t ethertype, struct cur net, uint32_t missing,
		 uint64_t frame, int64_t ts_ns, struct sd_ip_pkt *out);

struct sd_ipfrag_stats {
	uint64_t reassembled, timed_out, dropped_limit, held_bytes;
};
void sd_ipfrag_stats(const struct sd_ipfrag *f, struct sd_ipfrag_stats *out);

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
