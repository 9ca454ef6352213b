/*
 * cursor.h - bounds-checked reads over packet bytes.
 *
 * Every decoder reads packet data through a struct cur (after knot's
 * wire_ctx): a read past the end latches err and returns 0, so a parser
 * checks once at the end instead of after every field, and no decoder ever
 * does pointer arithmetic on packet data itself.
 */
#ifndef SD_CURSOR_H
#define SD_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *base; /* first byte of the window */
	size_t len;          /* bytes in the window */
	size_t pos;          /* next byte to read */
	int err;             /* latched: nonzero once any read ran past len */
};

static inline struct cur cur_init(const uint8_t *p, size_t len)
{
	struct cur c = { p, p ? len : 0, 0, 0 };
	return c;
}

static inline int cur_ok(const struct cur *c) { return c->err == 0; }
static inline size_t cur_left(const struct cur *c) { return c->err ? 0 : c->len - c->pos; }
static inline size_t cur_pos(const struct cur *c) { return c->pos; }

/* Latches err unless n bytes remain; returns nonzero when they do. */
static inline int cur_need(struct cur *c, size_t n)
{
	if (c->err || n > c->len - c->pos) {
		c->err = 1;
		return 0;
	}
	return 1;
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->base[c->pos++];
}

static inline uint16_t cur_be16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((c->base[c->pos] << 8) | c->base[c->pos + 1]);
	c->pos += 2;
	return v;
}

static inline uint32_t cur_be24(struct cur *c)
{
	if (!cur_need(c, 3))
		return 0;
	uint32_t v = ((uint32_t)c->base[c->pos] << 16) | ((uint32_t)c->base[c->pos + 1] << 8) |
		     c->base[c->pos + 2];
	c->pos += 3;
	return v;
}

static inline uint32_t cur_be32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = ((uint32_t)c->base[c->pos] << 24) | ((uint32_t)c->base[c->pos + 1] << 16) |
		     ((uint32_t)c->base[c->pos + 2] << 8) | c->base[c->pos + 3];
	c->pos += 4;
	return v;
}

static inline uint16_t cur_le16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->base[c->pos] | (c->base[c->pos + 1] << 8));
	c->pos += 2;
	return v;
}

static inline uint32_t cur_le32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->base[c->pos] | ((uint32_t)c->base[c->pos + 1] << 8) |
		     ((uint32_t)c->base[c->pos + 2] << 16) | ((uint32_t)c->base[c->pos + 3] << 24);
	c->pos += 4;
	return v;
}

static inline void cur_skip(struct cur *c, size_t n)
{
	if (cur_need(c, n))
		c->pos += n;
}

/* Pointer to the next n bytes (and advance), or NULL with err latched. */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *p = c->base + c->pos;
	c->pos += n;
	return p;
}

/* Copy n bytes out (and advance); on shortfall dst is zero-filled. */
static inline void cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *p = cur_take(c, n);
	if (p)
		memcpy(dst, p, n);
	else if (n)
		memset(dst, 0, n);
}

/* Sub-window of the next n bytes (and advance the parent). On shortfall the
 * parent latches err and the child is empty with err set. */
static inline struct cur cur_sub(struct cur *c, size_t n)
{
	struct cur s = { NULL, 0, 0, 1 };
	const uint8_t *p = cur_take(c, n);
	if (p) {
		s.base = p;
		s.len = n;
		s.err = 0;
	}
	return s;
}

/* The rest of the window as a sub-cursor (the parent is left at its end). */
static inline struct cur cur_rest(struct cur *c)
{
	return cur_sub(c, cur_left(c));
}

/* Absolute seek inside the window (DNS compression pointers). */
static inline int cur_seek(struct cur *c, size_t pos)
{
	if (c->err || pos > c->len) {
		c->err = 1;
		return 0;
	}
	c->pos = pos;
	return 1;
}

/* Look at byte off positions ahead without consuming; 0 and no latch if absent. */
static inline int cur_peek(const struct cur *c, size_t off, uint8_t *out)
{
	if (c->err || off >= c->len - c->pos)
		return 0;
	*out = c->base[c->pos + off];
	return 1;
}

/*
 * Reads at off bytes past the read position, without moving it or latching:
 * 0 (a zero-filled dst) when the bytes are not in the window. For fixed
 * headers: take the header with cur_sub, check cur_ok once, then read its
 * fields by offset; on a window of known size the compiler folds the checks.
 */
static inline int cur_has(const struct cur *c, size_t off, size_t n)
{
	return !c->err && off <= c->len - c->pos && n <= c->len - c->pos - off;
}

static inline uint8_t cur_at_u8(const struct cur *c, size_t off)
{
	return cur_has(c, off, 1) ? c->base[c->pos + off] : 0;
}

static inline uint16_t cur_at_be16(const struct cur *c, size_t off)
{
	if (!cur_has(c, off, 2))
		return 0;
	const uint8_t *p = c->base + c->pos + off;
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cur_at_be32(const struct cur *c, size_t off)
{
	if (!cur_has(c, off, 4))
		return 0;
	const uint8_t *p = c->base + c->pos + off;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t cur_at_le32(const struct cur *c, size_t off)
{
	if (!cur_has(c, off, 4))
		return 0;
	const uint8_t *p = c->base + c->pos + off;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void cur_at_copy(const struct cur *c, size_t off, void *dst, size_t n)
{
	if (cur_has(c, off, n))
		memcpy(dst, c->base + c->pos + off, n);
	else if (n)
		memset(dst, 0, n);
}

/* Read-only view of the remaining bytes, for handing a window to a consumer
 * that stores or hashes them (never for parsing). */
static inline const uint8_t *cur_data(const struct cur *c) { return c->base ? c->base + c->pos : NULL; }

#endif
