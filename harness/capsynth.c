/*
 * capsynth - writes the regression captures that real programs will not
 * produce on demand: TCP segments of a Certificate message out of order and
 * retransmitted, a DNS answer in IP fragments, snaplen truncation in the
 * middle of a handshake, a capture that starts mid-handshake, a pcapng with
 * Ethernet and BSD NULL interfaces (Wireshark on Windows/macOS), VLAN and
 * QinQ tags, raw IP.
 *
 * Every file is a sign-in story with a verdict (mostly the lab story of
 * spec/000_e02314df20f87d0a.txt: domain schertz.local, OC 2007), so the
 * analyzer's findings can be checked and not only its decoding. Output is
 * byte-identical on every run: fixed clock, fixed addresses, Ed25519
 * certificates from fixed seeds (capwriter), DNS ids from a seeded PRNG.
 *
 * usage: capsynth OUTDIR
 * Prints one INDEX line per capture on stdout (tab-separated: file,
 * profile, analyzer args, what it proves, how made, expected verdict), the
 * format captures/make-captures collects into captures/index.tsv.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capwriter.h"

#define D "schertz.local"
/* 2026-01-15 10:00:00 UTC: inside every synthetic certificate's validity */
#define T0_NS (1768471200ull * 1000000000ull)
#define NOT_BEFORE 1735689600 /* 2025-01-01 */
#define NOT_AFTER 2051222400  /* 2035-01-01 */

static const char *outdir;

/* ------------------------------------------------------------ certificates */

static uint8_t seed_root[32], seed_inter[32], seed_leaf[32];

static void seeds(void)
{
	for (int i = 0; i < 32; i++) {
		seed_root[i] = (uint8_t)(0x10 + i);
		seed_inter[i] = (uint8_t)(0x40 + i);
		seed_leaf[i] = (uint8_t)(0x70 + i);
	}
}

/* A three-certificate chain (leaf, issuing CA, root) for the given SANs.
 * Three certificates make the Certificate message long enough (~1.3 KB) to
 * need several segments at the small MSS used below. */
struct chain {
	struct cw_buf der[3];
	size_t n;
};

static int chain_make(struct chain *c, const char *cn, const char *const *sans, size_t nsans)
{
	struct cw_cert_spec leaf = { seed_leaf, cn, sans, nsans, seed_inter, "sipdisc synth Issuing CA", 0x5001,
				     NOT_BEFORE, NOT_AFTER, 0 };
	struct cw_cert_spec inter = { seed_inter, "sipdisc synth Issuing CA", NULL, 0, seed_root,
				      "sipdisc synth Root CA", 0x5000, NOT_BEFORE, NOT_AFTER, 1 };
	struct cw_cert_spec root = { seed_root, "sipdisc synth Root CA", NULL, 0, seed_root,
				     "sipdisc synth Root CA", 0x4fff, NOT_BEFORE, NOT_AFTER, 1 };

	c->n = 3;
	for (size_t i = 0; i < 3; i++)
		cw_buf_init(&c->der[i]);
	if (cw_cert_make(&leaf, &c->der[0]) < 0 || cw_cert_make(&inter, &c->der[1]) < 0 ||
	    cw_cert_make(&root, &c->der[2]) < 0)
		return -1;
	return 0;
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		cw_buf_free(&c->der[i]);
}

/* ------------------------------------------------------------ a client */

struct client {
	struct cw_net *net;
	struct cw_addr me, dns;
	struct cw_rng rng;
	uint16_t next_port;
};

static void client_init(struct client *c, struct cw_net *net, struct cw_addr me, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->net = net;
	c->me = me;
	c->dns = me.family == 6 ? me : cw_ip4(10, 77, 0, 53);
	if (me.family == 6) {
		/* fd77::53, as in the real lab */
		memset(c->dns.a, 0, 16);
		c->dns.a[0] = 0xfd;
		c->dns.a[1] = 0x77;
		c->dns.a[15] = 0x53;
	}
	c->rng.s = seed;
	c->next_port = 50000;
}

static struct cw_addr lab4(uint8_t last)
{
	return cw_ip4(10, 77, 0, last);
}

/* What a DNS answer holds; kind selects the builder. */
enum ans_kind { ANS_NX, ANS_A, ANS_AAAA, ANS_CNAME_A, ANS_SRV, ANS_SRV_MANY };

