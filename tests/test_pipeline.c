/* The pipeline glue: frames built here byte by byte go in, the exact event
 * sequence comes out. Real captures check the same on whole files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "testutil.h"

#define MAXEV 64

struct rec {
	enum sd_ev_type type;
	uint64_t frame, frame_first, query_frame, conn;
	int64_t rtt;
	int status;
	char text[256];
	char layer[16];
	uint16_t sport, dport;
};

static struct rec evs[MAXEV];
static size_t nev;

static void collect(void *ud, const struct sd_event *ev)
{
	(void)ud;
	if (nev >= MAXEV)
		return;
	struct rec *r = &evs[nev++];
	memset(r, 0, sizeof *r);
	r->type = ev->type;
	r->frame = ev->frame;
	r->frame_first = ev->frame_first;
	r->conn = ev->conn_id;
	r->sport = ev->sport;
	r->dport = ev->dport;
	switch (ev->type) {
	case SD_EV_DNS_QUERY:
	case SD_EV_DNS_RESPONSE:
	case SD_EV_DNS_UNANSWERED:
		r->query_frame = ev->u.dns.query_frame;
		r->rtt = ev->u.dns.rtt_ns;
		snprintf(r->text, sizeof r->text, "%s/%u/%u", ev->u.dns.msg->qname, ev->u.dns.msg->qtype,
			 ev->u.dns.msg->rcode);
		break;
	case SD_EV_TLS_CLIENT_HELLO:
		snprintf(r->text, sizeof r->text, "%s", ev->u.ch->sni);
		break;
	case SD_EV_DECODE_ERROR:
		r->status = ev->u.err.status;
		snprintf(r->layer, sizeof r->layer, "%s", ev->u.err.layer);
		snprintf(r->text, sizeof r->text, "%s", ev->u.err.msg);
		break;
	default:
		break;
	}
}

/* ---- frame builders ---- */

static size_t put16(uint8_t *b, size_t o, uint16_t v)
{
	b[o] = (uint8_t)(v >> 8);
	b[o + 1] = (uint8_t)v;
	return o + 2;
}

static size_t put32(uint8_t *b, size_t o, uint32_t v)
{
	o = put16(b, o, (uint16_t)(v >> 16));
	return put16(b, o, (uint16_t)v);
}

static size_t dns_msg(uint8_t *b, uint16_t id, uint16_t flags, const char *name, uint16_t qtype,
		      const uint8_t ipv4_answer[4])
{
	size_t o = put16(b, 0, id);
	o = put16(b, o, flags);
	o = put16(b, o, 1);
	o = put16(b, o, ipv4_answer ? 1 : 0);
	o = put16(b, o, 0);
	o = put16(b, o, 0);
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		b[o++] = (uint8_t)n;
		memcpy(b + o, p, n);
		o += n;
		p += n + (dot ? 1 : 0);
	}
	b[o++] = 0;
	o = put16(b, o, qtype);
	o = put16(b, o, 1);
	if (ipv4_answer) {
		o = put16(b, o, 0xc00c); /* pointer to the question name */
		o = put16(b, o, 1);
		o = put16(b, o, 1);
		o = put32(b, o, 300);
		o = put16(b, o, 4);
		memcpy(b + o, ipv4_answer, 4);
		o += 4;
	}
	return o;
}

static const uint8_t CLIENT[4] = { 192, 0, 2, 100 }, SERVER[4] = { 192, 0, 2, 53 }, POOL[4] = { 192, 0, 2, 10 };

