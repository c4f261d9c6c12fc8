/*
 * xml_pool.h - a small-block allocator for libxml2.
 *
 * xmlTextWriter allocates three small blocks for every element it opens
 * and frees them when it closes it.  xml_pool_install() gives libxml2 an
 * allocator that recycles such blocks from free lists, so that opening an
 * element costs no trip through malloc(3).
 *
 * The caller must know:
 *  - xml_pool_install() must run before libxml2 allocates anything (first
 *    thing in main), or libxml2 would free a block the pool never made;
 *  - threads may use libxml2 at once: each has its own free lists (and
 *    failure count), a block may be freed on any thread;
 *  - built with AddressSanitizer it does nothing, so that ASan still sees
 *    every block libxml2 uses.
 */
#ifndef CSVPACK_XML_POOL_H
#define CSVPACK_XML_POOL_H

#include <stddef.h>

/* Returns 0, or -1 if libxml2 refused the functions. */
int xml_pool_install(void);

/* How many allocations the pool could not make so far, on the calling
 * thread (a document is written on one thread).  libxml2 does not
 * report every one of them (some of its writers carry on, writing less):
 * a document is good only if this did not move while it was written.
 * Under ASan, where the pool is not installed, it stays 0. */
unsigned long xml_pool_failures(void);

/* The allocator itself, exposed for the unit tests. */
void *xml_pool_malloc(size_t size);
void *xml_pool_realloc(void *p, size_t size);
void xml_pool_free(void *p);
char *xml_pool_strdup(const char *s);

#endif
