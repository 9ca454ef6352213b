/*
 * test_tls.c - the TLS handshake decoder on hand-built handshakes, fed whole,
 * byte by byte and in odd splits, plus hostile lengths.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

/* A real certificate (EC P-256, CN and SAN sip.schertz.local, openssl req -x509). */
static const char cert_hex[] =
	"308201ab30820151a00302010202147450d728f0b01d4f18e433247393ae3dcf1b2f7b300a06082a8648ce3d04030230"
	"1c311a301806035504030c117369702e7363686572747a2e6c6f63616c301e170d3236313133303138333832345a170d"
	"3336313132373138333832345a301c311a301806035504030c117369702e7363686572747a2e6c6f63616c3059301306"
	"072a8648ce3d020106082a8648ce3d03010703420004a10dab50b836494ae56ff06052f418588119d766ab1f2d011e75"
	"a4dab19b6d2afe0d22ef1a4dc89f8fd298d3df7b6a383a5280e255efda23202ecf23f23dc8bda371306f301d0603551d"
	"0e041604146210fd7145a00649f97d1217c042ed6d2802695a301f0603551d230418301680146210fd7145a00649f97d"
	"1217c042ed6d2802695a300f0603551d130101ff040530030101ff301c0603551d110415301382117369702e73636865"
	"72747a2e6c6f63616c300a06082a8648ce3d04030203480030450220188536c065ac566e766ee5b82a7f7871060957b4"
	"41ba8b0e66c7c968f98678f0022100e6277c7e68e4f28b58000cf8de4df6823cf07203dee4183946009b09a7f1bbb1";

/* ------------------------------------------------------------ byte builder */

struct buf {
	uint8_t *b;
	size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->b = realloc(b->b, b->cap);
		if (!b->b)
			abort();
	}
	if (n)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void put8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	put(b, &x, 1);
}
static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}
static void put24(struct buf *b, unsigned v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}
static void putbuf(struct buf *b, const struct buf *o) { put(b, o->b, o->n); }
static void bfree(struct buf *b)
{
	free(b->b);
	memset(b, 0, sizeof *b);
}

/* type + 3-byte length + body */
static void hs(struct buf *out, unsigned type, const struct buf *body)
{
	put8(out, type);
	put24(out, (unsigned)body->n);
	putbuf(out, body);
}

/* record header + payload */
static void rec(struct buf *out, unsigned type, const void *p, size_t n)
{
	put8(out, type);
	put16(out, 0x0303);
	put16(out, (unsigned)n);
	put(out, p, n);
}

/* A ClientHello message (with its handshake header). versions: 0-terminated,
 * NULL for no supported_versions; alpn: NULL-terminated. */
