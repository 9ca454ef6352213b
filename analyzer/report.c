/*
 * report.c - a completed attempt as text (80 columns) or as one JSON object.
 *
 * The text is diffed by the regression runner, so it must be a pure
 * function of the attempt and the options: no wall-clock time, no paths,
 * only frame numbers and times relative to the attempt's start. Every
 * logical line is built whole, made safe for a terminal (names and
 * certificate fields come from packets), then wrapped at 80 columns; colour
 * is added after wrapping so escape codes never count as columns.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "json.h"
#include "tls.h"

#define WIDTH 80
#define FIELD_SLACK 24 /* columns a line may end early to keep a field whole */

#define C_RED "\033[1;31m"
#define C_GREEN "\033[1;32m"
#define C_YELLOW "\033[1;33m"
#define C_CYAN "\033[36m"
#define C_BOLD "\033[1m"
#define C_OFF "\033[0m"

/* ------------------------------------------------------------ strings */

/* A growing string: report lines can be long (a certificate may carry 256
 * SANs), and truncating them silently would hide evidence. Formatting is
 * done by the small appenders below rather than snprintf: a report is
 * mostly literals, names and integers, and snprintf's setup per call cost
 * more than the text itself. */
struct sb {
	char *p;
	size_t len, cap;
	int oom;
};

/* Makes room for n more bytes and the terminator; 0 when out of memory. */
static int sb_grow(struct sb *b, size_t n)
{
	if (b->oom)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *np = realloc(b->p, cap);
	if (!np) {
		b->oom = 1;
		return 0;
	}
	b->p = np;
	b->cap = cap;
	return 1;
}

static inline void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && !sb_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sb_puts(struct sb *b, const char *s) { sb_add(b, s, strlen(s)); }

/* printf's %llu, %u, %zu */
static void sb_u64(struct sb *b, uint64_t v)
{
	char tmp[20];
	size_t i = sd_u64_dec(tmp, v);
	sb_add(b, tmp + i, sizeof tmp - i);
}

/* printf's %lld, %d */
static void sb_i64(struct sb *b, int64_t v)
{
	if (v < 0) {
		sb_add(b, "-", 1);
		sb_u64(b, -(uint64_t)v);
	} else {
		sb_u64(b, (uint64_t)v);
	}
}

/* printf's %03u for v < 1000: the milliseconds of a time */
static void sb_ms3(struct sb *b, unsigned v)
{
	char t[3] = { (char)('0' + v / 100), (char)('0' + v / 10 % 10), (char)('0' + v % 10) };
	sb_add(b, t, 3);
}

/* printf's %0<width>x for width <= 8 (wider values keep all their digits) */
static void sb_hex(struct sb *b, uint32_t v, int width)
{
	char tmp[8];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (i > sizeof tmp - (size_t)width)
		tmp[--i] = '0';
	sb_add(b, tmp + i, sizeof tmp - i);
}

static void sb_reset(struct sb *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* Length of the UTF-8 sequence at s if it is valid and printable, else 0.
 * C1 controls (U+0080..U+009F) are refused too: terminals act on them. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	size_t u = sd_utf8_len(s, n);
	if (u < 2 || (s[0] == 0xc2 && s[1] < 0xa0))
		return 0;
	return u;
}

/* Bytes printed as they are: plain ASCII. */
static int plain(unsigned char c) { return c >= 0x20 && c < 0x7f; }

/* Length of the plain prefix of text, 8 bytes a step: this runs over every
 * byte of the report. A word holds a byte that is not plain when one is
 * 0x80 or above (high bit), below 0x20 (subtracting 0x20 borrows into the
 * high bit) or 0x7f (xor 0x7f gives 0, which borrows too); the tests are
 * exact when no byte has its high bit set. */
static size_t plain_prefix(const char *text, size_t len)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	size_t i = 0;
	while (len - i >= 8) {
		uint64_t w;
		memcpy(&w, text + i, 8);
		uint64_t del = w ^ (ones * 0x7f);
		if (((w | ((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & high) != 0)
			break;
		i += 8;
	}
	while (i < len && plain((unsigned char)text[i]))
		i++;
	return i;
}

/* Copies text with every control byte and invalid UTF-8 byte written as
 * \xNN, so packet data cannot move the cursor, change colours or break the
 * column count. */
static void sanitize(struct sb *out, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c == '\t') {
			sb_add(out, " ", 1);
			i++;
		} else if (plain(c)) {
			/* a run of plain ASCII in one copy: most text is */
			size_t j = i + 1;
			while (j < n && plain(s[j]))
				j++;
			sb_add(out, (const char *)s + i, j - i);
			i = j;
		} else {
			size_t u = c >= 0x80 ? utf8_ok(s + i, n - i) : 0;
			if (u) {
				sb_add(out, (const char *)s + i, u);
				i += u;
			} else {
				sb_add(out, "\\x", 2);
				sb_hex(out, c, 2);
				i++;
			}
		}
	}
}

/* Bytes of the character at s (text is sanitized: valid UTF-8). */
static size_t charlen(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t l = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return l > n ? n : l;
}

/* ------------------------------------------------------------- output */

struct rw {
	struct sd_wbuf out; /* the report reaches the FILE in a few large writes */
	int color;
	struct sb clean; /* scratch for sanitize */
};

static void rw_flush(struct rw *w) { sd_wbuf_flush(&w->out); }

static inline void rw_put(struct rw *w, const char *s, size_t n) { sd_wbuf_put(&w->out, s, n); }

static void rw_spaces(struct rw *w, int n)
{
	static const char sp[] = "                                ";
	while (n > 0) {
		int k = n < (int)sizeof sp - 1 ? n : (int)sizeof sp - 1;
		rw_put(w, sp, (size_t)k);
		n -= k;
	}
}

/* Where the physical line starting at i ends when s[i..n) is plain ASCII
 * longer than avail: the general loop in emit_c with one byte per column,
 * searching back from the last column for the break. */
static size_t wrap_ascii(const char *s, size_t n, size_t i, int avail)
{
	size_t lead = i;
	while (lead < n && s[lead] == ' ')
		lead++;
	size_t j = i + (size_t)avail; /* < n */
	if (s[j] == ' ' && (j + 1 >= n || s[j + 1] == ' '))
		return j;
	/* last space after the indentation (brk), last one followed by a space (brk2) */
	size_t brk = 0, brk2 = 0;
	size_t far = i + (size_t)(avail - FIELD_SLACK); /* a brk2 before this is not used */
	for (size_t p = j - 1; p > lead; p--) {
		if (s[p] != ' ')
			continue;
		if (!brk)
			brk = p;
		if (s[p + 1] == ' ') {
			brk2 = p;
			break;
		}
		if (p < far)
			break;
	}
	if (brk2 > i && brk2 >= far)
		return brk2;
	if (s[j] == ' ')
		return j;
	if (brk > i)
		return brk;
	return j;
}

