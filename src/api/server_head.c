/*
 * server_head.c — what a request head must look like before any handler
 * sees it (RFC 9112, strictly). The HTTP library parses the head; these
 * checks refuse what it lets through: request smuggling material (repeated
 * or conflicting Content-Length, Transfer-Encoding, Host), whitespace
 * before a colon, control characters in values (a bare CR), and request
 * targets that decode to control characters (a %00 that would cut the path
 * short). Every refusal is answered and the connection closed.
 *
 * Chunked request bodies are refused with 411: every client we serve can
 * send Content-Length for a body of at most server.max_body_bytes, and a
 * chunked body hides its size (a chunk of 2^64-1 bytes) from everything but
 * the library (ADR 0003).
 */
#include <string.h>

#include "api/server_int.h"

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum server_head_verdict
server_head_check_target(const char *raw, const char **why)
{
    if (!raw || raw[0] != '/') {
        *why = "the request target must be an absolute path";
        return SERVER_HEAD_BAD;
    }
    for (const char *p = raw; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '#') {
            *why = "the request target holds a character that must be percent-encoded";
            return SERVER_HEAD_BAD;
        }
        if (c != '%')
            continue;
        int hi = hex_value(p[1]), lo = hi < 0 ? -1 : hex_value(p[2]);
        if (lo < 0) {
            *why = "the request target holds a malformed percent-encoding";
            return SERVER_HEAD_BAD;
        }
        int decoded = hi * 16 + lo;
        if (decoded < 0x20 || decoded == 0x7f) {
            *why = "the request target holds a percent-encoded control character";
            return SERVER_HEAD_BAD;
        }
        p += 2;
    }
    return SERVER_HEAD_OK;
}

/* Fields that may appear once: a repeat is ambiguous, and ambiguity between
 * us and a proxy in front of us is how requests are smuggled. */
static const char *const singletons[] = {
    "host", "content-length", "transfer-encoding", "content-type",
    "authorization", "cookie", "x-csrf-token", "x-request-id", "idempotency-key",
};
enum { SEEN_HOST = 1u << 0, SEEN_LENGTH = 1u << 1, SEEN_TRANSFER = 1u << 2,
       SEEN_CHUNKED = 1u << 30 };

static bool
is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
name_is(const char *name, size_t len, const char *lower)
{
    if (strlen(lower) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

static void
refuse(struct server_head_check *c, enum server_head_verdict v, const char *why)
{
    if (c->verdict == SERVER_HEAD_OK) {
        c->verdict = v;
        c->why = why;
    }
}

void
server_head_check_field(struct server_head_check *c, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
    if (name_len == 0) {
        refuse(c, SERVER_HEAD_BAD, "a header field has no name");
        return;
    }
    for (size_t i = 0; i < name_len; i++)
        if (!is_tchar((unsigned char)name[i])) {
            refuse(c, SERVER_HEAD_BAD, "a header field name holds a character that is not "
                                       "allowed (whitespace before the colon?)");
            return;
        }
    for (size_t i = 0; i < value_len; i++) {
        unsigned char ch = (unsigned char)value[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            refuse(c, SERVER_HEAD_BAD, "a header field value holds a control character");
            return;
        }
    }
    for (unsigned i = 0; i < sizeof singletons / sizeof *singletons; i++) {
        if (!name_is(name, name_len, singletons[i]))
            continue;
        if (c->seen & (1u << i)) {
            refuse(c, SERVER_HEAD_BAD, i == 0   ? "the Host header is repeated"
                                       : i == 1 ? "the Content-Length header is repeated"
                                                : "a header that may appear once is repeated");
            return;
        }
        c->seen |= 1u << i;
        if (i == 2 && name_is(value, value_len, "chunked"))
            c->seen |= SEEN_CHUNKED;
        return;
    }
}

enum server_head_verdict
server_head_check_end(struct server_head_check *c)
{
    if (c->verdict != SERVER_HEAD_OK)
        return c->verdict;
    if (c->seen & SEEN_TRANSFER) {
        if (c->seen & SEEN_LENGTH)
            refuse(c, SERVER_HEAD_BAD, "Content-Length and Transfer-Encoding are both present");
        else if (c->seen & SEEN_CHUNKED)
            refuse(c, SERVER_HEAD_LENGTH_REQUIRED,
                   "chunked request bodies are not accepted; send Content-Length");
        else
            refuse(c, SERVER_HEAD_NOT_IMPLEMENTED, "the transfer coding is not implemented");
    }
    return c->verdict;
}
