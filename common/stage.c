/*
 * stage.c - see stage.h.
 */
#include "stage.h"

#include "fail.h"
#include "msg.h"
#include "signals.h"
#include "staging.h"

int
stage_options(int argc, char **argv, struct options *o)
{
	int rc;

	msg_init(argv[0]);
	rc = options_parse(o, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	msg_quiet(o->quiet);
	if (o->cleanup || o->status)
		return fail_usage("%s is csvpack-admin's (csvpack %s)",
		    o->cleanup ? "--cleanup" : "--status",
		    o->cleanup ? "cleanup [NAME]" : "status [NAME]");
	return 1;
}

int
stage_in_order(int rc)
{
	return rc == 0 || fail_kind() == FAIL_STOP;
}

int
stage_join(struct pipeline *p, const struct options *o, enum stage self,
    uint64_t batch)
{
	if (!o->name)
		return fail_usage("--name is required when a stage runs alone "
		    "(the csvpack launcher picks one)");
	if (signals_install() < 0)
		return fail_sys("sigaction");
	if (pipeline_attach(p, o->name, o->ring_size, self) < 0)
		return -1;
	pipeline_set_attach_timeout(p, o->attach_timeout);
	if (make_dirs(o->output) < 0 ||
	    pipeline_agree(p, o->output, batch, self == STAGE_PRODUCER ? 0 :
	    o->xsd ? 2 : 1) < 0)
		return -1;
	return 0;
}
