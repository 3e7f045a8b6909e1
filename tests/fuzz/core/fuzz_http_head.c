/*
 * Fuzz the request-head checks (server_head.c): the first line of the input
 * is a raw request target, every further line a header field "name:value".
 * A target that passes holds only visible ASCII and no percent-encoded
 * control character; every refusal carries a message.
 */
#include <stdlib.h>
#include <string.h>

#include "api/server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_target(const char *raw)
{
    const char *why = NULL;
    enum server_head_verdict v = server_head_check_target(raw, &why);
    if (v != SERVER_HEAD_OK) {
        if (v != SERVER_HEAD_BAD || !why)
            abort();
        return;
    }
    for (const char *p = raw; *p; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            abort();
        if (p[0] == '%' && (p[1] == '0' || p[1] == '1'))
            abort();        /* %00..%1F decode to controls */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *nl = memchr(copy, '\n', size);
    if (nl)
        *nl = '\0';
    check_target(copy);
    struct server_head_check c = {0};
    for (char *line = nl ? nl + 1 : NULL; line && line < copy + size;) {
        char *end = memchr(line, '\n', (size_t)(copy + size - line));
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *colon = memchr(line, ':', len);
        size_t name_len = colon ? (size_t)(colon - line) : len;
        const char *value = colon ? colon + 1 : "";
        size_t value_len = colon ? len - name_len - 1 : 0;
        server_head_check_field(&c, line, name_len, value, value_len);
        line = end ? end + 1 : NULL;
    }
    enum server_head_verdict v = server_head_check_end(&c);
    if (v > SERVER_HEAD_NOT_IMPLEMENTED || (v != SERVER_HEAD_OK && !c.why))
        abort();
    free(copy);
    return 0;
}
