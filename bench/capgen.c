/*
 * capgen - deterministic generator of large mixed captures for `make bench`.
 *
 * Many clients sign in (SRV and A/AAAA lookups with answers, TCP handshake,
 * TLS 1.2 ClientHello / ServerHello / Certificate with a 2-3 certificate
 * chain that spans several TCP segments), some of them fail (NXDOMAIN
 * everywhere, RST on connect, a certificate that lacks the name the client
 * asked for). They are buried in background traffic: bulk TCP transfers
 * (HTTPS with its own handshake, SMB, HTTP), other DNS lookups. Sign-in
 * packets are about 5-10% of all packets, as on a real office uplink.
 *
 * Everything is driven by a fixed-seed PRNG and a capture-time scheduler:
 * each conversation ("actor") is a small state machine stepped at its own
 * next time, so conversations interleave and timestamps only go forward.
 * Clients arrive all along the capture and flows open and close, so an
 * analyzer that evicts idle state keeps flat memory; one that leaks grows
 * with the file size (which is exactly what the 50 MB vs 1 GB runs compare).
 * The capture spans about one second of capture time per megabyte.
 *
 * Same arguments, same bytes: the output is byte-identical on every run.
 *
 * usage: capgen --size SIZE[K|M|G] [--format pcap|pcapng] [--seed N] -o FILE
 * Prints a one-line summary (frames, sign-ins by kind, relevant share) on
 * stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/capwriter.h" /* no -I for harness/: the path keeps Makefile.am untouched */

/* 2026-01-15 10:00:00 UTC: inside every certificate's validity */
#define T0_NS (1768471200ull * 1000000000ull)
#define NOT_BEFORE 1735689600 /* 2025-01-01 */
#define NOT_AFTER 2051222400  /* 2035-01-01 */
#define MS 1000000ull
#define US 1000ull

/* Background load: this many bulk transfers run at any time, each stepping
 * two full segments (plus an ACK) every 6-14 ms: about 1 MB of capture per
 * second of capture time. */
#define BULK_CONCURRENT 4
/* Mean gaps between arrivals (uniform in [0, 2*mean]); tuned so sign-in
 * packets are ~7% of all packets. */
#define SIGNIN_GAP_MS 250
#define NOISE_DNS_GAP_MS 50

/* ------------------------------------------------------------ world */

#define NDOM 8
static const char *const dom_names[NDOM] = { "contoso.com",   "fabrikam.com", "adatum.com",  "litware.com",
					      "northwind.com", "tailspin.com", "wingtip.com", "woodgrove.com" };

struct chain {
	struct cw_buf der[3];
	size_t n;
};

struct domain {
	const char *name;
	struct cw_addr pool4, pool6;
	/* pool certificate: SAN pool.D, sip.D and the usual Lync extras */
	struct chain pool_chain;
};

static struct domain doms[NDOM];
static struct chain web_chain; /* background HTTPS servers */
static uint8_t seed_root[32], seed_inter[32], seed_web[32];

static struct cw_rng rng;
static struct cw_net net;
static struct cw_addr dns4, dns6;

/* Statistics, printed at the end. */
static uint64_t frames_relevant, n_signin[6], n_bulk, n_noise;

static int chain_make(struct chain *c, size_t n, const uint8_t *leaf_seed, const char *cn,
		      const char *const *sans, size_t nsans)
{
	struct cw_cert_spec leaf = { leaf_seed, cn, sans, nsans, seed_inter, "capgen Issuing CA", 0x7001,
				     NOT_BEFORE, NOT_AFTER, 0 };
	struct cw_cert_spec inter = { seed_inter, "capgen Issuing CA", NULL, 0, seed_root, "capgen Root CA",
				      0x7000, NOT_BEFORE, NOT_AFTER, 1 };
	struct cw_cert_spec root = { seed_root, "capgen Root CA", NULL, 0, seed_root, "capgen Root CA", 0x6fff,
				     NOT_BEFORE, NOT_AFTER, 1 };
	const struct cw_cert_spec *spec[3] = { &leaf, &inter, &root };

	c->n = n;
	for (size_t i = 0; i < n; i++) {
		cw_buf_init(&c->der[i]);
		if (cw_cert_make(spec[i], &c->der[i]) < 0)
			return -1;
	}
	return 0;
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		cw_buf_free(&c->der[i]);
}

