#include "common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *sd_status_str(int status)
{
	switch (status) {
	case SD_OK: return "ok";
	case SD_E_TRUNC: return "truncated by capture";
	case SD_E_MALFORMED: return "malformed";
	case SD_E_UNSUPPORTED: return "unsupported";
	case SD_E_NOMEM: return "out of memory";
	case SD_E_IO: return "I/O error";
	case SD_E_LIMIT: return "resource limit reached";
	default: return "unknown status";
	}
}

/* inet_ntop's IPv4 form ("%u.%u.%u.%u") without its sprintf: reports
 * print an address per connection and finding. 0, or -1 when len is short
 * (inet_ntop's ENOSPC). */
static int v4_str(const uint8_t *p, char *buf, size_t len)
{
	char tmp[16];
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = p[i];
		if (i)
			tmp[o++] = '.';
		if (v >= 100)
			tmp[o++] = (char)('0' + v / 100);
		if (v >= 10)
			tmp[o++] = (char)('0' + v / 10 % 10);
		tmp[o++] = (char)('0' + v % 10);
	}
	if (o >= len)
		return -1;
	memcpy(buf, tmp, o);
	buf[o] = '\0';
	return 0;
}

/* inet_ntop's IPv6 form, step for step as glibc writes it: the first
 * longest run of two or more zero words becomes "::", and ::a.b.c.d and
 * ::ffff:a.b.c.d end in dotted IPv4. 0, or -1 when len is short. */
static int v6_str(const uint8_t *p, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[sizeof "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"];
	unsigned w[8];
	int best = -1, bestlen = 0, cur = -1, curlen = 0;
	size_t o = 0;
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)p[2 * i] << 8 | p[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				curlen = 1;
			} else {
				curlen++;
			}
		} else if (cur >= 0) {
			if (best < 0 || curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
			cur = -1;
		}
	}
	if (cur >= 0 && (best < 0 || curlen > bestlen)) {
		best = cur;
		bestlen = curlen;
	}
	if (best >= 0 && bestlen < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + bestlen) {
			if (i == best)
				tmp[o++] = ':';
			continue;
		}
		if (i)
			tmp[o++] = ':';
		if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff))) {
			if (v4_str(p + 12, tmp + o, sizeof tmp - o) != 0)
				return -1;
			o += strlen(tmp + o);
			break;
		}
		int started = 0;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 0xf;
			if (d || started || sh == 0) {
				tmp[o++] = hex[d];
				started = 1;
			}
		}
	}
	if (best >= 0 && best + bestlen == 8)
		tmp[o++] = ':';
	if (o >= len)
		return -1;
	memcpy(buf, tmp, o);
	buf[o] = '\0';
	return 0;
}

const char *sd_addr_str(const struct sd_addr *a, char *buf, size_t len)
{
	int rc = -1;
	if (a && a->family == 4)
		rc = v4_str(a->a, buf, len);
	else if (a && a->family == 6)
		rc = v6_str(a->a, buf, len);
	if (rc != 0)
		snprintf(buf, len, "-");
	return buf;
}

int sd_addr_eq(const struct sd_addr *x, const struct sd_addr *y)
{
	if (x->family != y->family)
		return 0;
	/* fixed-size compares: the compiler turns these into word loads */
	if (x->family == 4)
		return memcmp(x->a, y->a, 4) == 0;
	return memcmp(x->a, y->a, 16) == 0;
}

int sd_addr_parse(const char *s, struct sd_addr *out)
{
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	return -1;
}
