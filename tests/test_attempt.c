/*
 * test_attempt.c - sign-in reconstruction on hand-built event sequences:
 * each test feeds the events the pipeline would emit and asserts the exact
 * steps, connections and attempt boundaries.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt.h"

#define MS 1000000LL
#define T0 1700000000000000000LL

static struct sd_dns_msg M; /* large: static */
static struct sd_attempts *S;
static struct sd_attempt *got[64];
static size_t ngot;

static const char *CLI = "10.0.0.5", *DNS = "10.0.0.1";
static uint8_t PROTO = 17; /* transport of the DNS events emitted */

static struct sd_addr ip(const char *s)
{
	struct sd_addr a;
	CU_ASSERT_FATAL(sd_addr_parse(s, &a) == 0);
	return a;
}

static void drain(void)
{
	struct sd_attempt *a;
	while ((a = sd_attempts_next(S)) && ngot < 64)
		got[ngot++] = a;
}

static void setup_opts(const char *profile, int64_t idle_ns)
{
	char err[256] = "";
	struct sd_attempt_opts o;
	memset(&o, 0, sizeof o);
	o.profile = profile;
	o.profiles_path = sd_srcpath("data/profiles.ini");
	o.idle_ns = idle_ns;
	o.settle_ns = 2000 * MS;
	o.err = err;
	o.errlen = sizeof err;
	S = sd_attempts_new(&o);
	CU_ASSERT_FATAL(S != NULL);
	ngot = 0;
}

static void setup(const char *profile) { setup_opts(profile, 0); }

static void finish(void)
{
	sd_attempts_finish(S);
	drain();
}

static void teardown(void)
{
	for (size_t i = 0; i < ngot; i++)
		sd_attempt_free(got[i]);
	ngot = 0;
	sd_attempts_free(S);
	S = NULL;
}

/* ------------------------------------------------------------ DNS events */

static void msg(uint16_t id, const char *qname, uint16_t qtype, int qr, int rcode)
{
	memset(&M, 0, sizeof M);
	M.id = id;
	M.qr = (uint8_t)qr;
	M.rd = 1;
	M.rcode = (uint16_t)rcode;
	M.qdcount = 1;
	M.has_question = 1;
	M.qname = qname;
	M.qtype = qtype;
	M.qclass = 1;
}

static struct sd_dns_rr *rr(int section, const char *owner, uint16_t type)
{
	struct sd_dns_rr *r = &M.rr[M.nrr++];
	r->section = (uint8_t)section;
	r->type = type;
	r->cls = 1;
	r->ttl = 300;
	r->name = owner;
	if (section == SD_DNS_AN)
		M.ancount++;
	else if (section == SD_DNS_AR)
		M.arcount++;
	return r;
}

static void rr_a(int section, const char *owner, const char *addr)
{
	struct sd_addr a = ip(addr);
	rr(section, owner, a.family == 4 ? SD_DNS_T_A : SD_DNS_T_AAAA)->u.addr = a;
}

static void rr_cname(const char *owner, const char *target) { rr(SD_DNS_AN, owner, SD_DNS_T_CNAME)->u.target = target; }

static void rr_srv(const char *owner, uint16_t port, const char *target)
{
	struct sd_dns_rr *r = rr(SD_DNS_AN, owner, SD_DNS_T_SRV);
	r->u.srv.priority = 0;
	r->u.srv.weight = 0;
	r->u.srv.port = port;
	r->u.srv.target = target;
}

static void emit_dns(enum sd_ev_type type, uint64_t frame, int64_t ms, const char *cli, uint64_t qframe, int64_t rtt)
{
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.frame = ev.frame_first = frame;
	ev.ts_ns = T0 + ms * MS;
	ev.proto = PROTO;
	if (type == SD_EV_DNS_RESPONSE) {
		ev.src = ip(DNS);
		ev.dst = ip(cli);
		ev.sport = 53;
		ev.dport = 50000;
	} else {
		ev.src = ip(cli);
		ev.dst = ip(DNS);
		ev.sport = 50000;
		ev.dport = 53;
	}
	ev.u.dns.msg = &M;
	ev.u.dns.query_frame = qframe;
	ev.u.dns.rtt_ns = rtt;
	sd_attempts_event(S, &ev);
	drain();
}

/* A query (frame f at ms) for name/type from cli. */
static void q(const char *cli, uint64_t f, int64_t ms, const char *name, uint16_t type, uint16_t id)
{
	msg(id, name, type, 0, 0);
	emit_dns(SD_EV_DNS_QUERY, f, ms, cli, 0, -1);
}

/* The response currently in M, answering the query in frame qf. */
static void resp(const char *cli, uint64_t f, int64_t ms, uint64_t qf)
{
	emit_dns(SD_EV_DNS_RESPONSE, f, ms, cli, qf, qf ? 1 * MS : -1);
}

/* Query in frame f, NXDOMAIN in frame f+1 one millisecond later. */
static void qnx(const char *cli, uint64_t f, int64_t ms, const char *name, uint16_t type)
{
	q(cli, f, ms, name, type, (uint16_t)f);
	msg((uint16_t)f, name, type, 1, SD_DNS_RCODE_NXDOMAIN);
	resp(cli, f + 1, ms + 1, f);
}

/* Query in frame f, one A record in frame f+1. */
static void qa(const char *cli, uint64_t f, int64_t ms, const char *name, const char *addr)
{
	q(cli, f, ms, name, SD_DNS_T_A, (uint16_t)f);
	msg((uint16_t)f, name, SD_DNS_T_A, 1, 0);
	rr_a(SD_DNS_AN, name, addr);
	resp(cli, f + 1, ms + 1, f);
}

static void srv_nx(const char *cli, uint64_t f, int64_t ms, const char *d)
{
	static const char *const pfx[] = { "_sipinternaltls._tcp.", "_sipinternal._tcp.", "_sip._tls.", "_sip._tcp." };
	for (int i = 0; i < 4; i++) {
		char n[256];
		snprintf(n, sizeof n, "%s%s", pfx[i], d);
		qnx(cli, f + 2 * (uint64_t)i, ms + i, n, SD_DNS_T_SRV);
	}
}

/* ------------------------------------------------------------ TCP / TLS */

static void tcpev(enum sd_ev_type type, uint64_t f, int64_t ms, const char *cli, const char *srv, uint16_t port,
		  uint64_t conn, int by_server)
{
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.frame = ev.frame_first = f;
	ev.ts_ns = T0 + ms * MS;
	ev.proto = 6;
	ev.src = ip(cli);
	ev.dst = ip(srv);
	ev.sport = 49000;
	ev.dport = port;
	ev.conn_id = conn;
	switch (type) {
	case SD_EV_TCP_SYN: case SD_EV_TCP_ESTABLISHED: case SD_EV_TCP_REFUSED: case SD_EV_TCP_RESET:
	case SD_EV_TCP_FIN: case SD_EV_TCP_TIMEOUT: case SD_EV_TCP_GAP:
		ev.u.tcp.by_server = (uint8_t)by_server;
		if (type == SD_EV_TCP_GAP)
			ev.u.tcp.gap_len = 1000;
		break;
	case SD_EV_TLS_ENCRYPTED:
		ev.u.enc.by_server = (uint8_t)by_server;
		break;
	case SD_EV_TLS_ALERT:
		ev.u.alert.level = 2;
		ev.u.alert.desc = 42; /* bad_certificate */
		ev.u.alert.by_server = (uint8_t)by_server;
		break;
	default:
		break;
	}
	sd_attempts_event(S, &ev);
	drain();
}