static int world_init(void)
{
	static const char *const extra[] = { "lyncdiscover", "lyncdiscoverinternal", "meet", "dialin", "webext",
					     "webint", "av", "conf", "edge", "proxy", "reverse", "scheduler" };
	char sans[2 + 12][64];
	const char *sp[2 + 12];

	for (int i = 0; i < 32; i++) {
		seed_root[i] = (uint8_t)(0x21 + i);
		seed_inter[i] = (uint8_t)(0x51 + i);
		seed_web[i] = (uint8_t)(0x91 + i);
	}
	for (int d = 0; d < NDOM; d++) {
		uint8_t seed[32];
		char cn[64];

		doms[d].name = dom_names[d];
		doms[d].pool4 = cw_ip4(10, 200, (uint8_t)d, 10);
		doms[d].pool6 = cw_ip6_doc((uint16_t)(0x200 + d), 0x10);
		snprintf(cn, sizeof cn, "pool.%s", dom_names[d]);
		snprintf(sans[0], sizeof sans[0], "pool.%s", dom_names[d]);
		snprintf(sans[1], sizeof sans[1], "sip.%s", dom_names[d]);
		for (int k = 0; k < 12; k++)
			snprintf(sans[2 + k], sizeof sans[2 + k], "%s.%s", extra[k], dom_names[d]);
		for (int k = 0; k < 14; k++)
			sp[k] = sans[k];
		for (int i = 0; i < 32; i++)
			seed[i] = (uint8_t)(0xc0 + d * 3 + i);
		/* odd domains send leaf + issuing CA only, even ones the root too */
		if (chain_make(&doms[d].pool_chain, d & 1 ? 2 : 3, seed, cn, sp, 14) < 0)
			return -1;
	}
	{
		static const char *const web_sans[] = { "www.example.net", "cdn.example.net", "api.example.net" };
		if (chain_make(&web_chain, 2, seed_web, "www.example.net", web_sans, 3) < 0)
			return -1;
	}
	dns4 = cw_ip4(10, 0, 0, 53);
	dns6 = cw_ip6_doc(0, 0x53);
	return 0;
}

/* ------------------------------------------------------------ actors */

enum kind { A_SIGNIN, A_BULK, A_NOISE_DNS, A_SPAWN_SIGNIN, A_SPAWN_NOISE, A_SPAWN_BULK };

/* How a sign-in goes; the names are the findings the analyzer should make. */
enum story {
	S_SRV_OK,   /* OC 2007: S1 -> pool, S2-S4 NXDOMAIN, A pool, TLS, signed in */
	S_SFB_OK,   /* SfB: AD1/AD2 NXDOMAIN, S1 -> pool, S3 NXDOMAIN, A pool, signed in */
	S_SIP_A,    /* no SRV, sipinternal NXDOMAIN, sip.D A -> pool, signed in */
	S_NX,       /* nothing resolves: NO_SERVER */
	S_RST,      /* S1 -> pool, A pool, SYN answered by RST: NO_SERVER */
	S_MISMATCH, /* sipinternal.D CNAME pool.D; cert lacks sipinternal.D: CERT-SAN, alert */
};

enum ans { ANS_NX, ANS_ADDR, ANS_SRV, ANS_CNAME_ADDR };

struct query {
	char name[96];
	uint16_t type;
	enum ans ans;
};

enum conn_end { C_NONE, C_ACCEPT, C_ALERT, C_RST };

enum bulk_proto { B_HTTPS, B_SMB, B_HTTP };

struct actor {
	uint64_t t; /* capture time of the next step */
	enum kind kind;
	int state;
	struct cw_link link;
	struct cw_addr cli, srv, dns;
	uint16_t sport; /* client's UDP port of the current query */
	uint16_t qid;
	/* sign-in */
	const struct domain *dom;
	enum story story;
	struct query q[8];
	size_t nq, qi;
	enum conn_end end;
	char sni[96];
	const struct chain *chain;
	/* TCP (sign-in and bulk) */
	struct cw_tcp tcp;
	struct cw_buf flight;
	struct cw_seg segs[32];
	size_t nseg, si;
	/* bulk */
	enum bulk_proto proto;
	uint64_t remaining;
	size_t off; /* position in the cyclic payload */
};

/* A min-heap of actors by next step time. */
static struct actor **heap;
static size_t nheap, capheap;

