/*
 * verify.h - `csvpack verify [DIALECT OPTIONS] DIR [INPUT...]`: proof that
 * a delivery is complete.
 *
 * Two passes over the journal and one over each archive, all streaming:
 *
 *   1. verify_index.h: which archive each latest journal group names,
 *      and which archives stand in DIR;
 *   2. the journal again, in its order: each group that counts is
 *      checked against its archive (verify_archive.h), and its documents'
 *      rows are gathered per input (row_ranges.h) and, given the inputs,
 *      compared with them row by row (row_compare.h);
 *   3. what is left: archives the journal does not know (read through
 *      all the same), gaps in numbering, rows no archive holds, rows left
 *      in the inputs, complete documents left in staging.
 *
 * Every problem is one line on stdout (problems.h); the summary goes to
 * stderr.  Exit 0 when nothing was found, 1 when something was (or verify
 * itself failed), 2 for usage, 65 when an input is itself bad CSV.
 */
#ifndef CSVPACK_VERIFY_H
#define CSVPACK_VERIFY_H

/* argv: the command's arguments, after "verify".  0, or -1 after saying
 * why (fail.h has the kind: the exit status). */
int verify_run(int argc, char **argv);

#endif
