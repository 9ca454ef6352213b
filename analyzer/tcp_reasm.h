/*
 * tcp_reasm.h - TCP: header parsing, connection table and per-direction
 * stream reassembly.
 *
 * Delivery contract: bytes reach the consumer in sequence order, exactly
 * once. Retransmissions and overlaps keep the first copy seen. Data that
 * never arrives is reported as a gap (never papered over) and delivery
 * resumes after it. Each delivered chunk carries the frame at which it
 * became deliverable in order: for an out-of-order segment that is the
 * frame that filled the hole before it, which is where Wireshark shows the
 * reassembled PDU. Memory is bounded per direction and overall; idle
 * connections are evicted so memory stays flat for any capture length.
 */
#ifndef SD_TCP_REASM_H
#define SD_TCP_REASM_H

#include "common.h"
#include "cursor.h"

#define SD_TCP_FIN 0x01
#define SD_TCP_SYN 0x02
#define SD_TCP_RST 0x04
#define SD_TCP_PSH 0x08
#define SD_TCP_ACK 0x10

struct sd_tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	struct cur payload; /* captured payload */
	uint32_t missing;   /* payload bytes not captured (snaplen) */
};

/* Parses a TCP header from an IP payload. missing = IP payload bytes not
 * captured. SD_E_TRUNC if the header itself was cut, SD_E_MALFORMED if
 * the data offset is impossible. Inline: it runs for every TCP packet. */
static inline int sd_tcp_parse(struct cur l4, uint32_t missing, struct sd_tcp_seg *out)
{
	struct cur c = l4;
	/* Fields are set one by one (no clearing of the whole struct per packet);
	 * payload and missing only once the header is known to be whole. */
	struct cur h = cur_sub(&c, 20);
	out->payload = cur_init(NULL, 0);
	out->missing = 0;
	if (!cur_ok(&h)) {
		out->sport = out->dport = 0;
		out->seq = out->ack = 0;
		out->flags = 0;
		return missing ? SD_E_TRUNC : SD_E_MALFORMED;
	}
	out->sport = cur_at_be16(&h, 0);
	out->dport = cur_at_be16(&h, 2);
	out->seq = cur_at_be32(&h, 4);
	out->ack = cur_at_be32(&h, 8);
	uint8_t off = cur_at_u8(&h, 12);
	out->flags = cur_at_u8(&h, 13);
	/* window, checksum, urgent pointer are not read */
	size_t hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20)
		return SD_E_MALFORMED;
	/* Options past the captured bytes: cut by the snaplen if the wire had
	 * them, impossible if even the on-wire payload is shorter. */
	if (hlen > l4.len) {
		if ((uint64_t)hlen > (uint64_t)l4.len + missing)
			return SD_E_MALFORMED;
		return SD_E_TRUNC;
	}
	cur_skip(&c, hlen - 20);
	out->payload = cur_rest(&c);
	out->missing = missing; /* the header was whole, so all of it is payload */
	return SD_OK;
}

enum sd_tcp_dir { SD_TCP_C2S = 0, SD_TCP_S2C = 1 }; /* client = SYN sender */

/* How a connection (or its attempt) went, reported through on_state. */
enum sd_tcp_state {
	SD_TCPS_SYN,         /* client SYN seen */
	SD_TCPS_ESTABLISHED, /* SYN-ACK seen (handshake answered) */
	SD_TCPS_REFUSED,     /* RST answering a SYN: connection refused */
	SD_TCPS_RESET,       /* RST after establishment (dir = who sent it) */
	SD_TCPS_FIN,         /* FIN (dir = who sent it) */
	SD_TCPS_TIMEOUT,     /* SYN never answered before eviction/end */
	SD_TCPS_CLOSED,      /* state released (after FIN/RST, eviction or end) */
};

struct sd_tcp_conn_info {
	uint64_t id;                 /* 1-based, in order of first sight */
	struct sd_addr client, server;
	uint16_t cport, sport;
	uint8_t saw_syn;             /* 0: the capture started mid-connection */
	uint64_t first_frame;
	int64_t first_ts_ns;
};

struct sd_tcp_cb {
	void *ud;
	/* A new connection. Returns the consumer's per-connection pointer. */
	void *(*on_open)(void *ud, const struct sd_tcp_conn_info *ci);
	/* In-order bytes of one direction. Return 0 to keep receiving this
	 * direction, nonzero to stop (the reassembler then keeps no data for it). */
	int (*on_data)(void *ud, void *conn, int dir, const uint8_t *data, size_t len,
		       uint64_t frame, int64_t ts_ns);
	/* len bytes at this point of direction dir will never be delivered. */
	void (*on_gap)(void *ud, void *conn, int dir, uint32_t len, uint64_t frame, int64_t ts_ns);
	/* Connection state changes; SD_TCPS_CLOSED is the last call for conn. */
	void (*on_state)(void *ud, void *conn, enum sd_tcp_state st, int dir, uint64_t frame,
			 int64_t ts_ns);
};

struct sd_tcp_limits {
	size_t max_conns;        /* live connections kept; LRU beyond */
	size_t max_dir_buffer;   /* out-of-order bytes held per direction */
	size_t max_total_buffer; /* out-of-order bytes held overall */
	int64_t idle_timeout_ns; /* capture-time idle before eviction */
};

struct sd_tcp;

/* limits may be NULL for the defaults (65536 conns, 256 KiB, 16 MiB, 300 s). */
struct sd_tcp *sd_tcp_new(const struct sd_tcp_limits *limits, const struct sd_tcp_cb *cb);

/* Feeds one segment (addresses from the IP layer). */
void sd_tcp_segment(struct sd_tcp *t, const struct sd_addr *src, const struct sd_addr *dst,
		    const struct sd_tcp_seg *seg, uint64_t frame, int64_t ts_ns);

/* Evicts connections idle since before now_ns - idle_timeout. Called by the
 * pipeline as capture time advances. */
void sd_tcp_expire(struct sd_tcp *t, int64_t now_ns);

/* End of input: flushes every connection (gaps for held data, TIMEOUT for
 * unanswered SYNs, CLOSED for all). */
void sd_tcp_finish(struct sd_tcp *t);
void sd_tcp_free(struct sd_tcp *t);

struct sd_tcp_stats {
	uint64_t conns_total, conns_live, evicted_idle, evicted_limit;
	uint64_t bytes_delivered, gaps, gap_bytes, overlaps, held_bytes;
};
void sd_tcp_stats(const struct sd_tcp *t, struct sd_tcp_stats *out);

#endif
