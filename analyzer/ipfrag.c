/*
 * ipfrag.c - IPv4/IPv6 fragment reassembly with bounded memory.
 *
 * Each datagram being reassembled owns one buffer indexed by fragment offset
 * and a sorted list of the byte spans already filled. A new fragment only
 * fills bytes no earlier fragment covered (overlaps keep the first copy, as
 * Windows and the BSDs do; a later copy rewriting TCP/UDP headers is a
 * known evasion). Datagrams sit in a hash table for lookup and in one list
 * in arrival order, so both the timeout and the memory bound drop the
 * oldest first. A completed datagram's buffer is handed out as is and kept
 * until the next completion, which is what keeps the payload valid until
 * the next sd_ip_decode call without another copy.
 */
#include "ip.h"

#include <stdlib.h>
#include <string.h>

#define NBUCKET 4096u
#define MAX_DGRAM 65535u /* largest reassembled payload (RFC 791, RFC 8200) */
#define MAX_SPANS 1024u  /* holes per datagram: beyond this it is an attack, not a network */

struct span {
	uint32_t s, e; /* filled bytes [s, e) */
};

struct dgram {
	struct sd_ipfrag_key k;
	uint32_t hash;
	struct dgram *hnext;         /* hash chain */
	struct dgram *older, *newer; /* arrival order */
	uint64_t first_frame;
	int64_t first_ts;
	uint32_t total;     /* datagram length, once the last fragment was seen */
	uint8_t have_total;
	uint8_t trunc;      /* a fragment was cut by the snaplen: track coverage only */
	uint8_t *buf;
	uint32_t cap;
	struct span *spans;
	uint32_t nspan, capspan;
	size_t cost; /* bytes charged against max_bytes */
};

struct sd_ipfrag {
	struct sd_ipfrag_head head; /* first: read inline by sd_ip_decode */
	size_t max_bytes;
	int64_t timeout_ns;
	uint32_t seed; /* per table, so colliding keys cannot be crafted offline */
	struct dgram *bucket[NBUCKET];
	struct dgram *oldest, *newest;
	uint8_t *out; /* last reassembled datagram, valid until the next completion */
	struct sd_ipfrag_stats st;
};

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct sd_ipfrag *sd_ipfrag_new(size_t max_bytes, int64_t timeout_ns)
{
	struct sd_ipfrag *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->max_bytes = max_bytes;
	f->timeout_ns = timeout_ns;
	/* the table's address is enough: the hash only spreads chains and never
	 * decides an outcome (eviction follows arrival order) */
	uintptr_t a = (uintptr_t)f;
	f->seed = fnv(2166136261u, (const uint8_t *)&a, sizeof a);
	return f;
}

static uint32_t key_hash(uint32_t seed, const struct sd_ipfrag_key *k)
{
	size_t alen = k->src.family == 4 ? 4 : 16;
	uint8_t tail[6] = { k->src.family, k->proto, (uint8_t)(k->id >> 24), (uint8_t)(k->id >> 16),
			    (uint8_t)(k->id >> 8), (uint8_t)k->id };
	uint32_t h = fnv(seed, k->src.a, alen);
	h = fnv(h, k->dst.a, alen);
	return fnv(h, tail, sizeof tail);
}

static int key_eq(const struct sd_ipfrag_key *x, const struct sd_ipfrag_key *y)
{
	return x->id == y->id && x->proto == y->proto && sd_addr_eq(&x->src, &y->src) &&
	       sd_addr_eq(&x->dst, &y->dst);
}

static void charge(struct sd_ipfrag *f, struct dgram *d, size_t cost)
{
	f->st.held_bytes = f->st.held_bytes - d->cost + cost;
	d->cost = cost;
}

static size_t cost_of(const struct dgram *d)
{
	return sizeof *d + d->cap + (size_t)d->capspan * sizeof(struct span);
}

