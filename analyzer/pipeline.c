/*
 * pipeline.c - frames in, events out. The only place that knows how the
 * layers fit together; each layer's decoder stays ignorant of the others.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_txn.h"
#include "ip.h"
#include "link.h"
#include "tcp_reasm.h"

#define DNS_PORT 53
#define MDNS_PORT 5353
#define LLMNR_PORT 5355
#define PROBE_MAX 8 /* bytes needed to recognise TLS / CONNECT at a stream start */

enum dir_kind { K_UNDECIDED = 0, K_TLS, K_DNS, K_IGNORE };

struct conn;

/* One direction of a TCP connection: what it carries and its decoder. */
struct dirst {
	struct conn *c;
	int dir;
	enum dir_kind kind;
	struct sd_tls *tls;
	struct sd_dnstcp *dns;
	uint8_t probe[PROBE_MAX];
	size_t nprobe;
	uint64_t probe_frame;
};

struct conn {
	struct sd_pipeline *p;
	struct sd_tcp_conn_info info;
	struct dirst d[2];
	uint8_t established, client_connect; /* client sent HTTP CONNECT */
	uint16_t version;                    /* negotiated TLS version */
};

struct sd_pipeline {
	struct sd_pipeline_opts o;
	sd_event_fn fn;
	void *ud;
	struct sd_ipfrag *frag;
	struct sd_tcp *tcp;
	struct sd_dns_txn *txn;
	struct sd_dns_msg msg;     /* scratch, reused for every DNS message */
	struct sd_pipeline_stats st;
	uint64_t frame;            /* current frame */
	int64_t ts;                /* current frame time */
	int64_t last_expire;
	uint32_t missing;          /* bytes of the current frame cut by snaplen */
	int bad_link[8];           /* unsupported link types already reported */
	size_t nbad_link;
};

/* ------------------------------------------------------------------ events */

static void emit(struct sd_pipeline *p, struct sd_event *ev) { p->fn(p->ud, ev); }

static void decode_error(struct sd_pipeline *p, int status, const char *layer, const char *msg,
			 const struct sd_addr *src, const struct sd_addr *dst, uint8_t proto,
			 uint16_t sport, uint16_t dport, uint64_t conn_id)
{
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SD_EV_DECODE_ERROR;
	ev.frame = ev.frame_first = p->frame;
	ev.ts_ns = p->ts;
	if (src)
		ev.src = *src;
	if (dst)
		ev.dst = *dst;
	ev.proto = proto;
	ev.sport = sport;
	ev.dport = dport;
	ev.conn_id = conn_id;
	ev.u.err.status = status;
	ev.u.err.layer = layer;
	ev.u.err.msg = msg;
	if (status == SD_E_TRUNC)
		p->st.truncated++;
	else
		p->st.malformed++;
	emit(p, &ev);
}

/* Event skeleton for a TCP connection: client is always src. */
static void conn_event(const struct conn *c, struct sd_event *ev, enum sd_ev_type type, uint64_t frame_first,
		       uint64_t frame, int64_t ts)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->frame = frame;
	ev->frame_first = frame_first ? frame_first : frame;
	ev->ts_ns = ts;
	ev->proto = 6;
	ev->src = c->info.client;
	ev->dst = c->info.server;
	ev->sport = c->info.cport;
	ev->dport = c->info.sport;
	ev->conn_id = c->info.id;
}

/* --------------------------------------------------------------------- DNS */

static int is_dns_port(const struct sd_pipeline *p, uint16_t port)
{
	if (port == DNS_PORT)
		return 1;
	return p->o.keep_dns_on_any_port && (port == MDNS_PORT || port == LLMNR_PORT);
}

