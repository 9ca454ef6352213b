/*
 * tls.c - TLS/SSL handshake decoder over one reassembled TCP direction.
 *
 * Suricata's stream-parser contract: consume whole units, hold at most one
 * incomplete record (<= 2^14+2048 bytes) and one incomplete handshake message
 * (<= SD_TLS_MAX_MSG), wait for more. Handshake messages are emitted when the
 * record holding their last byte completes, which is where Wireshark shows
 * them (it reassembles whole records before dissecting messages).
 */
#include "tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_MAX (16384u + 2048u) /* RFC 5246 6.2.3: ciphertext may grow by 2048 */
#define SMALL_REC 16             /* records this short use the inline buffer */
#define NFRAMES 16               /* message starts remembered per record */
#define HTTP_MAX 8192            /* CONNECT request / proxy reply header block */
#define MSG_KEEP (64u << 10)     /* message buffer kept between messages */

enum tls_state {
	ST_START, /* nothing decoded yet: TLS, SSLv2 or an HTTP CONNECT preamble */
	ST_HTTP,  /* inside the HTTP header block of a CONNECT exchange */
	ST_SSL2,  /* an SSLv2-framed ClientHello */
	ST_REC,   /* plaintext records */
	ST_ENC,   /* handshake gone dark: only record headers are walked (alerts) */
	ST_DONE,  /* nothing more to learn: failed, gap, or closed by an alert */
};

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

struct sd_tls {
	struct sd_tls_cb cb;
	int is_server;
	enum tls_state st;
	uint16_t version;   /* negotiated version once known, 0 before */
	uint8_t offered13;  /* this direction's ClientHello offered TLS 1.3 */
	uint8_t hrr;        /* this direction sent a HelloRetryRequest */
	uint8_t only_hello; /* no handshake message but hellos seen so far */
	uint8_t http_done;  /* one CONNECT preamble per direction at most */

	/* record being read */
	uint8_t hdr[5];
	size_t nhdr;
	uint8_t rtype;
	size_t rlen, rgot;
	int keep;                   /* body is buffered (else skipped) */
	uint8_t small[SMALL_REC];   /* short records (CCS, alerts) */
	uint8_t *rbuf;              /* longer kept records; freed once dark */
	size_t rcap;
	uint64_t rframe;            /* frame of the record's first body byte */
	struct {
		size_t off;
		uint64_t frame;
	} fr[NFRAMES];              /* frame of each handshake message start in the record */
	size_t nfr;
	/* Message boundaries are found as bytes arrive (not when the record
	 * completes) so that each message's first-byte frame is known. */
	uint8_t sc_n;               /* header bytes of the next message seen */
	uint8_t sc_hdr[4];
	size_t sc_skip;             /* body bytes of the current message still to come */

	/* handshake message spanning records: 4-byte header + body */
	uint8_t *msg;
	size_t mcap, mlen, mneed; /* mneed: header + body, known once mlen >= 4 */
	uint64_t mframe;          /* frame of the message's first byte */

	/* HTTP CONNECT preamble */
	char line[96];
	size_t nline, nhttp;
	int line_done;
	uint32_t tail;

	uint64_t frame; /* frame of the current feed call */
	int64_t ts;
	char err[200];
};

/* ------------------------------------------------------------ name tables */

/* A few rotating buffers so two unknown values can share one printf. */
static char *name_buf(void)
{
	static char buf[4 * 24];
	static unsigned i;
	char *b = buf + 24 * (i++ % 4);
	b[0] = 0;
	return b;
}

const char *sd_tls_version_str(uint16_t v)
{
	switch (v) {
	case 0x0002: return "SSL 2.0";
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: {
		char *b = name_buf();
		snprintf(b, 24, "0x%04x", v);
		return b;
	}
	}
}

uint16_t sd_tls_version_num(const char *name)
{
	if (!strcmp(name, "SSL 2.0"))
		return 0x0002;
	for (uint16_t v = 0x0300; v <= 0x0304; v++)
		if (!strcmp(sd_tls_version_str(v), name))
			return v;
	/* sd_tls_version_str's own form for the others: "0x" and 4 lower-case hex digits */
	if (strncmp(name, "0x", 2) != 0 || strlen(name) != 6)
		return 0;
	uint16_t v = 0;
	for (int i = 2; i < 6; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		v = (uint16_t)(v << 4 | (unsigned)d);
	}
	return v;
}

