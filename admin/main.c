/*
 * csvpack-admin - what is neither producer, converter nor packer:
 *
 *   csvpack-admin status [--watch] [NAME]   a pipeline's stages, counters
 *   csvpack-admin cleanup [NAME]            remove dead pipelines' objects
 *   csvpack-admin verify [OPTIONS] DIR [INPUT...]  prove a delivery complete
 *   csvpack-admin locate [--line] DIR INPUT:ROW    where a row was archived
 *   csvpack-admin check ARGS...             the launcher's pre-flight
 *
 * The csvpack launcher dispatches `csvpack status`, `csvpack --cleanup`
 * and every run's pre-flight here; messages then start with "csvpack:",
 * the name the user typed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preflight.h"
#include "fail.h"
#include "ipc_names.h"
#include "locate.h"
#include "msg.h"
#include "stale.h"
#include "status.h"
#include "verify.h"

static const char usage[] =
"usage: csvpack-admin status [--watch] [NAME]\n"
"       csvpack-admin cleanup [NAME]\n"
"       csvpack-admin verify [DIALECT OPTIONS] DIR [INPUT...]\n"
"       csvpack-admin locate [--line] DIR INPUT:ROW\n"
"       csvpack-admin check FRESH-NAME [OPTIONS] [INPUT...]   (the launcher's)\n";

/* The optional NAME argument; -1 (said) if it is no pipeline name. */
static int
name_arg(int argc, char **argv, const char *what, const char **name)
{
	*name = NULL;
	if (argc > 1)
		return fail_usage("%s: one NAME at most\n%s", what, usage);
	if (argc == 1 && !pipeline_name_valid(argv[0]))
		return fail_usage("%s: '%s' is not a pipeline name", what,
		    argv[0]);
	if (argc == 1)
		*name = argv[0];
	return 0;
}

/* cleanup [NAME]: a running pipeline's objects are never touched. */
static int
cleanup(int argc, char **argv)
{
	const char *name;

	if (name_arg(argc, argv, "cleanup", &name) < 0)
		return -1;
	if (!name)
		return pipeline_cleanup_all() < 0 ? -1 : 0;
	return pipeline_cleanup(name) < 0 ? fail_note(FAIL_SYS) : 0;
}

/* status [--watch] [NAME] */
static int
status(int argc, char **argv)
{
	const char *name;
	int watch = argc > 0 && strcmp(argv[0], "--watch") == 0;

	if (name_arg(argc - watch, argv + watch, "status", &name) < 0)
		return -1;
	return status_run(name, watch);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int rc;

	msg_init("csvpack");
	if (strcmp(cmd, "status") == 0)
		rc = status(argc - 2, argv + 2);
	else if (strcmp(cmd, "cleanup") == 0)
		rc = cleanup(argc - 2, argv + 2);
	else if (strcmp(cmd, "verify") == 0)
		rc = verify_run(argc - 2, argv + 2);
	else if (strcmp(cmd, "locate") == 0)
		rc = locate_run(argc - 2, argv + 2);
	else if (strcmp(cmd, "check") == 0)
		rc = launcher_check(argc - 1, argv + 1);
	else if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		rc = fputs(usage, stdout) == EOF ? fail_sys("stdout") : 0;
	else
		rc = fail_usage("unknown command '%s'\n%s", cmd, usage);
	/* A failed flush must not leave the answer in stdio's buffer for
	 * exit() to deliver after all: with exit 1, nothing may be taken
	 * for an answer. */
	if (fflush(stdout) == EOF) {
		if (rc == 0)
			rc = fail_sys("stdout");
		close(STDOUT_FILENO);
	}
	return fail_status_of(rc);
}