/* Writes one logical line: sanitized, wrapped at WIDTH columns at spaces
 * (hard-broken only when a word is longer than a line), continuation lines
 * indented by cont. With colour, bytes [off, off+hl) of the first physical
 * line are drawn in esc. */
static void emit_c(struct rw *w, int cont, const char *esc, size_t off, size_t hl, const char *text, size_t len)
{
	const char *s = text;
	size_t n = len;
	size_t ok = plain_prefix(text, len);
	int ascii = ok == len;
	if (!ascii) { /* only lines with something to escape are copied */
		sb_reset(&w->clean);
		sb_add(&w->clean, text, ok);
		sanitize(&w->clean, text + ok, len - ok);
		if (w->clean.oom || !w->clean.p) {
			rw_put(w, "(out of memory)\n", 16);
			return;
		}
		s = w->clean.p;
		n = w->clean.len;
	}
	size_t i = 0;
	int first = 1;
	for (;;) {
		if (!first) {
			while (i < n && s[i] == ' ')
				i++;
			if (i >= n)
				break;
		}
		int avail = first ? WIDTH : WIDTH - cont;
		size_t end;
		if (n - i <= (size_t)avail) {
			end = n; /* fits: a character is at least a byte */
		} else if (ascii) {
			end = wrap_ascii(s, n, i, avail);
		} else {
			/* The line's own indentation is not a place to break. */
			size_t lead = i;
			while (lead < n && s[lead] == ' ')
				lead++;
			size_t j = i, brk = 0, brk2 = 0;
			int col = 0, brk2col = 0;
			while (j < n && col < avail) {
				if (s[j] == ' ' && j > lead) {
					brk = j;
					/* two spaces separate fields ("rtt 0.4 ms"): keep a field whole */
					if (j + 1 < n && s[j + 1] == ' ') {
						brk2 = j;
						brk2col = col;
					}
				}
				j += charlen(s + j, n - j);
				col++;
			}
			if (j >= n)
				end = n;
			else if (s[j] == ' ' && (j + 1 >= n || s[j + 1] == ' '))
				end = j;
			else if (brk2 > i && brk2col >= avail - FIELD_SLACK)
				end = brk2;
			else if (s[j] == ' ')
				end = j;
			else if (brk > i)
				end = brk;
			else
				end = j;
		}
		size_t e = end;
		while (e > i && s[e - 1] == ' ')
			e--;
		if (!first)
			rw_spaces(w, cont);
		if (first && w->color && esc && hl && off + hl <= e - i) {
			rw_put(w, s + i, off);
			rw_put(w, esc, strlen(esc));
			rw_put(w, s + i + off, hl);
			rw_put(w, C_OFF, sizeof C_OFF - 1);
			rw_put(w, s + i + off + hl, e - i - off - hl);
		} else {
			rw_put(w, s + i, e - i);
		}
		rw_put(w, "\n", 1);
		i = end;
		first = 0;
		if (i >= n)
			break;
	}
}

/* A built line, highlighted / plain. */
static void emit_bc(struct rw *w, int cont, const char *esc, size_t off, size_t hl, const struct sb *b)
{
	emit_c(w, cont, esc, off, hl, b->p ? b->p : "", b->len);
}

static void emit_b(struct rw *w, int cont, const struct sb *b) { emit_bc(w, cont, NULL, 0, 0, b); }

static void emit(struct rw *w, int cont, const char *text) { emit_c(w, cont, NULL, 0, 0, text, strlen(text)); }

/* ----------------------------------------------------------- formatting */

/* Time relative to the attempt's start, millisecond resolution: "+1.234s". */
static void sb_rel(struct sb *b, int64_t ts, int64_t base)
{
	if (ts < 0 || base < 0) {
		sb_puts(b, "+?");
		return;
	}
	int64_t d = ts - base;
	const char *sign = "+";
	if (d < 0) {
		sign = "-";
		d = -d;
	}
	uint64_t ms = (uint64_t)d / 1000000;
	sb_puts(b, sign);
	sb_u64(b, ms / 1000);
	sb_add(b, ".", 1);
	sb_ms3(b, (unsigned)(ms % 1000));
	sb_add(b, "s", 1);
}

/* Round-trip time in tenths of a millisecond, integer arithmetic so the
 * text is the same on every platform. */
static void sb_rtt(struct sb *b, int64_t ns)
{
	int64_t tenths = (ns + 50000) / 100000;
	sb_puts(b, "rtt ");
	sb_i64(b, tenths / 10);
	sb_add(b, ".", 1);
	sb_i64(b, tenths % 10);
	sb_puts(b, " ms");
}

static void sb_frame(struct sb *b, uint64_t f)
{
	if (f)
		sb_u64(b, f);
	else
		sb_puts(b, "-");
}

static void sb_endpoint(struct sb *b, const struct sd_addr *a, uint16_t port)
{
	char buf[SD_ADDRSTRLEN];
	sd_addr_str(a, buf, sizeof buf);
	if (a->family == 6) {
		sb_add(b, "[", 1);
		sb_puts(b, buf);
		sb_add(b, "]:", 2);
	} else {
		sb_puts(b, buf);
		sb_add(b, ":", 1);
	}
	sb_u64(b, port);
}

static const char *qtype_name(uint16_t t, char *buf, size_t len) { return sd_dns_type_str(t, buf, len); }

static const char *transport_str(uint8_t t) { return t == 6 ? "tcp" : t == 17 ? "udp" : "-"; }

/* Step numbers shown to people are the steps' 1-based order. */
static unsigned step_no(const struct sd_attempt *a, int idx)
{
	if (idx < 0 || (size_t)idx >= a->nsteps)
		return 0;
	return a->steps[idx].order ? a->steps[idx].order : (unsigned)idx + 1;
}

/* ISO-8601 UTC of Unix seconds; "" when out of gmtime's range. */
static void iso_utc(int64_t secs, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)secs;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%s", "");
}

