/*
 * mangle - writes the hostile-input suite: one good sign-in capture, and
 * from it (or beside it) captures that are damaged, malicious or merely
 * enormous, for tests/e2e_hostile.sh to throw at "sipdisc dump" and
 * "sipdisc analyze". sipdisc must never crash or hang on any of them, and
 * must name the file (and frame) when it cannot read one.
 *
 * Output is byte-identical on every run (fixed clock, fixed seeds, Ed25519
 * certificates from fixed seeds), so a failure found once can be found
 * again by name.
 *
 * usage: mangle OUTDIR   (MANGLE_FLIPS=N: N byte-flip variants, default 200)
 * Writes the captures and OUTDIR/MANIFEST, one line per file, tab-separated:
 *   name  expect  what
 * where expect says what sipdisc must do with it:
 *   ok     read to the end: exit 0 or 1, status ok in the database
 *   frame  read part-way: exit 2, the message names the file and a frame
 *   err    cannot be read: exit 2, the message names the file
 *   any    exit 0, 1 or 2 (random damage may or may not be detectable);
 *          exit 2 must still name the file
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capwriter.h"

#define D "hostile.test"
/* 2026-01-15 10:00:00 UTC: inside the certificates' validity */
#define T0_NS (1768471200ull * 1000000000ull)
#define NOT_BEFORE 1735689600 /* 2025-01-01 */
#define NOT_AFTER 2051222400  /* 2035-01-01 */

#define NFLIPS 200
#define NFLOWS 100000

static const char *outdir;
static FILE *manifest;
static int failed;

/* ------------------------------------------------------------ files */

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", outdir, name);
}

static void note(const char *name, const char *expect, const char *what)
{
	fprintf(manifest, "%s\t%s\t%s\n", name, expect, what);
}

static void write_bytes(const char *name, const uint8_t *p, size_t n, const char *expect, const char *what)
{
	char path[4096];
	FILE *f;

	path_of(path, sizeof path, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "mangle: %s: %s\n", path, strerror(errno));
		failed = 1;
		return;
	}
	note(name, expect, what);
}

static int read_all(const char *name, struct cw_buf *out)
{
	char path[4096];
	uint8_t chunk[65536];
	size_t n;
	FILE *f;

	path_of(path, sizeof path, name);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	cw_buf_reset(out);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		cw_put(out, chunk, n);
	fclose(f);
	return 0;
}

static struct cw_file *open_out(const char *name, enum cw_format fmt, int lt, uint32_t snaplen, int gz)
{
	char path[4096];
	struct cw_file *f;

	path_of(path, sizeof path, name);
	f = cw_open(path, fmt, lt, snaplen, gz);
	if (!f) {
		fprintf(stderr, "mangle: %s: %s\n", path, strerror(errno));
		failed = 1;
	}
	return f;
}

static void close_out(const char *name, struct cw_file *f, struct cw_net *n, int rc, const char *expect,
		      const char *what)
{
	cw_net_free(n);
	if (cw_close(f) != 0 || rc != 0) {
		fprintf(stderr, "mangle: %s: write failed\n", name);
		failed = 1;
		return;
	}
	note(name, expect, what);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le16(struct cw_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	cw_put(b, x, 2);
}

static void put_le32(struct cw_buf *b, uint32_t v)
{
	uint8_t x[4];
	set_le32(x, v);
	cw_put(b, x, 4);
}

/* Start offsets of the records of a little-endian pcap (our writer's), and
 * the end offset last: n + 1 entries. The base files are ours, so the
 * lengths are trusted here. */
static size_t pcap_records(const struct cw_buf *b, size_t *off, size_t max)
{
	size_t n = 0, o = 24;

	while (o + 16 <= b->len && n + 1 < max) {
		off[n++] = o;
		o += 16 + le32(b->p + o + 8);
	}
	off[n] = o;
	return n;
}

/* Same for pcapng blocks (the section header is block 0). */
static size_t pcapng_blocks(const struct cw_buf *b, size_t *off, size_t max)
{
	size_t n = 0, o = 0;

	while (o + 12 <= b->len && n + 1 < max) {
		off[n++] = o;
		o += le32(b->p + o + 4);
	}
	off[n] = o;
	return n;
}

/* ------------------------------------------------------------ certificates */

static uint8_t seed_ca[32], seed_leaf[32];
static struct cw_buf chain[2]; /* leaf, CA */

static int make_chain(void)
{
	static const char *const sans[] = { "pool." D, "sip." D };
	struct cw_cert_spec leaf = { seed_leaf, "pool." D, sans, 2, seed_ca, "mangle CA", 0x7001,
				     NOT_BEFORE, NOT_AFTER, 0 };
	struct cw_cert_spec ca = { seed_ca, "mangle CA", NULL, 0, seed_ca, "mangle CA", 0x7000,
				   NOT_BEFORE, NOT_AFTER, 1 };

	for (int i = 0; i < 32; i++) {
		seed_ca[i] = (uint8_t)(0xa0 + i);
		seed_leaf[i] = (uint8_t)(0x30 + i);
	}
	cw_buf_init(&chain[0]);
	cw_buf_init(&chain[1]);
	return cw_cert_make(&leaf, &chain[0]) < 0 || cw_cert_make(&ca, &chain[1]) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ the sign-in */

struct client {
	struct cw_net *net;
	struct cw_addr me, dns, pool;
	struct cw_rng rng;
	uint16_t port;
};

static void client_init(struct client *c, struct cw_net *net, uint64_t seed)
{
	memset(c, 0, sizeof *c);
	c->net = net;
	c->me = cw_ip4(10, 9, 0, 101);
	c->dns = cw_ip4(10, 9, 0, 53);
	c->pool = cw_ip4(10, 9, 0, 10);
	c->rng.s = seed;
	c->port = 50000;
}

static struct cw_link eth(void)
{
	return cw_link_ether();
}

/* The client's query for name/type; returns the id the answer must carry. */
static uint16_t dns_query(struct client *c, const char *name, uint16_t type, uint16_t sport, int *rc)
{
	struct cw_dns q;
	uint16_t id = (uint16_t)cw_rng_next(&c->rng);

	cw_dns_init(&q, id, CW_DNS_QUERY);
	cw_dns_question(&q, name, type);
	cw_dns_finish(&q);
	*rc |= cw_send_udp(c->net, &c->me, sport, &c->dns, 53, q.b.p, q.b.len);
	cw_dns_free(&q);
	return id;
}

static int dns_srv_and_a(struct client *c)
{
	struct cw_dns r;
	int rc = 0;
	uint16_t sport = c->port++;
	uint16_t id = dns_query(c, "_sipinternaltls._tcp." D, CW_DNS_SRV, sport, &rc);

	cw_dns_init(&r, id, CW_DNS_RESPONSE | 0x0400);
	cw_dns_question(&r, "_sipinternaltls._tcp." D, CW_DNS_SRV);
	cw_dns_section(&r, 1);
	cw_dns_srv(&r, "_sipinternaltls._tcp." D, 300, 0, 0, 5061, "pool." D);
	cw_dns_finish(&r);
	rc |= cw_send_udp(c->net, &c->dns, 53, &c->me, sport, r.b.p, r.b.len);
	cw_dns_free(&r);

	sport = c->port++;
	id = dns_query(c, "pool." D, CW_DNS_A, sport, &rc);
	cw_dns_init(&r, id, CW_DNS_RESPONSE | 0x0400);
	cw_dns_question(&r, "pool." D, CW_DNS_A);
	cw_dns_section(&r, 1);
	cw_dns_a(&r, "pool." D, 300, &c->pool);
	cw_dns_finish(&r);
	rc |= cw_send_udp(c->net, &c->dns, 53, &c->me, sport, r.b.p, r.b.len);
	cw_dns_free(&r);
	return rc;
}

/* How the TLS session is shaped: the certificates sent, the MSS, the
 * largest record, and raw records slipped in before each side's first
 * flight (hostile lengths). */
struct tls_shape {
	const struct cw_buf *ders;
	size_t nders;
	uint16_t mss;
	size_t maxfrag;
	const struct cw_buf *pre_client, *pre_server;
};

/* A TLS 1.2 session to pool:5061; the client finishes the handshake and
 * sends opaque application data, then both sides close. */
static int tls_session(struct client *c, const struct tls_shape *sh)
{
	struct cw_tcp t;
	struct cw_buf hs, rec;
	uint8_t rnd[32], opaque[160];
	int rc = 0;

	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (uint8_t)cw_rng_next(&c->rng);
	for (size_t i = 0; i < sizeof opaque; i++)
		opaque[i] = (uint8_t)cw_rng_next(&c->rng);
	cw_tcp_init(&t, c->net, &c->me, c->port++, &c->pool, 5061, (uint32_t)cw_rng_next(&c->rng),
		    (uint32_t)cw_rng_next(&c->rng), sh->mss);
	cw_buf_init(&hs);
	cw_buf_init(&rec);

	rc |= cw_tcp_handshake(&t);
	if (sh->pre_client)
		cw_put(&rec, sh->pre_client->p, sh->pre_client->len);
	cw_tls_client_hello(&hs, CW_TLS12, rnd, "pool." D, NULL, 0);
	cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS10, hs.p, hs.len, 0);
	rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
	rc |= cw_tcp_ack(&t, 1);

	cw_buf_reset(&hs);
	cw_buf_reset(&rec);
	if (sh->pre_server)
		cw_put(&rec, sh->pre_server->p, sh->pre_server->len);
	rnd[0] ^= 0x5a;
	cw_tls_server_hello(&hs, CW_TLS12, 0xc02f, rnd);
	cw_tls_certificate(&hs, sh->ders, sh->nders);
	cw_tls_server_hello_done(&hs);
	cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS12, hs.p, hs.len, sh->maxfrag);
	rc |= cw_tcp_send(&t, 1, rec.p, rec.len);
	rc |= cw_tcp_ack(&t, 0);

	/* ClientKeyExchange + CCS + Finished, the server's CCS + Finished,
	 * then application data: opaque bytes, nothing is decrypted */
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
	rc |= cw_tcp_fin(&t, 0);
	rc |= cw_tcp_fin(&t, 1);
	cw_buf_free(&hs);
	cw_buf_free(&rec);
	return rc;
}

