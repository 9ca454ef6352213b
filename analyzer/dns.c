/*
 * dns.c - DNS message decoder (RFC 1035, 2782 SRV, 6891 EDNS).
 *
 * One pass over the message through a struct cur. Names are written in
 * presentation form into the message's own string arena, so decoding never
 * allocates. The first error stops decoding: records decoded before it stay
 * in msg->rr, status says TRUNC or MALFORMED and error says where.
 *
 * Choices worth knowing:
 * - A record is kept only when it decoded completely; the one that broke is
 *   named in error but not added to rr[].
 * - Records beyond SD_DNS_MAX_RR are still decoded (names into a scratch
 *   buffer, rdata checked) so an error after them is still reported; they are
 *   counted in rr_dropped. The OPT record applies its extended rcode even
 *   when it is one of them.
 * - Label bytes '.' and '\' are written "\." and "\\", bytes outside
 *   0x21..0x7e as \DDD (as dig does), so "a.b" in one label never reads as
 *   two labels. TXT strings are joined with " "; inside them '\' is "\\" and
 *   bytes outside 0x20..0x7e are \DDD.
 * - Bytes after the last counted record are ignored (padding is common).
 */
#include "dns.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_LEN 12
#define NAME_WIRE_MAX 255
#define LABEL_MAX 63
#define MAX_JUMPS 64 /* backward-only already ends every chain; this bounds work */

static const char empty[] = "";

struct ctx {
	struct cur msg; /* whole message: compression pointers are offsets into it */
	struct sd_dns_msg *m;
	int trunc;
	const char *last; /* last name stored, reused when the next one is equal */
	int opt_seen;
	const struct cur *rdwin; /* the rdata window being decoded, else NULL */
	char name[SD_DNS_NAME_MAX];
};

/* What running out of bytes means depends on whether the capture cut them. */
static int short_status(const struct ctx *x) { return x->trunc ? SD_E_TRUNC : SD_E_MALFORMED; }
static const char *short_why(const struct ctx *x)
{
	return x->trunc ? "cut by capture" : "past end of message";
}

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *x, int status, const char *fmt, ...)
{
	if (x->m->status == SD_OK) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->m->error, sizeof x->m->error, fmt, ap);
		va_end(ap);
		x->m->status = status;
	}
	return status;
}

/* Appends s[0..n) to a bounded buffer; returns 0 when it does not fit. */
static int put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (n >= cap - *o)
		return 0;
	memcpy(out + *o, s, n);
	*o += n;
	return 1;
}

/* One label byte in presentation form (dig style). */
static int put_label_byte(char *out, size_t cap, size_t *o, uint8_t b)
{
	char e[5];
	if (b == '.' || b == '\\') {
		e[0] = '\\';
		e[1] = (char)b;
		return put(out, cap, o, e, 2);
	}
	if (b < 0x21 || b > 0x7e) {
		snprintf(e, sizeof e, "\\%03u", b);
		return put(out, cap, o, e, 4);
	}
	e[0] = (char)b;
	return put(out, cap, o, e, 1);
}

/*
 * Reads the name at in's position into x->name. in's window ends where the
 * name's own bytes must end (the rdata end inside rdata), and in is left just
 * after them (after the first pointer, or the root label). Pointers are
 * followed in x->msg and must point strictly below every offset this name
 * has used so far (tcpdump/BIND rule), so chains cannot loop.
 * Returns SD_OK, or a status with *why set.
 */