static void iso_utc_ns(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	time_t t = (time_t)secs;
	char d[32];
	if (!gmtime_r(&t, &tm) || !strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%s.%09lldZ", d, (long long)frac);
}

/* The text of the k-th logged event: the findings carry the event texts
 * with names filled in, and one ID may be logged several times (event 3
 * once per fallback name), so the n-th occurrence of an ID is matched with
 * the n-th finding carrying it. */
static const char *event_text(const struct sd_attempt *a, size_t k)
{
	int id = a->event_ids[k];
	size_t nth = 0;
	for (size_t i = 0; i < k; i++)
		if (a->event_ids[i] == id)
			nth++;
	const char *last = "";
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct sd_finding *f = &a->findings[i];
		if (f->event_id != id || !f->event_text[0])
			continue;
		if (nth == 0)
			return f->event_text;
		nth--;
		last = f->event_text;
	}
	return last;
}

/* " (+N more)" after a list the decoder cut short */
static void sb_more(struct sb *b, size_t dropped)
{
	if (dropped) {
		sb_puts(b, " (+");
		sb_u64(b, dropped);
		sb_puts(b, " more)");
	}
}

static void sb_frames(struct sb *b, const uint64_t *fr, size_t n, size_t dropped)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_add(b, ",", 1);
		sb_u64(b, fr[i]);
	}
	sb_more(b, dropped);
}

/* ----------------------------------------------------------- text parts */

/* "priority weight port target" of an SRV answer */
static void sb_srv(struct sb *b, const struct sd_answer *an, const char *target)
{
	sb_u64(b, an->priority);
	sb_add(b, " ", 1);
	sb_u64(b, an->weight);
	sb_add(b, " ", 1);
	sb_u64(b, an->port);
	sb_add(b, " ", 1);
	sb_puts(b, target);
}

/* "  CNAME c -> a1, a2" / "  -> a1" / "  SRV p w port t, SRV ..." */
static void text_answers_brief(struct sb *b, const struct sd_step *s)
{
	int any = 0, addrs = 0;
	if (s->via_cname && s->canonical[0]) {
		sb_puts(b, "  CNAME ");
		sb_puts(b, s->canonical);
		any = 1;
	}
	for (size_t i = 0; i < s->nanswers; i++) {
		const struct sd_answer *an = &s->answers[i];
		if (an->section != SD_DNS_AN)
			continue;
		if (an->type == SD_DNS_T_SRV) {
			sb_puts(b, any ? ", " : "  ");
			if (an->target[0]) {
				sb_puts(b, "SRV ");
				sb_srv(b, an, an->target);
			} else
				sb_puts(b, "SRV . (no service)");
			any = 1;
		} else if (an->type == SD_DNS_T_A || an->type == SD_DNS_T_AAAA) {
			char ab[SD_ADDRSTRLEN];
			sb_puts(b, addrs ? ", " : any ? " -> " : "  -> ");
			sb_puts(b, sd_addr_str(&an->addr, ab, sizeof ab));
			addrs = 1;
		}
	}
	if (sd_step_cut(s)) {
		sb_puts(b, "  (records cut by the capture)");
	} else if (s->rcode == SD_DNS_RCODE_NOERROR && !s->resolved && !any && !addrs) {
		char tb[16];
		sb_puts(b, "  (no ");
		sb_puts(b, qtype_name(s->qtype, tb, sizeof tb));
		sb_puts(b, " data)");
	}
}

static void text_step(struct rw *w, struct sb *b, const struct sd_attempt *a, size_t idx, int verbose)
{
	const struct sd_step *s = &a->steps[idx];
	char tb[16];
	sb_reset(b);
	sb_puts(b, "  #");
	sb_u64(b, step_no(a, (int)idx));
	sb_add(b, " ", 1);
	sb_rel(b, s->ts_ns, a->ts_start_ns);
	sb_add(b, " ", 1);
	sb_puts(b, sd_role_str(s->role));
	if (s->parent >= 0) {
		sb_puts(b, "(#");
		sb_u64(b, step_no(a, s->parent));
		sb_add(b, ")", 1);
	}
	sb_add(b, " ", 1);
	sb_puts(b, qtype_name(s->qtype, tb, sizeof tb));
	sb_add(b, " ", 1);
	sb_puts(b, s->name);
	if (s->queried[0] && strcmp(s->queried, s->name)) {
		sb_puts(b, " (as ");
		sb_puts(b, s->queried);
		sb_add(b, ")", 1);
	}
	sb_puts(b, "  frames ");
	sb_frame(b, s->frame);
	sb_puts(b, "/");
	sb_frame(b, s->resp_frame);
	switch (s->state) {
	case SD_STEP_PENDING: sb_puts(b, "  no response yet"); break;
	case SD_STEP_UNANSWERED: sb_puts(b, "  no response"); break;
	case SD_STEP_ANSWERED:
		sb_puts(b, "  ");
		sb_puts(b, s->rcode >= 0 ? sd_dns_rcode_str((uint16_t)s->rcode) : "?");
		text_answers_brief(b, s);
		break;
	}
	if (s->rtt_ns >= 0 && s->state == SD_STEP_ANSWERED) {
		sb_puts(b, "  ");
		sb_rtt(b, s->rtt_ns);
	}
	if (s->retries) {
		sb_puts(b, "  retries ");
		sb_u64(b, s->retries);
	}
	if (s->tc)
		sb_puts(b, "  TC");
	if (s->transport == 6)
		sb_puts(b, "  over TCP");
	emit_b(w, 6, b);
	if (!verbose)
		return;
	if (s->expected[0]) {
		sb_reset(b);
		sb_puts(b, "      certificate must name ");
		sb_puts(b, s->expected);
		emit_b(w, 8, b);
	}
	for (size_t i = 0; i < s->nqueries; i++) {
		const struct sd_query *q = &s->queries[i];
		char ab[SD_ADDRSTRLEN];
		sb_reset(b);
		sb_puts(b, "      query frame ");
		sb_frame(b, q->frame);
		sb_puts(b, " ");
		sb_rel(b, q->ts_ns, a->ts_start_ns);
		sb_add(b, " ", 1);
		sb_puts(b, qtype_name(q->qtype, tb, sizeof tb));
		sb_add(b, " ", 1);
		sb_puts(b, q->qname);
		sb_puts(b, " id 0x");
		sb_hex(b, q->txid, 4);
		sb_add(b, " ", 1);
		sb_puts(b, transport_str(q->transport));
		sb_puts(b, " to ");
		sb_puts(b, sd_addr_str(&q->server, ab, sizeof ab));
		if (q->resp_frame) {
			sb_puts(b, " -> frame ");
			sb_u64(b, q->resp_frame);
			sb_add(b, " ", 1);
			sb_puts(b, q->rcode >= 0 ? sd_dns_rcode_str((uint16_t)q->rcode) : "?");
			if (q->rtt_ns >= 0) {
				sb_puts(b, " ");
				sb_rtt(b, q->rtt_ns);
			}
			sb_add(b, " ", 1);
			sb_u64(b, q->nanswers);
			sb_puts(b, " records");
		} else {
			sb_puts(b, " -> no response");
		}
		if (q->retransmit)
			sb_puts(b, " [retransmit]");
		if (q->suffix_retry)
			sb_puts(b, " [suffix retry]");
		if (q->tc)
			sb_puts(b, " [TC]");
		if (q->status != SD_OK) {
			sb_puts(b, " [");
			sb_puts(b, sd_status_str(q->status));
			sb_add(b, "]", 1);
		}
		emit_b(w, 10, b);
	}
	for (size_t i = 0; i < s->nanswers; i++) {
		const struct sd_answer *an = &s->answers[i];
		char ab[SD_ADDRSTRLEN];
		sb_reset(b);
		sb_puts(b, "      answer frame ");
		sb_u64(b, an->frame);
		sb_puts(b, an->section == SD_DNS_AR ? " additional " : " answer ");
		sb_puts(b, an->owner);
		sb_add(b, " ", 1);
		sb_puts(b, qtype_name(an->type, tb, sizeof tb));
		sb_puts(b, " ttl ");
		sb_u64(b, an->ttl);
		sb_add(b, " ", 1);
		if (an->type == SD_DNS_T_SRV)
			sb_srv(b, an, an->target[0] ? an->target : ".");
		else if (an->type == SD_DNS_T_A || an->type == SD_DNS_T_AAAA)
			sb_puts(b, sd_addr_str(&an->addr, ab, sizeof ab));
		else
			sb_puts(b, an->target);
		emit_b(w, 10, b);
	}
}

