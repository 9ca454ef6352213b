/*
 * capwriter.h - a small capture writer and packet builder for test tooling.
 *
 * It writes classic pcap (µs or ns, optionally gzip) and pcapng (several
 * interfaces, per-interface if_tsresol, comments, a DSB), and builds the
 * packets sipdisc cares about: link headers (Ethernet with 802.1Q/QinQ, SLL2,
 * BSD NULL, raw IP), IPv4/IPv6 with fragmentation, UDP, TCP with a tiny
 * connection helper, DNS messages and TLS handshakes with real (OpenSSL
 * made, deterministic Ed25519) certificates.
 *
 * Used by harness/capsynth (edge cases real programs won't produce) and
 * bench/capgen (deterministic benchmark captures). Everything here WRITES
 * bytes; every append is bounds-checked against a growable buffer, and an
 * out-of-memory condition aborts (test tooling has nothing better to do).
 */
#ifndef CAPWRITER_H
#define CAPWRITER_H

#include <stddef.h>
#include <stdint.h>

/* LINKTYPE_* values used here. */
#define CW_LT_NULL 0
#define CW_LT_ETHERNET 1
#define CW_LT_RAW 101
#define CW_LT_LINUX_SLL2 276

/* ------------------------------------------------------------ buffers */

/* A growable byte buffer; all builders append to one. */
struct cw_buf {
	uint8_t *p;
	size_t len, cap;
};

void cw_buf_init(struct cw_buf *b);
void cw_buf_free(struct cw_buf *b);
void cw_buf_reset(struct cw_buf *b);
void cw_buf_reserve(struct cw_buf *b, size_t extra);
void cw_put(struct cw_buf *b, const void *p, size_t n);
void cw_put_zero(struct cw_buf *b, size_t n);
void cw_put_u8(struct cw_buf *b, uint8_t v);
void cw_put_be16(struct cw_buf *b, uint16_t v);
void cw_put_be24(struct cw_buf *b, uint32_t v);
void cw_put_be32(struct cw_buf *b, uint32_t v);
/* Overwrite at an offset already written (length prefixes filled in late). */
void cw_set_be16(struct cw_buf *b, size_t off, uint16_t v);
void cw_set_be24(struct cw_buf *b, size_t off, uint32_t v);

/* ------------------------------------------------------------ files */

enum cw_format {
	CW_PCAP,    /* classic pcap, microsecond timestamps */
	CW_PCAP_NS, /* classic pcap, nanosecond magic */
	CW_PCAPNG,
};

struct cw_file;

/* Opens path for writing. For pcap, linktype/snaplen go to the file header;
 * for pcapng they describe interface 0 (if_tsresol 6, µs). gzip: compress
 * the whole stream with zlib. Frames longer than an interface's snaplen are
 * cut (caplen < len), like a real capture. NULL on failure (errno set). */
struct cw_file *cw_open(const char *path, enum cw_format fmt, int linktype, uint32_t snaplen, int gzip);

/* pcapng only: adds an interface and returns its id (>= 1), or -1.
 * tsresol is the if_tsresol option byte (6 = µs, 9 = ns, 0x80|n = 2^-n). */
int cw_add_interface(struct cw_file *f, int linktype, uint32_t snaplen, uint8_t tsresol);

/* pcapng only: a Decryption Secrets Block (type 0x544c534b, TLS key log),
 * which readers that do not use it must skip. */
int cw_write_dsb(struct cw_file *f, const char *keylog);

/* Writes one frame on interface ifid (0 for pcap) at ts_ns nanoseconds since
 * the epoch. comment (pcapng only, may be NULL) becomes an opt_comment.
 * 0 on success, -1 on error. */
int cw_write(struct cw_file *f, int ifid, uint64_t ts_ns, const uint8_t *frame, size_t len, const char *comment);

/* Bytes written so far (uncompressed). */
uint64_t cw_bytes(const struct cw_file *f);

/* Flushes and closes; 0 on success. */
int cw_close(struct cw_file *f);

/* ------------------------------------------------------------ addresses */

