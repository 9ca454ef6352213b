/*
 * sipclient - emulates how Microsoft SIP clients (OC 2007 .. SfB, Store app,
 * Phone Edition) discover their sign-in server, using real DNS queries and
 * real TLS handshakes, so captures/make-captures can record genuine traffic
 * for sipdisc's regression corpus.
 *
 * The lookup order and stop rules follow /work/shared/spec/autoconfig-rules.md
 * sections 1 and 5. The client judges the server certificate the way the
 * emulated profile would (name, validity, EKU, chain against --ca) only to
 * decide whether to go on; sipdisc must reach its verdict from the capture.
 *
 * Exit status: 0 = signed in (handshake completed, certificate accepted,
 * REGISTER sent), 1 = sign-in failed, 2 = usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_ADDRS 16
#define MAX_SRV 64
#define NAME_MAX_LEN 256
#define DNS_BUF 65536

/* ------------------------------------------------------------ profiles */

struct srv_step {
	const char *prefix; /* owner = prefix + "." + D */
	bool tls;           /* false: plain TCP SIP */
};

struct fallback {
	const char *label;  /* name = label + "." + D */
	int ports[2];       /* tried in order when TCP connect fails; 0 = none */
};

struct profile {
	const char *name;
	bool ad;                  /* lyncdiscoverinternal/lyncdiscover first */
	bool ad_only;             /* Store app / mobile: nothing after AD */
	struct srv_step srv[4];   /* query order; precedence = this order */
	struct fallback fb[3];
	bool continue_after_fail; /* Lync 2013+: failed path -> next step */
	bool ip_failover;         /* try next address / SRV RR after TCP failure */
	bool strict_drop;         /* OC 2007/R2: out-of-domain SRV target not used */
	bool cn_tolerant;         /* OC 2007 era: CN match accepted even with SAN */
	bool trust_online;        /* SfB default TrustModelData (lync.com, ...) */
};

#define S_ITLS { "_sipinternaltls._tcp", true }
#define S_ITCP { "_sipinternal._tcp", false }
#define S_TLS { "_sip._tls", true }
#define S_TCP { "_sip._tcp", false }
/* Desktop fallback ports are an inference (spec 1.1: sip.D 5061 then 443). */
#define FB_DESKTOP { { "sipinternal", { 5061, 0 } }, { "sip", { 5061, 443 } }, \
		     { "sipexternal", { 443, 0 } } }
#define FB_BETA { { "sip", { 5061, 443 } }, { "sipinternal", { 5061, 0 } }, \
		  { "sipexternal", { 443, 0 } } }
#define FB_PHONE { { "sipinternal", { 5061, 443 } }, { "sip", { 5061, 443 } }, \
		   { "sipexternal", { 5061, 443 } } }

static const struct profile profiles[] = {
	{ "oc2007", false, false, { S_ITLS, S_ITCP, S_TLS, S_TCP }, FB_DESKTOP,
	  false, false, true, true, false },
	{ "oc2007r2", false, false, { S_ITLS, S_ITCP, S_TLS, { NULL, false } }, FB_DESKTOP,
	  false, false, true, true, false },
	{ "oc2007r2-beta", false, false, { S_ITLS, S_ITCP, S_TLS, S_TCP }, FB_BETA,
	  false, false, true, true, false },
	{ "lync2010", false, false, { S_ITLS, S_ITCP, S_TLS, { NULL, false } }, FB_DESKTOP,
	  false, false, false, false, false },
	{ "lync2013", true, false, { S_ITLS, S_ITCP, S_TLS, { NULL, false } }, FB_DESKTOP,
	  true, true, false, false, true },
	{ "sfb", true, false, { S_ITLS, S_TLS, { NULL, false }, { NULL, false } }, FB_DESKTOP,
	  true, true, false, false, true },
	{ "store-app", true, true, { { NULL, false } }, { { NULL, { 0, 0 } } },
	  false, true, false, false, true },
	{ "cpe2007r2", false, false, { S_ITLS, S_TLS, S_ITCP, { NULL, false } }, FB_PHONE,
	  false, false, true, true, false },
};

