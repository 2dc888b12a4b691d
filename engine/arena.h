/*
 * arena.h: a bump allocator for data that lives and dies together (a loaded
 * model, a parsed file). Everything is freed at once by arena_free.
 */
#ifndef TR_ARENA_H
#define TR_ARENA_H
#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;  /* newest block first; NULL while empty */
} arena;

/* Returns n zeroed bytes aligned for any type, owned by a; aborts on OOM. */
void *arena_alloc(arena *a, size_t n);
/* As arena_alloc, but the bytes are not zeroed: for a buffer about to be
 * filled whole (a model image read from disk). */
void *arena_alloc_raw(arena *a, size_t n);
/* Returns a copy of s (NULL stays NULL), owned by a. */
char *arena_strdup(arena *a, const char *s);
/* Frees every block of a and empties it. */
void arena_free(arena *a);

#endif