static void client_hello(struct buf *out, const char *sni, const char *const *alpn, const uint16_t *versions,
			 unsigned ncipher)
{
	struct buf b = { 0 }, ext = { 0 }, e = { 0 };
	put16(&b, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(&b, i);
	put8(&b, 32);
	for (int i = 0; i < 32; i++)
		put8(&b, 0xee);
	put16(&b, ncipher * 2);
	for (unsigned i = 0; i < ncipher; i++)
		put16(&b, i == 0 ? 0x2a2a : 0xc02f); /* GREASE counts as a cipher on the wire */
	put8(&b, 1);
	put8(&b, 0);
	if (sni) {
		size_t l = strlen(sni);
		put16(&e, (unsigned)l + 3);
		put8(&e, 0);
		put16(&e, (unsigned)l);
		put(&e, sni, l);
		put16(&ext, 0);
		put16(&ext, (unsigned)e.n);
		putbuf(&ext, &e);
		e.n = 0;
	}
	if (alpn) {
		struct buf l = { 0 };
		for (const char *const *a = alpn; *a; a++) {
			put8(&l, (unsigned)strlen(*a));
			put(&l, *a, strlen(*a));
		}
		put16(&e, (unsigned)l.n);
		putbuf(&e, &l);
		bfree(&l);
		put16(&ext, 16);
		put16(&ext, (unsigned)e.n);
		putbuf(&ext, &e);
		e.n = 0;
	}
	if (versions) {
		size_t nv = 0;
		while (versions[nv])
			nv++;
		put8(&e, (unsigned)nv * 2);
		for (size_t i = 0; i < nv; i++)
			put16(&e, versions[i]);
		put16(&ext, 43);
		put16(&ext, (unsigned)e.n);
		putbuf(&ext, &e);
		e.n = 0;
	}
	/* an extension the decoder ignores */
	put16(&ext, 10);
	put16(&ext, 4);
	put16(&ext, 2);
	put16(&ext, 29);
	put16(&b, (unsigned)ext.n);
	putbuf(&b, &ext);
	hs(out, 1, &b);
	bfree(&b);
	bfree(&ext);
	bfree(&e);
}

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ServerHello message; selected 0 = no supported_versions extension. */
static void server_hello(struct buf *out, uint16_t legacy, uint16_t cipher, uint16_t selected, int hrr)
{
	struct buf b = { 0 };
	put16(&b, legacy);
	if (hrr)
		put(&b, hrr_random, 32);
	else
		for (int i = 0; i < 32; i++)
			put8(&b, 0x40 + i);
	put8(&b, 0);
	put16(&b, cipher);
	put8(&b, 0);
	if (selected) {
		put16(&b, 10); /* extensions: renegotiation_info (empty), supported_versions */
		put16(&b, 0xff01);
		put16(&b, 0);
		put16(&b, 43);
		put16(&b, 2);
		put16(&b, selected);
	}
	hs(out, 2, &b);
	bfree(&b);
}

/* Certificate message (TLS <= 1.2) holding the given DER blobs. */
static void certificate(struct buf *out, const struct buf *ders, size_t n)
{
	struct buf l = { 0 }, b = { 0 };
	for (size_t i = 0; i < n; i++) {
		put24(&l, (unsigned)ders[i].n);
		putbuf(&l, &ders[i]);
	}
	put24(&b, (unsigned)l.n);
	putbuf(&b, &l);
	hs(out, 11, &b);
	bfree(&l);
	bfree(&b);
}

static void empty_msg(struct buf *out, unsigned type)
{
	struct buf b = { 0 };
	hs(out, type, &b);
}

static void real_cert(struct buf *d)
{
	uint8_t tmp[1024];
	size_t n = sd_hex(cert_hex, tmp, sizeof tmp);
	memset(d, 0, sizeof *d);
	put(d, tmp, n);
}

/* ------------------------------------------------------------- event log */

enum { E_CH = 1, E_SH, E_CERT, E_ALERT, E_ENC, E_ERR };

struct ev {
	int kind;
	uint64_t ff, f;
	struct sd_tls_client_hello ch;
	struct sd_tls_server_hello sh;
	size_t n, total;
	uint32_t len[SD_TLS_MAX_CHAIN];
	uint8_t first[SD_TLS_MAX_CHAIN][4]; /* first bytes of each DER */
	int match_real;                      /* DER 0 equals the real certificate */
	uint8_t level, desc;
	int encrypted;
	uint16_t version;
	int status;
	char what[200];
};

static struct ev evs[64];
static size_t nev;
static struct buf realder;

static struct ev *next_ev(int kind, uint64_t ff, uint64_t f)
{
	static struct ev spill;
	struct ev *e = nev < 64 ? &evs[nev] : &spill;
	nev++;
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->ff = ff;
	e->f = f;
	return e;
}

static void on_ch(void *ud, const struct sd_tls_client_hello *h, uint64_t ff, uint64_t f, int64_t ts)
{
	(void)ud;
	(void)ts;
	next_ev(E_CH, ff, f)->ch = *h;
}
static void on_sh(void *ud, const struct sd_tls_server_hello *h, uint64_t ff, uint64_t f, int64_t ts)
{
	(void)ts;
	next_ev(E_SH, ff, f)->sh = *h;
	/* as the pipeline does: the other direction learns the version */
	if (ud && !h->hello_retry)
		sd_tls_set_version(ud, h->version);
}
static void on_cert(void *ud, const struct sd_tls_chain *c, uint64_t ff, uint64_t f, int64_t ts)
{
	(void)ud;
	(void)ts;
	struct ev *e = next_ev(E_CERT, ff, f);
	e->n = c->n;
	e->total = c->total;
	for (size_t i = 0; i < c->n; i++) {
		e->len[i] = c->c[i].len;
		memcpy(e->first[i], c->c[i].der, c->c[i].len < 4 ? c->c[i].len : 4);
	}
	e->match_real = c->n && c->c[0].len == realder.n && memcmp(c->c[0].der, realder.b, realder.n) == 0;
}
static void on_alert(void *ud, uint8_t level, uint8_t desc, int enc, uint64_t f, int64_t ts)
{
	(void)ud;
	(void)ts;
	struct ev *e = next_ev(E_ALERT, f, f);
	e->level = level;
	e->desc = desc;
	e->encrypted = enc;
}
static void on_enc(void *ud, uint16_t v, uint64_t f, int64_t ts)
{
	(void)ud;
	(void)ts;
	next_ev(E_ENC, f, f)->version = v;
}
static void on_err(void *ud, int status, const char *what, uint64_t f, int64_t ts)
{
	(void)ud;
	(void)ts;
	struct ev *e = next_ev(E_ERR, f, f);
	e->status = status;
	snprintf(e->what, sizeof e->what, "%s", what);
}

static struct sd_tls *mk(int is_server, void *ud)
{
	struct sd_tls_cb cb = { ud, on_ch, on_sh, on_cert, on_alert, on_enc, on_err };
	nev = 0;
	if (!realder.n)
		real_cert(&realder);
	return sd_tls_new(is_server, &cb);
}

/* Feeds in pieces of `step` bytes (0 = all at once), all with one frame. */
static int feed_steps(struct sd_tls *t, const struct buf *b, size_t step, uint64_t frame)
{
	int r = 0;
	if (!step)
		return sd_tls_feed(t, b->b, b->n, frame, 0);
	for (size_t i = 0; i < b->n; i += step) {
		size_t n = b->n - i < step ? b->n - i : step;
		r = sd_tls_feed(t, b->b + i, n, frame, 0);
	}
	return r;
}

static size_t count(int kind)
{
	size_t n = 0;
	for (size_t i = 0; i < nev && i < 64; i++)
		n += evs[i].kind == kind;
	return n;
}

/* ----------------------------------------------------------------- tests */

static void test_probe(void)
{
	static const uint8_t ch[] = { 0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00 };
	for (size_t n = 0; n < 6; n++)
		CU_ASSERT_EQUAL(sd_tls_probe(ch, n), -1);
	CU_ASSERT_EQUAL(sd_tls_probe(ch, 6), 1);
	CU_ASSERT_EQUAL(sd_tls_probe(ch, 8), 1);
	static const uint8_t sh[] = { 0x16, 0x03, 0x00, 0x00, 0x40, 0x02 };
	CU_ASSERT_EQUAL(sd_tls_probe(sh, 6), 1);
	static const uint8_t badver[] = { 0x16, 0x03, 0x05, 0x00, 0x40, 0x01 };
	CU_ASSERT_EQUAL(sd_tls_probe(badver, 6), 0);
	static const uint8_t badmaj[] = { 0x16, 0x02 };
	CU_ASSERT_EQUAL(sd_tls_probe(badmaj, 2), 0);
	static const uint8_t zero[] = { 0x16, 0x03, 0x01, 0x00, 0x00, 0x01 };
	CU_ASSERT_EQUAL(sd_tls_probe(zero, 6), 0);
	static const uint8_t huge[] = { 0x16, 0x03, 0x01, 0x48, 0x01, 0x01 }; /* 18433 */
	CU_ASSERT_EQUAL(sd_tls_probe(huge, 6), 0);
	static const uint8_t finished[] = { 0x16, 0x03, 0x03, 0x00, 0x28, 0x14 };
	CU_ASSERT_EQUAL(sd_tls_probe(finished, 6), 0);
	static const uint8_t appdata[] = { 0x17, 0x03, 0x03, 0x00, 0x28, 0x14 };
	CU_ASSERT_EQUAL(sd_tls_probe(appdata, 6), 0);
	/* SSLv2-framed ClientHello offering TLS 1.0 */
	static const uint8_t v2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00 };
	CU_ASSERT_EQUAL(sd_tls_probe(v2, 2), -1);
	CU_ASSERT_EQUAL(sd_tls_probe(v2, 5), 1);
	static const uint8_t v2srv[] = { 0x80, 0x2e, 0x04, 0x00, 0x02 };
	CU_ASSERT_EQUAL(sd_tls_probe(v2srv, 5), 0);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"CONN", 4), -1);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"CONNECT sip.example.com:443", 27), 1);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"HTTP/1.", 7), 1);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"HTTP/1.1 200", 12), 1);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"HTTP/2", 6), 0);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"GET / HTTP/1.1", 14), 0);
	CU_ASSERT_EQUAL(sd_tls_probe((const uint8_t *)"REGISTER sip:x", 14), 0);
}

