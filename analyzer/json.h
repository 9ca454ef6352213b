/*
 * json.h - a minimal streaming JSON writer (objects, arrays, escaped
 * strings). Output is always valid UTF-8 JSON: bytes that are not valid
 * UTF-8 are written as \u00XX escapes of the byte value, so names taken
 * from packets can never break a consumer's parser.
 */
#ifndef SD_JSON_H
#define SD_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "common.h"

#define SD_JSON_DEPTH 16

/* Output is gathered in buf and reaches f when buf is full and when the
 * outermost value is complete, so f sees few large writes. */
struct sd_json {
	int depth;
	unsigned char need_comma[SD_JSON_DEPTH];
	struct sd_wbuf out; /* handed to the FILE when the outermost value ends */
};

void sd_json_init(struct sd_json *j, FILE *f);
/* key is NULL inside arrays and for the outermost value. */
void sd_json_obj(struct sd_json *j, const char *key);
void sd_json_obj_end(struct sd_json *j);
void sd_json_arr(struct sd_json *j, const char *key);
void sd_json_arr_end(struct sd_json *j);
void sd_json_str(struct sd_json *j, const char *key, const char *val); /* NULL -> null */
void sd_json_strn(struct sd_json *j, const char *key, const char *val, size_t len);
void sd_json_int(struct sd_json *j, const char *key, int64_t val);
void sd_json_uint(struct sd_json *j, const char *key, uint64_t val);
void sd_json_bool(struct sd_json *j, const char *key, int val);
void sd_json_null(struct sd_json *j, const char *key);
void sd_json_double(struct sd_json *j, const char *key, double val);

/* Length of the well-formed UTF-8 sequence at s (1 for ASCII), or 0 when
 * it is not one (overlongs and surrogates refused). Shared with report.c,
 * which escapes what this refuses. */
size_t sd_utf8_len(const unsigned char *s, size_t n);

#endif