/* Unlinks d from the table and the list; frees its buffer unless keep_buf. */
static void drop(struct sd_ipfrag *f, struct dgram *d, int keep_buf)
{
	struct dgram **pp = &f->bucket[d->hash % NBUCKET];
	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->older)
		d->older->newer = d->newer;
	else
		f->oldest = d->newer;
	if (d->newer)
		d->newer->older = d->older;
	else
		f->newest = d->older;
	f->st.held_bytes -= d->cost;
	f->head.ndgram--;
	if (!keep_buf)
		free(d->buf);
	free(d->spans);
	free(d);
}

void sd_ipfrag_free(struct sd_ipfrag *f)
{
	if (!f)
		return;
	while (f->oldest)
		drop(f, f->oldest, 0);
	free(f->out);
	free(f);
}

void sd_ipfrag_stats(const struct sd_ipfrag *f, struct sd_ipfrag_stats *out)
{
	*out = f->st;
}

void sd_ipfrag_expire(struct sd_ipfrag *f, int64_t now_ns)
{
	if (f->timeout_ns <= 0)
		return;
	/* unsigned difference: capture times are untrusted and may be anything */
	while (f->oldest && now_ns > f->oldest->first_ts &&
	       (uint64_t)now_ns - (uint64_t)f->oldest->first_ts > (uint64_t)f->timeout_ns) {
		drop(f, f->oldest, 0);
		f->st.timed_out++;
	}
}

/* Makes room for `more` extra bytes charged to d by dropping the oldest other
 * datagrams; 0 if it still does not fit. */
static int make_room(struct sd_ipfrag *f, const struct dgram *d, size_t more)
{
	while (f->st.held_bytes + more > f->max_bytes) {
		struct dgram *v = f->oldest;
		if (v && v == d)
			v = v->newer;
		if (!v)
			return 0;
		drop(f, v, 0); /* NOLINT(clang-analyzer-unix.Malloc): oldest->older is NULL, so drop advances f->oldest */
		f->st.dropped_limit++;
	}
	return 1;
}

static struct dgram *find_or_add(struct sd_ipfrag *f, const struct sd_ipfrag_key *k, uint64_t frame,
				 int64_t ts)
{
	uint32_t h = key_hash(f->seed, k);
	for (struct dgram *d = f->bucket[h % NBUCKET]; d; d = d->hnext)
		if (d->hash == h && key_eq(&d->k, k))
			return d;
	if (!make_room(f, NULL, sizeof(struct dgram)))
		return NULL;
	struct dgram *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->k = *k;
	d->hash = h;
	d->first_frame = frame;
	d->first_ts = ts;
	d->hnext = f->bucket[h % NBUCKET];
	f->bucket[h % NBUCKET] = d;
	d->older = f->newest;
	if (f->newest)
		f->newest->newer = d;
	else
		f->oldest = d;
	f->newest = d;
	f->head.ndgram++;
	charge(f, d, cost_of(d));
	return d;
}

/* Grows d's buffer to hold byte end-1 (exactly the total once known). */
static int grow_buf(struct sd_ipfrag *f, struct dgram *d, uint32_t end)
{
	if (end <= d->cap)
		return 1;
	uint32_t ncap = d->have_total ? d->total : d->cap * 2;
	if (ncap < end)
		ncap = end;
	if (ncap > MAX_DGRAM)
		ncap = MAX_DGRAM;
	if (!make_room(f, d, ncap - d->cap))
		return 0;
	uint8_t *nb = realloc(d->buf, ncap);
	if (!nb)
		return 0;
	d->buf = nb;
	d->cap = ncap;
	charge(f, d, cost_of(d));
	return 1;
}

/* Copies the bytes of [s, e) that no span covers yet from data (whose first
 * byte is offset s). Called before the span is merged in. */
static void fill_gaps(struct dgram *d, uint32_t s, uint32_t e, struct cur data)
{
	uint32_t pos = s;
	for (uint32_t i = 0; i < d->nspan && pos < e; i++) {
		const struct span *sp = &d->spans[i];
		if (sp->e <= pos)
			continue;
		if (sp->s > pos) {
			uint32_t to = sp->s < e ? sp->s : e;
			cur_seek(&data, pos - s);
			cur_copy(&data, d->buf + pos, to - pos);
		}
		pos = sp->e;
	}
	if (pos < e) {
		cur_seek(&data, pos - s);
		cur_copy(&data, d->buf + pos, e - pos);
	}
}

