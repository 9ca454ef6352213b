/*
 * sipdisc.c - entry point: dispatches to the subcommands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static void usage(FILE *out)
{
	fputs("usage: sipdisc COMMAND [OPTIONS] CAPTURE...\n"
	      "\n"
	      "Audits how Microsoft SIP clients (Communicator, Lync, Skype for Business) found\n"
	      "and trusted their sign-in server, from a packet capture.\n"
	      "\n"
	      "commands:\n"
	      "  analyze   reconstruct each sign-in attempt and check it against the client's rules\n"
	      "  dump      print the decoded DNS/TCP/TLS event timeline (--json for JSON Lines)\n"
	      "  report    print results stored in the database by analyze\n"
	      "  regress   check captures against their expected results\n"
	      "  live      the analyze checks in real time on a network interface\n"
	      "\n"
	      "Run 'sipdisc COMMAND --help' for a command's options; 'man sipdisc' for all of it.\n",
	      out);
}

void sd_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sipdisc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SD_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return SD_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("sipdisc %s\n", PACKAGE_VERSION);
		return SD_EXIT_OK;
	}
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (!strcmp(cmd, "analyze"))
		return cmd_analyze(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "regress"))
		return cmd_regress(argc - 1, argv + 1);
	if (!strcmp(cmd, "live"))
		return cmd_live(argc - 1, argv + 1);
	sd_cli_error("unknown command '%s' (try 'sipdisc --help')", cmd);
	return SD_EXIT_USAGE;
}
