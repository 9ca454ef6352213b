/*
 * test_dns.c - DNS message decoding (dns.c), DNS-over-TCP framing
 * (dns_tcp.c) and query/response pairing (dns_txn.c), on messages built
 * here byte by byte and on public captures.
 */
#include "testutil.h"
#include "dns.h"
#include "dns_txn.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- builder */

struct wb {
	uint8_t b[24576];
	size_t n;
};

static void u8(struct wb *w, unsigned v)
{
	CU_ASSERT_FATAL(w->n < sizeof w->b);
	w->b[w->n++] = (uint8_t)v;
}
static void u16(struct wb *w, unsigned v) { u8(w, v >> 8); u8(w, v & 0xff); }
static void u32(struct wb *w, uint32_t v) { u16(w, v >> 16); u16(w, v & 0xffff); }
static void raw(struct wb *w, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u8(w, ((const uint8_t *)p)[i]);
}
/* "a.b.c" as labels plus the root byte; "" is the root alone. */
static void name(struct wb *w, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		u8(w, (unsigned)n);
		raw(w, s, n);
		s += n + (dot ? 1 : 0);
	}
	u8(w, 0);
}
static void ptr(struct wb *w, unsigned off) { u16(w, 0xC000 | off); }
static void hdr(struct wb *w, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	w->n = 0;
	u16(w, id);
	u16(w, flags);
	u16(w, qd);
	u16(w, an);
	u16(w, ns);
	u16(w, ar);
}
/* Fixed RR fields after the owner name; returns where rdlen goes. */
static size_t rrhead(struct wb *w, unsigned type, unsigned cls, uint32_t ttl)
{
	u16(w, type);
	u16(w, cls);
	u32(w, ttl);
	size_t at = w->n;
	u16(w, 0);
	return at;
}
static void rdend(struct wb *w, size_t at)
{
	size_t len = w->n - at - 2;
	w->b[at] = (uint8_t)(len >> 8);
	w->b[at + 1] = (uint8_t)len;
}

static struct sd_dns_msg M; /* 17 KiB: not on the stack */

static int parse(const struct wb *w, int trunc) { return sd_dns_parse(w->b, w->n, trunc, &M); }

/* ---------------------------------------------------------------- messages */