const char *sd_tls_alert_str(uint8_t desc)
{
	/* RFC 8446 6, RFC 5246 7.2, RFC 6066 (certificate_unobtainable ..),
	 * RFC 7301 (no_application_protocol), RFC 7507 (inappropriate_fallback),
	 * SSL 3.0 (no_certificate). */
	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 30: return "decompression_failure";
	case 40: return "handshake_failure";
	case 41: return "no_certificate";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 60: return "export_restriction";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 111: return "certificate_unobtainable";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 114: return "bad_certificate_hash_value";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: {
		char *b = name_buf();
		snprintf(b, 24, "alert_%u", desc);
		return b;
	}
	}
}

static const char *ct_name(uint8_t t)
{
	switch (t) {
	case CT_CCS: return "change_cipher_spec";
	case CT_ALERT: return "alert";
	case CT_HANDSHAKE: return "handshake";
	case CT_APPDATA: return "application_data";
	case CT_HEARTBEAT: return "heartbeat";
	default: return "unknown";
	}
}

/* TLS 1.3 and its drafts (0x7fxx): everything after ServerHello is encrypted. */
static int is13(uint16_t v) { return v == 0x0304 || (v >> 8) == 0x7f; }

/* RFC 8701 GREASE: 0x0a0a, 0x1a1a, .. 0xfafa. */
static int is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

/* ---------------------------------------------------------------- helpers */

static void release(struct sd_tls *t)
{
	free(t->rbuf);
	t->rbuf = NULL;
	t->rcap = 0;
	free(t->msg);
	t->msg = NULL;
	t->mcap = t->mlen = t->mneed = 0;
}

static void fail(struct sd_tls *t, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct sd_tls *t, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof t->err, fmt, ap);
	va_end(ap);
	t->st = ST_DONE;
	if (t->cb.error)
		t->cb.error(t->cb.ud, status, t->err, t->frame, t->ts);
}

/* Follows handshake message boundaries through new record body bytes
 * (c, starting at record offset off), noting the frame where each message
 * starts. */
static void scan(struct sd_tls *t, struct cur *c, size_t off)
{
	size_t base = cur_pos(c);
	while (cur_left(c)) {
		if (t->sc_skip) {
			size_t k = cur_left(c) < t->sc_skip ? cur_left(c) : t->sc_skip;
			cur_skip(c, k);
			t->sc_skip -= k;
			continue;
		}
		if (t->sc_n == 0 && t->nfr < NFRAMES) {
			/* beyond NFRAMES (hostile: many tiny messages) a start
			 * falls back to the last one noted */
			t->fr[t->nfr].off = off + cur_pos(c) - base;
			t->fr[t->nfr].frame = t->frame;
			t->nfr++;
		}
		t->sc_hdr[t->sc_n++] = cur_u8(c);
		if (t->sc_n == 4) {
			t->sc_skip = (size_t)t->sc_hdr[1] << 16 | (size_t)t->sc_hdr[2] << 8 | t->sc_hdr[3];
			t->sc_n = 0;
		}
	}
}

static uint64_t frame_at(const struct sd_tls *t, size_t off)
{
	uint64_t f = t->rframe;
	for (size_t i = 0; i < t->nfr && t->fr[i].off <= off; i++)
		f = t->fr[i].frame;
	return f;
}

/* Copy bytes for display: control and non-ASCII bytes become '?', so an SNI
 * with a NUL in it cannot hide its tail. */