struct answer {
	enum ans_kind kind;
	const char *target;  /* CNAME or SRV target */
	struct cw_addr addr; /* A */
	uint16_t port;
};

/* One UDP DNS exchange: the query from the client, the answer from the
 * server. edns adds an OPT RR (4096) to both, as a modern stub would when it
 * expects a large answer (S02, S07: the answer is fragmented). */
static int dns_ask(struct client *c, const char *name, uint16_t type, const struct answer *a, int edns)
{
	struct cw_dns q, r;
	uint16_t id = (uint16_t)cw_rng_next(&c->rng);
	uint16_t sport = c->next_port++;
	int rc = 0;

	cw_dns_init(&q, id, CW_DNS_QUERY);
	cw_dns_question(&q, name, type);
	if (edns) {
		cw_dns_section(&q, 3);
		cw_put_u8(&q.b, 0); /* root name */
		cw_put_be16(&q.b, 41);
		cw_put_be16(&q.b, 4096);
		cw_put_be32(&q.b, 0);
		cw_put_be16(&q.b, 0);
		q.count[3]++;
	}
	cw_dns_finish(&q);
	rc |= cw_send_udp(c->net, &c->me, sport, &c->dns, 53, q.b.p, q.b.len);

	cw_dns_init(&r, id, a->kind == ANS_NX ? CW_DNS_NXDOMAIN : (CW_DNS_RESPONSE | 0x0400));
	cw_dns_question(&r, name, type);
	cw_dns_section(&r, 1);
	switch (a->kind) {
	case ANS_NX:
		break;
	case ANS_A:
		cw_dns_a(&r, name, 0, &a->addr);
		break;
	case ANS_AAAA:
		cw_dns_aaaa(&r, name, 0, &a->addr);
		break;
	case ANS_CNAME_A:
		cw_dns_cname(&r, name, 0, a->target);
		cw_dns_a(&r, a->target, 0, &a->addr);
		break;
	case ANS_SRV:
		cw_dns_srv(&r, name, 0, 0, 0, a->port, a->target);
		break;
	case ANS_SRV_MANY: {
		/* the real target first, then 60 backups: ~2.4 KB, more than
		 * one 1500-byte packet */
		char t[64];

		cw_dns_srv(&r, name, 0, 0, 0, a->port, a->target);
		for (int i = 0; i < 60; i++) {
			snprintf(t, sizeof(t), "backup-pool-%02d.%s", i, D);
			cw_dns_srv(&r, name, 0, 20, (uint16_t)i, a->port, t);
		}
		break;
	}
	}
	if (edns) {
		cw_dns_section(&r, 3);
		cw_put_u8(&r.b, 0);
		cw_put_be16(&r.b, 41);
		cw_put_be16(&r.b, 4096);
		cw_put_be32(&r.b, 0);
		cw_put_be16(&r.b, 0);
		r.count[3]++;
	}
	cw_dns_finish(&r);
	rc |= cw_send_udp(c->net, &c->dns, 53, &c->me, sport, r.b.p, r.b.len);
	cw_dns_free(&q);
	cw_dns_free(&r);
	return rc;
}

static const struct answer NX = { ANS_NX, NULL, { 0, { 0 } }, 0 };

/* The OC 2007 SRV group, all NXDOMAIN (event 1). */
static int srv_group_nx(struct client *c)
{
	static const char *const srv[] = { "_sipinternaltls._tcp." D, "_sipinternal._tcp." D, "_sip._tls." D,
					   "_sip._tcp." D };
	int rc = 0;

	for (size_t i = 0; i < 4; i++)
		rc |= dns_ask(c, srv[i], CW_DNS_SRV, &NX, 0);
	return rc;
}

/* ------------------------------------------------------------ TLS */

enum delivery {
	DELIVER_IN_ORDER,
	DELIVER_OOO_RETRANS, /* reordered, duplicated and overlapping segments */
	DELIVER_FROM_MIDDLE, /* the capture starts inside the server's flight */
};

/* One TLS 1.2 session from the client to srv:port. The server's flight
 * (ServerHello, Certificate, ServerHelloDone) is cut at the connection's
 * MSS and delivered as dlv says. accept: the client finishes the handshake
 * and sends (encrypted) SIP; else it sends a fatal bad_certificate alert
 * and closes, as a client that checks the name inside the handshake does. */