static const char *const online_trusted[] = {
	"lync.com", "outlook.com", "lync.glbdns.microsoft.com", "microsoftonline.com", NULL
};

/* ------------------------------------------------------------ options */

static struct {
	const struct profile *prof;
	const char *domain;
	const char *dns;
	const char *bind4, *bind6;
	const char *suffix;
	const char *ca;
	const char *ad_pool;
	int ad_pool_port;
	bool ipv6, no_sni, misorder, cont_after_success, verbose, accept_any, srv_worst_first;
	int tls_min, tls_max;
	int connect_timeout_ms;
} opt;

static struct __res_state rs;
static SSL_CTX *ssl_ctx;

__attribute__((format(printf, 1, 2)))
static void logv(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fputs("sipclient: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ------------------------------------------------------------ addresses */

struct addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

static const char *addr_str(const struct addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, &a->u, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static bool parse_addr(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static socklen_t make_sockaddr(const struct addr *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr = a->u.v4;
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = a->u.v6;
		return sizeof(*s6);
	}
}

/* Binds fd to --bind/--bind6 of the matching family, so that several
 * emulated clients can share one network namespace. */
static int bind_source(int fd, int family)
{
	const char *src = family == AF_INET ? opt.bind4 : opt.bind6;
	struct addr a;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!src)
		return 0;
	if (!parse_addr(src, &a) || a.family != family)
		return -1;
	sl = make_sockaddr(&a, 0, &ss);
	return bind(fd, (struct sockaddr *)&ss, sl);
}

static void set_io_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Non-blocking connect bounded by --connect-timeout, so a silent server
 * cannot stall a capture run; a RST fails at once. */
static int tcp_connect(const struct addr *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(a, port, &ss);
	char buf[INET6_ADDRSTRLEN];
	int fd, flags, err = 0;
	socklen_t el = sizeof(err);
	struct pollfd pfd;

	fd = socket(a->family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (bind_source(fd, a->family) < 0) {
		logv("cannot bind source address: %s", strerror(errno));
		close(fd);
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, opt.connect_timeout_ms) <= 0) {
		err = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0)
		goto fail;
	fcntl(fd, F_SETFL, flags);
	set_io_timeout(fd, 3000);
	logv("TCP connected to %s port %d", addr_str(a, buf, sizeof(buf)), port);
	return fd;
fail:
	logv("TCP connect to %s port %d failed: %s", addr_str(a, buf, sizeof(buf)), port,
	     strerror(err));
	close(fd);
	return -1;
}

/* ------------------------------------------------------------ DNS */

enum qres { Q_OK, Q_NXDOMAIN, Q_NODATA, Q_FAIL };

static const char *qres_str(enum qres q)
{
	static const char *const s[] = { "records", "NXDOMAIN", "no data", "failure" };
	return s[q];
}

static struct addr dns_server;

/* Resolver state is used only to build queries (res_nmkquery): no search
 * list, no EDNS0 so a large answer is truncated at 512 bytes and we retry
 * over TCP. Queries are sent by dns_exchange() below, always to --dns and
 * nowhere else, whatever /etc/resolv.conf says. */
static int dns_init(void)
{
	if (res_ninit(&rs) != 0)
		return -1;
	rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES | RES_USE_EDNS0 | RES_ROTATE |
				       RES_USEVC);
	return 0;
}

/* Sends the query built by res_nmkquery from our own socket (optionally
 * bound with --bind; libresolv cannot choose a source address, and its IPv6
 * server set-up depends on glibc internals), UDP first, TCP after TC=1, like
 * a stub resolver. Returns the answer length or -1. */
static int dns_exchange(const unsigned char *q, int qlen, unsigned char *ans, int anssz)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(&dns_server, NAMESERVER_PORT, &ss);
	int fd, n = -1, tries;
	struct pollfd pfd;

	fd = socket(dns_server.family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (bind_source(fd, dns_server.family) < 0 || connect(fd, (struct sockaddr *)&ss, sl) < 0)
		goto out;
	for (tries = 0; tries < 2 && n < 0; tries++) {
		if (send(fd, q, (size_t)qlen, 0) != qlen)
			goto out;
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, 2000) > 0) {
			n = (int)recv(fd, ans, (size_t)anssz, 0);
			/* answer must carry our query id */
			if (n >= HFIXEDSZ && ans[0] == q[0] && ans[1] == q[1])
				break;
			n = -1;
		}
	}
	close(fd);
	if (n < HFIXEDSZ || !(ans[2] & 0x02)) /* TC bit */
		return n;
	logv("UDP answer truncated, retrying over TCP");
	{
		struct addr a = dns_server;
		unsigned char lenb[2] = { (unsigned char)(qlen >> 8), (unsigned char)qlen };
		int got = 0, want;

		fd = tcp_connect(&a, NAMESERVER_PORT);
		if (fd < 0)
			return -1;
		n = -1;
		if (send(fd, lenb, 2, 0) != 2 || send(fd, q, (size_t)qlen, 0) != qlen)
			goto out;
		if (recv(fd, lenb, 2, MSG_WAITALL) != 2)
			goto out;
		want = lenb[0] << 8 | lenb[1];
		if (want > anssz)
			goto out;
		while (got < want) {
			ssize_t r = recv(fd, ans + got, (size_t)(want - got), 0);

			if (r <= 0)
				goto out;
			got += (int)r;
		}
		n = got;
	}