static void check_ch(const struct ev *e)
{
	CU_ASSERT_EQUAL(e->kind, E_CH);
	CU_ASSERT_EQUAL(e->ch.legacy_version, 0x0303);
	CU_ASSERT_EQUAL(e->ch.ncipher, 5);
	CU_ASSERT_STRING_EQUAL(e->ch.sni, "sip.schertz.local");
	CU_ASSERT_STRING_EQUAL(e->ch.alpn, "h2,http/1.1");
	CU_ASSERT_EQUAL(e->ch.nversions, 3);
	CU_ASSERT_EQUAL(e->ch.versions[0], 0x0304);
	CU_ASSERT_EQUAL(e->ch.versions[1], 0x0303);
	CU_ASSERT_EQUAL(e->ch.versions[2], 0x0302);
}

static void test_client_hello_every_split(void)
{
	static const char *const alpn[] = { "h2", "http/1.1", NULL };
	static const uint16_t vers[] = { 0x3a3a, 0x0304, 0x0303, 0xfafa, 0x0302, 0 };
	struct buf m = { 0 }, r = { 0 };
	client_hello(&m, "sip.schertz.local", alpn, vers, 5);
	rec(&r, 22, m.b, m.n);
	/* whole, then byte by byte, then cut in two at every point */
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(feed_steps(t, &r, 0, 7), 0);
	CU_ASSERT_EQUAL(nev, 1);
	check_ch(&evs[0]);
	CU_ASSERT_EQUAL(evs[0].ff, 7);
	CU_ASSERT_EQUAL(sd_tls_pending(t), 0);
	sd_tls_free(t);

	t = mk(0, NULL);
	CU_ASSERT_EQUAL(feed_steps(t, &r, 1, 3), 0);
	CU_ASSERT_EQUAL(nev, 1);
	check_ch(&evs[0]);
	sd_tls_free(t);

	size_t bad = 0;
	for (size_t cut = 1; cut < r.n; cut++) {
		t = mk(0, NULL);
		sd_tls_feed(t, r.b, cut, 1, 0);
		if (nev != 0 || sd_tls_pending(t) != cut)
			bad++;
		sd_tls_feed(t, r.b + cut, r.n - cut, 2, 0);
		if (nev != 1 || evs[0].kind != E_CH || evs[0].ff != (cut <= 5 ? 2u : 1u) || evs[0].f != 2 ||
		    strcmp(evs[0].ch.sni, "sip.schertz.local") != 0 || evs[0].ch.nversions != 3)
			bad++;
		sd_tls_free(t);
	}
	CU_ASSERT_EQUAL(bad, 0);
	bfree(&m);
	bfree(&r);
}

/* A ClientHello split over three records, several feeds. */
static void test_client_hello_over_records(void)
{
	struct buf m = { 0 }, r = { 0 };
	client_hello(&m, "a.example", NULL, NULL, 2);
	rec(&r, 22, m.b, 3); /* header not even complete in the first record */
	rec(&r, 22, m.b + 3, 40);
	rec(&r, 22, m.b + 43, m.n - 43);
	struct sd_tls *t = mk(0, NULL);
	sd_tls_feed(t, r.b, 10, 100, 0);
	sd_tls_feed(t, r.b + 10, r.n - 10, 101, 0);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_CH);
	CU_ASSERT_EQUAL(evs[0].ff, 100);
	CU_ASSERT_EQUAL(evs[0].f, 101);
	CU_ASSERT_STRING_EQUAL(evs[0].ch.sni, "a.example");
	CU_ASSERT_STRING_EQUAL(evs[0].ch.alpn, "");
	CU_ASSERT_EQUAL(evs[0].ch.nversions, 0);
	CU_ASSERT_EQUAL(evs[0].ch.ncipher, 2);
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
}

static void test_server_hello_12_then_ccs(void)
{
	struct buf m = { 0 }, r = { 0 };
	server_hello(&m, 0x0303, 0xc030, 0, 0);
	empty_msg(&m, 14); /* ServerHelloDone in the same record */
	rec(&r, 22, m.b, m.n);
	static const uint8_t one = 1;
	rec(&r, 20, &one, 1);
	static const uint8_t fin[40] = { 0x14 };
	rec(&r, 22, fin, sizeof fin); /* encrypted Finished: not to be parsed */
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(feed_steps(t, &r, 1, 9), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_SH);
	CU_ASSERT_EQUAL(evs[0].sh.legacy_version, 0x0303);
	CU_ASSERT_EQUAL(evs[0].sh.version, 0x0303);
	CU_ASSERT_EQUAL(evs[0].sh.cipher, 0xc030);
	CU_ASSERT_EQUAL(evs[0].sh.hello_retry, 0);
	CU_ASSERT_EQUAL(evs[1].kind, E_ENC);
	CU_ASSERT_EQUAL(evs[1].version, 0x0303);
	/* more encrypted records: nothing new, still walking for alerts */
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + r.n - 45, 45, 10, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
}

static void test_server_hello_13_goes_dark(void)
{
	struct buf m = { 0 }, r = { 0 }, d = { 0 };
	server_hello(&m, 0x0303, 0x1301, 0x0304, 0);
	rec(&r, 22, m.b, m.n);
	static const uint8_t one = 1;
	rec(&r, 20, &one, 1);
	/* a record that would parse as a Certificate if decoded in the clear */
	real_cert(&d);
	struct buf cm = { 0 };
	certificate(&cm, &d, 1);
	rec(&r, 22, cm.b, cm.n);
	rec(&r, 23, cm.b, 30);
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 4, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_SH);
	CU_ASSERT_EQUAL(evs[0].sh.legacy_version, 0x0303);
	CU_ASSERT_EQUAL(evs[0].sh.version, 0x0304);
	CU_ASSERT_EQUAL(evs[1].kind, E_ENC);
	CU_ASSERT_EQUAL(evs[1].version, 0x0304);
	CU_ASSERT_EQUAL(evs[1].f, 4);
	CU_ASSERT_EQUAL(count(E_CERT), 0);
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
	bfree(&d);
	bfree(&cm);
}