static void text_outcome(struct sb *b, const struct sd_conn *c)
{
	const char *who = c->closed_by_server ? "server" : "client";
	switch (c->outcome) {
	case SD_CONN_REFUSED:
		sb_puts(b, "refused (RST) frame ");
		sb_frame(b, c->end_frame);
		break;
	case SD_CONN_RESET:
		sb_puts(b, "reset by ");
		sb_puts(b, who);
		sb_puts(b, " before the handshake completed, frame ");
		sb_frame(b, c->end_frame);
		break;
	case SD_CONN_TIMEOUT:
		sb_puts(b, "SYN never answered (frame ");
		sb_frame(b, c->syn_frame);
		sb_puts(b, ")");
		break;
	case SD_CONN_TLS_ALERT:
		sb_puts(b, "alert ");
		sb_puts(b, sd_tls_alert_str(c->alert_desc));
		sb_puts(b, c->alert_by_server ? " from server frame " : " from client frame ");
		sb_frame(b, c->alert_frame);
		break;
	case SD_CONN_HANDSHAKE_DONE:
		sb_puts(b, "handshake done, encrypted from frame ");
		sb_frame(b, c->enc_frame);
		break;
	case SD_CONN_PLAIN_TCP: sb_puts(b, "plain TCP (no TLS)"); break;
	case SD_CONN_CLOSED:
		sb_puts(b, "closed by ");
		sb_puts(b, who);
		sb_puts(b, " during the handshake, frame ");
		sb_frame(b, c->end_frame);
		break;
	case SD_CONN_INCOMPLETE:
	default: sb_puts(b, "incomplete (no outcome in the capture)"); break;
	}
}

static void cert_brief(struct sb *b, const struct sd_conn_cert *cc)
{
	if (!cc->decoded) {
		sb_puts(b, "undecodable (");
		sb_puts(b, cc->err);
		sb_add(b, ")", 1);
		return;
	}
	const struct sd_cert *ct = &cc->cert;
	if (ct->cn[0]) {
		sb_puts(b, "CN=");
		sb_puts(b, ct->cn);
	} else {
		sb_puts(b, "subject ");
		sb_puts(b, ct->subject[0] ? ct->subject : "(empty)");
	}
	if (!ct->has_san) {
		sb_puts(b, "  no SAN");
		return;
	}
	sb_puts(b, "  SAN ");
	size_t k = 0;
	for (size_t i = 0; i < ct->nsan_dns; i++, k++) {
		if (k)
			sb_add(b, ", ", 2);
		sb_puts(b, ct->san_dns[i]);
	}
	for (size_t i = 0; i < ct->nsan_ip; i++, k++) {
		if (k)
			sb_add(b, ", ", 2);
		sb_puts(b, "IP ");
		sb_puts(b, ct->san_ip[i]);
	}
	sb_more(b, ct->nsan_dropped);
	if (!k)
		sb_puts(b, "(no DNS or IP names)");
}

static void cert_full(struct rw *w, struct sb *b, const struct sd_conn *c, size_t i)
{
	const struct sd_conn_cert *cc = &c->certs[i];
	sb_reset(b);
	sb_puts(b, "      cert ");
	sb_u64(b, i + 1);
	sb_puts(b, " of ");
	sb_u64(b, c->certs_total > c->ncerts ? c->certs_total : c->ncerts);
	sb_puts(b, " (frame ");
	sb_frame(b, c->cert_frame);
	sb_puts(b, ")");
	if (!cc->decoded) {
		sb_puts(b, ": undecodable (");
		sb_puts(b, cc->err);
		sb_puts(b, "), ");
		sb_u64(b, cc->der_len);
		sb_puts(b, " bytes");
	}
	emit_b(w, 8, b);
	if (!cc->decoded)
		return;
	const struct sd_cert *ct = &cc->cert;
	char nb[32], na[32];
	iso_utc(ct->not_before, nb, sizeof nb);
	iso_utc(ct->not_after, na, sizeof na);
	/* Labels are 7 wide so the 64-digit SHA-256 fits exactly in 80 columns. */
	sb_reset(b);
	sb_puts(b, "        subject ");
	sb_puts(b, ct->subject);
	emit_b(w, 16, b);
	sb_reset(b);
	sb_puts(b, "        issuer  ");
	sb_puts(b, ct->issuer);
	if (ct->self_issued)
		sb_puts(b, "  (self-issued)");
	emit_b(w, 16, b);
	sb_reset(b);
	sb_puts(b, "        serial  ");
	sb_puts(b, ct->serial);
	emit_b(w, 16, b);
	sb_reset(b);
	sb_puts(b, "        valid   ");
	sb_puts(b, nb);
	sb_puts(b, " .. ");
	sb_puts(b, na);
	emit_b(w, 16, b);
	sb_reset(b);
	sb_puts(b, "        SAN dns ");
	if (!ct->has_san)
		sb_puts(b, "(no SAN extension)");
	for (size_t k = 0; k < ct->nsan_dns; k++) {
		if (k)
			sb_add(b, ", ", 2);
		sb_puts(b, ct->san_dns[k]);
	}
	if (ct->has_san && !ct->nsan_dns)
		sb_puts(b, "-");
	sb_more(b, ct->nsan_dropped);
	emit_b(w, 16, b);
	if (ct->nsan_ip) {
		sb_reset(b);
		sb_puts(b, "        SAN ip  ");
		for (size_t k = 0; k < ct->nsan_ip; k++) {
			if (k)
				sb_add(b, ", ", 2);
			sb_puts(b, ct->san_ip[k]);
		}
		emit_b(w, 16, b);
	}
	sb_reset(b);
	sb_puts(b, "        EKU     ");
	sb_puts(b, ct->has_eku ? (ct->eku[0] ? ct->eku : "(empty)") : "(none: any use)");
	emit_b(w, 16, b);
	sb_reset(b);
	sb_puts(b, "        key     ");
	sb_puts(b, ct->key_type);
	sb_add(b, " ", 1);
	sb_i64(b, ct->key_bits);
	sb_puts(b, "  sig ");
	sb_puts(b, ct->sig_alg);
	emit_b(w, 16, b);
	sb_reset(b);
	sb_puts(b, "        sha256  ");
	sb_puts(b, ct->sha256_hex);
	emit_b(w, 16, b);
}