static void chello(uint64_t f, int64_t ms, const char *cli, const char *srv, uint64_t conn, const char *sni)
{
	struct sd_tls_client_hello h;
	memset(&h, 0, sizeof h);
	h.legacy_version = 0x0301;
	snprintf(h.sni, sizeof h.sni, "%s", sni);
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SD_EV_TLS_CLIENT_HELLO;
	ev.frame = ev.frame_first = f;
	ev.ts_ns = T0 + ms * MS;
	ev.proto = 6;
	ev.src = ip(cli);
	ev.dst = ip(srv);
	ev.dport = 5061;
	ev.conn_id = conn;
	ev.u.ch = &h;
	sd_attempts_event(S, &ev);
	drain();
}

static void shello(uint64_t f, int64_t ms, const char *cli, const char *srv, uint64_t conn, uint16_t version)
{
	struct sd_tls_server_hello h;
	memset(&h, 0, sizeof h);
	h.legacy_version = 0x0303;
	h.version = version;
	h.cipher = 0x002f;
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SD_EV_TLS_SERVER_HELLO;
	ev.frame = ev.frame_first = f;
	ev.ts_ns = T0 + ms * MS;
	ev.proto = 6;
	ev.src = ip(cli);
	ev.dst = ip(srv);
	ev.conn_id = conn;
	ev.u.sh = &h;
	sd_attempts_event(S, &ev);
	drain();
}

/* A self-signed certificate with CN and DNS SANs ("a,b"), as DER. */
static uint8_t *make_cert(const char *cn, const char *sans, int *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	CU_ASSERT_FATAL(k && x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (sans && *sans) {
		char buf[512];
		char *out = buf;
		size_t left = sizeof buf;
		char tmp[256];
		snprintf(tmp, sizeof tmp, "%s", sans);
		for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int w = snprintf(out, left, "%sDNS:%s", out == buf ? "" : ",", t);
			out += w;
			left -= (size_t)w;
		}
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, buf);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, k, EVP_sha256());
	uint8_t *der = NULL;
	*len = i2d_X509(x, &der);
	X509_free(x);
	EVP_PKEY_free(k);
	return der;
}

/* A server Certificate message carrying one certificate; the event's
 * decoded copy is freed right after, as the pipeline does. */
static void certev(uint64_t f, int64_t ms, const char *cli, const char *srv, uint64_t conn, const char *cn,
		   const char *sans)
{
	int len = 0;
	uint8_t *der = make_cert(cn, sans, &len);
	struct sd_cert c;
	char err[128];
	CU_ASSERT_FATAL(sd_x509_decode(der, (size_t)len, &c, err, sizeof err) == 0);
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SD_EV_TLS_CERTIFICATE;
	ev.frame = ev.frame_first = f;
	ev.ts_ns = T0 + ms * MS;
	ev.proto = 6;
	ev.src = ip(cli);
	ev.dst = ip(srv);
	ev.conn_id = conn;
	ev.u.cert.certs = &c;
	ev.u.cert.n = 1;
	ev.u.cert.total = 1;
	sd_attempts_event(S, &ev);
	sd_x509_free(&c);
	memset(der, 0, (size_t)len); /* the copy must not point here */
	OPENSSL_free(der);
	drain();
}

/* SYN, SYN/ACK, ClientHello, ServerHello, Certificate from frame f. */
static void tls_to(uint64_t f, int64_t ms, const char *cli, const char *srv, uint64_t conn, const char *cn,
		   const char *sans)
{
	tcpev(SD_EV_TCP_SYN, f, ms, cli, srv, 5061, conn, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, f + 1, ms + 1, cli, srv, 5061, conn, 1);
	chello(f + 3, ms + 2, cli, srv, conn, "");
	shello(f + 4, ms + 3, cli, srv, conn, 0x0301);
	certev(f + 5, ms + 3, cli, srv, conn, cn, sans);
}

static const struct sd_step *step(const struct sd_attempt *a, size_t i)
{
	CU_ASSERT_FATAL(i < a->nsteps);
	return &a->steps[i];
}

/* ---------------------------------------------------------------- tests */

