/*
 * ip.c - the network layer: IPv4 and IPv6 headers, IPv6 extension headers,
 * IP-in-IP / 6in4 / IPv6-in-IPv6 tunnels, and the hand-off of fragments to
 * the reassembly table (ipfrag.c).
 *
 * Lengths are judged against two sizes: what was captured (the cursor) and
 * what was on the wire (captured + `missing`). A field beyond the capture but
 * within the wire is SD_E_TRUNC (the capture's fault); beyond the wire, or
 * contradicting another length, is SD_E_MALFORMED (the packet's fault).
 */
#include "ip.h"
#include "link.h"

#include <string.h>

#define MAX_DEPTH 4 /* nested tunnel headers; the outermost counts as 1 */
#define MAX_EXT 16  /* IPv6 extension headers per packet; real ones carry 0-3 */

/* IPv6 next-header values */
#define NH_HOPOPTS 0
#define NH_IPIP 4
#define NH_IPV6 41
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_NONE 59
#define NH_DSTOPTS 60
#define NH_MOBILITY 135

struct ipctx {
	struct sd_ipfrag *f;
	uint64_t frame;
	int64_t ts;
};

/* Where earlier layers of the same packet were reassembled from fragments. */
struct fraginfo {
	uint8_t fragmented;
	uint64_t first_frame;
};

static int decode(const struct ipctx *x, uint16_t ethertype, struct cur net, uint64_t missing,
		  unsigned depth, struct fraginfo fi, struct sd_ip_pkt *out);

/* need bytes are not all captured: truncated if the wire had them. */
static int lack(uint64_t need, uint64_t wire)
{
	return need <= wire ? SD_E_TRUNC : SD_E_MALFORMED;
}

static void note_frag(struct fraginfo *fi, uint64_t first_frame)
{
	if (!fi->fragmented || first_frame < fi->first_frame)
		fi->first_frame = first_frame;
	fi->fragmented = 1;
}

/* The transport payload is found: either a tunnel to decode again, or done. */
static int upper(const struct ipctx *x, uint8_t proto, const struct sd_addr *src,
		 const struct sd_addr *dst, struct cur payload, uint64_t missing, unsigned depth,
		 struct fraginfo fi, struct sd_ip_pkt *out)
{
	if (proto == NH_IPIP || proto == NH_IPV6) {
		if (depth + 1 > MAX_DEPTH)
			return SD_E_UNSUPPORTED;
		return decode(x, proto == NH_IPIP ? SD_ETH_IPV4 : SD_ETH_IPV6, payload, missing, depth + 1,
			      fi, out);
	}
	out->src = *src;
	out->dst = *dst;
	out->proto = proto;
	out->payload = payload;
	/* a reassembled datagram is whole; only a plain packet can be cut */
	out->missing = missing > UINT32_MAX ? UINT32_MAX : (uint32_t)missing;
	out->fragmented = fi.fragmented;
	out->first_frame = fi.fragmented ? fi.first_frame : x->frame;
	return SD_IP_DONE;
}

/* An address at off in a fixed header (constant sizes: no library calls). */
static inline void addr4_at(const struct cur *h, size_t off, struct sd_addr *a)
{
	sd_ip_addr4_at(h, off, a);
}

static inline void addr6_at(const struct cur *h, size_t off, struct sd_addr *a)
{
	a->family = 6;
	cur_at_copy(h, off, a->a, 16);
}

static int v4(const struct ipctx *x, struct cur net, uint64_t missing, unsigned depth, struct fraginfo fi,
	      struct sd_ip_pkt *out)
{
	size_t cap = cur_left(&net);
	uint64_t wire = cap + missing;
	struct cur h = cur_sub(&net, 20);
	if (!cur_ok(&h))
		return lack(20, wire);
	/* DSCP/ECN, TTL and the checksum (offloading makes captured ones
	 * unreliable) are not read. */
	uint8_t vihl = cur_at_u8(&h, 0);
	uint64_t tot = cur_at_be16(&h, 2);
	uint16_t id = cur_at_be16(&h, 4);
	uint16_t fo = cur_at_be16(&h, 6);
	uint8_t proto = cur_at_u8(&h, 9);
	struct sd_addr src, dst;
	addr4_at(&h, 12, &src);
	addr4_at(&h, 16, &dst);
	size_t hl = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hl < 20)
		return SD_E_MALFORMED;
	int more = (fo & 0x2000) != 0;
	uint32_t off = (uint32_t)(fo & 0x1fff) * 8;
	if (tot == 0 && !more && !off)
		tot = wire; /* segmentation offload: the sender's NIC fills it in later */
	if (tot < hl || tot > wire)
		return SD_E_MALFORMED;
	if (cap < hl)
		return SD_E_TRUNC; /* hl <= tot <= wire */
	cur_skip(&net, hl - 20); /* options: nothing in them matters here */
	/* trim Ethernet padding beyond the total length; the rest is cut-off */
	uint64_t pl_wire = tot - hl;
	size_t pl_cap = cur_left(&net) < pl_wire ? cur_left(&net) : (size_t)pl_wire;
	struct cur pl = cur_sub(&net, pl_cap);
	if (!more && !off)
		return upper(x, proto, &src, &dst, pl, pl_wire - pl_cap, depth, fi, out);

	if (!x->f)
		return SD_E_UNSUPPORTED;
	struct sd_ipfrag_key k;
	memset(&k, 0, sizeof k);
	k.src = src;
	k.dst = dst;
	k.id = id;
	k.proto = proto;
	struct cur whole;
	uint64_t ff = 0;
	int r = sd_ipfrag_add(x->f, &k, off, more, pl, (uint32_t)pl_wire, x->frame, x->ts, &whole, &ff);
	if (r != SD_IP_DONE)
		return r;
	note_frag(&fi, ff);
	return upper(x, proto, &src, &dst, whole, 0, depth, fi, out);
}

