/*
 * cmd_report.c - "sipdisc report": attempts stored by analyze (or live),
 * printed in analyze's own formats, filtered by domain, client, verdict
 * and start time.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "store.h"

struct report_ctx {
	int json;
	struct sd_report_opts ro;
	char last[1024];
	unsigned long n, failed;
};

static void on_attempt(void *ud, const char *path, const struct sd_attempt *a)
{
	struct report_ctx *r = ud;
	if (a->verdict != SD_VERDICT_SIGNED_IN)
		r->failed++;
	r->n++;
	if (r->json) {
		sd_report_json(stdout, a);
		fputc('\n', stdout);
		return;
	}
	/* One heading per capture, as analyze prints them. */
	if (strcmp(r->last, path) != 0) {
		printf("%s== %s\n", r->n > 1 ? "\n" : "", path);
		snprintf(r->last, sizeof r->last, "%s", path);
	}
	sd_report_text(stdout, a, &r->ro);
}

/* --since: "2026-11-30", "2026-11-30T18:00:00" (UTC) or Unix seconds. */
static int parse_since(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end == 0 && end != s && v > 100000) {
		*out = v;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest) {
		memset(&tm, 0, sizeof tm);
		rest = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!rest || (*rest && strcmp(rest, "Z") != 0))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static void report_usage(FILE *out)
{
	fputs("usage: sipdisc report [OPTIONS]\n"
	      "  --db FILE        database to read (default sipdisc.db)\n"
	      "  --domain D       only attempts for SIP domain D\n"
	      "  --client ADDR    only attempts by this client address\n"
	      "  --verdict V      signed_in | failed | inconclusive\n"
	      "  --since T        attempts starting at or after T (2026-11-30[THH:MM:SS] UTC, or Unix seconds)\n"
	      "  --json           one JSON object per attempt (docs/analyze-json.md)\n"
	      "  --color, --no-color\n"
	      "Exit status: 0 every listed attempt signed in, 1 some did not, 2 usage or database error.\n",
	      out);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },   { "domain", required_argument, NULL, 'D' },
		{ "client", required_argument, NULL, 'c' }, { "verdict", required_argument, NULL, 'v' },
		{ "since", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "color", no_argument, NULL, 'C' },       { "no-color", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'V' },     { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = "sipdisc.db";
	struct sd_store_filter f = { NULL, NULL, NULL, 0 };
	struct report_ctx r;
	memset(&r, 0, sizeof r);
	int color = -1, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'D': f.domain = optarg; break;
		case 'c': f.client = optarg; break;
		case 'v':
			if (strcasecmp(optarg, "signed_in") && strcasecmp(optarg, "failed") &&
			    strcasecmp(optarg, "inconclusive")) {
				sd_cli_error("report: --verdict must be signed_in, failed or inconclusive");
				return SD_EXIT_USAGE;
			}
			f.verdict = optarg;
			break;
		case 's':
			if (parse_since(optarg, &f.since)) {
				sd_cli_error("report: --since '%s': expected YYYY-MM-DD[THH:MM:SS] or Unix seconds", optarg);
				return SD_EXIT_USAGE;
			}
			break;
		case 'j': r.json = 1; break;
		case 'C': color = 1; break;
		case 'N': color = 0; break;
		case 'V': r.ro.verbose = 1; break;
		case 'h': report_usage(stdout); return SD_EXIT_OK;
		default: report_usage(stderr); return SD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sd_cli_error("report: unexpected argument '%s' (captures go to 'sipdisc analyze')", argv[optind]);
		return SD_EXIT_USAGE;
	}
	r.ro.color = color < 0 ? isatty(STDOUT_FILENO) && !getenv("NO_COLOR") : color;
	if (access(db, F_OK) != 0) {
		sd_cli_error("report: %s: no such database (run 'sipdisc analyze' first, or give --db)", db);
		return SD_EXIT_USAGE;
	}
	char err[512];
	struct sd_store *st = sd_store_open(db, err, sizeof err);
	if (!st) {
		sd_cli_error("report: %s", err);
		return SD_EXIT_USAGE;
	}
	int n = sd_store_each(st, &f, on_attempt, &r, err, sizeof err);
	sd_store_close(st);
	if (n < 0) {
		sd_cli_error("report: %s", err);
		return SD_EXIT_USAGE;
	}
	if (!r.json)
		printf("%s%lu attempt(s), %lu not signed in (from %s)\n", r.n ? "\n" : "", r.n, r.failed, db);
	return r.failed ? SD_EXIT_PROBLEM : SD_EXIT_OK;
}
