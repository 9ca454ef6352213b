/*
 * dns_tcp.c - DNS over TCP framing (RFC 1035 4.2.2): each message is
 * preceded by its length in two bytes.
 *
 * The contract is Suricata's "incomplete, need N more": whole messages in
 * the fed bytes are handed on directly from the caller's buffer; only an
 * incomplete tail is copied, into one buffer grown as the bytes arrive (a
 * flow that announces 65535 bytes and sends 10 holds 10, not 64 KiB).
 *
 * After a gap the position of the next message is not trusted. When the
 * gap ended inside the message being collected and its length is known, the
 * rest of that message is skipped and the next one starts at a known place;
 * otherwise the bytes after the gap are taken as a message start. Either
 * way the first message after a gap must pass sd_dns_plausible or the
 * stream is abandoned (every later feed returns SD_E_MALFORMED).
 */
#include "dns.h"

#include <stdlib.h>
#include <string.h>

#define PREFIX 2
#define GROW_MIN 512

struct sd_dnstcp {
	sd_dnstcp_fn fn;
	void *ud;
	uint8_t pfx[PREFIX];
	size_t npfx;     /* length-prefix bytes held (0..2) */
	size_t need;     /* message length once the prefix is complete */
	uint8_t *buf;    /* incomplete message body, grown lazily */
	size_t cap, have;
	uint64_t frame_first; /* frame of the held message's first byte */
	uint64_t skip;   /* bytes of a message broken by a gap still to discard */
	int resync;      /* next message follows a gap: must look like DNS */
	int dead;        /* framing lost for good */
};

struct sd_dnstcp *sd_dnstcp_new(sd_dnstcp_fn fn, void *ud)
{
	struct sd_dnstcp *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fn = fn;
	s->ud = ud;
	return s;
}

void sd_dnstcp_free(struct sd_dnstcp *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

size_t sd_dnstcp_pending(const struct sd_dnstcp *s)
{
	return s ? s->npfx + s->have : 0;
}

/* Hands a whole message on; after a gap only if it looks like DNS. */
static int deliver(struct sd_dnstcp *s, const uint8_t *msg, size_t len, uint64_t frame, int64_t ts)
{
	if (s->resync) {
		if (!sd_dns_plausible(msg, len)) {
			s->dead = 1;
			return SD_E_MALFORMED;
		}
		s->resync = 0;
	}
	if (s->fn)
		s->fn(s->ud, msg, len, s->frame_first, frame, ts);
	return SD_OK;
}

static int grow(struct sd_dnstcp *s, size_t want)
{
	if (want <= s->cap)
		return 0;
	size_t n = s->cap ? s->cap : GROW_MIN;
	while (n < want)
		n *= 2;
	if (n > s->need)
		n = s->need;
	uint8_t *b = realloc(s->buf, n);
	if (!b)
		return -1;
	s->buf = b;
	s->cap = n;
	return 0;
}

int sd_dnstcp_feed(struct sd_dnstcp *s, const uint8_t *data, size_t len, uint64_t frame, int64_t ts_ns)
{
	if (!s)
		return SD_E_MALFORMED;
	struct cur c = cur_init(data, len);
	while (!s->dead && cur_left(&c)) {
		if (s->skip) {
			size_t n = cur_left(&c) < s->skip ? cur_left(&c) : (size_t)s->skip;
			cur_skip(&c, n);
			s->skip -= n;
			continue;
		}
		if (s->npfx < PREFIX) {
			if (s->npfx == 0)
				s->frame_first = frame;
			s->pfx[s->npfx++] = cur_u8(&c);
			if (s->npfx < PREFIX)
				continue;
			s->need = (size_t)s->pfx[0] << 8 | s->pfx[1];
			/* An empty message cannot be DNS; after a gap, neither can one
			 * shorter than a header. */
			if (s->need == 0 || (s->resync && s->need < 12)) {
				s->dead = 1;
				break;
			}
			s->have = 0;
			continue;
		}
		size_t want = s->need - s->have;
		if (s->have == 0 && cur_left(&c) >= want) {
			/* whole message in the caller's bytes: no copy */
			const uint8_t *m = cur_take(&c, want);
			s->npfx = 0;
			if (deliver(s, m, want, frame, ts_ns))
				break;
			continue;
		}
		size_t n = cur_left(&c) < want ? cur_left(&c) : want;
		if (grow(s, s->have + n)) {
			/* cannot hold it: drop the stream rather than misframe it */
			s->dead = 1;
			return SD_E_NOMEM;
		}
		cur_copy(&c, s->buf + s->have, n);
		s->have += n;
		if (s->have == s->need) {
			s->npfx = 0;
			s->have = 0;
			if (deliver(s, s->buf, s->need, frame, ts_ns))
				break;
		}
	}
	if (s->dead) {
		s->npfx = 0;
		s->have = 0;
		return SD_E_MALFORMED;
	}
	return SD_OK;
}

void sd_dnstcp_gap(struct sd_dnstcp *s, uint32_t len)
{
	if (!s || s->dead)
		return;
	if (s->skip) {
		/* already discarding a broken message: the gap eats into that */
		if (len < s->skip)
			s->skip -= len;
		else
			s->skip = 0;
	} else if (s->npfx == PREFIX && len < s->need - s->have) {
		/* the gap ended inside this message, whose end is known */
		s->skip = s->need - s->have - len;
	}
	/* otherwise the bytes after the gap are taken as a message start */
	s->npfx = 0;
	s->have = 0;
	s->resync = 1;
}