out:
	if (fd >= 0)
		close(fd);
	return n;
}

/* One query; fills msg on Q_OK. */
static enum qres dns_query1(const char *name, int type, unsigned char *ans, ns_msg *msg)
{
	int n, rcode;

	logv("DNS query %s %s",
	     type == ns_t_srv ? "SRV" : type == ns_t_aaaa ? "AAAA" : "A", name);
	{
		unsigned char q[NS_PACKETSZ];
		int ql = res_nmkquery(&rs, ns_o_query, name, C_IN, type, NULL, 0, NULL, q,
				      sizeof(q));

		if (ql < 0)
			return Q_FAIL;
		n = dns_exchange(q, ql, ans, DNS_BUF);
		if (n < 0)
			return Q_FAIL;
	}
	if (ns_initparse(ans, n, msg) < 0)
		return Q_FAIL;
	rcode = ns_msg_getflag(*msg, ns_f_rcode);
	if (rcode == ns_r_nxdomain)
		return Q_NXDOMAIN;
	if (rcode != ns_r_noerror)
		return Q_FAIL;
	return ns_msg_count(*msg, ns_s_an) > 0 ? Q_OK : Q_NODATA;
}

/* Query with the Windows-style suffix retry (--suffix): after NXDOMAIN the
 * same name is tried once more with the suffix appended. */
static enum qres dns_query(const char *name, int type, unsigned char *ans, ns_msg *msg)
{
	enum qres r = dns_query1(name, type, ans, msg);
	char alt[NAME_MAX_LEN * 2];

	logv("  -> %s", qres_str(r));
	if (r != Q_NXDOMAIN || !opt.suffix)
		return r;
	snprintf(alt, sizeof(alt), "%s.%s", name, opt.suffix);
	r = dns_query1(alt, type, ans, msg);
	logv("  -> %s (suffix retry)", qres_str(r));
	return r;
}

/* Collects the A or AAAA records of the answer (after CNAMEs, whatever the
 * owner name, since the server chases the chain for us). */
static void collect_addrs(ns_msg *msg, int type, struct addr *out, int *n)
{
	int i, cnt = ns_msg_count(*msg, ns_s_an);
	ns_rr rr;

	for (i = 0; i < cnt && *n < MAX_ADDRS; i++) {
		if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
			break;
		if (ns_rr_type(rr) == ns_t_a && type == ns_t_a && ns_rr_rdlen(rr) == 4) {
			out[*n].family = AF_INET;
			memcpy(&out[*n].u.v4, ns_rr_rdata(rr), 4);
			(*n)++;
		} else if (ns_rr_type(rr) == ns_t_aaaa && type == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
			out[*n].family = AF_INET6;
			memcpy(&out[*n].u.v6, ns_rr_rdata(rr), 16);
			(*n)++;
		}
	}
}