/* The base story: SRV + A, then TLS 1.2 with the 2-certificate chain cut
 * at MSS 400, so the server's flight spans several segments. */
static const struct tls_shape BASE_TLS = { chain, 2, 400, 0, NULL, NULL };

static int signin(struct client *c, const struct tls_shape *sh)
{
	return dns_srv_and_a(c) | tls_session(c, sh);
}

static void story_file(const char *name, enum cw_format fmt, uint32_t snaplen, int gz, const struct tls_shape *sh,
		       const char *expect, const char *what)
{
	struct cw_file *f = open_out(name, fmt, CW_LT_ETHERNET, snaplen, gz);
	struct cw_link l = eth();
	struct cw_net n;
	struct client c;

	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 2000000; /* 2 ms between frames */
	client_init(&c, &n, 1);
	close_out(name, f, &n, signin(&c, sh), expect, what);
}

/* ------------------------------------------------------------ truncation */

static void truncations(const struct cw_buf *pcap, const struct cw_buf *png)
{
	size_t off[4096];
	char name[128];
	size_t n;

	/* pcap: inside the file header, then at every record boundary and
	 * inside every record (header and data alternately) */
	snprintf(name, sizeof name, "trunc-pcap-%06u.pcap", 0u);
	write_bytes(name, pcap->p, 0, "err", "empty file");
	snprintf(name, sizeof name, "trunc-pcap-%06u.pcap", 12u);
	write_bytes(name, pcap->p, 12, "err", "cut inside the pcap file header");
	n = pcap_records(pcap, off, sizeof off / sizeof *off);
	for (size_t i = 0; i < n; i++) {
		size_t o = off[i], caplen = off[i + 1] - o - 16;
		size_t mid = (i % 2 == 0 || caplen == 0) ? o + 8 : o + 16 + caplen / 2;

		snprintf(name, sizeof name, "trunc-pcap-%06zu.pcap", o);
		write_bytes(name, pcap->p, o, "ok", "cut at a record boundary");
		snprintf(name, sizeof name, "trunc-pcap-%06zu.pcap", mid);
		write_bytes(name, pcap->p, mid, "frame", i % 2 == 0 ? "cut inside a record header" : "cut inside a record's data");
	}

	/* pcapng: at every block boundary and inside every block (after the
	 * type, inside the body, before the trailing length in turn) */
	n = pcapng_blocks(png, off, sizeof off / sizeof *off);
	for (size_t i = 0; i < n; i++) {
		size_t o = off[i], len = off[i + 1] - o;
		size_t mid = i % 3 == 0 ? o + 4 : i % 3 == 1 ? o + len / 2 : o + len - 4;

		snprintf(name, sizeof name, "trunc-pcapng-%06zu.pcapng", o);
		write_bytes(name, png->p, o, i == 0 ? "err" : "ok",
			    i == 0 ? "empty file" : "cut at a block boundary");
		snprintf(name, sizeof name, "trunc-pcapng-%06zu.pcapng", mid);
		/* inside the section header nothing can be read at all */
		write_bytes(name, png->p, mid, i == 0 ? "err" : "frame", "cut inside a block");
	}
}

/* ------------------------------------------------------------ byte flips */

static void flips(const struct cw_buf *pcap, const struct cw_buf *png, const struct cw_buf *gz)
{
	struct cw_rng r = { 0x6d616e676c65ull }; /* "mangle" */
	struct cw_buf v;
	char name[128];

	/* MANGLE_FLIPS=N makes more (a longer soak); the first 200 stay the same */
	const char *env = getenv("MANGLE_FLIPS");
	int nflips = env && atoi(env) > 0 ? atoi(env) : NFLIPS;

	cw_buf_init(&v);
	for (int i = 0; i < nflips; i++) {
		/* mostly pcap and pcapng; every 20th the gzip stream */
		const struct cw_buf *src = i % 20 == 19 ? gz : i % 2 ? png : pcap;
		const char *ext = src == gz ? "pcap.gz" : src == png ? "pcapng" : "pcap";
		uint32_t nflip = 1 + cw_rng_below(&r, 8);

		cw_buf_reset(&v);
		cw_put(&v, src->p, src->len);
		for (uint32_t k = 0; k < nflip; k++) {
			/* a third of the flips land in the first 64 bytes, where
			 * the file and first headers are */
			uint32_t at = cw_rng_below(&r, 3) == 0 ? cw_rng_below(&r, 64)
							       : cw_rng_below(&r, (uint32_t)v.len);
			v.p[at] ^= (uint8_t)(1 + cw_rng_below(&r, 255));
		}
		snprintf(name, sizeof name, "flip-%03d.%s", i, ext);
		write_bytes(name, v.p, v.len, "any", "random bytes flipped");
	}
	cw_buf_free(&v);
}

