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

/* The shape of the documents (SPEC "Shape of the documents"). */
enum provenance {
	PROVENANCE_ALL,   /* source and sid on the root, line on each row */
	PROVENANCE_DOC,   /* the root's only */
	PROVENANCE_NONE,
};

enum null_as {
	NULL_AS_NIL,      /* empty, xsi:nil="true" (the root declares xsi) */
	NULL_AS_OMIT,     /* the element or attribute left out */
	NULL_AS_EMPTY,    /* written empty */
};

enum layout {
	LAYOUT_ROWS,      /* a row per line */
	LAYOUT_PRETTY,    /* an element per line, indented by two spaces */
	LAYOUT_COMPACT,   /* no white space between elements */
};

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
	/* Shape. */
	const char *root_name;    /* --root                     ["table"] */
	const char *row_name;     /* --row                      ["row"] */
	char **attr_cols;         /* --attr COL[,COL...], split; NULL: none */
	int nattr_cols;
	enum provenance provenance; /* --provenance all|doc|none [all] */
	const char *xmlns;        /* --xmlns URI; NULL: none */
	const char *xmlns_prefix; /* --xmlns-prefix P; NULL: none */
	char **nulls;             /* --null STR, each one; NULL: none */
	int nnulls;
	enum null_as null_as;     /* --null-as nil|omit|empty   [nil] */
	enum layout layout;       /* --layout rows|pretty|compact [rows] */
	int xsd;                  /* --xsd: schema.xsd in every archive */
	int schema;               /* converter --schema [FILE|-] */
	const char *schema_input; /* its FILE, or NULL */
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
