/*
 * attempt.c - sign-in attempts reconstructed from the event stream
 * (attempt.h; spec: autoconfig-rules.md section 1).
 *
 * Open attempts live in three structures: a hash of client addresses (to
 * route DNS and TCP events), a list ordered by last activity (idle expiry
 * and the "close oldest" cap pop its head), and a list of attempts waiting
 * out settle_ns after they connected or gave up (ordered by deadline
 * because settle_ns is constant and capture time never goes back). Linked
 * TCP connections are found by id in a separate hash. Everything per
 * attempt is capped, so memory depends on the caps, not the capture size.
 */
#include "attempt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile.h"
#include "rules.h"

#define MAX_STEPS 32        /* steps kept per attempt */
#define MAX_QUERIES 16      /* queries kept per step */
#define MAX_ANSWERS 64      /* records kept per step */
#define MAX_CONNS 16        /* connections kept per attempt */
#define MAX_ATT_QUERIES 128 /* queries kept per attempt, all steps */
#define MAX_ATT_ANSWERS 256 /* records kept per attempt, all steps */
#define MAX_CERTS 16        /* certificates kept per connection */
#define MAX_POOL 8          /* POOL steps per attempt (the heuristic takes any name) */
#define MAX_OPEN 4096       /* open attempts overall; the least active is closed beyond */
#define CLIENT_BUCKETS 4096
#define CONN_BUCKETS 4096
#define IGNORED_SLOTS 16384 /* remembered unlinked connection ids (direct-mapped) */
#define DOMAIN_RING 256     /* (client, D) of closed attempts, for late suffix retries */
#define CNAME_HOPS 16
#define LR_MEMO 16          /* profiles whose last-step role evaluate() remembers */

#define DEFAULT_IDLE_NS (30LL * 1000000000LL)
#define DEFAULT_SETTLE_NS (2LL * 1000000000LL)

enum { CAND_NONE = 0, CAND_CONNECTED, CAND_GAVE_UP };

/* ------------------------------------------------------------- strings */

const char *sd_role_str(enum sd_role r)
{
	static const char *const s[] = { "AD1", "AD2", "S1", "S2", "S3", "S4", "F1", "F2", "F3",
					 "SRV-TARGET", "CNAME-TARGET", "POOL", "OTHER" };
	return (unsigned)r < SD_ROLE__COUNT ? s[r] : "OTHER";
}

int sd_role_is_discovery(enum sd_role r) { return r >= SD_ROLE_AD1 && r <= SD_ROLE_F3; }

int sd_step_cut(const struct sd_step *s)
{
	/* NXDOMAIN sits in the header and survives a snaplen cut; a NOERROR
	 * whose records were cut away says nothing about the name. */
	if (!s || s->state != SD_STEP_ANSWERED || s->resolved || s->rcode != SD_DNS_RCODE_NOERROR)
		return 0;
	for (size_t k = 0; k < s->nqueries; k++)
		if (s->queries[k].resp_frame == s->resp_frame && s->queries[k].status == SD_E_TRUNC)
			return 1;
	return 0;
}

const char *sd_conn_outcome_str(enum sd_conn_outcome o)
{
	static const char *const s[] = { "incomplete", "refused", "reset", "timeout", "tls-alert",
					 "handshake-done", "plain-tcp", "closed" };
	return (unsigned)o < SD_CONN__COUNT ? s[o] : "incomplete";
}

const char *sd_severity_str(enum sd_severity s)
{
	switch (s) {
	case SD_SEV_INFO: return "info";
	case SD_SEV_WARN: return "warn";
	case SD_SEV_ERROR: return "error";
	}
	return "info";
}

const char *sd_verdict_str(enum sd_verdict v)
{
	switch (v) {
	case SD_VERDICT_SIGNED_IN: return "SIGNED_IN";
	case SD_VERDICT_FAILED: return "FAILED";
	case SD_VERDICT_INCONCLUSIVE: break;
	}
	return "INCONCLUSIVE";
}

const char *sd_end_reason_str(enum sd_end_reason r)
{
	switch (r) {
	case SD_END_CONNECTED: return "connected";
	case SD_END_GAVE_UP: return "gave-up";
	case SD_END_IDLE: return "idle";
	case SD_END_RESTART: return "restart";
	case SD_END_CAPTURE_END: return "capture-end";
	}
	return "capture-end";
}

/* ---------------------------------------------------------------- model */

/* Per-query facts the public struct has no field for. */
struct qx {
	int64_t resp_ts;
	size_t ans_off;       /* its records start here in the step's answers[] */
	uint8_t unanswered;   /* a dns-unanswered event named it */
	int64_t unans_ts;
};

struct stepx {
	struct qx q[MAX_QUERIES];
	size_t cap_q, cap_a;
};

struct connx {
	uint8_t established;
};

struct att {
	struct sd_attempt *a;
	struct stepx *sx;           /* parallel to a->steps */
	size_t cap_steps, cap_conns;
	size_t nq_total, na_total;
	struct connx cx[MAX_CONNS]; /* parallel to a->conns */
	struct att *hnext;          /* client bucket */
	struct att *lprev, *lnext;  /* activity list */
	struct att *sprev, *snext;  /* settle list */
	int in_settle;
	int cand;
	int64_t last_ts, deadline;
	unsigned npool;
	unsigned dropped_steps, dropped_queries, dropped_answers, dropped_conns, dropped_certs;
};

struct connref {
	uint64_t id;
	struct att *att;
	size_t idx;
	struct connref *next;
};

struct qnode {
	struct sd_attempt *a;
	struct qnode *next;
};

struct sd_attempts {
	int64_t idle_ns, settle_ns;
	enum sd_strict strict;
	const char *ca_file, *ca_path;
	sd_attempt_fn on_done;
	void *ud;
	struct sd_profiles *owned;
	const struct sd_profiles *ps;
	const struct sd_profile *fixed; /* --profile NAME; NULL = auto */
	struct att *cb[CLIENT_BUCKETS];
	struct connref *kb[CONN_BUCKETS];
	uint64_t ign[IGNORED_SLOTS];
	struct {
		struct sd_addr c;
		unsigned hb;        /* addr_hash(c), meaningful when d[0] */
		char d[SD_ATT_NAME];
	} ring[DOMAIN_RING];
	size_t ring_next;
	uint16_t ring_cnt[CLIENT_BUCKETS]; /* ring slots in use per client bucket */
	struct att *lhead, *ltail, *shead, *stail;
	size_t nopen;
	uint64_t next_id, completed;
	int64_t now;
	struct qnode *qhead, *qtail;
	struct {
		const struct sd_profile *p;
		enum sd_role role;
	} lr_memo[LR_MEMO];             /* evaluate(): role of a profile's last step */
};

static void close_att(struct sd_attempts *s, struct att *t, enum sd_end_reason reason);

/* --------------------------------------------------------------- helpers */

static void norm_name(char *dst, size_t cap, const char *src)
{
	if (!src)
		src = "";
	size_t n = strnlen(src, cap - 1), i = 0;
	/* tolower() of the "C" locale (sipdisc never calls setlocale), eight
	 * bytes a step: a byte gets 0x20 when it is ASCII 'A'..'Z'. */
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, low;
		memcpy(&x, src + i, 8);
		low = x & ~high;                                   /* each byte < 0x80 */
		uint64_t ge_a = low + ones * (0x80 - 'A');         /* high bit: >= 'A' */
		uint64_t gt_z = low + ones * (0x80 - 'Z' - 1);     /* high bit: > 'Z' */
		x |= ((ge_a & ~gt_z & ~x & high) >> 2);
		memcpy(dst + i, &x, 8);
	}
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = (char)((unsigned)(ch - 'A') < 26u ? ch + ('a' - 'A') : ch);
	}
	dst[n] = 0;
	if (n && dst[n - 1] == '.')
		dst[n - 1] = 0;
}

/* snprintf(dst, cap, "%s", src) without the printf machinery (cap > 0) */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

/* snprintf(dst, cap, "%s%s", a, b) likewise */
static void join_str(char *dst, size_t cap, const char *a, const char *b)
{
	size_t n = strnlen(a, cap - 1);
	memcpy(dst, a, n);
	copy_str(dst + n, cap - n, b);
}

static unsigned addr_hash(const struct sd_addr *a)
{
	uint32_t h = 2166136261u ^ a->family;
	size_t n = a->family == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a->a[i]) * 16777619u;
	return h % CLIENT_BUCKETS;
}