/* HelloRetryRequest: both directions keep decoding hellos across the
 * dummy CCS of middlebox compatibility mode, then go dark. */
static void test_hello_retry_request(void)
{
	static const uint16_t vers[] = { 0x0304, 0x0303, 0 };
	static const uint8_t one = 1;
	struct buf m = { 0 }, c1 = { 0 }, s1 = { 0 }, c2 = { 0 }, s2 = { 0 };
	client_hello(&m, "hrr.example", NULL, vers, 3);
	rec(&c1, 22, m.b, m.n);
	m.n = 0;
	server_hello(&m, 0x0303, 0x1301, 0x0304, 1);
	rec(&s1, 22, m.b, m.n);
	rec(&s1, 20, &one, 1);
	m.n = 0;
	client_hello(&m, "hrr.example", NULL, vers, 3);
	rec(&c2, 20, &one, 1);
	rec(&c2, 22, m.b, m.n);
	m.n = 0;
	server_hello(&m, 0x0303, 0x1301, 0x0304, 0);
	rec(&s2, 22, m.b, m.n);
	rec(&s2, 20, &one, 1);

	struct sd_tls *cli = mk(0, NULL);
	struct sd_tls_cb cb = { cli, on_ch, on_sh, on_cert, on_alert, on_enc, on_err };
	struct sd_tls *srv = sd_tls_new(1, &cb);
	CU_ASSERT_EQUAL(sd_tls_feed(cli, c1.b, c1.n, 1, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(srv, s1.b, s1.n, 2, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(cli, c2.b, c2.n, 3, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(srv, s2.b, s2.n, 4, 0), 0);
	static const uint8_t appdata[53] = { 0 };
	struct buf a = { 0 };
	rec(&a, 23, appdata, sizeof appdata);
	CU_ASSERT_EQUAL(sd_tls_feed(cli, a.b, a.n, 5, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(cli, a.b, a.n, 6, 0), 0);
	int kinds[] = { E_CH, E_SH, E_CH, E_SH, E_ENC, E_ENC };
	uint64_t frames[] = { 1, 2, 3, 4, 4, 5 };
	CU_ASSERT_EQUAL(nev, 6);
	for (size_t i = 0; i < 6 && i < nev; i++) {
		CU_ASSERT_EQUAL(evs[i].kind, kinds[i]);
		CU_ASSERT_EQUAL(evs[i].f, frames[i]);
	}
	CU_ASSERT_EQUAL(evs[1].sh.hello_retry, 1);
	CU_ASSERT_EQUAL(evs[3].sh.hello_retry, 0);
	CU_ASSERT_EQUAL(evs[3].sh.version, 0x0304);
	CU_ASSERT_EQUAL(evs[5].version, 0x0304); /* the client learnt it from the server */
	sd_tls_free(cli);
	sd_tls_free(srv);
	bfree(&m);
	bfree(&c1);
	bfree(&s1);
	bfree(&c2);
	bfree(&s2);
	bfree(&a);
}

/* Certificate over 3 records and 5 feeds: frame_first is the frame with the
 * message's first byte, frame the one completing the record that holds its
 * last byte (Wireshark's frame for tls.handshake.type == 11). */
static void test_certificate_three_records_five_feeds(void)
{
	struct buf ders[2] = { { 0 }, { 0 } }, sh = { 0 }, cm = { 0 }, done = { 0 }, all = { 0 }, r = { 0 };
	real_cert(&ders[0]);
	for (int i = 0; i < 700; i++)
		put8(&ders[1], (unsigned)i * 7);
	server_hello(&sh, 0x0303, 0xc02f, 0, 0);
	certificate(&cm, ders, 2);
	empty_msg(&done, 14);
	putbuf(&all, &sh);
	putbuf(&all, &cm);
	putbuf(&all, &done);
	/* R1 = SH + 100 bytes of Certificate, R2 = 600 more, R3 = the rest + SHD */
	size_t r1 = sh.n + 100, r2 = 600, r3 = all.n - r1 - r2;
	rec(&r, 22, all.b, r1);
	rec(&r, 22, all.b + r1, r2);
	rec(&r, 22, all.b + r1 + r2, r3);
	size_t cert_start = 5 + sh.n;                        /* stream offset of its first byte */
	size_t cert_end = 5 + r1 + 5 + r2 + 5 + (cm.n - 100 - 600); /* one past its last */
	size_t cuts[6] = { 0, cert_start, cert_start + 200, cert_end - 10, cert_end, r.n };
	struct sd_tls *t = mk(1, NULL);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + cuts[i], cuts[i + 1] - cuts[i], 20 + (uint64_t)i, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_SH);
	CU_ASSERT_EQUAL(evs[0].ff, 20);
	CU_ASSERT_EQUAL(evs[0].f, 21); /* R1 completes in the second feed */
	CU_ASSERT_EQUAL(evs[1].kind, E_CERT);
	CU_ASSERT_EQUAL(evs[1].ff, 21);
	CU_ASSERT_EQUAL(evs[1].f, 24); /* message done at feed 23, its record at 24 */
	CU_ASSERT_EQUAL(evs[1].n, 2);
	CU_ASSERT_EQUAL(evs[1].total, 2);
	CU_ASSERT_EQUAL(evs[1].len[0], realder.n);
	CU_ASSERT_EQUAL(evs[1].len[1], 700);
	CU_ASSERT(evs[1].match_real);
	CU_ASSERT_EQUAL(evs[1].first[1][1], 7);
	CU_ASSERT_EQUAL(sd_tls_pending(t), 0);
	sd_tls_free(t);

	/* the same stream byte by byte: same result, one frame per byte */
	t = mk(1, NULL);
	for (size_t i = 0; i < r.n; i++)
		sd_tls_feed(t, r.b + i, 1, 1000 + i, 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[1].kind, E_CERT);
	CU_ASSERT_EQUAL(evs[1].ff, 1000 + cert_start);
	CU_ASSERT_EQUAL(evs[1].f, 1000 + r.n - 1);
	CU_ASSERT(evs[1].match_real);
	sd_tls_free(t);
	for (int i = 0; i < 2; i++)
		bfree(&ders[i]);
	bfree(&sh);
	bfree(&cm);
	bfree(&done);
	bfree(&all);
	bfree(&r);
}

static void test_several_messages_one_record(void)
{
	struct buf d = { 0 }, m = { 0 }, r = { 0 };
	real_cert(&d);
	server_hello(&m, 0x0301, 0x002f, 0, 0);
	certificate(&m, &d, 1);
	empty_msg(&m, 13); /* CertificateRequest (empty is enough here) */
	empty_msg(&m, 14);
	rec(&r, 22, m.b, m.n);
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 5, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_SH);
	CU_ASSERT_EQUAL(evs[0].sh.version, 0x0301);
	CU_ASSERT_EQUAL(evs[1].kind, E_CERT);
	CU_ASSERT_EQUAL(evs[1].ff, 5);
	CU_ASSERT_EQUAL(evs[1].f, 5);
	CU_ASSERT_EQUAL(evs[1].n, 1);
	CU_ASSERT(evs[1].match_real);
	sd_tls_free(t);
	bfree(&d);
	bfree(&m);
	bfree(&r);
}

static void test_long_chain_counts_all(void)
{
	struct buf d[20], m = { 0 }, r = { 0 };
	for (int i = 0; i < 20; i++) {
		memset(&d[i], 0, sizeof d[i]);
		put8(&d[i], 0x30);
		put8(&d[i], (unsigned)i);
	}
	certificate(&m, d, 20);
	rec(&r, 22, m.b, m.n);
	struct sd_tls *t = mk(1, NULL);
	sd_tls_feed(t, r.b, r.n, 1, 0);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].n, SD_TLS_MAX_CHAIN);
	CU_ASSERT_EQUAL(evs[0].total, 20);
	CU_ASSERT_EQUAL(evs[0].first[15][1], 15);
	sd_tls_free(t);
	for (int i = 0; i < 20; i++)
		bfree(&d[i]);
	bfree(&m);
	bfree(&r);
}