static void test_query(void)
{
	struct wb w;
	hdr(&w, 0x1234, 0x0100, 1, 0, 0, 0);
	name(&w, "_sipinternaltls._tcp.contoso.com");
	u16(&w, SD_DNS_T_SRV);
	u16(&w, 1);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL(M.id, 0x1234);
	CU_ASSERT_EQUAL(M.qr, 0);
	CU_ASSERT_EQUAL(M.rd, 1);
	CU_ASSERT_EQUAL(M.opcode, 0);
	CU_ASSERT_EQUAL(M.qdcount, 1);
	CU_ASSERT_EQUAL(M.has_question, 1);
	CU_ASSERT_STRING_EQUAL(M.qname, "_sipinternaltls._tcp.contoso.com");
	CU_ASSERT_EQUAL(M.qtype, SD_DNS_T_SRV);
	CU_ASSERT_EQUAL(M.qclass, 1);
	CU_ASSERT_EQUAL(M.nrr, 0);
	CU_ASSERT_STRING_EQUAL(M.error, "");

	/* flags: QR AA TC RD RA AD CD, opcode 2, rcode NXDOMAIN */
	hdr(&w, 1, 0x8000 | 2 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | 3, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL(M.qr, 1);
	CU_ASSERT_EQUAL(M.opcode, 2);
	CU_ASSERT(M.aa && M.tc && M.rd && M.ra && M.ad && M.cd);
	CU_ASSERT_EQUAL(M.rcode, SD_DNS_RCODE_NXDOMAIN);
	CU_ASSERT_EQUAL(M.has_question, 0);
	CU_ASSERT_STRING_EQUAL(M.qname, "");

	/* two questions: the first is the one kept */
	hdr(&w, 2, 0, 2, 0, 0, 0);
	name(&w, "a.example");
	u16(&w, 1);
	u16(&w, 1);
	name(&w, "b.example");
	u16(&w, 28);
	u16(&w, 1);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_STRING_EQUAL(M.qname, "a.example");
	CU_ASSERT_EQUAL(M.qtype, 1);
}

/* Every record type dns.h decodes, in one response. */
static void test_all_types(void)
{
	struct wb w;
	size_t at;
	hdr(&w, 7, 0x8180, 1, 9, 1, 1);
	name(&w, "contoso.com"); /* offset 12 */
	u16(&w, SD_DNS_T_ANY);
	u16(&w, 1);
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_A, 1, 300);
	raw(&w, "\xc0\x00\x02\x07", 4);
	rdend(&w, at);
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_AAAA, 1, 301);
	raw(&w, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rdend(&w, at);
	name(&w, "sip.contoso.com");
	at = rrhead(&w, SD_DNS_T_CNAME, 1, 302);
	u8(&w, 6);
	raw(&w, "pool01", 6);
	ptr(&w, 12);
	rdend(&w, at);
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_NS, 1, 303);
	name(&w, "ns1.contoso.com");
	rdend(&w, at);
	name(&w, "7.2.0.192.in-addr.arpa");
	at = rrhead(&w, SD_DNS_T_PTR, 1, 304);
	name(&w, "host.contoso.com");
	rdend(&w, at);
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_MX, 1, 305);
	u16(&w, 10);
	name(&w, "mail.contoso.com");
	rdend(&w, at);
	name(&w, "_sip._tls.contoso.com");
	at = rrhead(&w, SD_DNS_T_SRV, 1, 306);
	u16(&w, 0);
	u16(&w, 5);
	u16(&w, 443);
	name(&w, "sip.contoso.com");
	rdend(&w, at);
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_TXT, 1, 307);
	u8(&w, 5);
	raw(&w, "v=one", 5);
	u8(&w, 0);
	u8(&w, 3);
	raw(&w, "a\\\x01", 3);
	rdend(&w, at);
	ptr(&w, 12);
	at = rrhead(&w, 99, 1, 308); /* SPF: not decoded, rdata skipped */
	raw(&w, "\x03xyz", 4);
	rdend(&w, at);
	/* authority: SOA */
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_SOA, 1, 309);
	name(&w, "ns1.contoso.com");
	name(&w, "hostmaster.contoso.com");
	u32(&w, 2024010101);
	u32(&w, 3600);
	u32(&w, 600);
	u32(&w, 86400);
	u32(&w, 60);
	rdend(&w, at);
	/* additional: OPT, udp 1232, ext rcode 0, version 0, DO set, one option */
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_OPT, 1232, 0x00008000);
	u16(&w, 10); /* cookie */
	u16(&w, 8);
	raw(&w, "\1\2\3\4\5\6\7\x08", 8);
	rdend(&w, at);

	CU_ASSERT_EQUAL_FATAL(parse(&w, 0), SD_OK);
	CU_ASSERT_STRING_EQUAL(M.error, "");
	CU_ASSERT_EQUAL_FATAL(M.nrr, 11);
	CU_ASSERT_EQUAL(M.rr_dropped, 0);
	char buf[64];
	const struct sd_dns_rr *r = M.rr;
	CU_ASSERT_EQUAL(r[0].type, SD_DNS_T_A);
	CU_ASSERT_EQUAL(r[0].section, SD_DNS_AN);
	CU_ASSERT_STRING_EQUAL(r[0].name, "contoso.com");
	CU_ASSERT_EQUAL(r[0].ttl, 300);
	CU_ASSERT_EQUAL(r[0].rdlen, 4);
	CU_ASSERT_STRING_EQUAL(sd_addr_str(&r[0].u.addr, buf, sizeof buf), "192.0.2.7");
	CU_ASSERT_STRING_EQUAL(sd_addr_str(&r[1].u.addr, buf, sizeof buf), "2001:db8::1");
	CU_ASSERT_EQUAL(r[1].u.addr.family, 6);
	CU_ASSERT_STRING_EQUAL(r[2].name, "sip.contoso.com");
	CU_ASSERT_STRING_EQUAL(r[2].u.target, "pool01.contoso.com");
	CU_ASSERT_STRING_EQUAL(r[3].u.target, "ns1.contoso.com");
	CU_ASSERT_STRING_EQUAL(r[4].name, "7.2.0.192.in-addr.arpa");
	CU_ASSERT_STRING_EQUAL(r[4].u.target, "host.contoso.com");
	CU_ASSERT_EQUAL(r[5].u.mx.preference, 10);
	CU_ASSERT_STRING_EQUAL(r[5].u.mx.exchange, "mail.contoso.com");
	CU_ASSERT_STRING_EQUAL(r[6].name, "_sip._tls.contoso.com");
	CU_ASSERT_EQUAL(r[6].u.srv.priority, 0);
	CU_ASSERT_EQUAL(r[6].u.srv.weight, 5);
	CU_ASSERT_EQUAL(r[6].u.srv.port, 443);
	CU_ASSERT_STRING_EQUAL(r[6].u.srv.target, "sip.contoso.com");
	/* TXT: strings joined by a space, empty string kept, '\' and controls escaped */
	CU_ASSERT_STRING_EQUAL(r[7].u.txt.text, "v=one  a\\\\\\001");
	CU_ASSERT_EQUAL(r[8].type, 99);
	CU_ASSERT_EQUAL(r[8].rdlen, 4);
	CU_ASSERT_EQUAL(r[9].section, SD_DNS_NS);
	CU_ASSERT_STRING_EQUAL(r[9].u.soa.mname, "ns1.contoso.com");
	CU_ASSERT_STRING_EQUAL(r[9].u.soa.rname, "hostmaster.contoso.com");
	CU_ASSERT_EQUAL(r[9].u.soa.serial, 2024010101);
	CU_ASSERT_EQUAL(r[9].u.soa.refresh, 3600);
	CU_ASSERT_EQUAL(r[9].u.soa.retry, 600);
	CU_ASSERT_EQUAL(r[9].u.soa.expire, 86400);
	CU_ASSERT_EQUAL(r[9].u.soa.minimum, 60);
	CU_ASSERT_EQUAL(r[10].section, SD_DNS_AR);
	CU_ASSERT_STRING_EQUAL(r[10].name, "");
	CU_ASSERT_EQUAL(r[10].u.opt.udp_size, 1232);
	CU_ASSERT_EQUAL(r[10].u.opt.ext_rcode, 0);
	CU_ASSERT_EQUAL(r[10].u.opt.version, 0);
	CU_ASSERT_EQUAL(r[10].u.opt.do_bit, 1);
	CU_ASSERT_EQUAL(M.rcode, 0);
}

static void test_srv_root_target(void)
{
	/* "no service here" (RFC 2782): target "." */
	struct wb w;
	hdr(&w, 9, 0x8180, 1, 1, 0, 0);
	name(&w, "_sip._tls.contoso.com");
	u16(&w, SD_DNS_T_SRV);
	u16(&w, 1);
	ptr(&w, 12);
	size_t at = rrhead(&w, SD_DNS_T_SRV, 1, 60);
	u16(&w, 0);
	u16(&w, 0);
	u16(&w, 0);
	u8(&w, 0);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL_FATAL(M.nrr, 1);
	CU_ASSERT_STRING_EQUAL(M.rr[0].name, "_sip._tls.contoso.com");
	CU_ASSERT_STRING_EQUAL(M.rr[0].u.srv.target, "");
	CU_ASSERT_EQUAL(M.rr[0].u.srv.port, 0);
}

static void test_opt_extended_rcode(void)
{
	struct wb w;
	size_t at;
	/* header rcode 0 + OPT ext 1 = 16 (BADVERS); an OPT in the answer
	 * section is not the message's OPT and changes nothing */
	hdr(&w, 3, 0x8000, 0, 1, 0, 2);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_OPT, 512, 0x05000000);
	rdend(&w, at);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_OPT, 4096, 0x01010000);
	rdend(&w, at);
	u8(&w, 0); /* a second OPT in additional: only the first counts */
	at = rrhead(&w, SD_DNS_T_OPT, 4096, 0x02000000);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL(M.rcode, 16);
	CU_ASSERT_STRING_EQUAL(sd_dns_rcode_str(M.rcode), "BADVERS");
	CU_ASSERT_EQUAL(M.rr[1].u.opt.ext_rcode, 1);
	CU_ASSERT_EQUAL(M.rr[1].u.opt.version, 1);
	CU_ASSERT_EQUAL(M.rr[1].u.opt.udp_size, 4096);
	CU_ASSERT_EQUAL(M.rr[1].u.opt.do_bit, 0);

	/* the low 4 bits still come from the header: NXDOMAIN | ext 1 << 4 = 19 */
	hdr(&w, 3, 0x8003, 0, 0, 0, 1);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_OPT, 4096, 0x01000000);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL(M.rcode, 19);

	/* an option that runs past rdlen */
	hdr(&w, 3, 0x8000, 0, 0, 0, 1);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_OPT, 4096, 0);
	u16(&w, 10);
	u16(&w, 9);
	raw(&w, "12345678", 8);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "additional 1 rdata: OPT option runs past rdlen");
	CU_ASSERT_EQUAL(M.nrr, 0);
}