static void unanswered(void *ud, const struct sd_dns_pending *q)
{
	struct sd_pipeline *p = ud;
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	/* A minimal message standing for the lost query: header and question. */
	p->msg.id = q->id;
	p->msg.qr = 0;
	p->msg.rcode = 0;
	p->msg.has_question = 1;
	p->msg.qname = q->qname;
	p->msg.qtype = q->qtype;
	p->msg.qclass = 1;
	p->msg.qdcount = 1;
	p->msg.ancount = p->msg.nscount = p->msg.arcount = 0;
	p->msg.nrr = 0;
	p->msg.rr_dropped = 0;
	p->msg.status = SD_OK;
	p->msg.error[0] = 0;
	ev.type = SD_EV_DNS_UNANSWERED;
	ev.frame = ev.frame_first = q->frame;
	ev.ts_ns = q->ts_ns;
	ev.proto = q->proto;
	ev.src = q->client;
	ev.dst = q->server;
	ev.sport = q->cport;
	ev.dport = q->sport;
	ev.u.dns.msg = &p->msg;
	ev.u.dns.query_frame = q->frame;
	ev.u.dns.rtt_ns = -1;
	emit(p, &ev);
}

/* One whole DNS message from UDP or a TCP stream. */
static void dns_message(struct sd_pipeline *p, const uint8_t *buf, size_t len, int truncated,
			const struct sd_addr *src, uint16_t sport, const struct sd_addr *dst, uint16_t dport,
			uint8_t proto, uint64_t conn_id, uint64_t frame_first, uint64_t frame, int64_t ts)
{
	struct sd_dns_msg *m = &p->msg;
	int st = sd_dns_parse(buf, len, truncated, m);
	if (len < 12) {
		decode_error(p, st, "dns", truncated ? "DNS header cut by the capture" : "DNS message shorter than its header",
			     src, dst, proto, sport, dport, conn_id);
		return;
	}
	p->st.dns_msgs++;
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.frame = frame;
	ev.frame_first = frame_first ? frame_first : frame;
	ev.ts_ns = ts;
	ev.proto = proto;
	ev.src = *src;
	ev.dst = *dst;
	ev.sport = sport;
	ev.dport = dport;
	ev.conn_id = conn_id;
	ev.u.dns.msg = m;
	if (!m->qr) {
		ev.type = SD_EV_DNS_QUERY;
		ev.u.dns.rtt_ns = -1;
		sd_dns_txn_query(p->txn, m, src, sport, dst, dport, proto, frame, ts);
	} else {
		ev.type = SD_EV_DNS_RESPONSE;
		sd_dns_txn_response(p->txn, m, src, sport, dst, dport, proto, ts, &ev.u.dns.query_frame,
				    &ev.u.dns.rtt_ns);
	}
	emit(p, &ev);
	/* A message that broke part-way is still reported above with what it
	 * held; the break itself is its own event so it is never silent. */
	if (m->status != SD_OK) {
		char why[160];
		snprintf(why, sizeof why, "DNS %s: %s", m->qr ? "response" : "query", m->error);
		decode_error(p, m->status, "dns", why, src, dst, proto, sport, dport, conn_id);
	}
}

static void udp(struct sd_pipeline *p, const struct sd_ip_pkt *ip)
{
	struct cur c = ip->payload;
	uint16_t sport = cur_be16(&c), dport = cur_be16(&c), ulen = cur_be16(&c);
	cur_skip(&c, 2);
	if (!cur_ok(&c)) {
		decode_error(p, ip->missing ? SD_E_TRUNC : SD_E_MALFORMED, "udp", "UDP header does not fit",
			     &ip->src, &ip->dst, 17, 0, 0, 0);
		return;
	}
	p->st.udp++;
	if (!is_dns_port(p, sport) && !is_dns_port(p, dport))
		return;
	size_t avail = cur_left(&c);
	size_t want = ulen >= 8 ? (size_t)ulen - 8 : 0;
	int truncated = 0;
	if (ulen < 8) {
		decode_error(p, SD_E_MALFORMED, "udp", "UDP length shorter than its header", &ip->src,
			     &ip->dst, 17, sport, dport, 0);
		return;
	}
	if (want > avail) {
		if (!ip->missing) {
			decode_error(p, SD_E_MALFORMED, "udp", "UDP length exceeds the IP payload", &ip->src,
				     &ip->dst, 17, sport, dport, 0);
			return;
		}
		truncated = 1;
		want = avail;
	}
	struct cur body = cur_sub(&c, want);
	/* Port 53 on both sides is possible (server to server): the QR bit,
	 * not the port, says which way it goes. */
	dns_message(p, cur_data(&body), want, truncated, &ip->src, sport, &ip->dst, dport, 17, 0, p->frame,
		    p->frame, p->ts);
}

