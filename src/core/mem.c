/*
 * mem.c — allocation hooks with failure injection, and arenas.
 *
 * The failure counter is a process-wide atomic: it is meant for
 * single-threaded torture tests, and costs one relaxed atomic load per
 * allocation otherwise.
 */
#include "rcm/mem.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t fail_countdown;   /* 0 = off */
static atomic_int fail_sticky;
static atomic_uint_fast64_t alloc_count;

uint64_t
rcm_alloc_fail_after(uint64_t n, int sticky)
{
    uint64_t made = atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_countdown, n);
    return made;
}

/* True when this allocation should fail (testing hook). */
static int
should_fail(void)
{
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    uint64_t left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (left == 0)
        return 0;
    if (left == 1) {
        if (!atomic_load(&fail_sticky))
            atomic_store(&fail_countdown, 0);
        return 1;
    }
    atomic_store(&fail_countdown, left - 1);
    return 0;
}

void *
rcm_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *
rcm_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *
rcm_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void
rcm_free(void *p)
{
    free(p);
}

char *
rcm_strndup(const char *s, size_t n)
{
    char *d = rcm_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *
rcm_strdup(const char *s)
{
    return rcm_strndup(s, strlen(s));
}

/* ---- arenas ---------------------------------------------------------- */

#define ARENA_BLOCK_MIN 4096
#define ARENA_ALIGN 16

struct rcm_arena_block {
    struct rcm_arena_block *next;
    size_t size;        /* usable bytes in data[] */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void
rcm_arena_init(struct rcm_arena *arena, size_t max_bytes, unsigned flags)
{
    arena->head = NULL;
    arena->used_bytes = 0;
    arena->max_bytes = max_bytes;
    arena->flags = flags;
}

void *
rcm_arena_alloc(struct rcm_arena *arena, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        return NULL;
    if (arena->max_bytes && (need > arena->max_bytes ||
                             arena->used_bytes > arena->max_bytes - need))
        return NULL;

    struct rcm_arena_block *b = arena->head;
    if (!b || b->size - b->used < need) {
        /* Blocks double with the arena's size, so a large arena makes few
         * mallocs; an oversized request gets a block of its own. */
        size_t size = b ? b->size * 2 : ARENA_BLOCK_MIN;
        if (size > (size_t)1 << 24)
            size = (size_t)1 << 24;
        if (size < need)
            size = need;
        struct rcm_arena_block *nb = rcm_malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        nb->next = b;
        arena->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    arena->used_bytes += need;
    return p;
}

void *
rcm_arena_zalloc(struct rcm_arena *arena, size_t n)
{
    void *p = rcm_arena_alloc(arena, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *
rcm_arena_strndup(struct rcm_arena *arena, const char *s, size_t n)
{
    char *d = rcm_arena_alloc(arena, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *
rcm_arena_printf(struct rcm_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = rcm_arena_alloc(arena, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void
rcm_arena_release(struct rcm_arena *arena)
{
    struct rcm_arena_block *b = arena->head;
    while (b) {
        struct rcm_arena_block *next = b->next;
        if (arena->flags & RCM_ARENA_WIPE) {
            /* volatile so the wipe of memory about to be freed survives
             * dead-store elimination */
            volatile unsigned char *v = b->data;
            for (size_t i = 0; i < b->used; i++)
                v[i] = 0;
        }
        rcm_free(b);
        b = next;
    }
    arena->head = NULL;
    arena->used_bytes = 0;
}