/* Bytes at the cursor needed for the next header: SD_OK, or why not. */
static int v6_need(const struct cur *pl, uint64_t pl_wire, uint64_t n)
{
	uint64_t end = (uint64_t)cur_pos(pl) + n;
	if (end <= pl->len)
		return SD_OK;
	return lack(end, pl_wire);
}

static int v6(const struct ipctx *x, struct cur net, uint64_t missing, unsigned depth, struct fraginfo fi,
	      struct sd_ip_pkt *out)
{
	size_t cap = cur_left(&net);
	uint64_t wire = cap + missing;
	struct cur h = cur_sub(&net, 40);
	if (!cur_ok(&h))
		return lack(40, wire);
	/* traffic class, flow label and hop limit are not read */
	uint8_t ver = cur_at_u8(&h, 0);
	uint64_t plen = cur_at_be16(&h, 4);
	uint8_t nh = cur_at_u8(&h, 6);
	struct sd_addr src, dst;
	addr6_at(&h, 8, &src);
	addr6_at(&h, 24, &dst);
	if (ver >> 4 != 6)
		return SD_E_MALFORMED;
	/* 0 is a jumbogram or segmentation offload: the wire holds the truth */
	uint64_t pl_wire = plen ? plen : wire - 40;
	if (40 + pl_wire > wire)
		return SD_E_MALFORMED;
	size_t pl_cap = cur_left(&net) < pl_wire ? cur_left(&net) : (size_t)pl_wire;
	struct cur pl = cur_sub(&net, pl_cap);
	int reassembled = 0;

	for (unsigned n = 0;; n++) {
		switch (nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_MOBILITY:
		case NH_AH: {
			if (n >= MAX_EXT)
				return SD_E_LIMIT;
			int r = v6_need(&pl, pl_wire, 2);
			if (r != SD_OK)
				return r;
			uint8_t next = 0, len = 0;
			cur_peek(&pl, 0, &next);
			cur_peek(&pl, 1, &len);
			/* AH counts 4-byte words minus 2, the others 8-byte words minus 1 */
			size_t size = nh == NH_AH ? ((size_t)len + 2) * 4 : ((size_t)len + 1) * 8;
			r = v6_need(&pl, pl_wire, size);
			if (r != SD_OK)
				return r;
			cur_skip(&pl, size);
			nh = next;
			break;
		}
		case NH_FRAGMENT: {
			if (n >= MAX_EXT)
				return SD_E_LIMIT;
			if (reassembled)
				return SD_E_MALFORMED; /* a fragment inside a fragment */
			int r = v6_need(&pl, pl_wire, 8);
			if (r != SD_OK)
				return r;
			uint8_t next = cur_u8(&pl);
			cur_skip(&pl, 1);
			uint16_t fo = cur_be16(&pl);
			uint32_t id = cur_be32(&pl);
			uint32_t off = fo & 0xfff8u;
			int more = fo & 1;
			nh = next;
			if (!off && !more)
				break; /* atomic fragment (RFC 6946): a whole packet */
			if (!x->f)
				return SD_E_UNSUPPORTED;
			struct sd_ipfrag_key k;
			memset(&k, 0, sizeof k);
			k.src = src;
			k.dst = dst;
			k.id = id;
			k.proto = next;
			uint64_t data_wire = pl_wire - cur_pos(&pl);
			if (data_wire > UINT32_MAX)
				return SD_E_MALFORMED; /* a jumbogram cannot be a fragment */
			struct cur whole;
			uint64_t ff = 0;
			r = sd_ipfrag_add(x->f, &k, off, more, cur_rest(&pl), (uint32_t)data_wire, x->frame, x->ts,
					  &whole, &ff);
			if (r != SD_IP_DONE)
				return r;
			note_frag(&fi, ff);
			/* the headers after the fragment header are in the reassembled bytes */
			pl = whole;
			pl_wire = whole.len;
			reassembled = 1;
			break;
		}
		default: {
			uint64_t pl_missing = pl_wire - pl.len;
			return upper(x, nh, &src, &dst, cur_rest(&pl), pl_missing, depth, fi, out);
		}
		}
	}
}

static int decode(const struct ipctx *x, uint16_t ethertype, struct cur net, uint64_t missing,
		  unsigned depth, struct fraginfo fi, struct sd_ip_pkt *out)
{
	switch (ethertype) {
	case SD_ETH_IPV4: return v4(x, net, missing, depth, fi, out);
	case SD_ETH_IPV6: return v6(x, net, missing, depth, fi, out);
	default: return SD_E_UNSUPPORTED;
	}
}

int sd_ip_decode_any(struct sd_ipfrag *f, uint16_t ethertype, struct cur net, uint32_t missing,
		     uint64_t frame, int64_t ts_ns, struct sd_ip_pkt *out)
{
	struct ipctx x = { f, frame, ts_ns };
	struct fraginfo fi = { 0, 0 };
	/* out is filled whole on SD_IP_DONE (upper), so it is not cleared here */
	if (f && sd_ipfrag_held(f))
		sd_ipfrag_expire(f, ts_ns);
	return decode(&x, ethertype, net, missing, 1, fi, out);
}