static void heap_push(struct actor *a)
{
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 64;
		heap = realloc(heap, capheap * sizeof *heap);
		if (!heap) {
			perror("capgen");
			exit(2);
		}
	}
	size_t i = nheap++;
	while (i > 0 && heap[(i - 1) / 2]->t > a->t) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = a;
}

static struct actor *heap_pop(void)
{
	struct actor *top = heap[0], *last = heap[--nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= nheap)
			break;
		if (c + 1 < nheap && heap[c + 1]->t < heap[c]->t)
			c++;
		if (heap[c]->t >= last->t)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static struct actor *actor_new(enum kind k, uint64_t t)
{
	struct actor *a = calloc(1, sizeof *a);
	if (!a) {
		perror("capgen");
		exit(2);
	}
	a->kind = k;
	a->t = t;
	a->link = cw_link_ether();
	cw_buf_init(&a->flight);
	return a;
}

static void actor_free(struct actor *a)
{
	cw_buf_free(&a->flight);
	free(a);
}

/* Uniform in [lo, hi] nanoseconds. */
static uint64_t jitter(uint64_t lo, uint64_t hi)
{
	return lo + (uint64_t)cw_rng_below(&rng, (uint32_t)((hi - lo) / US + 1)) * US;
}

/* A client address: 20% IPv6, the rest spread over 10.1-16.x.y; 20% of
 * clients sit behind an 802.1Q-tagged trunk. */
static void pick_client(struct actor *a)
{
	uint32_t h = cw_rng_below(&rng, 16000);

	if (cw_rng_below(&rng, 100) < 20) {
		a->cli = cw_ip6_doc(0x100 + (uint16_t)(h % 16), 0x1000 + h);
		a->dns = dns6;
	} else {
		a->cli = cw_ip4(10, (uint8_t)(1 + h / 1000), (uint8_t)(h % 250), (uint8_t)(10 + h % 200));
		a->dns = dns4;
	}
	if (cw_rng_below(&rng, 100) < 20) {
		a->link.inner_tag = 1;
		a->link.inner_vid = (uint16_t)(100 + h % 8);
	}
	a->link.src_mac[4] = (uint8_t)(h >> 8);
	a->link.src_mac[5] = (uint8_t)h;
}

/* -------------------------------------------------------------- DNS */

static void dns_query(struct actor *a, const char *name, uint16_t type)
{
	struct cw_dns q;

	a->qid = (uint16_t)cw_rng_next(&rng);
	a->sport = (uint16_t)(49152 + cw_rng_below(&rng, 16000));
	cw_dns_init(&q, a->qid, CW_DNS_QUERY);
	cw_dns_question(&q, name, type);
	cw_dns_finish(&q);
	cw_send_udp(&net, &a->cli, a->sport, &a->dns, 53, q.b.p, q.b.len);
	cw_dns_free(&q);
}

/* The answer to the query just sent; addr is the address records point at
 * (A or AAAA by the question type), target the SRV / CNAME target. */
static void dns_answer(struct actor *a, const char *name, uint16_t type, enum ans ans, const char *target,
		       const struct cw_addr *addr)
{
	struct cw_dns r;

	cw_dns_init(&r, a->qid, ans == ANS_NX ? CW_DNS_NXDOMAIN : (CW_DNS_RESPONSE | 0x0400));
	cw_dns_question(&r, name, type);
	cw_dns_section(&r, 1);
	switch (ans) {
	case ANS_NX:
		break;
	case ANS_SRV:
		cw_dns_srv(&r, name, 3600, 0, 0, 5061, target);
		break;
	case ANS_CNAME_ADDR:
		cw_dns_cname(&r, name, 3600, target);
		name = target;
		/* fall through */
	case ANS_ADDR:
		if (type == CW_DNS_AAAA)
			cw_dns_aaaa(&r, name, 3600, addr);
		else
			cw_dns_a(&r, name, 3600, addr);
		break;
	}
	cw_dns_finish(&r);
	cw_send_udp(&net, &a->dns, 53, &a->cli, a->sport, r.b.p, r.b.len);
	cw_dns_free(&r);
}

/* -------------------------------------------------------------- TLS */

static void client_hello(struct actor *a)
{
	struct cw_buf hs, rec;
	uint8_t rnd[32];

	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (uint8_t)cw_rng_next(&rng);
	cw_buf_init(&hs);
	cw_buf_init(&rec);
	cw_tls_client_hello(&hs, CW_TLS12, rnd, a->sni, NULL, 0);
	cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS10, hs.p, hs.len, 0);
	cw_tcp_send(&a->tcp, 0, rec.p, rec.len);
	cw_buf_free(&hs);
	cw_buf_free(&rec);
}

