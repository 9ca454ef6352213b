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

const char *sd_addr_str(const struct sd_addr *a, char *buf, size_t len)
{
	if (a && a->family == 4) {
		if (v4_str(a->a, buf, len) != 0)
			snprintf(buf, len, "-");
		return buf;
	}
	if (!a || (a->family != 4 && a->family != 6) ||
	    !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len)) {
		snprintf(buf, len, "-");
	}
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
