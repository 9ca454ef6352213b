/*
 * tcp_reasm.c - TCP header parsing, connection table, per-direction
 * reassembly. See tcp_reasm.h for the delivery contract.
 *
 * Design:
 *  - Connections live in a chained hash table keyed on the 4-tuple (the hash
 *    is symmetric so both directions find the same entry) and on an LRU list
 *    ordered by last activity: eviction by idle time or by count is O(1) per
 *    connection evicted.
 *  - In-order data is handed to the consumer straight from the packet; only
 *    out-of-order data is copied, into "chunks" kept sorted by sequence and
 *    never overlapping (first copy wins: a later copy only fills the holes).
 *  - A chunk's bookkeeping counts against the buffer limits with its bytes,
 *    so a flood of one-byte segments cannot grow memory past the bound.
 *  - A closed connection stays in the table as a tombstone (no consumer
 *    pointer) until it ages out, so the trailing ACKs and retransmissions
 *    after FIN/RST do not open a phantom mid-stream connection. Only a SYN
 *    with a new ISN reopens the 4-tuple (port reuse), as Wireshark does.
 *    Data still in flight after an RST is therefore not delivered: nobody
 *    received it (tshark does show it, as undecodable records).
 *  - A connection closes when both sides sent a FIN, on an RST, on eviction
 *    or at the end; only then do holes still open become gaps (a late
 *    retransmission can fill a hole until then).
 *  - Zero fields in sd_tcp_limits mean "the default" for that field.
 */
#include "tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

#define DEF_MAX_CONNS 65536
#define DEF_DIR_BUFFER (256u * 1024)
#define DEF_TOTAL_BUFFER (16u << 20)
#define DEF_IDLE_NS (300LL * 1000000000LL)
/* RST acceptance: "in window" with a loose window, because we do not track
 * window scaling; it still rejects most blind RSTs with a random sequence. */
#define RST_WINDOW (16u << 20)
/* One segment's length is clamped so serial arithmetic stays meaningful. */
#define MAX_SEG_LEN 0x40000000u
#define MAX_BUCKETS (1u << 20)

/* Header parsing is inline in tcp_reasm.h (sd_tcp_parse). */

/* ---------------------------------------------------------------- serial */

/* RFC 1982 comparisons on 32-bit sequence numbers. */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

/* -------------------------------------------------------------- structures */

/* Out-of-order bytes held for one direction. lost = bytes known to exist
 * but cut by the snaplen: no data, delivered as a gap. */
struct chunk {
	struct chunk *next;
	uint32_t seq, len;
	uint8_t lost;
	uint8_t data[];
};
#define CHUNK_OVERHEAD (sizeof(struct chunk) + 16) /* + allocator slack */

struct half {
	struct chunk *head, *tail; /* sorted by seq, disjoint, all after next */
	size_t cost;               /* held bytes + bookkeeping, against the limits */
	uint64_t held;             /* payload bytes held */
	uint32_t isn;              /* sequence of the SYN (valid if saw_syn_seq) */
	uint32_t next;             /* next sequence to deliver */
	uint32_t hi;               /* highest sequence end seen */
	uint32_t fin_seq;          /* sequence of the FIN (valid if fin) */
	uint8_t have_seq, stopped, fin, saw_syn_seq;
};

struct tconn {
	struct tconn *hnext;        /* hash chain */
	struct tconn *lprev, *lnext; /* LRU, head = least recently used */
	uint32_t hash;
	struct sd_tcp_conn_info info;
	void *user;
	struct half h[2];
	uint64_t last_frame;
	int64_t last_ts;
	uint8_t closed, established, syn_event, rst;
};

struct sd_tcp {
	struct sd_tcp_limits lim;
	struct sd_tcp_cb cb;
	struct tconn **bucket;
	uint32_t nbucket; /* power of two, grown with the table (load <= 1) */
	struct tconn *last; /* last connection hit: packets come in bursts per flow */
	struct tconn *lru_head, *lru_tail;
	size_t nconn;     /* entries, tombstones included */
	size_t held_cost; /* over all directions */
	uint64_t next_id;
	struct sd_tcp_stats st;
};