/* Builds the server's flight (ServerHello, Certificate, ServerHelloDone)
 * and plans its segments; they go out two per step. */
static void plan_flight(struct actor *a)
{
	struct cw_buf hs;
	uint8_t rnd[32];

	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (uint8_t)cw_rng_next(&rng);
	cw_buf_init(&hs);
	cw_tls_server_hello(&hs, CW_TLS12, 0xc02f, rnd);
	cw_tls_certificate(&hs, a->chain->der, a->chain->n);
	cw_tls_server_hello_done(&hs);
	cw_buf_reset(&a->flight);
	cw_tls_records(&a->flight, CW_TLS_HANDSHAKE, CW_TLS12, hs.p, hs.len, 0);
	cw_buf_free(&hs);
	a->nseg = cw_tcp_plan(&a->tcp, 1, a->flight.len, a->segs, 32);
	a->si = 0;
}

/* Sends up to two planned segments; 1 when the flight is out. */
static int flight_step(struct actor *a)
{
	for (int k = 0; k < 2 && a->si < a->nseg; k++) {
		cw_tcp_emit_order(&a->tcp, 1, a->flight.p, a->segs, a->nseg, &a->si, 1);
		a->si++;
	}
	return a->si >= a->nseg;
}

/* ClientKeyExchange + CCS + Finished (opaque bytes: nothing after the
 * handshake is decrypted). */
static void client_finish(struct actor *a)
{
	struct cw_buf rec;
	uint8_t opaque[66];

	memset(opaque, 0xa5, sizeof opaque);
	opaque[0] = 16; /* client_key_exchange */
	opaque[1] = 0;
	opaque[2] = 0;
	opaque[3] = 62;
	opaque[4] = 61;
	cw_buf_init(&rec);
	cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS12, opaque, sizeof opaque, 0);
	cw_tls_record_raw(&rec, CW_TLS_CHANGE_CIPHER_SPEC, CW_TLS12, 1, (const uint8_t *)"\1", 1);
	cw_tls_record_raw(&rec, CW_TLS_HANDSHAKE, CW_TLS12, 40, opaque, 40);
	cw_tcp_send(&a->tcp, 0, rec.p, rec.len);
	cw_buf_free(&rec);
}

static void server_finish(struct actor *a)
{
	struct cw_buf rec;
	uint8_t opaque[40];

	memset(opaque, 0x5a, sizeof opaque);
	cw_buf_init(&rec);
	cw_tls_record_raw(&rec, CW_TLS_CHANGE_CIPHER_SPEC, CW_TLS12, 1, (const uint8_t *)"\1", 1);
	cw_tls_record_raw(&rec, CW_TLS_HANDSHAKE, CW_TLS12, 40, opaque, 40);
	cw_tcp_send(&a->tcp, 1, rec.p, rec.len);
	cw_buf_free(&rec);
}

static void app_record(struct actor *a, int side, size_t len)
{
	static uint8_t body[1400];
	struct cw_buf rec;

	cw_buf_init(&rec);
	cw_tls_record_raw(&rec, CW_TLS_APPDATA, CW_TLS12, (uint16_t)len, body, len);
	cw_tcp_send(&a->tcp, side, rec.p, rec.len);
	cw_buf_free(&rec);
}

/* ----------------------------------------------------------- sign-in */

/* Queues the lookup of prefix + domain d. */
static void add_q(struct actor *a, enum ans ans, uint16_t type, const char *prefix, const char *d)
{
	struct query *q = &a->q[a->nq++];
	snprintf(q->name, sizeof q->name, "%s%s", prefix, d);
	q->type = type;
	q->ans = ans;
}