static void test_escaping(void)
{
	struct wb w;
	hdr(&w, 4, 0, 1, 0, 0, 0);
	u8(&w, 7);
	raw(&w, "a.b\\c\0 ", 7);
	u8(&w, 3);
	raw(&w, "\x7f\xff~", 3);
	u8(&w, 0);
	u16(&w, 1);
	u16(&w, 1);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	/* "a.b" in one label must not read as two labels */
	CU_ASSERT_STRING_EQUAL(M.qname, "a\\.b\\\\c\\000\\032.\\127\\255~");

	/* TXT: quote and space stay, DEL and high bytes escaped */
	hdr(&w, 4, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	size_t at = rrhead(&w, SD_DNS_T_TXT, 1, 0);
	u8(&w, 5);
	raw(&w, "\"x y\x7f", 5);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_STRING_EQUAL(M.rr[0].u.txt.text, "\"x y\\127");

	/* TXT string longer than the rdata */
	hdr(&w, 4, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_TXT, 1, 0);
	u8(&w, 9);
	raw(&w, "abc", 3);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: TXT string runs past rdlen");
}

static void test_compression(void)
{
	struct wb w;
	size_t at;
	/* backward pointer, with a label in front of it */
	hdr(&w, 5, 0x8000, 1, 1, 0, 0);
	name(&w, "contoso.com");
	u16(&w, 1);
	u16(&w, 1);
	u8(&w, 3);
	raw(&w, "sip", 3);
	ptr(&w, 12);
	at = rrhead(&w, 1, 1, 0);
	raw(&w, "\1\2\3\4", 4);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_STRING_EQUAL(M.rr[0].name, "sip.contoso.com");

	/* forward pointer: the question name points past itself */
	hdr(&w, 5, 0, 1, 0, 0, 0);
	ptr(&w, 14);
	name(&w, "x");
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: compression pointer forward");
	CU_ASSERT_EQUAL(M.has_question, 0);

	/* self pointer */
	hdr(&w, 5, 0, 1, 0, 0, 0);
	ptr(&w, 12);
	CU_ASSERT_EQUAL(parse(&w, 1), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: compression pointer to itself");

	/* into the header */
	hdr(&w, 5, 0, 1, 0, 0, 0);
	ptr(&w, 4);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: compression pointer into header");

	/* a loop: the answer name points back to a label that points forward to it */
	hdr(&w, 5, 0x8000, 1, 1, 0, 0);
	u8(&w, 1); /* 12: "a" then pointer to 18 (the answer's owner) */
	u8(&w, 'a');
	ptr(&w, 18);
	u16(&w, 1);
	u16(&w, 1);
	ptr(&w, 12); /* 18 */
	at = rrhead(&w, 1, 1, 0);
	raw(&w, "\1\2\3\4", 4);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: compression pointer forward");

	/* a rdata name may point back anywhere before it, even into the question */
	hdr(&w, 5, 0x8000, 1, 1, 0, 0);
	name(&w, "pool.contoso.com");
	u16(&w, 1);
	u16(&w, 1);
	ptr(&w, 12);
	at = rrhead(&w, SD_DNS_T_CNAME, 1, 0);
	ptr(&w, 17); /* "contoso.com" inside the question name */
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_STRING_EQUAL(M.rr[0].u.target, "contoso.com");
}

/* A chain of n pointers, each to the one before, ending at a root label;
 * the chain sits in the rdata of an undecoded record, the question points
 * at its end... which is forward, so the name lives in an answer instead. */
static int chain(int n)
{
	struct wb w;
	hdr(&w, 6, 0x8000, 0, 2, 0, 0);
	u8(&w, 0); /* owner of record 1: root */
	size_t at = rrhead(&w, 99, 1, 0);
	size_t root = w.n;
	u8(&w, 1);
	u8(&w, 'z');
	u8(&w, 0);
	size_t prev = root;
	for (int i = 0; i < n; i++) {
		size_t here = w.n;
		ptr(&w, (unsigned)prev);
		prev = here;
	}
	rdend(&w, at);
	ptr(&w, (unsigned)prev); /* owner of record 2 follows the whole chain */
	at = rrhead(&w, 1, 1, 0);
	raw(&w, "\1\2\3\4", 4);
	rdend(&w, at);
	return parse(&w, 0);
}

static void test_pointer_chain_cap(void)
{
	/* 63 pointers in the chain + the owner's own = 64 jumps: allowed */
	CU_ASSERT_EQUAL(chain(63), SD_OK);
	CU_ASSERT_EQUAL_FATAL(M.nrr, 2);
	CU_ASSERT_STRING_EQUAL(M.rr[1].name, "z");
	CU_ASSERT_EQUAL(chain(64), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 2 name: too many compression pointers");
	CU_ASSERT_EQUAL(M.nrr, 1);
}

static void test_name_limits(void)
{
	struct wb w;
	char lab[64];
	memset(lab, 'x', sizeof lab);
	/* 3 x 63 + 61-byte labels: 192 + 62 + root = 255 wire bytes, the maximum */
	hdr(&w, 8, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		u8(&w, 63);
		raw(&w, lab, 63);
	}
	u8(&w, 61);
	raw(&w, lab, 61);
	u8(&w, 0);
	u16(&w, 1);
	u16(&w, 1);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL(strlen(M.qname), 63 * 3 + 61 + 3);

	/* one byte more: 256 */
	hdr(&w, 8, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		u8(&w, 63);
		raw(&w, lab, 63);
	}
	u8(&w, 62);
	raw(&w, lab, 62);
	u8(&w, 0);
	u16(&w, 1);
	u16(&w, 1);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: name longer than 255 bytes");

	/* the 255 bytes count across pointers too */
	hdr(&w, 8, 0x8000, 1, 1, 0, 0);
	for (int i = 0; i < 3; i++) {
		u8(&w, 63);
		raw(&w, lab, 63);
	}
	u8(&w, 0);
	u16(&w, 1);
	u16(&w, 1);
	u8(&w, 62);
	raw(&w, lab, 62);
	ptr(&w, 12);
	size_t at = rrhead(&w, 1, 1, 0);
	raw(&w, "\1\2\3\4", 4);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 name: name longer than 255 bytes");

	/* a 64-byte label length is the reserved 0x40 label type */
	hdr(&w, 8, 0, 1, 0, 0, 0);
	u8(&w, 64);
	raw(&w, lab, 64);
	u8(&w, 0);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: label type 0x40");
	hdr(&w, 8, 0, 1, 0, 0, 0);
	u8(&w, 0x80);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "question 1 name: label type 0x80");
}

static void test_truncation(void)
{
	struct wb w;
	size_t at;
	/* counts promise 3 answers, the bytes hold 1 */
	hdr(&w, 10, 0x8180, 1, 3, 0, 0);
	name(&w, "contoso.com");
	u16(&w, 1);
	u16(&w, 1);
	ptr(&w, 12);
	at = rrhead(&w, 1, 1, 0);
	raw(&w, "\1\2\3\4", 4);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 2 of 3: past end of message");
	CU_ASSERT_EQUAL(M.nrr, 1);
	CU_ASSERT_STRING_EQUAL(M.qname, "contoso.com");
	CU_ASSERT_EQUAL(parse(&w, 1), SD_E_TRUNC);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 2 of 3: cut by capture");
	CU_ASSERT_EQUAL(M.nrr, 1);
	CU_ASSERT_EQUAL(M.rr[0].u.addr.a[3], 4);

	/* the same message cut at every byte: never OK, never a crash, the
	 * status says whose fault it is, and the question survives once whole */
	struct wb full = w;
	size_t qend = 12 + 13 + 4;
	for (size_t n = 0; n < full.n; n++) {
		int st = sd_dns_parse(full.b, n, 1, &M);
		CU_ASSERT_EQUAL(st, SD_E_TRUNC);
		CU_ASSERT_EQUAL(M.has_question, n >= qend);
		st = sd_dns_parse(full.b, n, 0, &M);
		CU_ASSERT_EQUAL(st, SD_E_MALFORMED);
		CU_ASSERT_EQUAL(M.nrr, 0);
	}
	CU_ASSERT_EQUAL(sd_dns_parse(full.b, 5, 1, &M), SD_E_TRUNC);
	CU_ASSERT_STRING_EQUAL(M.error, "header: cut by capture (5 of 12 bytes)");

	/* rdata cut by the capture vs rdata that overruns a whole message */
	CU_ASSERT_EQUAL(sd_dns_parse(full.b, full.n - 2, 1, &M), SD_E_TRUNC);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: cut by capture (rdlen 4, 2 left)");
	CU_ASSERT_EQUAL(sd_dns_parse(full.b, full.n - 5, 0, &M), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1: fixed fields past end of message");

	/* a name inside rdata that runs past rdlen is the record's fault even
	 * in a cut capture */
	hdr(&w, 10, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_CNAME, 1, 0);
	u8(&w, 5);
	raw(&w, "abc", 3);
	rdend(&w, at);
	raw(&w, "de", 2);
	u8(&w, 0);
	CU_ASSERT_EQUAL(parse(&w, 1), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: CNAME target: runs past rdlen");

	/* wrong rdata sizes */
	hdr(&w, 10, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_A, 1, 0);
	raw(&w, "\1\2\3\4\5", 5);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: A rdlen 5, expected 4");
	hdr(&w, 10, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_CNAME, 1, 0);
	name(&w, "a");
	u8(&w, 0);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: 1 bytes left over");
	hdr(&w, 10, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_SRV, 1, 0);
	u16(&w, 1);
	u16(&w, 2);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: SRV fields run past rdlen");
	hdr(&w, 10, 0x8000, 0, 1, 0, 0);
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_SOA, 1, 0);
	u8(&w, 0);
	u8(&w, 0);
	u32(&w, 1);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 1 rdata: SOA fields run past rdlen");

	/* bytes after the last counted record are padding */
	hdr(&w, 10, 0x8000, 0, 0, 0, 0);
	raw(&w, "\0\0\0\0", 4);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
}

static void test_rr_dropped(void)
{
	struct wb w;
	size_t at;
	/* 70 answers, then an OPT as the 71st record that sets the ext rcode */
	hdr(&w, 11, 0x8000, 0, 70, 0, 1);
	for (int i = 0; i < 70; i++) {
		u8(&w, 0);
		at = rrhead(&w, SD_DNS_T_A, 1, (uint32_t)i);
		raw(&w, "\1\2\3", 3);
		u8(&w, (unsigned)i);
		rdend(&w, at);
	}
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_OPT, 1232, 0x02000000);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_OK);
	CU_ASSERT_EQUAL(M.nrr, SD_DNS_MAX_RR);
	CU_ASSERT_EQUAL(M.rr_dropped, 7);
	CU_ASSERT_EQUAL(M.rr[63].ttl, 63);
	CU_ASSERT_EQUAL(M.rcode, 32);

	/* an error in a dropped record is still reported */
	w.n -= 11;
	u8(&w, 0);
	at = rrhead(&w, SD_DNS_T_A, 1, 0);
	raw(&w, "\1\2", 2);
	rdend(&w, at);
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_MALFORMED);
	CU_ASSERT_STRING_EQUAL(M.error, "additional 1 rdata: A rdlen 2, expected 4");
	CU_ASSERT_EQUAL(M.nrr, SD_DNS_MAX_RR);
	CU_ASSERT_EQUAL(M.rr_dropped, 6);
}