/* ------------------------------------------------------------ headers */

static void variant(const char *name, const struct cw_buf *src, size_t at, uint32_t v, const char *expect,
		    const char *what)
{
	struct cw_buf b;

	cw_buf_init(&b);
	cw_put(&b, src->p, src->len);
	set_le32(b.p + at, v);
	write_bytes(name, b.p, b.len, expect, what);
	cw_buf_free(&b);
}

static void bad_headers(const struct cw_buf *pcap, const struct cw_buf *png)
{
	size_t roff[4096], boff[4096];
	size_t nr = pcap_records(pcap, roff, 4096), nb = pcapng_blocks(png, boff, 4096);
	static const char text[] = "GET / HTTP/1.1\r\nHost: pool." D "\r\n\r\n";

	if (nr < 4 || nb < 6) {
		fprintf(stderr, "mangle: base captures too short\n");
		failed = 1;
		return;
	}
	/* not a capture */
	variant("magic-deadbeef.pcap", pcap, 0, 0xdeadbeef, "err", "wrong magic");
	variant("magic-bom.pcapng", png, 8, 0x1a2b3c4e, "err", "pcapng byte-order magic off by one");
	variant("magic-version2.pcapng", png, 12, 2, "err", "pcapng major version 2");
	variant("magic-idb-first.pcapng", png, 0, 1, "err", "first block an interface description");
	write_bytes("magic-text.pcap", (const uint8_t *)text, sizeof text - 1, "err", "HTTP text");
	write_bytes("magic-short.pcap", pcap->p, 3, "err", "three bytes of the pcap magic");

	/* huge length fields (record 3 = the first TCP segment's) */
	variant("huge-caplen.pcap", pcap, roff[3] + 8, 0xffffffff, "frame", "record caplen 0xffffffff");
	variant("huge-caplen-1m.pcap", pcap, roff[3] + 8, 1u << 20, "frame", "record caplen 1 MB past the end");
	variant("huge-origlen.pcap", pcap, roff[3] + 12, 0xffffffff, "any", "record wire length 0xffffffff");
	variant("huge-snaplen.pcap", pcap, 16, 0xffffffff, "any", "file snaplen 0xffffffff");
	variant("huge-linktype.pcap", pcap, 20, 0xffffffff, "any", "link type 0xffffffff");
	variant("huge-blocklen.pcapng", png, boff[4] + 4, 0x80000000u, "frame", "EPB block length 2^31");
	variant("huge-blocklen-max.pcapng", png, boff[4] + 4, 0xfffffffcu, "frame", "EPB block length 2^32-4");
	variant("huge-blocklen-odd.pcapng", png, boff[4] + 4, 0x7ffffffdu, "frame", "block length not a multiple of 4");
	variant("huge-blocklen-small.pcapng", png, boff[4] + 4, 8, "frame", "block length below the minimum");
	variant("huge-trailer.pcapng", png, boff[5] - 4, 0x80000000u, "frame", "block trailer length 2^31");
	variant("huge-epb-caplen.pcapng", png, boff[4] + 20, 0xffffffff, "frame", "EPB caplen 0xffffffff");
	variant("huge-epb-ifid.pcapng", png, boff[4] + 8, 0xfffffffe, "frame", "EPB interface id 2^32-2");
	variant("huge-idb-snaplen.pcapng", png, boff[1] + 12, 0xffffffff, "any", "IDB snaplen 0xffffffff");
	{
		/* SHB section length 2^62 (64-bit field at 16) */
		struct cw_buf b;
		cw_buf_init(&b);
		cw_put(&b, png->p, png->len);
		set_le32(b.p + 16, 0);
		set_le32(b.p + 20, 0x40000000u);
		write_bytes("huge-section-length.pcapng", b.p, b.len, "any", "SHB section length 2^62");
		/* IDB option (if_tsresol at body offset 8) claiming 0xffff bytes */
		cw_buf_reset(&b);
		cw_put(&b, png->p, png->len);
		b.p[boff[1] + 18] = 0xff;
		b.p[boff[1] + 19] = 0xff;
		write_bytes("huge-optlen.pcapng", b.p, b.len, "frame", "IDB option length 0xffff");
		cw_buf_free(&b);
	}
}

/* Zero-length packets between the real ones: caplen 0 with wire length 0,
 * and caplen 0 with wire length 1514 (a snaplen-0 capture). */
static void zero_length(const struct cw_buf *pcap)
{
	size_t off[4096];
	size_t n = pcap_records(pcap, off, 4096);
	struct cw_buf b, png;

	cw_buf_init(&b);
	cw_buf_init(&png);
	cw_put(&b, pcap->p, 24);
	/* pcapng: SHB (no options) + one Ethernet IDB */
	put_le32(&png, 0x0A0D0D0A);
	put_le32(&png, 28);
	put_le32(&png, 0x1A2B3C4D);
	put_le16(&png, 1);
	put_le16(&png, 0);
	put_le32(&png, 0xffffffff);
	put_le32(&png, 0xffffffff);
	put_le32(&png, 28);
	put_le32(&png, 1);
	put_le32(&png, 20);
	put_le16(&png, 1);
	put_le16(&png, 0);
	put_le32(&png, 65535);
	put_le32(&png, 20);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = pcap->p + off[i];
		uint32_t caplen = le32(r + 8);
		uint64_t us = (uint64_t)le32(r) * 1000000u + le32(r + 4);

		cw_put(&b, r, 16 + caplen);
		/* the empty record right after, same time */
		cw_put(&b, r, 8);
		put_le32(&b, 0);
		put_le32(&b, i % 2 ? 1514 : 0);

		for (int k = 0; k < 2; k++) {
			uint32_t cl = k ? 0 : caplen, pad = (4 - cl % 4) % 4;
			put_le32(&png, 6);
			put_le32(&png, 32 + cl + pad);
			put_le32(&png, 0);
			put_le32(&png, (uint32_t)(us >> 32));
			put_le32(&png, (uint32_t)us);
			put_le32(&png, cl);
			put_le32(&png, k ? (i % 2 ? 1514 : 0) : le32(r + 12));
			cw_put(&png, r + 16, cl);
			cw_put_zero(&png, pad);
			put_le32(&png, 32 + cl + pad);
		}
	}
	/* and a simple packet block of length 0 */
	put_le32(&png, 3);
	put_le32(&png, 16);
	put_le32(&png, 0);
	put_le32(&png, 16);
	write_bytes("zero-length.pcap", b.p, b.len, "ok", "an empty record after every record");
	write_bytes("zero-length.pcapng", png.p, png.len, "ok", "an empty EPB after every EPB, an empty SPB");
	cw_buf_free(&b);
	cw_buf_free(&png);
}

/* ------------------------------------------------------------ big TCP */

/* NFLOWS connections that never close: each a SYN and one data segment
 * holding the start of a ClientHello record that never completes (half
 * with the server's SYN-ACK, so those also hold TLS state). All are open at once (2 s of capture, far
 * below any idle timeout): the connection cap must bound memory. */
