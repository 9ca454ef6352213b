/*
 * report.h - a completed attempt as text for people (80 columns) or as one
 * JSON object per line for scripts (fields in docs/analyze-json.md).
 */
#ifndef SD_REPORT_H
#define SD_REPORT_H

#include <stdio.h>

#include "attempt.h"

struct sd_report_opts {
	int color;    /* ANSI colour (the CLI decides: tty and not --no-color) */
	int verbose;  /* text: every query of a step, every answer, full chain */
};

void sd_report_text(FILE *out, const struct sd_attempt *a, const struct sd_report_opts *o);
/* One line, no trailing newline. */
void sd_report_json(FILE *out, const struct sd_attempt *a);

#endif
