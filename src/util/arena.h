/* A bump allocator: one per request (or per command). Everything allocated
 * from it lives until arena_free()/arena_reset(), so handlers never free
 * individual strings. */
#ifndef NSUPD_UTIL_ARENA_H
#define NSUPD_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(size_t first_block);
void arena_free(arena *a);
/* Releases everything but the first block, ready for reuse. */
void arena_reset(arena *a);

/* All return NULL only when memory is exhausted. Memory is zeroed. */
void *arena_alloc(arena *a, size_t size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap);

#endif