/* A client with no certificate answers CertificateRequest with an empty list. */
static void test_empty_client_certificate(void)
{
	struct buf m = { 0 }, r = { 0 };
	certificate(&m, NULL, 0);
	rec(&r, 22, m.b, m.n);
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 0);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_CERT);
	CU_ASSERT_EQUAL(evs[0].n, 0);
	CU_ASSERT_EQUAL(evs[0].total, 0);
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
}

static void test_client_ccs_then_encrypted_alert(void)
{
	struct buf m = { 0 }, r = { 0 };
	client_hello(&m, "x.example", NULL, NULL, 1);
	struct buf cke = { 0 }, kb = { 0 };
	put8(&kb, 65);
	for (int i = 0; i < 65; i++)
		put8(&kb, 4);
	hs(&cke, 16, &kb);
	rec(&r, 22, m.b, m.n);
	rec(&r, 22, cke.b, cke.n);
	static const uint8_t one = 1;
	rec(&r, 20, &one, 1);
	static const uint8_t fin[40] = { 0x99 };
	rec(&r, 22, fin, sizeof fin);
	size_t before_alert = r.n;
	rec(&r, 21, fin, 26); /* an encrypted alert: level and description hidden */
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, before_alert, 1, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + before_alert, r.n - before_alert, 2, 0), 1);
	CU_ASSERT_EQUAL(nev, 3);
	CU_ASSERT_EQUAL(evs[0].kind, E_CH);
	CU_ASSERT_EQUAL(evs[1].kind, E_ENC);
	CU_ASSERT_EQUAL(evs[1].f, 1);
	CU_ASSERT_EQUAL(evs[1].version, 0); /* the client direction was never told */
	CU_ASSERT_EQUAL(evs[2].kind, E_ALERT);
	CU_ASSERT_EQUAL(evs[2].encrypted, 1);
	CU_ASSERT_EQUAL(evs[2].level, 0);
	CU_ASSERT_EQUAL(evs[2].desc, 0);
	CU_ASSERT_EQUAL(evs[2].f, 2);
	/* closed: more bytes change nothing */
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 3, 0), 1);
	CU_ASSERT_EQUAL(nev, 3);
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
	bfree(&cke);
	bfree(&kb);
}

/* A client offering TLS 1.3 whose CCS is real: the server chose 1.2, or
 * (server side unseen) the client already sent its key exchange. */
static void test_offered13_but_12(void)
{
	static const uint16_t vers[] = { 0x0304, 0x0303, 0 };
	static const uint8_t one = 1, fin[40] = { 0x77 };
	struct buf m = { 0 }, r = { 0 }, kb = { 0 };
	client_hello(&m, "x.example", NULL, vers, 2);
	rec(&r, 22, m.b, m.n);
	size_t ch_len = r.n;
	rec(&r, 20, &one, 1);
	rec(&r, 22, fin, sizeof fin);
	/* told 1.2: the CCS right after the hello is real */
	struct sd_tls *t = mk(0, NULL);
	sd_tls_feed(t, r.b, ch_len, 1, 0);
	sd_tls_set_version(t, 0x0303);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + ch_len, r.n - ch_len, 2, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[1].kind, E_ENC);
	CU_ASSERT_EQUAL(evs[1].version, 0x0303);
	sd_tls_free(t);
	/* not told: still dark after a ClientKeyExchange, the Finished unparsed */
	put8(&kb, 1);
	put8(&kb, 4);
	m.n = r.n = 0;
	client_hello(&m, "x.example", NULL, vers, 2);
	hs(&m, 16, &kb);
	rec(&r, 22, m.b, m.n);
	rec(&r, 20, &one, 1);
	rec(&r, 22, fin, sizeof fin);
	t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_CH);
	CU_ASSERT_EQUAL(evs[1].kind, E_ENC);
	CU_ASSERT_EQUAL(count(E_ERR), 0);
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
	bfree(&kb);
}