/* --------------------------------------------------------------------- TLS */

static struct dirst *tls_dir(void *ud) { return ud; }

static void tls_client_hello(void *ud, const struct sd_tls_client_hello *h, uint64_t ff, uint64_t f, int64_t ts)
{
	struct dirst *d = tls_dir(ud);
	struct sd_event ev;
	conn_event(d->c, &ev, SD_EV_TLS_CLIENT_HELLO, ff, f, ts);
	ev.u.ch = h;
	emit(d->c->p, &ev);
}

static void tls_server_hello(void *ud, const struct sd_tls_server_hello *h, uint64_t ff, uint64_t f, int64_t ts)
{
	struct dirst *d = tls_dir(ud);
	struct conn *c = d->c;
	if (!h->hello_retry) {
		c->version = h->version;
		/* The client's direction learns the version only from here. */
		struct dirst *other = &c->d[d->dir ^ 1];
		if (other->tls)
			sd_tls_set_version(other->tls, h->version);
	}
	struct sd_event ev;
	conn_event(c, &ev, SD_EV_TLS_SERVER_HELLO, ff, f, ts);
	ev.u.sh = h;
	emit(c->p, &ev);
}

static void tls_certificate(void *ud, const struct sd_tls_chain *chain, uint64_t ff, uint64_t f, int64_t ts)
{
	struct dirst *d = tls_dir(ud);
	struct sd_pipeline *p = d->c->p;
	/* Not calloc: sd_x509_decode fills (or clears) each slot itself, and
	 * clearing ~6 KB a certificate twice was 2.4% of a 1 GB analysis. */
	struct sd_cert *certs = malloc((chain->n ? chain->n : 1) * sizeof *certs);
	if (!certs)
		return;
	size_t n = 0;
	for (size_t i = 0; i < chain->n; i++) {
		char err[128];
		if (sd_x509_decode(chain->c[i].der, chain->c[i].len, &certs[n], err, sizeof err) == 0) {
			n++;
		} else {
			char why[200];
			snprintf(why, sizeof why, "certificate %zu of %zu: %s", i + 1, chain->total, err);
			decode_error(p, SD_E_MALFORMED, "x509", why, &d->c->info.client, &d->c->info.server, 6,
				     d->c->info.cport, d->c->info.sport, d->c->info.id);
		}
	}
	struct sd_event ev;
	conn_event(d->c, &ev, SD_EV_TLS_CERTIFICATE, ff, f, ts);
	ev.u.cert.certs = certs;
	ev.u.cert.n = n;
	ev.u.cert.total = chain->total;
	ev.u.cert.by_client = d->dir == SD_TCP_C2S;
	p->st.tls_certs++;
	emit(p, &ev);
	for (size_t i = 0; i < n; i++)
		sd_x509_free(&certs[i]);
	free(certs);
}

static void tls_alert(void *ud, uint8_t level, uint8_t desc, int encrypted, uint64_t f, int64_t ts)
{
	struct dirst *d = tls_dir(ud);
	struct sd_event ev;
	conn_event(d->c, &ev, SD_EV_TLS_ALERT, f, f, ts);
	ev.u.alert.level = level;
	ev.u.alert.desc = desc;
	ev.u.alert.encrypted = (uint8_t)encrypted;
	ev.u.alert.by_server = d->dir == SD_TCP_S2C;
	emit(d->c->p, &ev);
}

static void tls_encrypted(void *ud, uint16_t version, uint64_t f, int64_t ts)
{
	struct dirst *d = tls_dir(ud);
	struct sd_event ev;
	conn_event(d->c, &ev, SD_EV_TLS_ENCRYPTED, f, f, ts);
	ev.u.enc.version = version ? version : d->c->version;
	ev.u.enc.by_server = d->dir == SD_TCP_S2C;
	emit(d->c->p, &ev);
}