static void text_conn(struct rw *w, struct sb *b, const struct sd_attempt *a, size_t idx, int verbose)
{
	const struct sd_conn *c = &a->conns[idx];
	sb_reset(b);
	sb_puts(b, "  conn ");
	sb_u64(b, idx + 1);
	sb_add(b, " ", 1);
	sb_endpoint(b, &c->client, c->cport);
	sb_puts(b, " -> ");
	sb_endpoint(b, &c->server, c->sport);
	if (c->step >= 0) {
		sb_puts(b, "  via #");
		sb_u64(b, step_no(a, c->step));
	}
	sb_puts(b, "  ");
	sb_rel(b, c->ts_ns, a->ts_start_ns);
	if (c->version) {
		sb_puts(b, "  ");
		sb_puts(b, sd_tls_version_str(c->version));
	} else if (c->has_ch) {
		sb_puts(b, "  offered ");
		sb_puts(b, sd_tls_version_str(c->version_offered));
	}
	if (c->has_ch) {
		sb_puts(b, "  SNI ");
		sb_puts(b, c->sni[0] ? c->sni : "-");
	}
	if (c->midstream)
		sb_puts(b, "  (began before the capture)");
	emit_b(w, 6, b);
	if (verbose) {
		sb_reset(b);
		sb_puts(b, "      frames syn ");
		sb_frame(b, c->syn_frame);
		sb_puts(b, " syn-ack ");
		sb_frame(b, c->synack_frame);
		sb_puts(b, " client-hello ");
		sb_frame(b, c->ch_frame);
		sb_puts(b, " server-hello ");
		sb_frame(b, c->sh_frame);
		sb_puts(b, " end ");
		sb_frame(b, c->end_frame);
		if (c->has_sh) {
			sb_puts(b, "  cipher 0x");
			sb_hex(b, c->cipher, 4);
		}
		emit_b(w, 8, b);
	}
	if (c->expected[0] && c->outcome != SD_CONN_PLAIN_TCP) { /* plain SIP has no certificate */
		sb_reset(b);
		sb_puts(b, "      certificate must name ");
		sb_puts(b, c->expected);
		emit_b(w, 8, b);
	}
	if (c->cert_not_visible) {
		emit(w, 8, "      certificate not visible (TLS 1.3 encrypts it)");
	} else if (c->ncerts) {
		if (verbose) {
			for (size_t i = 0; i < c->ncerts; i++)
				cert_full(w, b, c, i);
		} else {
			sb_reset(b);
			sb_puts(b, "      cert frame ");
			sb_frame(b, c->cert_frame);
			sb_puts(b, ": ");
			cert_brief(b, &c->certs[0]);
			size_t total = c->certs_total > c->ncerts ? c->certs_total : c->ncerts;
			if (total > 1) {
				sb_puts(b, "  (chain of ");
				sb_u64(b, total);
				sb_add(b, ")", 1);
			}
			emit_b(w, 8, b);
		}
	}
	if (c->gap_bytes) {
		sb_reset(b);
		sb_puts(b, "      capture gap: ");
		sb_u64(b, c->gap_bytes);
		sb_puts(b, " bytes missing at frame ");
		sb_frame(b, c->gap_frame);
		emit_b(w, 8, b);
	}
	sb_reset(b);
	sb_puts(b, "      outcome: ");
	text_outcome(b, c);
	emit_b(w, 8, b);
}

static const char *sev_label(enum sd_severity s)
{
	return s == SD_SEV_ERROR ? "ERROR" : s == SD_SEV_WARN ? "WARN " : "INFO ";
}

static const char *sev_color(enum sd_severity s)
{
	return s == SD_SEV_ERROR ? C_RED : s == SD_SEV_WARN ? C_YELLOW : C_CYAN;
}

/* Finding indices ordered by severity, most severe first; the rules' own
 * order is kept within a severity (stable insertion sort: small n). */
static size_t *findings_order(const struct sd_attempt *a)
{
	size_t *ix = malloc((a->nfindings ? a->nfindings : 1) * sizeof *ix);
	if (!ix)
		return NULL;
	for (size_t i = 0; i < a->nfindings; i++) {
		size_t j = i;
		while (j > 0 && a->findings[ix[j - 1]].severity < a->findings[i].severity) {
			ix[j] = ix[j - 1];
			j--;
		}
		ix[j] = i;
	}
	return ix;
}

static void text_findings(struct rw *w, struct sb *b, const struct sd_attempt *a, int verbose)
{
	size_t *ix = findings_order(a);
	if (!ix)
		return;
	emit(w, 2, "findings:");
	for (size_t k = 0; k < a->nfindings; k++) {
		const struct sd_finding *f = &a->findings[ix[k]];
		sb_reset(b);
		sb_puts(b, "  ");
		sb_puts(b, sev_label(f->severity));
		sb_add(b, " ", 1);
		sb_puts(b, f->code);
		if (f->nframes) {
			sb_puts(b, "  frames ");
			sb_frames(b, f->frames, f->nframes, f->frames_dropped);
		}
		if (verbose && f->step >= 0) {
			sb_puts(b, "  step #");
			sb_u64(b, step_no(a, f->step));
		}
		if (verbose && f->conn >= 0) {
			sb_puts(b, "  conn ");
			sb_i64(b, (int64_t)f->conn + 1);
		}
		if (f->message[0]) {
			sb_puts(b, "  ");
			sb_puts(b, f->message);
		}
		emit_bc(w, 8, sev_color(f->severity), 2, 5, b);
		if (f->fix[0]) {
			sb_reset(b);
			sb_puts(b, "        fix: ");
			sb_puts(b, f->fix);
			emit_b(w, 13, b);
		}
	}
	free(ix);
}