static void test_plaintext_alerts(void)
{
	/* a warning does not end the decoding; the fatal one does */
	static const uint8_t warn[2] = { 1, 112 }, fatal[2] = { 2, 42 };
	struct buf r = { 0 };
	rec(&r, 21, warn, 2);
	rec(&r, 21, fatal, 2);
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, 7, 3, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + 7, r.n - 7, 4, 0), 1);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_ALERT);
	CU_ASSERT_EQUAL(evs[0].level, 1);
	CU_ASSERT_EQUAL(evs[0].desc, 112);
	CU_ASSERT_EQUAL(evs[0].encrypted, 0);
	CU_ASSERT_EQUAL(evs[0].f, 3);
	CU_ASSERT_EQUAL(evs[1].level, 2);
	CU_ASSERT_EQUAL(evs[1].desc, 42);
	CU_ASSERT_EQUAL(evs[1].f, 4);
	sd_tls_free(t);

	/* an odd-length alert record is malformed */
	r.n = 0;
	rec(&r, 21, warn, 1);
	t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "alert record length 1 is odd");
	sd_tls_free(t);

	/* TLS 1.3 client told the version: a type-21 record is still plaintext */
	r.n = 0;
	static const uint8_t illegal[2] = { 2, 47 };
	rec(&r, 21, illegal, 2);
	t = mk(0, NULL);
	sd_tls_set_version(t, 0x0304);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 8, 0), 1);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_ENC);
	CU_ASSERT_EQUAL(evs[0].version, 0x0304);
	CU_ASSERT_EQUAL(evs[1].kind, E_ALERT);
	CU_ASSERT_EQUAL(evs[1].encrypted, 0);
	CU_ASSERT_EQUAL(evs[1].desc, 47);
	sd_tls_free(t);
	bfree(&r);
}

static void test_appdata_before_ccs_is_encrypted(void)
{
	static const uint8_t data[30] = { 0 };
	struct buf r = { 0 };
	rec(&r, 23, data, 0); /* empty application data: legal, means nothing */
	rec(&r, 23, data, sizeof data);
	rec(&r, 23, data, sizeof data);
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(feed_steps(t, &r, 3, 6), 0);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ENC);
	sd_tls_free(t);
	bfree(&r);
}

static void test_sslv2_client_hello(void)
{
	/* SSLv2 framing, version TLS 1.0, 3 cipher specs, no session id, 16-byte challenge */
	struct buf r = { 0 }, b = { 0 };
	put8(&b, 1);
	put16(&b, 0x0301);
	put16(&b, 9);
	put16(&b, 0);
	put16(&b, 16);
	static const uint8_t specs[9] = { 0, 0, 0x2f, 0, 0, 0x35, 0x01, 0x00, 0x80 };
	put(&b, specs, 9);
	for (int i = 0; i < 16; i++)
		put8(&b, i);
	put8(&r, 0x80 | (unsigned)(b.n >> 8));
	put8(&r, (unsigned)(b.n & 0xff));
	putbuf(&r, &b);
	CU_ASSERT_EQUAL(sd_tls_probe(r.b, r.n), 1);
	static const uint8_t one = 1;
	rec(&r, 20, &one, 1);
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, 3, 1, 0), 0); /* header + message type */
	for (size_t i = 3; i < r.n; i++)
		CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + i, 1, 2, 0), 0);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_CH);
	CU_ASSERT_EQUAL(evs[0].ff, 1);
	CU_ASSERT_EQUAL(evs[0].f, 2);
	CU_ASSERT_EQUAL(evs[0].ch.legacy_version, 0x0301);
	CU_ASSERT_EQUAL(evs[0].ch.ncipher, 3);
	CU_ASSERT_STRING_EQUAL(evs[0].ch.sni, "");
	CU_ASSERT_EQUAL(evs[1].kind, E_ENC); /* then ordinary records */
	sd_tls_free(t);

	/* an SSL 2.0 server answer is reported unsupported */
	static const uint8_t v2sh[] = { 0x80, 0x06, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00 };
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, v2sh, sizeof v2sh, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_UNSUPPORTED);
	sd_tls_free(t);
	bfree(&r);
	bfree(&b);
}

static void test_connect_proxy_then_tls(void)
{
	static const char req[] = "CONNECT sip.schertz.local:443 HTTP/1.1\r\nHost: sip.schertz.local:443\r\n"
				  "Proxy-Connection: keep-alive\r\n\r\n";
	static const char rep[] = "HTTP/1.1 200 Connection established\r\nVia: proxy\r\n\r\n";
	static const char *const alpn[] = { "h2", "http/1.1", NULL };
	static const uint16_t vers[] = { 0x0304, 0x0303, 0x0302, 0 };
	struct buf c = { 0 }, s = { 0 }, m = { 0 };
	put(&c, req, strlen(req));
	client_hello(&m, "sip.schertz.local", alpn, vers, 5);
	rec(&c, 22, m.b, m.n);
	m.n = 0;
	put(&s, rep, strlen(rep));
	server_hello(&m, 0x0303, 0xc02f, 0, 0);
	rec(&s, 22, m.b, m.n);
	for (size_t step = 0; step < 3; step++) {
		struct sd_tls *cli = mk(0, NULL), *srv = mk(1, NULL);
		CU_ASSERT_EQUAL(feed_steps(cli, &c, step, 1), 0);
		CU_ASSERT_EQUAL(feed_steps(srv, &s, step, 2), 0);
		CU_ASSERT_EQUAL(nev, 2);
		check_ch(&evs[0]);
		CU_ASSERT_EQUAL(evs[1].kind, E_SH);
		CU_ASSERT_EQUAL(evs[1].sh.cipher, 0xc02f);
		sd_tls_free(cli);
		sd_tls_free(srv);
	}
	/* a refusing proxy: said so, and nothing after it is decoded */
	static const char no[] = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\n\r\n";
	struct sd_tls *srv = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(srv, (const uint8_t *)no, strlen(no), 3, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_UNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(evs[0].what,
			       "HTTP reply \"HTTP/1.1 407 Proxy Authentication Required\" instead of TLS: no tunnel");
	sd_tls_free(srv);
	/* an endless header block is bounded */
	struct buf big = { 0 };
	put(&big, "CONNECT a:443 HTTP/1.1\r\n", 24);
	for (int i = 0; i < 1000; i++)
		put(&big, "X-Pad: 0123456789\r\n", 19);
	struct sd_tls *cli = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(cli, big.b, big.n, 4, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_LIMIT);
	sd_tls_free(cli);
	bfree(&big);
	bfree(&c);
	bfree(&s);
	bfree(&m);
}

static void test_zero_length_records(void)
{
	struct buf r = { 0 }, m = { 0 };
	for (unsigned type = 20; type <= 24; type++)
		rec(&r, type, NULL, 0);
	client_hello(&m, "z.example", NULL, NULL, 1);
	rec(&r, 22, m.b, m.n);
	for (size_t step = 0; step < 2; step++) {
		struct sd_tls *t = mk(0, NULL);
		CU_ASSERT_EQUAL(feed_steps(t, &r, step, 1), 0);
		CU_ASSERT_EQUAL(nev, 1);
		CU_ASSERT_EQUAL(evs[0].kind, E_CH);
		CU_ASSERT_STRING_EQUAL(evs[0].ch.sni, "z.example");
		CU_ASSERT_EQUAL(sd_tls_pending(t), 0);
		sd_tls_free(t);
	}
	bfree(&r);
	bfree(&m);
}

static void test_record_length_limit(void)
{
	/* 2^14+2048 is the largest legal record: held, not an error */
	static const uint8_t ok[] = { 0x17, 0x03, 0x03, 0x48, 0x00 };
	static const uint8_t bad[] = { 0x16, 0x03, 0x03, 0x48, 0x01 };
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, ok, sizeof ok, 1, 0), 0);
	CU_ASSERT_EQUAL(nev, 0);
	sd_tls_free(t);
	t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, bad, 3, 1, 0), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(t, bad + 3, 2, 2, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_MALFORMED);
	CU_ASSERT_EQUAL(evs[0].f, 2);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "record length 18433 exceeds 2^14+2048");
	CU_ASSERT_EQUAL(sd_tls_feed(t, ok, sizeof ok, 3, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	sd_tls_free(t);

	/* not a record at all */
	static const uint8_t junk[] = { 0x47, 0x45, 0x54, 0x20, 0x2f };
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, junk, sizeof junk, 1, 0), 1);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "record type 71 unknown (version 0x4554, length 8239)");
	sd_tls_free(t);
	static const uint8_t badver[] = { 0x16, 0x04, 0x01, 0x00, 0x05 };
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, badver, sizeof badver, 1, 0), 1);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "record version 0x0401 is not SSL 3.0 .. TLS 1.3");
	sd_tls_free(t);
}