static void tls_error(void *ud, int status, const char *what, uint64_t f, int64_t ts)
{
	struct dirst *d = tls_dir(ud);
	struct sd_pipeline *p = d->c->p;
	(void)ts;
	uint64_t saved = p->frame;
	p->frame = f; /* the error belongs to the frame where the decoder saw it */
	decode_error(p, status, "tls", what, &d->c->info.client, &d->c->info.server, 6, d->c->info.cport,
		     d->c->info.sport, d->c->info.id);
	p->frame = saved;
}

/* ----------------------------------------------------------------- TCP glue */

static void dnstcp_msg(void *ud, const uint8_t *msg, size_t len, uint64_t ff, uint64_t f, int64_t ts)
{
	struct dirst *d = ud;
	struct conn *c = d->c;
	const struct sd_addr *src = d->dir == SD_TCP_C2S ? &c->info.client : &c->info.server;
	const struct sd_addr *dst = d->dir == SD_TCP_C2S ? &c->info.server : &c->info.client;
	uint16_t sport = d->dir == SD_TCP_C2S ? c->info.cport : c->info.sport;
	uint16_t dport = d->dir == SD_TCP_C2S ? c->info.sport : c->info.cport;
	dns_message(c->p, msg, len, 0, src, sport, dst, dport, 6, c->info.id, ff, f, ts);
}

static void *tcp_open(void *ud, const struct sd_tcp_conn_info *ci)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->p = ud;
	c->info = *ci;
	for (int i = 0; i < 2; i++) {
		c->d[i].c = c;
		c->d[i].dir = i;
	}
	return c;
}

static int start_tls(struct dirst *d)
{
	static const struct sd_tls_cb cbt = { NULL, tls_client_hello, tls_server_hello, tls_certificate,
					      tls_alert, tls_encrypted, tls_error };
	struct sd_tls_cb cb = cbt;
	cb.ud = d;
	d->tls = sd_tls_new(d->dir == SD_TCP_S2C, &cb);
	if (!d->tls)
		return -1;
	d->kind = K_TLS;
	return 0;
}

/* Decides what a direction carries from its first bytes. */
static enum dir_kind classify(struct sd_pipeline *p, struct conn *c, struct dirst *d)
{
	if (is_dns_port(p, c->info.sport) || is_dns_port(p, c->info.cport))
		return K_DNS;
	struct dirst *other = &c->d[d->dir ^ 1];
	if (other->kind == K_TLS && d->nprobe >= 1) {
		/* The answer to a TLS client is TLS (or an HTTP proxy reply). */
		return K_TLS;
	}
	int r = sd_tls_probe(d->probe, d->nprobe);
	if (r < 0)
		return K_UNDECIDED;
	if (r == 0)
		return K_IGNORE;
	/* "HTTP/1." only means TLS follows when the client asked for CONNECT. */
	if (d->dir == SD_TCP_S2C && d->nprobe >= 5 && memcmp(d->probe, "HTTP/", 5) == 0 && !c->client_connect)
		return K_IGNORE;
	if (d->dir == SD_TCP_C2S && d->nprobe >= 8 && memcmp(d->probe, "CONNECT ", 8) == 0)
		c->client_connect = 1;
	return K_TLS;
}

static int feed_dir(struct dirst *d, const uint8_t *data, size_t len, uint64_t frame, int64_t ts)
{
	if (d->kind == K_TLS)
		return sd_tls_feed(d->tls, data, len, frame, ts);
	if (d->kind == K_DNS)
		return sd_dnstcp_feed(d->dns, data, len, frame, ts) != 0;
	return 1;
}