static int tls_session(struct client *c, struct cw_addr srv, uint16_t port, const char *sni,
		       const struct chain *ch, uint16_t mss, enum delivery dlv, int accept)
{
	struct cw_tcp t;
	struct cw_buf hs, rec, tmp;
	struct cw_seg segs[64];
	size_t nseg, i;
	int rc = 0;
	uint8_t rnd[32], opaque[160];

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)cw_rng_next(&c->rng);
	for (i = 0; i < sizeof(opaque); i++)
		opaque[i] = (uint8_t)cw_rng_next(&c->rng);
	cw_tcp_init(&t, c->net, &c->me, c->next_port++, &srv, port, (uint32_t)cw_rng_next(&c->rng),
		    (uint32_t)cw_rng_next(&c->rng), mss);
	cw_buf_init(&hs);
	cw_buf_init(&rec);
	cw_buf_init(&tmp);

	/* client: SYN .. ClientHello (record version 1.0, as Schannel) */
	if (dlv != DELIVER_FROM_MIDDLE) {
		rc |= cw_tcp_handshake(&t);
		cw_tls_client_hello(&hs, CW_TLS12, rnd, sni, NULL, 0);
		cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS10, hs.p, hs.len, 0);
		rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
		rc |= cw_tcp_ack(&t, 1);
	} else {
		/* the ClientHello happened before the capture started */
		cw_tls_client_hello(&hs, CW_TLS12, rnd, sni, NULL, 0);
		cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS10, hs.p, hs.len, 0);
		t.seq[0] += 1 + (uint32_t)rec.len;
		t.seq[1] += 1;
	}

	/* server flight */
	cw_buf_reset(&hs);
	cw_buf_reset(&rec);
	rnd[0] ^= 0x5a;
	cw_tls_server_hello(&hs, CW_TLS12, 0xc02f, rnd);
	cw_tls_certificate(&hs, ch->der, ch->n);
	cw_tls_server_hello_done(&hs);
	cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS12, hs.p, hs.len, 0);
	nseg = cw_tcp_plan(&t, 1, rec.len, segs, 64);
	if (nseg == 0)
		return -1;
	if (dlv == DELIVER_IN_ORDER) {
		for (i = 0; i < nseg; i++)
			rc |= cw_tcp_emit_order(&t, 1, rec.p, segs, nseg, &i, 1);
	} else if (dlv == DELIVER_OOO_RETRANS) {
		if (nseg < 5)
			return -1; /* the pattern below needs segments 0..4 */
		/* 0, 2, 1 (reordered), 1 again (retransmission), then an
		 * overlapping retransmission covering the end of 2 and the
		 * start of 3, then the rest in order */
		size_t order[] = { 0, 2, 1, 1 };

		rc |= cw_tcp_emit_order(&t, 1, rec.p, segs, nseg, order, 4);
		{
			size_t half = segs[2].len / 2;
			size_t olen = segs[2].len - half + segs[3].len / 2;

			rc |= cw_tcp_emit(&t, 1, segs[2].seq + (uint32_t)half, CW_TCP_ACK | CW_TCP_PSH,
					  rec.p + segs[2].off + half, olen);
		}
		for (i = 3; i < nseg; i++)
			rc |= cw_tcp_emit_order(&t, 1, rec.p, segs, nseg, &i, 1);
	} else {
		/* DELIVER_FROM_MIDDLE: the capture starts after the first two
		 * segments of the flight */
		for (i = 2; i < nseg; i++)
			rc |= cw_tcp_emit_order(&t, 1, rec.p, segs, nseg, &i, 1);
	}
	rc |= cw_tcp_ack(&t, 0);

	if (accept) {
		/* ClientKeyExchange + CCS + Finished; the server's CCS +
		 * Finished; a REGISTER in application data. Key material is
		 * opaque bytes: nothing after the handshake is decrypted. */
		cw_buf_reset(&hs);
		cw_buf_reset(&rec);
		cw_put_u8(&hs, 16);
		cw_put_be24(&hs, 66);
		cw_put_u8(&hs, 65);
		cw_put(&hs, opaque, 65);
		cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS12, hs.p, hs.len, 0);
		cw_tls_record_raw(&rec, CW_TLS_CHANGE_CIPHER_SPEC, CW_TLS12, 1, (const uint8_t *)"\1", 1);
		cw_tls_record_raw(&rec, CW_TLS_HANDSHAKE, CW_TLS12, 40, opaque + 65, 40);
		rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
		cw_buf_reset(&rec);
		cw_tls_record_raw(&rec, CW_TLS_CHANGE_CIPHER_SPEC, CW_TLS12, 1, (const uint8_t *)"\1", 1);
		cw_tls_record_raw(&rec, CW_TLS_HANDSHAKE, CW_TLS12, 40, opaque + 105, 40);
		rc |= cw_tcp_send(&t, 1, rec.p, rec.len);
		cw_buf_reset(&rec);
		cw_tls_record_raw(&rec, CW_TLS_APPDATA, CW_TLS12, 160, opaque, 160);
		rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
		rc |= cw_tcp_ack(&t, 1);
	} else {
		cw_buf_reset(&rec);
		cw_tls_alert(&rec, CW_TLS12, 2, 42);
		rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
	}
	rc |= cw_tcp_fin(&t, 0);
	rc |= cw_tcp_fin(&t, 1);
	cw_buf_free(&hs);
	cw_buf_free(&rec);
	cw_buf_free(&tmp);
	return rc;
}

