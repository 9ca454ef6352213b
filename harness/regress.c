/*
 * regress.c - "sipdisc regress DIR...": analyses every capture that has an
 * expected-results file beside it (CAPTURE.expected), compares the stable
 * text report with it, prints a unified diff for each mismatch and ends
 * with "N passed, N failed". --update rewrites the expected files and names
 * those that changed. A capture may carry its analyzer options in
 * CAPTURE.args (one line: --profile NAME, --strict MODE, --ca-file FILE
 * relative to the capture, --idle SECONDS).
 *
 * The report is the same sd_report_text that analyze prints (no colour),
 * which carries no wall-clock time and no directory, so it is stable.
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "profile.h"
#include "report.h"

extern char **environ;

#define ARGS_MAX 1024

struct case_opts {
	char profile[SD_PROF_NAME];
	enum sd_strict strict;
	char ca_file[PATH_MAX];
	int64_t idle_ns;
};

static char *slurp_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf;
}

/* Reads CAPTURE.args; 0 when absent or valid, -1 with msg otherwise. */
static int read_args(const char *capture, struct case_opts *o, char *msg, size_t msglen)
{
	memset(o, 0, sizeof *o);
	snprintf(o->profile, sizeof o->profile, "auto");
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s.args", capture);
	char *text = slurp_text(path);
	if (!text)
		return 0;
	char *save = NULL;
	int rc = 0;
	for (char *tok = strtok_r(text, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		char *val = strtok_r(NULL, " \t\r\n", &save);
		if (!val) {
			snprintf(msg, msglen, "%s: option %s needs a value", path, tok);
			rc = -1;
			break;
		}
		if (!strcmp(tok, "--profile")) {
			snprintf(o->profile, sizeof o->profile, "%s", val);
		} else if (!strcmp(tok, "--strict")) {
			if (sd_strict_parse(val, &o->strict)) {
				snprintf(msg, msglen, "%s: --strict %s: expected domain, narrow or off", path, val);
				rc = -1;
				break;
			}
		} else if (!strcmp(tok, "--ca-file")) {
			/* relative to the capture, so a corpus can be moved whole */
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s", capture);
			if (val[0] == '/')
				snprintf(o->ca_file, sizeof o->ca_file, "%s", val);
			else
				snprintf(o->ca_file, sizeof o->ca_file, "%s/%s", dirname(dir), val);
		} else if (!strcmp(tok, "--idle")) {
			o->idle_ns = (int64_t)(atof(val) * 1e9);
		} else {
			snprintf(msg, msglen, "%s: unknown option %s", path, tok);
			rc = -1;
			break;
		}
	}
	free(text);
	return rc;
}

/* The stable report of one capture, as a malloc'd string. */
static char *analyse(const char *capture, const struct case_opts *o, const char *profiles_path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	char base[PATH_MAX];
	snprintf(base, sizeof base, "%s", capture);
	fprintf(m, "capture %s\n", basename(base));
	char err[512] = "";
	struct sd_attempt_opts ao;
	memset(&ao, 0, sizeof ao);
	ao.profile = o->profile;
	ao.profiles_path = profiles_path;
	ao.strict = o->strict;
	ao.ca_file = o->ca_file[0] ? o->ca_file : NULL;
	ao.idle_ns = o->idle_ns;
	ao.err = err;
	ao.errlen = sizeof err;
	struct sd_capture_result r;
	sd_analyze_file(capture, NULL, &ao, 0, &r);
	struct sd_report_opts ro = { 0, 0 };
	for (size_t i = 0; i < r.nattempts; i++) {
		fputc('\n', m);
		sd_report_text(m, r.attempts[i], &ro);
	}
	if (r.nattempts == 0)
		fputs("no sign-in attempts\n", m);
	if (r.run.status != 0) {
		/* The message names the file: keep only its base name. */
		const char *e = r.run.error;
		const char *p = strstr(e, capture);
		fprintf(m, "\nread error: %s%s\n", p == e ? base : "", p == e ? e + strlen(capture) : e);
	}
	sd_capture_result_free(&r);
	fclose(m);
	return buf;
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -1;
	size_t n = strlen(text);
	int bad = fwrite(text, 1, n, f) != n;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Unified diff through diff(1) (diffutils is an Essential Debian package). */
static void show_diff(const char *expected_path, const char *actual)
{
	char tmp[] = "/tmp/sipdisc-regress-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0)
		return;
	size_t n = strlen(actual);
	if (write(fd, actual, n) != (ssize_t)n) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	fflush(stdout);
	char *argv[] = { "diff", "-u", "--label", (char *)expected_path, "--label", "actual",
			 (char *)expected_path, tmp, NULL };
	pid_t pid;
	if (posix_spawnp(&pid, "diff", NULL, NULL, argv, environ) == 0) {
		int st;
		waitpid(pid, &st, 0);
	} else {
		printf("(diff(1) not available)\n--- actual\n%s", actual);
	}
	unlink(tmp);
}

static void regress_usage(FILE *out)
{
	fputs("usage: sipdisc regress [--update] [--profiles FILE] DIR|CAPTURE...\n"
	      "  Analyses every capture that has CAPTURE.expected beside it and compares the\n"
	      "  text report with it; prints a unified diff per mismatch and 'N passed, N failed'.\n"
	      "  CAPTURE.args may hold analyzer options: --profile, --strict, --ca-file, --idle.\n"
	      "  --update      write CAPTURE.expected for every capture found (new ones too) and\n"
	      "                name those that changed\n"
	      "  --profiles F  client profiles file (default: the installed one)\n"
	      "Exit status: 0 all passed, 1 some failed, 2 usage error.\n",
	      out);
}

int cmd_regress(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "update", no_argument, NULL, 'u' },
		{ "profiles", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int update = 0, c;
	const char *profiles = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': update = 1; break;
		case 'p': profiles = optarg; break;
		case 'h': regress_usage(stdout); return SD_EXIT_OK;
		default: regress_usage(stderr); return SD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		regress_usage(stderr);
		return SD_EXIT_USAGE;
	}
	struct sd_inputs in = { NULL, 0, 0 };
	char err[512];
	for (int i = optind; i < argc; i++) {
		if (sd_inputs_add(&in, argv[i], err, sizeof err)) {
			sd_cli_error("regress: %s", err);
			sd_inputs_free(&in);
			return SD_EXIT_USAGE;
		}
	}
	unsigned passed = 0, failed = 0, changed = 0;
	for (size_t i = 0; i < in.n; i++) {
		const char *cap = in.paths[i];
		size_t l = strlen(cap);
		if ((l > 9 && !strcmp(cap + l - 9, ".expected")) || (l > 5 && !strcmp(cap + l - 5, ".args")))
			continue;
		if (sd_is_capture(cap) != 1)
			continue;
		char exp[PATH_MAX + 16];
		snprintf(exp, sizeof exp, "%s.expected", cap);
		int have = access(exp, F_OK) == 0;
		if (!have && !update)
			continue;
		struct case_opts o;
		char msg[PATH_MAX + 128];
		if (read_args(cap, &o, msg, sizeof msg)) {
			printf("FAIL %s: %s\n", cap, msg);
			failed++;
			continue;
		}
		char *actual = analyse(cap, &o, profiles);
		char *expected = have ? slurp_text(exp) : NULL;
		if (!actual) {
			printf("FAIL %s: out of memory\n", cap);
			failed++;
		} else if (expected && !strcmp(expected, actual)) {
			passed++;
		} else if (update) {
			if (write_file(exp, actual)) {
				printf("FAIL %s: cannot write: %s\n", exp, strerror(errno));
				failed++;
			} else {
				printf("%s %s\n", have ? "updated" : "created", exp);
				changed++;
				passed++;
			}
		} else {
			printf("FAIL %s\n", cap);
			show_diff(exp, actual);
			failed++;
		}
		free(actual);
		free(expected);
	}
	sd_inputs_free(&in);
	if (update)
		printf("%u expected file(s) written\n", changed);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? SD_EXIT_PROBLEM : SD_EXIT_OK;
}
