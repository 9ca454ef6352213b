/*
 * fuzz_tls.c - the TLS decoder fed a two-way conversation, as Zeek's
 * FuzzBuffer does: the input is split on "\1PKT"; the byte after each marker
 * picks the direction (low bit: 0 client, 1 server) and, with bit 1, a gap
 * before the chunk. The ServerHello version is passed to the other side as
 * the pipeline does. Invariants checked: encrypted() at most once per
 * direction, no callback after feed said stop, bounded pending bytes, and
 * every certificate slice readable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct side {
	struct sd_tls *t;
	struct side *other;
	int is_server, stopped, encrypted;
	unsigned sum;
};

static void check_live(const struct side *s)
{
	if (s->stopped)
		abort(); /* a callback after the decoder said it was done */
}

static void on_ch(void *ud, const struct sd_tls_client_hello *h, uint64_t ff, uint64_t f, int64_t ts)
{
	struct side *s = ud;
	(void)ts;
	check_live(s);
	if (ff > f || strlen(h->sni) >= sizeof h->sni || strlen(h->alpn) >= sizeof h->alpn ||
	    h->nversions > SD_TLS_MAX_VERSIONS)
		abort();
}

static void on_sh(void *ud, const struct sd_tls_server_hello *h, uint64_t ff, uint64_t f, int64_t ts)
{
	struct side *s = ud;
	(void)ts;
	check_live(s);
	if (ff > f)
		abort();
	if (!h->hello_retry && s->other->t)
		sd_tls_set_version(s->other->t, h->version);
}

static void on_cert(void *ud, const struct sd_tls_chain *c, uint64_t ff, uint64_t f, int64_t ts)
{
	struct side *s = ud;
	(void)ts;
	check_live(s);
	if (ff > f || c->n > SD_TLS_MAX_CHAIN || c->n > c->total)
		abort();
	/* touch every byte so the sanitizer sees any slice past its buffer */
	for (size_t i = 0; i < c->n; i++)
		for (uint32_t k = 0; k < c->c[i].len; k++)
			s->sum += c->c[i].der[k];
}

static void on_alert(void *ud, uint8_t level, uint8_t desc, int enc, uint64_t f, int64_t ts)
{
	struct side *s = ud;
	(void)f;
	(void)ts;
	check_live(s);
	if (enc && (level || desc))
		abort();
	(void)sd_tls_alert_str(desc);
}

static void on_enc(void *ud, uint16_t v, uint64_t f, int64_t ts)
{
	struct side *s = ud;
	(void)f;
	(void)ts;
	check_live(s);
	if (s->encrypted++)
		abort(); /* promised once */
	(void)sd_tls_version_str(v);
}

static void on_err(void *ud, int status, const char *what, uint64_t f, int64_t ts)
{
	struct side *s = ud;
	(void)f;
	(void)ts;
	check_live(s);
	if (!what || !what[0] || status >= 0)
		abort();
}

static void feed(struct side *s, const uint8_t *p, size_t n, uint64_t frame)
{
	if (n == 0)
		return;
	if (!s->t) {
		(void)sd_tls_probe(p, n);
		struct sd_tls_cb cb = { s, on_ch, on_sh, on_cert, on_alert, on_enc, on_err };
		s->t = sd_tls_new(s->is_server, &cb);
		if (!s->t)
			return;
	}
	int r = sd_tls_feed(s->t, p, n, frame, (int64_t)frame * 1000);
	if (s->stopped && !r)
		abort(); /* once done, stays done */
	if (r)
		s->stopped = 1;
	if (sd_tls_pending(s->t) > 5 + 16384 + 2048 + 4 + SD_TLS_MAX_MSG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mark[4] = { 1, 'P', 'K', 'T' };
	struct side sides[2];
	memset(sides, 0, sizeof sides);
	sides[0].other = &sides[1];
	sides[1].other = &sides[0];
	sides[1].is_server = 1;
	int dir = 0, gap = 0;
	size_t pos = 0;
	uint64_t frame = 1;
	while (pos <= size) {
		/* the chunk runs to the next marker or the end */
		size_t end = pos;
		while (end + 4 <= size && memcmp(data + end, mark, 4) != 0)
			end++;
		if (end + 4 > size)
			end = size;
		struct side *s = &sides[dir];
		if (gap && s->t) {
			sd_tls_gap(s->t, 100, frame, 0);
			s->stopped = 1;
		}
		feed(s, data + pos, end - pos, frame++);
		if (end >= size || end + 4 >= size)
			break;
		uint8_t ctl = data[end + 4];
		dir = ctl & 1;
		gap = (ctl & 2) && (ctl & 0xf0) == 0xf0; /* rare, so most inputs run long */
		pos = end + 5;
	}
	for (int i = 0; i < 2; i++)
		sd_tls_free(sides[i].t);
	return 0;
}
