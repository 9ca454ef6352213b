/*
 * pipeline.h - frames in, events out: link -> IP (+fragments) -> UDP/TCP
 * (+reassembly) -> DNS | TLS -> events. Live and offline analysis both feed
 * frames here; nothing downstream knows which.
 */
#ifndef SD_PIPELINE_H
#define SD_PIPELINE_H

#include "event.h"
#include "source.h"

struct sd_pipeline_opts {
	int64_t dns_timeout_ns;   /* query unanswered after this (default 10 s) */
	size_t max_tcp_conns;     /* 0 = default */
	int64_t tcp_idle_ns;      /* 0 = default */
	int keep_dns_on_any_port; /* decode DNS on UDP/TCP 5353/5355 too (default: 53 only) */
};

struct sd_pipeline;

struct sd_pipeline *sd_pipeline_new(const struct sd_pipeline_opts *opts, sd_event_fn fn, void *ud);
void sd_pipeline_frame(struct sd_pipeline *p, const struct sd_frame *f);
/* A capture read error: emitted as SD_EV_CAPTURE_ERROR at the last frame. */
void sd_pipeline_capture_error(struct sd_pipeline *p, const char *msg);
/* Capture time advanced without a frame (live mode on a quiet link): runs
 * the same expiry a frame at now_ns would (unanswered DNS queries, idle TCP
 * connections), so verdicts do not wait for the next packet. */
void sd_pipeline_tick(struct sd_pipeline *p, int64_t now_ns);
/* End of input: flushes connections and unanswered queries. */
void sd_pipeline_finish(struct sd_pipeline *p);
void sd_pipeline_free(struct sd_pipeline *p);

struct sd_pipeline_stats {
	uint64_t frames, bytes, ip, udp, tcp, non_ip, unsupported_link;
	uint64_t truncated, malformed, dns_msgs, tls_certs;
};
void sd_pipeline_stats(const struct sd_pipeline *p, struct sd_pipeline_stats *out);

/* What reading one capture file gave (for summaries and the store). */
struct sd_run_info {
	char format[24];      /* sd_source_format */
	int linktypes[8];
	int nlinktypes;
	uint64_t frames;
	int64_t first_ts_ns, last_ts_ns;
	int status;           /* 0 read to the end; -1 could not open; -2 read error part-way */
	char error[512];      /* message for status < 0 (names the file and frame) */
	struct sd_pipeline_stats stats;
};

/* Reads a whole capture file through a new pipeline, calling fn for every
 * event (a read error part-way becomes SD_EV_CAPTURE_ERROR and the events
 * before it stand). Returns info->status. */
int sd_pipeline_run_file(const char *path, const struct sd_pipeline_opts *opts, sd_event_fn fn, void *ud,
			 struct sd_run_info *info);
/* The same over a stream the caller opened (a fingerprinting reader, say):
 * the pipeline owns it and closes it, even on failure; name is the file
 * named in messages. */
int sd_pipeline_run_stream(FILE *fp, const char *name, const struct sd_pipeline_opts *opts, sd_event_fn fn,
			   void *ud, struct sd_run_info *info);

#endif
