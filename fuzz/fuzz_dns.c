/*
 * fuzz_dns.c - libFuzzer target for the DNS decoder and DNS-over-TCP framing.
 *
 * The whole input is first decoded as one DNS message (both as a complete
 * message and as one cut by the capture, since the two take different error
 * paths). Then it is split on "\1PKT" into TCP segments fed in order to one
 * sd_dnstcp; each segment's first byte is a control byte: when its low bit
 * is set, a gap of (ctl >> 1) * 7 bytes precedes the segment, so the resync
 * paths are reached. Every framed message is decoded too.
 */
#define _GNU_SOURCE /* memmem */
#include "dns.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sd_dns_msg msg; /* 17 KiB: not on the stack */
static volatile size_t sink;    /* keeps the reads from being optimised away */

/* Reads every kept string so the sanitizer checks they are terminated and
 * inside the message's arena. */
static size_t touch(const struct sd_dns_msg *m)
{
	size_t n = strlen(m->qname) + strlen(m->error);
	for (size_t i = 0; i < m->nrr; i++) {
		const struct sd_dns_rr *r = &m->rr[i];
		n += strlen(r->name);
		switch (r->type) {
		case SD_DNS_T_CNAME:
		case SD_DNS_T_NS:
		case SD_DNS_T_PTR: n += strlen(r->u.target); break;
		case SD_DNS_T_SRV: n += strlen(r->u.srv.target); break;
		case SD_DNS_T_MX: n += strlen(r->u.mx.exchange); break;
		case SD_DNS_T_SOA: n += strlen(r->u.soa.mname) + strlen(r->u.soa.rname); break;
		case SD_DNS_T_TXT: n += strlen(r->u.txt.text); break;
		default: break;
		}
	}
	return n;
}

static void on_msg(void *ud, const uint8_t *m, size_t len, uint64_t frame_first, uint64_t frame, int64_t ts)
{
	(void)frame_first;
	(void)frame;
	(void)ts;
	size_t *sum = ud;
	sd_dns_parse(m, len, 0, &msg);
	*sum += touch(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sum = 0;
	sd_dns_parse(data, size, 0, &msg);
	sum += touch(&msg);
	sd_dns_parse(data, size, 1, &msg);
	sum += touch(&msg);
	sum += (size_t)sd_dns_plausible(data, size);

	struct sd_dnstcp *t = sd_dnstcp_new(on_msg, &sum);
	if (!t)
		return 0;
	static const uint8_t sep[4] = { 1, 'P', 'K', 'T' };
	struct cur c = cur_init(data, size);
	uint64_t frame = 0;
	while (cur_left(&c)) {
		const uint8_t *p = cur_data(&c);
		const uint8_t *e = memmem(p, cur_left(&c), sep, sizeof sep);
		size_t n = e ? (size_t)(e - p) : cur_left(&c);
		struct cur seg = cur_sub(&c, n);
		if (e)
			cur_skip(&c, sizeof sep);
		uint8_t ctl = cur_u8(&seg);
		if (!cur_ok(&seg))
			continue;
		if (ctl & 1)
			sd_dnstcp_gap(t, (uint32_t)(ctl >> 1) * 7u);
		frame++;
		sd_dnstcp_feed(t, cur_data(&seg), cur_left(&seg), frame, (int64_t)frame);
	}
	sum += sd_dnstcp_pending(t);
	sd_dnstcp_free(t);
	sink = sum;
	return 0;
}