/* A message over 1 MiB stops with LIMIT as soon as its header says so;
 * exactly 1 MiB is decoded. */
static void test_message_size_limit(void)
{
	static const uint8_t big[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 11, 0x10, 0x00, 0x01 };
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, big, sizeof big, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_LIMIT);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "handshake message type 11 length 1048577 exceeds the 1048576-byte limit");
	sd_tls_free(t);

	struct buf d = { 0 }, m = { 0 }, r = { 0 };
	size_t dl = SD_TLS_MAX_MSG - 6;
	d.b = calloc(1, dl);
	d.n = d.cap = dl;
	d.b[0] = 0x30;
	certificate(&m, &d, 1);
	CU_ASSERT_EQUAL(m.n, 4 + (size_t)SD_TLS_MAX_MSG);
	for (size_t off = 0; off < m.n; off += 16384)
		rec(&r, 22, m.b + off, m.n - off < 16384 ? m.n - off : 16384);
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(feed_steps(t, &r, 1400, 1), 0);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_CERT);
	CU_ASSERT_EQUAL(evs[0].len[0], dl);
	CU_ASSERT_EQUAL(evs[0].first[0][0], 0x30);
	sd_tls_free(t);
	bfree(&d);
	bfree(&m);
	bfree(&r);
}

static void test_truncated_certificate_lengths(void)
{
	struct buf d = { 0 }, body = { 0 }, m = { 0 }, r = { 0 };
	real_cert(&d);
	/* list length says 2000, the message holds 3 + 3 + 431 */
	put24(&body, 2000);
	put24(&body, (unsigned)d.n);
	putbuf(&body, &d);
	hs(&m, 11, &body);
	rec(&r, 22, m.b, m.n);
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "certificate list length 2000 overruns message (437 bytes)");
	sd_tls_free(t);

	/* the second certificate's length runs past the list: the first is kept */
	body.n = m.n = r.n = 0;
	put24(&body, (unsigned)(3 + d.n + 3 + 10));
	put24(&body, (unsigned)d.n);
	putbuf(&body, &d);
	put24(&body, 500);
	put(&body, d.b, 10);
	hs(&m, 11, &body);
	rec(&r, 22, m.b, m.n);
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_CERT);
	CU_ASSERT_EQUAL(evs[0].n, 1);
	CU_ASSERT(evs[0].match_real);
	CU_ASSERT_EQUAL(evs[1].kind, E_ERR);
	CU_ASSERT_STRING_EQUAL(evs[1].what, "certificate 2 length 500 overruns list (13 bytes left)");
	sd_tls_free(t);

	/* a list that ends inside a certificate length field */
	body.n = m.n = r.n = 0;
	put24(&body, 2);
	put16(&body, 0);
	hs(&m, 11, &body);
	rec(&r, 22, m.b, m.n);
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "certificate 1 length 0 overruns list (2 bytes left)");
	sd_tls_free(t);
	bfree(&d);
	bfree(&body);
	bfree(&m);
	bfree(&r);
}

static void test_gap_mid_certificate_stops(void)
{
	struct buf d = { 0 }, m = { 0 }, r = { 0 };
	real_cert(&d);
	server_hello(&m, 0x0303, 0xc02f, 0, 0);
	rec(&r, 22, m.b, m.n);
	m.n = 0;
	certificate(&m, &d, 1);
	rec(&r, 22, m.b, m.n);
	size_t half = r.n - 200;
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, half, 1, 0), 0);
	CU_ASSERT(sd_tls_pending(t) > 0);
	sd_tls_gap(t, 100, 2, 0);
	CU_ASSERT_EQUAL(sd_tls_pending(t), 0);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b + half + 100, r.n - half - 100, 3, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_SH);
	CU_ASSERT_EQUAL(count(E_CERT), 0);
	CU_ASSERT_EQUAL(count(E_ERR), 0);
	sd_tls_free(t);
	bfree(&d);
	bfree(&m);
	bfree(&r);
}

/* A Certificate cut short by a ChangeCipherSpec can never complete. */
static void test_message_overruns_record(void)
{
	struct buf d = { 0 }, m = { 0 }, r = { 0 };
	real_cert(&d);
	certificate(&m, &d, 1);
	rec(&r, 22, m.b, 40);
	static const uint8_t one = 1;
	rec(&r, 20, &one, 1);
	struct sd_tls *t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_STRING_EQUAL(evs[0].what,
			       "handshake message type 11 length 437 overruns record (next record: change_cipher_spec)");
	sd_tls_free(t);
	bfree(&d);
	bfree(&m);
	bfree(&r);
}