/* Ethernet + IPv4 + (UDP|TCP) around a payload. */
static size_t frame_ip(uint8_t *f, const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint16_t sport,
		       uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl, size_t plen)
{
	memset(f, 0, 14);
	f[12] = 0x08;
	size_t l4 = proto == 17 ? 8 : 20;
	size_t o = 14;
	f[o] = 0x45;
	f[o + 1] = 0;
	put16(f, o + 2, (uint16_t)(20 + l4 + plen));
	put16(f, o + 4, 1);
	put16(f, o + 6, 0);
	f[o + 8] = 64;
	f[o + 9] = proto;
	put16(f, o + 10, 0);
	memcpy(f + o + 12, src, 4);
	memcpy(f + o + 16, dst, 4);
	o += 20;
	put16(f, o, sport);
	put16(f, o + 2, dport);
	if (proto == 17) {
		put16(f, o + 4, (uint16_t)(8 + plen));
		put16(f, o + 6, 0);
	} else {
		put32(f, o + 4, seq);
		put32(f, o + 8, ack);
		f[o + 12] = 0x50;
		f[o + 13] = flags;
		put16(f, o + 14, 65535);
		put16(f, o + 16, 0);
		put16(f, o + 18, 0);
	}
	o += l4;
	if (plen)
		memcpy(f + o, pl, plen);
	return o + plen;
}

static struct sd_pipeline *pl;
static uint64_t fno;

static void start(void)
{
	nev = 0;
	fno = 0;
	pl = sd_pipeline_new(NULL, collect, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
}

static void feed(const uint8_t *data, size_t len, uint32_t wirelen, int linktype, int64_t ts_ms)
{
	struct sd_frame f = { ++fno, ts_ms * 1000000LL, (uint32_t)len, wirelen ? wirelen : (uint32_t)len, linktype, 0, data };
	sd_pipeline_frame(pl, &f);
}

static void finish(void)
{
	sd_pipeline_finish(pl);
	sd_pipeline_free(pl);
	pl = NULL;
}

static void test_udp_query_response_paired(void)
{
	uint8_t d[512], f[600];
	start();
	size_t n = dns_msg(d, 0x1234, 0x0100, "sip.schertz.local", 1, NULL);
	feed(f, frame_ip(f, CLIENT, SERVER, 17, 50000, 53, 0, 0, 0, d, n), 0, 1, 1000);
	n = dns_msg(d, 0x1234, 0x8183, "sip.schertz.local", 1, NULL);
	feed(f, frame_ip(f, SERVER, CLIENT, 17, 53, 50000, 0, 0, 0, d, n), 0, 1, 1004);
	finish();
	CU_ASSERT_EQUAL_FATAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].type, SD_EV_DNS_QUERY);
	CU_ASSERT_EQUAL(evs[0].frame, 1);
	CU_ASSERT_STRING_EQUAL(evs[0].text, "sip.schertz.local/1/0");
	CU_ASSERT_EQUAL(evs[1].type, SD_EV_DNS_RESPONSE);
	CU_ASSERT_EQUAL(evs[1].frame, 2);
	CU_ASSERT_EQUAL(evs[1].query_frame, 1);
	CU_ASSERT_EQUAL(evs[1].rtt, 4000000);
	CU_ASSERT_STRING_EQUAL(evs[1].text, "sip.schertz.local/1/3");
}

static void test_unanswered_query_reported(void)
{
	uint8_t d[512], f[600];
	start();
	size_t n = dns_msg(d, 7, 0x0100, "_sipinternaltls._tcp.schertz.local", 33, NULL);
	feed(f, frame_ip(f, CLIENT, SERVER, 17, 50001, 53, 0, 0, 0, d, n), 0, 1, 0);
	/* a different id does not answer it */
	n = dns_msg(d, 8, 0x8180, "_sipinternaltls._tcp.schertz.local", 33, NULL);
	feed(f, frame_ip(f, SERVER, CLIENT, 17, 53, 50001, 0, 0, 0, d, n), 0, 1, 10);
	finish();
	CU_ASSERT_EQUAL_FATAL(nev, 3);
	CU_ASSERT_EQUAL(evs[1].type, SD_EV_DNS_RESPONSE);
	CU_ASSERT_EQUAL(evs[1].query_frame, 0);
	CU_ASSERT_EQUAL(evs[1].rtt, -1);
	CU_ASSERT_EQUAL(evs[2].type, SD_EV_DNS_UNANSWERED);
	CU_ASSERT_EQUAL(evs[2].frame, 1);
	CU_ASSERT_STRING_EQUAL(evs[2].text, "_sipinternaltls._tcp.schertz.local/33/0");
}