static int read_name(struct ctx *x, struct cur *in, size_t *outlen, const char **why)
{
	struct cur jump;
	struct cur *rc = in;
	size_t lowest = cur_pos(in), wire = 0, o = 0;
	int jumps = 0;
	x->name[0] = '\0';
	for (;;) {
		size_t at = cur_pos(rc);
		uint8_t b = cur_u8(rc);
		if (!cur_ok(rc))
			goto short_read;
		if ((b & 0xC0) == 0xC0) {
			uint8_t lo = cur_u8(rc);
			if (!cur_ok(rc))
				goto short_read;
			size_t off = (size_t)(b & 0x3F) << 8 | lo;
			if (off < HDR_LEN) {
				*why = "compression pointer into header";
				return SD_E_MALFORMED;
			}
			if (off == at) {
				*why = "compression pointer to itself";
				return SD_E_MALFORMED;
			}
			if (off >= lowest) {
				*why = "compression pointer forward";
				return SD_E_MALFORMED;
			}
			if (++jumps > MAX_JUMPS) {
				*why = "too many compression pointers";
				return SD_E_MALFORMED;
			}
			lowest = off;
			jump = x->msg;
			cur_seek(&jump, off);
			rc = &jump;
			continue;
		}
		if (b & 0xC0) {
			*why = (b & 0xC0) == 0x40 ? "label type 0x40" : "label type 0x80";
			return SD_E_MALFORMED;
		}
		if (b == 0)
			break;
		/* this label plus the root byte still to come */
		wire += 1u + b;
		if (wire + 1 > NAME_WIRE_MAX) {
			*why = "name longer than 255 bytes";
			return SD_E_MALFORMED;
		}
		const uint8_t *p = cur_take(rc, b);
		if (!p)
			goto short_read;
		if (o && !put(x->name, sizeof x->name, &o, ".", 1))
			goto too_long;
		for (size_t i = 0; i < b; i++)
			if (!put_label_byte(x->name, sizeof x->name, &o, p[i]))
				goto too_long;
	}
	x->name[o] = '\0';
	*outlen = o;
	return SD_OK;
short_read:
	/* Inside rdata the window ends at rdlen: running past it is the
	 * record's fault, not the capture's. */
	if (rc == in && in == x->rdwin) {
		*why = "runs past rdlen";
		return SD_E_MALFORMED;
	}
	*why = short_why(x);
	return short_status(x);
too_long: /* cannot happen within 255 wire bytes; kept as a bound */
	*why = "name too long to print";
	return SD_E_LIMIT;
}

/* Copies a decoded name into the arena; NULL when it is full. */
static const char *store(struct ctx *x, const char *s, size_t n)
{
	struct sd_dns_msg *m = x->m;
	if (n == 0)
		return empty;
	if (x->last && strcmp(x->last, s) == 0)
		return x->last;
	if (n + 1 > sizeof m->strbuf - m->strused)
		return NULL;
	char *d = m->strbuf + m->strused;
	memcpy(d, s, n + 1);
	m->strused += n + 1;
	x->last = d;
	return d;
}

/* Where a field is ("answer 2 rdata: SRV target"): formatted only for an
 * error message, not for every field of every message. */
struct where {
	const char *sn;    /* section name */
	unsigned idx;
	const char *part;  /* "name" or "rdata" */
	const char *field; /* NULL, or a field inside the rdata */
};

#define WHERE_LEN 96

static const char *wstr(const struct where *w, char *buf)
{
	if (w->field)
		snprintf(buf, WHERE_LEN, "%s %u %s: %s", w->sn, w->idx, w->part, w->field);
	else
		snprintf(buf, WHERE_LEN, "%s %u %s", w->sn, w->idx, w->part);
	return buf;
}

/*
 * A name field; *out gets the stored name (or stays untouched when keep is
 * 0). On error records "<where>: <why>" and returns the status.
 */
static int name_field(struct ctx *x, struct cur *in, const char **out, int keep, const struct where *where)
{
	size_t n;
	const char *why = NULL;
	char wb[WHERE_LEN];
	int st = read_name(x, in, &n, &why);
	if (st != SD_OK)
		return fail(x, st, "%s: %s", wstr(where, wb), why);
	if (keep) {
		const char *s = store(x, x->name, n);
		if (!s)
			return fail(x, SD_E_LIMIT, "%s: string arena full", wstr(where, wb));
		*out = s;
	}
	return SD_OK;
}

/* TXT: character-strings joined by " ", written straight into the arena. */
static int txt_rdata(struct ctx *x, struct cur *rd, struct sd_dns_rr *rr, const struct where *where)
{
	char wb[WHERE_LEN];
	struct sd_dns_msg *m = x->m;
	char *out = m->strbuf + m->strused;
	size_t cap = sizeof m->strbuf - m->strused, o = 0;
	int full = 0, first = 1;
	while (cur_left(rd)) {
		uint8_t n = cur_u8(rd);
		const uint8_t *p = cur_take(rd, n);
		if (!p)
			return fail(x, SD_E_MALFORMED, "%s: TXT string runs past rdlen", wstr(where, wb));
		if (!rr || full)
			continue;
		if (!first && !put(out, cap, &o, " ", 1))
			full = 1;
		first = 0;
		for (size_t i = 0; i < n && !full; i++) {
			char e[5];
			size_t k = 1;
			e[0] = (char)p[i];
			if (p[i] == '\\') {
				e[1] = '\\';
				k = 2;
			} else if (p[i] < 0x20 || p[i] > 0x7e) {
				snprintf(e, sizeof e, "\\%03u", p[i]);
				k = 4;
			}
			if (!put(out, cap, &o, e, k))
				full = 1;
		}
	}
	if (!rr)
		return SD_OK;
	if (full || cap == 0)
		return fail(x, SD_E_LIMIT, "%s: TXT text: string arena full", wstr(where, wb));
	out[o] = '\0';
	m->strused += o + 1;
	rr->u.txt.text = out;
	return SD_OK;
}