void sd_report_text(FILE *out, const struct sd_attempt *a, const struct sd_report_opts *o)
{
	struct rw w;
	w.out.f = out;
	w.out.len = 0;
	w.color = o && o->color;
	w.clean = (struct sb){ NULL, 0, 0, 0 };
	int verbose = o && o->verbose;
	struct sb b = { NULL, 0, 0, 0 };
	char ab[SD_ADDRSTRLEN];

	sb_puts(&b, "attempt ");
	sb_u64(&b, a->id);
	sb_puts(&b, "  client ");
	sb_puts(&b, sd_addr_str(&a->client, ab, sizeof ab));
	sb_puts(&b, "  domain ");
	sb_puts(&b, a->domain[0] ? a->domain : "-");
	sb_puts(&b, "  profile ");
	sb_puts(&b, a->profile[0] ? a->profile : "-");
	if (a->profile_why[0]) {
		sb_puts(&b, a->profile_auto ? " (auto: " : " (");
		sb_puts(&b, a->profile_why);
		sb_add(&b, ")", 1);
	} else if (a->profile_auto)
		sb_puts(&b, " (auto)");
	emit_bc(&w, 4, C_BOLD, 0, 7, &b);

	const char *vs = sd_verdict_str(a->verdict);
	const char *vc = a->verdict == SD_VERDICT_SIGNED_IN ? C_GREEN :
			 a->verdict == SD_VERDICT_FAILED  ? C_RED :
							    C_YELLOW;
	sb_reset(&b);
	sb_puts(&b, "  verdict ");
	sb_puts(&b, vs);
	sb_puts(&b, "  ended ");
	sb_puts(&b, sd_end_reason_str(a->end_reason));
	sb_puts(&b, "  frames ");
	sb_u64(&b, a->frame_first);
	sb_add(&b, "-", 1);
	sb_u64(&b, a->frame_last);
	if (a->ts_start_ns >= 0 && a->ts_end_ns >= a->ts_start_ns) {
		uint64_t ms = (uint64_t)(a->ts_end_ns - a->ts_start_ns) / 1000000;
		sb_puts(&b, "  lasted ");
		sb_u64(&b, ms / 1000);
		sb_add(&b, ".", 1);
		sb_ms3(&b, (unsigned)(ms % 1000));
		sb_add(&b, "s", 1);
	}
	emit_bc(&w, 4, vc, 10, strlen(vs), &b);

	if (a->winning_step >= 0 || a->expected_name[0]) {
		sb_reset(&b);
		if (a->winning_step >= 0) {
			sb_puts(&b, "  server from #");
			sb_u64(&b, step_no(a, a->winning_step));
		}
		if (a->winning_conn >= 0) {
			sb_puts(&b, b.len ? ", conn " : "  conn ");
			sb_i64(&b, (int64_t)a->winning_conn + 1);
		}
		if (a->expected_name[0]) {
			sb_puts(&b, b.len ? ", certificate must name " : "  certificate must name ");
			sb_puts(&b, a->expected_name);
		}
		emit_b(&w, 4, &b);
	}
	if (a->evidence_incomplete) {
		sb_reset(&b);
		sb_puts(&b, "  evidence incomplete: ");
		sb_puts(&b, a->incomplete_why[0] ? a->incomplete_why : "-");
		if (a->nincomplete_frames) {
			sb_puts(&b, "  frames ");
			sb_frames(&b, a->incomplete_frames, a->nincomplete_frames, 0);
		}
		emit_bc(&w, 4, C_YELLOW, 2, 19, &b);
	}

	if (a->nsteps) {
		emit(&w, 2, "steps:");
		for (size_t i = 0; i < a->nsteps; i++)
			text_step(&w, &b, a, i, verbose);
	}
	if (a->nconns) {
		emit(&w, 2, "connections:");
		for (size_t i = 0; i < a->nconns; i++)
			text_conn(&w, &b, a, i, verbose);
	}
	if (a->nfindings)
		text_findings(&w, &b, a, verbose);
	if (a->symptom[0]) {
		emit(&w, 2, "what the user saw:");
		sb_reset(&b);
		sb_puts(&b, "  \"");
		sb_puts(&b, a->symptom);
		sb_add(&b, "\"", 1);
		emit_b(&w, 3, &b);
	}
	if (a->nevent_ids) {
		emit(&w, 2, "client event log:");
		for (size_t i = 0; i < a->nevent_ids; i++) {
			const char *t = event_text(a, i);
			sb_reset(&b);
			sb_puts(&b, "  Event ");
			sb_i64(&b, a->event_ids[i]);
			if (t[0]) {
				sb_add(&b, ": ", 2);
				sb_puts(&b, t);
			}
			emit_b(&w, 4, &b);
		}
	}
	rw_flush(&w);
	free(b.p);
	free(w.clean.p);
}

/* ----------------------------------------------------------------- JSON */

static void j_frame(struct sd_json *j, const char *key, uint64_t f)
{
	if (f)
		sd_json_uint(j, key, f);
	else
		sd_json_null(j, key);
}

static void j_index(struct sd_json *j, const char *key, int i)
{
	if (i >= 0)
		sd_json_int(j, key, i);
	else
		sd_json_null(j, key);
}

/* Times and durations: -1 (unknown / pending) becomes null. */
static void j_ns(struct sd_json *j, const char *key, int64_t v)
{
	if (v >= 0)
		sd_json_int(j, key, v);
	else
		sd_json_null(j, key);
}

static void j_addr(struct sd_json *j, const char *key, const struct sd_addr *a)
{
	if (a->family == 4 || a->family == 6) {
		char buf[SD_ADDRSTRLEN];
		sd_json_str(j, key, sd_addr_str(a, buf, sizeof buf));
	} else {
		sd_json_null(j, key);
	}
}

static void j_opt_str(struct sd_json *j, const char *key, const char *s)
{
	sd_json_str(j, key, s[0] ? s : NULL);
}

static void j_time(struct sd_json *j, const char *key, int64_t secs)
{
	char buf[32];
	iso_utc(secs, buf, sizeof buf);
	j_opt_str(j, key, buf);
}