/* ORIG: three sign-ins by one client for schertz.local. */
static void test_lab_story(void)
{
	setup("oc2007");
	/* 1: no SRV, every fallback name NXDOMAIN. */
	srv_nx(CLI, 1, 0, "schertz.local");
	qnx(CLI, 9, 10, "sipinternal.schertz.local", SD_DNS_T_A);
	qnx(CLI, 11, 11, "sip.schertz.local", SD_DNS_T_A);
	qnx(CLI, 13, 12, "sipexternal.schertz.local", SD_DNS_T_A);
	CU_ASSERT_EQUAL(ngot, 0); /* settling */
	/* 2, one second later (restart within settle): sipinternal CNAME to
	 * the pool, whose certificate lacks sipinternal. */
	srv_nx(CLI, 21, 1000, "schertz.local");
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT_EQUAL(got[0]->end_reason, SD_END_RESTART);
	q(CLI, 29, 1010, "sipinternal.schertz.local", SD_DNS_T_A, 29);
	msg(29, "sipinternal.schertz.local", SD_DNS_T_A, 1, 0);
	rr_cname("sipinternal.schertz.local", "ocs.schertz.local");
	rr_a(SD_DNS_AN, "ocs.schertz.local", "10.0.0.10");
	resp(CLI, 30, 1011, 29);
	tls_to(31, 1020, CLI, "10.0.0.10", 1, "ocs.schertz.local", "ocs.schertz.local,sip.schertz.local");
	tcpev(SD_EV_TLS_ALERT, 37, 1030, CLI, "10.0.0.10", 5061, 1, 0);
	tcpev(SD_EV_TCP_FIN, 38, 1031, CLI, "10.0.0.10", 5061, 1, 0);
	/* 3, ten seconds later: sipinternal gone, sip A, handshake done. */
	srv_nx(CLI, 41, 10000, "schertz.local");
	CU_ASSERT_EQUAL_FATAL(ngot, 2);
	CU_ASSERT_EQUAL(got[1]->end_reason, SD_END_GAVE_UP);
	qnx(CLI, 49, 10010, "sipinternal.schertz.local", SD_DNS_T_A);
	qa(CLI, 51, 10011, "sip.schertz.local", "10.0.0.10");
	tls_to(53, 10020, CLI, "10.0.0.10", 2, "ocs.schertz.local", "ocs.schertz.local,sip.schertz.local");
	tcpev(SD_EV_TLS_ENCRYPTED, 59, 10030, CLI, "10.0.0.10", 5061, 2, 0);
	CU_ASSERT_EQUAL(ngot, 2);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 3);

	const struct sd_attempt *a = got[0];
	static const enum sd_role r1[] = { SD_ROLE_S1, SD_ROLE_S2, SD_ROLE_S3, SD_ROLE_S4,
					   SD_ROLE_F1, SD_ROLE_F2, SD_ROLE_F3 };
	CU_ASSERT_EQUAL(a->id, 1);
	CU_ASSERT_STRING_EQUAL(a->domain, "schertz.local");
	CU_ASSERT_STRING_EQUAL(a->profile, "oc2007");
	CU_ASSERT_EQUAL(a->profile_auto, 0);
	CU_ASSERT_EQUAL(a->frame_first, 1);
	CU_ASSERT_EQUAL(a->frame_last, 14);
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 7);
	for (size_t i = 0; i < 7; i++) {
		const struct sd_step *st = step(a, i);
		CU_ASSERT_EQUAL(st->role, r1[i]);
		CU_ASSERT_EQUAL(st->order, i + 1);
		CU_ASSERT_EQUAL(st->frame, 1 + 2 * i);
		CU_ASSERT_EQUAL(st->resp_frame, st->frame + 1);
		CU_ASSERT_EQUAL(st->rcode, SD_DNS_RCODE_NXDOMAIN);
		CU_ASSERT_EQUAL(st->state, SD_STEP_ANSWERED);
		CU_ASSERT_EQUAL(st->resolved, 0);
		CU_ASSERT_EQUAL(st->rtt_ns, 1 * MS);
		CU_ASSERT_EQUAL(st->parent, -1);
		CU_ASSERT_EQUAL(st->conn, -1);
	}
	CU_ASSERT_EQUAL(step(a, 0)->qtype, SD_DNS_T_SRV);
	CU_ASSERT_STRING_EQUAL(step(a, 0)->name, "_sipinternaltls._tcp.schertz.local");
	CU_ASSERT_STRING_EQUAL(step(a, 5)->expected, "sip.schertz.local");
	CU_ASSERT_EQUAL(a->nconns, 0);
	CU_ASSERT_EQUAL(a->evidence_incomplete, 0);
	CU_ASSERT_EQUAL(a->checked, 1);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);

	a = got[1];
	CU_ASSERT_EQUAL(a->id, 2);
	CU_ASSERT_EQUAL(a->frame_first, 21);
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 5);
	const struct sd_step *f1 = step(a, 4);
	CU_ASSERT_EQUAL(f1->role, SD_ROLE_F1);
	CU_ASSERT_EQUAL(f1->resolved, 1);
	CU_ASSERT_EQUAL(f1->via_cname, 1);
	CU_ASSERT_STRING_EQUAL(f1->canonical, "ocs.schertz.local");
	CU_ASSERT_STRING_EQUAL(f1->expected, "sipinternal.schertz.local");
	CU_ASSERT_EQUAL(f1->nanswers, 2);
	CU_ASSERT_EQUAL(f1->rcode, 0);
	CU_ASSERT_EQUAL(f1->conn, 0);
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	const struct sd_conn *c = &a->conns[0];
	CU_ASSERT_EQUAL(c->step, 4);
	CU_ASSERT_STRING_EQUAL(c->expected, "sipinternal.schertz.local");
	CU_ASSERT_EQUAL(c->outcome, SD_CONN_TLS_ALERT);
	CU_ASSERT_EQUAL(c->syn_frame, 31);
	CU_ASSERT_EQUAL(c->synack_frame, 32);
	CU_ASSERT_EQUAL(c->ch_frame, 34);
	CU_ASSERT_EQUAL(c->sh_frame, 35);
	CU_ASSERT_EQUAL(c->cert_frame, 36);
	CU_ASSERT_EQUAL(c->alert_frame, 37);
	CU_ASSERT_EQUAL(c->end_frame, 38);
	CU_ASSERT_EQUAL(c->alert_desc, 42);
	CU_ASSERT_EQUAL(c->alert_by_server, 0);
	CU_ASSERT_EQUAL(c->enc_frame, 0);
	CU_ASSERT_EQUAL(c->sport, 5061);
	CU_ASSERT_EQUAL(c->version_offered, 0x0301);
	CU_ASSERT_EQUAL(c->version, 0x0301);
	CU_ASSERT_EQUAL(c->midstream, 0);
	CU_ASSERT_EQUAL_FATAL(c->ncerts, 1);
	CU_ASSERT_EQUAL(c->certs_total, 1);
	CU_ASSERT_EQUAL(c->certs[0].decoded, 1);
	CU_ASSERT_STRING_EQUAL(c->certs[0].cert.cn, "ocs.schertz.local");
	CU_ASSERT_EQUAL_FATAL(c->certs[0].cert.nsan_dns, 2);
	CU_ASSERT_STRING_EQUAL(c->certs[0].cert.san_dns[1], "sip.schertz.local");
	CU_ASSERT_PTR_EQUAL(c->certs[0].cert.der, c->certs[0].der);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_FAILED);
	int san = 0;
	for (size_t i = 0; i < a->nfindings; i++)
		san |= strcmp(a->findings[i].code, "CERT-SAN") == 0 && a->findings[i].severity == SD_SEV_ERROR;
	CU_ASSERT(san);

	a = got[2];
	CU_ASSERT_EQUAL(a->id, 3);
	CU_ASSERT_EQUAL(a->end_reason, SD_END_CONNECTED); /* settled by the end of input */
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 6);
	CU_ASSERT_EQUAL(step(a, 4)->rcode, SD_DNS_RCODE_NXDOMAIN);
	CU_ASSERT_EQUAL(step(a, 5)->role, SD_ROLE_F2);
	CU_ASSERT_EQUAL(step(a, 5)->resolved, 1);
	CU_ASSERT_EQUAL(step(a, 5)->via_cname, 0);
	CU_ASSERT_STRING_EQUAL(step(a, 5)->canonical, "");
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].step, 5);
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_HANDSHAKE_DONE);
	CU_ASSERT_EQUAL(a->conns[0].enc_frame, 59);
	CU_ASSERT_STRING_EQUAL(a->conns[0].expected, "sip.schertz.local");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT_EQUAL(sd_attempts_completed(S), 3);
	CU_ASSERT_EQUAL(sd_attempts_open(S), 0);
	teardown();
}

static void test_two_clients_interleaved(void)
{
	setup(NULL);
	const char *B = "10.0.0.6";
	q(CLI, 1, 0, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1);
	q(B, 2, 1, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1);
	msg(1, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1, SD_DNS_RCODE_NXDOMAIN);
	resp(B, 3, 2, 2);
	resp(CLI, 4, 3, 1);
	qa(B, 5, 4, "sipinternal.contoso.com", "10.0.1.1");
	qnx(CLI, 7, 5, "sipinternal.contoso.com", SD_DNS_T_A);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 2);
	const struct sd_attempt *a = got[0]->id == 1 ? got[0] : got[1];
	const struct sd_attempt *b = got[0]->id == 1 ? got[1] : got[0];
	CU_ASSERT_EQUAL(a->id, 1);
	CU_ASSERT_EQUAL(b->id, 2);
	char buf[SD_ADDRSTRLEN];
	CU_ASSERT_STRING_EQUAL(sd_addr_str(&a->client, buf, sizeof buf), "10.0.0.5");
	CU_ASSERT_STRING_EQUAL(sd_addr_str(&b->client, buf, sizeof buf), "10.0.0.6");
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	CU_ASSERT_EQUAL_FATAL(b->nsteps, 2);
	CU_ASSERT_EQUAL(step(a, 0)->resp_frame, 4);
	CU_ASSERT_EQUAL(step(b, 0)->resp_frame, 3);
	CU_ASSERT_EQUAL(step(a, 1)->rcode, SD_DNS_RCODE_NXDOMAIN);
	CU_ASSERT_EQUAL(step(b, 1)->resolved, 1);
	CU_ASSERT_EQUAL(a->end_reason, SD_END_CAPTURE_END);
	CU_ASSERT_EQUAL(a->profile_auto, 1);
	CU_ASSERT_STRING_EQUAL(a->profile, "oc2007");
	teardown();
}