struct cw_addr {
	int family; /* 4 or 6 */
	uint8_t a[16];
};

struct cw_addr cw_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
/* 2001:db8:<hi>::<lo> - the documentation prefix. */
struct cw_addr cw_ip6_doc(uint16_t hi, uint32_t lo);

/* ------------------------------------------------------------ link layer */

struct cw_link {
	int linktype;               /* CW_LT_* */
	uint8_t src_mac[6], dst_mac[6];
	uint16_t outer_tpid;        /* 0 = no outer tag; 0x88a8 (802.1ad) or 0x8100 */
	uint16_t outer_vid;
	int inner_tag;              /* nonzero: an 802.1Q tag (after the outer one, if any) */
	uint16_t inner_vid;
	uint32_t sll_ifindex;       /* SLL2 interface index */
	uint16_t sll_pkttype;       /* SLL2 packet type (0 host, 4 outgoing) */
};

/* A plain Ethernet link with fixed documentation MACs. */
struct cw_link cw_link_ether(void);

/* Prepends the link header for an IP packet of family af (4/6) to out. */
void cw_link_header(const struct cw_link *l, int af, struct cw_buf *out);

/* ------------------------------------------------------------ IP */

/* Internet checksum over buf, folded, starting from partial sum init. */
uint32_t cw_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t cw_csum_fold(uint32_t sum);

/* Appends an IPv4 header (20 bytes, correct checksum) + payload. frag_off is
 * in 8-byte units; mf sets More Fragments; df sets Don't Fragment. */
void cw_ipv4(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
	     uint16_t id, uint8_t ttl, uint16_t frag_off, int mf, int df, const uint8_t *payload, size_t len);
/* Appends an IPv6 header + payload (no extension header). */
void cw_ipv6(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
	     uint8_t hlim, const uint8_t *payload, size_t len);
/* Appends an IPv6 header + Fragment extension header + fragment payload. */
void cw_ipv6_frag(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
		  uint32_t ident, uint16_t frag_off, int mf, const uint8_t *payload, size_t len);

/* Appends a UDP / TCP header + payload with a correct checksum. */
void cw_udp(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint16_t sport,
	    uint16_t dport, const uint8_t *payload, size_t len);

#define CW_TCP_FIN 0x01
#define CW_TCP_SYN 0x02
#define CW_TCP_RST 0x04
#define CW_TCP_PSH 0x08
#define CW_TCP_ACK 0x10

/* mss != 0 adds an MSS option (for SYNs). */
void cw_tcp(struct cw_buf *out, const struct cw_addr *src, const struct cw_addr *dst, uint16_t sport,
	    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, uint16_t mss,
	    const uint8_t *payload, size_t len);

/* ------------------------------------------------------------ emitter */

/* Where built packets go: one interface of a file, one link, a clock. */
struct cw_net {
	struct cw_file *f;
	int ifid;
	struct cw_link link;
	uint64_t ts_ns;       /* timestamp of the next frame */
	uint64_t step_ns;     /* added after every frame */
	uint16_t ipv4_id;     /* next IPv4 identification */
	uint32_t ipv6_ident;  /* next IPv6 fragment identification */
	uint32_t mtu;         /* 0 = never fragment; else IP packets above mtu are fragmented */
	int frag_reverse;     /* emit fragments last-first (out of order) */
	const char *comment;  /* pcapng comment for the next frame, then cleared */
	struct cw_buf scratch, frame;
	uint64_t frames;      /* frames written through this emitter */
};

void cw_net_init(struct cw_net *n, struct cw_file *f, int ifid, const struct cw_link *link, uint64_t ts_ns);
void cw_net_free(struct cw_net *n);

/* Wraps an IP payload (proto + transport bytes) into IP (fragmenting per
 * n->mtu), then the link header, and writes each frame. 0 on success. */
int cw_send_ip(struct cw_net *n, const struct cw_addr *src, const struct cw_addr *dst, uint8_t proto,
	       const uint8_t *l4, size_t len);