static void many_flows(void)
{
	const char *name = "flows-100k.pcap";
	struct cw_link l = eth();
	struct cw_file *f;
	struct cw_net n;
	struct cw_addr srv = cw_ip4(10, 9, 0, 10);
	uint8_t data[40];
	int rc = 0;

	l.linktype = CW_LT_RAW; /* small frames: no link header */
	f = open_out(name, CW_PCAP, CW_LT_RAW, 65535, 0);
	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 10000;
	/* record header: handshake, TLS 1.0, 512 bytes; ClientHello of 508 */
	memset(data, 0x42, sizeof data);
	memcpy(data, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11); /* NOLINT(bugprone-not-null-terminated-result): record bytes, not a string */
	for (uint32_t i = 0; i < NFLOWS; i++) {
		struct cw_addr cli = cw_ip4(10, (uint8_t)(100 + i / 60000), (uint8_t)((i / 250) % 240),
					    (uint8_t)(1 + i % 250));
		struct cw_tcp t;
		uint32_t isn = i * 2654435761u;

		cw_tcp_init(&t, &n, &cli, (uint16_t)(1024 + i % 60000), &srv, 5061, isn, 0, 0);
		rc |= cw_tcp_emit(&t, 0, isn, CW_TCP_SYN, NULL, 0);
		if (i % 2 == 0) {
			/* half see the server's SYN-ACK, so their data is
			 * delivered and the TLS decoder holds the partial record */
			t.seq[0] = isn + 1;
			rc |= cw_tcp_emit(&t, 1, 0, CW_TCP_SYN | CW_TCP_ACK, NULL, 0);
			t.seq[1] = 1;
			rc |= cw_tcp_emit(&t, 0, isn + 1, CW_TCP_ACK | CW_TCP_PSH, data, sizeof data);
		} else {
			rc |= cw_tcp_emit(&t, 0, isn + 1, CW_TCP_PSH, data, sizeof data);
		}
	}
	close_out(name, f, &n, rc, "ok", "100k TCP flows, SYN + data, never closed");
}

/* ------------------------------------------------------------ DNS bombs */

static void dns_hdr(struct cw_buf *b, uint16_t id, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	cw_put_be16(b, id);
	cw_put_be16(b, CW_DNS_RESPONSE | 0x0400);
	cw_put_be16(b, qd);
	cw_put_be16(b, an);
	cw_put_be16(b, ns);
	cw_put_be16(b, ar);
}

static void dns_plain_name(struct cw_buf *b, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		cw_put_u8(b, (uint8_t)n);
		cw_put(b, name, n);
		name += n + (dot ? 1 : 0);
	}
	cw_put_u8(b, 0);
}

static void ptr(struct cw_buf *b, size_t off)
{
	cw_put_be16(b, (uint16_t)(0xc000 | (off & 0x3fff)));
}

/* An SRV answer owned by the question (at 12) whose target is a pointer. */
static void srv_to(struct cw_buf *b, size_t target)
{
	ptr(b, 12);
	cw_put_be16(b, CW_DNS_SRV);
	cw_put_be16(b, 1);
	cw_put_be32(b, 300);
	cw_put_be16(b, 8);
	cw_put_be16(b, 0);
	cw_put_be16(b, 0);
	cw_put_be16(b, 5061);
	ptr(b, target);
}