/* ------------------------------------------------------------------ table */

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Word-wise: this runs for every packet, so no byte loop. */
static uint32_t ep_hash(const struct sd_addr *a, uint16_t port)
{
	uint32_t w[4];
	memcpy(w, a->a, sizeof w);
	uint32_t h = w[0] * 0x9e3779b1u ^ ((uint32_t)port << 8 | a->family);
	if (a->family != 4)
		h ^= mix32(w[1] + 0x7f4a7c15u) ^ mix32(w[2] * 0x85ebca6bu) ^ mix32(w[3] + 0xc2b2ae35u);
	return mix32(h);
}

/* Symmetric: the sum does not depend on which endpoint is the source. */
static uint32_t tuple_hash(const struct sd_addr *s, uint16_t sp, const struct sd_addr *d, uint16_t dp)
{
	return mix32(ep_hash(s, sp) + ep_hash(d, dp));
}

/* Fixed-size word compares (inlined) rather than a memcmp call per packet. */
static inline int addr_eq(const struct sd_addr *x, const struct sd_addr *y)
{
	if (x->family != y->family)
		return 0;
	uint64_t a[2], b[2];
	if (x->family == 4) {
		uint32_t u, v;
		memcpy(&u, x->a, 4);
		memcpy(&v, y->a, 4);
		return u == v;
	}
	memcpy(a, x->a, 16);
	memcpy(b, y->a, 16);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

/* Which direction a packet from (s,sp) to (d,dp) is in c, or -1. */
static inline int match_dir(const struct tconn *c, const struct sd_addr *s, uint16_t sp, const struct sd_addr *d,
		     uint16_t dp)
{
	const struct sd_tcp_conn_info *i = &c->info;
	if (sp == i->cport && dp == i->sport && addr_eq(s, &i->client) && addr_eq(d, &i->server))
		return SD_TCP_C2S;
	if (sp == i->sport && dp == i->cport && addr_eq(s, &i->server) && addr_eq(d, &i->client))
		return SD_TCP_S2C;
	return -1;
}

static void lru_unlink(struct sd_tcp *t, struct tconn *c)
{
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		t->lru_head = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	else
		t->lru_tail = c->lprev;
	c->lprev = c->lnext = NULL;
}

static void lru_append(struct sd_tcp *t, struct tconn *c)
{
	c->lprev = t->lru_tail;
	c->lnext = NULL;
	if (t->lru_tail)
		t->lru_tail->lnext = c;
	else
		t->lru_head = c;
	t->lru_tail = c;
}

static void table_remove(struct sd_tcp *t, struct tconn *c)
{
	if (t->last == c)
		t->last = NULL;
	struct tconn **pp = &t->bucket[c->hash & (t->nbucket - 1)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(t, c);
	t->nconn--;
}

/* ------------------------------------------------------------- held chunks */

static void half_free_chunks(struct sd_tcp *t, struct half *h)
{
	struct chunk *k = h->head;
	while (k) {
		struct chunk *n = k->next;
		free(k);
		k = n;
	}
	t->held_cost -= h->cost;
	t->st.held_bytes -= h->held;
	h->head = h->tail = NULL;
	h->cost = 0;
	h->held = 0;
}

static size_t chunk_cost(const struct chunk *k) { return CHUNK_OVERHEAD + (k->lost ? 0 : k->len); }

static struct chunk *pop_head(struct sd_tcp *t, struct half *h)
{
	struct chunk *k = h->head;
	h->head = k->next;
	if (!h->head)
		h->tail = NULL;
	size_t cost = chunk_cost(k);
	h->cost -= cost;
	t->held_cost -= cost;
	if (!k->lost) {
		h->held -= k->len;
		t->st.held_bytes -= k->len;
	}
	return k;
}

/* ---------------------------------------------------------------- delivery */

/* Gives up on a direction's data: the consumer asked for no more. The
 * sequence keeps being tracked so state handling stays right. */
static void half_stop(struct sd_tcp *t, struct half *h)
{
	h->stopped = 1;
	half_free_chunks(t, h);
	if (seq_lt(h->next, h->hi))
		h->next = h->hi;
}

/* Returns nonzero if the consumer stopped the direction. */
static int deliver(struct sd_tcp *t, struct tconn *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame,
		   int64_t ts)
{
	struct half *h = &c->h[dir];
	h->next += n;
	t->st.bytes_delivered += n;
	if (t->cb.on_data && t->cb.on_data(t->cb.ud, c->user, dir, p, n, frame, ts)) {
		half_stop(t, h);
		return 1;
	}
	return 0;
}

static void gap(struct sd_tcp *t, struct tconn *c, int dir, uint32_t n, uint64_t frame, int64_t ts)
{
	if (!n)
		return;
	c->h[dir].next += n;
	t->st.gaps++;
	t->st.gap_bytes += n;
	if (t->cb.on_gap)
		t->cb.on_gap(t->cb.ud, c->user, dir, n, frame, ts);
}

/* A segment's payload seen by the reassembler: captured bytes then lost
 * (snaplen) bytes, starting at seq. */
struct segv {
	uint32_t seq;
	struct cur data; /* captured bytes (whole window) */
	uint32_t cap;    /* captured bytes used */
	uint32_t total;  /* captured + lost */
};

/*
 * Delivers from h->next onwards: held chunks that start at next, and the
 * segment s (which must start at or before next; NULL = only drain). A held
 * chunk wins over the segment for the bytes both cover (it came first); the
 * segment fills what lies between chunks. Everything goes out with the
 * current frame: it is the frame at which these bytes became deliverable.
 */
static void advance(struct sd_tcp *t, struct tconn *c, int dir, const struct segv *s, uint64_t frame, int64_t ts,
		    int *overlapped)
{
	struct half *h = &c->h[dir];
	while (!h->stopped) {
		struct chunk *k = h->head;
		if (k && seq_le(k->seq, h->next)) {
			uint32_t skip = h->next - k->seq; /* already delivered part */
			k = pop_head(t, h);
			if (s && skip < k->len && seq_lt(h->next, s->seq + s->total))
				*overlapped = 1;
			int stop = 0;
			if (skip < k->len) {
				if (k->lost)
					gap(t, c, dir, k->len - skip, frame, ts);
				else
					stop = deliver(t, c, dir, k->data + skip, k->len - skip, frame, ts);
			}
			free(k);
			if (stop)
				break;
			continue;
		}
		if (!s)
			break;
		uint32_t end = s->seq + s->total;
		if (!seq_lt(h->next, end))
			break;
		uint32_t n = end - h->next;
		if (k && k->seq - h->next < n)
			n = k->seq - h->next;
		uint32_t off = h->next - s->seq;
		if (off < s->cap) {
			uint32_t m = s->cap - off < n ? s->cap - off : n;
			struct cur w = s->data;
			cur_seek(&w, off);
			const uint8_t *p = cur_take(&w, m);
			if (!p) /* cannot happen: cap <= window length */
				break;
			if (deliver(t, c, dir, p, m, frame, ts))
				break;
			n -= m;
		}
		/* Bytes the snaplen cut: report them, never invent them. */
		gap(t, c, dir, n, frame, ts);
	}
}

static struct chunk *chunk_new(uint32_t seq, uint32_t len, const uint8_t *p)
{
	struct chunk *k = malloc(sizeof *k + (p ? len : 0));
	if (!k)
		return NULL;
	k->next = NULL;
	k->seq = seq;
	k->len = len;
	k->lost = p == NULL;
	if (p)
		memcpy(k->data, p, len);
	return k;
}

/* Room for cost more held bytes in this direction and overall? */
static int fits(const struct sd_tcp *t, const struct half *h, size_t cost)
{
	return h->cost + cost <= t->lim.max_dir_buffer && t->held_cost + cost <= t->lim.max_total_buffer;
}

/*
 * Stores the pieces of s (which starts after next) not already held.
 * Returns 0 when all of s is held, -1 when a limit (or malloc) stopped it
 * part-way: the pieces stored so far stay, the caller makes room and calls
 * again (pieces already held then simply count as covered).
 */
static int hold(struct sd_tcp *t, struct half *h, const struct segv *s, int *overlapped)
{
	uint32_t pos = s->seq, end = s->seq + s->total;
	struct chunk **pp = &h->head;
	/* Out-of-order segments usually arrive in order among themselves:
	 * appending after the tail is the common case, so check it first. */
	if (h->tail && seq_le(h->tail->seq + h->tail->len, pos))
		pp = &h->tail->next;
	while (seq_lt(pos, end)) {
		struct chunk *k = *pp;
		if (k && seq_le(k->seq + k->len, pos)) {
			pp = &k->next;
			continue;
		}
		if (k && seq_le(k->seq, pos)) { /* pos is covered by k: first copy wins */
			*overlapped = 1;
			pos = k->seq + k->len;
			pp = &k->next;
			continue;
		}
		/* Uncovered piece [pos, min(end, k->seq)). */
		uint32_t pend = k && seq_lt(k->seq, end) ? k->seq : end;
		uint32_t off = pos - s->seq;
		uint32_t n = pend - pos;
		/* Split at the captured/lost boundary: one chunk of each kind. */
		const uint8_t *p = NULL;
		if (off < s->cap) {
			if (n > s->cap - off)
				n = s->cap - off;
			struct cur w = s->data;
			cur_seek(&w, off);
			p = cur_take(&w, n);
			if (!p)
				return -1;
		}
		size_t cost = CHUNK_OVERHEAD + (p ? n : 0);
		if (!fits(t, h, cost))
			return -1;
		struct chunk *nk = chunk_new(pos, n, p);
		if (!nk)
			return -1;
		nk->next = k;
		*pp = nk;
		if (!k)
			h->tail = nk;
		h->cost += cost;
		t->held_cost += cost;
		if (p) {
			h->held += n;
			t->st.held_bytes += n;
		}
		pp = &nk->next;
		pos += n;
	}
	return 0;
}

/* One segment's payload for direction dir. */
static void half_data(struct sd_tcp *t, struct tconn *c, int dir, struct segv *s, uint64_t frame, int64_t ts)
{
	struct half *h = &c->h[dir];
	if (!h->have_seq) {
		h->have_seq = 1;
		h->next = h->hi = s->seq;
	}
	uint32_t end = s->seq + s->total;
	if (seq_lt(h->hi, end))
		h->hi = end;
	if (h->stopped) {
		h->next = h->hi;
		return;
	}
	/* Overlaps are counted once per segment, and only on the first pass:
	 * after a forced gap our own held copies would look like overlaps. */
	int overlapped = 0, dummy = 0, *ov = &overlapped;
	for (;; ov = &dummy) {
		/* Bytes already delivered: a retransmission or an overlap. */
		if (seq_lt(s->seq, h->next)) {
			*ov = 1;
			uint32_t trim = h->next - s->seq;
			if (trim >= s->total)
				break;
			s->seq += trim;
			uint32_t tc = trim < s->cap ? trim : s->cap;
			cur_skip(&s->data, tc);
			s->data = cur_rest(&s->data);
			s->cap -= tc;
			s->total -= trim;
		}
		if (s->seq == h->next) {
			advance(t, c, dir, s, frame, ts, ov);
			break;
		}
		if (hold(t, h, s, ov) == 0)
			break;
		/* Over a limit: make room by giving up on the oldest hole. If the
		 * new segment lies before the first held chunk, only the hole in
		 * front of it is lost; else the first hole goes. With nothing
		 * held (the overall limit is used up by other connections), the
		 * segment is delivered at once after a gap. */
		struct chunk *k = h->head;
		uint32_t to = k && seq_lt(k->seq, s->seq) ? k->seq : s->seq;
		gap(t, c, dir, to - h->next, frame, ts);
		advance(t, c, dir, NULL, frame, ts, &dummy);
		if (h->stopped)
			break;
	}
	if (overlapped)
		t->st.overlaps++;
}

/* Gives up on every hole of a direction: at close, eviction or finish. */
static void half_flush(struct sd_tcp *t, struct tconn *c, int dir, uint64_t frame, int64_t ts)
{
	struct half *h = &c->h[dir];
	int dummy = 0;
	while (!h->stopped && h->head) {
		gap(t, c, dir, h->head->seq - h->next, frame, ts);
		advance(t, c, dir, NULL, frame, ts, &dummy);
	}
	/* A FIN says exactly where the stream ended: bytes before it that
	 * never showed up are a gap too. */
	if (!h->stopped && h->fin && seq_lt(h->next, h->fin_seq))
		gap(t, c, dir, h->fin_seq - h->next, frame, ts);
	half_free_chunks(t, h);
}

/* ------------------------------------------------------------- lifecycle */

static void state(struct sd_tcp *t, struct tconn *c, enum sd_tcp_state st, int dir, uint64_t frame, int64_t ts)
{
	if (t->cb.on_state)
		t->cb.on_state(t->cb.ud, c->user, st, dir, frame, ts);
}

/* Ends a connection: held data out (gaps for holes), TIMEOUT for a SYN that
 * was never answered, then CLOSED. It stays behind as a tombstone. */
static void conn_close(struct sd_tcp *t, struct tconn *c, uint64_t frame, int64_t ts, int flush)
{
	if (c->closed)
		return;
	if (flush) {
		half_flush(t, c, SD_TCP_C2S, frame, ts);
		half_flush(t, c, SD_TCP_S2C, frame, ts);
		/* Unanswered: no SYN-ACK, no RST, and the server never sent a thing. */
		if (c->info.saw_syn && !c->established && !c->rst && !c->h[SD_TCP_S2C].have_seq)
			state(t, c, SD_TCPS_TIMEOUT, SD_TCP_C2S, frame, ts);
	}
	half_free_chunks(t, &c->h[0]);
	half_free_chunks(t, &c->h[1]);
	state(t, c, SD_TCPS_CLOSED, SD_TCP_C2S, frame, ts);
	c->closed = 1;
	c->user = NULL; /* the consumer released it on CLOSED */
	t->st.conns_live--;
}

static void conn_evict(struct sd_tcp *t, struct tconn *c, int by_limit)
{
	if (!c->closed) {
		if (by_limit)
			t->st.evicted_limit++;
		else
			t->st.evicted_idle++;
		conn_close(t, c, c->last_frame, c->last_ts, 1);
	}
	table_remove(t, c);
	free(c);
}

/* (Re)starts c as a new connection with the given client. */
static void conn_open(struct sd_tcp *t, struct tconn *c, const struct sd_addr *cl, uint16_t cport,
		      const struct sd_addr *sv, uint16_t sport, int saw_syn, uint64_t frame, int64_t ts)
{
	memset(&c->info, 0, sizeof c->info);
	memset(c->h, 0, sizeof c->h);
	c->info.id = ++t->next_id;
	c->info.client = *cl;
	c->info.server = *sv;
	c->info.cport = cport;
	c->info.sport = sport;
	c->info.saw_syn = (uint8_t)(saw_syn != 0);
	c->info.first_frame = frame;
	c->info.first_ts_ns = ts;
	c->closed = c->established = c->syn_event = c->rst = 0;
	t->st.conns_total++;
	t->st.conns_live++;
	c->user = t->cb.on_open ? t->cb.on_open(t->cb.ud, &c->info) : NULL;
}

/* Doubles the bucket array; keeps the old one if memory is short (the
 * chains just get longer). A small table stays in cache for small captures. */
static void table_grow(struct sd_tcp *t)
{
	uint32_t n = t->nbucket * 2;
	struct tconn **nb = calloc(n, sizeof *nb); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
	if (!nb)
		return;
	for (uint32_t i = 0; i < t->nbucket; i++) {
		struct tconn *c = t->bucket[i];
		while (c) {
			struct tconn *next = c->hnext;
			c->hnext = nb[c->hash & (n - 1)];
			nb[c->hash & (n - 1)] = c;
			c = next;
		}
	}
	free(t->bucket);
	t->bucket = nb;
	t->nbucket = n;
}

static struct tconn *conn_new(struct sd_tcp *t, uint32_t hash)
{
	while (t->nconn >= t->lim.max_conns && t->lru_head)
		conn_evict(t, t->lru_head, 1);
	if (t->nconn >= t->nbucket && t->nbucket < MAX_BUCKETS)
		table_grow(t);
	struct tconn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->hash = hash;
	struct tconn **b = &t->bucket[hash & (t->nbucket - 1)];
	c->hnext = *b;
	*b = c;
	lru_append(t, c);
	t->nconn++;
	return c;
}

/*
 * Without the client's SYN, who is the client? The sender of a SYN-ACK is
 * the server. Otherwise the side with the lower port is the server (well-
 * known and registered ports sit below the ephemeral range); with equal
 * ports the sender of the first packet seen is taken as the client.
 * Returns nonzero if the sender of this packet is the client.
 */
static int sender_is_client(const struct sd_tcp_seg *seg)
{
	if ((seg->flags & (SD_TCP_SYN | SD_TCP_ACK)) == (SD_TCP_SYN | SD_TCP_ACK))
		return 0;
	if (seg->flags & SD_TCP_SYN)
		return 1;
	return seg->sport >= seg->dport;
}

/* RST from dir: believable if its sequence is near what that side sent. */
static int rst_ok(const struct tconn *c, int dir, uint32_t seq)
{
	const struct half *h = &c->h[dir];
	if (!h->have_seq)
		return 1; /* e.g. the refusal of a SYN: nothing to check against */
	return !seq_lt(seq, h->next - RST_WINDOW) && !seq_lt(h->hi + RST_WINDOW, seq);
}

/* The connection of this 4-tuple (either way) and the packet's direction
 * in it; NULL with *hash set for the insert when there is none. */
static struct tconn *lookup(struct sd_tcp *t, const struct sd_addr *s, uint16_t sp, const struct sd_addr *d,
			    uint16_t dp, int *dir, uint32_t *hash)
{
	*hash = 0;
	if (t->last && (*dir = match_dir(t->last, s, sp, d, dp)) >= 0)
		return t->last;
	*hash = tuple_hash(s, sp, d, dp);
	for (struct tconn *c = t->bucket[*hash & (t->nbucket - 1)]; c; c = c->hnext)
		if (c->hash == *hash && (*dir = match_dir(c, s, sp, d, dp)) >= 0)
			return c;
	*dir = -1;
	return NULL;
}

void sd_tcp_segment(struct sd_tcp *t, const struct sd_addr *src, const struct sd_addr *dst,
		    const struct sd_tcp_seg *seg, uint64_t frame, int64_t ts_ns)
{
	uint8_t fl = seg->flags;
	int syn = (fl & SD_TCP_SYN) != 0, ack = (fl & SD_TCP_ACK) != 0;
	uint32_t hash;
	int dir;
	struct tconn *c = lookup(t, src, seg->sport, dst, seg->dport, &dir, &hash);
	if (!c) {
		c = conn_new(t, hash);
		if (!c)
			return; /* out of memory: the segment is lost, nothing held */
		if (sender_is_client(seg)) {
			conn_open(t, c, src, seg->sport, dst, seg->dport, syn, frame, ts_ns);
			dir = SD_TCP_C2S;
		} else {
			conn_open(t, c, dst, seg->dport, src, seg->sport, 0, frame, ts_ns);
			dir = SD_TCP_S2C;
		}
	} else {
		if (c != t->lru_tail) {
			lru_unlink(t, c);
			lru_append(t, c);
		}
		/* A SYN with a new ISN, or a SYN from the server side, is a new
		 * connection on a reused 4-tuple (whether or not we saw the old
		 * one close). The same ISN from the client is a retransmission,
		 * also after a refusal (Windows retries a refused SYN). */
		if (syn && !ack) {
			const struct half *hs = &c->h[dir];
			int same_isn = hs->saw_syn_seq ? hs->isn == seg->seq
						       : hs->have_seq && hs->next == seg->seq + 1;
			if (!same_isn || dir != SD_TCP_C2S) {
				conn_close(t, c, c->last_frame, c->last_ts, 1);
				conn_open(t, c, src, seg->sport, dst, seg->dport, 1, frame, ts_ns);
				dir = SD_TCP_C2S;
			}
		}
	}
	t->last = c;
	c->last_frame = frame;
	c->last_ts = ts_ns;
	if (c->closed)
		return; /* trailing packets of a finished connection */

	struct half *h = &c->h[dir];
	if (fl & SD_TCP_RST) {
		if (!rst_ok(c, dir, seg->seq))
			return;
		c->rst = 1;
		if (c->info.saw_syn && !c->established && dir == SD_TCP_S2C)
			state(t, c, SD_TCPS_REFUSED, dir, frame, ts_ns);
		else
			state(t, c, SD_TCPS_RESET, dir, frame, ts_ns);
		conn_close(t, c, frame, ts_ns, 1);
		return;
	}

	if (syn) {
		if (!h->have_seq) {
			h->have_seq = 1;
			h->next = h->hi = seg->seq + 1;
		}
		if (!h->saw_syn_seq) {
			h->saw_syn_seq = 1;
			h->isn = seg->seq;
		}
		if (!ack && dir == SD_TCP_C2S && !c->syn_event) {
			c->syn_event = 1;
			state(t, c, SD_TCPS_SYN, dir, frame, ts_ns);
		} else if (ack && dir == SD_TCP_S2C && !c->established) {
			c->established = 1;
			/* Missed the SYN: the SYN-ACK's ack still tells where the
			 * client's data starts. */
			struct half *hc = &c->h[SD_TCP_C2S];
			if (!hc->have_seq) {
				hc->have_seq = 1;
				hc->next = hc->hi = seg->ack;
			}
			state(t, c, SD_TCPS_ESTABLISHED, dir, frame, ts_ns);
		}
	}

	uint64_t total = (uint64_t)cur_left(&seg->payload) + seg->missing;
	if (total > MAX_SEG_LEN)
		total = MAX_SEG_LEN;
	uint32_t dseq = seg->seq + (uint32_t)syn; /* SYN data (TFO) follows the SYN */
	if (total) {
		struct segv s;
		struct cur pl = seg->payload;
		s.seq = dseq;
		s.data = cur_rest(&pl); /* a window starting at 0: offsets below are absolute */
		s.cap = cur_left(&seg->payload) < total ? (uint32_t)cur_left(&seg->payload) : (uint32_t)total;
		s.total = (uint32_t)total;
		half_data(t, c, dir, &s, frame, ts_ns);
	}

	if ((fl & SD_TCP_FIN) && !h->fin) {
		if (!h->have_seq) {
			h->have_seq = 1;
			h->next = h->hi = dseq + (uint32_t)total;
		}
		h->fin = 1;
		h->fin_seq = dseq + (uint32_t)total;
		state(t, c, SD_TCPS_FIN, dir, frame, ts_ns);
		if (c->h[dir ^ 1].fin)
			conn_close(t, c, frame, ts_ns, 1);
	}
}

/* ------------------------------------------------------------------ public */

struct sd_tcp *sd_tcp_new(const struct sd_tcp_limits *limits, const struct sd_tcp_cb *cb)
{
	struct sd_tcp *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (limits)
		t->lim = *limits;
	/* A zero field means "the default", so callers set only what they need. */
	if (!t->lim.max_conns)
		t->lim.max_conns = DEF_MAX_CONNS;
	if (!t->lim.max_dir_buffer)
		t->lim.max_dir_buffer = DEF_DIR_BUFFER;
	if (!t->lim.max_total_buffer)
		t->lim.max_total_buffer = DEF_TOTAL_BUFFER;
	if (!t->lim.idle_timeout_ns)
		t->lim.idle_timeout_ns = DEF_IDLE_NS;
	if (cb)
		t->cb = *cb;
	t->nbucket = 256;
	t->bucket = calloc(t->nbucket, sizeof *t->bucket); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	return t;
}

void sd_tcp_expire(struct sd_tcp *t, int64_t now_ns)
{
	/* The LRU head was touched least recently; stop at the first entry
	 * still fresh (capture time rarely runs backwards, and then an entry
	 * only waits for a later call). */
	while (t->lru_head && now_ns - t->lru_head->last_ts > t->lim.idle_timeout_ns)
		conn_evict(t, t->lru_head, 0);
}

void sd_tcp_finish(struct sd_tcp *t)
{
	while (t->lru_head) {
		struct tconn *c = t->lru_head;
		conn_close(t, c, c->last_frame, c->last_ts, 1);
		table_remove(t, c);
		free(c);
	}
}

void sd_tcp_free(struct sd_tcp *t)
{
	if (!t)
		return;
	/* Without sd_tcp_finish the consumer still gets its CLOSED (so it can
	 * release its state), but no more data. */
	while (t->lru_head) {
		struct tconn *c = t->lru_head;
		conn_close(t, c, c->last_frame, c->last_ts, 0); /* NOLINT(clang-analyzer-unix.Malloc): the head's lprev is NULL, so table_remove advances lru_head */
		table_remove(t, c);
		free(c);
	}
	free(t->bucket);
	free(t);
}

void sd_tcp_stats(const struct sd_tcp *t, struct sd_tcp_stats *out) { *out = t->st; }
