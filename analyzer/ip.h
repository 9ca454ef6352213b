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

#endif
