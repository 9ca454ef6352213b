/*
 * cmd_dump.c - "sipdisc dump": the decoded event timeline, for people
 * (one line per event) or for scripts (--json: JSON Lines).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "pipeline.h"

struct dump_ctx {
	int json;
	FILE *out;
};

static void on_event(void *ud, const struct sd_event *ev)
{
	struct dump_ctx *d = ud;
	if (d->json)
		sd_event_print_json(d->out, ev);
	else
		sd_event_print_text(d->out, ev);
	fputc('\n', d->out);
}

static void dump_usage(FILE *out)
{
	fputs("usage: sipdisc dump [--json] CAPTURE...\n"
	      "  --json      one JSON object per event (JSON Lines), fields in docs/dump-json.md\n"
	      "  --all-dns   also decode mDNS (5353) and LLMNR (5355), not only port 53\n",
	      out);
}

/* JSON records framing each capture, so several files can share one stream. */
static void json_capture(FILE *out, const char *type, const char *path, const struct sd_run_info *ri)
{
	struct sd_json j;
	sd_json_init(&j, out);
	sd_json_obj(&j, NULL);
	sd_json_str(&j, "type", type);
	sd_json_str(&j, "path", path);
	if (ri) {
		sd_json_str(&j, "format", ri->format[0] ? ri->format : NULL);
		sd_json_uint(&j, "frames", ri->frames);
		sd_json_str(&j, "status", ri->status == 0 ? "ok" : ri->status == -1 ? "unreadable" : "read-error");
		if (ri->status)
			sd_json_str(&j, "error", ri->error);
		sd_json_uint(&j, "dns_messages", ri->stats.dns_msgs);
		sd_json_uint(&j, "tls_certificates", ri->stats.tls_certs);
		sd_json_uint(&j, "truncated", ri->stats.truncated);
		sd_json_uint(&j, "malformed", ri->stats.malformed);
	}
	sd_json_obj_end(&j);
	fputc('\n', out);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all-dns", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump_ctx d = { 0, stdout };
	struct sd_pipeline_opts po;
	memset(&po, 0, sizeof po);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jah", opts, NULL)) != -1) {
		switch (c) {
		case 'j': d.json = 1; break;
		case 'a': po.keep_dns_on_any_port = 1; break;
		case 'h': dump_usage(stdout); return SD_EXIT_OK;
		default: dump_usage(stderr); return SD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		dump_usage(stderr);
		return SD_EXIT_USAGE;
	}
	int rc = SD_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct sd_run_info ri;
		if (d.json)
			json_capture(stdout, "capture", argv[i], NULL);
		else if (argc - optind > 1)
			printf("# %s\n", argv[i]);
		int st = sd_pipeline_run_file(argv[i], &po, on_event, &d, &ri);
		if (d.json)
			json_capture(stdout, "capture-end", argv[i], &ri);
		if (st != 0) {
			/* The events before a read error stand; say what stopped us. */
			sd_cli_error("%s", ri.error);
			rc = SD_EXIT_USAGE;
		}
	}
	if (fflush(stdout) != 0) {
		sd_cli_error("writing output failed");
		return SD_EXIT_USAGE;
	}
	return rc;
}
