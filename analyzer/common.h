/*
 * common.h - types shared by every layer: status codes and addresses.
 */
#ifndef SD_COMMON_H
#define SD_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Status codes. Decoders keep "cut by the capture's snaplen" (TRUNC) apart
 * from "the bytes on the wire are wrong" (MALFORMED): only the first is the
 * capture's fault, and an auditor must know which one hid the evidence. */
enum sd_status {
	SD_OK = 0,
	SD_E_TRUNC = -1,       /* ran past the captured bytes of a frame cut by snaplen */
	SD_E_MALFORMED = -2,   /* inconsistent lengths, bad pointers, bad values */
	SD_E_UNSUPPORTED = -3, /* valid but not decoded (link type, protocol, version) */
	SD_E_NOMEM = -4,
	SD_E_IO = -5,
	SD_E_LIMIT = -6,       /* a resource bound was hit (buffers, flows) */
};

const char *sd_status_str(int status);

/* A write buffer in front of a FILE: the report and JSON writers append
 * many short pieces, and a FILE call per piece cost more than the
 * formatting (docs/performance.md). Set f and len = 0 to start. */
struct sd_wbuf {
	FILE *f;
	size_t len;
	char buf[4096];
};

static inline void sd_wbuf_flush(struct sd_wbuf *w)
{
	if (w->len)
		fwrite(w->buf, 1, w->len, w->f);
	w->len = 0;
}

/* v in decimal, as printf's %llu, right-aligned in out[0..19]; returns
 * the index of the first digit. */
static inline size_t sd_u64_dec(char out[20], uint64_t v)
{
	size_t i = 20;
	do {
		out[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return i;
}

static inline void sd_wbuf_put(struct sd_wbuf *w, const char *s, size_t n)
{
	if (n > sizeof w->buf - w->len) {
		sd_wbuf_flush(w);
		if (n > sizeof w->buf) {
			fwrite(s, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* An IPv4 or IPv6 address; IPv4 lives in a[0..3]. */
struct sd_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint8_t a[16];
};

/* Writes the usual text form ("192.0.2.1", "2001:db8::1") into buf. */
const char *sd_addr_str(const struct sd_addr *a, char *buf, size_t len);
int sd_addr_eq(const struct sd_addr *x, const struct sd_addr *y);
int sd_addr_parse(const char *s, struct sd_addr *out); /* 0 on success */

#define SD_ADDRSTRLEN 46

#endif