static void test_unanswered_after_timeout_in_capture_time(void)
{
	uint8_t d[512], f[600];
	start();
	size_t n = dns_msg(d, 9, 0x0100, "sip.a.test", 1, NULL);
	feed(f, frame_ip(f, CLIENT, SERVER, 17, 50002, 53, 0, 0, 0, d, n), 0, 1, 0);
	/* 11 s later any frame drives the expiry: the query is reported then,
	 * not at the end */
	n = dns_msg(d, 10, 0x0100, "sip.b.test", 1, NULL);
	feed(f, frame_ip(f, CLIENT, SERVER, 17, 50003, 53, 0, 0, 0, d, n), 0, 1, 11000);
	/* expiry runs before the new frame is decoded */
	CU_ASSERT_EQUAL(nev, 3);
	CU_ASSERT_EQUAL(evs[0].type, SD_EV_DNS_QUERY);
	CU_ASSERT_EQUAL(evs[1].type, SD_EV_DNS_UNANSWERED);
	CU_ASSERT_EQUAL(evs[1].frame, 1);
	CU_ASSERT_EQUAL(evs[2].type, SD_EV_DNS_QUERY);
	CU_ASSERT_EQUAL(evs[2].frame, 2);
	finish();
	CU_ASSERT_EQUAL(nev, 4);
	CU_ASSERT_EQUAL(evs[3].type, SD_EV_DNS_UNANSWERED);
	CU_ASSERT_EQUAL(evs[3].frame, 2);
}

static void test_snaplen_cut_dns_is_truncated_not_malformed(void)
{
	uint8_t d[512], f[600];
	const uint8_t a[4] = { 192, 0, 2, 10 };
	start();
	size_t n = dns_msg(d, 0x55, 0x8180, "sip.schertz.local", 1, a);
	size_t len = frame_ip(f, SERVER, CLIENT, 17, 53, 50000, 0, 0, 0, d, n);
	feed(f, len - 6, (uint32_t)len, 1, 0); /* the answer's address is cut */
	finish();
	CU_ASSERT_EQUAL_FATAL(nev, 2);
	CU_ASSERT_EQUAL(evs[0].type, SD_EV_DNS_RESPONSE);
	CU_ASSERT_STRING_EQUAL(evs[0].text, "sip.schertz.local/1/0");
	CU_ASSERT_EQUAL(evs[1].type, SD_EV_DECODE_ERROR);
	CU_ASSERT_EQUAL(evs[1].status, SD_E_TRUNC);
	CU_ASSERT_STRING_EQUAL(evs[1].layer, "dns");
	CU_ASSERT_EQUAL(evs[1].frame, 1);
}

