/*
 * locate.h - `csvpack locate [--line] DIR INPUT:ROW`: which archive of
 * DIR, and which member of it, holds row ROW of INPUT (with --line: the
 * row on physical line LINE), answered from DIR's journal alone (SPEC
 * "Verify, locate, manifest"; journal.h).
 *
 * stdout: "ARCHIVE MEMBER", ARCHIVE being DIR as given, "/", the
 * archive's name (the path the run printed for it), MEMBER "NNNNNN.xml".
 * A row that is not archived is exit 1 with a message saying why: no
 * such input in the journal, the rows (lines) the journal has of it, the
 * row staged and not yet packed.
 */
#ifndef CSVPACK_LOCATE_H
#define CSVPACK_LOCATE_H

/* argv: the command's arguments, after "locate".  0, or -1 after saying why
 * (fail.h has the kind: the exit status). */
int locate_run(int argc, char **argv);

#endif