/* Writes an already-built IP packet (e.g. a hand-made fragment). */
int cw_send_raw_ip(struct cw_net *n, int af, const uint8_t *ip, size_t len);

int cw_send_udp(struct cw_net *n, const struct cw_addr *src, uint16_t sport, const struct cw_addr *dst,
		uint16_t dport, const uint8_t *payload, size_t len);

/* ------------------------------------------------------------ TCP helper */

/* One connection; side 0 = client, 1 = server. seq[i] is the next sequence
 * number side i will send. */
struct cw_tcp {
	struct cw_net *net;
	struct cw_addr addr[2];
	uint16_t port[2];
	uint32_t seq[2];
	uint16_t mss;
	uint16_t win;
};

void cw_tcp_init(struct cw_tcp *t, struct cw_net *net, const struct cw_addr *cli, uint16_t cport,
		 const struct cw_addr *srv, uint16_t sport, uint32_t cli_isn, uint32_t srv_isn, uint16_t mss);
/* SYN, SYN-ACK, ACK. */
int cw_tcp_handshake(struct cw_tcp *t);
/* One segment with explicit seq (does not move t->seq): the primitive for
 * retransmissions, overlaps and mid-stream starts. ack = peer's next seq. */
int cw_tcp_emit(struct cw_tcp *t, int side, uint32_t seq, uint8_t flags, const uint8_t *data, size_t len);
/* Sends data from side, cut at the MSS, in order; advances t->seq[side]. */
int cw_tcp_send(struct cw_tcp *t, int side, const uint8_t *data, size_t len);

/* A planned segment of a send: data[off..off+len) at sequence seq. */
struct cw_seg {
	uint32_t seq;
	size_t off, len;
};
/* Cuts len bytes at the MSS into at most max segments, advancing
 * t->seq[side] as if all were sent; returns the count (0 if max is too small). */
size_t cw_tcp_plan(struct cw_tcp *t, int side, size_t len, struct cw_seg *segs, size_t max);
/* Emits planned segments in the order given by order[0..norder) (indexes
 * into segs): repeat an index to duplicate, omit one to leave a gap,
 * permute to reorder. Indexes >= nsegs are ignored. */
int cw_tcp_emit_order(struct cw_tcp *t, int side, const uint8_t *data, const struct cw_seg *segs, size_t nsegs,
		      const size_t *order, size_t norder);
/* A bare ACK from side. */
int cw_tcp_ack(struct cw_tcp *t, int side);
/* FIN from side and the peer's ACK; or a RST from side. */
int cw_tcp_fin(struct cw_tcp *t, int side);
int cw_tcp_rst(struct cw_tcp *t, int side);

/* ------------------------------------------------------------ DNS */

#define CW_DNS_A 1
#define CW_DNS_NS 2
#define CW_DNS_CNAME 5
#define CW_DNS_SOA 6
#define CW_DNS_AAAA 28
#define CW_DNS_SRV 33

#define CW_DNS_MAXCOMP 64

/* A DNS message under construction. Records must be added section by
 * section in order (question, answer, authority, additional). Names are
 * compressed against names already written. */
struct cw_dns {
	struct cw_buf b;
	int section; /* 0..3 */
	uint16_t count[4];
	size_t ncomp;
	struct {
		uint16_t off;
		char name[256]; /* lower-case suffix written at off */
	} comp[CW_DNS_MAXCOMP];
	int compress;
};

/* flags: the 16-bit header flags word (QR, opcode, AA, TC, RD, RA, rcode). */
#define CW_DNS_QUERY 0x0100       /* RD */
#define CW_DNS_RESPONSE 0x8180    /* QR RD RA, NOERROR */
#define CW_DNS_NXDOMAIN 0x8183    /* QR RD RA, NXDOMAIN */
void cw_dns_init(struct cw_dns *d, uint16_t id, uint16_t flags);
void cw_dns_free(struct cw_dns *d);
void cw_dns_question(struct cw_dns *d, const char *name, uint16_t type);
/* Moves on to section s (1 answer, 2 authority, 3 additional). */
void cw_dns_section(struct cw_dns *d, int s);
void cw_dns_a(struct cw_dns *d, const char *name, uint32_t ttl, const struct cw_addr *a);
void cw_dns_aaaa(struct cw_dns *d, const char *name, uint32_t ttl, const struct cw_addr *a);
void cw_dns_cname(struct cw_dns *d, const char *name, uint32_t ttl, const char *target);
void cw_dns_srv(struct cw_dns *d, const char *name, uint32_t ttl, uint16_t prio, uint16_t weight, uint16_t port,
		const char *target);