/* A (and with --ipv6 first AAAA) for a host; the name "resolves" when any
 * address came back. IPv6 addresses are tried first, as Windows does. */
static enum qres resolve_host(const char *name, struct addr *out, int *n)
{
	static unsigned char ans[DNS_BUF];
	ns_msg msg;
	enum qres r, best = Q_FAIL;

	*n = 0;
	if (opt.ipv6) {
		r = dns_query(name, ns_t_aaaa, ans, &msg);
		if (r == Q_OK)
			collect_addrs(&msg, ns_t_aaaa, out, n);
		best = r;
	}
	r = dns_query(name, ns_t_a, ans, &msg);
	if (r == Q_OK)
		collect_addrs(&msg, ns_t_a, out, n);
	if (*n > 0)
		return Q_OK;
	/* NXDOMAIN wins over "no data" only if every query said so */
	if (opt.ipv6 && best != r)
		return r == Q_NXDOMAIN ? best : r;
	return r == Q_OK ? Q_NODATA : r;
}

struct srv_rr {
	int prio, weight, port;
	char target[NAME_MAX_LEN];
};

static int srv_cmp(const void *a, const void *b)
{
	const struct srv_rr *x = a, *y = b;
	int d = x->prio != y->prio ? x->prio - y->prio : y->weight - x->weight;

	return opt.srv_worst_first ? -d : d;
}

static enum qres resolve_srv(const char *name, struct srv_rr *out, int *n)
{
	static unsigned char ans[DNS_BUF];
	ns_msg msg;
	ns_rr rr;
	enum qres r = dns_query(name, ns_t_srv, ans, &msg);
	int i, cnt;

	*n = 0;
	if (r != Q_OK)
		return r;
	cnt = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < cnt && *n < MAX_SRV; i++) {
		const unsigned char *rd;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7)
			continue;
		rd = ns_rr_rdata(rr);
		out[*n].prio = ns_get16(rd);
		out[*n].weight = ns_get16(rd + 2);
		out[*n].port = ns_get16(rd + 4);
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, out[*n].target,
			      NAME_MAX_LEN) < 0)
			continue;
		(*n)++;
	}
	/* RFC 2782 order by default; --srv-worst-first reverses it (T30) */
	qsort(out, (size_t)*n, sizeof(out[0]), srv_cmp);
	return *n > 0 ? Q_OK : Q_NODATA;
}

/* ------------------------------------------------------------ TLS */

enum result { R_SIGNED_IN, R_CONNECT_FAILED, R_TLS_FAILED, R_CERT_REJECTED };

static int tls_version(const char *s)
{
	if (!strcmp(s, "1.0"))
		return TLS1_VERSION;
	if (!strcmp(s, "1.1"))
		return TLS1_1_VERSION;
	if (!strcmp(s, "1.2"))
		return TLS1_2_VERSION;
	if (!strcmp(s, "1.3"))
		return TLS1_3_VERSION;
	return -1;
}

static int verify_cb(int ok, X509_STORE_CTX *xs);

static int tls_init(void)
{
	ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!ssl_ctx)
		return -1;
	/* Security level 0: the emulated clients took TLS 1.0 and SHA-1
	 * certificates; judging them is sipdisc's job, not ours. */
	SSL_CTX_set_security_level(ssl_ctx, 0);
	SSL_CTX_set_cipher_list(ssl_ctx, "DEFAULT:@SECLEVEL=0");
	SSL_CTX_set_min_proto_version(ssl_ctx, opt.tls_min);
	SSL_CTX_set_max_proto_version(ssl_ctx, opt.tls_max);
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);
	/* The profile's certificate check runs inside the handshake
	 * (verify_cb): a rejected certificate ends the handshake with a fatal
	 * alert right after the server's Certificate, so the capture shows
	 * the rejection instead of a completed handshake that is then
	 * dropped. The Certificate is on the wire either way. */
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, verify_cb);
	if (opt.ca && SSL_CTX_load_verify_locations(ssl_ctx, opt.ca, NULL) != 1)
		return -1;
	return 0;
}

