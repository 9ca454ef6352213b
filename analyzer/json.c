#include "json.h"

#include <string.h>

void sd_json_init(struct sd_json *j, FILE *f)
{
	j->out.f = f;
	j->out.len = 0;
	j->depth = 0;
	memset(j->need_comma, 0, sizeof j->need_comma);
}

static void flush(struct sd_json *j) { sd_wbuf_flush(&j->out); }

static inline void put(struct sd_json *j, const char *s, size_t n) { sd_wbuf_put(&j->out, s, n); }

static inline void put_c(struct sd_json *j, char c)
{
	if (j->out.len == sizeof j->out.buf)
		flush(j);
	j->out.buf[j->out.len++] = c;
}

/* The outermost value is complete: hand it to the FILE. */
static void done(struct sd_json *j)
{
	if (j->depth == 0)
		flush(j);
}

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), 0 if invalid. */
size_t sd_utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* reject overlongs and surrogates */
	if (c == 0xe0 && s[1] < 0xa0)
		return 0;
	if (c == 0xed && s[1] > 0x9f)
		return 0;
	if (c == 0xf0 && s[1] < 0x90)
		return 0;
	if (c == 0xf4 && s[1] > 0x8f)
		return 0;
	return need;
}

/* Bytes written as they are inside a JSON string: printable ASCII except
 * '"' and '\\'. A table: this test runs once per byte of output. */
static const unsigned char plain_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};

static int plain(unsigned char c) { return plain_tab[c]; }

/* The inside of a string literal: s escaped. */
static void put_escaped(struct sd_json *j, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t u;
		if (plain(c)) {
			/* runs of plain ASCII in one copy: most strings are all plain */
			size_t k = i + 1;
			while (k < len && plain(s[k]))
				k++;
			put(j, str + i, k - i);
			i = k;
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(j, e, 2);
		} else if (c == '\n') {
			put(j, "\\n", 2);
		} else if (c == '\t') {
			put(j, "\\t", 2);
		} else if (c == '\r') {
			put(j, "\\r", 2);
		} else if (c >= 0x80 && (u = sd_utf8_len(s + i, len - i)) > 0) {
			put(j, str + i, u);
			i += u;
			continue;
		} else {
			/* other controls, and stray bytes: keep the value visible */
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, e, 6);
		}
		i++;
	}
}

/* Nonzero when one of the 8 bytes of w is not plain: the tests for "below
 * 0x20" and "equal to c" (xor c, then below 1) borrow into a byte's high
 * bit, and are exact when no byte has its high bit set, which is tested
 * as well. */
static int word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), d = w ^ (ones * 0x7f);
	uint64_t t = w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d);
	return (t & high) != 0;
}

/* A string literal. The plain start of s, usually all of it, is copied
 * straight into the buffer 8 bytes a step; the rest is escaped. */
static void put_string(struct sd_json *j, const char *s, size_t len)
{
	put_c(j, '"');
	/* locals: stores through char pointers would make the compiler reload j->out.len */
	char *d = j->out.buf + j->out.len, *end = j->out.buf + sizeof j->out.buf;
	size_t i = 0;
	while (len - i >= 8 && end - d >= 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (word_special(w))
			break;
		memcpy(d, &w, 8);
		d += 8;
		i += 8;
	}
	while (i < len && d < end && plain((unsigned char)s[i]))
		*d++ = s[i++];
	j->out.len = (size_t)(d - j->out.buf);
	if (i < len)
		put_escaped(j, s + i, len - i);
	put_c(j, '"');
}

/* put_string of a NUL-terminated key: keys are short and plain, so their
 * bytes are copied while they are tested, without strlen; the rest, if
 * any, goes the general way. */
static void put_cstring(struct sd_json *j, const char *s)
{
	put_c(j, '"');
	char *d = j->out.buf + j->out.len, *end = j->out.buf + sizeof j->out.buf;
	const char *p = s;
	while (d < end && plain((unsigned char)*p))
		*d++ = *p++;
	j->out.len = (size_t)(d - j->out.buf);
	if (*p)
		put_escaped(j, p, strlen(p));
	put_c(j, '"');
}

static void prefix(struct sd_json *j, const char *key)
{
	if (j->depth > 0 && j->need_comma[j->depth - 1])
		put_c(j, ',');
	if (j->depth > 0)
		j->need_comma[j->depth - 1] = 1;
	if (key) {
		put_cstring(j, key);
		put_c(j, ':');
	}
}

static void open_(struct sd_json *j, const char *key, char c)
{
	prefix(j, key);
	put_c(j, c);
	if (j->depth < SD_JSON_DEPTH)
		j->need_comma[j->depth] = 0;
	j->depth++;
}

static void close_(struct sd_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	put_c(j, c);
	done(j);
}

void sd_json_obj(struct sd_json *j, const char *key) { open_(j, key, '{'); }
void sd_json_obj_end(struct sd_json *j) { close_(j, '}'); }
void sd_json_arr(struct sd_json *j, const char *key) { open_(j, key, '['); }
void sd_json_arr_end(struct sd_json *j) { close_(j, ']'); }

void sd_json_str(struct sd_json *j, const char *key, const char *val)
{
	if (!val) {
		sd_json_null(j, key);
		return;
	}
	sd_json_strn(j, key, val, strlen(val));
}

void sd_json_strn(struct sd_json *j, const char *key, const char *val, size_t len)
{
	prefix(j, key);
	put_string(j, val, len);
	done(j);
}

/* printf's %llu */
static void put_u64(struct sd_json *j, uint64_t v)
{
	char tmp[20];
	size_t i = sd_u64_dec(tmp, v);
	put(j, tmp + i, sizeof tmp - i);
}

void sd_json_int(struct sd_json *j, const char *key, int64_t val)
{
	prefix(j, key);
	if (val < 0) {
		put_c(j, '-');
		put_u64(j, -(uint64_t)val);
	} else {
		put_u64(j, (uint64_t)val);
	}
	done(j);
}

void sd_json_uint(struct sd_json *j, const char *key, uint64_t val)
{
	prefix(j, key);
	put_u64(j, val);
	done(j);
}

void sd_json_bool(struct sd_json *j, const char *key, int val)
{
	prefix(j, key);
	if (val)
		put(j, "true", 4);
	else
		put(j, "false", 5);
	done(j);
}

void sd_json_null(struct sd_json *j, const char *key)
{
	prefix(j, key);
	put(j, "null", 4);
	done(j);
}

void sd_json_double(struct sd_json *j, const char *key, double val)
{
	char tmp[512];
	prefix(j, key);
	int n = snprintf(tmp, sizeof tmp, "%.6f", val);
	if (n > 0 && (size_t)n < sizeof tmp) {
		put(j, tmp, (size_t)n);
	} else { /* a huge value: let stdio print it whole */
		flush(j);
		fprintf(j->out.f, "%.6f", val);
	}
	done(j);
}