static void signin_plan(struct actor *a)
{
	const char *d = a->dom->name;
	uint16_t at = a->cli.family == 6 ? CW_DNS_AAAA : CW_DNS_A;
	uint32_t r = cw_rng_below(&rng, 100);

	a->story = r < 40 ? S_SRV_OK : r < 58 ? S_SFB_OK : r < 65 ? S_SIP_A : r < 77 ? S_NX : r < 87 ? S_RST : S_MISMATCH;
	a->srv = a->cli.family == 6 ? a->dom->pool6 : a->dom->pool4;
	a->chain = &a->dom->pool_chain;
	a->end = C_ACCEPT;
	switch (a->story) {
	case S_SRV_OK:
	case S_RST:
		add_q(a, ANS_SRV, CW_DNS_SRV, "_sipinternaltls._tcp.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sipinternal._tcp.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sip._tls.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sip._tcp.", d);
		add_q(a, ANS_ADDR, at, "pool.", d);
		snprintf(a->sni, sizeof a->sni, "pool.%s", d);
		if (a->story == S_RST)
			a->end = C_RST;
		break;
	case S_SFB_OK:
		add_q(a, ANS_NX, at, "lyncdiscoverinternal.", d);
		add_q(a, ANS_NX, at, "lyncdiscover.", d);
		add_q(a, ANS_SRV, CW_DNS_SRV, "_sipinternaltls._tcp.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sip._tls.", d);
		add_q(a, ANS_ADDR, at, "pool.", d);
		snprintf(a->sni, sizeof a->sni, "pool.%s", d);
		break;
	case S_SIP_A:
	case S_NX:
	case S_MISMATCH:
		add_q(a, ANS_NX, CW_DNS_SRV, "_sipinternaltls._tcp.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sipinternal._tcp.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sip._tls.", d);
		add_q(a, ANS_NX, CW_DNS_SRV, "_sip._tcp.", d);
		if (a->story == S_MISMATCH) {
			add_q(a, ANS_CNAME_ADDR, at, "sipinternal.", d);
			snprintf(a->sni, sizeof a->sni, "sipinternal.%s", d);
			a->end = C_ALERT;
		} else if (a->story == S_SIP_A) {
			add_q(a, ANS_NX, at, "sipinternal.", d);
			add_q(a, ANS_ADDR, at, "sip.", d);
			snprintf(a->sni, sizeof a->sni, "sip.%s", d);
		} else {
			add_q(a, ANS_NX, at, "sipinternal.", d);
			add_q(a, ANS_NX, at, "sip.", d);
			add_q(a, ANS_NX, at, "sipexternal.", d);
			a->end = C_NONE;
		}
		break;
	}
	n_signin[a->story]++;
}

enum { SI_QUERY, SI_ANSWER, SI_SYN, SI_HELLO, SI_FLIGHT, SI_CFIN, SI_SFIN, SI_APP, SI_CLOSE, SI_DONE };

/* One step of a sign-in; returns the delay to the next, 0 when done. */
static uint64_t signin_step(struct actor *a)
{
	struct query *q;
	char target[96];

	switch (a->state) {
	case SI_QUERY:
		dns_query(a, a->q[a->qi].name, a->q[a->qi].type);
		a->state = SI_ANSWER;
		return jitter(200 * US, 30 * MS); /* resolver round trip */
	case SI_ANSWER:
		q = &a->q[a->qi++];
		snprintf(target, sizeof target, "pool.%s", a->dom->name);
		dns_answer(a, q->name, q->type, q->ans, target, &a->srv);
		a->state = a->qi < a->nq ? SI_QUERY : a->end == C_NONE ? SI_DONE : SI_SYN;
		return a->state == SI_DONE ? 0 : jitter(100 * US, 2 * MS);
	case SI_SYN:
		/* a third of the clients are behind a VPN with a small MSS: the
		 * chain then spans 3-6 segments instead of 2 */
		cw_tcp_init(&a->tcp, &net, &a->cli, (uint16_t)(49152 + cw_rng_below(&rng, 16000)), &a->srv, 5061,
			    (uint32_t)cw_rng_next(&rng), (uint32_t)cw_rng_next(&rng),
			    cw_rng_below(&rng, 3) == 0 ? 536 : 1460);
		if (a->end == C_RST) {
			cw_tcp_emit(&a->tcp, 0, a->tcp.seq[0], CW_TCP_SYN, NULL, 0);
			a->tcp.seq[0]++;
			cw_tcp_emit(&a->tcp, 1, 0, CW_TCP_RST | CW_TCP_ACK, NULL, 0);
			return 0;
		}
		cw_tcp_handshake(&a->tcp);
		a->state = SI_HELLO;
		return jitter(100 * US, 1 * MS);
	case SI_HELLO:
		client_hello(a);
		plan_flight(a);
		a->state = SI_FLIGHT;
		return jitter(1 * MS, 20 * MS);
	case SI_FLIGHT:
		if (flight_step(a)) {
			cw_tcp_ack(&a->tcp, 0);
			a->state = a->end == C_ALERT ? SI_CLOSE : SI_CFIN;
			if (a->end == C_ALERT) {
				struct cw_buf rec;
				cw_buf_init(&rec);
				cw_tls_alert(&rec, CW_TLS12, 2, 42);
				cw_tcp_send(&a->tcp, 0, rec.p, rec.len);
				cw_buf_free(&rec);
			}
		}
		return jitter(100 * US, 2 * MS);
	case SI_CFIN:
		client_finish(a);
		a->state = SI_SFIN;
		return jitter(1 * MS, 20 * MS);
	case SI_SFIN:
		server_finish(a);
		a->state = SI_APP;
		a->si = 0;
		return jitter(100 * US, 2 * MS);
	case SI_APP:
		/* REGISTER, 401, REGISTER, 200 OK: encrypted */
		app_record(a, (int)(a->si & 1), 300 + cw_rng_below(&rng, 1000));
		if (++a->si == 4)
			a->state = SI_CLOSE;
		return jitter(1 * MS, 20 * MS);
	case SI_CLOSE:
		cw_tcp_fin(&a->tcp, 0);
		cw_tcp_fin(&a->tcp, 1);
		return 0;
	}
	return 0;
}