/* Decodes rdata of the known types from rd (a window of exactly rdlen
 * bytes); rr is NULL for a record that is only walked. */
static int rdata(struct ctx *x, struct cur *rd, uint16_t type, struct sd_dns_rr *rr, uint8_t section,
		 uint32_t ttl, const struct where *where)
{
	char wb[WHERE_LEN];
	struct where fw = *where;
	const char *dummy = NULL;
	int keep = rr != NULL;
	size_t rdlen = cur_left(rd);
	switch (type) {
	case SD_DNS_T_A:
	case SD_DNS_T_AAAA: {
		size_t want = type == SD_DNS_T_A ? 4 : 16;
		if (rdlen != want)
			return fail(x, SD_E_MALFORMED, "%s: %s rdlen %zu, expected %zu", wstr(where, wb),
				    type == SD_DNS_T_A ? "A" : "AAAA", rdlen, want);
		if (rr) {
			rr->u.addr.family = type == SD_DNS_T_A ? 4 : 6;
			cur_copy(rd, rr->u.addr.a, want);
		} else {
			cur_skip(rd, want);
		}
		break;
	}
	case SD_DNS_T_CNAME:
	case SD_DNS_T_NS:
	case SD_DNS_T_PTR:
		fw.field = type == SD_DNS_T_CNAME ? "CNAME target" : type == SD_DNS_T_NS ? "NS target" : "PTR target";
		if (name_field(x, rd, keep ? &rr->u.target : &dummy, keep, &fw))
			return x->m->status;
		break;
	case SD_DNS_T_MX: {
		uint16_t pref = cur_be16(rd);
		if (!cur_ok(rd))
			return fail(x, SD_E_MALFORMED, "%s: MX preference runs past rdlen", wstr(where, wb));
		fw.field = "MX exchange";
		if (name_field(x, rd, keep ? &rr->u.mx.exchange : &dummy, keep, &fw))
			return x->m->status;
		if (rr)
			rr->u.mx.preference = pref;
		break;
	}
	case SD_DNS_T_SRV: {
		uint16_t pri = cur_be16(rd), w = cur_be16(rd), port = cur_be16(rd);
		if (!cur_ok(rd))
			return fail(x, SD_E_MALFORMED, "%s: SRV fields run past rdlen", wstr(where, wb));
		fw.field = "SRV target";
		if (name_field(x, rd, keep ? &rr->u.srv.target : &dummy, keep, &fw))
			return x->m->status;
		if (rr) {
			rr->u.srv.priority = pri;
			rr->u.srv.weight = w;
			rr->u.srv.port = port;
		}
		break;
	}
	case SD_DNS_T_SOA: {
		const char *mn = empty, *rn = empty;
		fw.field = "SOA mname";
		if (name_field(x, rd, &mn, keep, &fw))
			return x->m->status;
		fw.field = "SOA rname";
		if (name_field(x, rd, &rn, keep, &fw))
			return x->m->status;
		uint32_t v[5];
		for (int i = 0; i < 5; i++)
			v[i] = cur_be32(rd);
		if (!cur_ok(rd))
			return fail(x, SD_E_MALFORMED, "%s: SOA fields run past rdlen", wstr(where, wb));
		if (rr) {
			rr->u.soa.mname = mn;
			rr->u.soa.rname = rn;
			rr->u.soa.serial = v[0];
			rr->u.soa.refresh = v[1];
			rr->u.soa.retry = v[2];
			rr->u.soa.expire = v[3];
			rr->u.soa.minimum = v[4];
		}
		break;
	}
	case SD_DNS_T_TXT:
		if (txt_rdata(x, rd, rr, where))
			return x->m->status;
		break;
	case SD_DNS_T_OPT: {
		/* options are not kept, but each must fit in rdlen */
		while (cur_left(rd)) {
			cur_skip(rd, 2); /* option code */
			uint16_t olen = cur_be16(rd);
			cur_skip(rd, olen);
			if (!cur_ok(rd))
				return fail(x, SD_E_MALFORMED, "%s: OPT option runs past rdlen", wstr(where, wb));
		}
		uint8_t ext = (uint8_t)(ttl >> 24);
		if (rr) {
			rr->u.opt.udp_size = rr->cls;
			rr->u.opt.ext_rcode = ext;
			rr->u.opt.version = (uint8_t)(ttl >> 16);
			rr->u.opt.do_bit = (uint8_t)((ttl >> 15) & 1);
		}
		/* RFC 6891: only the additional section's (first) OPT counts */
		if (section == SD_DNS_AR && !x->opt_seen) {
			x->opt_seen = 1;
			x->m->rcode = (uint16_t)((unsigned)ext << 4 | (x->m->rcode & 0xF));
		}
		break;
	}
	default:
		cur_skip(rd, rdlen);
		break;
	}
	if (cur_left(rd))
		return fail(x, SD_E_MALFORMED, "%s: %zu bytes left over", wstr(where, wb), cur_left(rd));
	return SD_OK;
}