/* ------------------------------------------------------------ stories */

static struct chain pool_sip;   /* SAN {pool.D, sip.D}: the lab's certificate */
static struct chain pool_only;  /* SAN {pool.D} */

/* Lab attempt 2: no SRV; sipinternal.D CNAME pool.D; the pool's cert lacks
 * sipinternal.D, the client aborts and does not query sip.D. */
static int story_lab2(struct client *c, uint16_t mss, enum delivery dlv)
{
	struct answer cn = { ANS_CNAME_A, "pool." D, lab4(10), 0 };
	int rc = 0;

	if (dlv != DELIVER_FROM_MIDDLE) {
		rc |= srv_group_nx(c);
		rc |= dns_ask(c, "sipinternal." D, CW_DNS_A, &cn, 0);
	}
	rc |= tls_session(c, lab4(10), 5061, "sipinternal." D, &pool_sip, mss, dlv, 0);
	return rc;
}

/* Lab attempt 3: no SRV; sipinternal NXDOMAIN; sip.D A pool; signed in. */
static int story_lab3(struct client *c, uint16_t mss, enum delivery dlv)
{
	struct answer a = { ANS_A, NULL, lab4(10), 0 };
	int rc = srv_group_nx(c);

	rc |= dns_ask(c, "sipinternal." D, CW_DNS_A, &NX, 0);
	rc |= dns_ask(c, "sip." D, CW_DNS_A, &a, 0);
	rc |= tls_session(c, lab4(10), 5061, "sip." D, &pool_sip, mss, dlv, 1);
	return rc;
}

/* T01 with a big SRV answer sent with EDNS (fragmented when net->mtu is
 * set): S1 -> pool.D:5061, cert SAN pool.D, signed in. */
static int story_srv_big(struct client *c, struct cw_addr pool, uint32_t mtu, int reverse)
{
	struct answer srv = { ANS_SRV_MANY, "pool." D, { 0, { 0 } }, 5061 };
	struct answer a = { pool.family == 6 ? ANS_AAAA : ANS_A, NULL, pool, 0 };
	static const char *const rest[] = { "_sipinternal._tcp." D, "_sip._tls." D, "_sip._tcp." D };
	int rc;

	c->net->mtu = mtu;
	c->net->frag_reverse = reverse;
	rc = dns_ask(c, "_sipinternaltls._tcp." D, CW_DNS_SRV, &srv, 1);
	c->net->mtu = 0;
	c->net->frag_reverse = 0;
	for (size_t i = 0; i < 3; i++)
		rc |= dns_ask(c, rest[i], CW_DNS_SRV, &NX, 0);
	if (pool.family == 6) {
		/* AAAA then A, as a dual-stack Windows client asks; the
		 * client uses the IPv6 address */
		struct answer a4 = { ANS_A, NULL, lab4(10), 0 };

		rc |= dns_ask(c, "pool." D, CW_DNS_AAAA, &a, 0);
		rc |= dns_ask(c, "pool." D, CW_DNS_A, &a4, 0);
	} else
		rc |= dns_ask(c, "pool." D, CW_DNS_A, &a, 0);
	rc |= tls_session(c, pool, 5061, "pool." D, &pool_only, 1460, DELIVER_IN_ORDER, 1);
	return rc;
}