/* ------------------------------------------------------------- bulk */

/* Payloads cycle through these buffers: HTTPS carries whole application
 * data records (so a TLS reader stays in step), the others opaque bytes. */
#define TLS_REC 16384
static uint8_t *tls_payload, *plain_payload;
static size_t tls_payload_len, plain_payload_len;

static void payload_init(void)
{
	struct cw_buf b;

	cw_buf_init(&b);
	for (int i = 0; i < 4; i++) {
		uint8_t *body = calloc(1, TLS_REC);
		if (!body)
			exit(2);
		for (size_t k = 0; k < TLS_REC; k++)
			body[k] = (uint8_t)cw_rng_next(&rng);
		cw_tls_record_raw(&b, CW_TLS_APPDATA, CW_TLS12, TLS_REC, body, TLS_REC);
		free(body);
	}
	tls_payload = b.p;
	tls_payload_len = b.len;
	plain_payload_len = 65536;
	plain_payload = malloc(plain_payload_len);
	if (!plain_payload)
		exit(2);
	for (size_t k = 0; k < plain_payload_len; k++)
		plain_payload[k] = (uint8_t)cw_rng_next(&rng);
}

enum { BU_SYN, BU_HELLO, BU_FLIGHT, BU_CFIN, BU_SFIN, BU_DATA, BU_CLOSE };

static void bulk_plan(struct actor *a)
{
	uint32_t h = cw_rng_below(&rng, 64);
	uint32_t r = cw_rng_below(&rng, 100);
	uint16_t port;

	pick_client(a);
	a->proto = r < 50 ? B_HTTPS : r < 80 ? B_SMB : B_HTTP;
	port = a->proto == B_HTTPS ? 443 : a->proto == B_SMB ? 445 : 80;
	a->srv = a->cli.family == 6 ? cw_ip6_doc(0x300, 0x20 + h) : cw_ip4(192, 0, 2, (uint8_t)(10 + h));
	/* 64 KB .. 4 MB, log-uniform: many short flows, a few long ones */
	a->remaining = (uint64_t)65536 << cw_rng_below(&rng, 7);
	a->remaining += cw_rng_below(&rng, 65536);
	snprintf(a->sni, sizeof a->sni, "www.example.net");
	a->chain = &web_chain;
	cw_tcp_init(&a->tcp, &net, &a->cli, (uint16_t)(49152 + cw_rng_below(&rng, 16000)), &a->srv, port,
		    (uint32_t)cw_rng_next(&rng), (uint32_t)cw_rng_next(&rng), 1460);
	n_bulk++;
}