static void dns_bombs(void)
{
	const char *name = "dns-bomb.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 262144, 0);
	struct cw_link l = eth();
	struct cw_net n;
	struct client c;
	struct cw_buf m[8];
	size_t nm = 0;
	int rc = 0;

	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 1000000;
	client_init(&c, &n, 7);
	for (size_t i = 0; i < 8; i++)
		cw_buf_init(&m[i]);

	/* 0: the question name points at itself */
	dns_hdr(&m[nm], 0, 1, 1, 0, 0);
	ptr(&m[nm], 12);
	cw_put_be16(&m[nm], CW_DNS_SRV);
	cw_put_be16(&m[nm], 1);
	srv_to(&m[nm], 12);
	nm++;

	/* 1: two pointers pointing at each other (12 -> 14 -> 12) */
	dns_hdr(&m[nm], 0, 1, 0, 0, 0);
	ptr(&m[nm], 14);
	ptr(&m[nm], 12);
	cw_put_be16(&m[nm], 1);
	nm++;

	/* 2: the bomb. A TXT record's data holds a chain of 300 one-letter
	 * labels, each followed by a pointer to the previous one; then 2000
	 * SRV answers whose targets point into the chain at depths 127 (the
	 * largest legal name), 128 (one too many), 300 and 50. Every target
	 * costs up to 300 pointer hops. */
	{
		struct cw_buf *b = &m[nm++];
		size_t node[300], rdlen_at;

		dns_hdr(b, 0, 1, 2001, 0, 0);
		dns_plain_name(b, "_sipinternaltls._tcp." D);
		cw_put_be16(b, CW_DNS_SRV);
		cw_put_be16(b, 1);
		ptr(b, 12);
		cw_put_be16(b, 16); /* TXT */
		cw_put_be16(b, 1);
		cw_put_be32(b, 300);
		rdlen_at = b->len;
		cw_put_be16(b, 0);
		for (size_t k = 0; k < 300; k++) {
			node[k] = b->len;
			cw_put_u8(b, 1);
			cw_put_u8(b, (uint8_t)('a' + k % 26));
			if (k == 0)
				cw_put_u8(b, 0);
			else
				ptr(b, node[k - 1]);
		}
		cw_set_be16(b, rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
		for (size_t k = 0; k < 2000; k++) {
			static const size_t depth[] = { 126, 127, 299, 49 };
			srv_to(b, node[depth[k % 4]]);
		}
	}

	/* 3: the largest names: 127 one-letter labels (255 bytes, legal) as
	 * the question; answers owned by four 63-byte labels (256 bytes, one
	 * too long), by reserved label types 0x40 and 0x80, and a pointer
	 * past the end of the message */
	{
		struct cw_buf *b = &m[nm++];
		uint8_t lab[63];

		memset(lab, 'z', sizeof lab);
		dns_hdr(b, 0, 1, 4, 0, 0);
		for (int k = 0; k < 127; k++) {
			cw_put_u8(b, 1);
			cw_put_u8(b, 'm');
		}
		cw_put_u8(b, 0);
		cw_put_be16(b, CW_DNS_A);
		cw_put_be16(b, 1);
		for (int k = 0; k < 4; k++) {
			cw_put_u8(b, 63);
			cw_put(b, lab, 63);
		}
		cw_put_u8(b, 0);
		cw_put_be16(b, CW_DNS_A);
		cw_put_be16(b, 1);
		cw_put_be32(b, 300);
		cw_put_be16(b, 4);
		cw_put_be32(b, 0x0a09000a);
		cw_put_u8(b, 0x41); /* extended label type */
		cw_put_u8(b, 0);
		cw_put_be16(b, CW_DNS_A);
		cw_put_be16(b, 1);
		cw_put_be32(b, 300);
		cw_put_be16(b, 4);
		cw_put_be32(b, 0x0a09000a);
		cw_put_u8(b, 0x80); /* reserved label type */
		cw_put_u8(b, 0x05);
		cw_put_be16(b, CW_DNS_A);
		cw_put_be16(b, 1);
		cw_put_be32(b, 300);
		cw_put_be16(b, 4);
		cw_put_be32(b, 0x0a09000a);
		ptr(b, 0x3fff);
		cw_put_be16(b, CW_DNS_A);
		cw_put_be16(b, 1);
		cw_put_be32(b, 300);
		cw_put_be16(b, 4);
		cw_put_be32(b, 0x0a09000a);
	}

	/* 4: every count 65535, a few bytes of body; and a forward pointer */
	dns_hdr(&m[nm], 0, 65535, 65535, 65535, 65535);
	ptr(&m[nm], 16);
	cw_put_be16(&m[nm], CW_DNS_SRV);
	cw_put_u8(&m[nm], 3);
	cw_put(&m[nm], "abc", 3);
	cw_put_u8(&m[nm], 0);
	nm++;

	/* 5: a pointer into the header (the id bytes read as a label) */
	dns_hdr(&m[nm], 0x0463, 1, 0, 0, 0);
	ptr(&m[nm], 0);
	cw_put_be16(&m[nm], CW_DNS_A);
	cw_put_be16(&m[nm], 1);
	nm++;

	/* each bomb answers a query the client really sent (same id), over
	 * UDP; the big one again over TCP, length-prefixed */
	for (size_t i = 0; i < nm; i++) {
		uint16_t sport = c.port++;
		uint16_t id = dns_query(&c, "_sipinternaltls._tcp." D, CW_DNS_SRV, sport, &rc);

		if (i != 5)
			cw_set_be16(&m[i], 0, id);
		rc |= cw_send_udp(&n, &c.dns, 53, &c.me, sport, m[i].p, m[i].len);
	}
	{
		struct cw_tcp t;
		struct cw_buf q;
		struct cw_dns d;
		uint16_t id = (uint16_t)cw_rng_next(&c.rng);

		cw_tcp_init(&t, &n, &c.me, c.port++, &c.dns, 53, 1000, 2000, 1460);
		rc |= cw_tcp_handshake(&t);
		cw_buf_init(&q);
		cw_dns_init(&d, id, CW_DNS_QUERY);
		cw_dns_question(&d, "_sipinternaltls._tcp." D, CW_DNS_SRV);
		cw_dns_finish(&d);
		cw_put_be16(&q, (uint16_t)d.b.len);
		cw_put(&q, d.b.p, d.b.len);
		rc |= cw_tcp_send(&t, 0, q.p, q.len);
		cw_buf_reset(&q);
		cw_set_be16(&m[2], 0, id);
		cw_put_be16(&q, (uint16_t)m[2].len);
		cw_put(&q, m[2].p, m[2].len);
		rc |= cw_tcp_send(&t, 1, q.p, q.len);
		rc |= cw_tcp_fin(&t, 0);
		rc |= cw_tcp_fin(&t, 1);
		cw_dns_free(&d);
		cw_buf_free(&q);
	}
	/* then an ordinary sign-in, which must still be found */
	rc |= signin(&c, &BASE_TLS);
	for (size_t i = 0; i < 8; i++)
		cw_buf_free(&m[i]);
	close_out(name, f, &n, rc, "ok", "DNS pointer loops, 2000 deep pointer chains, longest names, bad label types");
}

/* ------------------------------------------------------------ TLS */

static void tls_hostile(void)
{
	struct cw_buf *many, junk, pre_c, pre_s;
	size_t nmany = 0, total = 0;
	struct cw_rng r = { 42 };

	/* a Certificate message of 1 MB: the chain repeated ~1400 times */
	many = calloc(4096, sizeof *many);
	if (!many)
		abort();
	while (total < (1u << 20) && nmany < 4096) {
		many[nmany] = chain[nmany % 2]; /* shallow: not freed through many */
		total += chain[nmany % 2].len + 3;
		nmany++;
	}
	{
		struct tls_shape sh = { many, nmany, 1460, 0, NULL, NULL };
		story_file("tls-cert-1mb-chain.pcap", CW_PCAP, 65535, 0, &sh, "ok",
			   "1 MB Certificate message: the chain repeated");
	}
	/* one certificate of 1 MB: a DER SEQUENCE header over random bytes */
	cw_buf_init(&junk);
	cw_put(&junk, "\x30\x83\x0f\xff\xfc", 5);
	for (size_t k = 0; k < 0x0ffffc; k++)
		cw_put_u8(&junk, (uint8_t)cw_rng_next(&r));
	{
		struct cw_buf one[2] = { junk, chain[1] };
		struct tls_shape sh = { one, 2, 1460, 0, NULL, NULL };
		story_file("tls-cert-1mb-one.pcap", CW_PCAP, 65535, 0, &sh, "ok",
			   "1 MB Certificate message: one 1 MB certificate of junk");
	}
	cw_buf_free(&junk);

	/* records of length 0 before each side's first flight */
	cw_buf_init(&pre_c);
	cw_buf_init(&pre_s);
	cw_tls_record_raw(&pre_c, CW_TLS_HANDSHAKE, CW_TLS10, 0, NULL, 0);
	cw_tls_record_raw(&pre_s, CW_TLS_HANDSHAKE, CW_TLS12, 0, NULL, 0);
	cw_tls_record_raw(&pre_s, CW_TLS_APPDATA, CW_TLS12, 0, NULL, 0);
	{
		struct tls_shape sh = { chain, 2, 400, 0, &pre_c, &pre_s };
		story_file("tls-rec-len0.pcap", CW_PCAP, 65535, 0, &sh, "ok", "TLS records of length 0");
	}
	/* oversized records: the server flight (the chain repeated to 40 KB)
	 * in records of 2^14+1 and 2^14+2049 bytes, above what TLS allows */
	{
		struct tls_shape sh = { many, 100, 1460, 16385, NULL, NULL };
		story_file("tls-rec-16385.pcap", CW_PCAP, 65535, 0, &sh, "ok", "TLS records of 2^14+1 bytes");
		sh.maxfrag = 16384 + 2049;
		story_file("tls-rec-18433.pcap", CW_PCAP, 65535, 0, &sh, "ok", "TLS records of 2^14+2049 bytes");
	}
	/* a record header claiming 65535 bytes, then the connection ends */
	cw_buf_reset(&pre_s);
	cw_tls_record_raw(&pre_s, CW_TLS_HANDSHAKE, CW_TLS12, 0xffff, (const uint8_t *)"\x0b\x00\xff\xff", 4);
	{
		struct tls_shape sh = { chain, 2, 400, 0, NULL, &pre_s };
		story_file("tls-rec-65535.pcap", CW_PCAP, 65535, 0, &sh, "ok",
			   "a TLS record claiming 65535 bytes swallowing the flight");
	}
	cw_buf_free(&pre_c);
	cw_buf_free(&pre_s);
	free(many);
}

/* ------------------------------------------------------------ 1000 interfaces */

/* A pcapng with 1000 interfaces of mixed link types and time resolutions
 * (written by hand: capwriter stops at 16), the sign-in on interface 997
 * and a junk frame on every other interface. */
static void thousand_interfaces(const struct cw_buf *pcap)
{
	static const uint16_t lts[] = { 1, 0, 101, 276, 113, 228, 229, 105, 147, 9, 65535, 1 };
	static const uint8_t res[] = { 6, 9, 0x80 | 20, 3, 0, 0x80 | 30 };
	size_t off[4096];
	size_t n = pcap_records(pcap, off, 4096);
	struct cw_rng r = { 1000 };
	struct cw_buf b;

	cw_buf_init(&b);
	put_le32(&b, 0x0A0D0D0A);
	put_le32(&b, 28);
	put_le32(&b, 0x1A2B3C4D);
	put_le16(&b, 1);
	put_le16(&b, 0);
	put_le32(&b, 0xffffffff);
	put_le32(&b, 0xffffffff);
	put_le32(&b, 28);
	for (int i = 0; i < 1000; i++) {
		/* interface 997 is the sign-in's: Ethernet, µs */
		uint16_t lt = i == 997 ? 1 : lts[i % (sizeof lts / sizeof *lts)];
		uint8_t tr = i == 997 ? 6 : res[i % (sizeof res / sizeof *res)];

		put_le32(&b, 1);
		put_le32(&b, 32);
		put_le16(&b, lt);
		put_le16(&b, 0);
		put_le32(&b, i % 7 == 3 ? 64 : 262144);
		put_le16(&b, 9); /* if_tsresol */
		put_le16(&b, 1);
		cw_put_u8(&b, tr);
		cw_put_zero(&b, 3);
		put_le32(&b, 0); /* opt_endofopt */
		put_le32(&b, 32);
	}
	for (size_t i = 0, j = 0; i < n || j < 1000; i++, j++) {
		if (j < 1000 && j != 997) {
			uint8_t frame[60];
			for (size_t k = 0; k < sizeof frame; k++)
				frame[k] = (uint8_t)cw_rng_next(&r);
			if (j % 2)
				frame[0] = 0x45; /* looks like IPv4 on raw links */
			put_le32(&b, 6);
			put_le32(&b, 32 + 60);
			put_le32(&b, (uint32_t)j);
			put_le32(&b, (uint32_t)cw_rng_next(&r));
			put_le32(&b, (uint32_t)cw_rng_next(&r));
			put_le32(&b, 60);
			put_le32(&b, 60);
			cw_put(&b, frame, 60);
			put_le32(&b, 32 + 60);
		}
		if (i < n) {
			const uint8_t *rec = pcap->p + off[i];
			uint32_t caplen = le32(rec + 8), pad = (4 - caplen % 4) % 4;
			uint64_t us = (uint64_t)le32(rec) * 1000000u + le32(rec + 4);

			put_le32(&b, 6);
			put_le32(&b, 32 + caplen + pad);
			put_le32(&b, 997);
			put_le32(&b, (uint32_t)(us >> 32));
			put_le32(&b, (uint32_t)us);
			put_le32(&b, caplen);
			put_le32(&b, le32(rec + 12));
			cw_put(&b, rec + 16, caplen);
			cw_put_zero(&b, pad);
			put_le32(&b, 32 + caplen + pad);
		}
	}
	write_bytes("pcapng-1000-interfaces.pcapng", b.p, b.len, "ok",
		    "1000 interfaces of mixed link types and time resolutions");
	cw_buf_free(&b);
}

/* ------------------------------------------------------------ time and order */

/* pcapng blocks in either byte order, for sections written by hand. */
static void put32e(struct cw_buf *b, uint32_t v, int be)
{
	if (be)
		cw_put_be32(b, v);
	else
		put_le32(b, v);
}

static void put16e(struct cw_buf *b, uint16_t v, int be)
{
	if (be)
		cw_put_be16(b, v);
	else
		put_le16(b, v);
}

static void png_shb(struct cw_buf *b, int be)
{
	put32e(b, 0x0A0D0D0A, be);
	put32e(b, 28, be);
	put32e(b, 0x1A2B3C4D, be);
	put16e(b, 1, be);
	put16e(b, 0, be);
	put32e(b, 0xffffffff, be);
	put32e(b, 0xffffffff, be);
	put32e(b, 28, be);
}

/* An IDB with if_tsresol and, when tsoff is nonzero, if_tsoffset. */
static void png_idb(struct cw_buf *b, int be, uint16_t lt, uint8_t tsresol, uint64_t tsoff)
{
	uint32_t len = 32 + (tsoff ? 12 : 0);

	put32e(b, 1, be);
	put32e(b, len, be);
	put16e(b, lt, be);
	put16e(b, 0, be);
	put32e(b, 262144, be);
	put16e(b, 9, be);
	put16e(b, 1, be);
	cw_put_u8(b, tsresol);
	cw_put_zero(b, 3);
	if (tsoff) {
		put16e(b, 14, be);
		put16e(b, 8, be);
		put32e(b, be ? (uint32_t)(tsoff >> 32) : (uint32_t)tsoff, be);
		put32e(b, be ? (uint32_t)tsoff : (uint32_t)(tsoff >> 32), be);
	}
	put32e(b, 0, be);
	put32e(b, len, be);
}

static void png_epb(struct cw_buf *b, int be, uint32_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen,
		    uint32_t origlen)
{
	uint32_t pad = (4 - caplen % 4) % 4, len = 32 + caplen + pad;

	put32e(b, 6, be);
	put32e(b, len, be);
	put32e(b, ifid, be);
	put32e(b, (uint32_t)(ts >> 32), be);
	put32e(b, (uint32_t)ts, be);
	put32e(b, caplen, be);
	put32e(b, origlen, be);
	cw_put(b, data, caplen);
	cw_put_zero(b, pad);
	put32e(b, len, be);
}

/* Timestamps at and past every limit: the reader saturates them, and
 * everything downstream that subtracts or adds times must cope with
 * INT64_MIN/INT64_MAX, with time running backwards, and with huge jumps. */
static void time_chaos(const struct cw_buf *pcap)
{
	size_t off[4096];
	size_t n = pcap_records(pcap, off, 4096);
	struct cw_rng r = { 0x7153 };
	struct cw_buf b;
	char name[64];
	static const struct {
		const char *name;
		uint8_t tsresol;
		uint64_t tsoff;
		int mode; /* 0 huge descending, 1 base, 2 random, 3 alternating 0 / max */
	} cases[] = {
		{ "bin0-max-desc", 0x80, 0, 0 }, /* 2^0 s: seconds up to 2^64 */
		{ "dec0-offset-max", 0, 0x7fffffffffffffffull, 1 },
		{ "offset-min", 6, 0x8000000000000000ull, 1 },
		{ "dec127", 127, 0, 2 },
		{ "bin127", 0xff, 0, 2 },
		{ "ns-zero-max", 9, 0, 3 },
	};

	cw_buf_init(&b);
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		cw_buf_reset(&b);
		png_shb(&b, 0);
		png_idb(&b, 0, 1, cases[k].tsresol, cases[k].tsoff);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *rec = pcap->p + off[i];
			uint64_t us = (uint64_t)le32(rec) * 1000000u + le32(rec + 4), ts;

			switch (cases[k].mode) {
			case 0: ts = ~(uint64_t)0 - i * 1000; break;
			case 1: ts = us; break;
			case 2: ts = cw_rng_next(&r); break;
			default: ts = i % 2 ? ~(uint64_t)0 : 0; break;
			}
			png_epb(&b, 0, 0, ts, rec + 16, le32(rec + 8), le32(rec + 12));
		}
		snprintf(name, sizeof name, "time-%s.pcapng", cases[k].name);
		write_bytes(name, b.p, b.len, "ok", "timestamps at the limits, backwards, jumping");
	}

	/* classic pcap: seconds 0xffffffff, µs fields past a second, time
	 * running backwards, zero */
	cw_buf_reset(&b);
	cw_put(&b, pcap->p, 24);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *rec = pcap->p + off[i];
		uint32_t caplen = le32(rec + 8);
		static const uint32_t secs[] = { 0xffffffff, 0, 0x7fffffff, 0x80000000u, 1768471200u };

		put_le32(&b, secs[i % 5] - (uint32_t)i);
		put_le32(&b, i % 3 ? 0xffffffff : 999999);
		cw_put(&b, rec + 8, 8 + caplen);
	}
	write_bytes("time-chaos.pcap", b.p, b.len, "ok", "pcap timestamps at the limits, backwards");
	cw_buf_free(&b);
}

