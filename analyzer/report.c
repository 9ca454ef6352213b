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

#include <stdarg.h>
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
 * SANs), and truncating them silently would hide evidence. */
struct sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (!b->p || b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_add(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
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
		} else if (c >= 0x20 && c < 0x7f) {
			/* a run of plain ASCII in one copy: most text is */
			size_t j = i + 1;
			while (j < n && s[j] >= 0x20 && s[j] < 0x7f)
				j++;
			sb_add(out, (const char *)s + i, j - i);
			i = j;
		} else {
			size_t u = c >= 0x80 ? utf8_ok(s + i, n - i) : 0;
			if (u) {
				sb_add(out, (const char *)s + i, u);
				i += u;
			} else {
				sb_printf(out, "\\x%02x", c);
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
	FILE *f;
	int color;
	struct sb clean; /* scratch for sanitize */
};

/* Writes one logical line: sanitized, wrapped at WIDTH columns at spaces
 * (hard-broken only when a word is longer than a line), continuation lines
 * indented by cont. With colour, bytes [off, off+hl) of the first physical
 * line are drawn in esc. */
static void emit_c(struct rw *w, int cont, const char *esc, size_t off, size_t hl, const char *text)
{
	sb_reset(&w->clean);
	sanitize(&w->clean, text, strlen(text));
	if (w->clean.oom || !w->clean.p) {
		fputs("(out of memory)\n", w->f);
		return;
	}
	const char *s = w->clean.p;
	size_t n = w->clean.len;
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
		size_t end;
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
		size_t e = end;
		while (e > i && s[e - 1] == ' ')
			e--;
		if (!first)
			fprintf(w->f, "%*s", cont, "");
		if (first && w->color && esc && hl && off + hl <= e - i) {
			fwrite(s + i, 1, off, w->f);
			fputs(esc, w->f);
			fwrite(s + i + off, 1, hl, w->f);
			fputs(C_OFF, w->f);
			fwrite(s + i + off + hl, 1, e - i - off - hl, w->f);
		} else {
			fwrite(s + i, 1, e - i, w->f);
		}
		fputc('\n', w->f);
		i = end;
		first = 0;
		if (i >= n)
			break;
	}
}

static void emit(struct rw *w, int cont, const char *text) { emit_c(w, cont, NULL, 0, 0, text); }

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
	int64_t ms = d / 1000000;
	sb_printf(b, "%s%lld.%03llds", sign, (long long)(ms / 1000), (long long)(ms % 1000));
}

/* Round-trip time in tenths of a millisecond, integer arithmetic so the
 * text is the same on every platform. */
static void sb_rtt(struct sb *b, int64_t ns)
{
	int64_t tenths = (ns + 50000) / 100000;
	sb_printf(b, "rtt %lld.%lld ms", (long long)(tenths / 10), (long long)(tenths % 10));
}

static void sb_frame(struct sb *b, uint64_t f)
{
	if (f)
		sb_printf(b, "%llu", (unsigned long long)f);
	else
		sb_puts(b, "-");
}

static void sb_endpoint(struct sb *b, const struct sd_addr *a, uint16_t port)
{
	char buf[SD_ADDRSTRLEN];
	sd_addr_str(a, buf, sizeof buf);
	if (a->family == 6)
		sb_printf(b, "[%s]:%u", buf, port);
	else
		sb_printf(b, "%s:%u", buf, port);
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

static void sb_frames(struct sb *b, const uint64_t *fr, size_t n, size_t dropped)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(b, "%s%llu", i ? "," : "", (unsigned long long)fr[i]);
	if (dropped)
		sb_printf(b, " (+%zu more)", dropped);
}

/* ----------------------------------------------------------- text parts */