static void copy_text(char *dst, size_t cap, size_t at, const uint8_t *src, size_t n)
{
	size_t i;
	for (i = 0; i < n && at + i + 1 < cap; i++)
		dst[at + i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[at + i] = 0;
}

/* The handshake goes dark: called once per direction. */
static void go_encrypted(struct sd_tls *t, uint8_t why)
{
	if (t->mlen) {
		/* A message still waiting for its tail can never get it now. */
		if (t->mlen >= 4)
			fail(t, SD_E_MALFORMED, "handshake message type %u length %zu overruns record (next record: %s)",
			     t->msg[0], t->mneed - 4, ct_name(why));
		else
			fail(t, SD_E_MALFORMED, "handshake message header split before a %s record", ct_name(why));
		return;
	}
	t->st = ST_ENC;
	if (t->cb.encrypted)
		t->cb.encrypted(t->cb.ud, t->version, t->frame, t->ts);
}

/* ------------------------------------------------------------- ClientHello */

/* Fills h from the extensions; on a malformed one writes why and returns -1. */
static int ch_extensions(struct sd_tls *t, struct cur *c, struct sd_tls_client_hello *h, char *why, size_t wl)
{
	size_t avail = cur_left(c);
	uint16_t elen = cur_be16(c);
	struct cur ex = cur_sub(c, elen);
	if (!cur_ok(&ex)) {
		snprintf(why, wl, "ClientHello extensions length %u overruns message (%zu bytes left)", elen,
		     avail >= 2 ? avail - 2 : 0);
		return -1;
	}
	while (cur_left(&ex)) {
		size_t left = cur_left(&ex);
		uint16_t type = cur_be16(&ex), len = cur_be16(&ex);
		struct cur e = cur_sub(&ex, len);
		if (!cur_ok(&e)) {
			snprintf(why, wl, "ClientHello extension %u length %u overruns extensions (%zu bytes left)",
			     type, len, left);
			return -1;
		}
		if (type == 0 && !h->sni[0]) { /* server_name: first host_name wins */
			struct cur l = cur_sub(&e, cur_be16(&e));
			while (cur_ok(&l) && cur_left(&l)) {
				uint8_t nt = cur_u8(&l);
				uint16_t nl = cur_be16(&l);
				const uint8_t *name = cur_take(&l, nl);
				if (name && nt == 0 && !h->sni[0])
					copy_text(h->sni, sizeof h->sni, 0, name, nl);
			}
			if (!cur_ok(&l) || !cur_ok(&e)) {
				snprintf(why, wl, "ClientHello server_name extension malformed (%u bytes)", len);
				return -1;
			}
		} else if (type == 16) { /* ALPN: 2-byte list of 1-byte-prefixed names */
			struct cur l = cur_sub(&e, cur_be16(&e));
			size_t at = strlen(h->alpn);
			while (cur_ok(&l) && cur_left(&l)) {
				uint8_t pl = cur_u8(&l);
				const uint8_t *p = cur_take(&l, pl);
				/* whole names only: a cut name would read as another protocol */
				if (p && pl && at + pl + (at ? 1 : 0) < sizeof h->alpn) {
					if (at)
						h->alpn[at++] = ',';
					copy_text(h->alpn, sizeof h->alpn, at, p, pl);
					at += pl;
				}
			}
			if (!cur_ok(&l) || !cur_ok(&e)) {
				snprintf(why, wl, "ClientHello ALPN extension malformed (%u bytes)", len);
				return -1;
			}
		} else if (type == 43) { /* supported_versions: 1-byte list of versions */
			uint8_t vl = cur_u8(&e);
			struct cur l = cur_sub(&e, vl);
			if (!cur_ok(&l) || (vl & 1)) {
				snprintf(why, wl, "ClientHello supported_versions list length %u malformed", vl);
				return -1;
			}
			while (cur_left(&l)) {
				uint16_t v = cur_be16(&l);
				if (is_grease(v))
					continue;
				if (is13(v))
					t->offered13 = 1;
				if (h->nversions < SD_TLS_MAX_VERSIONS)
					h->versions[h->nversions++] = v;
			}
		}
	}
	return 0;
}

static void client_hello(struct sd_tls *t, struct cur *c, uint64_t ff)
{
	struct sd_tls_client_hello h;
	memset(&h, 0, sizeof h);
	size_t mlen = cur_left(c);
	h.legacy_version = cur_be16(c);
	cur_skip(c, 32); /* random */
	uint8_t sid = cur_u8(c);
	cur_skip(c, sid);
	uint16_t cs = cur_be16(c);
	cur_skip(c, cs);
	uint8_t comp = cur_u8(c);
	cur_skip(c, comp);
	if (!cur_ok(c) || sid > 32 || (cs & 1)) {
		fail(t, SD_E_MALFORMED, "ClientHello of %zu bytes malformed (session id %u, cipher suites %u)", mlen,
		     sid, cs);
		return;
	}
	h.ncipher = cs / 2;
	/* Extensions are optional (SSL 3.0, old clients). A broken one still
	 * lets the fields read so far be reported, then decoding stops. */
	char why[160];
	int bad = cur_left(c) ? ch_extensions(t, c, &h, why, sizeof why) : 0;
	if (t->cb.client_hello)
		t->cb.client_hello(t->cb.ud, &h, ff, t->frame, t->ts);
	if (bad)
		fail(t, SD_E_MALFORMED, "%s", why);
}

/* SSLv2-framed ClientHello (RFC 5246 E.2): version, 3-byte cipher specs,
 * no extensions. */
static void client_hello_v2(struct sd_tls *t, struct cur *c, uint64_t ff)
{
	struct sd_tls_client_hello h;
	memset(&h, 0, sizeof h);
	uint8_t type = cur_u8(c);
	if (type == 4) {
		fail(t, SD_E_UNSUPPORTED, "SSL 2.0 ServerHello: SSL 2.0 handshakes are not decoded");
		return;
	}
	h.legacy_version = cur_be16(c);
	uint16_t cs = cur_be16(c), sid = cur_be16(c), chal = cur_be16(c);
	cur_skip(c, (size_t)cs + sid + chal);
	if (type != 1 || !cur_ok(c) || cs % 3) {
		fail(t, SD_E_MALFORMED, "SSLv2 record (message type %u) is not a well-formed ClientHello", type);
		return;
	}
	h.ncipher = cs / 3;
	if (t->cb.client_hello)
		t->cb.client_hello(t->cb.ud, &h, ff, t->frame, t->ts);
}

/* ------------------------------------------------------------- ServerHello */

/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3 */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void server_hello(struct sd_tls *t, struct cur *c, uint64_t ff)
{
	struct sd_tls_server_hello h;
	memset(&h, 0, sizeof h);
	size_t mlen = cur_left(c);
	h.legacy_version = h.version = cur_be16(c);
	const uint8_t *random = cur_take(c, 32);
	uint8_t sid = cur_u8(c);
	cur_skip(c, sid);
	h.cipher = cur_be16(c);
	cur_skip(c, 1); /* compression */
	if (!cur_ok(c) || sid > 32) {
		fail(t, SD_E_MALFORMED, "ServerHello of %zu bytes malformed (session id %u)", mlen, sid);
		return;
	}
	h.hello_retry = memcmp(random, hrr_random, sizeof hrr_random) == 0;
	if (cur_left(c)) {
		size_t avail = cur_left(c);
		uint16_t elen = cur_be16(c);
		struct cur ex = cur_sub(c, elen);
		if (!cur_ok(&ex)) {
			fail(t, SD_E_MALFORMED, "ServerHello extensions length %u overruns message (%zu bytes left)",
			     elen, avail >= 2 ? avail - 2 : 0);
			return;
		}
		while (cur_left(&ex)) {
			uint16_t type = cur_be16(&ex), len = cur_be16(&ex);
			struct cur e = cur_sub(&ex, len);
			if (!cur_ok(&e)) {
				fail(t, SD_E_MALFORMED, "ServerHello extension %u length %u overruns extensions", type,
				     len);
				return;
			}
			if (type == 43) { /* supported_versions: the selected version */
				if (len != 2) {
					fail(t, SD_E_MALFORMED, "ServerHello supported_versions length %u, not 2", len);
					return;
				}
				h.version = cur_be16(&e);
			}
		}
	}
	if (h.hello_retry)
		t->hrr = 1; /* its CCS, if any, is a TLS 1.3 compatibility dummy */
	else
		t->version = h.version;
	if (t->cb.server_hello)
		t->cb.server_hello(t->cb.ud, &h, ff, t->frame, t->ts);
	if (!h.hello_retry && is13(h.version))
		go_encrypted(t, CT_HANDSHAKE);
}

/* ------------------------------------------------------------- Certificate */

static void certificate(struct sd_tls *t, struct cur *c, uint64_t ff)
{
	struct sd_tls_chain ch;
	memset(&ch, 0, sizeof ch);
	size_t mlen = cur_left(c);
	uint32_t list = cur_be24(c);
	if (!cur_ok(c) || list > cur_left(c)) {
		fail(t, SD_E_MALFORMED, "certificate list length %u overruns message (%zu bytes)", list, mlen);
		return;
	}
	struct cur l = cur_sub(c, list);
	char bad[160] = "";
	while (cur_left(&l)) {
		size_t left = cur_left(&l);
		uint32_t len = cur_be24(&l);
		const uint8_t *der = cur_take(&l, len);
		if (!der) {
			snprintf(bad, sizeof bad, "certificate %zu length %u overruns list (%zu bytes left)",
				 ch.total + 1, left >= 3 ? len : 0, left);
			break;
		}
		if (ch.n < SD_TLS_MAX_CHAIN) {
			ch.c[ch.n].der = der;
			ch.c[ch.n].len = len;
			ch.n++;
		}
		ch.total++;
	}
	/* The intact leading certificates are evidence even when a later length
	 * is broken; the error that follows says the chain is incomplete. */
	if ((ch.total || !bad[0]) && t->cb.certificate)
		t->cb.certificate(t->cb.ud, &ch, ff, t->frame, t->ts);
	if (bad[0])
		fail(t, SD_E_MALFORMED, "%s", bad);
}

/* -------------------------------------------------------- handshake layer */

static void message(struct sd_tls *t, uint8_t type, struct cur *body, uint64_t ff)
{
	if (type != 1 && type != 2)
		t->only_hello = 0;
	switch (type) {
	case 1: client_hello(t, body, ff); break;
	case 2: server_hello(t, body, ff); break;
	case 11:
		/* TLS 1.3 certificates are encrypted; never reached then. */
		certificate(t, body, ff);
		break;
	default: break; /* key exchange, done, finished ...: nothing to learn */
	}
}

/* Grow the message buffer to hold need bytes (need <= 4 + SD_TLS_MAX_MSG). */
static int msg_reserve(struct sd_tls *t, size_t need)
{
	if (need <= t->mcap)
		return 0;
	size_t cap = t->mcap ? t->mcap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > need && cap > 4 + (size_t)SD_TLS_MAX_MSG)
		cap = need;
	uint8_t *m = realloc(t->msg, cap);
	if (!m) {
		fail(t, SD_E_NOMEM, "no memory for a %zu-byte handshake message", need);
		return -1;
	}
	t->msg = m;
	t->mcap = cap;
	return 0;
}