static int is_ad(enum sd_role r) { return r == SD_ROLE_AD1 || r == SD_ROLE_AD2; }
static int is_srv(enum sd_role r) { return r >= SD_ROLE_S1 && r <= SD_ROLE_S4; }

static const struct {
	const char *pfx;
	enum sd_role role;
} disc[] = {
	{ "lyncdiscoverinternal.", SD_ROLE_AD1 }, { "lyncdiscover.", SD_ROLE_AD2 },
	{ "_sipinternaltls._tcp.", SD_ROLE_S1 },  { "_sipinternal._tcp.", SD_ROLE_S2 },
	{ "_sip._tls.", SD_ROLE_S3 },             { "_sip._tcp.", SD_ROLE_S4 },
	{ "sipinternal.", SD_ROLE_F1 },           { "sip.", SD_ROLE_F2 },
	{ "sipexternal.", SD_ROLE_F3 },
};
#define NDISC (sizeof disc / sizeof disc[0])

static int qtype_fits(enum sd_role r, uint16_t t)
{
	if (t == SD_DNS_T_ANY)
		return 1;
	if (is_srv(r))
		return t == SD_DNS_T_SRV;
	return t == SD_DNS_T_A || t == SD_DNS_T_AAAA;
}

/* The discovery prefix qname starts with (no two prefixes can both
 * match: they differ before either ends), or -1. */
static int disc_prefix(const char *qname)
{
	if (qname[0] != 'l' && qname[0] != '_' && qname[0] != 's')
		return -1;
	for (size_t i = 0; i < NDISC; i++)
		if (strncmp(qname, disc[i].pfx, strlen(disc[i].pfx)) == 0)
			return (int)i;
	return -1;
}

/* qname (starting with discovery prefix pi, -1 = none) is a discovery name
 * of domain dom, itself (0) or with a search suffix appended (1); -1 when
 * it is not. */
static int match_disc(const char *qname, int pi, const char *dom, uint16_t qtype, enum sd_role *role)
{
	if (pi < 0 || !qtype_fits(disc[pi].role, qtype))
		return -1;
	const char *rest = qname + strlen(disc[pi].pfx);
	size_t n = strlen(dom);
	if (strncmp(rest, dom, n) != 0 || (rest[n] && rest[n] != '.'))
		return -1;
	*role = disc[pi].role;
	return rest[n] == '.';
}

/* A discovery name seen for the first time: D is the rest of the name. */
static int parse_disc(const char *qname, uint16_t qtype, enum sd_role *role, char *dom)
{
	for (size_t i = 0; i < NDISC; i++) {
		size_t n = strlen(disc[i].pfx);
		if (strncmp(qname, disc[i].pfx, n) == 0 && qname[n] && qtype_fits(disc[i].role, qtype)) {
			*role = disc[i].role;
			copy_str(dom, SD_ATT_NAME, qname + n);
			return 0;
		}
	}
	return -1;
}