static void j_frames(struct sd_json *j, const char *key, const uint64_t *fr, size_t n)
{
	sd_json_arr(j, key);
	for (size_t i = 0; i < n; i++)
		sd_json_uint(j, NULL, fr[i]);
	sd_json_arr_end(j);
}

static void j_rcode(struct sd_json *j, int rcode)
{
	if (rcode >= 0) {
		sd_json_int(j, "rcode", rcode);
		sd_json_str(j, "rcode_name", sd_dns_rcode_str((uint16_t)rcode));
	} else {
		sd_json_null(j, "rcode");
		sd_json_null(j, "rcode_name");
	}
}

static const char *state_str(enum sd_step_state s)
{
	return s == SD_STEP_ANSWERED ? "answered" : s == SD_STEP_UNANSWERED ? "unanswered" : "pending";
}

static void json_step(struct sd_json *j, const struct sd_step *s)
{
	char tb[16];
	sd_json_obj(j, NULL);
	sd_json_uint(j, "order", s->order);
	sd_json_str(j, "role", sd_role_str(s->role));
	j_index(j, "parent", s->parent);
	sd_json_str(j, "name", s->name);
	sd_json_str(j, "queried", s->queried);
	sd_json_str(j, "qtype", qtype_name(s->qtype, tb, sizeof tb));
	sd_json_str(j, "transport", transport_str(s->transport));
	sd_json_str(j, "state", state_str(s->state));
	j_frame(j, "frame", s->frame);
	j_frame(j, "resp_frame", s->resp_frame);
	j_rcode(j, s->rcode);
	sd_json_bool(j, "tc", s->tc);
	j_ns(j, "rtt_ns", s->rtt_ns);
	sd_json_uint(j, "retries", s->retries);
	sd_json_int(j, "ts_ns", s->ts_ns);
	j_ns(j, "ts_done_ns", s->ts_done_ns);
	sd_json_bool(j, "resolved", s->resolved);
	sd_json_bool(j, "via_cname", s->via_cname);
	j_opt_str(j, "canonical", s->canonical);
	j_index(j, "conn", s->conn);
	j_opt_str(j, "expected", s->expected);
	sd_json_arr(j, "queries");
	for (size_t i = 0; i < s->nqueries; i++) {
		const struct sd_query *q = &s->queries[i];
		sd_json_obj(j, NULL);
		sd_json_str(j, "qname", q->qname);
		sd_json_str(j, "qtype", qtype_name(q->qtype, tb, sizeof tb));
		sd_json_uint(j, "id", q->txid);
		sd_json_str(j, "transport", transport_str(q->transport));
		j_addr(j, "server", &q->server);
		sd_json_bool(j, "suffix_retry", q->suffix_retry);
		sd_json_bool(j, "retransmit", q->retransmit);
		j_frame(j, "frame", q->frame);
		sd_json_int(j, "ts_ns", q->ts_ns);
		j_frame(j, "resp_frame", q->resp_frame);
		j_rcode(j, q->rcode);
		sd_json_bool(j, "tc", q->tc);
		j_ns(j, "rtt_ns", q->rtt_ns);
		sd_json_str(j, "status", sd_status_str(q->status));
		sd_json_uint(j, "answers", q->nanswers);
		sd_json_obj_end(j);
	}
	sd_json_arr_end(j);
	sd_json_arr(j, "answers");
	for (size_t i = 0; i < s->nanswers; i++) {
		const struct sd_answer *an = &s->answers[i];
		sd_json_obj(j, NULL);
		sd_json_str(j, "section", an->section == SD_DNS_AR ? "additional" : "answer");
		sd_json_str(j, "owner", an->owner);
		sd_json_str(j, "type", qtype_name(an->type, tb, sizeof tb));
		sd_json_uint(j, "ttl", an->ttl);
		if (an->type == SD_DNS_T_A || an->type == SD_DNS_T_AAAA) {
			j_addr(j, "address", &an->addr);
		} else if (an->type == SD_DNS_T_SRV) {
			sd_json_uint(j, "priority", an->priority);
			sd_json_uint(j, "weight", an->weight);
			sd_json_uint(j, "port", an->port);
			sd_json_str(j, "target", an->target); /* "" = "." (no service) */
		} else {
			sd_json_str(j, "target", an->target);
		}
		sd_json_uint(j, "frame", an->frame);
		sd_json_int(j, "ts_ns", an->ts_ns);
		sd_json_obj_end(j);
	}
	sd_json_arr_end(j);
	sd_json_obj_end(j);
}

static void json_cert(struct sd_json *j, const struct sd_conn_cert *cc)
{
	sd_json_obj(j, NULL);
	sd_json_bool(j, "decoded", cc->decoded);
	sd_json_uint(j, "der_len", cc->der_len);
	if (!cc->decoded) {
		sd_json_str(j, "error", cc->err);
		sd_json_obj_end(j);
		return;
	}
	const struct sd_cert *c = &cc->cert;
	sd_json_str(j, "subject", c->subject);
	sd_json_str(j, "issuer", c->issuer);
	sd_json_str(j, "cn", c->cn);
	sd_json_str(j, "serial", c->serial);
	j_time(j, "not_before", c->not_before);
	j_time(j, "not_after", c->not_after);
	sd_json_bool(j, "has_san", c->has_san);
	sd_json_arr(j, "san_dns");
	for (size_t i = 0; i < c->nsan_dns; i++)
		sd_json_str(j, NULL, c->san_dns[i]);
	sd_json_arr_end(j);
	sd_json_arr(j, "san_ip");
	for (size_t i = 0; i < c->nsan_ip; i++)
		sd_json_str(j, NULL, c->san_ip[i]);
	sd_json_arr_end(j);
	sd_json_uint(j, "san_dropped", c->nsan_dropped);
	sd_json_bool(j, "has_eku", c->has_eku);
	/* the decoder joins EKU short names with ","; split them back into a list */
	sd_json_arr(j, "eku");
	const char *p = c->eku;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n)
			sd_json_strn(j, NULL, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	sd_json_arr_end(j);
	sd_json_bool(j, "server_auth", c->eku_server_auth);
	sd_json_bool(j, "client_auth", c->eku_client_auth);
	sd_json_str(j, "key_type", c->key_type);
	sd_json_int(j, "key_bits", c->key_bits);
	sd_json_str(j, "sig_alg", c->sig_alg);
	sd_json_bool(j, "self_issued", c->self_issued);
	sd_json_str(j, "sha256", c->sha256_hex);
	sd_json_obj_end(j);
}