static bool cn_equals(X509 *cert, const char *host)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	const ASN1_STRING *s;

	if (idx < 0)
		return false;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
	return (size_t)ASN1_STRING_length(s) == strlen(host) &&
	       strncasecmp((const char *)ASN1_STRING_get0_data(s), host, strlen(host)) == 0;
}

/* Why the current session's certificate was rejected (NULL: not). */
static const char *reject_reason;
static const char *verify_host; /* the expected name of the current session */

/* The profile's acceptance test, called by OpenSSL for every certificate
 * of the chain: chain errors (expiry, EKU purpose, unknown issuer,
 * self-signed) count only when a trust store (--ca) was given; at the
 * leaf the name must match (RFC 6125: CN only without DNS SAN), or for
 * the CN-tolerant OC 2007 profile the CN alone. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	X509 *cert = X509_STORE_CTX_get_current_cert(xs);

	if (opt.accept_any)
		return 1;
	if (!ok) {
		int err = X509_STORE_CTX_get_error(xs);

		if (!opt.ca)
			return 1;
		if (!reject_reason)
			reject_reason = X509_verify_cert_error_string(err);
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(xs) != 0 || !cert || !verify_host)
		return 1;
	if (X509_check_host(cert, verify_host, 0, 0, NULL) == 1)
		return 1;
	if (opt.prof->cn_tolerant && cn_equals(cert, verify_host))
		return 1;
	reject_reason = "certificate does not match the expected host name";
	X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
	return 0;
}

static void read_briefly(SSL *ssl, int fd)
{
	char buf[4096];
	int i;

	set_io_timeout(fd, 500);
	for (i = 0; i < 8 && SSL_read(ssl, buf, sizeof(buf)) > 0; i++)
		;
}

/* TLS on a connected socket; expected = the name the client connected by
 * (SRV target, fallback name as queried, Autodiscover or pool name). */
static enum result tls_session(int fd, const char *expected, bool http)
{
	SSL *ssl = SSL_new(ssl_ctx);
	enum result res = R_TLS_FAILED;
	char req[1024];
	int n;

	if (!ssl)
		return R_TLS_FAILED;
	SSL_set_fd(ssl, fd);
	reject_reason = NULL;
	verify_host = expected;
	if (!opt.no_sni)
		SSL_set_tlsext_host_name(ssl, expected);
	if (SSL_connect(ssl) != 1) {
		unsigned long e = ERR_get_error();

		if (reject_reason) {
			/* OpenSSL has sent the fatal alert; nothing follows */
			logv("certificate rejected for %s: %s", expected, reject_reason);
			res = R_CERT_REJECTED;
		} else {
			logv("TLS handshake failed: %s",
			     e ? ERR_reason_error_string(e) : "connection closed");
		}
		ERR_clear_error();
		goto out;
	}
	logv("TLS handshake done: %s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	if (http)
		n = snprintf(req, sizeof(req),
			     "GET /autodiscover/autodiscoverservice.svc/root?sipuri=user@%s "
			     "HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n\r\n",
			     opt.domain, expected);
	else
		n = snprintf(req, sizeof(req),
			     "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS client.invalid;branch=z9hG4bK1\r\n"
			     "From: <sip:user@%s>;tag=1\r\nTo: <sip:user@%s>\r\nCall-ID: 1@sipclient\r\n"
			     "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
			     opt.domain, opt.domain, opt.domain);
	if (SSL_write(ssl, req, n) == n) {
		logv(http ? "Autodiscover request sent" : "REGISTER sent");
		res = R_SIGNED_IN;
		read_briefly(ssl, fd);
	}
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	ERR_clear_error();
	return res;
}

/* Plain TCP SIP (_sipinternal._tcp / _sip._tcp): REGISTER in clear text. */
static enum result tcp_session(int fd)
{
	char req[512], buf[512];
	int n = snprintf(req, sizeof(req),
			 "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP client.invalid;branch=z9hG4bK1\r\n"
			 "From: <sip:user@%s>;tag=1\r\nTo: <sip:user@%s>\r\nCall-ID: 1@sipclient\r\n"
			 "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
			 opt.domain, opt.domain, opt.domain);

