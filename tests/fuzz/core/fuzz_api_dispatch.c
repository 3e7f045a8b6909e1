/*
 * Fuzz request handling without sockets: the input is
 * "METHOD\nPATH\nCONTENT-TYPE\nBODY"; every request must get a complete
 * response with a status in 200..599 and a body.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Next line of the input as a NUL-terminated copy in the arena. */
static const char *
line(struct rcm_arena *a, const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    char *s = rcm_arena_strndup(a, *p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1 << 22, 0);
    const char *p = (const char *)data, *end = p + size;
    struct api_request req = {0};
    struct api_response res = {0};
    struct api_context ctx = {0};
    req.ctx = &ctx;
    req.arena = &arena;
    req.method = line(&arena, &p, end);
    req.path = line(&arena, &p, end);
    const char *ct = line(&arena, &p, end);
    req.content_type = ct && ct[0] ? ct : NULL;
    req.body = p < end ? p : NULL;
    req.body_len = (size_t)(end - p);
    req.max_body_bytes = 1 << 20;
    strcpy(req.req_id, "fuzz");
    if (!req.method || !req.path) {
        rcm_arena_release(&arena);
        return 0;
    }
    /* routes that need the store are not reached without one */
    if (strcmp(req.path, "/readyz") != 0) {
        api_dispatch(&req, &res);
        if (res.status < 200 || res.status > 599 || (!res.json && !res.raw))
            abort();
        size_t len;
        char *body = api_response_body(&res, &len);
        if (!body)
            abort();
        free(body);
    }
    api_response_release(&res);
    json_decref(req.json);
    rcm_arena_release(&arena);
    return 0;
}