void cw_dns_soa(struct cw_dns *d, const char *zone, uint32_t ttl, const char *mname, const char *rname,
		uint32_t serial, uint32_t minimum);
/* Writes a name (compressed when possible) into the message; exposed for
 * hand-made records. */
void cw_dns_name(struct cw_dns *d, const char *name);
/* Fills the four section counts into the header; call before using d->b. */
const struct cw_buf *cw_dns_finish(struct cw_dns *d);

/* ------------------------------------------------------------ TLS */

#define CW_TLS_CHANGE_CIPHER_SPEC 20
#define CW_TLS_ALERT 21
#define CW_TLS_HANDSHAKE 22
#define CW_TLS_APPDATA 23

#define CW_TLS10 0x0301
#define CW_TLS12 0x0303
#define CW_TLS13 0x0304

/* Handshake messages (4-byte header included) appended to out. random is
 * 32 bytes (NULL = a fixed pattern). versions/nversions: a
 * supported_versions extension when nversions > 0. sni NULL = no SNI. */
void cw_tls_client_hello(struct cw_buf *out, uint16_t legacy_version, const uint8_t *random, const char *sni,
			 const uint16_t *versions, size_t nversions);
void cw_tls_server_hello(struct cw_buf *out, uint16_t version, uint16_t cipher, const uint8_t *random);
/* Certificate message carrying ders[0..n) (leaf first). */
void cw_tls_certificate(struct cw_buf *out, const struct cw_buf *ders, size_t n);
void cw_tls_server_hello_done(struct cw_buf *out);

/* Appends records of content type carrying body, each fragment at most
 * maxfrag bytes (0 = 16384): a handshake flight may thus be split at any size. */
void cw_tls_records(struct cw_buf *out, uint8_t type, uint16_t version, const uint8_t *body, size_t len,
		    size_t maxfrag);
/* One record with an explicit length field (for hostile lengths); body len
 * bytes follow, whatever the field says. */
void cw_tls_record_raw(struct cw_buf *out, uint8_t type, uint16_t version, uint16_t len_field,
		       const uint8_t *body, size_t len);
/* An alert record (level 2 = fatal, description e.g. 42 bad_certificate). */
void cw_tls_alert(struct cw_buf *out, uint16_t version, uint8_t level, uint8_t desc);

/* ------------------------------------------------------------ certificates */

/* A certificate made with OpenSSL, deterministic: the key is Ed25519 from
 * seed, the issuer key from issuer_seed (== seed for self-signed), fixed
 * serial and validity, so the DER is byte-identical on every run.
 * sans: dNSName entries (may be 0). ca: basicConstraints CA:TRUE.
 * Appends the DER to out; 0 on success, -1 on an OpenSSL error. */
struct cw_cert_spec {
	const uint8_t *seed;        /* 32 bytes */
	const char *cn;
	const char *const *sans;
	size_t nsans;
	const uint8_t *issuer_seed; /* 32 bytes */
	const char *issuer_cn;
	uint64_t serial;
	int64_t not_before, not_after; /* seconds since the epoch */
	int ca;
};
int cw_cert_make(const struct cw_cert_spec *spec, struct cw_buf *out);

/* ------------------------------------------------------------ random */

/* A deterministic PRNG (splitmix64): benchmarks must be reproducible. */
struct cw_rng {
	uint64_t s;
};
uint64_t cw_rng_next(struct cw_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t cw_rng_below(struct cw_rng *r, uint32_t n);

#endif
