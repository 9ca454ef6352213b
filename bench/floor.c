/*
 * floor - the two floors sipdisc's throughput is measured against.
 *
 *   floor read FILE...   a bare libpcap read loop: every packet is fetched
 *                        and touched (first and last captured byte summed),
 *                        nothing parsed. No analyzer can read faster.
 *   floor parse FILE...  the read loop plus a bare header parse: Ethernet
 *                        (802.1Q/QinQ tags), IPv4/IPv6 (common extension
 *                        headers), UDP/TCP ports, and a port filter (53,
 *                        443, 5061) counting matches. This is the least
 *                        work any analyzer that finds sign-ins must do per
 *                        packet; sipdisc's target is 0.8x its throughput.
 *
 * Both read through pcap_fopen_offline with a malloc'd 1 MiB stdio buffer,
 * as sipdisc does: libpcap's own pcap_open_offline uses a 4 KiB buffer and
 * spends most of its time in read(2) (docs/performance.md). libpcap reads
 * classic pcap and single-interface pcapng (what bench/capgen writes); a
 * pcapng whose interfaces have different link types is refused by libpcap
 * and so by this floor, although sipdisc's own pcapng reader takes it.
 *
 * Prints one line per run on stdout:
 *   MODE packets=N bytes=N matches=N seconds=S pps=N MBps=N
 * (bytes = file bytes; seconds from CLOCK_MONOTONIC around the loops).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BUFSZ (1u << 20)

struct totals {
	uint64_t packets, bytes, matches, touch;
};

static inline unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline int port_hit(unsigned p)
{
	return p == 53 || p == 443 || p == 5061;
}

/* 1 when the packet is UDP/TCP to or from one of the ports. Link types
 * other than Ethernet are not counted: the benchmark captures are Ethernet. */
static int parse(const uint8_t *p, uint32_t len)
{
	uint32_t off = 14;
	unsigned et;
	unsigned proto;

	if (len < 14)
		return 0;
	et = be16(p + 12);
	/* 802.1ad / 802.1Q tags, at most two (QinQ) */
	for (int k = 0; k < 2 && (et == 0x8100 || et == 0x88a8); k++) {
		if (len < off + 4)
			return 0;
		et = be16(p + off + 2);
		off += 4;
	}
	if (et == 0x0800) {
		unsigned ihl;
		if (len < off + 20)
			return 0;
		ihl = (p[off] & 0x0fu) * 4;
		/* later fragments carry no ports */
		if (ihl < 20 || (be16(p + off + 6) & 0x1fff))
			return 0;
		proto = p[off + 9];
		off += ihl;
	} else if (et == 0x86dd) {
		if (len < off + 40)
			return 0;
		proto = p[off + 6];
		off += 40;
		/* hop-by-hop, routing, destination options, fragment */
		for (int k = 0; k < 4 && (proto == 0 || proto == 43 || proto == 60 || proto == 44); k++) {
			if (len < off + 8)
				return 0;
			if (proto == 44) {
				if (be16(p + off + 2) & 0xfff8)
					return 0;
				proto = p[off];
				off += 8;
			} else {
				proto = p[off];
				off += 8 + (uint32_t)p[off + 1] * 8;
			}
		}
	} else {
		return 0;
	}
	if ((proto != 6 && proto != 17) || len < off + 4)
		return 0;
	return port_hit(be16(p + off)) || port_hit(be16(p + off + 2));
}

static int run(const char *path, int do_parse, struct totals *t)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	FILE *fp = fopen(path, "rb");
	char *buf = malloc(BUFSZ);
	pcap_t *pc;
	struct stat st;
	int rc;

	if (!fp || !buf) {
		perror(path);
		if (fp)
			fclose(fp);
		free(buf);
		return -1;
	}
	/* glibc ignores the size when the buffer is NULL: hand it our own */
	setvbuf(fp, buf, _IOFBF, BUFSZ);
	if (fstat(fileno(fp), &st) == 0)
		t->bytes += (uint64_t)st.st_size;
	pc = pcap_fopen_offline(fp, err);
	if (!pc) {
		fprintf(stderr, "floor: %s: %s\n", path, err);
		fclose(fp);
		free(buf);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		t->packets++;
		if (do_parse)
			t->matches += (uint64_t)parse(d, h->caplen);
		else if (h->caplen)
			t->touch += (uint64_t)d[0] + d[h->caplen - 1];
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "floor: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc); /* closes fp */
	free(buf);
	return rc == PCAP_ERROR ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct totals t;
	struct timespec a, b;
	int do_parse, bad = 0;
	double s;

	if (argc < 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "parse"))) {
		fputs("usage: floor read|parse FILE...\n", stderr);
		return 2;
	}
	do_parse = !strcmp(argv[1], "parse");
	memset(&t, 0, sizeof t);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 2; i < argc; i++)
		if (run(argv[i], do_parse, &t) < 0)
			bad = 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%s packets=%llu bytes=%llu matches=%llu seconds=%.4f pps=%.0f MBps=%.1f%s\n", argv[1],
	       (unsigned long long)t.packets, (unsigned long long)t.bytes, (unsigned long long)t.matches, s,
	       s > 0 ? (double)t.packets / s : 0.0, s > 0 ? (double)t.bytes / 1e6 / s : 0.0,
	       t.touch == 1 ? " " : ""); /* t.touch used so the read loop is not optimised away */
	return bad ? 1 : 0;
}
