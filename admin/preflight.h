/*
 * preflight.h - the launcher's pre-flight.
 *
 * The launcher keeps no list of options: it hands its whole command line
 * here, where it is parsed by the one option table every stage uses
 * (options.c).  Usage errors, inputs that cannot be opened and an output
 * directory another pipeline holds stop the run before any stage starts;
 * --help, --version, --cleanup and --status are done here.  Otherwise the
 * pipeline's name (--name's, or else the fresh one the launcher made) is
 * written to descriptor 3, one line, for the launcher to read; the
 * launcher then gives every stage that name and the same command line.
 */
#ifndef CSVPACK_PREFLIGHT_H
#define CSVPACK_PREFLIGHT_H

/* argv: "check", FRESH-NAME, then the launcher's arguments.  Returns 0
 * or -1 (said, recorded). */
int launcher_check(int argc, char **argv);

#endif