/* Grows *arr (element size sz) to hold n+1 elements, doubling up to max. */
static int grow(void *arr, size_t *cap, size_t n, size_t sz, size_t max)
{
	void **p = arr;
	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	size_t nc = *cap ? *cap * 2 : 4;
	if (nc > max)
		nc = max;
	/* not zeroed: every caller clears the element it adds */
	void *q = realloc(*p, nc * sz);
	if (!q)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

/* Adds a distinct reason and a frame to the evidence-incomplete note. */
static void incomplete(struct sd_attempt *a, const char *why, uint64_t frame)
{
	a->evidence_incomplete = 1;
	if (!strstr(a->incomplete_why, why)) {
		size_t l = strlen(a->incomplete_why);
		snprintf(a->incomplete_why + l, sizeof a->incomplete_why - l, "%s%s", l ? "; " : "", why);
	}
	if (!frame)
		return;
	size_t n = a->nincomplete_frames, i = 0;
	while (i < n && a->incomplete_frames[i] < frame)
		i++;
	if (i < n && a->incomplete_frames[i] == frame)
		return;
	if (n == SD_FINDING_FRAMES) {
		if (i == n)
			return; /* keep the earliest frames: they show where it began */
		n--;
	}
	memmove(&a->incomplete_frames[i + 1], &a->incomplete_frames[i], (n - i) * sizeof frame);
	a->incomplete_frames[i] = frame;
	a->nincomplete_frames = n + 1;
}

/* ------------------------------------------------------------- lists */

static void lru_unlink(struct sd_attempts *s, struct att *t)
{
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else
		s->lhead = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	else
		s->ltail = t->lprev;
	t->lprev = t->lnext = NULL;
}

static void lru_append(struct sd_attempts *s, struct att *t)
{
	t->lprev = s->ltail;
	t->lnext = NULL;
	if (s->ltail)
		s->ltail->lnext = t;
	else
		s->lhead = t;
	s->ltail = t;
}

static void settle_unlink(struct sd_attempts *s, struct att *t)
{
	if (!t->in_settle)
		return;
	if (t->sprev)
		t->sprev->snext = t->snext;
	else
		s->shead = t->snext;
	if (t->snext)
		t->snext->sprev = t->sprev;
	else
		s->stail = t->sprev;
	t->sprev = t->snext = NULL;
	t->in_settle = 0;
}

static void settle_append(struct sd_attempts *s, struct att *t)
{
	settle_unlink(s, t);
	t->sprev = s->stail;
	t->snext = NULL;
	if (s->stail)
		s->stail->snext = t;
	else
		s->shead = t;
	s->stail = t;
	t->in_settle = 1;
}

static struct connref *conn_find(struct sd_attempts *s, uint64_t id)
{
	for (struct connref *r = s->kb[id % CONN_BUCKETS]; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static void conn_forget(struct sd_attempts *s, uint64_t id)
{
	struct connref **pp = &s->kb[id % CONN_BUCKETS];
	while (*pp) {
		if ((*pp)->id == id) {
			struct connref *r = *pp;
			*pp = r->next;
			free(r);
			return;
		}
		pp = &(*pp)->next;
	}
}

/* ------------------------------------------------------------- freeing */

void sd_attempt_free(struct sd_attempt *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsteps; i++) {
		free(a->steps[i].queries);
		free(a->steps[i].answers);
	}
	for (size_t i = 0; i < a->nconns; i++) {
		struct sd_conn *c = &a->conns[i];
		for (size_t k = 0; k < c->ncerts; k++) {
			if (c->certs[k].decoded)
				sd_x509_free(&c->certs[k].cert);
			free(c->certs[k].der);
		}
		free(c->certs);
	}
	free(a->steps);
	free(a->conns);
	free(a->findings);
	free(a);
}

/* ----------------------------------------------------------- attempts */

static struct att *att_new(struct sd_attempts *s, const struct sd_addr *client, const char *dom,
			   const struct sd_event *ev)
{
	if (s->nopen >= MAX_OPEN && s->lhead) {
		/* Bounded memory: the least recently active attempt makes room. */
		close_att(s, s->lhead, SD_END_IDLE);
	}
	struct att *t = calloc(1, sizeof *t);
	struct sd_attempt *a = t ? calloc(1, sizeof *a) : NULL;
	if (!a) {
		free(t);
		return NULL;
	}
	t->a = a;
	a->id = ++s->next_id;
	a->client = *client;
	copy_str(a->domain, sizeof a->domain, dom);
	a->ts_start_ns = a->ts_end_ns = ev->ts_ns;
	a->frame_first = ev->frame_first ? ev->frame_first : ev->frame;
	a->frame_last = ev->frame;
	a->winning_step = a->winning_conn = -1;
	t->last_ts = ev->ts_ns;
	unsigned h = addr_hash(client);
	t->hnext = s->cb[h];
	s->cb[h] = t;
	lru_append(s, t);
	s->nopen++;
	return t;
}

/* Any event of the attempt: activity for idle expiry, frames and times. */
static void touch(struct att *t, const struct sd_event *ev)
{
	struct sd_attempt *a = t->a;
	if (ev->ts_ns > t->last_ts)
		t->last_ts = ev->ts_ns;
	if (ev->ts_ns > a->ts_end_ns)
		a->ts_end_ns = ev->ts_ns;
	if (ev->frame > a->frame_last)
		a->frame_last = ev->frame;
}

static int add_step(struct att *t, enum sd_role role, int parent, const char *name, const struct sd_event *ev)
{
	struct sd_attempt *a = t->a;
	if (a->nsteps >= MAX_STEPS) {
		t->dropped_steps++;
		return -1;
	}
	if (a->nsteps == t->cap_steps) {
		/* Most attempts have under ten steps: grow rather than reserve. */
		size_t nc = t->cap_steps ? t->cap_steps * 2 : 8;
		if (nc > MAX_STEPS)
			nc = MAX_STEPS;
		struct sd_step *ns = realloc(a->steps, nc * sizeof *ns);
		if (!ns)
			return -1;
		a->steps = ns;
		struct stepx *nx = realloc(t->sx, nc * sizeof *nx);
		if (!nx)
			return -1;
		t->sx = nx;
		t->cap_steps = nc;
	}
	int i = (int)a->nsteps++;
	struct sd_step *st = &a->steps[i];
	memset(st, 0, sizeof *st);
	memset(&t->sx[i], 0, sizeof t->sx[i]);
	st->order = (unsigned)i + 1;
	st->role = role;
	st->parent = parent;
	copy_str(st->name, sizeof st->name, name);
	copy_str(st->queried, sizeof st->queried, name);
	st->qtype = is_srv(role) ? SD_DNS_T_SRV : SD_DNS_T_A;
	st->state = SD_STEP_PENDING;
	st->rcode = -1;
	st->rtt_ns = -1;
	st->ts_ns = ev->ts_ns;
	st->ts_done_ns = -1;
	st->conn = -1;
	/* The name the client will check in the certificate (spec 3): a
	 * CNAME target lookup is the resolver's doing, the client still
	 * expects the name that led there; SRV steps learn theirs from the
	 * answer. */
	if (role == SD_ROLE_CNAME_TARGET && parent >= 0 && a->steps[parent].expected[0])
		copy_str(st->expected, sizeof st->expected, a->steps[parent].expected);
	else if (!is_srv(role))
		copy_str(st->expected, sizeof st->expected, name);
	return i;
}

static int add_query(struct att *t, int si, const struct sd_event *ev, const struct sd_dns_msg *m,
		     const char *qname, int resp_only)
{
	struct sd_step *st = &t->a->steps[si];
	if (t->nq_total >= MAX_ATT_QUERIES ||
	    grow(&st->queries, &t->sx[si].cap_q, st->nqueries, sizeof *st->queries, MAX_QUERIES) != 0) {
		t->dropped_queries++;
		return -1;
	}
	t->nq_total++;
	int qi = (int)st->nqueries;
	struct sd_query *q = &st->queries[qi];
	memset(q, 0, sizeof *q);
	memset(&t->sx[si].q[qi], 0, sizeof t->sx[si].q[qi]);
	copy_str(q->qname, sizeof q->qname, qname);
	q->qtype = m->qtype;
	q->txid = m->id;
	q->transport = ev->proto;
	q->suffix_retry = strcmp(qname, st->name) != 0;
	for (int k = 0; k < qi; k++)
		if (st->queries[k].qtype == q->qtype && strcmp(st->queries[k].qname, q->qname) == 0)
			q->retransmit = 1;
	q->server = resp_only ? ev->src : ev->dst;
	q->frame = resp_only ? 0 : ev->frame;
	q->ts_ns = ev->ts_ns;
	q->rcode = -1;
	q->rtt_ns = -1;
	q->status = SD_OK;
	st->nqueries++;
	if (!st->frame && q->frame)
		st->frame = q->frame;
	return qi;
}

static void add_answer(struct att *t, int si, const struct sd_dns_rr *rr, const struct sd_event *ev)
{
	struct sd_step *st = &t->a->steps[si];
	if (t->na_total >= MAX_ATT_ANSWERS ||
	    grow(&st->answers, &t->sx[si].cap_a, st->nanswers, sizeof *st->answers, MAX_ANSWERS) != 0) {
		t->dropped_answers++;
		return;
	}
	t->na_total++;
	struct sd_answer *an = &st->answers[st->nanswers++];
	memset(an, 0, sizeof *an);
	an->type = rr->type;
	an->section = rr->section;
	an->ttl = rr->ttl;
	norm_name(an->owner, sizeof an->owner, rr->name);
	if (rr->type == SD_DNS_T_A || rr->type == SD_DNS_T_AAAA) {
		an->addr = rr->u.addr;
	} else if (rr->type == SD_DNS_T_CNAME) {
		norm_name(an->target, sizeof an->target, rr->u.target);
	} else if (rr->type == SD_DNS_T_SRV) {
		norm_name(an->target, sizeof an->target, rr->u.srv.target);
		an->priority = rr->u.srv.priority;
		an->weight = rr->u.srv.weight;
		an->port = rr->u.srv.port;
	}
	an->frame = ev->frame;
	an->ts_ns = ev->ts_ns;
}

static int query_resolved(const struct sd_step *st, const struct qx *x, const struct sd_query *q)
{
	for (size_t k = x->ans_off; k < x->ans_off + q->nanswers && k < st->nanswers; k++) {
		const struct sd_answer *an = &st->answers[k];
		if (an->section != SD_DNS_AN)
			continue;
		if (is_srv(st->role) ? an->type == SD_DNS_T_SRV
				     : (an->type == SD_DNS_T_A || an->type == SD_DNS_T_AAAA))
			return 1;
	}
	return 0;
}

/* Recomputes the step summary from its queries: the deciding response is
 * the first that resolved, else the last one for the name itself (not a
 * suffix retry: the client reports the name it built), else the last. */
static void step_update(struct att *t, int si)
{
	struct sd_step *st = &t->a->steps[si];
	struct stepx *sx = &t->sx[si];
	int dec = -1, last_plain = -1, last_any = -1, nunans = 0, have_a = 0;
	unsigned per_type[4] = { 0, 0, 0, 0 };
	for (size_t k = 0; k < st->nqueries; k++) {
		const struct sd_query *q = &st->queries[k];
		if (q->qtype == SD_DNS_T_A)
			have_a = 1;
		per_type[q->qtype == SD_DNS_T_A ? 0 : q->qtype == SD_DNS_T_AAAA ? 1 : q->qtype == SD_DNS_T_SRV ? 2 : 3]++;
		if (sx->q[k].unanswered)
			nunans++;
		if (!q->resp_frame)
			continue;
		if (dec < 0 && query_resolved(st, &sx->q[k], q))
			dec = (int)k;
		if (!q->suffix_retry)
			last_plain = (int)k;
		last_any = (int)k;
	}
	if (dec < 0)
		dec = last_plain >= 0 ? last_plain : last_any;
	st->retries = 0;
	for (int k = 0; k < 4; k++)
		if (per_type[k] > 1)
			st->retries += per_type[k] - 1;
	if (!is_srv(st->role))
		st->qtype = have_a || !st->nqueries ? SD_DNS_T_A : SD_DNS_T_AAAA;
	st->tc = 0;
	for (size_t k = 0; k < st->nqueries; k++)
		st->tc |= st->queries[k].tc;
	st->resolved = st->via_cname = 0;
	st->canonical[0] = 0;
	if (dec < 0) {
		st->state = st->nqueries && nunans == (int)st->nqueries ? SD_STEP_UNANSWERED : SD_STEP_PENDING;
		st->resp_frame = 0;
		st->rcode = -1;
		st->rtt_ns = -1;
		st->ts_done_ns = -1;
		if (st->state == SD_STEP_UNANSWERED)
			for (size_t k = 0; k < st->nqueries; k++)
				if (sx->q[k].unans_ts > st->ts_done_ns)
					st->ts_done_ns = sx->q[k].unans_ts;
		if (st->nqueries) {
			copy_str(st->queried, sizeof st->queried, st->queries[0].qname);
			st->transport = st->queries[0].transport;
		}
		return;
	}
	const struct sd_query *q = &st->queries[dec];
	st->state = SD_STEP_ANSWERED;
	st->resp_frame = q->resp_frame;
	st->rcode = q->rcode;
	st->rtt_ns = q->rtt_ns;
	st->ts_done_ns = sx->q[dec].resp_ts;
	st->transport = q->transport;
	copy_str(st->queried, sizeof st->queried, q->qname);
	st->resolved = (uint8_t)query_resolved(st, &sx->q[dec], q);
	size_t lo = sx->q[dec].ans_off, hi = lo + q->nanswers;
	if (hi > st->nanswers)
		hi = st->nanswers;
	/* Follow the CNAME chain from the name asked. */
	char cur[SD_ATT_NAME];
	copy_str(cur, sizeof cur, q->qname);
	for (int hop = 0; hop < CNAME_HOPS; hop++) {
		size_t k;
		for (k = lo; k < hi; k++)
			if (st->answers[k].type == SD_DNS_T_CNAME && strcmp(st->answers[k].owner, cur) == 0)
				break;
		if (k == hi)
			break;
		copy_str(cur, sizeof cur, st->answers[k].target);
		st->via_cname = 1;
	}
	if (st->via_cname)
		copy_str(st->canonical, sizeof st->canonical, cur);
	/* SRV: the target RFC 2782 selection starts with (lowest priority,
	 * then highest weight); connections say which one was really used. */
	if (is_srv(st->role)) {
		const struct sd_answer *pick = NULL;
		for (size_t k = lo; k < hi; k++) {
			const struct sd_answer *an = &st->answers[k];
			if (an->type != SD_DNS_T_SRV || an->section != SD_DNS_AN)
				continue;
			if (!pick || an->priority < pick->priority ||
			    (an->priority == pick->priority && an->weight > pick->weight))
				pick = an;
		}
		copy_str(st->expected, sizeof st->expected, pick ? pick->target : "");
	}
}

static void add_response(struct att *t, int si, int qi, const struct sd_event *ev, const struct sd_dns_msg *m)
{
	struct sd_step *st = &t->a->steps[si];
	struct sd_query *q = &st->queries[qi];
	struct qx *x = &t->sx[si].q[qi];
	q->resp_frame = ev->frame;
	q->rcode = m->rcode;
	q->rtt_ns = ev->u.dns.rtt_ns;
	q->tc = m->tc;
	q->status = m->status;
	x->resp_ts = ev->ts_ns;
	x->ans_off = st->nanswers;
	/* Additional-section addresses count only for the SRV targets this
	 * response named: the client may connect with them, skipping a lookup. */
	char targets[8][SD_ATT_NAME];
	size_t nt = 0;
	for (size_t k = 0; k < m->nrr; k++)
		if (m->rr[k].section == SD_DNS_AN && m->rr[k].type == SD_DNS_T_SRV && nt < 8)
			norm_name(targets[nt++], SD_ATT_NAME, m->rr[k].u.srv.target);
	/* A truncated response is not used by the client (it asks again over
	 * TCP), so its partial records are not kept. */
	for (size_t k = 0; k < m->nrr && !m->tc; k++) {
		const struct sd_dns_rr *rr = &m->rr[k];
		int keep = 0;
		if (rr->section == SD_DNS_AN)
			keep = rr->type == SD_DNS_T_A || rr->type == SD_DNS_T_AAAA || rr->type == SD_DNS_T_CNAME ||
			       rr->type == SD_DNS_T_SRV;
		else if (rr->section == SD_DNS_AR && (rr->type == SD_DNS_T_A || rr->type == SD_DNS_T_AAAA)) {
			char owner[SD_ATT_NAME];
			norm_name(owner, sizeof owner, rr->name);
			for (size_t j = 0; j < nt && !keep; j++)
				keep = strcmp(owner, targets[j]) == 0;
		}
		if (keep)
			add_answer(t, si, rr, ev);
	}
	q->nanswers = st->nanswers - x->ans_off;
	if (m->status == SD_E_TRUNC)
		incomplete(t->a, "DNS response cut by the capture", ev->frame);
	step_update(t, si);
}

/* ------------------------------------------------------ classification */

struct cls {
	struct att *att;    /* open attempt, or NULL: a new one for dom */
	int step;           /* existing step, -1 = new */
	enum sd_role role;
	int parent;
	char name[SD_ATT_NAME]; /* step name (without suffix) */
	char dom[SD_ATT_NAME];
	struct att *restart; /* open attempt this query restarts */
};

/* Did a query of this type in the step get a definite answer (NOERROR or
 * NXDOMAIN, not truncated)? Asking again after that is a new sequence;
 * after SERVFAIL, TC or silence it is a retry. */
static int conclusive(const struct sd_step *st, uint16_t qtype)
{
	for (size_t k = 0; k < st->nqueries; k++) {
		const struct sd_query *q = &st->queries[k];
		if (q->qtype == qtype && q->resp_frame && !q->tc &&
		    (q->rcode == SD_DNS_RCODE_NOERROR || q->rcode == SD_DNS_RCODE_NXDOMAIN))
			return 1;
	}
	return 0;
}

static int ad_connected(const struct sd_attempt *a)
{
	for (size_t i = 0; i < a->nconns; i++)
		if (a->conns[i].step >= 0 && is_ad(a->steps[a->conns[i].step].role) &&
		    a->conns[i].outcome == SD_CONN_HANDSHAKE_DONE)
			return 1;
	return 0;
}

static int same_client(const struct att *t, const struct sd_addr *c) { return sd_addr_eq(&t->a->client, c); }

/* Where does a query (or query-less response) of this client belong?
 * Returns 0 with *r filled, -1 to ignore it. */
static int classify(struct sd_attempts *s, const struct sd_addr *client, const char *qname, uint16_t qtype,
		    struct cls *r)
{
	/* not memset: the two names are 256 bytes each and read as strings */
	r->att = r->restart = NULL;
	r->role = SD_ROLE_AD1;
	r->name[0] = r->dom[0] = 0;
	r->step = -1;
	r->parent = -1;
	unsigned h = addr_hash(client);
	/* 1. A name an open attempt already asked (retransmission, the other
	 * address type, or a suffix retry after it failed). */
	struct att *best = NULL;
	int bstep = -1, bexact = 0;
	for (struct att *t = s->cb[h]; t; t = t->hnext) {
		if (!same_client(t, client))
			continue;
		for (size_t i = 0; i < t->a->nsteps; i++) {
			const struct sd_step *st = &t->a->steps[i];
			size_t n = strlen(st->name);
			int exact = strcmp(st->name, qname) == 0;
			int sfx = !exact && !st->resolved && strncmp(qname, st->name, n) == 0 && qname[n] == '.';
			if ((exact || sfx) && (!best || exact >= bexact)) {
				best = t;
				bstep = (int)i;
				bexact = exact;
			}
		}
	}
	if (best) {
		const struct sd_step *st = &best->a->steps[bstep];
		if (sd_role_is_discovery(st->role) && bexact && conclusive(st, qtype)) {
			r->restart = best;
			r->role = st->role;
			copy_str(r->name, sizeof r->name, st->name);
			copy_str(r->dom, sizeof r->dom, best->a->domain);
			return 0;
		}
		r->att = best;
		r->step = bstep;
		r->role = st->role;
		copy_str(r->name, sizeof r->name, st->name);
		return 0;
	}
	/* 2. The A/AAAA of a name an answer pointed to. Before the discovery
	 * names: an SRV target is often sip.D, and then it is the SRV path,
	 * not the fallback step F2. */
	if (qtype == SD_DNS_T_A || qtype == SD_DNS_T_AAAA) {
		for (struct att *t = s->cb[h]; t; t = t->hnext) {
			if (!same_client(t, client))
				continue;
			for (size_t i = 0; i < t->a->nsteps; i++) {
				const struct sd_step *st = &t->a->steps[i];
				for (size_t k = 0; k < st->nanswers; k++) {
					const struct sd_answer *an = &st->answers[k];
					if ((an->type == SD_DNS_T_SRV || an->type == SD_DNS_T_CNAME) &&
					    strcmp(an->target, qname) == 0) {
						r->att = t;
						r->role = an->type == SD_DNS_T_SRV ? SD_ROLE_SRV_TARGET : SD_ROLE_CNAME_TARGET;
						r->parent = (int)i;
						copy_str(r->name, sizeof r->name, qname);
						return 0;
					}
				}
			}
		}
	}
	/* 3. Another discovery name of an open attempt's domain. */
	int pi = disc_prefix(qname);
	for (struct att *t = pi >= 0 ? s->cb[h] : NULL; t; t = t->hnext) {
		if (!same_client(t, client))
			continue;
		int sfx = match_disc(qname, pi, t->a->domain, qtype, &r->role);
		if (sfx >= 0) {
			r->att = t;
			/* The step is named without any search suffix. */
			join_str(r->name, sizeof r->name, disc[pi].pfx, t->a->domain);
			return 0;
		}
	}
	/* 4. After Autodiscover answered: the pool it named (heuristic: any
	 * address lookup that follows the HTTPS session). */
	if (qtype == SD_DNS_T_A || qtype == SD_DNS_T_AAAA) {
		for (struct att *t = s->cb[h]; t; t = t->hnext) {
			if (!same_client(t, client) || t->npool >= MAX_POOL)
				continue;
			for (size_t c = 0; c < t->a->nconns; c++) {
				const struct sd_conn *cn = &t->a->conns[c];
				if (cn->step >= 0 && is_ad(t->a->steps[cn->step].role) &&
				    cn->outcome == SD_CONN_HANDSHAKE_DONE) {
					r->att = t;
					r->role = SD_ROLE_POOL;
					r->parent = cn->step;
					copy_str(r->name, sizeof r->name, qname);
					return 0;
				}
			}
		}
	}
	/* 5. A late suffix retry of a domain whose attempt just closed. The
	 * lowest ring slot that matches wins; slots of other client buckets
	 * are skipped by their bucket number. */
	for (size_t i = 0; pi >= 0 && s->ring_cnt[h] && i < DOMAIN_RING; i++) {
		if (s->ring[i].hb != h || !s->ring[i].d[0] || !sd_addr_eq(&s->ring[i].c, client))
			continue;
		int sfx = match_disc(qname, pi, s->ring[i].d, qtype, &r->role);
		if (sfx >= 0) {
			copy_str(r->dom, sizeof r->dom, s->ring[i].d);
			join_str(r->name, sizeof r->name, disc[pi].pfx, r->dom);
			return 0;
		}
	}
	/* 6. A discovery name never seen: it names D. */
	if (pi >= 0 && parse_disc(qname, qtype, &r->role, r->dom) == 0) {
		copy_str(r->name, sizeof r->name, qname);
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ closing */

static enum sd_role pstep_role(const char *name)
{
	for (size_t i = 0; i < NDISC; i++) {
		size_t n = strlen(disc[i].pfx) - 1;
		if (strlen(name) == n && strncmp(name, disc[i].pfx, n) == 0)
			return disc[i].role;
	}
	return SD_ROLE_OTHER;
}

static const struct sd_profile *profile_for(const struct sd_attempts *s, const struct sd_attempt *a, char *why,
					    size_t whylen)
{
	if (s->fixed) {
		if (why)
			copy_str(why, whylen, "given with --profile");
		return s->fixed;
	}
	return s->ps ? sd_profile_auto(s->ps, a, why, whylen) : NULL;
}

static int conn_failed(const struct sd_conn *c)
{
	return c->outcome == SD_CONN_REFUSED || c->outcome == SD_CONN_RESET || c->outcome == SD_CONN_TIMEOUT ||
	       c->outcome == SD_CONN_TLS_ALERT || c->outcome == SD_CONN_CLOSED;
}

/* Does connection c go back to step k (directly or through follow-ups)? */
static int conn_via(const struct sd_attempt *a, const struct sd_conn *c, int k)
{
	for (int i = c->step, hop = 0; i >= 0 && hop < MAX_STEPS; i = a->steps[i].parent, hop++)
		if (i == k)
			return 1;
	return 0;
}

/* Has the attempt reached an end that only needs settle_ns to confirm? */
static int evaluate(struct sd_attempts *s, const struct att *t)
{
	const struct sd_attempt *a = t->a;
	int busy = 0;
	for (size_t i = 0; i < a->nsteps; i++)
		if (a->steps[i].state == SD_STEP_PENDING)
			busy = 1;
	for (size_t i = 0; i < a->nconns; i++) {
		const struct sd_conn *c = &a->conns[i];
		int ad = c->step >= 0 && is_ad(a->steps[c->step].role);
		if (!ad && (c->outcome == SD_CONN_HANDSHAKE_DONE || c->outcome == SD_CONN_PLAIN_TCP))
			return CAND_CONNECTED;
		if (c->outcome == SD_CONN_INCOMPLETE)
			busy = 1;
	}
	if (busy || !a->nsteps)
		return CAND_NONE;
	const struct sd_profile *p = profile_for(s, a, NULL, 0); /* the reason is not needed here */
	if (!p)
		return CAND_NONE;
	const struct sd_pstep *last = p->na ? &p->a[p->na - 1] : p->nsrv ? &p->srv[p->nsrv - 1]
						  : p->nad ? &p->ad[p->nad - 1] : NULL;
	enum sd_role lr = SD_ROLE_OTHER;
	if (last) {
		/* profiles do not change: remember each one's last-step role */
		size_t m = 0;
		while (m < LR_MEMO && s->lr_memo[m].p && s->lr_memo[m].p != p)
			m++;
		if (m < LR_MEMO && s->lr_memo[m].p == p) {
			lr = s->lr_memo[m].role;
		} else {
			lr = pstep_role(last->name);
			if (m < LR_MEMO) {
				s->lr_memo[m].p = p;
				s->lr_memo[m].role = lr;
			}
		}
	}
	for (size_t k = 0; k < a->nsteps && lr != SD_ROLE_OTHER; k++) {
		if (a->steps[k].role != lr)
			continue;
		if (!a->steps[k].resolved)
			return CAND_GAVE_UP;
		size_t nvia = 0, nfail = 0;
		for (size_t i = 0; i < a->nconns; i++)
			if (conn_via(a, &a->conns[i], (int)k)) {
				nvia++;
				nfail += (size_t)conn_failed(&a->conns[i]);
			}
		if (nvia && nvia == nfail)
			return CAND_GAVE_UP;
	}
	if (p->continue_after_connect_fail == SD_TRI_NO)
		for (size_t i = 0; i < a->nconns; i++) {
			const struct sd_conn *c = &a->conns[i];
			if (conn_failed(c) && !(c->step >= 0 && is_ad(a->steps[c->step].role)))
				return CAND_GAVE_UP;
		}
	return CAND_NONE;
}

static void deliver(struct sd_attempts *s, struct sd_attempt *a)
{
	s->completed++;
	if (s->on_done) {
		s->on_done(s->ud, a);
		sd_attempt_free(a);
		return;
	}
	struct qnode *n = malloc(sizeof *n);
	if (!n) {
		sd_attempt_free(a);
		return;
	}
	n->a = a;
	n->next = NULL;
	if (s->qtail)
		s->qtail->next = n;
	else
		s->qhead = n;
	s->qtail = n;
}

static void close_att(struct sd_attempts *s, struct att *t, enum sd_end_reason reason)
{
	struct sd_attempt *a = t->a;
	struct att **pp = &s->cb[addr_hash(&a->client)];
	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
	lru_unlink(s, t);
	settle_unlink(s, t);
	for (size_t i = 0; i < a->nconns; i++)
		conn_forget(s, a->conns[i].conn_id);
	s->nopen--;
	if (s->ring[s->ring_next].d[0])
		s->ring_cnt[s->ring[s->ring_next].hb]--;
	s->ring[s->ring_next].c = a->client;
	s->ring[s->ring_next].hb = addr_hash(&a->client);
	copy_str(s->ring[s->ring_next].d, SD_ATT_NAME, a->domain);
	if (s->ring[s->ring_next].d[0])
		s->ring_cnt[s->ring[s->ring_next].hb]++;
	s->ring_next = (s->ring_next + 1) % DOMAIN_RING;

	a->end_reason = reason;
	char why[SD_ATT_TEXT] = "";
	const struct sd_profile *p = profile_for(s, a, why, sizeof why);
	if (p) {
		copy_str(a->profile, sizeof a->profile, p->name);
		a->profile_auto = s->fixed == NULL;
		copy_str(a->profile_why, sizeof a->profile_why, why);
		struct sd_rules_opts ro = { s->strict, s->ca_file, s->ca_path };
		sd_rules_check(a, p, &ro);
	}
	if (t->dropped_steps || t->dropped_queries || t->dropped_answers || t->dropped_conns || t->dropped_certs) {
		struct sd_finding *f = sd_finding_add(a, "LIMIT", SD_SEV_INFO, NULL, 0);
		if (f) {
			snprintf(f->message, sizeof f->message,
				 "analysis limits reached; not kept: %u steps, %u queries, %u records, %u connections, %u certificates",
				 t->dropped_steps, t->dropped_queries, t->dropped_answers, t->dropped_conns,
				 t->dropped_certs);
		}
	}
	free(t->sx);
	free(t);
	deliver(s, a);
}

/* Re-decides whether the attempt is settling after it changed. */
static void reassess(struct sd_attempts *s, struct att *t)
{
	t->cand = evaluate(s, t);
	if (t->cand != CAND_NONE) {
		t->deadline = s->now + s->settle_ns;
		settle_append(s, t);
	} else {
		settle_unlink(s, t);
	}
}

static void expire(struct sd_attempts *s)
{
	while (s->shead && s->shead->deadline <= s->now) {
		struct att *t = s->shead;
		int c = evaluate(s, t);
		if (c == CAND_NONE)
			settle_unlink(s, t);
		else
			close_att(s, t, c == CAND_CONNECTED ? SD_END_CONNECTED : SD_END_GAVE_UP);
	}
	while (s->lhead && s->now - s->lhead->last_ts >= s->idle_ns) {
		struct att *t = s->lhead;
		/* Autodiscover answered and nothing followed: the client got
		 * what it asked for over HTTPS, which is a connection. */
		close_att(s, t, ad_connected(t->a) ? SD_END_CONNECTED : SD_END_IDLE);
	}
}

/* ---------------------------------------------------------------- DNS */

static struct att *start_attempt(struct sd_attempts *s, const struct sd_addr *client, struct cls *c,
				 const struct sd_event *ev)
{
	if (c->restart)
		close_att(s, c->restart, SD_END_RESTART);
	return att_new(s, client, c->dom, ev);
}

static void on_query(struct sd_attempts *s, const struct sd_event *ev, const struct sd_dns_msg *m)
{
	if (!m || !m->has_question)
		return;
	char qname[SD_ATT_NAME];
	norm_name(qname, sizeof qname, m->qname);
	struct cls c;
	if (classify(s, &ev->src, qname, m->qtype, &c) != 0)
		return;
	struct att *t = c.att;
	if (!t && !(t = start_attempt(s, &ev->src, &c, ev)))
		return;
	touch(t, ev);
	lru_unlink(s, t);
	lru_append(s, t);
	int si = c.step;
	if (si < 0) {
		si = add_step(t, c.role, c.parent, c.name, ev);
		if (si < 0)
			return;
		if (c.role == SD_ROLE_POOL)
			t->npool++;
	}
	if (add_query(t, si, ev, m, qname, 0) >= 0)
		step_update(t, si);
	if (m->status == SD_E_TRUNC)
		incomplete(t->a, "DNS query cut by the capture", ev->frame);
	reassess(s, t);
}

static int find_query(struct sd_attempts *s, const struct sd_addr *client, uint64_t qframe, const char *qname,
		      uint16_t qtype, uint16_t txid, struct att **pt, int *psi, int *pqi)
{
	for (struct att *t = s->cb[addr_hash(client)]; t; t = t->hnext) {
		if (!same_client(t, client))
			continue;
		for (size_t i = 0; i < t->a->nsteps; i++) {
			const struct sd_step *st = &t->a->steps[i];
			for (size_t k = 0; k < st->nqueries; k++) {
				const struct sd_query *q = &st->queries[k];
				int hit = qframe ? q->frame == qframe
						 : !q->resp_frame && q->qtype == qtype && q->txid == txid &&
							   strcmp(q->qname, qname) == 0;
				if (hit) {
					*pt = t;
					*psi = (int)i;
					*pqi = (int)k;
					return 0;
				}
			}
		}
	}
	return -1;
}

static void on_response(struct sd_attempts *s, const struct sd_event *ev, const struct sd_dns_msg *m)
{
	if (!m || !m->has_question)
		return;
	const struct sd_addr *client = &ev->dst;
	char qname[SD_ATT_NAME];
	norm_name(qname, sizeof qname, m->qname);
	struct att *t;
	int si, qi;
	if (find_query(s, client, ev->u.dns.query_frame, qname, m->qtype, m->id, &t, &si, &qi) == 0) {
		if (t->a->steps[si].queries[qi].resp_frame)
			return; /* a duplicate response: the first one decided */
		touch(t, ev);
		lru_unlink(s, t);
		lru_append(s, t);
		add_response(t, si, qi, ev, m);
		reassess(s, t);
		return;
	}
	if (ev->u.dns.query_frame)
		return; /* its query was seen and is not ours (or its attempt closed) */
	/* The query is not in the capture: the response alone still says
	 * what the client asked and learnt. */
	struct cls c;
	if (classify(s, client, qname, m->qtype, &c) != 0)
		return;
	t = c.att;
	int fresh = 0;
	if (!t) {
		if (!(t = start_attempt(s, client, &c, ev)))
			return;
		fresh = 1;
	}
	touch(t, ev);
	lru_unlink(s, t);
	lru_append(s, t);
	si = c.step;
	if (si < 0 && (si = add_step(t, c.role, c.parent, c.name, ev)) < 0)
		return;
	if ((qi = add_query(t, si, ev, m, qname, 1)) < 0)
		return;
	add_response(t, si, qi, ev, m);
	incomplete(t->a, fresh ? "capture starts mid-attempt: response without its query"
			       : "query not in the capture", ev->frame);
	reassess(s, t);
}

static void on_unanswered(struct sd_attempts *s, const struct sd_event *ev)
{
	struct att *t;
	int si, qi;
	if (find_query(s, &ev->src, ev->u.dns.query_frame, "", 0, 0, &t, &si, &qi) != 0)
		return;
	touch(t, ev);
	struct qx *x = &t->sx[si].q[qi];
	x->unanswered = 1;
	x->unans_ts = ev->ts_ns;
	step_update(t, si);
	reassess(s, t);
}

/* ---------------------------------------------------------------- TCP */

/* A connection's first event: link it to the latest step whose answer
 * gave this server address before the connection began. */
static struct connref *link_conn(struct sd_attempts *s, const struct sd_event *ev)
{
	struct att *bt = NULL;
	int bs = -1;
	const struct sd_answer *ba = NULL;
	for (struct att *t = s->cb[addr_hash(&ev->src)]; t; t = t->hnext) {
		if (!same_client(t, &ev->src))
			continue;
		for (size_t i = 0; i < t->a->nsteps; i++) {
			const struct sd_step *st = &t->a->steps[i];
			for (size_t k = 0; k < st->nanswers; k++) {
				const struct sd_answer *an = &st->answers[k];
				if ((an->type != SD_DNS_T_A && an->type != SD_DNS_T_AAAA) ||
				    !sd_addr_eq(&an->addr, &ev->dst) || an->ts_ns > ev->ts_ns)
					continue;
				if (!ba || an->ts_ns >= ba->ts_ns) {
					bt = t;
					bs = (int)i;
					ba = an;
				}
			}
		}
	}
	/* The answer that named the server was cut by the snaplen (S03): a
	 * connection the client opens after it, to an address no answer gave,
	 * belongs to that lookup, if it is the client's latest step. */
	for (struct att *t = bt ? NULL : s->cb[addr_hash(&ev->src)]; t && ev->type == SD_EV_TCP_SYN; t = t->hnext) {
		if (!same_client(t, &ev->src))
			continue;
		int last = -1;
		for (size_t i = 0; i < t->a->nsteps; i++)
			if (last < 0 || t->a->steps[i].order > t->a->steps[last].order)
				last = (int)i;
		if (last >= 0 && sd_step_cut(&t->a->steps[last]) && t->a->steps[last].ts_done_ns <= ev->ts_ns) {
			bt = t;
			bs = last;
		}
	}
	if (!bt)
		return NULL;
	struct sd_attempt *a = bt->a;
	if (a->nconns >= MAX_CONNS) {
		bt->dropped_conns++;
		return NULL;
	}
	/* Most attempts make one or two connections: grow rather than reserve. */
	if (grow(&a->conns, &bt->cap_conns, a->nconns, sizeof *a->conns, MAX_CONNS) != 0)
		return NULL;
	struct connref *r = malloc(sizeof *r);
	if (!r)
		return NULL;
	size_t idx = a->nconns++;
	struct sd_conn *c = &a->conns[idx];
	memset(c, 0, sizeof *c);
	memset(&bt->cx[idx], 0, sizeof bt->cx[idx]);
	c->conn_id = ev->conn_id;
	c->client = ev->src;
	c->server = ev->dst;
	c->cport = ev->sport;
	c->sport = ev->dport;
	c->step = bs;
	const struct sd_step *st = &a->steps[bs];
	/* Reached through an SRV record's additional section: the client
	 * connects to (and checks the certificate for) the SRV target. */
	if (is_srv(st->role) && ba && ba->section == SD_DNS_AR)
		copy_str(c->expected, sizeof c->expected, ba->owner);
	else
		copy_str(c->expected, sizeof c->expected, st->expected);
	c->outcome = SD_CONN_INCOMPLETE;
	c->ts_ns = c->ts_end_ns = ev->ts_ns;
	int tcp_ev = ev->type >= SD_EV_TCP_SYN && ev->type <= SD_EV_TCP_GAP;
	c->midstream = ev->type != SD_EV_TCP_SYN || (tcp_ev && ev->u.tcp.midstream);
	if (a->steps[bs].conn < 0)
		a->steps[bs].conn = (int)idx;
	r->id = ev->conn_id;
	r->att = bt;
	r->idx = idx;
	r->next = s->kb[ev->conn_id % CONN_BUCKETS];
	s->kb[ev->conn_id % CONN_BUCKETS] = r;
	if (c->midstream)
		incomplete(a, "connection began before the capture", ev->frame);
	return r;
}

/* SNI names the server the client meant: prefer a step that gave the same
 * address and expects that name. */
static void sni_choose(struct sd_attempt *a, size_t idx)
{
	struct sd_conn *c = &a->conns[idx];
	if (!c->sni[0] || strcasecmp(c->sni, c->expected) == 0)
		return;
	for (size_t i = a->nsteps; i-- > 0;) {
		const struct sd_step *st = &a->steps[i];
		for (size_t k = 0; k < st->nanswers; k++) {
			const struct sd_answer *an = &st->answers[k];
			if ((an->type != SD_DNS_T_A && an->type != SD_DNS_T_AAAA) || !sd_addr_eq(&an->addr, &c->server) ||
			    an->ts_ns > c->ts_ns)
				continue;
			const char *exp = is_srv(st->role) && an->section == SD_DNS_AR ? an->owner : st->expected;
			if (strcasecmp(exp, c->sni) != 0 && strcasecmp(st->name, c->sni) != 0)
				continue;
			int old = c->step;
			c->step = (int)i;
			copy_str(c->expected, sizeof c->expected, exp);
			if (a->steps[i].conn < 0 || a->steps[i].conn > (int)idx)
				a->steps[i].conn = (int)idx;
			if (old >= 0 && old != (int)i && a->steps[old].conn == (int)idx) {
				a->steps[old].conn = -1;
				for (size_t j = 0; j < a->nconns; j++)
					if (a->conns[j].step == old) {
						a->steps[old].conn = (int)j;
						break;
					}
			}
			return;
		}
	}
}

static uint16_t highest_offered(const struct sd_tls_client_hello *h)
{
	uint16_t v = 0;
	for (size_t i = 0; i < h->nversions; i++)
		if (h->versions[i] > v)
			v = h->versions[i];
	return v ? v : h->legacy_version;
}

static void copy_certs(struct att *t, struct sd_conn *c, const struct sd_event *ev)
{
	size_t n = ev->u.cert.n;
	if (n > MAX_CERTS) {
		t->dropped_certs += (unsigned)(n - MAX_CERTS);
		n = MAX_CERTS;
	}
	c->certs_total = ev->u.cert.total;
	/* not calloc: each entry is ~6 KB, mostly SAN slots the decode fills */
	if (!n || !(c->certs = malloc(n * sizeof *c->certs)))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct sd_cert *src = &ev->u.cert.certs[i];
		struct sd_conn_cert *cc = &c->certs[c->ncerts];
		cc->err[0] = 0;
		if (!src->der || !src->der_len || !(cc->der = malloc(src->der_len)))
			continue;
		memcpy(cc->der, src->der, src->der_len);
		cc->der_len = src->der_len;
		/* Our own decode of our own copy: the event's are freed after the call. */
		cc->decoded = sd_x509_decode(cc->der, cc->der_len, &cc->cert, cc->err, sizeof cc->err) == 0;
		c->ncerts++;
	}
}

/* May an established connection without a ClientHello count as plain TCP
 * SIP? The pipeline reports nothing for non-TLS bytes, so a handshake that
 * has not begun yet (or that the capture cut off) looks the same as plain
 * SIP. Only the discovery itself is evidence: the server came from a TCP
 * SRV record (_sipinternal._tcp, _sip._tcp) or is on SIP's TCP port 5060.
 * Anything else stays incomplete until TLS or a close decides it. */
static int plain_tcp_expected(const struct sd_attempt *a, const struct sd_conn *c)
{
	if (c->sport == 5060)
		return 1;
	for (int i = c->step, hop = 0; i >= 0 && (size_t)i < a->nsteps && hop < MAX_STEPS;
	     i = a->steps[i].parent, hop++)
		if (a->steps[i].role == SD_ROLE_S2 || a->steps[i].role == SD_ROLE_S4)
			return 1;
	return 0;
}

static void on_conn_event(struct sd_attempts *s, const struct sd_event *ev)
{
	if (!ev->conn_id)
		return;
	struct connref *r = conn_find(s, ev->conn_id);
	size_t slot = ev->conn_id % IGNORED_SLOTS;
	if (!r) {
		int tcp_ev = ev->type >= SD_EV_TCP_SYN && ev->type <= SD_EV_TCP_GAP;
		if (s->ign[slot] == ev->conn_id)
			return;
		/* Link only at the start of a connection (SYN, or its first
		 * event when the capture missed the SYN). */
		if (ev->type != SD_EV_TCP_SYN && tcp_ev && !ev->u.tcp.midstream)
			return;
		if (!(r = link_conn(s, ev))) {
			s->ign[slot] = ev->conn_id;
			return;
		}
	}
	struct att *t = r->att;
	struct sd_attempt *a = t->a;
	struct sd_conn *c = &a->conns[r->idx];
	struct connx *x = &t->cx[r->idx];
	touch(t, ev);
	lru_unlink(s, t);
	lru_append(s, t);
	if (ev->ts_ns > c->ts_end_ns)
		c->ts_end_ns = ev->ts_ns;
	int done = c->outcome == SD_CONN_HANDSHAKE_DONE || c->outcome == SD_CONN_TLS_ALERT;
	switch (ev->type) {
	case SD_EV_TCP_SYN:
		c->syn_frame = ev->frame;
		break;
	case SD_EV_TCP_ESTABLISHED:
		c->synack_frame = ev->frame;
		x->established = 1;
		if (c->outcome == SD_CONN_INCOMPLETE && !c->has_ch && plain_tcp_expected(a, c))
			c->outcome = SD_CONN_PLAIN_TCP; /* until a ClientHello says otherwise */
		break;
	case SD_EV_TCP_REFUSED:
		c->end_frame = ev->frame;
		c->outcome = SD_CONN_REFUSED;
		c->closed_by_server = 1;
		break;
	case SD_EV_TCP_TIMEOUT:
		c->end_frame = ev->frame;
		c->outcome = SD_CONN_TIMEOUT;
		break;
	case SD_EV_TCP_RESET:
	case SD_EV_TCP_FIN:
		if (!c->end_frame) {
			c->end_frame = ev->frame;
			c->closed_by_server = ev->u.tcp.by_server;
		}
		if (done || c->outcome == SD_CONN_RESET || c->outcome == SD_CONN_CLOSED ||
		    c->outcome == SD_CONN_REFUSED || c->outcome == SD_CONN_TIMEOUT)
			break;
		if (ev->type == SD_EV_TCP_RESET)
			c->outcome = SD_CONN_RESET;
		else if (c->has_ch || c->outcome != SD_CONN_PLAIN_TCP)
			c->outcome = SD_CONN_CLOSED;
		break;
	case SD_EV_TCP_GAP:
		if (!c->gap_frame)
			c->gap_frame = ev->frame;
		c->gap_bytes = c->gap_bytes > UINT32_MAX - ev->u.tcp.gap_len ? UINT32_MAX
									 : c->gap_bytes + ev->u.tcp.gap_len;
		incomplete(a, "bytes missing from the capture on a connection", ev->frame);
		break;
	case SD_EV_TLS_CLIENT_HELLO:
		if (!c->has_ch) {
			c->has_ch = 1;
			c->ch_frame = ev->frame;
			c->version_offered = highest_offered(ev->u.ch);
			copy_str(c->sni, sizeof c->sni, ev->u.ch->sni);
			if (c->outcome == SD_CONN_PLAIN_TCP)
				c->outcome = SD_CONN_INCOMPLETE;
			sni_choose(a, r->idx);
		}
		break;
	case SD_EV_TLS_SERVER_HELLO:
		if (!ev->u.sh->hello_retry || !c->has_sh) {
			c->has_sh = !ev->u.sh->hello_retry;
			c->sh_frame = ev->frame;
			c->version = ev->u.sh->version;
			c->cipher = ev->u.sh->cipher;
			if (c->version == 0x0304)
				c->cert_not_visible = 1;
		}
		break;
	case SD_EV_TLS_CERTIFICATE:
		if (!ev->u.cert.by_client && !c->cert_frame) {
			c->cert_frame = ev->frame;
			copy_certs(t, c, ev);
		}
		break;
	case SD_EV_TLS_ALERT:
		if (!c->alert_frame) {
			c->alert_frame = ev->frame;
			c->alert_level = ev->u.alert.level;
			c->alert_desc = ev->u.alert.desc;
			c->alert_by_server = ev->u.alert.by_server;
		}
		/* A fatal alert in the clear ends the handshake; once encrypted
		 * the alert cannot be read and the outcome stands. */
		if (!ev->u.alert.encrypted && ev->u.alert.level == 2 && c->outcome != SD_CONN_HANDSHAKE_DONE) {
			c->outcome = SD_CONN_TLS_ALERT;
			c->alert_frame = ev->frame;
			c->alert_level = ev->u.alert.level;
			c->alert_desc = ev->u.alert.desc;
			c->alert_by_server = ev->u.alert.by_server;
			c->closed_by_server = ev->u.alert.by_server;
		}
		break;
	case SD_EV_TLS_ENCRYPTED:
		if (!c->version && ev->u.enc.version)
			c->version = ev->u.enc.version;
		if (c->version == 0x0304)
			c->cert_not_visible = 1;
		/* The client going encrypted (its CCS / Finished) means it
		 * accepted the server; the server's CCS alone does not. */
		if (!ev->u.enc.by_server && c->outcome != SD_CONN_TLS_ALERT) {
			c->enc_frame = ev->frame;
			c->outcome = SD_CONN_HANDSHAKE_DONE;
		}
		break;
	case SD_EV_DECODE_ERROR:
		if (ev->u.err.status == SD_E_TRUNC)
			incomplete(a, "connection data cut by the capture", ev->frame);
		break;
	default:
		break;
	}
	reassess(s, t);
}

static void on_decode_error(struct sd_attempts *s, const struct sd_event *ev)
{
	if (ev->u.err.status != SD_E_TRUNC)
		return;
	if (ev->conn_id) {
		on_conn_event(s, ev);
		return;
	}
	/* No connection id (DNS over UDP, or a TCP header cut short): it is
	 * the attempt's when it names a frame the attempt just used, or a
	 * server one of its connections talks to. */
	const struct sd_addr *side[2] = { &ev->src, &ev->dst };
	for (int i = 0; i < 2; i++) {
		const struct sd_addr *other = side[i ^ 1];
		for (struct att *t = s->cb[addr_hash(side[i])]; t; t = t->hnext) {
			if (!same_client(t, side[i]))
				continue;
			int mine = t->a->frame_last == ev->frame;
			for (size_t k = 0; k < t->a->nconns && !mine && ev->proto == 6; k++)
				mine = sd_addr_eq(&t->a->conns[k].server, other);
			if (mine) {
				incomplete(t->a, "frame cut by the capture", ev->frame);
				touch(t, ev);
			}
		}
	}
}

/* ------------------------------------------------------------------ API */

struct sd_attempts *sd_attempts_new(const struct sd_attempt_opts *o)
{
	struct sd_attempt_opts def;
	memset(&def, 0, sizeof def);
	if (!o)
		o = &def;
	struct sd_attempts *s = calloc(1, sizeof *s);
	if (!s) {
		if (o->err && o->errlen)
			snprintf(o->err, o->errlen, "out of memory");
		return NULL;
	}
	s->idle_ns = o->idle_ns > 0 ? o->idle_ns : DEFAULT_IDLE_NS;
	s->settle_ns = o->settle_ns > 0 ? o->settle_ns : DEFAULT_SETTLE_NS;
	s->strict = o->strict;
	s->ca_file = o->ca_file;
	s->ca_path = o->ca_path;
	s->on_done = o->on_done;
	s->ud = o->ud;
	char err[512] = "";
	s->ps = o->profiles;
	if (!s->ps) {
		s->owned = sd_profiles_load(o->profiles_path, err, sizeof err);
		s->ps = s->owned;
		if (!s->ps)
			goto fail;
	}
	if (o->profile && *o->profile && strcmp(o->profile, "auto") != 0) {
		s->fixed = sd_profiles_get(s->ps, o->profile);
		if (!s->fixed) {
			snprintf(err, sizeof err, "unknown profile \"%s\"", o->profile);
			goto fail;
		}
	}
	return s;
fail:
	if (o->err && o->errlen)
		snprintf(o->err, o->errlen, "%s", err[0] ? err : "cannot load profiles");
	sd_profiles_free(s->owned);
	free(s);
	return NULL;
}

void sd_attempts_event(struct sd_attempts *s, const struct sd_event *ev)
{
	if (!s || !ev)
		return;
	if (ev->ts_ns > s->now)
		s->now = ev->ts_ns;
	expire(s);
	switch (ev->type) {
	case SD_EV_DNS_QUERY:
		on_query(s, ev, ev->u.dns.msg);
		break;
	case SD_EV_DNS_RESPONSE:
		on_response(s, ev, ev->u.dns.msg);
		break;
	case SD_EV_DNS_UNANSWERED:
		on_unanswered(s, ev);
		break;
	case SD_EV_TCP_SYN:
	case SD_EV_TCP_ESTABLISHED:
	case SD_EV_TCP_REFUSED:
	case SD_EV_TCP_RESET:
	case SD_EV_TCP_FIN:
	case SD_EV_TCP_TIMEOUT:
	case SD_EV_TCP_GAP:
	case SD_EV_TLS_CLIENT_HELLO:
	case SD_EV_TLS_SERVER_HELLO:
	case SD_EV_TLS_CERTIFICATE:
	case SD_EV_TLS_ALERT:
	case SD_EV_TLS_ENCRYPTED:
		if (ev->proto == 6 || ev->conn_id)
			on_conn_event(s, ev);
		break;
	case SD_EV_DECODE_ERROR:
		on_decode_error(s, ev);
		break;
	default:
		break;
	}
}

void sd_attempts_event_fn(void *ud, const struct sd_event *ev) { sd_attempts_event(ud, ev); }

void sd_attempts_tick(struct sd_attempts *s, int64_t now_ns)
{
	if (!s)
		return;
	if (now_ns > s->now)
		s->now = now_ns;
	expire(s);
}

void sd_attempts_finish(struct sd_attempts *s)
{
	if (!s)
		return;
	/* Attempts waiting out settle_ns have their ending already: no more
	 * input can change it. The rest end with the capture. */
	while (s->shead) {
		struct att *t = s->shead;
		int c = evaluate(s, t);
		if (c == CAND_NONE)
			settle_unlink(s, t);
		else
			close_att(s, t, c == CAND_CONNECTED ? SD_END_CONNECTED : SD_END_GAVE_UP);
	}
	while (s->lhead) {
		struct att *t = s->lhead;
		/* Quiet for settle_ns after Autodiscover answered: ended as an
		 * idle expiry would have ended it. */
		int ad = ad_connected(t->a) && s->now - t->last_ts >= s->settle_ns;
		close_att(s, t, ad ? SD_END_CONNECTED : SD_END_CAPTURE_END);
	}
}

struct sd_attempt *sd_attempts_next(struct sd_attempts *s)
{
	if (!s || !s->qhead)
		return NULL;
	struct qnode *n = s->qhead;
	s->qhead = n->next;
	if (!s->qhead)
		s->qtail = NULL;
	struct sd_attempt *a = n->a;
	free(n);
	return a;
}

uint64_t sd_attempts_completed(const struct sd_attempts *s) { return s ? s->completed : 0; }
size_t sd_attempts_open(const struct sd_attempts *s) { return s ? s->nopen : 0; }

void sd_attempts_free(struct sd_attempts *s)
{
	if (!s)
		return;
	/* Open attempts are dropped undelivered: the caller did not finish. */
	while (s->lhead) {
		struct att *t = s->lhead;
		lru_unlink(s, t); /* NOLINT(clang-analyzer-unix.Malloc): the head's lprev is NULL, so unlinking advances the head */
		sd_attempt_free(t->a);
		free(t->sx);
		free(t);
	}
	for (size_t i = 0; i < CONN_BUCKETS; i++)
		while (s->kb[i]) {
			struct connref *r = s->kb[i];
			s->kb[i] = r->next;
			free(r);
		}
	struct sd_attempt *a;
	while ((a = sd_attempts_next(s)))
		sd_attempt_free(a);
	sd_profiles_free(s->owned);
	free(s);
}