static void test_suffix_retry(void)
{
	setup(NULL);
	qnx(CLI, 1, 0, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV);
	qnx(CLI, 3, 1, "_sipinternaltls._tcp.contoso.com.corp.local", SD_DNS_T_SRV);
	qnx(CLI, 5, 2, "sip.contoso.com", SD_DNS_T_A);
	q(CLI, 7, 3, "sip.contoso.com.corp.local", SD_DNS_T_A, 7);
	msg(7, "sip.contoso.com.corp.local", SD_DNS_T_A, 1, 0);
	rr_a(SD_DNS_AN, "sip.contoso.com.corp.local", "10.0.2.2");
	resp(CLI, 8, 4, 7);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_STRING_EQUAL(a->domain, "contoso.com");
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	const struct sd_step *s1 = step(a, 0), *f2 = step(a, 1);
	CU_ASSERT_EQUAL(s1->role, SD_ROLE_S1);
	CU_ASSERT_EQUAL_FATAL(s1->nqueries, 2);
	CU_ASSERT_EQUAL(s1->queries[0].suffix_retry, 0);
	CU_ASSERT_EQUAL(s1->queries[1].suffix_retry, 1);
	CU_ASSERT_EQUAL(s1->queries[1].retransmit, 0);
	CU_ASSERT_EQUAL(s1->retries, 1);
	CU_ASSERT_EQUAL(s1->rcode, SD_DNS_RCODE_NXDOMAIN);
	CU_ASSERT_EQUAL(s1->resp_frame, 2); /* the name itself decides a failure */
	CU_ASSERT_STRING_EQUAL(s1->queried, "_sipinternaltls._tcp.contoso.com");
	CU_ASSERT_EQUAL(f2->role, SD_ROLE_F2);
	CU_ASSERT_EQUAL(f2->order, 2);
	CU_ASSERT_EQUAL(f2->nqueries, 2);
	CU_ASSERT_EQUAL(f2->resolved, 1);
	CU_ASSERT_EQUAL(f2->rcode, 0);
	CU_ASSERT_EQUAL(f2->resp_frame, 8);
	CU_ASSERT_STRING_EQUAL(f2->name, "sip.contoso.com");
	CU_ASSERT_STRING_EQUAL(f2->queried, "sip.contoso.com.corp.local");
	CU_ASSERT_STRING_EQUAL(f2->expected, "sip.contoso.com");
	teardown();
}

static void test_a_aaaa_grouped(void)
{
	setup(NULL);
	q(CLI, 1, 0, "SIP.Contoso.com.", SD_DNS_T_A, 1);
	q(CLI, 2, 0, "sip.contoso.com", SD_DNS_T_AAAA, 2);
	msg(2, "sip.contoso.com", SD_DNS_T_AAAA, 1, 0);
	resp(CLI, 3, 1, 2); /* NOERROR, no data */
	msg(1, "sip.contoso.com", SD_DNS_T_A, 1, 0);
	rr_a(SD_DNS_AN, "sip.contoso.com", "10.0.3.3");
	resp(CLI, 4, 2, 1);
	/* AAAA only for another name */
	q(CLI, 5, 3, "sipexternal.contoso.com", SD_DNS_T_AAAA, 5);
	msg(5, "sipexternal.contoso.com", SD_DNS_T_AAAA, 1, 0);
	rr_a(SD_DNS_AN, "sipexternal.contoso.com", "2001:db8::5");
	resp(CLI, 6, 4, 5);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_STRING_EQUAL(a->domain, "contoso.com");
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	const struct sd_step *st = step(a, 0);
	CU_ASSERT_STRING_EQUAL(st->name, "sip.contoso.com");
	CU_ASSERT_EQUAL(st->qtype, SD_DNS_T_A);
	CU_ASSERT_EQUAL(st->nqueries, 2);
	CU_ASSERT_EQUAL(st->retries, 0);
	CU_ASSERT_EQUAL(st->resolved, 1);
	CU_ASSERT_EQUAL(st->resp_frame, 4);
	CU_ASSERT_EQUAL(st->frame, 1);
	CU_ASSERT_EQUAL(st->nanswers, 1);
	CU_ASSERT_EQUAL(st->queries[1].resp_frame, 3);
	CU_ASSERT_EQUAL(st->queries[1].nanswers, 0);
	CU_ASSERT_EQUAL(step(a, 1)->qtype, SD_DNS_T_AAAA);
	CU_ASSERT_EQUAL(step(a, 1)->role, SD_ROLE_F3);
	CU_ASSERT_EQUAL(step(a, 1)->resolved, 1);
	CU_ASSERT_EQUAL(step(a, 1)->answers[0].addr.family, 6);
	teardown();
}

static void test_srv_additional_and_target(void)
{
	setup("lync2010");
	q(CLI, 1, 0, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1);
	msg(1, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1, 0);
	rr_srv("_sipinternaltls._tcp.contoso.com", 5061, "pool.contoso.com");
	rr_a(SD_DNS_AR, "pool.contoso.com", "10.0.4.4");
	rr_a(SD_DNS_AR, "unrelated.contoso.com", "10.0.4.99");
	resp(CLI, 2, 1, 1);
	/* straight to the additional-section address */
	tcpev(SD_EV_TCP_SYN, 3, 10, CLI, "10.0.4.4", 5061, 11, 0);
	tcpev(SD_EV_TCP_REFUSED, 4, 11, CLI, "10.0.4.4", 5061, 11, 1);
	/* then the target's own lookup, and a second connection */
	qa(CLI, 5, 20, "pool.contoso.com", "10.0.4.4");
	tcpev(SD_EV_TCP_SYN, 7, 30, CLI, "10.0.4.4", 5061, 12, 0);
	tcpev(SD_EV_TCP_TIMEOUT, 8, 3030, CLI, "10.0.4.4", 5061, 12, 0);
	/* a connection elsewhere is not ours */
	tcpev(SD_EV_TCP_SYN, 9, 3040, CLI, "192.0.2.1", 443, 13, 0);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	const struct sd_step *s1 = step(a, 0), *tg = step(a, 1);
	CU_ASSERT_EQUAL(s1->resolved, 1);
	CU_ASSERT_EQUAL(s1->nanswers, 2); /* SRV + the target's A, not the unrelated one */
	CU_ASSERT_EQUAL(s1->answers[1].section, SD_DNS_AR);
	CU_ASSERT_STRING_EQUAL(s1->expected, "pool.contoso.com");
	CU_ASSERT_EQUAL(s1->answers[0].port, 5061);
	CU_ASSERT_EQUAL(tg->role, SD_ROLE_SRV_TARGET);
	CU_ASSERT_EQUAL(tg->parent, 0);
	CU_ASSERT_STRING_EQUAL(tg->expected, "pool.contoso.com");
	CU_ASSERT_EQUAL_FATAL(a->nconns, 2);
	CU_ASSERT_EQUAL(a->conns[0].step, 0);
	CU_ASSERT_STRING_EQUAL(a->conns[0].expected, "pool.contoso.com");
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_REFUSED);
	CU_ASSERT_EQUAL(a->conns[0].end_frame, 4);
	CU_ASSERT_EQUAL(a->conns[0].closed_by_server, 1);
	CU_ASSERT_EQUAL(a->conns[1].step, 1);
	CU_ASSERT_EQUAL(a->conns[1].outcome, SD_CONN_TIMEOUT);
	CU_ASSERT_EQUAL(s1->conn, 0);
	CU_ASSERT_EQUAL(tg->conn, 1);
	teardown();
}