static int tcp_data(void *ud, void *conn, int dir, const uint8_t *data, size_t len, uint64_t frame, int64_t ts)
{
	struct sd_pipeline *p = ud;
	struct conn *c = conn;
	if (!c)
		return 1;
	struct dirst *d = &c->d[dir];
	if (d->kind == K_IGNORE)
		return 1;
	if (d->kind == K_UNDECIDED) {
		size_t take = len < PROBE_MAX - d->nprobe ? len : PROBE_MAX - d->nprobe;
		if (d->nprobe == 0)
			d->probe_frame = frame;
		memcpy(d->probe + d->nprobe, data, take);
		d->nprobe += take;
		enum dir_kind k = classify(p, c, d);
		if (k == K_UNDECIDED && d->nprobe < PROBE_MAX)
			return 0; /* wait for more bytes */
		if (k == K_UNDECIDED)
			k = K_IGNORE;
		if (k == K_IGNORE) {
			d->kind = K_IGNORE;
			return 1;
		}
		if (k == K_DNS) {
			d->dns = sd_dnstcp_new(dnstcp_msg, d);
			if (!d->dns)
				return 1;
			d->kind = K_DNS;
		} else if (start_tls(d) != 0) {
			return 1;
		}
		/* Replay the probed bytes (they were not consumed) then the rest. */
		size_t held = d->nprobe - take;
		if (held && feed_dir(d, d->probe, held, d->probe_frame, ts))
			return 1;
		return feed_dir(d, data, len, frame, ts);
	}
	return feed_dir(d, data, len, frame, ts);
}

static void tcp_gap(void *ud, void *conn, int dir, uint32_t len, uint64_t frame, int64_t ts)
{
	struct sd_pipeline *p = ud;
	struct conn *c = conn;
	if (!c)
		return;
	struct dirst *d = &c->d[dir];
	struct sd_event ev;
	conn_event(c, &ev, SD_EV_TCP_GAP, frame, frame, ts);
	ev.u.tcp.gap_len = len;
	ev.u.tcp.gap_dir = (uint8_t)dir;
	ev.u.tcp.midstream = !c->info.saw_syn;
	/* Gaps in streams nobody decodes are not evidence of anything. */
	if (d->kind == K_TLS || d->kind == K_DNS)
		emit(p, &ev);
	if (d->kind == K_TLS)
		sd_tls_gap(d->tls, len, frame, ts);
	else if (d->kind == K_DNS)
		sd_dnstcp_gap(d->dns, len);
	else if (d->kind == K_UNDECIDED)
		d->kind = K_IGNORE; /* cannot classify a stream whose start is missing */
}

static void free_conn(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->d[i].tls)
			sd_tls_free(c->d[i].tls);
		if (c->d[i].dns)
			sd_dnstcp_free(c->d[i].dns);
	}
	free(c);
}

static void tcp_state(void *ud, void *conn, enum sd_tcp_state st, int dir, uint64_t frame, int64_t ts)
{
	struct sd_pipeline *p = ud;
	struct conn *c = conn;
	if (!c)
		return;
	struct sd_event ev;
	enum sd_ev_type t;
	switch (st) {
	case SD_TCPS_SYN: t = SD_EV_TCP_SYN; break;
	case SD_TCPS_ESTABLISHED: t = SD_EV_TCP_ESTABLISHED; c->established = 1; break;
	case SD_TCPS_REFUSED: t = SD_EV_TCP_REFUSED; break;
	case SD_TCPS_RESET: t = SD_EV_TCP_RESET; break;
	case SD_TCPS_FIN: t = SD_EV_TCP_FIN; break;
	case SD_TCPS_TIMEOUT: t = SD_EV_TCP_TIMEOUT; break;
	case SD_TCPS_CLOSED:
	default:
		free_conn(c);
		return;
	}
	conn_event(c, &ev, t, frame, frame, ts);
	ev.u.tcp.by_server = dir == SD_TCP_S2C;
	ev.u.tcp.midstream = !c->info.saw_syn;
	emit(p, &ev);
}

/* --------------------------------------------------------------- the frame */

static void tcp(struct sd_pipeline *p, const struct sd_ip_pkt *ip)
{
	struct sd_tcp_seg seg;
	int st = sd_tcp_parse(ip->payload, ip->missing, &seg);
	if (st != SD_OK) {
		decode_error(p, st, "tcp", st == SD_E_TRUNC ? "TCP header cut by the capture" : "TCP header malformed",
			     &ip->src, &ip->dst, 6, 0, 0, 0);
		return;
	}
	p->st.tcp++;
	sd_tcp_segment(p->tcp, &ip->src, &ip->dst, &seg, p->frame, p->ts);
}

