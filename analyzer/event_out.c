/*
 * event_out.c - one line per event, as text or JSON (JSON Lines). The
 * JSON field names are documented in docs/dump-json.md; they are a
 * stable interface for scripts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "json.h"

static const char *const ev_names[SD_EV__COUNT] = {
	[SD_EV_DNS_QUERY] = "dns-query",
	[SD_EV_DNS_RESPONSE] = "dns-response",
	[SD_EV_DNS_UNANSWERED] = "dns-unanswered",
	[SD_EV_TCP_SYN] = "tcp-syn",
	[SD_EV_TCP_ESTABLISHED] = "tcp-established",
	[SD_EV_TCP_REFUSED] = "tcp-refused",
	[SD_EV_TCP_RESET] = "tcp-reset",
	[SD_EV_TCP_FIN] = "tcp-fin",
	[SD_EV_TCP_TIMEOUT] = "tcp-timeout",
	[SD_EV_TCP_GAP] = "tcp-gap",
	[SD_EV_TLS_CLIENT_HELLO] = "tls-client-hello",
	[SD_EV_TLS_SERVER_HELLO] = "tls-server-hello",
	[SD_EV_TLS_CERTIFICATE] = "tls-certificate",
	[SD_EV_TLS_ALERT] = "tls-alert",
	[SD_EV_TLS_ENCRYPTED] = "tls-encrypted",
	[SD_EV_DECODE_ERROR] = "decode-error",
	[SD_EV_CAPTURE_ERROR] = "capture-error",
};

const char *sd_ev_type_str(enum sd_ev_type t)
{
	return (unsigned)t < SD_EV__COUNT && ev_names[t] ? ev_names[t] : "unknown";
}

static void fmt_time(int64_t ts_ns, char *buf, size_t len)
{
	time_t s = (time_t)(ts_ns / 1000000000LL);
	long us = (long)((ts_ns % 1000000000LL) / 1000);
	if (us < 0) {
		us += 1000000;
		s--;
	}
	struct tm tm;
	gmtime_r(&s, &tm);
	char b[32];
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", b, us);
}

/* Compact text of one resource record's data. */
static void rr_data(const struct sd_dns_rr *rr, char *buf, size_t len)
{
	char a[SD_ADDRSTRLEN];
	switch (rr->type) {
	case SD_DNS_T_A:
	case SD_DNS_T_AAAA:
		snprintf(buf, len, "%s", sd_addr_str(&rr->u.addr, a, sizeof a));
		break;
	case SD_DNS_T_CNAME:
	case SD_DNS_T_NS:
	case SD_DNS_T_PTR:
		snprintf(buf, len, "%s", rr->u.target ? rr->u.target : "");
		break;
	case SD_DNS_T_SRV:
		snprintf(buf, len, "%u %u %u %s", rr->u.srv.priority, rr->u.srv.weight, rr->u.srv.port,
			 rr->u.srv.target && *rr->u.srv.target ? rr->u.srv.target : ".");
		break;
	case SD_DNS_T_MX:
		snprintf(buf, len, "%u %s", rr->u.mx.preference, rr->u.mx.exchange ? rr->u.mx.exchange : "");
		break;
	case SD_DNS_T_SOA:
		snprintf(buf, len, "%s %s %u", rr->u.soa.mname ? rr->u.soa.mname : "",
			 rr->u.soa.rname ? rr->u.soa.rname : "", rr->u.soa.serial);
		break;
	case SD_DNS_T_TXT:
		snprintf(buf, len, "%s", rr->u.txt.text ? rr->u.txt.text : "");
		break;
	case SD_DNS_T_OPT:
		snprintf(buf, len, "udp=%u version=%u do=%u", rr->u.opt.udp_size, rr->u.opt.version, rr->u.opt.do_bit);
		break;
	default:
		snprintf(buf, len, "(%u bytes)", rr->rdlen);
	}
}