/* A truncated UDP answer is retried over TCP: the TCP answer decides and
 * the SRV target is the one with the lowest priority. */
/* An SRV target named sip.D is the SRV path, not fallback F2; SNI picks
 * between two steps that gave the same address. */
static void test_srv_target_sip_and_sni(void)
{
	setup("lync2013");
	q(CLI, 1, 0, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1);
	msg(1, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, 1, 0);
	rr_srv("_sipinternaltls._tcp.contoso.com", 5061, "sip.contoso.com");
	resp(CLI, 2, 1, 1);
	qa(CLI, 3, 2, "sip.contoso.com", "10.0.10.1");
	qa(CLI, 5, 3, "sipinternal.contoso.com", "10.0.10.1");
	tcpev(SD_EV_TCP_SYN, 7, 10, CLI, "10.0.10.1", 5061, 71, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 8, 11, CLI, "10.0.10.1", 5061, 71, 1);
	chello(9, 12, CLI, "10.0.10.1", 71, "sip.contoso.com");
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 3);
	CU_ASSERT_EQUAL(step(a, 1)->role, SD_ROLE_SRV_TARGET);
	CU_ASSERT_EQUAL(step(a, 1)->parent, 0);
	CU_ASSERT_EQUAL(step(a, 2)->role, SD_ROLE_F1);
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].step, 1); /* the latest answer was F1's; SNI says the target */
	CU_ASSERT_STRING_EQUAL(a->conns[0].expected, "sip.contoso.com");
	CU_ASSERT_EQUAL(step(a, 1)->conn, 0);
	CU_ASSERT_EQUAL(step(a, 2)->conn, -1);
	teardown();
}

static void test_tc_then_tcp(void)
{
	setup("oc2007");
	const char *n = "_sipinternaltls._tcp.contoso.com";
	q(CLI, 1, 0, n, SD_DNS_T_SRV, 1);
	msg(1, n, SD_DNS_T_SRV, 1, 0);
	M.tc = 1;
	rr_srv(n, 5061, "backup.contoso.com");
	M.rr[0].u.srv.priority = 20;
	resp(CLI, 2, 1, 1);
	PROTO = 6;
	msg(1, n, SD_DNS_T_SRV, 0, 0);
	emit_dns(SD_EV_DNS_QUERY, 5, 3, CLI, 0, -1);
	msg(1, n, SD_DNS_T_SRV, 1, 0);
	rr_srv(n, 5061, "backup.contoso.com");
	M.rr[0].u.srv.priority = 20;
	rr_srv(n, 5061, "pool.contoso.com");
	M.rr[1].u.srv.priority = 10;
	resp(CLI, 7, 4, 5);
	PROTO = 17;
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_step *st = step(got[0], 0);
	CU_ASSERT_EQUAL(got[0]->nsteps, 1);
	CU_ASSERT_EQUAL(st->nqueries, 2);
	CU_ASSERT_EQUAL(st->queries[0].tc, 1);
	CU_ASSERT_EQUAL(st->queries[0].nanswers, 0); /* not used by the client */
	CU_ASSERT_EQUAL(st->queries[1].retransmit, 1);
	CU_ASSERT_EQUAL(st->retries, 1);
	CU_ASSERT_EQUAL(st->tc, 1);
	CU_ASSERT_EQUAL(st->resp_frame, 7);
	CU_ASSERT_EQUAL(st->transport, 6);
	CU_ASSERT_EQUAL(st->queries[0].transport, 17);
	CU_ASSERT_EQUAL(st->nanswers, 2);
	CU_ASSERT_EQUAL(st->resolved, 1);
	CU_ASSERT_STRING_EQUAL(st->expected, "pool.contoso.com");
	teardown();
}

static void test_retransmit_and_unanswered(void)
{
	setup(NULL);
	q(CLI, 1, 0, "sipinternal.contoso.com", SD_DNS_T_A, 9);
	q(CLI, 2, 1000, "sipinternal.contoso.com", SD_DNS_T_A, 9);
	msg(9, "sipinternal.contoso.com", SD_DNS_T_A, 1, SD_DNS_RCODE_NXDOMAIN);
	resp(CLI, 3, 1001, 2);
	q(CLI, 4, 1100, "sip.contoso.com", SD_DNS_T_A, 10);
	msg(10, "sip.contoso.com", SD_DNS_T_A, 0, 0);
	emit_dns(SD_EV_DNS_UNANSWERED, 4, 1100, CLI, 4, -1);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	const struct sd_step *f1 = step(a, 0), *f2 = step(a, 1);
	CU_ASSERT_EQUAL_FATAL(f1->nqueries, 2);
	CU_ASSERT_EQUAL(f1->queries[1].retransmit, 1);
	CU_ASSERT_EQUAL(f1->queries[0].resp_frame, 0);
	CU_ASSERT_EQUAL(f1->queries[0].rcode, -1);
	CU_ASSERT_EQUAL(f1->retries, 1);
	CU_ASSERT_EQUAL(f1->frame, 1);
	CU_ASSERT_EQUAL(f1->resp_frame, 3);
	CU_ASSERT_EQUAL(f1->state, SD_STEP_ANSWERED);
	CU_ASSERT_EQUAL(f2->state, SD_STEP_UNANSWERED);
	CU_ASSERT_EQUAL(f2->rcode, -1);
	CU_ASSERT_EQUAL(f2->resp_frame, 0);
	CU_ASSERT_EQUAL(f2->rtt_ns, -1);
	CU_ASSERT_EQUAL(f2->resolved, 0);
	CU_ASSERT_EQUAL(f2->ts_done_ns, T0 + 1100 * MS);
	teardown();
}

static void test_idle_timeout(void)
{
	setup_opts("oc2007", 5000 * MS);
	qnx(CLI, 1, 0, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV);
	q("10.0.0.7", 3, 4999, "_sipinternaltls._tcp.fabrikam.com", SD_DNS_T_SRV, 3);
	CU_ASSERT_EQUAL(ngot, 0);
	CU_ASSERT_EQUAL(sd_attempts_open(S), 2);
	sd_attempts_tick(S, T0 + 5001 * MS);
	drain();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT_EQUAL(got[0]->end_reason, SD_END_IDLE);
	CU_ASSERT_STRING_EQUAL(got[0]->domain, "contoso.com");
	CU_ASSERT_EQUAL(sd_attempts_open(S), 1);
	/* the same client and domain later: a new attempt, id after fabrikam's */
	qnx(CLI, 4, 6000, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 3);
	CU_ASSERT_EQUAL(got[1]->id, 2);
	CU_ASSERT_EQUAL(got[1]->end_reason, SD_END_CAPTURE_END);
	CU_ASSERT_EQUAL(got[1]->steps[0].state, SD_STEP_PENDING);
	CU_ASSERT_EQUAL(got[2]->id, 3);
	teardown();
}

