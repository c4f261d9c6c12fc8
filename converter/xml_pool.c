/*
 * xml_pool.c - see xml_pool.h.
 *
 * For every element, xmlTextWriterStartElement allocates a stack entry, a
 * copy of the name and a list link, and xmlTextWriterEndElement frees them:
 * some 13 million malloc/free pairs for 500,000 rows of 8 columns, which
 * perf put at 12-15% of the converter's time.  Few such blocks live at
 * once (one set per open element), so they are recycled from a free list
 * per size class: 16-byte steps up to 256 bytes.
 *
 * Each block carries a 16-byte header holding its class (0: a large block
 * straight from malloc), which keeps the 16-byte alignment malloc gives.
 * Small blocks are carved from 64 KiB slabs that are never given back:
 * the pool only ever holds as many blocks as were live at once, which the
 * writer's nesting bounds.
 *
 * Threads (the converter's workers, convert_pool.h): the free lists, the
 * slab being carved and the failure count are each thread's own
 * (_Thread_local), so allocating takes no lock.  A block freed on another
 * thread than the one that made it goes on the freeing thread's list,
 * which is as good: blocks are plain memory, their class is in their
 * header, and slabs are never freed.  The slabs of all threads hang on one
 * list, under a mutex (a slab is 4096 blocks: rarely taken), so that leak
 * checkers still see them after a thread has gone.
 */
#include "xml_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlmemory.h>

#if defined(__SANITIZE_ADDRESS__)
#define POOL_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_UNDER_ASAN 1
#endif
#endif

#define HEADER 16
#define STEP 16
#define CLASSES 16			/* small blocks: up to 256 bytes */
#define SLAB_SIZE (64 * 1024)

struct free_block {
	struct free_block *next;
};

static _Thread_local struct free_block *free_list[CLASSES + 1];
static _Thread_local unsigned long failures;	/* allocations refused */
static _Thread_local unsigned char *slab_next, *slab_end;
static void *slabs;			/* kept reachable for leak checkers */
static pthread_mutex_t slabs_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
carve(size_t bytes)
{
	unsigned char *slab, *p;

	if ((size_t)(slab_end - slab_next) < bytes) {
		slab = malloc(SLAB_SIZE);
		if (!slab)
			return NULL;
		pthread_mutex_lock(&slabs_lock);
		*(void **)slab = slabs;
		slabs = slab;
		pthread_mutex_unlock(&slabs_lock);
		slab_next = slab + HEADER;
		slab_end = slab + SLAB_SIZE;
	}
	p = slab_next;
	slab_next += bytes;
	return p;
}

static size_t
class_of(size_t size)
{
	if (size > CLASSES * STEP)
		return 0;
	return size == 0 ? 1 : (size + STEP - 1) / STEP;
}

void *
xml_pool_malloc(size_t size)
{
	size_t cls = class_of(size);
	unsigned char *raw;

	if (cls && free_list[cls]) {
		raw = (unsigned char *)free_list[cls];
		free_list[cls] = free_list[cls]->next;
	} else if (cls) {
		raw = carve(HEADER + cls * STEP);
	} else if (size > SIZE_MAX - HEADER) {
		failures++;
		errno = ENOMEM;
		return NULL;
	} else {
		raw = malloc(HEADER + size);
	}
	if (!raw) {
		failures++;
		return NULL;
	}
	*(size_t *)raw = cls;
	return raw + HEADER;
}

void
xml_pool_free(void *p)
{
	unsigned char *raw;
	size_t cls;
	struct free_block *b;

	if (!p)
		return;
	raw = (unsigned char *)p - HEADER;
	cls = *(size_t *)raw;
	if (cls == 0) {
		free(raw);
		return;
	}
	b = (struct free_block *)raw;
	b->next = free_list[cls];
	free_list[cls] = b;
}

void *
xml_pool_realloc(void *p, size_t size)
{
	unsigned char *raw;
	size_t cls;
	void *q;

	if (!p)
		return xml_pool_malloc(size);
	raw = (unsigned char *)p - HEADER;
	cls = *(size_t *)raw;
	if (cls && size <= cls * STEP)
		return p;
	if (cls) {
		q = xml_pool_malloc(size);
		if (!q)
			return NULL; /* counted there */
		memcpy(q, p, cls * STEP);
		xml_pool_free(p);
		return q;
	}
	if (size > SIZE_MAX - HEADER) {
		failures++;
		errno = ENOMEM;
		return NULL;
	}
	raw = realloc(raw, HEADER + size);
	if (!raw) {
		failures++;
		return NULL;
	}
	return raw + HEADER;
}

char *
xml_pool_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = xml_pool_malloc(n);

	if (copy)
		memcpy(copy, s, n);
	return copy;
}

unsigned long
xml_pool_failures(void)
{
	return failures;
}

int
xml_pool_install(void)
{
#ifdef POOL_UNDER_ASAN
	return 0;
#else
	return xmlMemSetup(xml_pool_free, xml_pool_malloc, xml_pool_realloc,
	    xml_pool_strdup) == 0 ? 0 : -1;
#endif
}