static void text_dns(FILE *out, const struct sd_event *ev)
{
	const struct sd_dns_msg *m = ev->u.dns.msg;
	char t[16];
	fprintf(out, " id=0x%04x %s %s", m->id, m->has_question ? (*m->qname ? m->qname : ".") : "(no question)",
		m->has_question ? sd_dns_type_str(m->qtype, t, sizeof t) : "");
	if (ev->type == SD_EV_DNS_RESPONSE) {
		fprintf(out, " %s", sd_dns_rcode_str(m->rcode));
		if (m->tc)
			fputs(" TC", out);
		if (ev->u.dns.query_frame)
			fprintf(out, " (query #%" PRIu64 ", %.1f ms)", ev->u.dns.query_frame, ev->u.dns.rtt_ns / 1e6);
		else
			fputs(" (query not seen)", out);
		int shown = 0;
		for (size_t i = 0; i < m->nrr; i++) {
			const struct sd_dns_rr *rr = &m->rr[i];
			if (rr->section != SD_DNS_AN)
				continue;
			char d[300];
			rr_data(rr, d, sizeof d);
			fprintf(out, "%s %s %s", shown++ ? "," : " :", sd_dns_type_str(rr->type, t, sizeof t), d);
		}
	}
}

static void text_cert(FILE *out, const struct sd_event *ev)
{
	fprintf(out, " %zu of %zu certificate(s)%s", ev->u.cert.n, ev->u.cert.total,
		ev->u.cert.by_client ? " from the client" : "");
	if (ev->u.cert.n) {
		const struct sd_cert *c = &ev->u.cert.certs[0];
		fprintf(out, ": CN=%s SAN=", c->cn[0] ? c->cn : "-");
		for (size_t i = 0; i < c->nsan_dns; i++)
			fprintf(out, "%s%s", i ? "," : "", c->san_dns[i]);
		if (!c->nsan_dns)
			fputs("-", out);
	}
}

void sd_event_print_text(FILE *out, const struct sd_event *ev)
{
	char ts[40];
	fmt_time(ev->ts_ns, ts, sizeof ts);
	fprintf(out, "%6" PRIu64 " %s %-16s", ev->frame, ts, sd_ev_type_str(ev->type));
	if (ev->src.family) {
		char s[SD_ADDRSTRLEN], d[SD_ADDRSTRLEN];
		fprintf(out, " %s:%u -> %s:%u", sd_addr_str(&ev->src, s, sizeof s), ev->sport,
			sd_addr_str(&ev->dst, d, sizeof d), ev->dport);
	}
	switch (ev->type) {
	case SD_EV_DNS_QUERY:
	case SD_EV_DNS_RESPONSE:
	case SD_EV_DNS_UNANSWERED:
		text_dns(out, ev);
		break;
	case SD_EV_TCP_RESET:
	case SD_EV_TCP_FIN:
		fprintf(out, " by %s", ev->u.tcp.by_server ? "server" : "client");
		break;
	case SD_EV_TCP_GAP:
		fprintf(out, " %u bytes missing %s", ev->u.tcp.gap_len,
			ev->u.tcp.gap_dir ? "server->client" : "client->server");
		break;
	case SD_EV_TLS_CLIENT_HELLO: {
		const struct sd_tls_client_hello *h = ev->u.ch;
		fprintf(out, " SNI=%s max=%s", h->sni[0] ? h->sni : "-",
			sd_tls_version_str(h->nversions ? h->versions[0] : h->legacy_version));
		break;
	}
	case SD_EV_TLS_SERVER_HELLO:
		fprintf(out, " %s cipher=0x%04x%s", sd_tls_version_str(ev->u.sh->version), ev->u.sh->cipher,
			ev->u.sh->hello_retry ? " HelloRetryRequest" : "");
		break;
	case SD_EV_TLS_CERTIFICATE:
		text_cert(out, ev);
		break;
	case SD_EV_TLS_ALERT:
		if (ev->u.alert.encrypted)
			fprintf(out, " encrypted alert from %s", ev->u.alert.by_server ? "server" : "client");
		else
			fprintf(out, " %s %s from %s", ev->u.alert.level == 2 ? "fatal" : "warning",
				sd_tls_alert_str(ev->u.alert.desc), ev->u.alert.by_server ? "server" : "client");
		break;
	case SD_EV_TLS_ENCRYPTED:
		fprintf(out, " %s handshake no longer visible (%s)", ev->u.enc.by_server ? "server" : "client",
			ev->u.enc.version ? sd_tls_version_str(ev->u.enc.version) : "version unknown");
		break;
	case SD_EV_DECODE_ERROR:
	case SD_EV_CAPTURE_ERROR:
		fprintf(out, " %s: %s: %s", ev->u.err.layer, sd_status_str(ev->u.err.status), ev->u.err.msg);
		break;
	default:
		break;
	}
}