static void test_mid_capture_start(void)
{
	setup(NULL);
	msg(4, "sip.contoso.com", SD_DNS_T_A, 1, 0);
	rr_a(SD_DNS_AN, "sip.contoso.com", "10.0.5.5");
	resp(CLI, 7, 0, 0);
	chello(9, 10, CLI, "10.0.5.5", 21, "sip.contoso.com");
	tcpev(SD_EV_TCP_GAP, 10, 11, CLI, "10.0.5.5", 5061, 21, 1);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL(a->evidence_incomplete, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(a->incomplete_why, "response without its query"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a->incomplete_why, "before the capture"));
	CU_ASSERT_EQUAL_FATAL(a->nincomplete_frames, 3);
	CU_ASSERT_EQUAL(a->incomplete_frames[0], 7);
	CU_ASSERT_EQUAL(a->incomplete_frames[1], 9);
	CU_ASSERT_EQUAL(a->incomplete_frames[2], 10);
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 1);
	CU_ASSERT_EQUAL(step(a, 0)->frame, 0);
	CU_ASSERT_EQUAL(step(a, 0)->queries[0].frame, 0);
	CU_ASSERT_EQUAL(step(a, 0)->resp_frame, 7);
	CU_ASSERT_EQUAL(step(a, 0)->rtt_ns, -1);
	CU_ASSERT_EQUAL(step(a, 0)->resolved, 1);
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].midstream, 1);
	CU_ASSERT_STRING_EQUAL(a->conns[0].sni, "sip.contoso.com");
	CU_ASSERT_EQUAL(a->conns[0].gap_bytes, 1000);
	CU_ASSERT_EQUAL(a->conns[0].gap_frame, 10);
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_INCOMPLETE);
	teardown();
}

/* Lync 2013: Autodiscover over HTTPS, then the pool it named. */
static void test_autodiscover_pool(void)
{
	setup(NULL);
	qa(CLI, 1, 0, "lyncdiscoverinternal.contoso.com", "10.0.6.1");
	tcpev(SD_EV_TCP_SYN, 3, 10, CLI, "10.0.6.1", 443, 31, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 4, 11, CLI, "10.0.6.1", 443, 31, 1);
	chello(5, 12, CLI, "10.0.6.1", 31, "lyncdiscoverinternal.contoso.com");
	tcpev(SD_EV_TLS_ENCRYPTED, 6, 13, CLI, "10.0.6.1", 443, 31, 0);
	qa(CLI, 7, 5000, "pool01.contoso.com", "10.0.6.2"); /* past settle: AD alone does not end it */
	tls_to(9, 5010, CLI, "10.0.6.2", 32, "pool01.contoso.com", "pool01.contoso.com");
	tcpev(SD_EV_TLS_ENCRYPTED, 15, 5020, CLI, "10.0.6.2", 5061, 32, 0);
	tcpev(SD_EV_TLS_ENCRYPTED, 16, 7100, CLI, "10.0.6.2", 5061, 32, 1); /* a late event ends settle */
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL(a->end_reason, SD_END_CONNECTED);
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	CU_ASSERT_EQUAL(step(a, 0)->role, SD_ROLE_AD1);
	CU_ASSERT_STRING_EQUAL(step(a, 0)->expected, "lyncdiscoverinternal.contoso.com");
	CU_ASSERT_EQUAL(step(a, 1)->role, SD_ROLE_POOL);
	CU_ASSERT_EQUAL(step(a, 1)->parent, 0);
	CU_ASSERT_STRING_EQUAL(step(a, 1)->expected, "pool01.contoso.com");
	CU_ASSERT_EQUAL_FATAL(a->nconns, 2);
	CU_ASSERT_EQUAL(a->conns[0].step, 0);
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_HANDSHAKE_DONE);
	CU_ASSERT_EQUAL(a->conns[1].step, 1);
	CU_ASSERT_EQUAL(a->conns[1].outcome, SD_CONN_HANDSHAKE_DONE);
	CU_ASSERT_STRING_EQUAL(a->profile, "store-app"); /* auto: only lyncdiscover* seen */
	teardown();
}

/* The CNAME target asked separately inherits the name the client expects. */
static void test_cname_target_and_plain_tcp(void)
{
	setup("oc2007");
	q(CLI, 1, 0, "sip.contoso.com", SD_DNS_T_A, 1);
	msg(1, "sip.contoso.com", SD_DNS_T_A, 1, 0);
	rr_cname("sip.contoso.com", "fe.contoso.com");
	resp(CLI, 2, 1, 1);
	qa(CLI, 3, 2, "fe.contoso.com", "10.0.7.7");
	tcpev(SD_EV_TCP_SYN, 5, 10, CLI, "10.0.7.7", 5060, 41, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 6, 11, CLI, "10.0.7.7", 5060, 41, 1);
	CU_ASSERT_EQUAL(ngot, 0);
	sd_attempts_tick(S, T0 + 2011 * MS);
	drain();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL(a->end_reason, SD_END_CONNECTED);
	CU_ASSERT_EQUAL_FATAL(a->nsteps, 2);
	CU_ASSERT_EQUAL(step(a, 0)->resolved, 0); /* CNAME only: no address */
	CU_ASSERT_EQUAL(step(a, 0)->via_cname, 1);
	CU_ASSERT_STRING_EQUAL(step(a, 0)->canonical, "fe.contoso.com");
	CU_ASSERT_EQUAL(step(a, 1)->role, SD_ROLE_CNAME_TARGET);
	CU_ASSERT_EQUAL(step(a, 1)->parent, 0);
	CU_ASSERT_STRING_EQUAL(step(a, 1)->expected, "sip.contoso.com");
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_PLAIN_TCP);
	CU_ASSERT_STRING_EQUAL(a->conns[0].expected, "sip.contoso.com");
	teardown();
}

static int has_finding(const struct sd_attempt *a, const char *code)
{
	for (size_t i = 0; i < a->nfindings; i++)
		if (!strcmp(a->findings[i].code, code))
			return 1;
	return 0;
}

/* Plain TCP needs evidence from the discovery (a TCP SRV record, or port
 * 5060): the pipeline reports nothing for non-TLS bytes, so a connection to
 * a TLS server cut off before its ClientHello is incomplete, not a sign-in
 * (lab-all.pcapng cut at frame 27 used to give SIGNED_IN + TRANSPORT_TCP). */
