#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
	struct block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct block *head;   /* newest block first; the last one is the first block */
	size_t first_size;
};

static struct block *block_new(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

arena *arena_new(size_t first_block)
{
	arena *a = malloc(sizeof(*a));
	if (a == NULL)
		return NULL;
	if (first_block < 256)
		first_block = 256;
	a->first_size = first_block;
	a->head = block_new(first_block);
	if (a->head == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void arena_reset(arena *a)
{
	if (a == NULL)
		return;
	while (a->head->next != NULL) {
		struct block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
	a->head->used = 0;
}

void arena_free(arena *a)
{
	if (a == NULL)
		return;
	while (a->head != NULL) {
		struct block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
	free(a);
}

void *arena_alloc(arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	if (size > SIZE_MAX - align)
		return NULL;
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	struct block *b = a->head;
	if (b->size - b->used < size) {
		size_t want = b->size * 2;
		if (want < size)
			want = size;
		struct block *nb = block_new(want);
		if (nb == NULL)
			return NULL;
		nb->next = a->head;
		a->head = nb;
		b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)   /* s may be NULL then */
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