static const char *const sect_name[] = { "question", "answer", "authority", "additional" };

/* One resource record at the message cursor. */
static int parse_rr(struct ctx *x, struct cur *c, uint8_t section, unsigned idx, unsigned count)
{
	struct sd_dns_msg *m = x->m;
	const char *sn = sect_name[section];
	struct where where = { sn, idx, "name", NULL };
	if (cur_left(c) == 0)
		return fail(x, short_status(x), "%s %u of %u: %s", sn, idx, count, short_why(x));
	struct sd_dns_rr tmp, *rr = NULL;
	if (m->nrr < SD_DNS_MAX_RR) {
		rr = &tmp;
		memset(rr, 0, sizeof *rr);
		rr->section = section;
	}
	const char *owner = empty;
	if (name_field(x, c, &owner, rr != NULL, &where))
		return m->status;
	uint16_t type = cur_be16(c), cls = cur_be16(c);
	uint32_t ttl = cur_be32(c);
	uint16_t rdlen = cur_be16(c);
	if (!cur_ok(c))
		return fail(x, short_status(x), "%s %u: fixed fields %s", sn, idx, short_why(x));
	size_t start = cur_pos(c);
	if (rdlen > cur_left(c))
		return fail(x, short_status(x), "%s %u rdata: %s (rdlen %u, %zu left)", sn, idx, short_why(x),
			    rdlen, cur_left(c));
	cur_skip(c, rdlen);
	/* Same base as the message so name pointers stay absolute offsets;
	 * the window ends at rdlen so nothing in rdata reads past it. */
	struct cur rd = cur_init(c->base, start + rdlen);
	cur_seek(&rd, start);
	if (rr) {
		rr->type = type;
		rr->cls = cls;
		rr->ttl = ttl;
		rr->rdlen = rdlen;
		rr->name = owner;
	}
	where.part = "rdata";
	x->rdwin = &rd;
	int st = rdata(x, &rd, type, rr, section, ttl, &where);
	x->rdwin = NULL;
	if (st)
		return m->status;
	if (rr)
		m->rr[m->nrr++] = tmp;
	else
		m->rr_dropped++;
	return SD_OK;
}

static int parse_question(struct ctx *x, struct cur *c, unsigned idx, unsigned count)
{
	struct sd_dns_msg *m = x->m;
	struct where where = { "question", idx, "name", NULL };
	if (cur_left(c) == 0)
		return fail(x, short_status(x), "question %u of %u: %s", idx, count, short_why(x));
	const char *qn = empty;
	if (name_field(x, c, &qn, idx == 1, &where))
		return m->status;
	uint16_t t = cur_be16(c), k = cur_be16(c);
	if (!cur_ok(c))
		return fail(x, short_status(x), "question %u: type/class %s", idx, short_why(x));
	if (idx == 1) {
		m->has_question = 1;
		m->qname = qn;
		m->qtype = t;
		m->qclass = k;
	}
	return SD_OK;
}

int sd_dns_parse(const uint8_t *buf, size_t len, int truncated_capture, struct sd_dns_msg *msg)
{
	/* Everything before rr[] is small; rr[] and strbuf are only written as
	 * far as nrr and strused say, so they need no clearing. */
	memset(msg, 0, offsetof(struct sd_dns_msg, rr));
	msg->qname = empty;
	msg->status = SD_OK;
	msg->error[0] = '\0';
	msg->strused = 0;

	struct ctx x;
	x.msg = cur_init(buf, len);
	x.m = msg;
	x.trunc = truncated_capture;
	x.last = NULL;
	x.opt_seen = 0;
	x.rdwin = NULL;

	struct cur c = x.msg;
	if (len < HDR_LEN)
		return fail(&x, short_status(&x), "header: %s (%zu of 12 bytes)", short_why(&x), len);
	msg->id = cur_be16(&c);
	uint16_t fl = cur_be16(&c);
	msg->qr = fl >> 15;
	msg->opcode = (fl >> 11) & 0xF;
	msg->aa = (fl >> 10) & 1;
	msg->tc = (fl >> 9) & 1;
	msg->rd = (fl >> 8) & 1;
	msg->ra = (fl >> 7) & 1;
	msg->ad = (fl >> 5) & 1;
	msg->cd = (fl >> 4) & 1;
	msg->rcode = fl & 0xF;
	msg->qdcount = cur_be16(&c);
	msg->ancount = cur_be16(&c);
	msg->nscount = cur_be16(&c);
	msg->arcount = cur_be16(&c);

	for (unsigned i = 1; i <= msg->qdcount; i++)
		if (parse_question(&x, &c, i, msg->qdcount))
			return msg->status;
	const uint16_t counts[3] = { msg->ancount, msg->nscount, msg->arcount };
	for (unsigned s = SD_DNS_AN; s <= SD_DNS_AR; s++)
		for (unsigned i = 1; i <= counts[s - 1]; i++)
			if (parse_rr(&x, &c, s, i, counts[s - 1]))
				return msg->status;
	return msg->status;
}

