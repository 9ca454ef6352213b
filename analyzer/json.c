#include "json.h"

#include <string.h>

void sd_json_init(struct sd_json *j, FILE *f)
{
	memset(j, 0, sizeof *j);
	j->f = f;
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

void sd_json_write_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	putc('"', f);
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t u;
		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c == '\r') {
			fputs("\\r", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if ((u = sd_utf8_len(s + i, len - i)) > 0) {
			fwrite(s + i, 1, u, f);
			i += u;
		} else {
			fprintf(f, "\\u%04x", c); /* stray byte: keep its value visible */
			i++;
		}
	}
	putc('"', f);
}

static void prefix(struct sd_json *j, const char *key)
{
	if (j->depth > 0 && j->need_comma[j->depth - 1])
		putc(',', j->f);
	if (j->depth > 0)
		j->need_comma[j->depth - 1] = 1;
	if (key) {
		sd_json_write_string(j->f, key, strlen(key));
		putc(':', j->f);
	}
}

static void open_(struct sd_json *j, const char *key, char c)
{
	prefix(j, key);
	putc(c, j->f);
	if (j->depth < SD_JSON_DEPTH)
		j->need_comma[j->depth] = 0;
	j->depth++;
}

static void close_(struct sd_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	putc(c, j->f);
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
	sd_json_write_string(j->f, val, len);
}

void sd_json_int(struct sd_json *j, const char *key, int64_t val)
{
	prefix(j, key);
	fprintf(j->f, "%lld", (long long)val);
}

void sd_json_uint(struct sd_json *j, const char *key, uint64_t val)
{
	prefix(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void sd_json_bool(struct sd_json *j, const char *key, int val)
{
	prefix(j, key);
	fputs(val ? "true" : "false", j->f);
}

void sd_json_null(struct sd_json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}

void sd_json_double(struct sd_json *j, const char *key, double val)
{
	prefix(j, key);
	fprintf(j->f, "%.6f", val);
}
