/* placeholder: being written */
#include "cli.h"
int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sd_cli_error("report: not built yet");
	return SD_EXIT_USAGE;
}