	if (send(fd, req, (size_t)n, 0) != n)
		return R_CONNECT_FAILED;
	logv("REGISTER sent over plain TCP");
	set_io_timeout(fd, 500);
	shutdown(fd, SHUT_WR);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	return R_SIGNED_IN;
}

/* An orderly close: FIN, then read what the server still sends (its
 * close_notify) until it closes too, so the capture ends with FIN/ACKs and
 * not with a RST caused by unread data. */
static void drain_close(int fd)
{
	char buf[4096];
	int i;

	shutdown(fd, SHUT_WR);
	set_io_timeout(fd, 300);
	for (i = 0; i < 64 && recv(fd, buf, sizeof(buf), 0) > 0; i++)
		;
	close(fd);
}

/* Connects to one of addrs (failing over on TCP errors when the profile
 * does) and runs the session. A TLS or certificate failure is final for
 * this server: real clients do not shop around for a better certificate. */
static enum result try_server(const char *expected, const struct addr *addrs, int n, int port,
			      bool tls, bool http)
{
	int i;

	for (i = 0; i < n; i++) {
		int fd = tcp_connect(&addrs[i], port);
		enum result r;

		if (fd < 0) {
			if (opt.prof->ip_failover)
				continue;
			return R_CONNECT_FAILED;
		}
		r = tls ? tls_session(fd, expected, http) : tcp_session(fd);
		drain_close(fd);
		return r;
	}
	return R_CONNECT_FAILED;
}

/* ------------------------------------------------------------ discovery */

static bool in_domain(const char *host, const char *dom)
{
	size_t hl = strlen(host), dl = strlen(dom);

	if (hl && host[hl - 1] == '.')
		hl--;
	if (hl == dl)
		return strncasecmp(host, dom, dl) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strncasecmp(host + hl - dl, dom, dl) == 0;
}

static bool trusted_target(const char *host)
{
	int i;

	if (in_domain(host, opt.domain))
		return true;
	for (i = 0; opt.prof->trust_online && online_trusted[i]; i++)
		if (in_domain(host, online_trusted[i]))
			return true;
	return false;
}

/* Autodiscover: lyncdiscoverinternal.D then lyncdiscover.D; a name that
 * resolves but does not answer does not stop discovery (LS13ADU). */
static enum result autodiscover(void)
{
	static const char *const labels[] = { "lyncdiscoverinternal", "lyncdiscover" };
	struct addr addrs[MAX_ADDRS];
	char name[NAME_MAX_LEN];
	int i, n;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s.%s", labels[i], opt.domain);
		if (resolve_host(name, addrs, &n) != Q_OK)
			continue;
		if (try_server(name, addrs, n, 443, true, true) != R_SIGNED_IN) {
			logv("Autodiscover at %s did not respond", name);
			continue;
		}
		/* The Autodiscover answer (HTTPS, invisible in the capture) names
		 * the pool; the script passes it with --ad-pool. */
		snprintf(name, sizeof(name), "%s", opt.ad_pool ? opt.ad_pool : "");
		if (!name[0])
			snprintf(name, sizeof(name), "pool.%s", opt.domain);
		logv("Autodiscover returned pool %s port %d", name, opt.ad_pool_port);
		if (resolve_host(name, addrs, &n) != Q_OK)
			return R_CONNECT_FAILED;
		return try_server(name, addrs, n, opt.ad_pool_port, true, false);
	}
	return R_CONNECT_FAILED;
}

/* The SRV records of one name, in the profile's per-RR order. */
static enum result srv_path(const struct srv_step *st, struct srv_rr *rr, int nrr)
{
	struct addr addrs[MAX_ADDRS];
	enum result r = R_CONNECT_FAILED;
	int i, n;