/* Merges [s, e) into the sorted, disjoint, non-touching span list. */
static int add_span(struct sd_ipfrag *f, struct dgram *d, uint32_t s, uint32_t e)
{
	uint32_t i = 0, j;
	while (i < d->nspan && d->spans[i].e < s)
		i++;
	j = i;
	while (j < d->nspan && d->spans[j].s <= e)
		j++;
	if (i < j) { /* [s, e) meets spans i..j-1: fold them into spans[i] */
		if (d->spans[i].s < s)
			s = d->spans[i].s;
		if (d->spans[j - 1].e > e)
			e = d->spans[j - 1].e;
		d->spans[i].s = s;
		d->spans[i].e = e;
		memmove(&d->spans[i + 1], &d->spans[j], (d->nspan - j) * sizeof(struct span));
		d->nspan -= j - i - 1;
		return 1;
	}
	if (d->nspan == d->capspan) {
		if (d->capspan >= MAX_SPANS)
			return 0;
		uint32_t ncap = d->capspan ? d->capspan * 2 : 4;
		if (!make_room(f, d, (ncap - d->capspan) * sizeof(struct span)))
			return 0;
		struct span *ns = realloc(d->spans, ncap * sizeof(struct span));
		if (!ns)
			return 0;
		d->spans = ns;
		d->capspan = ncap;
		charge(f, d, cost_of(d));
	}
	memmove(&d->spans[i + 1], &d->spans[i], (d->nspan - i) * sizeof(struct span));
	d->spans[i].s = s;
	d->spans[i].e = e;
	d->nspan++;
	return 1;
}

int sd_ipfrag_add(struct sd_ipfrag *f, const struct sd_ipfrag_key *k, uint32_t off, int more,
		  struct cur data, uint32_t wire_len, uint64_t frame, int64_t ts_ns, struct cur *whole,
		  uint64_t *first_frame)
{
	if (off > MAX_DGRAM || wire_len > MAX_DGRAM - off)
		return SD_E_MALFORMED; /* "ping of death": past the largest datagram */
	uint32_t s = off, e = off + wire_len;
	struct dgram *d = find_or_add(f, k, frame, ts_ns);
	if (!d) {
		f->st.dropped_limit++;
		return SD_E_LIMIT;
	}
	/* the fragments must agree on where the datagram ends */
	if (!more) {
		if ((d->have_total && d->total != e) || (d->nspan && d->spans[d->nspan - 1].e > e)) {
			drop(f, d, 0);
			return SD_E_MALFORMED;
		}
		d->total = e;
		d->have_total = 1;
	} else if (d->have_total && e > d->total) {
		drop(f, d, 0);
		return SD_E_MALFORMED;
	}
	if (cur_left(&data) < wire_len && !d->trunc) {
		/* cut by the snaplen: this datagram can never be whole, so stop
		 * holding its bytes and only watch for its end to report it */
		d->trunc = 1;
		free(d->buf);
		d->buf = NULL;
		d->cap = 0;
		charge(f, d, cost_of(d));
	}
	if (s < e) {
		if (!d->trunc) {
			if (!grow_buf(f, d, e)) {
				drop(f, d, 0);
				f->st.dropped_limit++;
				return SD_E_LIMIT;
			}
			fill_gaps(d, s, e, data);
		}
		if (!add_span(f, d, s, e)) {
			drop(f, d, 0);
			f->st.dropped_limit++;
			return SD_E_LIMIT;
		}
	}
	if (!d->have_total)
		return SD_IP_HELD;
	if (d->total > 0 && (d->nspan != 1 || d->spans[0].s != 0 || d->spans[0].e != d->total))
		return SD_IP_HELD;
	if (d->trunc) {
		drop(f, d, 0);
		return SD_E_TRUNC;
	}
	/* hand the buffer out: the previous one is no longer referenced (the
	 * current fragment's bytes, even if they were in it, are copied) */
	free(f->out);
	f->out = d->buf;
	*whole = cur_init(f->out, d->total);
	*first_frame = d->first_frame;
	f->st.reassembled++;
	drop(f, d, 1);
	return SD_IP_DONE;
}
