/* locate.c - see locate.h (being written). */
#include "locate.h"

#include "fail.h"

int
locate_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return fail_usage("locate: not yet");
}
