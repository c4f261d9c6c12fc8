/*
 * stage.h - the opening the three stages share.
 *
 * Every stage starts the same way: messages named after the program, the
 * one command line (options.h), and, unless it runs alone (the converter's
 * --stdout, the packer's --dir), a pipeline name, stop signals that only
 * set a flag (signals.h), the pipeline joined (pipeline.h), and -o made
 * and agreed on with the other stages.  Only what follows differs.
 */
#ifndef CSVPACK_STAGE_H
#define CSVPACK_STAGE_H

#include <stdint.h>

#include "options.h"
#include "pipeline.h"

/* Parses the command line of the program argv[0].  Returns 1 to go on,
 * 0 when the program is done (--help, --version printed), or -1 after
 * saying why (a usage error). */
int stage_options(int argc, char **argv, struct options *o);

/* Joins pipeline --name as stage self: signals installed, attached, the
 * attach timeout started, -o created and agreed (batch: this stage's -b,
 * 0 if it has none).  Returns 0, or -1 after saying why.  Once attached
 * (p->sh set), the caller detaches whatever the outcome. */
int stage_join(struct pipeline *p, const struct options *o, enum stage self,
    uint64_t batch);

/* 1 if a stage whose work returned rc ended in order: done, or stopped
 * by a signal (what it had was handed on).  Else the others must stop. */
int stage_in_order(int rc);

#endif
