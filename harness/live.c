/* placeholder: being written */
#include "cli.h"
int cmd_live(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sd_cli_error("live: not built yet");
	return SD_EXIT_USAGE;
}
