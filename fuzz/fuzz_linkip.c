/*
 * fuzz_linkip.c - libFuzzer target for the link and IP layers together.
 *
 * Input: byte 0 picks a link type; the rest is split on "\1PKT" into
 * frames. Each frame starts with a control byte: its low nibble advances
 * the capture clock by half-seconds (so fragment timeouts fire), its high
 * nibble times 97 is the snaplen cut (`missing`). One fragment table lives
 * for the whole input, so reassembly sees sequences of frames; its budget
 * is small so eviction is reached too.
 */
#define _GNU_SOURCE /* memmem */
#include "ip.h"
#include "link.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = { 0, 1, 10, 12, 14, 101, 108, 113, 228, 229, 276, 147 };

#define MAX_HELD (64u * 1024)

static void one_frame(struct sd_ipfrag *f, int linktype, const uint8_t *p, size_t n, uint64_t frame,
		      int64_t *ts)
{
	struct cur c = cur_init(p, n);
	uint8_t ctl = cur_u8(&c);
	if (!cur_ok(&c))
		return;
	*ts += (int64_t)(ctl & 0x0f) * 500000000LL;
	uint32_t missing = (uint32_t)(ctl >> 4) * 97u;
	struct sd_link l;
	if (sd_link_decode(linktype, cur_rest(&c), &l) != SD_OK)
		return;
	struct sd_ip_pkt ip;
	int r = sd_ip_decode(f, l.ethertype, l.net, missing, frame, *ts, &ip);
	if (r == SD_IP_DONE) {
		/* touch every payload byte so the sanitizer checks its lifetime */
		struct cur pl = ip.payload;
		volatile uint8_t sum = 0;
		while (cur_left(&pl))
			sum = (uint8_t)(sum + cur_u8(&pl));
		(void)sum;
		if (ip.first_frame > frame || (ip.fragmented && ip.missing))
			abort();
	}
	struct sd_ipfrag_stats st;
	sd_ipfrag_stats(f, &st);
	if (st.held_bytes > MAX_HELD)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t marker[4] = { 1, 'P', 'K', 'T' };
	if (size < 1)
		return 0;
	int linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	struct sd_ipfrag *f = sd_ipfrag_new(MAX_HELD, 2000000000LL);
	if (!f)
		return 0;
	const uint8_t *p = data + 1;
	size_t left = size - 1;
	uint64_t frame = 1;
	int64_t ts = 0;
	while (left) {
		const uint8_t *m = memmem(p, left, marker, sizeof marker);
		size_t n = m ? (size_t)(m - p) : left;
		one_frame(f, linktype, p, n, frame++, &ts);
		if (!m)
			break;
		left -= n + sizeof marker;
		p = m + sizeof marker;
	}
	sd_ipfrag_free(f);
	return 0;
}
