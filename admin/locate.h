/*
 * locate.h - `csvpack locate` (being written).
 */
#ifndef CSVPACK_LOCATE_H
#define CSVPACK_LOCATE_H

/* argv: the command's arguments, after "locate".  0, or -1 after saying why
 * (fail.h has the kind: the exit status). */
int locate_run(int argc, char **argv);

#endif