static void test_malformed_hellos(void)
{
	/* SNI list claims more than the extension: the hello is still
	 * reported with what was read, then the error */
	struct buf b = { 0 }, m = { 0 }, r = { 0 };
	put16(&b, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(&b, 0);
	put8(&b, 0);
	put16(&b, 2);
	put16(&b, 0x002f);
	put8(&b, 1);
	put8(&b, 0);
	put16(&b, 14); /* extensions */
	put16(&b, 16); /* ALPN "h2" */
	put16(&b, 5);
	put16(&b, 3);
	put8(&b, 2);
	put(&b, "h2", 2);
	put16(&b, 0); /* server_name, 1 byte: list length cut */
	put16(&b, 1);
	put8(&b, 0);
	hs(&m, 1, &b);
	rec(&r, 22, m.b, m.n);
	struct sd_tls *t = mk(0, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].kind, E_CH);
	CU_ASSERT_STRING_EQUAL(evs[0].ch.alpn, "h2");
	CU_ASSERT_EQUAL(evs[1].kind, E_ERR);
	CU_ASSERT_STRING_EQUAL(evs[1].what, "ClientHello server_name extension malformed (1 bytes)");
	sd_tls_free(t);

	/* ServerHello shorter than its random */
	b.n = m.n = r.n = 0;
	put16(&b, 0x0303);
	put16(&b, 0);
	hs(&m, 2, &b);
	rec(&r, 22, m.b, m.n);
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].kind, E_ERR);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "ServerHello of 4 bytes malformed (session id 0)");
	sd_tls_free(t);

	/* supported_versions in a ServerHello must be one version */
	b.n = m.n = r.n = 0;
	put16(&b, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(&b, 1);
	put8(&b, 0);
	put16(&b, 0x1301);
	put8(&b, 0);
	put16(&b, 8);
	put16(&b, 43);
	put16(&b, 4);
	put16(&b, 0x0304);
	put16(&b, 0x0303);
	hs(&m, 2, &b);
	rec(&r, 22, m.b, m.n);
	t = mk(1, NULL);
	CU_ASSERT_EQUAL(sd_tls_feed(t, r.b, r.n, 1, 0), 1);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_STRING_EQUAL(evs[0].what, "ServerHello supported_versions length 4, not 2");
	sd_tls_free(t);
	bfree(&b);
	bfree(&m);
	bfree(&r);
}

/* SNI bytes that are not printable cannot hide or forge text. */
static void test_sni_sanitised(void)
{
	struct buf m = { 0 }, r = { 0 };
	client_hello(&m, "evil\001.example\177", NULL, NULL, 1);
	rec(&r, 22, m.b, m.n);
	struct sd_tls *t = mk(0, NULL);
	sd_tls_feed(t, r.b, r.n, 1, 0);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_STRING_EQUAL(evs[0].ch.sni, "evil?.example?");
	sd_tls_free(t);
	bfree(&m);
	bfree(&r);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(sd_tls_version_str(0x0300), "SSL 3.0");
	CU_ASSERT_STRING_EQUAL(sd_tls_version_str(0x0301), "TLS 1.0");
	CU_ASSERT_STRING_EQUAL(sd_tls_version_str(0x0303), "TLS 1.2");
	CU_ASSERT_STRING_EQUAL(sd_tls_version_str(0x0304), "TLS 1.3");
	CU_ASSERT_STRING_EQUAL(sd_tls_version_str(0x7f1c), "0x7f1c");
	/* the store reads versions back by name: every one survives the trip */
	for (unsigned v = 1; v <= 0xffff; v++)
		if (sd_tls_version_num(sd_tls_version_str((uint16_t)v)) != v) {
			CU_FAIL("sd_tls_version_num(sd_tls_version_str(v)) != v");
			break;
		}
	CU_ASSERT_EQUAL(sd_tls_version_num("TLS 1.3"), 0x0304);
	CU_ASSERT_EQUAL(sd_tls_version_num("0x 324"), 0);
	CU_ASSERT_EQUAL(sd_tls_version_num("0x03245"), 0);
	CU_ASSERT_EQUAL(sd_tls_version_num(""), 0);
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(0), "close_notify");
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(42), "bad_certificate");
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(48), "unknown_ca");
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(112), "unrecognized_name");
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(116), "certificate_required");
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(120), "no_application_protocol");
	CU_ASSERT_STRING_EQUAL(sd_tls_alert_str(200), "alert_200");
	/* every RFC 8446 / 5246 code has a name */
	static const uint8_t codes[] = { 0,  10, 20, 21, 22, 30, 40, 41, 42, 43, 44, 45, 46, 47, 48,  49,  50,  51,
					 60, 70, 71, 80, 86, 90, 100, 109, 110, 111, 112, 113, 114, 115, 116, 120 };
	size_t unnamed = 0;
	for (size_t i = 0; i < sizeof codes; i++)
		unnamed += strncmp(sd_tls_alert_str(codes[i]), "alert_", 6) == 0;
	CU_ASSERT_EQUAL(unnamed, 0);
}

static const struct sd_test tests[] = {
	SD_TEST(test_probe),
	SD_TEST(test_client_hello_every_split),
	SD_TEST(test_client_hello_over_records),
	SD_TEST(test_server_hello_12_then_ccs),
	SD_TEST(test_server_hello_13_goes_dark),
	SD_TEST(test_hello_retry_request),
	SD_TEST(test_certificate_three_records_five_feeds),
	SD_TEST(test_several_messages_one_record),
	SD_TEST(test_long_chain_counts_all),
	SD_TEST(test_empty_client_certificate),
	SD_TEST(test_client_ccs_then_encrypted_alert),
	SD_TEST(test_offered13_but_12),
	SD_TEST(test_plaintext_alerts),
	SD_TEST(test_appdata_before_ccs_is_encrypted),
	SD_TEST(test_sslv2_client_hello),
	SD_TEST(test_connect_proxy_then_tls),
	SD_TEST(test_zero_length_records),
	SD_TEST(test_record_length_limit),
	SD_TEST(test_message_size_limit),
	SD_TEST(test_truncated_certificate_lengths),
	SD_TEST(test_gap_mid_certificate_stops),
	SD_TEST(test_message_overruns_record),
	SD_TEST(test_malformed_hellos),
	SD_TEST(test_sni_sanitised),
	SD_TEST(test_names),
	{ 0 },
};

int main(void)
{
	int r = sd_run_tests("tls", tests);
	bfree(&realder);
	return r;
}