static void test_arena_full(void)
{
	/* 64 distinct long TXT strings overflow the 16 KiB arena: a limit, not
	 * a crash, with what fitted kept */
	struct wb w;
	char s[250];
	memset(s, 'q', sizeof s);
	hdr(&w, 12, 0x8000, 0, 25, 0, 0);
	for (int i = 0; i < 25; i++) {
		u8(&w, 0);
		size_t at = rrhead(&w, SD_DNS_T_TXT, 1, 0);
		for (int k = 0; k < 3; k++) {
			u8(&w, 250);
			raw(&w, s, 250);
		}
		rdend(&w, at);
	}
	CU_ASSERT_EQUAL(parse(&w, 0), SD_E_LIMIT);
	/* each text takes 3 * 250 + 2 spaces + NUL = 753 bytes: 21 fit in 16384 */
	CU_ASSERT_EQUAL(M.nrr, 21);
	CU_ASSERT_STRING_EQUAL(M.error, "answer 22 rdata: TXT text: string arena full");
	CU_ASSERT(M.strused <= SD_DNS_STRBUF);
}

static void test_plausible_and_names(void)
{
	struct wb w;
	hdr(&w, 1, 0x0100, 1, 0, 0, 0);
	name(&w, "a");
	u16(&w, 1);
	u16(&w, 1);
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, w.n), 1);
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, 11), 0);
	CU_ASSERT_EQUAL(sd_dns_plausible(NULL, 0), 0);
	hdr(&w, 1, 7 << 11, 0, 0, 0, 0); /* opcode 7 is unassigned */
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, w.n), 0);
	hdr(&w, 1, 6 << 11, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, w.n), 1);
	hdr(&w, 1, 0, 17, 0, 0, 0);
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, 12 + 17 * 5), 0);
	/* 2 answers need at least 22 bytes after the header */
	hdr(&w, 1, 0x8000, 0, 2, 0, 0);
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, 33), 0);
	CU_ASSERT_EQUAL(sd_dns_plausible(w.b, 34), 1);

	char buf[16];
	CU_ASSERT_STRING_EQUAL(sd_dns_type_str(33, buf, sizeof buf), "SRV");
	CU_ASSERT_STRING_EQUAL(sd_dns_type_str(65, buf, sizeof buf), "HTTPS");
	CU_ASSERT_STRING_EQUAL(sd_dns_type_str(65280, buf, sizeof buf), "TYPE65280");
	/* the store reads types back by name: every type survives the trip */
	for (unsigned t = 1; t <= 65535; t++)
		if (sd_dns_type_num(sd_dns_type_str((uint16_t)t, buf, sizeof buf)) != t) {
			CU_FAIL("sd_dns_type_num(sd_dns_type_str(t)) != t");
			break;
		}
	CU_ASSERT_EQUAL(sd_dns_type_num("CERT"), 37);
	CU_ASSERT_EQUAL(sd_dns_type_num("TYPE"), 0);
	CU_ASSERT_EQUAL(sd_dns_type_num("TYPE70000"), 0);
	CU_ASSERT_EQUAL(sd_dns_type_num("TYPE12x"), 0);
	CU_ASSERT_EQUAL(sd_dns_type_num("srv"), 0); /* as written, upper case */
	CU_ASSERT_STRING_EQUAL(sd_dns_rcode_str(3), "NXDOMAIN");
	CU_ASSERT_STRING_EQUAL(sd_dns_rcode_str(12), "RCODE12");
	CU_ASSERT_STRING_EQUAL(sd_dns_rcode_str(4000), "RCODE4000");
}