	for (i = 0; i < nrr; i++) {
		if (!strcmp(rr[i].target, ".") || !rr[i].target[0]) {
			logv("SRV target \".\": service not available");
			continue;
		}
		if (!trusted_target(rr[i].target)) {
			if (opt.prof->strict_drop) {
				logv("SRV target %s outside %s: record not used (strict naming)",
				     rr[i].target, opt.domain);
				continue;
			}
			logv("SRV target %s not trusted: trust prompt, user connects anyway",
			     rr[i].target);
		}
		if (resolve_host(rr[i].target, addrs, &n) != Q_OK) {
			logv("SRV target %s does not resolve", rr[i].target);
			r = R_CONNECT_FAILED;
		} else {
			r = try_server(rr[i].target, addrs, n, rr[i].port, st->tls, false);
		}
		if (r == R_SIGNED_IN)
			return r;
		/* OC 2007-era clients do not fail over to another server */
		if (!opt.prof->ip_failover)
			return r;
	}
	return r;
}

static enum result fallback_names(void)
{
	struct addr addrs[MAX_ADDRS];
	struct fallback fb[3];
	char name[NAME_MAX_LEN];
	enum result r = R_CONNECT_FAILED;
	int i, j, n;

	memcpy(fb, opt.prof->fb, sizeof(fb));
	if (opt.misorder && fb[0].label && fb[1].label) {
		/* first two swapped: sip.D before sipinternal.D (T24) */
		struct fallback t = fb[0];

		fb[0] = fb[1];
		fb[1] = t;
	}
	for (i = 0; i < 3 && fb[i].label; i++) {
		snprintf(name, sizeof(name), "%s.%s", fb[i].label, opt.domain);
		if (resolve_host(name, addrs, &n) != Q_OK) {
			logv("event 3: cannot resolve login server %s", name);
			continue;
		}
		for (j = 0; j < 2 && fb[i].ports[j]; j++) {
			r = try_server(name, addrs, n, fb[i].ports[j], true, false);
			if (r != R_CONNECT_FAILED)
				break;
		}
		if (r == R_SIGNED_IN) {
			if (opt.cont_after_success && i + 1 < 3 && fb[i + 1].label) {
				snprintf(name, sizeof(name), "%s.%s", fb[i + 1].label, opt.domain);
				resolve_host(name, addrs, &n);
			}
			return r;
		}
		/* OC 2007 stops at the first name that resolves (ORIG) */
		if (!opt.prof->continue_after_fail) {
			logv("stopping after %s (profile does not go on)", name);
			return r;
		}
	}
	return r;
}

static enum result discover(void)
{
	struct srv_rr rr[4][MAX_SRV];
	int nrr[4] = { 0, 0, 0, 0 };
	char name[NAME_MAX_LEN];
	bool any_srv = false;
	enum result r;
	int i;

