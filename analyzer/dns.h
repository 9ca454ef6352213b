/*
 * dns.h - DNS messages (RFC 1035 and friends) over UDP and TCP.
 *
 * sd_dns_parse decodes one message into a caller-owned struct sd_dns_msg:
 * header, first question, and every resource record of all sections with
 * rdata for A, AAAA, CNAME, NS, PTR, SRV, SOA, TXT and OPT. Compression
 * pointers are followed only backwards, at most a fixed number of times,
 * and names are capped at 255 wire bytes, so no input can loop. A message
 * that breaks part-way keeps what was decoded before the break and says
 * where it broke.
 */
#ifndef SD_DNS_H
#define SD_DNS_H

#include "common.h"
#include "cursor.h"

#define SD_DNS_NAME_MAX 1025 /* presentation form with \DDD escapes, NUL */
#define SD_DNS_MAX_RR 64     /* records kept per message; more are counted */
#define SD_DNS_STRBUF 16384  /* arena for names and TXT strings */

enum {
	SD_DNS_T_A = 1, SD_DNS_T_NS = 2, SD_DNS_T_CNAME = 5, SD_DNS_T_SOA = 6,
	SD_DNS_T_PTR = 12, SD_DNS_T_MX = 15, SD_DNS_T_TXT = 16, SD_DNS_T_AAAA = 28,
	SD_DNS_T_SRV = 33, SD_DNS_T_OPT = 41, SD_DNS_T_ANY = 255,
};

enum { SD_DNS_RCODE_NOERROR = 0, SD_DNS_RCODE_SERVFAIL = 2, SD_DNS_RCODE_NXDOMAIN = 3 };

enum sd_dns_section { SD_DNS_AN = 1, SD_DNS_NS = 2, SD_DNS_AR = 3 };

struct sd_dns_rr {
	uint8_t section;     /* enum sd_dns_section */
	uint16_t type, cls;
	uint32_t ttl;
	const char *name;    /* owner, presentation form, no trailing dot ("" = root) */
	uint16_t rdlen;
	union {
		struct sd_addr addr;                 /* A, AAAA */
		const char *target;                  /* CNAME, NS, PTR (name) */
		struct { uint16_t priority, weight, port; const char *target; } srv;
		struct { uint16_t preference; const char *exchange; } mx;
		struct { const char *mname, *rname; uint32_t serial, refresh, retry, expire, minimum; } soa;
		struct { const char *text; } txt;    /* strings joined, escaped */
		struct { uint16_t udp_size; uint8_t ext_rcode, version; uint8_t do_bit; } opt;
	} u;
};

struct sd_dns_msg {
	uint16_t id;
	uint8_t qr, opcode, aa, tc, rd, ra, ad, cd;
	uint16_t rcode;            /* includes the EDNS extended bits when OPT is present */
	uint16_t qdcount, ancount, nscount, arcount;
	/* first question (has_question = 0 when qdcount is 0 or it is unreadable) */
	uint8_t has_question;
	const char *qname;
	uint16_t qtype, qclass;
	/* records in wire order, all sections */
	size_t nrr;
	size_t rr_dropped;         /* records beyond SD_DNS_MAX_RR, counted not kept */
	struct sd_dns_rr rr[SD_DNS_MAX_RR];
	/* SD_OK, or where decoding stopped: status SD_E_TRUNC / SD_E_MALFORMED,
	 * error names the field ("answer 2 rdata: SRV target") */
	int status;
	char error[96];
	/* private string arena */
	size_t strused;
	char strbuf[SD_DNS_STRBUF];
};

/* Decodes buf[0..len). truncated_capture: the bytes were cut by the
 * snaplen, so running out is SD_E_TRUNC rather than SD_E_MALFORMED.
 * Returns msg->status. The header must be present (12 bytes) for anything
 * else to be filled. */
int sd_dns_parse(const uint8_t *buf, size_t len, int truncated_capture, struct sd_dns_msg *msg);

const char *sd_dns_type_str(uint16_t type, char *buf, size_t len); /* "SRV", "TYPE65" */
uint16_t sd_dns_type_num(const char *name); /* the inverse: "SRV" 33, "TYPE65" 65; 0 unknown */
const char *sd_dns_rcode_str(uint16_t rcode);                      /* "NXDOMAIN" */

/* Heuristic: could these bytes be a DNS message (used to recognise DNS on
 * port 53 only; returns 1 when the header is sane). */
int sd_dns_plausible(const uint8_t *buf, size_t len);

/*
 * DNS over TCP framing (RFC 1035 4.2.2): a 2-byte length prefix, several
 * messages per stream, messages split across segments. Feed stream bytes in
 * order; on_msg gets each whole message with the frame that completed it.
 */
struct sd_dnstcp;
typedef void (*sd_dnstcp_fn)(void *ud, const uint8_t *msg, size_t len, uint64_t frame_first,
			     uint64_t frame, int64_t ts_ns);
struct sd_dnstcp *sd_dnstcp_new(sd_dnstcp_fn fn, void *ud);
/* Returns 0, or SD_E_MALFORMED when the stream cannot be DNS (then stop feeding). */
int sd_dnstcp_feed(struct sd_dnstcp *s, const uint8_t *data, size_t len, uint64_t frame,
		   int64_t ts_ns);
/* A gap in the stream: framing is lost; the parser resynchronises only if
 * the gap ends on a message boundary it can recognise, else stops. */
void sd_dnstcp_gap(struct sd_dnstcp *s, uint32_t len);
/* Bytes of an incomplete message still held (reported at end of stream). */
size_t sd_dnstcp_pending(const struct sd_dnstcp *s);
void sd_dnstcp_free(struct sd_dnstcp *s);

#endif