/* T01 plain: S1 -> pool.D:5061 signed in (one attempt of a domain). */
static int story_t01(struct client *c, const char *dom, struct cw_addr pool, const struct chain *ch)
{
	char n[4][96], target[96];
	struct answer srv = { ANS_SRV, target, { 0, { 0 } }, 5061 };
	struct answer a = { ANS_A, NULL, pool, 0 };
	int rc;

	snprintf(target, sizeof(target), "pool.%s", dom);
	snprintf(n[0], sizeof(n[0]), "_sipinternaltls._tcp.%s", dom);
	snprintf(n[1], sizeof(n[1]), "_sipinternal._tcp.%s", dom);
	snprintf(n[2], sizeof(n[2]), "_sip._tls.%s", dom);
	snprintf(n[3], sizeof(n[3]), "_sip._tcp.%s", dom);
	rc = dns_ask(c, n[0], CW_DNS_SRV, &srv, 0);
	for (int i = 1; i < 4; i++)
		rc |= dns_ask(c, n[i], CW_DNS_SRV, &NX, 0);
	rc |= dns_ask(c, target, CW_DNS_A, &a, 0);
	rc |= tls_session(c, pool, 5061, target, ch, 1460, DELIVER_IN_ORDER, 1);
	return rc;
}

/* ------------------------------------------------------------ files */

static struct cw_file *open_out(const char *name, enum cw_format fmt, int lt, uint32_t snaplen)
{
	char path[4096];
	struct cw_file *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = cw_open(path, fmt, lt, snaplen, 0);
	if (!f)
		fprintf(stderr, "capsynth: %s: %s\n", path, strerror(errno));
	return f;
}

static void meta(const char *file, const char *prof, const char *args, const char *proves,
		 const char *expected)
{
	printf("%s\t%s\t%s\t%s\tcapsynth (harness/capsynth.c)\t%s\n", file, prof, args, proves, expected);
}

static struct cw_link eth_link(void)
{
	struct cw_link l = cw_link_ether();
	static const uint8_t cli[6] = { 0x02, 0x77, 0, 0, 0x01, 0x01 };
	static const uint8_t gw[6] = { 0x02, 0x77, 0, 0, 0, 0x01 };

	memcpy(l.src_mac, cli, 6);
	memcpy(l.dst_mac, gw, 6);
	return l;
}

static int finish(struct cw_file *f, struct cw_net *n, int rc)
{
	cw_net_free(n);
	if (cw_close(f) != 0)
		rc = -1;
	return rc;
}

static int s01(void)
{
	const char *name = "S01-lab2-cert-out-of-order.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535);
	struct cw_link l = eth_link();
	struct cw_net n;
	struct client c;

	if (!f)
		return -1;
	cw_net_init(&n, f, 0, &l, T0_NS);
	client_init(&c, &n, lab4(101), 1);
	meta(name, "oc2007", "--profile oc2007",
	     "Lab attempt 2 with the server flight cut at MSS 256: segments reordered (0,2,1), a duplicate "
	     "retransmission and an overlapping one; the Certificate must still be reassembled",
	     "As lab-2: CERT-SAN:error (expected sipinternal." D ", SAN pool." D ", sip." D
	     "); FALLBACK_STOPPED; client sends a bad_certificate alert. No 'capture gap' finding.");
	return finish(f, &n, story_lab2(&c, 256, DELIVER_OOO_RETRANS));
}

static int s02(void)
{
	const char *name = "S02-dns-ipv4-fragments.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535);
	struct cw_link l = eth_link();
	struct cw_net n;
	struct client c;

	if (!f)
		return -1;
	cw_net_init(&n, f, 0, &l, T0_NS);
	client_init(&c, &n, lab4(101), 2);
	meta(name, "oc2007", "--profile oc2007",
	     "SRV answer (61 RRs, EDNS 4096, ~2.4 KB) in IPv4 fragments at MTU 1000, sent last fragment first",
	     "PASS: S1 -> pool." D ":5061 (prio 0) reassembled from fragments; SRV-ONE advisory (several RRs).");
	return finish(f, &n, story_srv_big(&c, lab4(10), 1000, 1));
}