/* "  CNAME c -> a1, a2" / "  -> a1" / "  SRV p w port t, SRV ..." */
static void text_answers_brief(struct sb *b, const struct sd_step *s)
{
	int any = 0, addrs = 0;
	if (s->via_cname && s->canonical[0]) {
		sb_printf(b, "  CNAME %s", s->canonical);
		any = 1;
	}
	for (size_t i = 0; i < s->nanswers; i++) {
		const struct sd_answer *an = &s->answers[i];
		if (an->section != SD_DNS_AN)
			continue;
		if (an->type == SD_DNS_T_SRV) {
			sb_puts(b, any ? ", " : "  ");
			if (an->target[0])
				sb_printf(b, "SRV %u %u %u %s", an->priority, an->weight, an->port, an->target);
			else
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
		sb_printf(b, "  (no %s data)", qtype_name(s->qtype, tb, sizeof tb));
	}
}

static void text_step(struct rw *w, struct sb *b, const struct sd_attempt *a, size_t idx, int verbose)
{
	const struct sd_step *s = &a->steps[idx];
	char tb[16];
	sb_reset(b);
	sb_printf(b, "  #%u ", step_no(a, (int)idx));
	sb_rel(b, s->ts_ns, a->ts_start_ns);
	sb_printf(b, " %s", sd_role_str(s->role));
	if (s->parent >= 0)
		sb_printf(b, "(#%u)", step_no(a, s->parent));
	sb_printf(b, " %s %s", qtype_name(s->qtype, tb, sizeof tb), s->name);
	if (s->queried[0] && strcmp(s->queried, s->name))
		sb_printf(b, " (as %s)", s->queried);
	sb_puts(b, "  frames ");
	sb_frame(b, s->frame);
	sb_puts(b, "/");
	sb_frame(b, s->resp_frame);
	switch (s->state) {
	case SD_STEP_PENDING: sb_puts(b, "  no response yet"); break;
	case SD_STEP_UNANSWERED: sb_puts(b, "  no response"); break;
	case SD_STEP_ANSWERED:
		sb_printf(b, "  %s", s->rcode >= 0 ? sd_dns_rcode_str((uint16_t)s->rcode) : "?");
		text_answers_brief(b, s);
		break;
	}
	if (s->rtt_ns >= 0 && s->state == SD_STEP_ANSWERED) {
		sb_puts(b, "  ");
		sb_rtt(b, s->rtt_ns);
	}
	if (s->retries)
		sb_printf(b, "  retries %u", s->retries);
	if (s->tc)
		sb_puts(b, "  TC");
	if (s->transport == 6)
		sb_puts(b, "  over TCP");
	emit(w, 6, b->p);
	if (!verbose)
		return;
	if (s->expected[0]) {
		sb_reset(b);
		sb_printf(b, "      certificate must name %s", s->expected);
		emit(w, 8, b->p);
	}
	for (size_t i = 0; i < s->nqueries; i++) {
		const struct sd_query *q = &s->queries[i];
		char ab[SD_ADDRSTRLEN];
		sb_reset(b);
		sb_puts(b, "      query frame ");
		sb_frame(b, q->frame);
		sb_puts(b, " ");
		sb_rel(b, q->ts_ns, a->ts_start_ns);
		sb_printf(b, " %s %s id 0x%04x %s to %s", qtype_name(q->qtype, tb, sizeof tb), q->qname, q->txid,
			  transport_str(q->transport), sd_addr_str(&q->server, ab, sizeof ab));
		if (q->resp_frame) {
			sb_printf(b, " -> frame %llu %s", (unsigned long long)q->resp_frame,
				  q->rcode >= 0 ? sd_dns_rcode_str((uint16_t)q->rcode) : "?");
			if (q->rtt_ns >= 0) {
				sb_puts(b, " ");
				sb_rtt(b, q->rtt_ns);
			}
			sb_printf(b, " %zu records", q->nanswers);
		} else {
			sb_puts(b, " -> no response");
		}
		if (q->retransmit)
			sb_puts(b, " [retransmit]");
		if (q->suffix_retry)
			sb_puts(b, " [suffix retry]");
		if (q->tc)
			sb_puts(b, " [TC]");
		if (q->status != SD_OK)
			sb_printf(b, " [%s]", sd_status_str(q->status));
		emit(w, 10, b->p);
	}
	for (size_t i = 0; i < s->nanswers; i++) {
		const struct sd_answer *an = &s->answers[i];
		char ab[SD_ADDRSTRLEN];
		sb_reset(b);
		sb_printf(b, "      answer frame %llu %s %s %s ttl %u ", (unsigned long long)an->frame,
			  an->section == SD_DNS_AR ? "additional" : "answer", an->owner,
			  qtype_name(an->type, tb, sizeof tb), an->ttl);
		if (an->type == SD_DNS_T_SRV)
			sb_printf(b, "%u %u %u %s", an->priority, an->weight, an->port,
				  an->target[0] ? an->target : ".");
		else if (an->type == SD_DNS_T_A || an->type == SD_DNS_T_AAAA)
			sb_puts(b, sd_addr_str(&an->addr, ab, sizeof ab));
		else
			sb_puts(b, an->target);
		emit(w, 10, b->p);
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
		sb_printf(b, "reset by %s before the handshake completed, frame ", who);
		sb_frame(b, c->end_frame);
		break;
	case SD_CONN_TIMEOUT:
		sb_puts(b, "SYN never answered (frame ");
		sb_frame(b, c->syn_frame);
		sb_puts(b, ")");
		break;
	case SD_CONN_TLS_ALERT:
		sb_printf(b, "alert %s from %s frame ", sd_tls_alert_str(c->alert_desc),
			  c->alert_by_server ? "server" : "client");
		sb_frame(b, c->alert_frame);
		break;
	case SD_CONN_HANDSHAKE_DONE:
		sb_puts(b, "handshake done, encrypted from frame ");
		sb_frame(b, c->enc_frame);
		break;
	case SD_CONN_PLAIN_TCP: sb_puts(b, "plain TCP (no TLS)"); break;
	case SD_CONN_CLOSED:
		sb_printf(b, "closed by %s during the handshake, frame ", who);
		sb_frame(b, c->end_frame);
		break;
	case SD_CONN_INCOMPLETE:
	default: sb_puts(b, "incomplete (no outcome in the capture)"); break;
	}
}

static void cert_brief(struct sb *b, const struct sd_conn_cert *cc)
{
	if (!cc->decoded) {
		sb_printf(b, "undecodable (%s)", cc->err);
		return;
	}
	const struct sd_cert *ct = &cc->cert;
	if (ct->cn[0])
		sb_printf(b, "CN=%s", ct->cn);
	else
		sb_printf(b, "subject %s", ct->subject[0] ? ct->subject : "(empty)");
	if (!ct->has_san) {
		sb_puts(b, "  no SAN");
		return;
	}
	sb_puts(b, "  SAN ");
	size_t k = 0;
	for (size_t i = 0; i < ct->nsan_dns; i++, k++)
		sb_printf(b, "%s%s", k ? ", " : "", ct->san_dns[i]);
	for (size_t i = 0; i < ct->nsan_ip; i++, k++)
		sb_printf(b, "%sIP %s", k ? ", " : "", ct->san_ip[i]);
	if (ct->nsan_dropped)
		sb_printf(b, " (+%zu more)", ct->nsan_dropped);
	if (!k)
		sb_puts(b, "(no DNS or IP names)");
}

static void cert_full(struct rw *w, struct sb *b, const struct sd_conn *c, size_t i)
{
	const struct sd_conn_cert *cc = &c->certs[i];
	sb_reset(b);
	sb_printf(b, "      cert %zu of %zu (frame ", i + 1, c->certs_total > c->ncerts ? c->certs_total : c->ncerts);
	sb_frame(b, c->cert_frame);
	sb_puts(b, ")");
	if (!cc->decoded)
		sb_printf(b, ": undecodable (%s), %zu bytes", cc->err, cc->der_len);
	emit(w, 8, b->p);
	if (!cc->decoded)
		return;
	const struct sd_cert *ct = &cc->cert;
	char nb[32], na[32];
	iso_utc(ct->not_before, nb, sizeof nb);
	iso_utc(ct->not_after, na, sizeof na);
	/* Labels are 7 wide so the 64-digit SHA-256 fits exactly in 80 columns. */
	sb_reset(b);
	sb_printf(b, "        subject %s", ct->subject);
	emit(w, 16, b->p);
	sb_reset(b);
	sb_printf(b, "        issuer  %s%s", ct->issuer, ct->self_issued ? "  (self-issued)" : "");
	emit(w, 16, b->p);
	sb_reset(b);
	sb_printf(b, "        serial  %s", ct->serial);
	emit(w, 16, b->p);
	sb_reset(b);
	sb_printf(b, "        valid   %s .. %s", nb, na);
	emit(w, 16, b->p);
	sb_reset(b);
	sb_puts(b, "        SAN dns ");
	if (!ct->has_san)
		sb_puts(b, "(no SAN extension)");
	for (size_t k = 0; k < ct->nsan_dns; k++)
		sb_printf(b, "%s%s", k ? ", " : "", ct->san_dns[k]);
	if (ct->has_san && !ct->nsan_dns)
		sb_puts(b, "-");
	if (ct->nsan_dropped)
		sb_printf(b, " (+%zu more)", ct->nsan_dropped);
	emit(w, 16, b->p);
	if (ct->nsan_ip) {
		sb_reset(b);
		sb_puts(b, "        SAN ip  ");
		for (size_t k = 0; k < ct->nsan_ip; k++)
			sb_printf(b, "%s%s", k ? ", " : "", ct->san_ip[k]);
		emit(w, 16, b->p);
	}
	sb_reset(b);
	sb_printf(b, "        EKU     %s", ct->has_eku ? (ct->eku[0] ? ct->eku : "(empty)") : "(none: any use)");
	emit(w, 16, b->p);
	sb_reset(b);
	sb_printf(b, "        key     %s %d  sig %s", ct->key_type, ct->key_bits, ct->sig_alg);
	emit(w, 16, b->p);
	sb_reset(b);
	sb_printf(b, "        sha256  %s", ct->sha256_hex);
	emit(w, 16, b->p);
}

static void text_conn(struct rw *w, struct sb *b, const struct sd_attempt *a, size_t idx, int verbose)
{
	const struct sd_conn *c = &a->conns[idx];
	sb_reset(b);
	sb_printf(b, "  conn %zu ", idx + 1);
	sb_endpoint(b, &c->client, c->cport);
	sb_puts(b, " -> ");
	sb_endpoint(b, &c->server, c->sport);
	if (c->step >= 0)
		sb_printf(b, "  via #%u", step_no(a, c->step));
	sb_puts(b, "  ");
	sb_rel(b, c->ts_ns, a->ts_start_ns);
	if (c->version)
		sb_printf(b, "  %s", sd_tls_version_str(c->version));
	else if (c->has_ch)
		sb_printf(b, "  offered %s", sd_tls_version_str(c->version_offered));
	if (c->has_ch)
		sb_printf(b, "  SNI %s", c->sni[0] ? c->sni : "-");
	if (c->midstream)
		sb_puts(b, "  (began before the capture)");
	emit(w, 6, b->p);
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
		if (c->has_sh)
			sb_printf(b, "  cipher 0x%04x", c->cipher);
		emit(w, 8, b->p);
	}
	if (c->expected[0] && c->outcome != SD_CONN_PLAIN_TCP) { /* plain SIP has no certificate */
		sb_reset(b);
		sb_printf(b, "      certificate must name %s", c->expected);
		emit(w, 8, b->p);
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
			if (total > 1)
				sb_printf(b, "  (chain of %zu)", total);
			emit(w, 8, b->p);
		}
	}
	if (c->gap_bytes) {
		sb_reset(b);
		sb_printf(b, "      capture gap: %u bytes missing at frame ", c->gap_bytes);
		sb_frame(b, c->gap_frame);
		emit(w, 8, b->p);
	}
	sb_reset(b);
	sb_puts(b, "      outcome: ");
	text_outcome(b, c);
	emit(w, 8, b->p);
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
		sb_printf(b, "  %s %s", sev_label(f->severity), f->code);
		if (f->nframes) {
			sb_puts(b, "  frames ");
			sb_frames(b, f->frames, f->nframes, f->frames_dropped);
		}
		if (verbose && f->step >= 0)
			sb_printf(b, "  step #%u", step_no(a, f->step));
		if (verbose && f->conn >= 0)
			sb_printf(b, "  conn %d", f->conn + 1);
		if (f->message[0])
			sb_printf(b, "  %s", f->message);
		emit_c(w, 8, sev_color(f->severity), 2, 5, b->p);
		if (f->fix[0]) {
			sb_reset(b);
			sb_printf(b, "        fix: %s", f->fix);
			emit(w, 13, b->p);
		}
	}
	free(ix);
}

