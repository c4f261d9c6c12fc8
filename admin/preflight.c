/*
 * preflight.c - see preflight.h.
 */
#include "preflight.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "ipc_names.h"
#include "msg.h"
#include "options.h"
#include "outlock.h"
#include "stale.h"
#include "status.h"
#include "sysio.h"

#define NAME_FD 3

/* Can input be opened?  A FIFO is only stat'ed: opening it would block
 * for, or steal, its writer. */
static int
check_input(const char *input)
{
	struct stat st;
	int fd;

	if (strcmp(input, "-") == 0)
		return 0;
	if (stat(input, &st) == 0 && S_ISFIFO(st.st_mode))
		return access(input, R_OK) < 0 ? fail_sys("%s", input) : 0;
	fd = sys_open(input, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return fail_sys("%s", input);
	return sys_close(fd) < 0 ? fail_sys("%s", input) : 0;
}

/* Every input is tried: each one that fails is named. */
static int
check_inputs(const struct options *o)
{
	int i, rc = 0;

	for (i = 0; i < o->ninputs; i++)
		if (check_input(o->inputs[i]) < 0)
			rc = -1;
	return rc;
}

/* --cleanup [NAME] and --status [NAME], the older spellings of the
 * subcommands: NAME is --name's or the first word. */
static int
chore(const struct options *o)
{
	const char *name = o->ninputs ? o->inputs[0] : NULL;

	if (name && !pipeline_name_valid(name))
		return fail_usage("'%s' is not a pipeline name", name);
	if (o->status)
		return status_run(name ? name : o->name, o->watch);
	if (!name && !o->name)
		return pipeline_cleanup_all() < 0 ? -1 : 0;
	return pipeline_cleanup(name ? name : o->name) < 0 ?
	    fail_note(FAIL_SYS) : 0;
}

static int
tell_name(const char *name)
{
	if (fcntl(NAME_FD, F_GETFD) < 0)
		return fail_sys("check: descriptor %d (the launcher reads the "
		    "pipeline's name there)", NAME_FD);
	if (write_full(NAME_FD, name, strlen(name)) < 0 ||
	    write_full(NAME_FD, "\n", 1) < 0)
		return fail_sys("check: descriptor %d", NAME_FD);
	return 0;
}

int
launcher_check(int argc, char **argv)
{
	struct options o;
	const char *fresh;
	int rc;

	if (argc < 2)
		return fail_usage("check: FRESH-NAME [ARGS...]");
	fresh = argv[1];
	argv[1] = argv[0];   /* the command's name, for getopt */
	rc = options_parse(&o, argc - 1, argv + 1);
	if (rc != 0)
		return rc < 0 ? -1 : 0;  /* 1: --help or --version printed */
	if (o.cleanup || o.status)
		return chore(&o);
	if (o.to_stdout || o.pack_dir || o.schema)
		return fail_usage("%s is for a single stage (see "
		    "csvpack-converter(1), csvpack-packer(1))", o.to_stdout ?
		    "--stdout" : o.schema ? "--schema" : "--dir");
	if (!o.name && !pipeline_name_valid(fresh))
		return fail_usage("check: '%s' is not a pipeline name", fresh);
	/* Refused here, a second pipeline on a busy directory says so
	 * once, before any stage starts. */
	if (outlock_busy(o.output, o.name) != 0 || check_inputs(&o) < 0)
		return fail_note(FAIL_SYS);
	return tell_name(o.name ? o.name : fresh);
}
