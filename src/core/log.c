/*
 * log.c — JSON-lines operational log.
 *
 * Each line is built in a stack buffer and written with one write(2), so
 * lines from concurrent threads never interleave (writes to a pipe or file
 * of up to PIPE_BUF bytes are atomic; longer lines are truncated to fit).
 */
#include "rcm/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rcm/date.h"

static atomic_int min_level = RCM_LOG_INFO;
static atomic_int out_fd = STDERR_FILENO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
rcm_log_set_level(enum rcm_log_level level)
{
    atomic_store(&min_level, (int)level);
}

int
rcm_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void
rcm_log_set_fd(int fd)
{
    atomic_store(&out_fd, fd);
}

#define LINE_MAX_BYTES 4096

struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static void
put(struct line *l, const char *s, size_t n)
{
    /* keep room for the closing "}\n" */
    size_t room = sizeof l->buf - 2 - l->len;
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

/* Append s as a JSON string, escaping quotes, backslashes and controls. */
static void
put_json_string(struct line *l, const char *s)
{
    put(l, "\"", 1);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(l, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            int n = snprintf(esc, sizeof esc, "\\u%04x", c);
            put(l, esc, (size_t)n);
        } else {
            put(l, s, 1);
        }
    }
    put(l, "\"", 1);
}

static void
put_key(struct line *l, const char *key)
{
    put(l, ",", 1);
    put_json_string(l, key);
    put(l, ":", 1);
}

void
rcm_log_fields(enum rcm_log_level level, const char *event, const char *req_id,
               const struct rcm_log_field *fields, int n_fields)
{
    if ((int)level < atomic_load(&min_level))
        return;
    struct line l;
    l.len = 0;
    char ts[RCM_TIME_ISO_LEN + 1];
    rcm_time_format_iso(rcm_time_now_ms(), ts);
    put(&l, "{\"ts\":\"", 7);
    put(&l, ts, strlen(ts));
    put(&l, "\",\"level\":\"", 11);
    put(&l, level_names[level], strlen(level_names[level]));
    put(&l, "\"", 1);
    put_key(&l, "event");
    put_json_string(&l, event);
    if (req_id) {
        put_key(&l, "req_id");
        put_json_string(&l, req_id);
    }
    for (int i = 0; i < n_fields; i++) {
        put_key(&l, fields[i].key);
        if (fields[i].type == RCM_LOGF_INT) {
            char num[24];
            int n = snprintf(num, sizeof num, "%lld", (long long)fields[i].i);
            put(&l, num, (size_t)n);
        } else {
            put_json_string(&l, fields[i].s ? fields[i].s : "");
        }
    }
    memcpy(l.buf + l.len, "}\n", 2);
    l.len += 2;
    ssize_t w = write(atomic_load(&out_fd), l.buf, l.len);
    (void)w;    /* nowhere to report a failed log write */
}
