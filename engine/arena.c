/*
 * arena.c: the bump allocator (see arena.h). Blocks are at least 16 KiB;
 * a larger request gets a block of its own.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "buf.h"

struct arena_block {
	arena_block *next;  /* older block */
	size_t used, cap;   /* bytes of data[] used and available */
	alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(arena *a, size_t n)
{
	size_t align = alignof(max_align_t);
	arena_block *b = a->head;
	void *p;

	n = (n + align - 1) / align * align;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 16384 ? n : 16384;

		b = xmalloc(sizeof *b + cap);
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += n;
	return memset(p, 0, n);
}

char *arena_strdup(arena *a, const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(arena_alloc(a, n), s, n);
}

void arena_free(arena *a)
{
	while (a->head) {
		arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}