/* A second section in big-endian byte order (as a capture concatenated
 * from another machine), with the sign-in again, then a third section
 * little-endian again whose interface ids restart at 0. */
static void sections(const struct cw_buf *pcap, const struct cw_buf *png)
{
	size_t off[4096];
	size_t n = pcap_records(pcap, off, 4096);
	struct cw_buf b;

	cw_buf_init(&b);
	cw_put(&b, png->p, png->len);
	for (int be = 1; be >= 0; be--) {
		png_shb(&b, be);
		png_idb(&b, be, 113, 6, 0); /* SLL: frames on it are junk */
		png_idb(&b, be, 1, 9, 0);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *rec = pcap->p + off[i];
			uint64_t ns = ((uint64_t)le32(rec) * 1000000u + le32(rec + 4) + 60000000u) * 1000u;

			png_epb(&b, be, 1, ns + (be ? 0 : 60000000000ull), rec + 16, le32(rec + 8), le32(rec + 12));
		}
	}
	write_bytes("pcapng-sections-be.pcapng", b.p, b.len, "ok",
		    "three sections, the second big-endian; interface ids restart per section");
	cw_buf_free(&b);
}

/* ------------------------------------------------------------ IP / TCP floods */

/* 50k IPv4 first fragments that never complete (distinct ids and sources),
 * then fragments overlapping each other and one reaching past 65535 bytes;
 * then the sign-in, which must still be found. */