static int msg_header_ok(struct sd_tls *t, uint8_t type, uint32_t len)
{
	if (len > SD_TLS_MAX_MSG) {
		fail(t, SD_E_LIMIT, "handshake message type %u length %u exceeds the %u-byte limit", type, len,
		     SD_TLS_MAX_MSG);
		return 0;
	}
	return 1;
}

/* The body of a complete handshake record. Messages wholly inside it are
 * parsed in place; a message running past its end is copied and held. */
static void handshake_record(struct sd_tls *t, const uint8_t *body, size_t len)
{
	struct cur c = cur_init(body, len);
	while (cur_left(&c) && t->st == ST_REC) {
		size_t off = cur_pos(&c);
		if (t->mlen == 0 && cur_left(&c) >= 4) {
			uint8_t hb[4];
			struct cur p = c;
			cur_copy(&p, hb, 4);
			uint32_t ml = (uint32_t)hb[1] << 16 | (uint32_t)hb[2] << 8 | hb[3];
			if (!msg_header_ok(t, hb[0], ml))
				return;
			if (cur_left(&c) - 4 >= ml) {
				cur_skip(&c, 4);
				struct cur m = cur_sub(&c, ml);
				message(t, hb[0], &m, frame_at(t, off));
				continue;
			}
		}
		if (t->mlen == 0)
			t->mframe = frame_at(t, off);
		size_t want = t->mlen < 4 ? 4 : t->mneed;
		if (msg_reserve(t, want) != 0)
			return;
		size_t n = cur_left(&c) < want - t->mlen ? cur_left(&c) : want - t->mlen;
		cur_copy(&c, t->msg + t->mlen, n);
		t->mlen += n;
		if (t->mlen == 4 && t->mneed == 0) {
			uint32_t ml = (uint32_t)t->msg[1] << 16 | (uint32_t)t->msg[2] << 8 | t->msg[3];
			if (!msg_header_ok(t, t->msg[0], ml))
				return;
			t->mneed = 4 + (size_t)ml;
		}
		if (t->mneed && t->mlen == t->mneed) {
			struct cur m = cur_init(t->msg, t->mlen);
			cur_skip(&m, 4);
			t->mlen = t->mneed = 0;
			message(t, t->msg[0], &m, t->mframe);
			if (t->mcap > MSG_KEEP) { /* do not sit on a 1 MiB buffer */
				free(t->msg);
				t->msg = NULL;
				t->mcap = 0;
			}
		}
	}
}

