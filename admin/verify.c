/* verify.c - see verify.h (being written). */
#include "verify.h"

#include "fail.h"

int
verify_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return fail_usage("verify: not yet");
}