static uint64_t bulk_step(struct actor *a, int stopping)
{
	switch (a->state) {
	case BU_SYN:
		cw_tcp_handshake(&a->tcp);
		a->state = a->proto == B_HTTPS ? BU_HELLO : BU_DATA;
		return jitter(100 * US, 2 * MS);
	case BU_HELLO:
		client_hello(a);
		plan_flight(a);
		a->state = BU_FLIGHT;
		return jitter(1 * MS, 10 * MS);
	case BU_FLIGHT:
		if (flight_step(a)) {
			cw_tcp_ack(&a->tcp, 0);
			a->state = BU_CFIN;
		}
		return jitter(100 * US, 1 * MS);
	case BU_CFIN:
		client_finish(a);
		a->state = BU_SFIN;
		return jitter(1 * MS, 10 * MS);
	case BU_SFIN:
		server_finish(a);
		a->state = BU_DATA;
		return jitter(1 * MS, 5 * MS);
	case BU_DATA: {
		/* two full segments from the server, one ACK from the client */
		const uint8_t *pl = a->proto == B_HTTPS ? tls_payload : plain_payload;
		size_t pll = a->proto == B_HTTPS ? tls_payload_len : plain_payload_len;
		size_t n = 2 * 1460;

		if (n > a->remaining)
			n = (size_t)a->remaining;
		for (size_t k = 0; k < n;) {
			size_t c = n - k;
			if (c > 1460)
				c = 1460;
			if (c > pll - a->off)
				c = pll - a->off;
			cw_tcp_send(&a->tcp, 1, pl + a->off, c);
			a->off = (a->off + c) % pll;
			k += c;
		}
		cw_tcp_ack(&a->tcp, 0);
		a->remaining -= n;
		if (a->remaining == 0 || stopping)
			a->state = BU_CLOSE;
		return jitter(6 * MS, 14 * MS);
	}
	case BU_CLOSE:
		cw_tcp_fin(&a->tcp, 1);
		cw_tcp_fin(&a->tcp, 0);
		return 0;
	}
	return 0;
}

/* -------------------------------------------------------- noise DNS */

static const char *const noise_names[] = { "www.example.net", "cdn.example.net", "mail.example.org",
					    "update.example.com", "time.example.com", "api.example.net",
					    "login.example.org", "files.example.com" };

static uint64_t noise_step(struct actor *a)
{
	char name[96];
	uint32_t h = (uint32_t)a->remaining;
	uint16_t type = a->cli.family == 6 && (h & 1) ? CW_DNS_AAAA : CW_DNS_A;
	struct cw_addr addr = type == CW_DNS_AAAA ? cw_ip6_doc(0x400, h % 256) : cw_ip4(198, 51, 100, (uint8_t)h);

	if (h % 3 == 0)
		snprintf(name, sizeof name, "host%u.corp.example.com", h % 5000);
	else
		snprintf(name, sizeof name, "%s", noise_names[h % 8]);
	if (a->state == 0) {
		dns_query(a, name, type);
		a->state = 1;
		return jitter(200 * US, 20 * MS);
	}
	dns_answer(a, name, type, h % 17 == 0 ? ANS_NX : ANS_ADDR, NULL, &addr);
	return 0;
}

/* ------------------------------------------------------------- main */

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k':
	case 'K':
		return v << 10;
	case 'm':
	case 'M':
		return v << 20;
	case 'g':
	case 'G':
		return v << 30;
	case '\0':
		return v;
	}
	return 0;
}

