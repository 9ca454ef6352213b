/*
 * source.h - where frames come from: capture files (classic pcap, pcapng,
 * either gzip-compressed) or a live interface. Everything downstream sees
 * only struct sd_frame, so offline and live analysis differ in nothing else.
 *
 * Frame numbers are Wireshark's frame.number: 1-based, counting every packet
 * record in file order, whatever its link type.
 */
#ifndef SD_SOURCE_H
#define SD_SOURCE_H

#include <stdint.h>
#include <stdio.h>

struct sd_frame {
	uint64_t number;     /* 1-based, as Wireshark's frame.number */
	int64_t ts_ns;       /* capture time, ns since the Unix epoch, within +-SD_TS_LIMIT */
	uint32_t caplen;     /* bytes captured (length of data) */
	uint32_t wirelen;    /* bytes on the wire; > caplen when cut by snaplen */
	int linktype;        /* LINKTYPE_* value of this frame's interface */
	uint32_t ifindex;    /* pcapng interface id (0 for pcap) */
	const uint8_t *data; /* caplen bytes; valid until the next sd_source_next */
};

/* File readers clamp frame times to +-SD_TS_LIMIT ns (about the years 1824
 * to 2116): a crafted capture can claim any time (pcapng if_tsoffset, units
 * of 2^0 s), and downstream subtracts times and adds timeouts, which must
 * not overflow int64. Within the limit any difference of two times fits. */
#define SD_TS_LIMIT (((int64_t)1 << 62) - 1)

struct sd_source;

/* Opens a capture file; the format is recognised by content (pcap, pcap-ns,
 * pcapng, any of them gzip-compressed). NULL on failure with a message
 * in err ("file: not a capture file (magic 0x...)"). */
struct sd_source *sd_source_open_file(const char *path, char *err, size_t errlen);

/* Same, over an already-open stream (fuzzing, stdin). name is for messages.
 * The stream is owned by the source afterwards. */
struct sd_source *sd_source_open_stream(FILE *fp, const char *name, char *err, size_t errlen);

/* Next frame: 1 = frame in *out, 0 = end of capture, -1 = error (the capture
 * cannot be read further; sd_source_error says why and at which frame).
 * Frames returned before an error stay valid results. */
int sd_source_next(struct sd_source *src, struct sd_frame *out);

const char *sd_source_error(const struct sd_source *src);

/* "pcap", "pcap-ns", "pcapng", suffixed "+gzip" when compressed; "live". */
const char *sd_source_format(const struct sd_source *src);

/* Distinct link types seen so far (pcapng may mix several), at most max. */
int sd_source_linktypes(const struct sd_source *src, int *out, int max);

/* Number of the last frame returned (0 before the first). */
uint64_t sd_source_frames(const struct sd_source *src);

void sd_source_close(struct sd_source *src);

/* Link-type names for messages ("EN10MB", "LINUX_SLL2", ...). */
const char *sd_linktype_name(int linktype);

#endif