static void json_addr(struct sd_json *j, const char *key, const struct sd_addr *a)
{
	if (a->family) {
		char b[SD_ADDRSTRLEN];
		sd_json_str(j, key, sd_addr_str(a, b, sizeof b));
	} else {
		sd_json_null(j, key);
	}
}

static void json_rr(struct sd_json *j, const struct sd_dns_rr *rr)
{
	static const char *const sect[] = { "?", "answer", "authority", "additional" };
	char t[16], a[SD_ADDRSTRLEN];
	sd_json_obj(j, NULL);
	sd_json_str(j, "section", sect[rr->section < 4 ? rr->section : 0]);
	sd_json_str(j, "name", rr->name);
	sd_json_str(j, "type", sd_dns_type_str(rr->type, t, sizeof t));
	sd_json_uint(j, "ttl", rr->ttl);
	switch (rr->type) {
	case SD_DNS_T_A:
	case SD_DNS_T_AAAA:
		sd_json_str(j, "address", sd_addr_str(&rr->u.addr, a, sizeof a));
		break;
	case SD_DNS_T_CNAME:
	case SD_DNS_T_NS:
	case SD_DNS_T_PTR:
		sd_json_str(j, "target", rr->u.target);
		break;
	case SD_DNS_T_SRV:
		sd_json_uint(j, "priority", rr->u.srv.priority);
		sd_json_uint(j, "weight", rr->u.srv.weight);
		sd_json_uint(j, "port", rr->u.srv.port);
		sd_json_str(j, "target", rr->u.srv.target);
		break;
	case SD_DNS_T_MX:
		sd_json_uint(j, "preference", rr->u.mx.preference);
		sd_json_str(j, "target", rr->u.mx.exchange);
		break;
	case SD_DNS_T_SOA:
		sd_json_str(j, "mname", rr->u.soa.mname);
		sd_json_str(j, "rname", rr->u.soa.rname);
		sd_json_uint(j, "serial", rr->u.soa.serial);
		sd_json_uint(j, "minimum", rr->u.soa.minimum);
		break;
	case SD_DNS_T_TXT:
		sd_json_str(j, "text", rr->u.txt.text);
		break;
	case SD_DNS_T_OPT:
		sd_json_uint(j, "udp_size", rr->u.opt.udp_size);
		sd_json_uint(j, "version", rr->u.opt.version);
		sd_json_bool(j, "do", rr->u.opt.do_bit);
		break;
	default:
		sd_json_uint(j, "rdlength", rr->rdlen);
	}
	sd_json_obj_end(j);
}