static void usage(FILE *out)
{
	fputs("usage: capgen --size SIZE[K|M|G] [--format pcap|pcapng] [--seed N] -o FILE\n"
	      "Writes a deterministic mixed capture of about SIZE bytes: Microsoft SIP\n"
	      "clients signing in (some failing) inside bulk TCP, HTTPS and DNS traffic.\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "size", required_argument, NULL, 's' },
					      { "format", required_argument, NULL, 'f' },
					      { "seed", required_argument, NULL, 'S' },
					      { "output", required_argument, NULL, 'o' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	uint64_t size = 0, seed = 20260115;
	enum cw_format fmt = CW_PCAP;
	const char *out = NULL;
	int c, nbulk = 0;
	struct cw_file *f;
	struct cw_link l = cw_link_ether();

	while ((c = getopt_long(argc, argv, "s:f:S:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			size = parse_size(optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "pcap"))
				fmt = CW_PCAP;
			else if (!strcmp(optarg, "pcapng"))
				fmt = CW_PCAPNG;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!size || !out || optind != argc) {
		usage(stderr);
		return 2;
	}
	rng.s = seed;
	if (world_init() < 0) {
		fputs("capgen: cannot make certificates (OpenSSL)\n", stderr);
		return 2;
	}
	payload_init();
	/* one Ethernet interface: libpcap reads a single-interface pcapng,
	 * so the floor program can read both formats */
	f = cw_open(out, fmt, CW_LT_ETHERNET, 65535, 0);
	if (!f) {
		fprintf(stderr, "capgen: %s: %s\n", out, strerror(errno));
		return 2;
	}
	cw_net_init(&net, f, 0, &l, T0_NS);
	net.step_ns = 5 * US; /* frames written in one step are 5 us apart */

	heap_push(actor_new(A_SPAWN_SIGNIN, T0_NS));
	heap_push(actor_new(A_SPAWN_NOISE, T0_NS));
	heap_push(actor_new(A_SPAWN_BULK, T0_NS));

	while (nheap) {
		struct actor *a = heap_pop();
		int stopping = cw_bytes(f) >= size;
		uint64_t frames0 = net.frames, next = 0;

		/* frames only go forward in time */
		if (net.ts_ns < a->t)
			net.ts_ns = a->t;
		net.link = a->link;
		switch (a->kind) {
		case A_SPAWN_SIGNIN:
		case A_SPAWN_NOISE:
			if (!stopping) {
				struct actor *n = actor_new(a->kind == A_SPAWN_SIGNIN ? A_SIGNIN : A_NOISE_DNS, a->t);
				pick_client(n);
				if (n->kind == A_SIGNIN) {
					n->dom = &doms[cw_rng_below(&rng, NDOM)];
					signin_plan(n);
				} else {
					n->remaining = cw_rng_next(&rng);
					n_noise++;
				}
				heap_push(n);
				next = jitter(0, 2 * (a->kind == A_SPAWN_SIGNIN ? SIGNIN_GAP_MS : NOISE_DNS_GAP_MS) * MS);
				if (!next)
					next = 1;
			}
			break;
		case A_SPAWN_BULK:
			/* keeps BULK_CONCURRENT transfers going; checked every 5 ms */
			if (!stopping) {
				while (nbulk < BULK_CONCURRENT) {
					struct actor *n = actor_new(A_BULK, a->t + jitter(0, 5 * MS));
					bulk_plan(n);
					heap_push(n);
					nbulk++;
				}
				next = 5 * MS;
			}
			break;
		case A_SIGNIN:
			next = signin_step(a);
			frames_relevant += net.frames - frames0;
			break;
		case A_BULK:
			next = bulk_step(a, stopping);
			if (!next)
				nbulk--;
			break;
		case A_NOISE_DNS:
			next = noise_step(a);
			break;
		}
		if (next) {
			a->t += next;
			heap_push(a);
		} else {
			actor_free(a);
		}
	}

	fprintf(stderr,
		"capgen: %s: %llu bytes, %llu frames over %.1f s; %llu sign-ins (srv-ok %llu, sfb-ok %llu, sip-a %llu, "
		"nx %llu, rst %llu, mismatch %llu), %llu bulk flows, %llu other lookups; sign-in frames %.1f%%\n",
		out, (unsigned long long)cw_bytes(f), (unsigned long long)net.frames,
		(double)(net.ts_ns - T0_NS) / 1e9,
		(unsigned long long)(n_signin[0] + n_signin[1] + n_signin[2] + n_signin[3] + n_signin[4] + n_signin[5]),
		(unsigned long long)n_signin[S_SRV_OK], (unsigned long long)n_signin[S_SFB_OK],
		(unsigned long long)n_signin[S_SIP_A], (unsigned long long)n_signin[S_NX],
		(unsigned long long)n_signin[S_RST], (unsigned long long)n_signin[S_MISMATCH],
		(unsigned long long)n_bulk, (unsigned long long)n_noise,
		net.frames ? 100.0 * (double)frames_relevant / (double)net.frames : 0.0);
	cw_net_free(&net);
	for (int d = 0; d < NDOM; d++)
		chain_free(&doms[d].pool_chain);
	chain_free(&web_chain);
	free(tls_payload);
	free(plain_payload);
	free(heap);
	if (cw_close(f) != 0) {
		fprintf(stderr, "capgen: %s: %s\n", out, strerror(errno));
		return 2;
	}
	return 0;
}
