/* placeholder: being written */
#include "cli.h"
int cmd_regress(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sd_cli_error("regress: not built yet");
	return SD_EXIT_USAGE;
}