static void alerts(struct sd_tls *t, const uint8_t *body, size_t len)
{
	if (len & 1) {
		fail(t, SD_E_MALFORMED, "alert record length %zu is odd", len);
		return;
	}
	struct cur c = cur_init(body, len);
	while (cur_left(&c) && t->st != ST_DONE) {
		uint8_t level = cur_u8(&c), desc = cur_u8(&c);
		if (t->cb.alert)
			t->cb.alert(t->cb.ud, level, desc, 0, t->frame, t->ts);
		if (level == 2)
			t->st = ST_DONE; /* a fatal alert closes the connection */
	}
}

/* ----------------------------------------------------------- record layer */

static const uint8_t *rec_body(const struct sd_tls *t) { return t->rlen <= SMALL_REC ? t->small : t->rbuf; }

/* A record header is complete: check it and decide whether to keep the body. */
static void record_start(struct sd_tls *t)
{
	if (t->st == ST_SSL2) {
		t->rtype = 0;
		t->rlen = (size_t)(t->hdr[0] & 0x7f) << 8 | t->hdr[1];
	} else {
		t->rtype = t->hdr[0];
		uint16_t ver = (uint16_t)(t->hdr[1] << 8 | t->hdr[2]);
		t->rlen = (size_t)t->hdr[3] << 8 | t->hdr[4];
		if (t->rtype < CT_CCS || t->rtype > CT_HEARTBEAT) {
			fail(t, SD_E_MALFORMED, "record type %u unknown (version 0x%04x, length %zu)", t->rtype, ver,
			     t->rlen);
			return;
		}
		if (t->hdr[1] != 3 || t->hdr[2] > 4) {
			fail(t, SD_E_MALFORMED, "record version 0x%04x is not SSL 3.0 .. TLS 1.3", ver);
			return;
		}
	}
	if (t->rlen > REC_MAX) {
		fail(t, SD_E_MALFORMED, "record length %zu exceeds 2^14+2048", t->rlen);
		return;
	}
	/* TLS 1.3 hides everything after ServerHello: the first record after
	 * the version became known marks the point. */
	if (t->st == ST_REC && is13(t->version)) {
		go_encrypted(t, t->rtype);
		if (t->st != ST_ENC)
			return;
	}
	if (t->st == ST_ENC)
		/* Once dark only TLS 1.3 can carry a plaintext alert as type 21
		 * (its encrypted ones travel as application_data). */
		t->keep = t->rtype == CT_ALERT && is13(t->version) && t->rlen <= SMALL_REC;
	else
		t->keep = t->st == ST_SSL2 || t->rtype == CT_CCS || t->rtype == CT_ALERT ||
			  t->rtype == CT_HANDSHAKE;
	if (t->keep && t->rlen > SMALL_REC && t->rlen > t->rcap) {
		uint8_t *b = realloc(t->rbuf, t->rlen);
		if (!b) {
			fail(t, SD_E_NOMEM, "no memory for a %zu-byte record", t->rlen);
			return;
		}
		t->rbuf = b;
		t->rcap = t->rlen;
	}
	t->rgot = 0;
	t->nfr = 0;
}