static void test_established_without_tls(void)
{
	/* fallback name, port 5061, the capture ends after the handshake's ACK */
	setup("oc2007");
	srv_nx(CLI, 1, 0, "contoso.com");
	qa(CLI, 9, 10, "sipinternal.contoso.com", "10.0.7.8");
	tcpev(SD_EV_TCP_SYN, 11, 20, CLI, "10.0.7.8", 5061, 71, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 12, 21, CLI, "10.0.7.8", 5061, 71, 1);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_INCOMPLETE);
	CU_ASSERT_EQUAL(a->end_reason, SD_END_CAPTURE_END);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE);
	CU_ASSERT(has_finding(a, "EVIDENCE_INCOMPLETE"));
	CU_ASSERT(!has_finding(a, "TRANSPORT_TCP"));
	teardown();

	/* the same connection closed by the client without a ClientHello failed */
	setup("oc2007");
	srv_nx(CLI, 1, 0, "contoso.com");
	qa(CLI, 9, 10, "sipinternal.contoso.com", "10.0.7.8");
	tcpev(SD_EV_TCP_SYN, 11, 20, CLI, "10.0.7.8", 5061, 72, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 12, 21, CLI, "10.0.7.8", 5061, 72, 1);
	tcpev(SD_EV_TCP_FIN, 13, 22, CLI, "10.0.7.8", 5061, 72, 0);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	CU_ASSERT_EQUAL_FATAL(got[0]->nconns, 1);
	CU_ASSERT_EQUAL(got[0]->conns[0].outcome, SD_CONN_CLOSED);
	CU_ASSERT(!has_finding(got[0], "TRANSPORT_TCP"));
	teardown();

	/* reached through _sipinternal._tcp (T28), even on another port: plain TCP */
	setup("oc2007");
	qnx(CLI, 1, 0, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV);
	q(CLI, 3, 2, "_sipinternal._tcp.contoso.com", SD_DNS_T_SRV, 3);
	msg(3, "_sipinternal._tcp.contoso.com", SD_DNS_T_SRV, 1, 0);
	rr_srv("_sipinternal._tcp.contoso.com", 5070, "pool.contoso.com");
	resp(CLI, 4, 3, 3);
	qnx(CLI, 5, 4, "_sip._tls.contoso.com", SD_DNS_T_SRV);
	qnx(CLI, 7, 6, "_sip._tcp.contoso.com", SD_DNS_T_SRV);
	qa(CLI, 9, 10, "pool.contoso.com", "10.0.7.9");
	tcpev(SD_EV_TCP_SYN, 11, 20, CLI, "10.0.7.9", 5070, 73, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 12, 21, CLI, "10.0.7.9", 5070, 73, 1);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	a = got[0];
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].outcome, SD_CONN_PLAIN_TCP);
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_SIGNED_IN);
	CU_ASSERT(has_finding(a, "TRANSPORT_TCP"));
	CU_ASSERT_STRING_EQUAL(a->expected_name, ""); /* no certificate on plain TCP */
	teardown();
}

/* TLS 1.3 hides the certificate; a TCP gap and a reset. */
static void test_tls13_and_reset(void)
{
	setup("oc2007");
	qa(CLI, 1, 0, "sipinternal.contoso.com", "10.0.8.8");
	tcpev(SD_EV_TCP_SYN, 3, 10, CLI, "10.0.8.8", 5061, 51, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 4, 11, CLI, "10.0.8.8", 5061, 51, 1);
	chello(5, 12, CLI, "10.0.8.8", 51, "");
	shello(6, 13, CLI, "10.0.8.8", 51, 0x0304);
	tcpev(SD_EV_TCP_RESET, 7, 14, CLI, "10.0.8.8", 5061, 51, 1);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL(a->end_reason, SD_END_GAVE_UP);
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	const struct sd_conn *c = &a->conns[0];
	CU_ASSERT_EQUAL(c->outcome, SD_CONN_RESET);
	CU_ASSERT_EQUAL(c->cert_not_visible, 1);
	CU_ASSERT_EQUAL(c->version, 0x0304);
	CU_ASSERT_EQUAL(c->cipher, 0x002f);
	CU_ASSERT_EQUAL(c->closed_by_server, 1);
	CU_ASSERT_EQUAL(c->end_frame, 7);
	CU_ASSERT_EQUAL(a->evidence_incomplete, 0);
	teardown();
}

/* Frames cut by the snaplen: a DNS response and a linked connection's data. */
static void test_truncated_evidence(void)
{
	setup("oc2007");
	q(CLI, 1, 0, "sip.contoso.com", SD_DNS_T_A, 1);
	msg(1, "sip.contoso.com", SD_DNS_T_A, 1, 0);
	rr_a(SD_DNS_AN, "sip.contoso.com", "10.0.9.9");
	M.status = SD_E_TRUNC;
	resp(CLI, 2, 1, 1);
	tcpev(SD_EV_TCP_SYN, 3, 10, CLI, "10.0.9.9", 5061, 61, 0);
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SD_EV_DECODE_ERROR;
	ev.frame = ev.frame_first = 4;
	ev.ts_ns = T0 + 11 * MS;
	ev.proto = 6;
	ev.src = ip(CLI);
	ev.dst = ip("10.0.9.9");
	ev.conn_id = 61;
	ev.u.err.status = SD_E_TRUNC;
	ev.u.err.layer = "tls";
	ev.u.err.msg = "record cut";
	sd_attempts_event(S, &ev);
	ev.frame = 5;
	ev.u.err.status = SD_E_MALFORMED; /* the wire's fault, not the capture's */
	sd_attempts_event(S, &ev);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT_EQUAL(a->evidence_incomplete, 1);
	CU_ASSERT_EQUAL_FATAL(a->nincomplete_frames, 2);
	CU_ASSERT_EQUAL(a->incomplete_frames[0], 2);
	CU_ASSERT_EQUAL(a->incomplete_frames[1], 4);
	CU_ASSERT_EQUAL(step(a, 0)->queries[0].status, SD_E_TRUNC);
	CU_ASSERT_EQUAL(step(a, 0)->resolved, 1);
	teardown();
}

/* S03: the snaplen cut the A answer's records away. The connection the
 * client opens next, to an address no answer gave, belongs to that lookup;
 * another client's connection does not. */
static void test_cut_answer_links_conn(void)
{
	setup("oc2007");
	srv_nx(CLI, 1, 0, "contoso.com");
	q(CLI, 9, 10, "sipinternal.contoso.com", SD_DNS_T_A, 9);
	msg(9, "sipinternal.contoso.com", SD_DNS_T_A, 1, 0);
	M.status = SD_E_TRUNC;
	resp(CLI, 10, 11, 9);
	tcpev(SD_EV_TCP_SYN, 11, 12, "10.0.0.77", "10.0.9.10", 5061, 80, 0);
	tcpev(SD_EV_TCP_SYN, 12, 13, CLI, "10.0.9.10", 5061, 81, 0);
	tcpev(SD_EV_TCP_ESTABLISHED, 13, 14, CLI, "10.0.9.10", 5061, 81, 1);
	tcpev(SD_EV_TCP_FIN, 14, 15, CLI, "10.0.9.10", 5061, 81, 0);
	finish();
	CU_ASSERT_EQUAL_FATAL(ngot, 1);
	const struct sd_attempt *a = got[0];
	CU_ASSERT(sd_step_cut(step(a, 4)));
	CU_ASSERT_EQUAL_FATAL(a->nconns, 1);
	CU_ASSERT_EQUAL(a->conns[0].conn_id, 81);
	CU_ASSERT_EQUAL(a->conns[0].step, 4);
	CU_ASSERT_STRING_EQUAL(a->conns[0].expected, "sipinternal.contoso.com");
	CU_ASSERT_EQUAL(a->verdict, SD_VERDICT_INCONCLUSIVE); /* the answer is evidence lost */
	CU_ASSERT(!has_finding(a, "NAME_UNRESOLVED"));
	CU_ASSERT(!has_finding(a, "STOPPED_EARLY"));
	teardown();
}

