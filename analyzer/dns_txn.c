#include "dns_txn.h"

#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Outstanding queries live in a hash table (for matching) and in a FIFO
 * list by arrival (for expiry: every query has the same timeout, so the
 * oldest is always at the head). */
struct q {
	struct q *hnext;            /* hash chain */
	struct q *prev, *next;      /* FIFO */
	uint32_t hash;
	struct sd_dns_pending p;
	char qname[SD_DNS_NAME_MAX];
};

struct sd_dns_txn {
	int64_t timeout;
	size_t max_pending, npending;
	struct q **tab;
	size_t tabsize; /* power of two */
	struct q *head, *tail;
	sd_dns_unanswered_fn fn;
	void *ud;
};

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Hash of the transaction key as seen from the client side. */
static uint32_t key_hash(const struct sd_addr *c, uint16_t cport, const struct sd_addr *s, uint16_t sport,
			 uint8_t proto, uint16_t id)
{
	uint32_t h = 2166136261u;
	h = mix(h, c->a, c->family == 4 ? 4 : 16);
	h = mix(h, s->a, s->family == 4 ? 4 : 16);
	uint8_t k[7] = { (uint8_t)(cport >> 8), (uint8_t)cport, (uint8_t)(sport >> 8), (uint8_t)sport,
			 proto, (uint8_t)(id >> 8), (uint8_t)id };
	return mix(h, k, sizeof k);
}

struct sd_dns_txn *sd_dns_txn_new(int64_t timeout_ns, size_t max_pending, sd_dns_unanswered_fn fn,
				  void *ud)
{
	struct sd_dns_txn *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->timeout = timeout_ns;
	t->max_pending = max_pending ? max_pending : 65536;
	t->tabsize = 1024;
	while (t->tabsize < t->max_pending / 2 && t->tabsize < (1u << 20))
		t->tabsize <<= 1;
	t->tab = calloc(t->tabsize, sizeof *t->tab); /* NOLINT(bugprone-sizeof-expression): element is a pointer */
	if (!t->tab) {
		free(t);
		return NULL;
	}
	t->fn = fn;
	t->ud = ud;
	return t;
}

static void unlink_q(struct sd_dns_txn *t, struct q *q)
{
	struct q **pp = &t->tab[q->hash & (t->tabsize - 1)];
	while (*pp && *pp != q)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = q->hnext;
	if (q->prev)
		q->prev->next = q->next;
	else
		t->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		t->tail = q->prev;
	t->npending--;
}

static void report_and_drop(struct sd_dns_txn *t, struct q *q)
{
	unlink_q(t, q);
	if (t->fn)
		t->fn(t->ud, &q->p);
	free(q);
}

void sd_dns_txn_query(struct sd_dns_txn *t, const struct sd_dns_msg *m, const struct sd_addr *src,
		      uint16_t sport, const struct sd_addr *dst, uint16_t dport, uint8_t proto,
		      uint64_t frame, int64_t ts_ns)
{
	uint32_t h = key_hash(src, sport, dst, dport, proto, m->id);
	/* A retransmitted query (same key and question) stays one transaction:
	 * the response answers both, so neither is "unanswered". */
	for (struct q *q = t->tab[h & (t->tabsize - 1)]; q; q = q->hnext) {
		if (q->hash == h && q->p.cport == sport && q->p.sport == dport && q->p.proto == proto &&
		    q->p.id == m->id && sd_addr_eq(&q->p.client, src) && sd_addr_eq(&q->p.server, dst) &&
		    q->p.qtype == m->qtype && strcasecmp(q->qname, m->qname ? m->qname : "") == 0)
			return;
	}
	if (t->npending >= t->max_pending && t->head)
		report_and_drop(t, t->head);
	struct q *q = malloc(sizeof *q);
	if (!q)
		return;
	/* all but the 1 KiB name buffer, which snprintf below terminates */
	memset(q, 0, offsetof(struct q, qname));
	q->hash = h;
	q->p.frame = frame;
	q->p.ts_ns = ts_ns;
	q->p.client = *src;
	q->p.server = *dst;
	q->p.cport = sport;
	q->p.sport = dport;
	q->p.proto = proto;
	q->p.id = m->id;
	q->p.qtype = m->has_question ? m->qtype : 0;
	snprintf(q->qname, sizeof q->qname, "%s", m->has_question && m->qname ? m->qname : "");
	q->p.qname = q->qname;
	size_t b = h & (t->tabsize - 1);
	q->hnext = t->tab[b];
	t->tab[b] = q;
	q->prev = t->tail;
	if (t->tail)
		t->tail->next = q;
	else
		t->head = q;
	t->tail = q;
	t->npending++;
}

int sd_dns_txn_response(struct sd_dns_txn *t, const struct sd_dns_msg *m, const struct sd_addr *src,
			uint16_t sport, const struct sd_addr *dst, uint16_t dport, uint8_t proto,
			int64_t ts_ns, uint64_t *query_frame, int64_t *rtt_ns)
{
	/* The response travels server -> client: the key is mirrored. */
	uint32_t h = key_hash(dst, dport, src, sport, proto, m->id);
	for (struct q *q = t->tab[h & (t->tabsize - 1)]; q; q = q->hnext) {
		if (q->hash != h || q->p.id != m->id || q->p.cport != dport || q->p.sport != sport ||
		    q->p.proto != proto || !sd_addr_eq(&q->p.client, dst) || !sd_addr_eq(&q->p.server, src))
			continue;
		/* A response without a question (some servers on errors) still
		 * answers; with one, it must be the same question. */
		if (m->has_question &&
		    (q->p.qtype != m->qtype || strcasecmp(q->qname, m->qname ? m->qname : "") != 0))
			continue;
		*query_frame = q->p.frame;
		*rtt_ns = ts_ns - q->p.ts_ns;
		unlink_q(t, q);
		free(q);
		return 1;
	}
	*query_frame = 0;
	*rtt_ns = -1;
	return 0;
}

void sd_dns_txn_expire(struct sd_dns_txn *t, int64_t now_ns)
{
	while (t->head && now_ns - t->head->p.ts_ns > t->timeout)
		report_and_drop(t, t->head);
}

void sd_dns_txn_finish(struct sd_dns_txn *t)
{
	while (t->head)
		report_and_drop(t, t->head); /* NOLINT(clang-analyzer-unix.Malloc): the head's prev is NULL, so unlinking advances the head */
}

void sd_dns_txn_free(struct sd_dns_txn *t)
{
	if (!t)
		return;
	while (t->head) {
		struct q *q = t->head;
		t->head = q->next;
		free(q);
	}
	free(t->tab);
	free(t);
}