/* ---------------------------------------------------------------- DNS over TCP */

struct got {
	int n;
	size_t len[8];
	uint16_t id[8];
	uint64_t first[8], last[8];
	int64_t ts[8];
};

static void on_msg(void *ud, const uint8_t *msg, size_t len, uint64_t frame_first, uint64_t frame, int64_t ts)
{
	struct got *g = ud;
	if (g->n >= 8)
		return;
	g->len[g->n] = len;
	g->id[g->n] = len >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0;
	g->first[g->n] = frame_first;
	g->last[g->n] = frame;
	g->ts[g->n] = ts;
	g->n++;
}

/* A framed query with the given id: 2-byte length + message. */
static void framed(struct wb *out, unsigned id)
{
	struct wb m;
	hdr(&m, id, 0x0100, 1, 0, 0, 0);
	name(&m, "contoso.com");
	u16(&m, 1);
	u16(&m, 1);
	u16(out, (unsigned)m.n);
	raw(out, m.b, m.n);
}

static void test_tcp_two_in_one(void)
{
	struct wb s = { .n = 0 };
	framed(&s, 0xA1);
	framed(&s, 0xA2);
	struct got g = { 0 };
	struct sd_dnstcp *t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, s.n, 5, 777), SD_OK);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_EQUAL(g.id[0], 0xA1);
	CU_ASSERT_EQUAL(g.id[1], 0xA2);
	CU_ASSERT_EQUAL(g.len[0], 29);
	CU_ASSERT_EQUAL(g.first[1], 5);
	CU_ASSERT_EQUAL(g.last[1], 5);
	CU_ASSERT_EQUAL(g.ts[0], 777);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 0);
	sd_dnstcp_free(t);
}

static void test_tcp_byte_by_byte(void)
{
	struct wb s = { .n = 0 };
	framed(&s, 0xB1);
	framed(&s, 0xB2);
	struct got g = { 0 };
	struct sd_dnstcp *t = sd_dnstcp_new(on_msg, &g);
	for (size_t i = 0; i < s.n; i++) {
		CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b + i, 1, 100 + i, (int64_t)i), SD_OK);
		if (i == 30)
			CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 0);
		if (i == 35)
			CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 5);
	}
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	/* message 1: prefix at bytes 0-1, body 2..30 */
	CU_ASSERT_EQUAL(g.first[0], 100);
	CU_ASSERT_EQUAL(g.last[0], 130);
	CU_ASSERT_EQUAL(g.ts[0], 30);
	CU_ASSERT_EQUAL(g.first[1], 131);
	CU_ASSERT_EQUAL(g.last[1], 161);
	CU_ASSERT_EQUAL(g.id[1], 0xB2);
	CU_ASSERT_EQUAL(g.len[1], 29);

	/* an incomplete tail is reported as pending */
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, 7, 200, 0), SD_OK);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 7);
	CU_ASSERT_EQUAL(g.n, 2);
	sd_dnstcp_free(t);
}

static void test_tcp_zero_length(void)
{
	static const uint8_t z[] = { 0, 0, 0x12, 0x34 };
	struct got g = { 0 };
	struct sd_dnstcp *t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, z, sizeof z, 1, 0), SD_E_MALFORMED);
	struct wb s = { .n = 0 };
	framed(&s, 1);
	/* once framing is lost, it stays lost */
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, s.n, 2, 0), SD_E_MALFORMED);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 0);
	sd_dnstcp_free(t);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(NULL, z, 1, 1, 0), SD_E_MALFORMED);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(NULL), 0);
}