/* 5000 clients at once: open attempts stay capped, the rest close. */
static void test_bounded(void)
{
	setup("oc2007");
	for (unsigned i = 0; i < 5000; i++) {
		char cli[32];
		snprintf(cli, sizeof cli, "10.%u.%u.%u", 1 + i / 65536, (i / 256) % 256, i % 256);
		q(cli, i + 1, i, "_sipinternaltls._tcp.contoso.com", SD_DNS_T_SRV, (uint16_t)i);
		if (ngot) {
			sd_attempt_free(got[0]);
			ngot = 0;
		}
	}
	CU_ASSERT_EQUAL(sd_attempts_open(S), 4096);
	CU_ASSERT_EQUAL(sd_attempts_completed(S), 5000 - 4096);
	sd_attempts_finish(S);
	CU_ASSERT_EQUAL(sd_attempts_completed(S), 5000);
	struct sd_attempt *a;
	size_t n = 0;
	while ((a = sd_attempts_next(S))) {
		n++;
		sd_attempt_free(a);
	}
	CU_ASSERT_EQUAL(n, 4096);
	teardown();
}

static void test_strings(void)
{
	CU_ASSERT_STRING_EQUAL(sd_role_str(SD_ROLE_F2), "F2");
	CU_ASSERT_STRING_EQUAL(sd_role_str(SD_ROLE_SRV_TARGET), "SRV-TARGET");
	CU_ASSERT_STRING_EQUAL(sd_role_str(SD_ROLE_CNAME_TARGET), "CNAME-TARGET");
	CU_ASSERT(sd_role_is_discovery(SD_ROLE_AD1));
	CU_ASSERT(!sd_role_is_discovery(SD_ROLE_POOL));
	CU_ASSERT_STRING_EQUAL(sd_conn_outcome_str(SD_CONN_HANDSHAKE_DONE), "handshake-done");
	CU_ASSERT_STRING_EQUAL(sd_conn_outcome_str(SD_CONN_PLAIN_TCP), "plain-tcp");
	CU_ASSERT_STRING_EQUAL(sd_severity_str(SD_SEV_WARN), "warn");
	CU_ASSERT_STRING_EQUAL(sd_verdict_str(SD_VERDICT_SIGNED_IN), "SIGNED_IN");
	CU_ASSERT_STRING_EQUAL(sd_end_reason_str(SD_END_GAVE_UP), "gave-up");
	CU_ASSERT_STRING_EQUAL(sd_end_reason_str(SD_END_CAPTURE_END), "capture-end");
	char err[128] = "";
	struct sd_attempt_opts o;
	memset(&o, 0, sizeof o);
	o.profile = "no-such-client";
	o.profiles_path = sd_srcpath("data/profiles.ini");
	o.err = err;
	o.errlen = sizeof err;
	CU_ASSERT_PTR_NULL(sd_attempts_new(&o));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-client"));
}

/* sd_addr_str formats addresses itself: it must print what inet_ntop prints,
 * and "-" where inet_ntop reports the buffer too short. */
static void test_addr_str(void)
{
	static const uint8_t v[] = { 0, 1, 9, 10, 99, 100, 101, 199, 200, 255 };
	char out[64], want[64];
	size_t nv = sizeof v;
	for (size_t i = 0; i < nv * nv * nv * nv; i += 7) {
		struct sd_addr a = { .family = 4 };
		a.a[0] = v[i % nv];
		a.a[1] = v[i / nv % nv];
		a.a[2] = v[i / (nv * nv) % nv];
		a.a[3] = v[i / (nv * nv * nv) % nv];
		for (size_t len = 1; len <= 17; len++) {
			if (!inet_ntop(AF_INET, a.a, want, (socklen_t)len))
				snprintf(want, len, "-");
			memset(out, 'x', sizeof out);
			sd_addr_str(&a, out, len);
			CU_ASSERT_STRING_EQUAL(out, want);
		}
	}
	/* IPv6: every pattern of zero / small / 0xffff / mixed words, so each
	 * zero-run choice and the ::a.b.c.d and ::ffff:a.b.c.d forms come up */
	static const unsigned wv[] = { 0, 1, 0xffff, 0x0a0b };
	for (unsigned m = 0; m < 4 * 4 * 4 * 4 * 4 * 4 * 4 * 4; m++) {
		struct sd_addr a = { .family = 6 };
		for (int k = 0, mm = (int)m; k < 8; k++, mm /= 4) {
			a.a[2 * k] = (uint8_t)(wv[mm % 4] >> 8);
			a.a[2 * k + 1] = (uint8_t)wv[mm % 4];
		}
		for (size_t len = m % 5 ? 47 : 1; len <= 47; len++) {
			if (!inet_ntop(AF_INET6, a.a, want, (socklen_t)len))
				snprintf(want, len, "-");
			memset(out, 'x', sizeof out);
			sd_addr_str(&a, out, len);
			CU_ASSERT_STRING_EQUAL(out, want);
		}
	}
	uint32_t rnd = 12345;
	for (int n = 0; n < 20000; n++) {
		struct sd_addr a = { .family = (uint8_t)(n & 1 ? 6 : 4) };
		for (int k = 0; k < 16; k++) {
			rnd = rnd * 1103515245u + 12345u;
			a.a[k] = (uint8_t)((rnd >> 16) % 3 == 0 ? 0 : rnd >> 8);
		}
		if (!inet_ntop(n & 1 ? AF_INET6 : AF_INET, a.a, want, sizeof want))
			snprintf(want, sizeof want, "-");
		sd_addr_str(&a, out, sizeof out);
		CU_ASSERT_STRING_EQUAL(out, want);
	}
	struct sd_addr x = { .family = 4, .a = { 192, 0, 2, 1 } }, y = x;
	CU_ASSERT(sd_addr_eq(&x, &y));
	y.a[3] = 2;
	CU_ASSERT(!sd_addr_eq(&x, &y));
	y = x;
	y.family = 6;
	CU_ASSERT(!sd_addr_eq(&x, &y));
}

static const struct sd_test tests[] = {
	SD_TEST(test_lab_story),
	SD_TEST(test_two_clients_interleaved),
	SD_TEST(test_suffix_retry),
	SD_TEST(test_a_aaaa_grouped),
	SD_TEST(test_srv_additional_and_target),
	SD_TEST(test_srv_target_sip_and_sni),
	SD_TEST(test_tc_then_tcp),
	SD_TEST(test_retransmit_and_unanswered),
	SD_TEST(test_idle_timeout),
	SD_TEST(test_mid_capture_start),
	SD_TEST(test_autodiscover_pool),
	SD_TEST(test_cname_target_and_plain_tcp),
	SD_TEST(test_established_without_tls),
	SD_TEST(test_tls13_and_reset),
	SD_TEST(test_truncated_evidence),
	SD_TEST(test_cut_answer_links_conn),
	SD_TEST(test_bounded),
	SD_TEST(test_strings),
	SD_TEST(test_addr_str),
	{ 0 },
};

int main(void) { return sd_run_tests("attempt", tests); }
