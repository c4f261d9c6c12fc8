/*
 * options.h - the command line all three stages share.
 *
 * The launcher hands every stage the same options; each stage uses those
 * that concern it and validates all of them, so a typo is caught wherever
 * it lands.  Positional arguments are the producer's inputs (and the
 * converter's --stdout FILE).
 */
#ifndef CSVPACK_OPTIONS_H
#define CSVPACK_OPTIONS_H

#include <stdint.h>

struct options {
	const char *output;    /* -o */
	uint64_t batch;        /* -b: documents per archive */
	uint64_t rows;         /* -r: rows per document */
	char delim;            /* -d */
	int no_header;
	int ragged;
	const char *encoding;  /* NULL: UTF-8, checked */
	int level;             /* -l */
	const char *name;      /* --name; NULL: unique per run */
	double flush_after;    /* seconds; 0: off */
	const char *prefix;    /* --prefix: archive name prefix */
	int resume;
	int manifest;          /* --manifest: SHA256SUMS in every archive */
	int jobs;              /* -j */
	uint64_t ring_size;    /* bytes, a power of two */
	int quiet, progress;
	/* Stage-specific modes. */
	int to_stdout;         /* converter --stdout */
	const char *stdout_input; /* --stdout=FILE, or NULL */
	const char *pack_dir;  /* packer --dir */
	int cleanup;           /* --cleanup [NAME]: csvpack-admin's */
	int status;            /* --status [NAME] */
	int watch;             /* --status --watch: redraw every second */
	unsigned attach_timeout; /* s to wait for the other stages; 0: ever */
	char **inputs;
	int ninputs;
};

/* Parses argv.  Returns 0 to go on, 1 when --help or --version was
 * printed (the program is done: exit 0), or -1 after saying what is wrong
 * (a usage error, recorded: fail.h). */
int options_parse(struct options *o, int argc, char **argv);
/* Parses "16M"-style sizes; returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);

#endif
