/*
 * fingerprint.c - capture fingerprints (fingerprint.h).
 *
 * XXH3-128 comes from libxxhash (Debian's libxxhash-dev), SHA-256 from
 * OpenSSL. The reading stream is a fopencookie(3) stream over a file
 * descriptor: the hash is updated in the read callback, on the bytes stdio
 * has just placed in its own buffer, so the capture is read from the page
 * cache once. `hashed` only moves forward, so a seek back (the capture
 * reader peeks at the magic number and rewinds) never hashes a byte twice.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif
#include "config.h"
#include "fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(HAVE_XXH_X86DISPATCH_H) && defined(HAVE_XXH3_128BITS_UPDATE_DISPATCH)
#include <xxh_x86dispatch.h> /* XXH3_128bits_update -> the widest vector unit this CPU has */
#endif

#define FP_BUF (1u << 20) /* stdio buffer: big reads, few calls */

struct sd_fp_reader {
	int fd;
	uint64_t pos;    /* file offset of the next read */
	uint64_t hashed; /* bytes [0, hashed) are in the hashes */
	XXH3_state_t *xx;
	EVP_MD_CTX *sha;
	void *vbuf;      /* the stream's stdio buffer */
	int failed;      /* a read error: no result */
	int done;        /* closed: res is final */
	struct sd_fp res;
};

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

static void update(struct sd_fp_reader *r, const void *p, size_t n)
{
	XXH3_128bits_update(r->xx, p, n);
	if (r->sha && EVP_DigestUpdate(r->sha, p, n) != 1)
		r->failed = 1;
	r->hashed += n;
}

/* Hashes the file from `hashed` up to `end` (or to EOF when end is
 * UINT64_MAX) with pread, leaving the stream's offset alone. */
static int catch_up(struct sd_fp_reader *r, uint64_t end)
{
	unsigned char *tmp = malloc(FP_BUF);
	if (!tmp)
		return -1;
	while (r->hashed < end) {
		uint64_t want = end - r->hashed < FP_BUF ? end - r->hashed : FP_BUF;
		ssize_t n = pread(r->fd, tmp, (size_t)want, (off_t)r->hashed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(tmp);
			return -1;
		}
		if (n == 0)
			break; /* EOF */
		update(r, tmp, (size_t)n);
	}
	free(tmp);
	return 0;
}

static ssize_t fp_read(void *cookie, char *buf, size_t size)
{
	struct sd_fp_reader *r = cookie;
	if (r->pos > r->hashed && catch_up(r, r->pos) != 0) {
		r->failed = 1;
		errno = EIO;
		return -1;
	}
	ssize_t n;
	do
		n = read(r->fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->failed = 1;
		return -1;
	}
	uint64_t end = r->pos + (uint64_t)n;
	if (end > r->hashed) {
		uint64_t skip = r->hashed - r->pos; /* bytes of this read hashed before */
		update(r, buf + skip, (size_t)(end - r->hashed));
	}
	r->pos = end;
	return n;
}

static int fp_seek(void *cookie, off64_t *off, int whence)
{
	struct sd_fp_reader *r = cookie;
	off_t to = lseek(r->fd, (off_t)*off, whence);
	if (to < 0)
		return -1;
	r->pos = (uint64_t)to;
	*off = to;
	return 0;
}

static int fp_close(void *cookie)
{
	struct sd_fp_reader *r = cookie;
	if (!r->failed && catch_up(r, UINT64_MAX) != 0)
		r->failed = 1;
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(r->xx));
	hex(c.digest, sizeof c.digest, r->res.xxh128);
	if (r->sha) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int len = 0;
		if (EVP_DigestFinal_ex(r->sha, md, &len) != 1 || len != 32)
			r->failed = 1;
		else
			hex(md, 32, r->res.sha256);
	}
	r->res.size = r->hashed;
	r->done = 1;
	close(r->fd);
	r->fd = -1;
	return 0;
}

void sd_fp_free(struct sd_fp_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	XXH3_freeState(r->xx);
	EVP_MD_CTX_free(r->sha);
	free(r->vbuf);
	free(r);
}

FILE *sd_fp_open(const char *path, int want_sha256, struct sd_fp_reader **out, char *err, size_t errlen)
{
	*out = NULL;
	struct sd_fp_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		sd_fp_free(r);
		return NULL;
	}
	r->xx = XXH3_createState();
	r->vbuf = malloc(FP_BUF);
	if (want_sha256) {
		r->sha = EVP_MD_CTX_new();
		if (r->sha && EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(r->sha);
			r->sha = NULL;
		}
	}
	if (!r->xx || !r->vbuf || (want_sha256 && !r->sha) || XXH3_128bits_reset(r->xx) != XXH_OK) {
		snprintf(err, errlen, "%s: cannot set up hashing", path);
		sd_fp_free(r);
		return NULL;
	}
	static const cookie_io_functions_t io = { fp_read, NULL, fp_seek, fp_close };
	FILE *fp = fopencookie(r, "r", io);
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		sd_fp_free(r);
		return NULL;
	}
	setvbuf(fp, r->vbuf, _IOFBF, FP_BUF);
	*out = r;
	return fp;
}

int sd_fp_result(const struct sd_fp_reader *r, struct sd_fp *out)
{
	if (!r->done || r->failed)
		return -1;
	*out = r->res;
	return 0;
}

int sd_fp_file(const char *path, int want_sha256, struct sd_fp *out, char *err, size_t errlen)
{
	struct sd_fp_reader *r;
	FILE *fp = sd_fp_open(path, want_sha256, &r, err, errlen);
	if (!fp)
		return -1;
	fclose(fp); /* hashes the whole file */
	int rc = sd_fp_result(r, out);
	if (rc != 0)
		snprintf(err, errlen, "%s: read error while hashing", path);
	sd_fp_free(r);
	return rc;
}
