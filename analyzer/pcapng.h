/*
 * pcapng.h - internal: a small bounds-checked pcapng block reader used by
 * source.c. It exists because libpcap refuses pcapng files whose interfaces
 * have different link types. It reads one block at a time through a read
 * callback (plain stdio, or zlib for .gz) so memory never exceeds one block.
 */
#ifndef SD_PCAPNG_H
#define SD_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* Largest block accepted; a bigger total length is treated as corruption. */
#define SD_PCAPNG_MAX_BLOCK (64u << 20)
/* Interfaces per section; bounds the table a hostile file can make us grow. */
#define SD_PCAPNG_MAX_IFS 65536u

/* Reads up to n bytes into buf; returns the count, short only at end of
 * input or on error (the caller keeps its own error state). */
typedef size_t (*sd_pcapng_read_fn)(void *ctx, void *buf, size_t n);

struct sd_pcapng;

/* Reads the first Section Header Block. NULL with a reason in err (no file
 * name prefix) when it is not readable pcapng. */
struct sd_pcapng *sd_pcapng_open(sd_pcapng_read_fn rd, void *ctx, char *err, size_t errlen);

/* 1 = frame in *out (all fields but number; data valid until the next call),
 * 0 = clean end of input at a block boundary, -1 = error with the reason in
 * err. */
int sd_pcapng_next(struct sd_pcapng *png, struct sd_frame *out, char *err, size_t errlen);

void sd_pcapng_free(struct sd_pcapng *png);

#endif