static void fragment_flood(void)
{
	const char *name = "frags-50k.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535, 0);
	struct cw_link l = eth();
	struct cw_net n;
	struct client c;
	struct cw_buf ip, udp;
	uint8_t payload[64];
	struct cw_addr dst = cw_ip4(10, 9, 0, 101);
	int rc = 0;

	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 10000;
	cw_buf_init(&ip);
	cw_buf_init(&udp);
	memset(payload, 0x5a, sizeof payload);
	for (uint32_t i = 0; i < 50000; i++) {
		struct cw_addr src = cw_ip4(10, 53, (uint8_t)(i >> 8), (uint8_t)i);

		cw_buf_reset(&ip);
		cw_ipv4(&ip, &src, &dst, 17, (uint16_t)i, 64, 0, 1, 0, payload, sizeof payload);
		rc |= cw_send_raw_ip(&n, 4, ip.p, ip.len);
	}
	/* one datagram: overlapping pieces, and a last fragment at offset
	 * 8191*8 (ending past the 65535-byte IPv4 limit) */
	{
		struct cw_addr src = cw_ip4(10, 9, 0, 53);
		static const uint16_t offs[] = { 0, 4, 2, 6, 1, 8191, 8190 };
		for (size_t k = 0; k < sizeof offs / sizeof *offs; k++) {
			cw_buf_reset(&ip);
			cw_ipv4(&ip, &src, &dst, 17, 0xbeef, 64, offs[k], offs[k] != 8191, 0, payload, sizeof payload);
			rc |= cw_send_raw_ip(&n, 4, ip.p, ip.len);
		}
	}
	/* an IPv6 fragment train of 2000 pieces of 8 bytes for one datagram */
	{
		struct cw_addr s6 = cw_ip6_doc(1, 53), d6 = cw_ip6_doc(1, 101);
		for (uint16_t k = 0; k < 2000; k++) {
			cw_buf_reset(&ip);
			cw_ipv6_frag(&ip, &s6, &d6, 17, 0x1234, k, k != 1999, payload, 8);
			rc |= cw_send_raw_ip(&n, 6, ip.p, ip.len);
		}
	}
	client_init(&c, &n, 11);
	rc |= signin(&c, &BASE_TLS);
	cw_buf_free(&ip);
	cw_buf_free(&udp);
	close_out(name, f, &n, rc, "ok", "50k unfinished IPv4 fragments, overlaps, a fragment past 64 KB, 2000 IPv6 fragments");
}

/* The server sends 12000 segments of 1400 bytes with every other one
 * missing (16 MB that can never be delivered in order), then a segment
 * from far before the window, then the sign-in on another connection. */
static void tcp_holes(void)
{
	const char *name = "tcp-holes.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535, 0);
	struct cw_link l = eth();
	struct cw_net n;
	struct client c;
	struct cw_tcp t;
	static uint8_t data[1400];
	int rc = 0;

	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 10000;
	client_init(&c, &n, 13);
	memset(data, 0x16, sizeof data);
	cw_tcp_init(&t, &n, &c.me, 40000, &c.pool, 5061, 0xfffff000u, 0xffffff00u, 1400);
	rc |= cw_tcp_handshake(&t);
	for (uint32_t k = 0; k < 24000; k += 2)
		rc |= cw_tcp_emit(&t, 1, t.seq[1] + 1400 * (k + 1), CW_TCP_ACK | CW_TCP_PSH, data, sizeof data);
	rc |= cw_tcp_emit(&t, 1, t.seq[1] - 0x40000000u, CW_TCP_ACK | CW_TCP_PSH, data, sizeof data);
	rc |= signin(&c, &BASE_TLS);
	close_out(name, f, &n, rc, "ok", "a connection with 12000 holes (16 MB out of order)");
}

/* ------------------------------------------------------------ names */

/* Terminal control sequences, quotes and SQL in every name a report or the
 * database shows: the domain (from the SRV name), the SRV target, the SNI,
 * the certificate's CN and 300 SANs. Reports must escape them, the store
 * must keep them as data. */