static void test_tcp_gap(void)
{
	struct wb s = { .n = 0 };
	framed(&s, 0xC1); /* bytes 0..30 */
	framed(&s, 0xC2); /* bytes 31..61 */
	struct got g = { 0 };

	/* the gap ends inside message 1 whose length is known: its rest is
	 * skipped and message 2 is found */
	struct sd_dnstcp *t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, 10, 1, 0), SD_OK);
	sd_dnstcp_gap(t, 5);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 0);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b + 15, s.n - 15, 3, 0), SD_OK);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_EQUAL(g.id[0], 0xC2);
	CU_ASSERT_EQUAL(g.first[0], 3);
	sd_dnstcp_free(t);

	/* the gap covers the rest of message 1 exactly: the next byte starts message 2 */
	g.n = 0;
	t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, 10, 1, 0), SD_OK);
	sd_dnstcp_gap(t, 21);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b + 31, s.n - 31, 3, 0), SD_OK);
	CU_ASSERT_EQUAL(g.n, 1);
	sd_dnstcp_free(t);

	/* the gap eats message 1's end and part of message 2: what follows is
	 * taken as a message start, fails the plausibility test, stream dropped */
	g.n = 0;
	t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, 10, 1, 0), SD_OK);
	sd_dnstcp_gap(t, 30);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b + 40, s.n - 40, 3, 0), SD_E_MALFORMED);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, s.n, 4, 0), SD_E_MALFORMED);
	sd_dnstcp_free(t);

	/* a gap before anything: the first message after it must look like DNS */
	g.n = 0;
	t = sd_dnstcp_new(on_msg, &g);
	sd_dnstcp_gap(t, 100);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, s.b, s.n, 9, 0), SD_OK);
	CU_ASSERT_EQUAL(g.n, 2);
	sd_dnstcp_free(t);

	/* after a gap a length below a header's 12 bytes is not believed */
	static const uint8_t tiny[] = { 0, 5, 1, 2, 3, 4, 5 };
	g.n = 0;
	t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, tiny, sizeof tiny, 1, 0), SD_OK); /* no gap: delivered */
	CU_ASSERT_EQUAL(g.n, 1);
	sd_dnstcp_gap(t, 3);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, tiny, sizeof tiny, 2, 0), SD_E_MALFORMED);
	CU_ASSERT_EQUAL(g.n, 1);
	sd_dnstcp_free(t);
}

static void test_tcp_big_message_memory(void)
{
	/* a message announcing 65535 bytes that never completes holds only what
	 * arrived */
	static const uint8_t pfx[] = { 0xff, 0xff, 1, 2, 3 };
	struct got g = { 0 };
	struct sd_dnstcp *t = sd_dnstcp_new(on_msg, &g);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, pfx, sizeof pfx, 1, 0), SD_OK);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 5);
	uint8_t *big = calloc(1, 65535);
	CU_ASSERT_FATAL(big != NULL);
	CU_ASSERT_EQUAL(sd_dnstcp_feed(t, big, 65532, 2, 0), SD_OK);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(g.len[0], 65535);
	CU_ASSERT_EQUAL(g.first[0], 1);
	CU_ASSERT_EQUAL(g.last[0], 2);
	CU_ASSERT_EQUAL(sd_dnstcp_pending(t), 0);
	free(big);
	sd_dnstcp_free(t);
}

/* ---------------------------------------------------------------- pairing */

struct unans {
	int n;
	uint64_t frame[8];
	char qname[8][64];
	uint16_t qtype[8];
};

static void on_unanswered(void *ud, const struct sd_dns_pending *q)
{
	struct unans *u = ud;
	if (u->n < 8) {
		u->frame[u->n] = q->frame;
		u->qtype[u->n] = q->qtype;
		snprintf(u->qname[u->n], sizeof u->qname[0], "%s", q->qname);
	}
	u->n++;
}

static struct sd_dns_msg Q, R;

static void mkmsg(struct sd_dns_msg *m, unsigned id, int response, const char *qn, unsigned qtype)
{
	struct wb w;
	hdr(&w, id, response ? 0x8180 : 0x0100, 1, 0, 0, 0);
	name(&w, qn);
	u16(&w, qtype);
	u16(&w, 1);
	CU_ASSERT_FATAL(sd_dns_parse(w.b, w.n, 0, m) == SD_OK);
}

static void test_txn_pairing(void)
{
	struct sd_addr c, s, other;
	sd_addr_parse("10.0.0.5", &c);
	sd_addr_parse("10.0.0.1", &s);
	sd_addr_parse("10.0.0.2", &other);
	struct unans u = { 0 };
	struct sd_dns_txn *t = sd_dns_txn_new(2000000000LL, 0, on_unanswered, &u);
	CU_ASSERT_FATAL(t != NULL);
	uint64_t qf;
	int64_t rtt;

	mkmsg(&Q, 0x1111, 0, "_sipinternaltls._tcp.contoso.com", 33);
	sd_dns_txn_query(t, &Q, &c, 50000, &s, 53, 17, 10, 1000);
	sd_dns_txn_query(t, &Q, &c, 50000, &s, 53, 17, 11, 1500); /* retransmission */

	/* not a match: other server, other port, other protocol, other question */
	mkmsg(&R, 0x1111, 1, "_sipinternaltls._tcp.contoso.com", 33);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &other, 53, &c, 50000, 17, 5000, &qf, &rtt), 0);
	CU_ASSERT_EQUAL(qf, 0);
	CU_ASSERT_EQUAL(rtt, -1);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50001, 17, 5000, &qf, &rtt), 0);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50000, 6, 5000, &qf, &rtt), 0);
	mkmsg(&R, 0x1111, 1, "_sip._tls.contoso.com", 33);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50000, 17, 5000, &qf, &rtt), 0);
	mkmsg(&R, 0x1112, 1, "_sipinternaltls._tcp.contoso.com", 33);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50000, 17, 5000, &qf, &rtt), 0);

	/* the match: question compared case-insensitively; RTT from the first query */
	mkmsg(&R, 0x1111, 1, "_SIPINTERNALTLS._tcp.Contoso.com", 33);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50000, 17, 5000, &qf, &rtt), 1);
	CU_ASSERT_EQUAL(qf, 10);
	CU_ASSERT_EQUAL(rtt, 4000);
	/* retired: a duplicate response pairs with nothing */
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50000, 17, 6000, &qf, &rtt), 0);

	/* a response without a question still answers its id */
	mkmsg(&Q, 0x2222, 0, "sipinternal.contoso.com", 1);
	sd_dns_txn_query(t, &Q, &c, 50002, &s, 53, 17, 20, 7000);
	struct wb w;
	hdr(&w, 0x2222, 0x8182, 0, 0, 0, 0);
	CU_ASSERT_FATAL(sd_dns_parse(w.b, w.n, 0, &R) == SD_OK);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 50002, 17, 7100, &qf, &rtt), 1);
	CU_ASSERT_EQUAL(qf, 20);
	CU_ASSERT_EQUAL(rtt, 100);

	sd_dns_txn_finish(t);
	CU_ASSERT_EQUAL(u.n, 0);
	sd_dns_txn_free(t);
}

