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

const char *sd_addr_str(const struct sd_addr *a, char *buf, size_t len)
{
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
	return memcmp(x->a, y->a, x->family == 4 ? 4 : 16) == 0;
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