void sd_report_text(FILE *out, const struct sd_attempt *a, const struct sd_report_opts *o)
{
	struct rw w = { out, o && o->color, { NULL, 0, 0, 0 } };
	int verbose = o && o->verbose;
	struct sb b = { NULL, 0, 0, 0 };
	char ab[SD_ADDRSTRLEN];

	sb_printf(&b, "attempt %llu  client %s  domain %s  profile %s", (unsigned long long)a->id,
		  sd_addr_str(&a->client, ab, sizeof ab), a->domain[0] ? a->domain : "-",
		  a->profile[0] ? a->profile : "-");
	if (a->profile_why[0])
		sb_printf(&b, " (%s%s)", a->profile_auto ? "auto: " : "", a->profile_why);
	else if (a->profile_auto)
		sb_puts(&b, " (auto)");
	emit_c(&w, 4, C_BOLD, 0, 7, b.p);

	const char *vs = sd_verdict_str(a->verdict);
	const char *vc = a->verdict == SD_VERDICT_SIGNED_IN ? C_GREEN :
			 a->verdict == SD_VERDICT_FAILED  ? C_RED :
							    C_YELLOW;
	sb_reset(&b);
	sb_printf(&b, "  verdict %s  ended %s  frames %llu-%llu", vs, sd_end_reason_str(a->end_reason),
		  (unsigned long long)a->frame_first, (unsigned long long)a->frame_last);
	if (a->ts_start_ns >= 0 && a->ts_end_ns >= a->ts_start_ns) {
		int64_t ms = (a->ts_end_ns - a->ts_start_ns) / 1000000;
		sb_printf(&b, "  lasted %lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
	}
	emit_c(&w, 4, vc, 10, strlen(vs), b.p);

	if (a->winning_step >= 0 || a->expected_name[0]) {
		sb_reset(&b);
		if (a->winning_step >= 0)
			sb_printf(&b, "  server from #%u", step_no(a, a->winning_step));
		if (a->winning_conn >= 0)
			sb_printf(&b, "%sconn %d", b.len ? ", " : "  ", a->winning_conn + 1);
		if (a->expected_name[0])
			sb_printf(&b, "%scertificate must name %s", b.len ? ", " : "  ", a->expected_name);
		emit(&w, 4, b.p);
	}
	if (a->evidence_incomplete) {
		sb_reset(&b);
		sb_printf(&b, "  evidence incomplete: %s", a->incomplete_why[0] ? a->incomplete_why : "-");
		if (a->nincomplete_frames) {
			sb_puts(&b, "  frames ");
			sb_frames(&b, a->incomplete_frames, a->nincomplete_frames, 0);
		}
		emit_c(&w, 4, C_YELLOW, 2, 19, b.p);
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
		sb_printf(&b, "  \"%s\"", a->symptom);
		emit(&w, 3, b.p);
	}
	if (a->nevent_ids) {
		emit(&w, 2, "client event log:");
		for (size_t i = 0; i < a->nevent_ids; i++) {
			const char *t = event_text(a, i);
			sb_reset(&b);
			sb_printf(&b, "  Event %d%s%s", a->event_ids[i], t[0] ? ": " : "", t);
			emit(&w, 4, b.p);
		}
	}
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