static void test_txn_unanswered(void)
{
	struct sd_addr c, s;
	sd_addr_parse("2001:db8::5", &c);
	sd_addr_parse("2001:db8::53", &s);
	struct unans u = { 0 };
	struct sd_dns_txn *t = sd_dns_txn_new(1000, 0, on_unanswered, &u);
	mkmsg(&Q, 1, 0, "sip.contoso.com", 1);
	sd_dns_txn_query(t, &Q, &c, 1001, &s, 53, 17, 1, 0);
	mkmsg(&Q, 2, 0, "sipinternal.contoso.com", 28);
	sd_dns_txn_query(t, &Q, &c, 1002, &s, 53, 17, 2, 500);
	/* exactly at the timeout nothing expires; past it the oldest does */
	sd_dns_txn_expire(t, 1000);
	CU_ASSERT_EQUAL(u.n, 0);
	sd_dns_txn_expire(t, 1001);
	CU_ASSERT_EQUAL_FATAL(u.n, 1);
	CU_ASSERT_EQUAL(u.frame[0], 1);
	CU_ASSERT_STRING_EQUAL(u.qname[0], "sip.contoso.com");
	/* an expired query no longer pairs */
	uint64_t qf;
	int64_t rtt;
	mkmsg(&R, 1, 1, "sip.contoso.com", 1);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 1001, 17, 1200, &qf, &rtt), 0);
	sd_dns_txn_finish(t);
	CU_ASSERT_EQUAL_FATAL(u.n, 2);
	CU_ASSERT_EQUAL(u.frame[1], 2);
	CU_ASSERT_EQUAL(u.qtype[1], 28);
	CU_ASSERT_STRING_EQUAL(u.qname[1], "sipinternal.contoso.com");
	sd_dns_txn_finish(t);
	CU_ASSERT_EQUAL(u.n, 2);
	sd_dns_txn_free(t);
}

static void test_txn_max_pending(void)
{
	struct sd_addr c, s;
	sd_addr_parse("192.0.2.5", &c);
	sd_addr_parse("192.0.2.53", &s);
	struct unans u = { 0 };
	struct sd_dns_txn *t = sd_dns_txn_new(1000000000LL, 3, on_unanswered, &u);
	for (unsigned i = 0; i < 5; i++) {
		mkmsg(&Q, 100 + i, 0, "contoso.com", 1);
		sd_dns_txn_query(t, &Q, &c, 4000, &s, 53, 17, 1 + i, i);
	}
	/* the two oldest made room */
	CU_ASSERT_EQUAL_FATAL(u.n, 2);
	CU_ASSERT_EQUAL(u.frame[0], 1);
	CU_ASSERT_EQUAL(u.frame[1], 2);
	uint64_t qf;
	int64_t rtt;
	mkmsg(&R, 104, 1, "contoso.com", 1);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 4000, 17, 10, &qf, &rtt), 1);
	CU_ASSERT_EQUAL(qf, 5);
	mkmsg(&R, 100, 1, "contoso.com", 1);
	CU_ASSERT_EQUAL(sd_dns_txn_response(t, &R, &s, 53, &c, 4000, 17, 10, &qf, &rtt), 0);
	/* exactly the two others (ids 102, 103: frames 3, 4) are still held */
	sd_dns_txn_finish(t);
	CU_ASSERT_EQUAL_FATAL(u.n, 4);
	CU_ASSERT_EQUAL(u.frame[2] + u.frame[3], 7);
	sd_dns_txn_free(t);
	CU_ASSERT_EQUAL(u.n, 4);
}

/* ---------------------------------------------------------------- captures */


struct capstats {
	int frames, queries, responses, nxdomain, srv_queries, malformed, trunc, ok;
};

/* Classic little-endian pcap, Ethernet (with 802.1Q) or raw IP, UDP port 53.
 * Enough to feed public captures to the parser without the other layers. */
static int read_capture(const char *rel, struct capstats *st, void (*each)(const struct sd_dns_msg *m))
{
	char path[512];
	snprintf(path, sizeof path, "%s", sd_pubpath(rel));
	size_t len;
	uint8_t *f = sd_slurp(path, &len);
	if (!f) {
		fprintf(stderr, "\n  skipped: %s absent\n", path);
		return 0;
	}
	memset(st, 0, sizeof *st);
	struct cur c = cur_init(f, len);
	CU_ASSERT_FATAL(cur_le32(&c) == 0xa1b2c3d4u);
	cur_skip(&c, 16);
	uint32_t lt = cur_le32(&c);
	while (cur_left(&c) >= 16) {
		cur_skip(&c, 8);
		uint32_t caplen = cur_le32(&c), wirelen = cur_le32(&c);
		struct cur p = cur_sub(&c, caplen);
		CU_ASSERT_FATAL(cur_ok(&c));
		st->frames++;
		uint16_t et = 0x0800;
		if (lt == 1) {
			cur_skip(&p, 12);
			et = cur_be16(&p);
			while (et == 0x8100) {
				cur_skip(&p, 2);
				et = cur_be16(&p);
			}
		} else {
			uint8_t v = 0;
			cur_peek(&p, 0, &v);
			et = v >> 4 == 6 ? 0x86dd : 0x0800;
		}
		uint8_t proto = 0;
		if (et == 0x0800) {
			uint8_t vihl = cur_u8(&p);
			cur_skip(&p, 5);
			uint16_t frag = cur_be16(&p);
			cur_skip(&p, 1);
			proto = cur_u8(&p);
			cur_skip(&p, (size_t)(vihl & 15) * 4 - 10);
			if (frag & 0x1fff)
				proto = 0;
		} else if (et == 0x86dd) {
			cur_skip(&p, 6);
			proto = cur_u8(&p);
			cur_skip(&p, 33);
		}
		if (proto != 17 || !cur_ok(&p))
			continue;
		uint16_t sp = cur_be16(&p), dp = cur_be16(&p);
		cur_skip(&p, 4);
		if ((sp != 53 && dp != 53) || !cur_ok(&p))
			continue;
		int st_ = sd_dns_parse(cur_data(&p), cur_left(&p), caplen < wirelen, &M);
		if (st_ == SD_E_MALFORMED)
			st->malformed++;
		else if (st_ == SD_E_TRUNC)
			st->trunc++;
		else if (st_ == SD_OK)
			st->ok++;
		if (M.qr) {
			st->responses++;
			st->nxdomain += M.rcode == SD_DNS_RCODE_NXDOMAIN;
		} else {
			st->queries++;
			st->srv_queries += M.has_question && M.qtype == SD_DNS_T_SRV;
		}
		if (each)
			each(&M);
	}
	free(f);
	return 1;
}