static int s03(void)
{
	const char *name = "S03-lab2-snaplen96.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 96);
	struct cw_link l = eth_link();
	struct cw_net n;
	struct client c;

	if (!f)
		return -1;
	cw_net_init(&n, f, 0, &l, T0_NS);
	client_init(&c, &n, lab4(101), 3);
	meta(name, "oc2007", "--profile oc2007",
	     "Lab attempt 2 captured with snaplen 96: DNS names and rcodes visible, CNAME answer and the "
	     "whole Certificate cut off",
	     "Steps visible (SRV x4 NXDOMAIN, A sipinternal." D " answered, TLS to 10.77.0.10:5061, client alert); "
	     "certificate NOT verifiable because of snaplen (evidence finding, not CERT-SAN); no crash, no "
	     "'malformed' claims.");
	return finish(f, &n, story_lab2(&c, 1460, DELIVER_IN_ORDER));
}

static int s04(void)
{
	const char *name = "S04-starts-mid-handshake.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535);
	struct cw_link l = eth_link();
	struct cw_net n;
	struct client c;
	int rc;

	if (!f)
		return -1;
	cw_net_init(&n, f, 0, &l, T0_NS);
	client_init(&c, &n, lab4(101), 4);
	meta(name, "oc2007", "--profile oc2007",
	     "Capture starts inside the server flight of a lab-2 connection (no DNS, no SYN, no ClientHello, first "
	     "two segments missing); 3 s later a complete lab-3 attempt",
	     "First connection: partial (capture starts mid-stream; certificate incomplete/unverifiable), no "
	     "attempt verdict beyond info. Second attempt: PASS via sip." D ".");
	rc = story_lab2(&c, 256, DELIVER_FROM_MIDDLE);
	n.ts_ns += 3000000000ull;
	rc |= story_lab3(&c, 1460, DELIVER_IN_ORDER);
	return finish(f, &n, rc);
}

static int s05(void)
{
	const char *name = "S05-ethernet-and-null.pcapng";
	struct cw_file *f = open_out(name, CW_PCAPNG, CW_LT_ETHERNET, 65535);
	struct cw_link l = eth_link(), lo;
	struct cw_net n, nl;
	struct client c, cl;
	int rc, ifl;

	if (!f)
		return -1;
	/* interface 1: the loopback adapter (BSD NULL), nanosecond clock */
	ifl = cw_add_interface(f, CW_LT_NULL, 262144, 9);
	if (ifl < 0) {
		cw_close(f);
		return -1;
	}
	memset(&lo, 0, sizeof(lo));
	lo.linktype = CW_LT_NULL;
	cw_net_init(&n, f, 0, &l, T0_NS);
	cw_net_init(&nl, f, ifl, &lo, T0_NS + 500000);
	client_init(&c, &n, lab4(101), 5);
	/* loopback noise: a local resolver lookup and a local TLS service,
	 * interleaved in time with the sign-in on Ethernet */
	client_init(&cl, &nl, cw_ip4(127, 0, 0, 1), 6);
	cl.dns = cw_ip4(127, 0, 0, 1);
	n.comment = "sign-in starts (Ethernet interface)";
	rc = story_lab3(&c, 1460, DELIVER_IN_ORDER);
	{
		struct answer a = { ANS_A, NULL, cw_ip4(127, 0, 0, 1), 0 };

		nl.comment = "unrelated loopback traffic (NULL interface)";
		rc |= dns_ask(&cl, "localhost.localdomain", CW_DNS_A, &a, 0);
		rc |= tls_session(&cl, cw_ip4(127, 0, 0, 1), 8443, "localhost", &pool_only, 1460, DELIVER_IN_ORDER, 1);
	}
	meta(name, "oc2007", "--profile oc2007",
	     "pcapng with two interfaces of different link types (Ethernet, BSD NULL with ns timestamps) and "
	     "frame comments, as Wireshark on Windows/macOS writes; frames of both interleave in time",
	     "One attempt (Ethernet, 10.77.0.101): PASS via sip." D " (lab-3). Loopback DNS/TLS on the NULL "
	     "interface is not a sign-in attempt.");
	cw_net_free(&nl);
	return finish(f, &n, rc);
}