static void record_done(struct sd_tls *t)
{
	const uint8_t *b = rec_body(t);
	if (t->st == ST_SSL2) {
		struct cur c = cur_init(b, t->rlen);
		client_hello_v2(t, &c, frame_at(t, 0));
		if (t->st == ST_SSL2)
			t->st = ST_REC;
		return;
	}
	if (t->st == ST_ENC) {
		if (t->rtype != CT_ALERT || t->rlen == 0)
			return;
		if (t->keep) {
			alerts(t, b, t->rlen);
			return;
		}
		if (t->cb.alert)
			t->cb.alert(t->cb.ud, 0, 0, 1, t->frame, t->ts);
		t->st = ST_DONE; /* the connection is closing */
		return;
	}
	if (t->rlen == 0)
		return; /* legal for application data, harmless for the rest */
	switch (t->rtype) {
	case CT_HANDSHAKE: handshake_record(t, b, t->rlen); break;
	case CT_ALERT: alerts(t, b, t->rlen); break;
	case CT_CCS:
		/* TLS 1.3 middlebox compatibility sends a dummy CCS after the
		 * ClientHello or HelloRetryRequest while the version is not yet
		 * known; it changes nothing. */
		if (t->version == 0 && (t->offered13 || t->hrr) && t->only_hello)
			break;
		go_encrypted(t, CT_CCS);
		break;
	case CT_APPDATA: go_encrypted(t, CT_APPDATA); break;
	default: break; /* heartbeat */
	}
}