static int cname_responses, soa_in_authority;
static void count_extra(const struct sd_dns_msg *m)
{
	int cn = 0;
	for (size_t i = 0; i < m->nrr; i++) {
		cn |= m->rr[i].type == SD_DNS_T_CNAME && m->rr[i].section == SD_DNS_AN;
		soa_in_authority += m->rr[i].type == SD_DNS_T_SOA && m->rr[i].section == SD_DNS_NS;
	}
	cname_responses += cn;
}

static void test_capture_wiresharkrepo(void)
{
	struct capstats s;
	cname_responses = 0;
	if (!read_capture("arkime/dns-wiresharkrepo.pcap", &s, count_extra))
		return;
	/* MANIFEST: 38 packets, 19 queries (3 SRV), 19 responses, 6 NXDOMAIN, 1 CNAME answer */
	CU_ASSERT_EQUAL(s.frames, 38);
	CU_ASSERT_EQUAL(s.queries, 19);
	CU_ASSERT_EQUAL(s.responses, 19);
	CU_ASSERT_EQUAL(s.srv_queries, 3);
	CU_ASSERT_EQUAL(s.nxdomain, 6);
	CU_ASSERT_EQUAL(cname_responses, 1);
	CU_ASSERT_EQUAL(s.ok, 38);
}

static void test_capture_corrupt_additionals(void)
{
	struct capstats s;
	if (!read_capture("suricata-verify/dns-corrupt-additionals.pcap", &s, NULL))
		return;
	/* MANIFEST: 1 SRV query, 1 response whose additional section is corrupt */
	CU_ASSERT_EQUAL(s.frames, 2);
	CU_ASSERT_EQUAL(s.queries, 1);
	CU_ASSERT_EQUAL(s.srv_queries, 1);
	CU_ASSERT_EQUAL(s.responses, 1);
	CU_ASSERT_EQUAL(s.malformed, 1);
	/* the response was parsed last: its SRV answer survives the break */
	CU_ASSERT_STRING_EQUAL(M.qname, "_sip._udp.sip.voice.google.com");
	CU_ASSERT(M.nrr >= 1);
	CU_ASSERT_EQUAL(M.rr[0].type, SD_DNS_T_SRV);
	CU_ASSERT_EQUAL(M.rr[0].section, SD_DNS_AN);
	CU_ASSERT_PTR_NOT_NULL(strstr(M.error, "additional"));
}

static void test_capture_netbios(void)
{
	struct capstats s;
	if (!read_capture("ndpi/netbios_wildcard_dns_query.pcap", &s, NULL))
		return;
	/* qtype 33 on the DNS port is NBSTAT: the parser reports it as it is */
	CU_ASSERT_EQUAL(s.frames, 1);
	CU_ASSERT_EQUAL(s.queries, 1);
	CU_ASSERT_EQUAL(s.srv_queries, 1);
	CU_ASSERT_EQUAL(s.responses, 0);
	CU_ASSERT_STRING_EQUAL(M.qname, "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

static void test_capture_nxdomain_soa(void)
{
	struct capstats s;
	soa_in_authority = 0;
	if (!read_capture("suricata-verify/dns-udp-nxdomain-soa.pcap", &s, count_extra))
		return;
	CU_ASSERT_EQUAL(s.queries, 1);
	CU_ASSERT_EQUAL(s.responses, 1);
	CU_ASSERT_EQUAL(s.nxdomain, 1);
	CU_ASSERT_EQUAL(soa_in_authority, 1);
	CU_ASSERT_EQUAL(s.ok, 2);
}

static void test_capture_snaplen(void)
{
	struct capstats s;
	if (!read_capture("tcpdump/dns_udp_2.pcap", &s, NULL))
		return;
	/* the response is cut by the snaplen: TRUNC, not MALFORMED */
	CU_ASSERT_EQUAL(s.queries, 1);
	CU_ASSERT_EQUAL(s.responses, 1);
	CU_ASSERT_EQUAL(s.trunc, 1);
	CU_ASSERT_EQUAL(s.malformed, 0);
}

static void test_capture_vlan(void)
{
	struct capstats s;
	if (!read_capture("dnscap/vlan11.pcap", &s, NULL))
		return;
	CU_ASSERT_EQUAL(s.frames, 133);
	CU_ASSERT_EQUAL(s.queries, 41);
	CU_ASSERT_EQUAL(s.responses, 41);
	CU_ASSERT_EQUAL(s.malformed + s.trunc, 0);
}

static const struct sd_test tests[] = {
	SD_TEST(test_query),
	SD_TEST(test_all_types),
	SD_TEST(test_srv_root_target),
	SD_TEST(test_opt_extended_rcode),
	SD_TEST(test_escaping),
	SD_TEST(test_compression),
	SD_TEST(test_pointer_chain_cap),
	SD_TEST(test_name_limits),
	SD_TEST(test_truncation),
	SD_TEST(test_rr_dropped),
	SD_TEST(test_arena_full),
	SD_TEST(test_plausible_and_names),
	SD_TEST(test_tcp_two_in_one),
	SD_TEST(test_tcp_byte_by_byte),
	SD_TEST(test_tcp_zero_length),
	SD_TEST(test_tcp_gap),
	SD_TEST(test_tcp_big_message_memory),
	SD_TEST(test_txn_pairing),
	SD_TEST(test_txn_unanswered),
	SD_TEST(test_txn_max_pending),
	SD_TEST(test_capture_wiresharkrepo),
	SD_TEST(test_capture_corrupt_additionals),
	SD_TEST(test_capture_netbios),
	SD_TEST(test_capture_nxdomain_soa),
	SD_TEST(test_capture_snaplen),
	SD_TEST(test_capture_vlan),
	{ 0 },
};

int main(void) { return sd_run_tests("dns", tests); }