/* Mnemonics of the types Wireshark names; others are "TYPEnnn" (RFC 3597). */
static const struct {
	uint16_t t;
	const char *s;
} type_names[] = {
	{ 1, "A" },	     { 2, "NS" },	   { 5, "CNAME" },	{ 6, "SOA" },	   { 10, "NULL" },
	{ 11, "WKS" },	     { 12, "PTR" },	   { 13, "HINFO" },	{ 15, "MX" },	   { 16, "TXT" },
	{ 17, "RP" },	     { 18, "AFSDB" },	   { 24, "SIG" },	{ 25, "KEY" },	   { 28, "AAAA" },
	{ 29, "LOC" },	     { 33, "SRV" },	   { 35, "NAPTR" },	{ 36, "KX" },	   { 37, "CERT" },
	{ 39, "DNAME" },     { 41, "OPT" },	   { 42, "APL" },	{ 43, "DS" },	   { 44, "SSHFP" },
	{ 45, "IPSECKEY" },  { 46, "RRSIG" },	   { 47, "NSEC" },	{ 48, "DNSKEY" },  { 49, "DHCID" },
	{ 50, "NSEC3" },     { 51, "NSEC3PARAM" }, { 52, "TLSA" },	{ 53, "SMIMEA" },  { 55, "HIP" },
	{ 59, "CDS" },	     { 60, "CDNSKEY" },	   { 61, "OPENPGPKEY" }, { 62, "CSYNC" },  { 63, "ZONEMD" },
	{ 64, "SVCB" },	     { 65, "HTTPS" },	   { 99, "SPF" },	{ 249, "TKEY" },   { 250, "TSIG" },
	{ 251, "IXFR" },     { 252, "AXFR" },	   { 255, "ANY" },	{ 256, "URI" },	   { 257, "CAA" },
};

const char *sd_dns_type_str(uint16_t type, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (type_names[i].t == type)
			return type_names[i].s;
	if (!buf || len == 0)
		return "TYPE";
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

uint16_t sd_dns_type_num(const char *name)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (!strcmp(type_names[i].s, name))
			return type_names[i].t;
	if (strncmp(name, "TYPE", 4) != 0 || name[4] < '0' || name[4] > '9')
		return 0;
	char *end;
	unsigned long v = strtoul(name + 4, &end, 10);
	return *end || v > 65535 ? 0 : (uint16_t)v;
}

const char *sd_dns_rcode_str(uint16_t rcode)
{
	static const char *const names[] = {
		"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET",  "NOTAUTH", "NOTZONE",  "DSOTYPENI", NULL,	  NULL,	     NULL,	 NULL,
		"BADVERS",  "BADKEY",  "BADTIME",  "BADMODE",  "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE",
	};
	if (rcode < sizeof names / sizeof names[0] && names[rcode])
		return names[rcode];
	/* No caller buffer in this signature: one per thread, valid until the
	 * next unknown rcode is named. */
	static _Thread_local char other[16];
	snprintf(other, sizeof other, "RCODE%u", rcode);
	return other;
}

int sd_dns_plausible(const uint8_t *buf, size_t len)
{
	struct cur c = cur_init(buf, len);
	cur_skip(&c, 2);
	uint16_t fl = cur_be16(&c);
	uint32_t qd = cur_be16(&c), an = cur_be16(&c), ns = cur_be16(&c), ar = cur_be16(&c);
	if (!cur_ok(&c))
		return 0;
	if (((fl >> 11) & 0xF) > 6)
		return 0;
	if (qd > 16)
		return 0;
	/* every question takes at least 5 bytes, every record at least 11 */
	uint64_t least = HDR_LEN + 5ull * qd + 11ull * (an + ns + ar);
	return least <= len;
}
