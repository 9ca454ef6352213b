/*
 * fuzz_pcapng.c - libFuzzer target for capture input: the whole input is a
 * capture file (pcap, pcapng, either gzip-compressed) read through
 * sd_source_open_stream over fmemopen, every frame to the end or the error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fmemopen */
#endif
#include "source.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink; /* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0; /* fmemopen rejects an empty buffer */
	FILE *fp = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!fp)
		return 0;
	char err[512];
	struct sd_source *s = sd_source_open_stream(fp, "fuzz", err, sizeof err);
	if (!s) {
		/* open_stream owns fp and closed it; the message must be a string */
		sink = (unsigned)strlen(err);
		return 0;
	}
	struct sd_frame f;
	unsigned sum = 0;
	while (sd_source_next(s, &f) == 1) {
		/* read every byte so the sanitizer checks the frame's extent */
		for (uint32_t i = 0; i < f.caplen; i++)
			sum += f.data[i];
		sum += (unsigned)f.linktype + (unsigned)f.ts_ns + f.wirelen;
	}
	sum += (unsigned)strlen(sd_source_error(s)) + (unsigned)strlen(sd_source_format(s));
	sd_source_close(s);
	sink = sum;
	return 0;
}
