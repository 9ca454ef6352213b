/*
 * tls.h - TLS/SSL handshake decoder over one reassembled TCP direction.
 *
 * Record layer (SSL 3.0 .. TLS 1.3), handshake messages that span records
 * and segments, ClientHello (SNI, ALPN, offered versions), ServerHello
 * (version incl. supported_versions, cipher, HelloRetryRequest), Certificate
 * (the chain as DER blobs), alerts, and the point where the handshake goes
 * dark (ChangeCipherSpec, or TLS 1.3 after ServerHello). Recognised by
 * content, on any port. A stream that starts with an HTTP CONNECT exchange
 * (clients behind a proxy) is followed into the TLS that comes after it.
 *
 * The parser works like Suricata's: it consumes what it can and holds at
 * most one incomplete record / handshake message (bounded) until more bytes
 * arrive.
 */
#ifndef SD_TLS_H
#define SD_TLS_H

#include "common.h"
#include "cursor.h"

#define SD_TLS_MAX_VERSIONS 16
#define SD_TLS_MAX_CHAIN 16
#define SD_TLS_MAX_MSG (1u << 20) /* largest handshake message held (1 MiB) */

/* Version numbers as on the wire: 0x0300 SSL 3.0, 0x0301 TLS 1.0 .. 0x0304 TLS 1.3 */
const char *sd_tls_version_str(uint16_t v); /* "TLS 1.2", "0x7f1c" */
uint16_t sd_tls_version_num(const char *name); /* the inverse; 0 unknown */
const char *sd_tls_alert_str(uint8_t desc);  /* "bad_certificate" */

struct sd_tls_client_hello {
	uint16_t legacy_version;
	uint16_t versions[SD_TLS_MAX_VERSIONS]; /* supported_versions, GREASE removed */
	uint8_t nversions;
	char sni[256];   /* "" when absent */
	char alpn[128];  /* protocols joined with "," */
	uint16_t ncipher;
};

struct sd_tls_server_hello {
	uint16_t legacy_version;
	uint16_t version;      /* negotiated: supported_versions if present */
	uint16_t cipher;
	uint8_t hello_retry;   /* HelloRetryRequest */
};

struct sd_tls_cert_der {
	const uint8_t *der;
	uint32_t len;
};

struct sd_tls_chain {
	size_t n;                    /* certificates kept (<= SD_TLS_MAX_CHAIN) */
	size_t total;                /* certificates in the message */
	struct sd_tls_cert_der c[SD_TLS_MAX_CHAIN]; /* valid during the callback */
};

struct sd_tls_cb {
	void *ud;
	void (*client_hello)(void *ud, const struct sd_tls_client_hello *h, uint64_t frame_first,
			     uint64_t frame, int64_t ts_ns);
	void (*server_hello)(void *ud, const struct sd_tls_server_hello *h, uint64_t frame_first,
			     uint64_t frame, int64_t ts_ns);
	void (*certificate)(void *ud, const struct sd_tls_chain *chain, uint64_t frame_first,
			    uint64_t frame, int64_t ts_ns);
	void (*alert)(void *ud, uint8_t level, uint8_t desc, int encrypted, uint64_t frame,
		      int64_t ts_ns);
	/* Handshake content is no longer visible (ChangeCipherSpec / TLS 1.3
	 * encrypted handshake / application data); called once. */
	void (*encrypted)(void *ud, uint16_t version, uint64_t frame, int64_t ts_ns);
	/* Decoding stopped: SD_E_MALFORMED / SD_E_LIMIT / SD_E_UNSUPPORTED. */
	void (*error)(void *ud, int status, const char *what, uint64_t frame, int64_t ts_ns);
};

/* Does a stream starting with these bytes look like TLS (a handshake record
 * of a known version) or an HTTP CONNECT that may lead to TLS? 1 yes, 0 no,
 * -1 need more bytes to tell. */
int sd_tls_probe(const uint8_t *data, size_t len);

struct sd_tls; /* one direction of one connection */

/* is_server: this direction is the server's (affects which hellos are expected). */
struct sd_tls *sd_tls_new(int is_server, const struct sd_tls_cb *cb);
/* Feeds in-order stream bytes. Returns 0 to go on, nonzero when there is
 * nothing more to learn from this direction: after an alert, an error or a
 * gap. Going dark alone is not the end: an encrypted alert that follows it
 * still tells how the handshake ended. */
int sd_tls_feed(struct sd_tls *t, const uint8_t *data, size_t len, uint64_t frame, int64_t ts_ns);
/* A gap: the decoder stops unless the handshake is already over. */
void sd_tls_gap(struct sd_tls *t, uint32_t len, uint64_t frame, int64_t ts_ns);
/* The negotiated version, once the ServerHello of the other direction is
 * known (TLS 1.3 hides everything after ServerHello). */
void sd_tls_set_version(struct sd_tls *t, uint16_t version);
/* Bytes of an incomplete record / message held at end of stream. */
size_t sd_tls_pending(const struct sd_tls *t);
void sd_tls_free(struct sd_tls *t);

#endif