#define EVIL_D "evil\x1b[2J\x07'; DROP TABLE captures;--.test"
static void evil_names(void)
{
	const char *name = "evil-names.pcap";
	const char *target = "pool\r\n\x1b]0;pwned\x07." EVIL_D;
	char *sans[301];
	struct cw_buf ders[2];
	struct cw_file *f;
	struct cw_link l = eth();
	struct cw_net n;
	struct client c;
	struct cw_dns r;
	int rc = 0;

	for (int i = 0; i < 300; i++) {
		sans[i] = malloc(64);
		if (!sans[i])
			abort();
		snprintf(sans[i], 64, "san-%03d-\x1b[5m\x7f\xff\xfe.%s", i, i % 2 ? "evil.test" : "pool.evil.test");
	}
	sans[300] = (char *)target;
	{
		struct cw_cert_spec leaf = { seed_leaf, "\x1b[31mred\x1b[0m\r\nCN=forged", (const char *const *)sans, 301,
					     seed_ca, "mangle CA", 0x7002, NOT_BEFORE, NOT_AFTER, 0 };
		cw_buf_init(&ders[0]);
		if (cw_cert_make(&leaf, &ders[0]) < 0) {
			fprintf(stderr, "mangle: %s: cannot make the certificate\n", name);
			failed = 1;
		}
	}
	ders[1] = chain[1];
	for (int i = 0; i < 300; i++)
		free(sans[i]);
	if (failed)
		return;
	f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535, 0);
	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 2000000;
	client_init(&c, &n, 17);
	{
		uint16_t sport = c.port++;
		uint16_t id = dns_query(&c, "_sipinternaltls._tcp." EVIL_D, CW_DNS_SRV, sport, &rc);

		cw_dns_init(&r, id, CW_DNS_RESPONSE | 0x0400);
		cw_dns_question(&r, "_sipinternaltls._tcp." EVIL_D, CW_DNS_SRV);
		cw_dns_section(&r, 1);
		cw_dns_srv(&r, "_sipinternaltls._tcp." EVIL_D, 300, 0, 0, 5061, target);
		cw_dns_section(&r, 3);
		cw_dns_a(&r, target, 300, &c.pool);
		cw_dns_finish(&r);
		rc |= cw_send_udp(&n, &c.dns, 53, &c.me, sport, r.b.p, r.b.len);
		cw_dns_free(&r);
	}
	{
		/* tls_session's SNI is fixed; this one names the evil target */
		struct cw_tcp t;
		struct cw_buf hs, rec;

		cw_buf_init(&hs);
		cw_buf_init(&rec);
		cw_tcp_init(&t, &n, &c.me, c.port++, &c.pool, 5061, 7, 9, 1460);
		rc |= cw_tcp_handshake(&t);
		cw_tls_client_hello(&hs, CW_TLS12, NULL, target, NULL, 0);
		cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS10, hs.p, hs.len, 0);
		rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
		cw_buf_reset(&hs);
		cw_buf_reset(&rec);
		cw_tls_server_hello(&hs, CW_TLS12, 0xc02f, NULL);
		cw_tls_certificate(&hs, ders, 2);
		cw_tls_server_hello_done(&hs);
		cw_tls_records(&rec, CW_TLS_HANDSHAKE, CW_TLS12, hs.p, hs.len, 0);
		rc |= cw_tcp_send(&t, 1, rec.p, rec.len);
		cw_buf_reset(&rec);
		cw_tls_alert(&rec, CW_TLS12, 2, 42);
		rc |= cw_tcp_send(&t, 0, rec.p, rec.len);
		rc |= cw_tcp_fin(&t, 0);
		rc |= cw_tcp_fin(&t, 1);
		cw_buf_free(&hs);
		cw_buf_free(&rec);
	}
	cw_buf_free(&ders[0]);
	close_out(name, f, &n, rc, "ok", "control sequences, quotes and SQL in the domain, SRV target, SNI, CN and SANs");
}

/* 5000 clients each start an attempt (an SRV query answered NXDOMAIN) and
 * then go quiet, between them the good sign-in: thousands of attempts
 * open at once, all reported and stored. */
static void attempt_flood(void)
{
	const char *name = "attempts-5000.pcap";
	struct cw_file *f = open_out(name, CW_PCAP, CW_LT_ETHERNET, 65535, 0);
	struct cw_link l = eth();
	struct cw_net n;
	struct client c;
	int rc = 0;

	if (!f)
		return;
	cw_net_init(&n, f, 0, &l, T0_NS);
	n.step_ns = 100000;
	for (uint32_t i = 0; i < 5000; i++) {
		char q[96];
		struct cw_dns r;
		uint16_t id;

		client_init(&c, &n, 100 + i);
		c.me = cw_ip4(10, 20, (uint8_t)(i >> 8), (uint8_t)i);
		snprintf(q, sizeof q, "_sipinternaltls._tcp.c%u.flood.test", i);
		id = dns_query(&c, q, CW_DNS_SRV, 50000, &rc);
		cw_dns_init(&r, id, CW_DNS_NXDOMAIN);
		cw_dns_question(&r, q, CW_DNS_SRV);
		cw_dns_finish(&r);
		rc |= cw_send_udp(&n, &c.dns, 53, &c.me, 50000, r.b.p, r.b.len);
		cw_dns_free(&r);
		if (i == 2500) {
			client_init(&c, &n, 1);
			rc |= signin(&c, &BASE_TLS);
		}
	}
	close_out(name, f, &n, rc, "ok", "5000 clients each starting an attempt at once");
}

/* ------------------------------------------------------------ gzip */

static void gzip_damage(const struct cw_buf *gz, const struct cw_buf *pnggz)
{
	struct cw_buf b;

	write_bytes("gz-cut-half.pcap.gz", gz->p, gz->len / 2, "frame", "gzip stream cut in the middle");
	write_bytes("gz-cut-half.pcapng.gz", pnggz->p, pnggz->len / 2, "frame", "gzip stream cut in the middle");
	write_bytes("gz-cut-header.pcap.gz", gz->p, 10, "err", "only the gzip header");
	write_bytes("gz-no-trailer.pcap.gz", gz->p, gz->len - 8, "frame", "gzip stream without its CRC/size trailer");
	cw_buf_init(&b);
	cw_put(&b, gz->p, gz->len);
	b.p[b.len - 8] ^= 0xff; /* CRC-32 of the trailer */
	write_bytes("gz-bad-crc.pcap.gz", b.p, b.len, "frame", "gzip CRC mismatch");
	cw_buf_reset(&b);
	cw_put(&b, gz->p, gz->len / 3);
	for (size_t k = 0; k < 4096; k++)
		cw_put_u8(&b, (uint8_t)(k * 131));
	write_bytes("gz-garbage.pcap.gz", b.p, b.len, "frame", "gzip stream continuing with garbage");
	cw_buf_free(&b);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	char path[4096];
	struct cw_buf pcap, png, gz, pnggz;

	if (argc != 2) {
		fprintf(stderr, "usage: mangle OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	path_of(path, sizeof path, "MANIFEST");
	manifest = fopen(path, "w");
	if (!manifest) {
		fprintf(stderr, "mangle: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (make_chain() < 0) {
		fprintf(stderr, "mangle: cannot make certificates\n");
		return 1;
	}

	story_file("base.pcap", CW_PCAP, 65535, 0, &BASE_TLS, "ok", "the good sign-in");
	story_file("base.pcapng", CW_PCAPNG, 65535, 0, &BASE_TLS, "ok", "the good sign-in");
	story_file("base.pcap.gz", CW_PCAP, 65535, 1, &BASE_TLS, "ok", "the good sign-in, gzip");
	story_file("base.pcapng.gz", CW_PCAPNG, 65535, 1, &BASE_TLS, "ok", "the good sign-in, gzip");
	story_file("snap64.pcap", CW_PCAP, 64, 0, &BASE_TLS, "ok", "snaplen 64: every frame cut");
	story_file("snap64.pcapng", CW_PCAPNG, 64, 0, &BASE_TLS, "ok", "snaplen 64: every frame cut");
	if (failed)
		return 1;

	cw_buf_init(&pcap);
	cw_buf_init(&png);
	cw_buf_init(&gz);
	cw_buf_init(&pnggz);
	if (read_all("base.pcap", &pcap) || read_all("base.pcapng", &png) || read_all("base.pcap.gz", &gz) ||
	    read_all("base.pcapng.gz", &pnggz)) {
		fprintf(stderr, "mangle: cannot read back the base captures\n");
		return 1;
	}
	truncations(&pcap, &png);
	flips(&pcap, &png, &gz);
	bad_headers(&pcap, &png);
	zero_length(&pcap);
	gzip_damage(&gz, &pnggz);
	thousand_interfaces(&pcap);
	time_chaos(&pcap);
	sections(&pcap, &png);
	dns_bombs();
	tls_hostile();
	fragment_flood();
	tcp_holes();
	evil_names();
	attempt_flood();
	many_flows();

	cw_buf_free(&pcap);
	cw_buf_free(&png);
	cw_buf_free(&gz);
	cw_buf_free(&pnggz);
	cw_buf_free(&chain[0]);
	cw_buf_free(&chain[1]);
	if (fclose(manifest) != 0)
		failed = 1;
	return failed;
}
