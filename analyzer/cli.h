/*
 * cli.h - the subcommands of the sipdisc program. Each is a thin layer:
 * parse options, call the library, print.
 */
#ifndef SD_CLI_H
#define SD_CLI_H

/* Exit statuses (docs/sipdisc.1, EXIT STATUS). */
#define SD_EXIT_OK 0       /* every capture read; (analyze) every attempt signed in */
#define SD_EXIT_PROBLEM 1  /* (analyze) an attempt failed or was inconclusive */
#define SD_EXIT_USAGE 2    /* bad options, or an input could not be read (wholly or in part) */

int cmd_dump(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_report(int argc, char **argv);  /* analyzer/cmd_report.c: stored results */
int cmd_regress(int argc, char **argv); /* harness/regress.c: captures vs expected results */
int cmd_live(int argc, char **argv);    /* harness/live.c: live interface */

/* Prints "sipdisc: " + message to stderr. */
void sd_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
