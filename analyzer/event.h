/*
 * event.h - the decoded event stream: what the capture shows happened, in
 * capture order, each event with the frame(s) that prove it. Produced by
 * the pipeline (pipeline.h), consumed by dump output and by the sign-in
 * reconstruction. Pointers inside an event are valid only during the
 * callback: consumers copy what they keep.
 */
#ifndef SD_EVENT_H
#define SD_EVENT_H

#include <stdio.h>

#include "common.h"
#include "dns.h"
#include "tls.h"
#include "x509.h"

enum sd_ev_type {
	SD_EV_DNS_QUERY,        /* u.dns: a query (qr = 0) */
	SD_EV_DNS_RESPONSE,     /* u.dns: a response, paired when its query was seen */
	SD_EV_DNS_UNANSWERED,   /* u.dns: a query that got no response (end or timeout) */
	SD_EV_TCP_SYN,          /* client opened a connection attempt */
	SD_EV_TCP_ESTABLISHED,  /* server answered the SYN */
	SD_EV_TCP_REFUSED,      /* RST in answer to a SYN */
	SD_EV_TCP_RESET,        /* RST after establishment; u.tcp.by_server */
	SD_EV_TCP_FIN,          /* orderly close; u.tcp.by_server */
	SD_EV_TCP_TIMEOUT,      /* SYN never answered */
	SD_EV_TCP_GAP,          /* u.tcp: bytes missing from the capture */
	SD_EV_TLS_CLIENT_HELLO, /* u.ch */
	SD_EV_TLS_SERVER_HELLO, /* u.sh */
	SD_EV_TLS_CERTIFICATE,  /* u.cert */
	SD_EV_TLS_ALERT,        /* u.alert */
	SD_EV_TLS_ENCRYPTED,    /* u.enc: handshake no longer visible */
	SD_EV_DECODE_ERROR,     /* u.err: truncated or malformed data, decoding goes on */
	SD_EV_CAPTURE_ERROR,    /* u.err: the capture file cannot be read further */
	SD_EV__COUNT
};

const char *sd_ev_type_str(enum sd_ev_type t); /* "dns-query", "tls-certificate", ... */

struct sd_event {
	enum sd_ev_type type;
	uint64_t frame;       /* the frame that completes the evidence */
	uint64_t frame_first; /* first frame involved (== frame when one frame) */
	int64_t ts_ns;
	uint8_t proto;        /* 6 TCP, 17 UDP, 0 none */
	struct sd_addr src, dst; /* for TCP/TLS events: client = src, server = dst */
	uint16_t sport, dport;
	uint64_t conn_id;     /* TCP connection id, 0 for UDP */
	union {
		struct {
			const struct sd_dns_msg *msg;   /* the message (query or response) */
			uint64_t query_frame;           /* responses: frame of the matching query, 0 if none seen */
			int64_t rtt_ns;                 /* responses: time since the query, -1 if unpaired */
		} dns;
		struct {
			uint8_t by_server;              /* RESET/FIN: sent by the server side */
			uint8_t midstream;              /* connection began before the capture */
			uint32_t gap_len;               /* GAP: missing bytes */
			uint8_t gap_dir;                /* GAP: 0 client->server, 1 server->client */
		} tcp;
		const struct sd_tls_client_hello *ch;
		const struct sd_tls_server_hello *sh;
		struct {
			const struct sd_cert *certs;    /* decoded chain, leaf first */
			size_t n;                       /* decoded */
			size_t total;                   /* in the message (some may not decode) */
			uint8_t by_client;              /* client certificate (mutual TLS) */
		} cert;
		struct {
			uint8_t level, desc, encrypted, by_server;
		} alert;
		struct {
			uint16_t version;               /* negotiated version if known */
			uint8_t by_server;
		} enc;
		struct {
			int status;                     /* SD_E_TRUNC (snaplen) or SD_E_MALFORMED ... */
			const char *layer;              /* "link", "ip", "tcp", "dns", "tls", "x509", "capture" */
			const char *msg;
		} err;
	} u;
};

typedef void (*sd_event_fn)(void *ud, const struct sd_event *ev);

/* One line of text (no newline) / one JSON object (no newline). */
void sd_event_print_text(FILE *out, const struct sd_event *ev);
void sd_event_print_json(FILE *out, const struct sd_event *ev);

#endif