static void test_unsupported_link_reported_once(void)
{
	uint8_t f[64] = { 0 };
	start();
	feed(f, sizeof f, 0, 147, 0); /* USER0: private use, never decodable */
	feed(f, sizeof f, 0, 147, 1);
	feed(f, sizeof f, 0, 147, 2);
	finish();
	CU_ASSERT_EQUAL_FATAL(nev, 1);
	CU_ASSERT_EQUAL(evs[0].type, SD_EV_DECODE_ERROR);
	CU_ASSERT_EQUAL(evs[0].status, SD_E_UNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(evs[0].layer, "link");
	CU_ASSERT_EQUAL(evs[0].frame, 1);
}

static void test_non_ip_ignored(void)
{
	uint8_t f[60] = { 0 };
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	start();
	feed(f, sizeof f, 0, 1, 0);
	finish();
	CU_ASSERT_EQUAL(nev, 0);
}

static void test_dns_over_tcp_split_message(void)
{
	uint8_t d[514], f[600];
	start();
	feed(f, frame_ip(f, CLIENT, SERVER, 6, 40000, 53, 1000, 0, 0x02, NULL, 0), 0, 1, 0);
	feed(f, frame_ip(f, SERVER, CLIENT, 6, 53, 40000, 5000, 1001, 0x12, NULL, 0), 0, 1, 1);
	size_t n = dns_msg(d + 2, 0x42, 0x0100, "_sipinternaltls._tcp.schertz.local", 33, NULL);
	put16(d, 0, (uint16_t)n);
	/* prefix + 5 bytes, then the rest */
	feed(f, frame_ip(f, CLIENT, SERVER, 6, 40000, 53, 1001, 5001, 0x18, d, 7), 0, 1, 2);
	feed(f, frame_ip(f, CLIENT, SERVER, 6, 40000, 53, 1008, 5001, 0x18, d + 7, n + 2 - 7), 0, 1, 3);
	finish();
	size_t q = nev;
	for (size_t i = 0; i < nev; i++)
		if (evs[i].type == SD_EV_DNS_QUERY)
			q = i;
	CU_ASSERT_FATAL(q < nev);
	CU_ASSERT_EQUAL(evs[0].type, SD_EV_TCP_SYN);
	CU_ASSERT_EQUAL(evs[1].type, SD_EV_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(evs[q].frame_first, 3);
	CU_ASSERT_EQUAL(evs[q].frame, 4);
	CU_ASSERT_EQUAL(evs[q].conn, 1);
	CU_ASSERT_STRING_EQUAL(evs[q].text, "_sipinternaltls._tcp.schertz.local/33/0");
}

/* A ClientHello with SNI "sip.schertz.local" in one record. */
static size_t client_hello(uint8_t *b)
{
	static const char *sni = "sip.schertz.local";
	size_t sl = strlen(sni);
	uint8_t body[256];
	size_t o = 0;
	body[o++] = 0x03;
	body[o++] = 0x03;
	memset(body + o, 0x11, 32);
	o += 32;
	body[o++] = 0; /* session id */
	o = put16(body, o, 2);
	o = put16(body, o, 0x002f);
	body[o++] = 1;
	body[o++] = 0;
	size_t ext = sl + 9;
	o = put16(body, o, (uint16_t)ext);
	o = put16(body, o, 0); /* server_name */
	o = put16(body, o, (uint16_t)(sl + 5));
	o = put16(body, o, (uint16_t)(sl + 3));
	body[o++] = 0;
	o = put16(body, o, (uint16_t)sl);
	memcpy(body + o, sni, sl);
	o += sl;
	size_t r = 0;
	b[r++] = 0x16;
	b[r++] = 0x03;
	b[r++] = 0x01;
	r = put16(b, r, (uint16_t)(o + 4));
	b[r++] = 1;
	b[r++] = 0;
	r = put16(b, r, (uint16_t)o);
	memcpy(b + r, body, o);
	return r + o;
}

static void test_tls_recognised_by_content_on_any_port(void)
{
	uint8_t d[512], f[600];
	start();
	feed(f, frame_ip(f, CLIENT, POOL, 6, 40001, 7777, 1, 0, 0x02, NULL, 0), 0, 1, 0);
	feed(f, frame_ip(f, POOL, CLIENT, 6, 7777, 40001, 900, 2, 0x12, NULL, 0), 0, 1, 1);
	size_t n = client_hello(d);
	feed(f, frame_ip(f, CLIENT, POOL, 6, 40001, 7777, 2, 901, 0x18, d, n), 0, 1, 2);
	/* plain text on another connection is not TLS and is dropped silently */
	feed(f, frame_ip(f, CLIENT, POOL, 6, 40002, 80, 1, 0, 0x02, NULL, 0), 0, 1, 3);
	feed(f, frame_ip(f, POOL, CLIENT, 6, 80, 40002, 900, 2, 0x12, NULL, 0), 0, 1, 4);
	feed(f, frame_ip(f, CLIENT, POOL, 6, 40002, 80, 2, 901, 0x18, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18), 0, 1, 5);
	finish();
	int hello = 0, errors = 0;
	for (size_t i = 0; i < nev; i++) {
		if (evs[i].type == SD_EV_TLS_CLIENT_HELLO) {
			hello++;
			CU_ASSERT_EQUAL(evs[i].frame, 3);
			CU_ASSERT_EQUAL(evs[i].dport, 7777);
			CU_ASSERT_STRING_EQUAL(evs[i].text, "sip.schertz.local");
		}
		if (evs[i].type == SD_EV_DECODE_ERROR)
			errors++;
	}
	CU_ASSERT_EQUAL(hello, 1);
	CU_ASSERT_EQUAL(errors, 0);
}

/* Counting events on a whole public capture, against what tshark counts
 * (MANIFEST.tsv). Skipped where the public folder is absent. */
struct counts {
	size_t q, r, certs, certs_total, errors;
};

static void count(void *ud, const struct sd_event *ev)
{
	struct counts *c = ud;
	if (ev->type == SD_EV_DNS_QUERY)
		c->q++;
	else if (ev->type == SD_EV_DNS_RESPONSE)
		c->r++;
	else if (ev->type == SD_EV_TLS_CERTIFICATE) {
		c->certs++;
		c->certs_total += ev->u.cert.n;
	} else if (ev->type == SD_EV_DECODE_ERROR)
		c->errors++;
}

static int run_public(const char *rel, struct counts *c, struct sd_run_info *ri)
{
	char path[1024];
	snprintf(path, sizeof path, "%s", sd_pubpath(rel));
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		printf("\n  SKIP: %s absent\n", rel);
		return 0;
	}
	fclose(fp);
	memset(c, 0, sizeof *c);
	sd_pipeline_run_file(path, NULL, count, c, ri);
	return 1;
}

static void test_public_dns_over_vlan(void)
{
	struct counts c;
	struct sd_run_info ri;
	if (!run_public("dnscap/vlan11.pcap", &c, &ri))
		return;
	CU_ASSERT_EQUAL(ri.frames, 133);
	CU_ASSERT_EQUAL(c.q, 41);
	CU_ASSERT_EQUAL(c.r, 41);
}

static void test_public_long_certificate(void)
{
	struct counts c;
	struct sd_run_info ri;
	if (!run_public("ndpi/tls_verylong_certificate.pcap", &c, &ri))
		return;
	CU_ASSERT_EQUAL(ri.frames, 48);
	CU_ASSERT_EQUAL(c.certs, 1);
	CU_ASSERT_EQUAL(c.certs_total, 2);
}

static void test_public_cut_file_keeps_earlier_results(void)
{
	struct counts c;
	struct sd_run_info ri;
	if (!run_public("derived/teams-cut-mid-record.pcap", &c, &ri))
		return;
	CU_ASSERT_EQUAL(ri.status, -2);
	CU_ASSERT_EQUAL(ri.frames, 621);
	/* 15 Certificate messages: tshark finds the same 15 frames with
	 * tcp.reassemble_out_of_order on; its default (and MANIFEST.tsv's 7)
	 * drops the 8 whose segments arrived out of order. */
	CU_ASSERT_EQUAL(c.certs, 15);
	CU_ASSERT_PTR_NOT_NULL(strstr(ri.error, "621"));
}

/* Apple PKTAP (link type 258) around Ethernet: the query tshark sees in
 * frame 1 (it was an "unsupported link type" decode-error before). */
static void test_public_pktap(void)
{
	struct counts c;
	struct sd_run_info ri;
	if (!run_public("tcpdump/LINKTYPE_PKTAP.pcap", &c, &ri))
		return;
	CU_ASSERT_EQUAL(ri.frames, 1);
	CU_ASSERT_EQUAL(c.q, 1);
	CU_ASSERT_EQUAL(c.r, 0);
	CU_ASSERT_EQUAL(c.errors, 0);
}

static const struct sd_test tests[] = {
	SD_TEST(test_udp_query_response_paired),
	SD_TEST(test_unanswered_query_reported),
	SD_TEST(test_unanswered_after_timeout_in_capture_time),
	SD_TEST(test_snaplen_cut_dns_is_truncated_not_malformed),
	SD_TEST(test_unsupported_link_reported_once),
	SD_TEST(test_non_ip_ignored),
	SD_TEST(test_dns_over_tcp_split_message),
	SD_TEST(test_tls_recognised_by_content_on_any_port),
	SD_TEST(test_public_dns_over_vlan),
	SD_TEST(test_public_long_certificate),
	SD_TEST(test_public_cut_file_keeps_earlier_results),
	SD_TEST(test_public_pktap),
	{ 0 },
};

int main(void) { return sd_run_tests("pipeline", tests); }
