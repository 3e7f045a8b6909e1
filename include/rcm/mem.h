/*
 * rcm/mem.h — allocation hooks and arenas.
 *
 * Every allocation in openrcm goes through rcm_malloc/rcm_realloc/rcm_free so
 * tests can make the Nth allocation fail (torture tests, as curl and SQLite
 * do) and check that each failure path is clean.
 *
 * Arenas serve bounded lifetimes — one HTTP request, one X12 interchange, one
 * batch — and are released in one call. An arena created with RCM_ARENA_WIPE
 * zeroes its memory on release; use it whenever it may hold PHI.
 */
#ifndef RCM_MEM_H
#define RCM_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

void *rcm_malloc(size_t n);
void *rcm_calloc(size_t count, size_t size);
void *rcm_realloc(void *p, size_t n);
void rcm_free(void *p);
/* Duplicate a NUL-terminated string / n bytes (+ NUL). Returns owned memory. */
char *rcm_strdup(const char *s);
char *rcm_strndup(const char *s, size_t n);

/*
 * Testing hook: make the allocation `n` calls from now fail (1 = the next
 * one), and every later one as well when `sticky`. n = 0 disables. Returns
 * the number of allocations made since the last call, so a torture loop can
 * learn how many there are to fail.
 */
uint64_t rcm_alloc_fail_after(uint64_t n, int sticky);

#define RCM_ARENA_WIPE 0x1u

struct rcm_arena_block;

struct rcm_arena {
    struct rcm_arena_block *head;
    size_t used_bytes;  /* bytes handed out, for limits and reporting */
    size_t max_bytes;   /* hard cap on used_bytes; 0 = no cap */
    unsigned flags;
};

void rcm_arena_init(struct rcm_arena *arena, size_t max_bytes, unsigned flags);

/*
 * Return `n` bytes aligned for any type, owned by the arena. NULL when the
 * allocation fails or would pass max_bytes. Memory is not zeroed.
 */
void *rcm_arena_alloc(struct rcm_arena *arena, size_t n);
void *rcm_arena_zalloc(struct rcm_arena *arena, size_t n);
char *rcm_arena_strndup(struct rcm_arena *arena, const char *s, size_t n);
char *rcm_arena_printf(struct rcm_arena *arena, const char *fmt, ...)
    RCM_PRINTF(2, 3);

/* Free every block (wiping first with RCM_ARENA_WIPE); the arena can be reused. */
void rcm_arena_release(struct rcm_arena *arena);

#endif