static void records(struct sd_tls *t, struct cur *c)
{
	size_t hlen = t->st == ST_SSL2 ? 2 : 5;
	if (t->nhdr < hlen) {
		size_t n = cur_left(c) < hlen - t->nhdr ? cur_left(c) : hlen - t->nhdr;
		cur_copy(c, t->hdr + t->nhdr, n);
		t->nhdr += n;
		if (t->nhdr < hlen)
			return;
		record_start(t);
		if (t->st == ST_DONE)
			return;
	}
	size_t n = cur_left(c) < t->rlen - t->rgot ? cur_left(c) : t->rlen - t->rgot;
	if (t->keep) {
		if (t->rgot == 0)
			t->rframe = t->frame;
		uint8_t *dst = t->rlen <= SMALL_REC ? t->small : t->rbuf;
		if (t->st == ST_REC && t->rtype == CT_HANDSHAKE) {
			struct cur peek = *c;
			struct cur s = cur_sub(&peek, n);
			scan(t, &s, t->rgot);
		}
		cur_copy(c, dst + t->rgot, n);
	} else {
		cur_skip(c, n);
	}
	t->rgot += n;
	if (t->rgot == t->rlen) {
		t->nhdr = 0;
		record_done(t);
	}
}

/* ---------------------------------------------------------- HTTP CONNECT */

static void http_end(struct sd_tls *t)
{
	t->line[t->nline] = 0;
	t->http_done = 1;
	if (strncmp(t->line, "CONNECT ", 8) == 0) {
		t->st = ST_START; /* TLS follows the request */
		return;
	}
	if (strncmp(t->line, "HTTP/1.", 7) != 0) {
		fail(t, SD_E_MALFORMED, "stream starts with neither TLS nor HTTP CONNECT: \"%s\"", t->line);
		return;
	}
	/* "HTTP/1.1 200 Connection established": only a 2xx opens the tunnel. */
	if (t->nline >= 12 && t->line[8] == ' ' && t->line[9] == '2') {
		t->st = ST_START;
		return;
	}
	fail(t, SD_E_UNSUPPORTED, "HTTP reply \"%s\" instead of TLS: no tunnel", t->line);
}

static void http(struct sd_tls *t, struct cur *c)
{
	while (cur_left(c) && t->st == ST_HTTP) {
		uint8_t b = cur_u8(c);
		t->nhttp++;
		if (!t->line_done) {
			if (b == '\r' || b == '\n')
				t->line_done = 1;
			else if (t->nline + 1 < sizeof t->line)
				t->line[t->nline++] = (b >= 0x20 && b < 0x7f) ? (char)b : '?';
		}
		t->tail = t->tail << 8 | b;
		/* End of the header block; a bare-LF peer is tolerated. */
		if (t->tail == 0x0d0a0d0a || (t->tail & 0xffff) == 0x0a0a)
			http_end(t);
		else if (t->nhttp >= HTTP_MAX)
			fail(t, SD_E_LIMIT, "HTTP header block before TLS exceeds %d bytes", HTTP_MAX);
	}
}

