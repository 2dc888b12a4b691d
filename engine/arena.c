/*
 * arena.c: the bump allocator (see arena.h). Blocks are at least 64 KiB;
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

/* n bytes aligned to align (a power of two), not zeroed. */
static void *carve(arena *a, size_t n, size_t align)
{
	arena_block *b = a->head;
	size_t at = b ? (b->used + align - 1) / align * align : 0;

	if (!b || at > b->cap || b->cap - at < n) {
		size_t cap = n > 65536 ? n : 65536;

		b = xmalloc(sizeof *b + cap);
		b->next = a->head;
		b->cap = cap;
		a->head = b;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

void *arena_alloc(arena *a, size_t n)
{
	return memset(carve(a, n, alignof(max_align_t)), 0, n);
}

void *arena_alloc_raw(arena *a, size_t n)
{
	return carve(a, n, alignof(max_align_t));
}

char *arena_strdup(arena *a, const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(carve(a, n, 1), s, n);  /* text needs no alignment */
}

void arena_free(arena *a)
{
	while (a->head) {
		arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}