static void link_unsupported(struct sd_pipeline *p, int linktype)
{
	p->st.unsupported_link++;
	for (size_t i = 0; i < p->nbad_link; i++)
		if (p->bad_link[i] == linktype)
			return;
	if (p->nbad_link < sizeof p->bad_link / sizeof p->bad_link[0])
		p->bad_link[p->nbad_link++] = linktype;
	char msg[128];
	snprintf(msg, sizeof msg, "link type %s (%d) is not supported; its frames are skipped",
		 sd_linktype_name(linktype), linktype);
	decode_error(p, SD_E_UNSUPPORTED, "link", msg, NULL, NULL, 0, 0, 0, 0);
	p->st.malformed--; /* not malformed: just not ours */
}

void sd_pipeline_frame(struct sd_pipeline *p, const struct sd_frame *f)
{
	p->frame = f->number;
	p->ts = f->ts_ns;
	p->st.frames++;
	p->st.bytes += f->caplen;
	p->missing = f->wirelen > f->caplen ? f->wirelen - f->caplen : 0;

	/* Time-driven expiry, at most once per second of capture time. */
	if (f->ts_ns - p->last_expire >= 1000000000LL || f->ts_ns < p->last_expire) {
		p->last_expire = f->ts_ns;
		sd_dns_txn_expire(p->txn, f->ts_ns);
		sd_tcp_expire(p->tcp, f->ts_ns);
	}

	struct sd_link l;
	int st = sd_link_decode(f->linktype, cur_init(f->data, f->caplen), &l);
	if (st == SD_E_UNSUPPORTED) {
		link_unsupported(p, f->linktype);
		return;
	}
	if (st != SD_OK) {
		decode_error(p, p->missing ? SD_E_TRUNC : st, "link", "link-layer header does not fit", NULL, NULL, 0,
			     0, 0, 0);
		return;
	}
	if (l.ethertype != SD_ETH_IPV4 && l.ethertype != SD_ETH_IPV6) {
		p->st.non_ip++;
		return;
	}
	struct sd_ip_pkt ip;
	st = sd_ip_decode(p->frag, l.ethertype, l.net, p->missing, f->number, f->ts_ns, &ip);
	if (st == SD_IP_HELD)
		return;
	if (st != SD_IP_DONE) {
		const char *why = st == SD_E_TRUNC	    ? "IP header cut by the capture"
				  : st == SD_E_LIMIT	    ? "IP datagram dropped: reassembly or header limit reached"
				  : st == SD_E_UNSUPPORTED ? "IP packet not decoded (tunnel too deep or unknown version)"
							    : "IP header malformed";
		decode_error(p, st, "ip", why, NULL, NULL, 0, 0, 0, 0);
		if (st == SD_E_UNSUPPORTED || st == SD_E_LIMIT)
			p->st.malformed--; /* counted apart: not the packet's fault */
		return;
	}
	p->st.ip++;
	if (ip.proto == 17)
		udp(p, &ip);
	else if (ip.proto == 6)
		tcp(p, &ip);
}

/* ------------------------------------------------------------------ setup */

struct sd_pipeline *sd_pipeline_new(const struct sd_pipeline_opts *opts, sd_event_fn fn, void *ud)
{
	struct sd_pipeline *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (opts)
		p->o = *opts;
	if (!p->o.dns_timeout_ns)
		p->o.dns_timeout_ns = 10LL * 1000000000LL;
	p->fn = fn;
	p->ud = ud;
	p->frag = sd_ipfrag_new(8u << 20, 30LL * 1000000000LL);
	struct sd_tcp_limits lim = { 65536, 256 * 1024, 16u << 20, 300LL * 1000000000LL };
	if (p->o.max_tcp_conns)
		lim.max_conns = p->o.max_tcp_conns;
	if (p->o.tcp_idle_ns)
		lim.idle_timeout_ns = p->o.tcp_idle_ns;
	struct sd_tcp_cb cb = { p, tcp_open, tcp_data, tcp_gap, tcp_state };
	p->tcp = sd_tcp_new(&lim, &cb);
	p->txn = sd_dns_txn_new(p->o.dns_timeout_ns, 65536, unanswered, p);
	if (!p->frag || !p->tcp || !p->txn) {
		sd_pipeline_free(p);
		return NULL;
	}
	return p;
}