static void json_conn(struct sd_json *j, const struct sd_conn *c)
{
	sd_json_obj(j, NULL);
	sd_json_uint(j, "conn_id", c->conn_id);
	j_addr(j, "client", &c->client);
	sd_json_uint(j, "cport", c->cport);
	j_addr(j, "server", &c->server);
	sd_json_uint(j, "sport", c->sport);
	j_index(j, "step", c->step);
	j_opt_str(j, "expected", c->expected);
	sd_json_str(j, "outcome", sd_conn_outcome_str(c->outcome));
	sd_json_bool(j, "midstream", c->midstream);
	sd_json_bool(j, "closed_by_server", c->closed_by_server);
	j_frame(j, "syn_frame", c->syn_frame);
	j_frame(j, "synack_frame", c->synack_frame);
	j_frame(j, "end_frame", c->end_frame);
	j_frame(j, "ch_frame", c->ch_frame);
	j_frame(j, "sh_frame", c->sh_frame);
	j_frame(j, "cert_frame", c->cert_frame);
	j_frame(j, "alert_frame", c->alert_frame);
	j_frame(j, "enc_frame", c->enc_frame);
	sd_json_int(j, "ts_ns", c->ts_ns);
	j_ns(j, "ts_end_ns", c->ts_end_ns);
	sd_json_bool(j, "client_hello", c->has_ch);
	sd_json_bool(j, "server_hello", c->has_sh);
	if (c->version_offered)
		sd_json_str(j, "version_offered", sd_tls_version_str(c->version_offered));
	else
		sd_json_null(j, "version_offered");
	if (c->version)
		sd_json_str(j, "version", sd_tls_version_str(c->version));
	else
		sd_json_null(j, "version");
	if (c->has_sh)
		sd_json_uint(j, "cipher", c->cipher);
	else
		sd_json_null(j, "cipher");
	if (c->has_ch)
		j_opt_str(j, "sni", c->sni);
	else
		sd_json_null(j, "sni");
	if (c->outcome == SD_CONN_TLS_ALERT || c->alert_frame) {
		sd_json_obj(j, "alert");
		sd_json_uint(j, "level", c->alert_level);
		sd_json_uint(j, "description", c->alert_desc);
		sd_json_str(j, "description_name", sd_tls_alert_str(c->alert_desc));
		sd_json_str(j, "from", c->alert_by_server ? "server" : "client");
		sd_json_obj_end(j);
	} else {
		sd_json_null(j, "alert");
	}
	sd_json_bool(j, "cert_not_visible", c->cert_not_visible);
	sd_json_uint(j, "gap_bytes", c->gap_bytes);
	j_frame(j, "gap_frame", c->gap_frame);
	sd_json_uint(j, "certs_total", c->certs_total);
	sd_json_arr(j, "certs");
	for (size_t i = 0; i < c->ncerts; i++)
		json_cert(j, &c->certs[i]);
	sd_json_arr_end(j);
	sd_json_obj_end(j);
}

static void json_finding(struct sd_json *j, const struct sd_finding *f)
{
	sd_json_obj(j, NULL);
	sd_json_str(j, "code", f->code);
	sd_json_str(j, "severity", sd_severity_str(f->severity));
	if (f->event_id)
		sd_json_int(j, "event_id", f->event_id);
	else
		sd_json_null(j, "event_id");
	j_opt_str(j, "event_text", f->event_text);
	j_opt_str(j, "dialog", f->dialog);
	sd_json_str(j, "message", f->message);
	j_opt_str(j, "fix", f->fix);
	j_frames(j, "frames", f->frames, f->nframes);
	sd_json_uint(j, "frames_dropped", f->frames_dropped);
	j_index(j, "step", f->step);
	j_index(j, "conn", f->conn);
	sd_json_obj_end(j);
}

void sd_report_json(FILE *out, const struct sd_attempt *a)
{
	struct sd_json j;
	char buf[48];
	sd_json_init(&j, out);
	sd_json_obj(&j, NULL);
	sd_json_str(&j, "type", "attempt");
	sd_json_uint(&j, "id", a->id);
	j_addr(&j, "client", &a->client);
	sd_json_str(&j, "domain", a->domain);
	sd_json_str(&j, "profile", a->profile);
	sd_json_bool(&j, "profile_auto", a->profile_auto);
	sd_json_str(&j, "profile_why", a->profile_why);
	sd_json_str(&j, "verdict", sd_verdict_str(a->verdict));
	sd_json_str(&j, "end_reason", sd_end_reason_str(a->end_reason));
	iso_utc_ns(a->ts_start_ns, buf, sizeof buf);
	j_opt_str(&j, "start", buf);
	sd_json_int(&j, "ts_start_ns", a->ts_start_ns);
	j_ns(&j, "ts_end_ns", a->ts_end_ns);
	if (a->ts_start_ns >= 0 && a->ts_end_ns >= a->ts_start_ns)
		sd_json_int(&j, "duration_ns", a->ts_end_ns - a->ts_start_ns);
	else
		sd_json_null(&j, "duration_ns");
	j_frame(&j, "frame_first", a->frame_first);
	j_frame(&j, "frame_last", a->frame_last);
	j_index(&j, "winning_step", a->winning_step);
	j_index(&j, "winning_conn", a->winning_conn);
	j_opt_str(&j, "expected_name", a->expected_name);
	j_opt_str(&j, "symptom", a->symptom);
	sd_json_arr(&j, "events");
	for (size_t i = 0; i < a->nevent_ids; i++) {
		sd_json_obj(&j, NULL);
		sd_json_int(&j, "id", a->event_ids[i]);
		j_opt_str(&j, "text", event_text(a, i));
		sd_json_obj_end(&j);
	}
	sd_json_arr_end(&j);
	sd_json_bool(&j, "evidence_incomplete", a->evidence_incomplete);
	j_opt_str(&j, "incomplete_why", a->incomplete_why);
	j_frames(&j, "incomplete_frames", a->incomplete_frames, a->nincomplete_frames);
	sd_json_bool(&j, "checked", a->checked);
	sd_json_arr(&j, "steps");
	for (size_t i = 0; i < a->nsteps; i++)
		json_step(&j, &a->steps[i]);
	sd_json_arr_end(&j);
	sd_json_arr(&j, "conns");
	for (size_t i = 0; i < a->nconns; i++)
		json_conn(&j, &a->conns[i]);
	sd_json_arr_end(&j);
	/* model order (the store's index), not the text's severity order */
	sd_json_arr(&j, "findings");
	for (size_t i = 0; i < a->nfindings; i++)
		json_finding(&j, &a->findings[i]);
	sd_json_arr_end(&j);
	sd_json_obj_end(&j);
}