static int s06(void)
{
	const char *name = "S06-vlan-qinq-two-clients.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535);
	struct cw_link l1 = eth_link(), l2 = eth_link();
	struct cw_net n1, n2;
	struct client c1, c2;
	static struct chain contoso;
	static const char *const csan[] = { "pool.contoso.test" };
	int rc;

	if (!f)
		return -1;
	if (chain_make(&contoso, "pool.contoso.test", csan, 1) < 0)
		return -1;
	l1.inner_tag = 1;
	l1.inner_vid = 77;
	l2.outer_tpid = 0x88a8;
	l2.outer_vid = 100;
	l2.inner_tag = 1;
	l2.inner_vid = 77;
	l2.src_mac[5] = 0x02;
	cw_net_init(&n1, f, 0, &l1, T0_NS);
	cw_net_init(&n2, f, 0, &l2, T0_NS + 20000000000ull);
	client_init(&c1, &n1, lab4(101), 7);
	client_init(&c2, &n2, lab4(102), 8);
	rc = story_lab2(&c1, 1460, DELIVER_IN_ORDER);
	rc |= story_t01(&c2, "contoso.test", lab4(17), &contoso);
	meta(name, "oc2007", "--profile oc2007",
	     "Client 10.77.0.101 on 802.1Q VLAN 77 (lab attempt 2); 20 s later client 10.77.0.102 behind QinQ "
	     "(802.1ad 100, 802.1Q 77) signing in to contoso.test",
	     "Two attempts: .101 CERT-SAN:error + FALLBACK_STOPPED; .102 PASS via pool.contoso.test.");
	chain_free(&contoso);
	cw_net_free(&n2);
	return finish(f, &n1, rc);
}

static int s07(void)
{
	const char *name = "S07-dns-ipv6-fragments.pcap";
	struct cw_file *f = open_out(name, CW_PCAP_NS, CW_LT_ETHERNET, 65535);
	struct cw_link l = eth_link();
	struct cw_net n;
	struct client c;
	struct cw_addr me, pool;

	if (!f)
		return -1;
	memset(&me, 0, sizeof(me));
	me.family = 6;
	me.a[0] = 0xfd;
	me.a[1] = 0x77;
	pool = me;
	me.a[14] = 0x01;
	me.a[15] = 0x01;
	pool.a[15] = 0x10;
	cw_net_init(&n, f, 0, &l, T0_NS);
	client_init(&c, &n, me, 9);
	meta(name, "oc2007", "--profile oc2007",
	     "IPv6: SRV answer in IPv6 fragments (Fragment header) at MTU 1280, in order; nanosecond pcap",
	     "PASS: S1 -> pool." D " (AAAA fd77::10, A 10.77.0.10), TLS to [fd77::10]:5061.");
	return finish(f, &n, story_srv_big(&c, pool, 1280, 0));
}

static int s08(void)
{
	const char *name = "S08-raw-ip.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_RAW, 65535);
	struct cw_link l;
	struct cw_net n;
	struct client c;

	if (!f)
		return -1;
	memset(&l, 0, sizeof(l));
	l.linktype = CW_LT_RAW;
	cw_net_init(&n, f, 0, &l, T0_NS);
	client_init(&c, &n, lab4(101), 10);
	meta(name, "oc2007", "--profile oc2007", "Raw IP link type (101), as from a VPN/tun interface; T01 story",
	     "PASS: S1 -> pool." D ":5061, cert SAN pool." D ".");
	return finish(f, &n, story_t01(&c, D, lab4(10), &pool_only));
}

int main(int argc, char **argv)
{
	static const char *const sans_pool_sip[] = { "pool." D, "sip." D };
	static const char *const sans_pool[] = { "pool." D };
	int (*const gens[])(void) = { s01, s02, s03, s04, s05, s06, s07, s08 };
	int rc = 0;

	if (argc != 2) {
		fputs("usage: capsynth OUTDIR\n", stderr);
		return 2;
	}
	outdir = argv[1];
	seeds();
	if (chain_make(&pool_sip, "pool." D, sans_pool_sip, 2) < 0 ||
	    chain_make(&pool_only, "pool." D, sans_pool, 1) < 0) {
		fputs("capsynth: certificate generation failed\n", stderr);
		return 1;
	}
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++) {
		if (gens[i]() != 0) {
			fprintf(stderr, "capsynth: generator %zu failed\n", i + 1);
			rc = 1;
		}
	}
	chain_free(&pool_sip);
	chain_free(&pool_only);
	return rc;
}