void sd_pipeline_tick(struct sd_pipeline *p, int64_t now_ns)
{
	if (now_ns <= p->ts)
		return;
	p->ts = now_ns;
	p->last_expire = now_ns;
	sd_dns_txn_expire(p->txn, now_ns);
	sd_tcp_expire(p->tcp, now_ns);
}

void sd_pipeline_capture_error(struct sd_pipeline *p, const char *msg)
{
	struct sd_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SD_EV_CAPTURE_ERROR;
	ev.frame = ev.frame_first = p->frame;
	ev.ts_ns = p->ts;
	ev.u.err.status = SD_E_IO;
	ev.u.err.layer = "capture";
	ev.u.err.msg = msg;
	emit(p, &ev);
}

void sd_pipeline_finish(struct sd_pipeline *p)
{
	sd_tcp_finish(p->tcp);
	sd_dns_txn_finish(p->txn);
}

void sd_pipeline_free(struct sd_pipeline *p)
{
	if (!p)
		return;
	if (p->tcp)
		sd_tcp_free(p->tcp);
	if (p->txn)
		sd_dns_txn_free(p->txn);
	if (p->frag)
		sd_ipfrag_free(p->frag);
	free(p);
}

void sd_pipeline_stats(const struct sd_pipeline *p, struct sd_pipeline_stats *out) { *out = p->st; }

/* Runs an open source to its end (and closes it). */
static int run_source(struct sd_source *src, const char *name, const struct sd_pipeline_opts *opts, sd_event_fn fn,
		      void *ud, struct sd_run_info *info)
{
	struct sd_pipeline *p = sd_pipeline_new(opts, fn, ud);
	if (!p) {
		snprintf(info->error, sizeof info->error, "%s: out of memory", name);
		sd_source_close(src);
		info->status = -1;
		return info->status;
	}
	struct sd_frame f;
	int r;
	while ((r = sd_source_next(src, &f)) == 1) {
		if (info->frames == 0)
			info->first_ts_ns = f.ts_ns;
		info->last_ts_ns = f.ts_ns;
		info->frames++;
		sd_pipeline_frame(p, &f);
	}
	if (r < 0) {
		snprintf(info->error, sizeof info->error, "%s", sd_source_error(src));
		info->status = -2;
		sd_pipeline_capture_error(p, info->error);
	}
	sd_pipeline_finish(p);
	sd_pipeline_stats(p, &info->stats);
	snprintf(info->format, sizeof info->format, "%s", sd_source_format(src));
	info->nlinktypes = sd_source_linktypes(src, info->linktypes, 8);
	sd_pipeline_free(p);
	sd_source_close(src);
	return info->status;
}

int sd_pipeline_run_file(const char *path, const struct sd_pipeline_opts *opts, sd_event_fn fn, void *ud,
			 struct sd_run_info *info)
{
	memset(info, 0, sizeof *info);
	struct sd_source *src = sd_source_open_file(path, info->error, sizeof info->error);
	if (!src) {
		info->status = -1;
		return info->status;
	}
	return run_source(src, path, opts, fn, ud, info);
}

int sd_pipeline_run_stream(FILE *fp, const char *name, const struct sd_pipeline_opts *opts, sd_event_fn fn,
			   void *ud, struct sd_run_info *info)
{
	memset(info, 0, sizeof *info);
	struct sd_source *src = sd_source_open_stream(fp, name, info->error, sizeof info->error);
	if (!src) {
		info->status = -1;
		return info->status;
	}
	return run_source(src, name, opts, fn, ud, info);
}
