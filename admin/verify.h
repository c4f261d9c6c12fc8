/*
 * verify.h - `csvpack verify` (being written).
 */
#ifndef CSVPACK_VERIFY_H
#define CSVPACK_VERIFY_H

/* argv: the command's arguments, after "verify".  0, or -1 after saying why
 * (fail.h has the kind: the exit status). */
int verify_run(int argc, char **argv);

#endif