	if (opt.prof->ad) {
		r = autodiscover();
		if (r == R_SIGNED_IN || opt.prof->ad_only)
			return r;
	}
	/* The SRV group: all names queried back to back, then used by
	 * precedence (R2DQ "queried in parallel"). */
	for (i = 0; i < 4 && opt.prof->srv[i].prefix; i++) {
		snprintf(name, sizeof(name), "%s.%s", opt.prof->srv[i].prefix, opt.domain);
		resolve_srv(name, rr[i], &nrr[i]);
	}
	for (i = 0; i < 4 && opt.prof->srv[i].prefix; i++) {
		if (nrr[i] == 0)
			continue;
		any_srv = true;
		logv("using SRV %s.%s (%d records)", opt.prof->srv[i].prefix, opt.domain, nrr[i]);
		r = srv_path(&opt.prof->srv[i], rr[i], nrr[i]);
		if (r == R_SIGNED_IN)
			return r;
		break; /* the SRV stage ends at the first name with records */
	}
	if (any_srv && !opt.prof->continue_after_fail) {
		logv("SRV path failed; profile stops");
		return R_CONNECT_FAILED;
	}
	if (!any_srv)
		logv("event 1: no DNS SRV records exist for domain %s", opt.domain);
	return fallback_names();
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
	fputs("usage: sipclient --profile P --domain D --dns ADDR [options]\n"
	      "  --profile oc2007|oc2007r2|oc2007r2-beta|lync2010|lync2013|sfb|store-app|cpe2007r2\n"
	      "  --bind ADDR (repeatable: one IPv4, one IPv6)  --ipv6  --no-sni\n"
	      "  --tls-min V --tls-max V (1.0|1.1|1.2|1.3; default 1.0..1.2)\n"
	      "  --misorder  --continue-after-success  --suffix SUFFIX\n"
	      "  --ad-pool NAME[:PORT]  --ca FILE  --accept-any  --srv-worst-first\n"
	      "  --connect-timeout MS (default 1500)  --verbose\n",
	      stderr);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "domain", required_argument, NULL, 'd' },
		{ "dns", required_argument, NULL, 'n' },
		{ "bind", required_argument, NULL, 'b' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "no-sni", no_argument, NULL, 'S' },
		{ "tls-min", required_argument, NULL, 'm' },
		{ "tls-max", required_argument, NULL, 'M' },
		{ "misorder", no_argument, NULL, 'o' },
		{ "continue-after-success", no_argument, NULL, 'c' },
		{ "suffix", required_argument, NULL, 's' },
		{ "connect-timeout", required_argument, NULL, 't' },
		{ "ad-pool", required_argument, NULL, 'a' },
		{ "ca", required_argument, NULL, 'C' },
		{ "accept-any", no_argument, NULL, 'A' },
		{ "srv-worst-first", no_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct addr tmp;
	char *colon;
	size_t i;
	int c;

	opt.tls_min = TLS1_VERSION;
	opt.tls_max = TLS1_2_VERSION; /* none of the emulated clients speaks 1.3 */
	opt.connect_timeout_ms = 1500;
	opt.ad_pool_port = 5061;
	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
				if (!strcmp(optarg, profiles[i].name))
					opt.prof = &profiles[i];
			if (!opt.prof) {
				fprintf(stderr, "sipclient: unknown profile %s\n", optarg);
				return 2;
			}
			break;
		case 'd': opt.domain = optarg; break;
		case 'n': opt.dns = optarg; break;
		case 'b':
			if (!parse_addr(optarg, &tmp)) {
				fprintf(stderr, "sipclient: bad address %s\n", optarg);
				return 2;
			}
			if (tmp.family == AF_INET)
				opt.bind4 = optarg;
			else
				opt.bind6 = optarg;
			break;
		case '6': opt.ipv6 = true; break;
		case 'S': opt.no_sni = true; break;
		case 'm':
		case 'M':
			if (tls_version(optarg) < 0) {
				fprintf(stderr, "sipclient: bad TLS version %s\n", optarg);
				return 2;
			}
			*(c == 'm' ? &opt.tls_min : &opt.tls_max) = tls_version(optarg);
			break;
		case 'o': opt.misorder = true; break;
		case 'c': opt.cont_after_success = true; break;
		case 's': opt.suffix = optarg; break;
		case 't': opt.connect_timeout_ms = atoi(optarg); break;
		case 'a':
			opt.ad_pool = optarg;
			colon = strchr(optarg, ':');
			if (colon) {
				*colon = '\0';
				opt.ad_pool_port = atoi(colon + 1);
			}
			break;
		case 'C': opt.ca = optarg; break;
		case 'A': opt.accept_any = true; break;
		case 'w': opt.srv_worst_first = true; break;
		case 'v': opt.verbose = true; break;
		default: usage(); return 2;
		}
	}
	if (!opt.prof || !opt.domain || !opt.dns || optind != argc ||
	    opt.connect_timeout_ms <= 0 || opt.ad_pool_port <= 0 || opt.ad_pool_port > 65535) {
		usage();
		return 2;
	}
	if (!parse_addr(opt.dns, &dns_server)) {
		fprintf(stderr, "sipclient: bad DNS server address %s\n", opt.dns);
		return 2;
	}
	if (dns_init() < 0 || tls_init() < 0) {
		fprintf(stderr, "sipclient: resolver or TLS setup failed\n");
		return 2;
	}
	logv("profile %s, domain %s", opt.prof->name, opt.domain);
	c = discover() == R_SIGNED_IN ? 0 : 1;
	logv(c == 0 ? "signed in" : "sign-in failed");
	SSL_CTX_free(ssl_ctx);
	res_nclose(&rs);
	return c;
}