static void json_dns(struct sd_json *j, const struct sd_event *ev)
{
	const struct sd_dns_msg *m = ev->u.dns.msg;
	sd_json_uint(j, "id", m->id);
	sd_json_bool(j, "response", m->qr);
	sd_json_uint(j, "opcode", m->opcode);
	sd_json_uint(j, "rcode", m->rcode);
	sd_json_str(j, "rcode_name", sd_dns_rcode_str(m->rcode));
	sd_json_bool(j, "tc", m->tc);
	sd_json_bool(j, "aa", m->aa);
	sd_json_bool(j, "rd", m->rd);
	sd_json_bool(j, "ra", m->ra);
	if (m->has_question) {
		char t[16];
		sd_json_str(j, "qname", m->qname);
		sd_json_uint(j, "qtype", m->qtype);
		sd_json_str(j, "qtype_name", sd_dns_type_str(m->qtype, t, sizeof t));
	} else {
		sd_json_null(j, "qname");
	}
	sd_json_uint(j, "qdcount", m->qdcount);
	sd_json_uint(j, "ancount", m->ancount);
	sd_json_uint(j, "nscount", m->nscount);
	sd_json_uint(j, "arcount", m->arcount);
	if (ev->type == SD_EV_DNS_RESPONSE) {
		if (ev->u.dns.query_frame) {
			sd_json_uint(j, "query_frame", ev->u.dns.query_frame);
			sd_json_double(j, "rtt_ms", (double)ev->u.dns.rtt_ns / 1e6);
		} else {
			sd_json_null(j, "query_frame");
		}
		sd_json_arr(j, "records");
		for (size_t i = 0; i < m->nrr; i++)
			json_rr(j, &m->rr[i]);
		sd_json_arr_end(j);
		if (m->rr_dropped)
			sd_json_uint(j, "records_dropped", m->rr_dropped);
	}
	if (m->status != SD_OK) {
		sd_json_str(j, "status", sd_status_str(m->status));
		sd_json_str(j, "error", m->error);
	}
}

static void json_cert(struct sd_json *j, const struct sd_cert *c)
{
	sd_json_obj(j, NULL);
	sd_json_str(j, "subject", c->subject);
	sd_json_str(j, "issuer", c->issuer);
	sd_json_str(j, "cn", c->cn);
	sd_json_str(j, "serial", c->serial);
	sd_json_int(j, "not_before", c->not_before);
	sd_json_int(j, "not_after", c->not_after);
	sd_json_arr(j, "san_dns");
	for (size_t i = 0; i < c->nsan_dns; i++)
		sd_json_str(j, NULL, c->san_dns[i]);
	sd_json_arr_end(j);
	sd_json_arr(j, "san_ip");
	for (size_t i = 0; i < c->nsan_ip; i++)
		sd_json_str(j, NULL, c->san_ip[i]);
	sd_json_arr_end(j);
	sd_json_str(j, "eku", c->eku);
	sd_json_bool(j, "server_auth", c->eku_server_auth || !c->has_eku);
	sd_json_str(j, "key_type", c->key_type);
	sd_json_int(j, "key_bits", c->key_bits);
	sd_json_str(j, "sig_alg", c->sig_alg);
	sd_json_bool(j, "self_issued", c->self_issued);
	sd_json_str(j, "sha256", c->sha256_hex);
	sd_json_obj_end(j);
}

