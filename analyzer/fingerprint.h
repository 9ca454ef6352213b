/*
 * fingerprint.h - what identifies a capture file in the store: the XXH3
 * 128-bit hash of its bytes (always; ~30 GB/s through libxxhash's AVX2 /
 * AVX-512 dispatch, cheap enough to compute on bytes already being read) and, when asked for, their SHA-256 (for
 * chain-of-custody records; ~1.4 GB/s with SHA-NI, more than the whole
 * analysis costs, hence optional). docs/schema.md says how they are used.
 */
#ifndef SD_FINGERPRINT_H
#define SD_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sd_fp {
	uint64_t size;     /* bytes hashed */
	char xxh128[33];   /* 32 lower-case hex digits */
	char sha256[65];   /* "" unless asked for */
};

/* Fingerprints a whole file. 0, or -1 with err ("PATH: reason"). */
int sd_fp_file(const char *path, int want_sha256, struct sd_fp *out, char *err, size_t errlen);

/* A read-only stream over a file that fingerprints the bytes as they are
 * read, so a capture is hashed in the same pass that analyses it. Seeking
 * is allowed (bytes read again are not hashed twice); whatever the reader
 * left unread is read and hashed when the stream is closed, so the result
 * always covers the whole file. Use: fp = sd_fp_open(path, sha, &r, ...);
 * read and fclose(fp) (a library may close it); then sd_fp_result(r, &out)
 * and sd_fp_free(r). NULL with err on failure. */
struct sd_fp_reader;
FILE *sd_fp_open(const char *path, int want_sha256, struct sd_fp_reader **r, char *err, size_t errlen);
/* After the stream is closed: 0 with *out filled, -1 when reading failed. */
int sd_fp_result(const struct sd_fp_reader *r, struct sd_fp *out);
void sd_fp_free(struct sd_fp_reader *r);

#endif