/* ------------------------------------------------------------------- API */

int sd_tls_probe(const uint8_t *data, size_t len)
{
	struct cur c = cur_init(data, len);
	uint8_t b[8] = { 0 };
	size_t n = 0;
	while (n < sizeof b && cur_peek(&c, n, &b[n]))
		n++;
	if (n == 0)
		return -1;
	if (b[0] == CT_HANDSHAKE) {
		/* record header, then a ClientHello or ServerHello */
		if ((n > 1 && b[1] != 3) || (n > 2 && b[2] > 4))
			return 0;
		if (n < 5)
			return -1;
		size_t rl = (size_t)b[3] << 8 | b[4];
		if (rl == 0 || rl > REC_MAX)
			return 0;
		if (n < 6)
			return -1;
		return b[5] == 1 || b[5] == 2;
	}
	if (b[0] & 0x80) {
		/* SSLv2-framed ClientHello: 15-bit length, type 1, version 2 or 3.x */
		if (n > 2 && b[2] != 1)
			return 0;
		if (n > 3 && b[3] != 0 && b[3] != 3)
			return 0;
		if (n < 5)
			return -1;
		uint16_t v = (uint16_t)(b[3] << 8 | b[4]);
		size_t rl = (size_t)(b[0] & 0x7f) << 8 | b[1];
		return rl >= 9 && (v == 0x0002 || (v >= 0x0300 && v <= 0x0304));
	}
	/* HTTP CONNECT from a client behind a proxy, and the proxy's reply
	 * (the decoder itself checks the reply is 2xx). */
	static const char *const pfx[] = { "CONNECT ", "HTTP/1." };
	for (size_t i = 0; i < 2; i++) {
		size_t pl = strlen(pfx[i]);
		size_t m = n < pl ? n : pl;
		if (memcmp(b, pfx[i], m) == 0)
			return m == pl ? 1 : -1;
	}
	return 0;
}

struct sd_tls *sd_tls_new(int is_server, const struct sd_tls_cb *cb)
{
	struct sd_tls *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (cb)
		t->cb = *cb;
	t->is_server = is_server;
	t->only_hello = 1;
	return t;
}

int sd_tls_feed(struct sd_tls *t, const uint8_t *data, size_t len, uint64_t frame, int64_t ts_ns)
{
	if (t->st == ST_DONE)
		return 1;
	t->frame = frame;
	t->ts = ts_ns;
	struct cur c = cur_init(data, len);
	while (cur_left(&c) && t->st != ST_DONE) {
		uint8_t b = 0;
		switch (t->st) {
		case ST_START:
			cur_peek(&c, 0, &b);
			if (b >= CT_CCS && b <= CT_HEARTBEAT)
				t->st = ST_REC;
			else if (b & 0x80)
				t->st = ST_SSL2;
			else if (!t->http_done && (b == 'C' || b == 'H'))
				t->st = ST_HTTP;
			else
				t->st = ST_REC; /* the record header check names the problem */
			break;
		case ST_HTTP: http(t, &c); break;
		default: records(t, &c); break;
		}
	}
	/* Buffers are only needed while the handshake is visible. */
	if (t->st == ST_DONE || t->st == ST_ENC)
		release(t);
	return t->st == ST_DONE;
}

void sd_tls_gap(struct sd_tls *t, uint32_t len, uint64_t frame, int64_t ts_ns)
{
	/* No guessing after a hole: record boundaries are lost, whether or not
	 * the handshake was over. The pipeline reports the gap itself. */
	(void)len;
	(void)frame;
	(void)ts_ns;
	t->st = ST_DONE;
	release(t);
}

void sd_tls_set_version(struct sd_tls *t, uint16_t version)
{
	if (version)
		t->version = version;
}

size_t sd_tls_pending(const struct sd_tls *t)
{
	size_t n = t->mlen;
	if (t->st == ST_REC || t->st == ST_SSL2 || t->st == ST_ENC) {
		n += t->nhdr;
		if (t->keep && t->nhdr == (t->st == ST_SSL2 ? 2u : 5u))
			n += t->rgot;
	}
	return n;
}

void sd_tls_free(struct sd_tls *t)
{
	if (!t)
		return;
	release(t);
	free(t);
}