void sd_event_print_json(FILE *out, const struct sd_event *ev)
{
	struct sd_json j;
	char ts[40];
	sd_json_init(&j, out);
	sd_json_obj(&j, NULL);
	sd_json_str(&j, "type", sd_ev_type_str(ev->type));
	sd_json_uint(&j, "frame", ev->frame);
	sd_json_uint(&j, "frame_first", ev->frame_first);
	fmt_time(ev->ts_ns, ts, sizeof ts);
	sd_json_str(&j, "time", ts);
	sd_json_int(&j, "ts_ns", ev->ts_ns);
	if (ev->src.family) {
		sd_json_str(&j, "proto", ev->proto == 6 ? "tcp" : ev->proto == 17 ? "udp" : "ip");
		json_addr(&j, "src", &ev->src);
		sd_json_uint(&j, "sport", ev->sport);
		json_addr(&j, "dst", &ev->dst);
		sd_json_uint(&j, "dport", ev->dport);
	}
	if (ev->conn_id)
		sd_json_uint(&j, "conn", ev->conn_id);
	switch (ev->type) {
	case SD_EV_DNS_QUERY:
	case SD_EV_DNS_RESPONSE:
	case SD_EV_DNS_UNANSWERED:
		json_dns(&j, ev);
		break;
	case SD_EV_TCP_RESET:
	case SD_EV_TCP_FIN:
		sd_json_str(&j, "by", ev->u.tcp.by_server ? "server" : "client");
		sd_json_bool(&j, "midstream", ev->u.tcp.midstream);
		break;
	case SD_EV_TCP_SYN:
	case SD_EV_TCP_ESTABLISHED:
	case SD_EV_TCP_REFUSED:
	case SD_EV_TCP_TIMEOUT:
		sd_json_bool(&j, "midstream", ev->u.tcp.midstream);
		break;
	case SD_EV_TCP_GAP:
		sd_json_uint(&j, "gap_bytes", ev->u.tcp.gap_len);
		sd_json_str(&j, "direction", ev->u.tcp.gap_dir ? "server-to-client" : "client-to-server");
		break;
	case SD_EV_TLS_CLIENT_HELLO: {
		const struct sd_tls_client_hello *h = ev->u.ch;
		sd_json_str(&j, "sni", h->sni[0] ? h->sni : NULL);
		sd_json_str(&j, "legacy_version", sd_tls_version_str(h->legacy_version));
		sd_json_arr(&j, "versions");
		for (unsigned i = 0; i < h->nversions; i++)
			sd_json_str(&j, NULL, sd_tls_version_str(h->versions[i]));
		sd_json_arr_end(&j);
		sd_json_str(&j, "alpn", h->alpn[0] ? h->alpn : NULL);
		sd_json_uint(&j, "ciphers", h->ncipher);
		break;
	}
	case SD_EV_TLS_SERVER_HELLO:
		sd_json_str(&j, "version", sd_tls_version_str(ev->u.sh->version));
		sd_json_uint(&j, "cipher", ev->u.sh->cipher);
		sd_json_bool(&j, "hello_retry", ev->u.sh->hello_retry);
		break;
	case SD_EV_TLS_CERTIFICATE:
		sd_json_str(&j, "from", ev->u.cert.by_client ? "client" : "server");
		sd_json_uint(&j, "total", ev->u.cert.total);
		sd_json_arr(&j, "certificates");
		for (size_t i = 0; i < ev->u.cert.n; i++)
			json_cert(&j, &ev->u.cert.certs[i]);
		sd_json_arr_end(&j);
		break;
	case SD_EV_TLS_ALERT:
		sd_json_str(&j, "from", ev->u.alert.by_server ? "server" : "client");
		sd_json_bool(&j, "encrypted", ev->u.alert.encrypted);
		if (!ev->u.alert.encrypted) {
			sd_json_str(&j, "level", ev->u.alert.level == 2 ? "fatal" : "warning");
			sd_json_str(&j, "description", sd_tls_alert_str(ev->u.alert.desc));
		}
		break;
	case SD_EV_TLS_ENCRYPTED:
		sd_json_str(&j, "from", ev->u.enc.by_server ? "server" : "client");
		sd_json_str(&j, "version", ev->u.enc.version ? sd_tls_version_str(ev->u.enc.version) : NULL);
		break;
	case SD_EV_DECODE_ERROR:
	case SD_EV_CAPTURE_ERROR:
		sd_json_str(&j, "layer", ev->u.err.layer);
		sd_json_str(&j, "status", sd_status_str(ev->u.err.status));
		sd_json_str(&j, "message", ev->u.err.msg);
		break;
	default:
		break;
	}
	sd_json_obj_end(&j);
}
