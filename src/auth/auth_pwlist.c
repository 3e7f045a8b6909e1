/*
 * auth_pwlist.c — the common/breached-password list: load a sorted file
 * (or the copy embedded in the binary) and look passwords up by binary
 * search, ASCII case-insensitively.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rcm/auth.h"
#include "rcm/crypto.h"
#include "rcm/embed.h"
#include "rcm/mem.h"

#define PWLIST_ENTRY_MAX_BYTES 256

void
rcm_pwlist_release(struct rcm_pwlist *list)
{
    rcm_free(list->text);
    rcm_free(list->entries);
    list->text = NULL;
    list->entries = NULL;
    list->count = 0;
}

/* Check the lines of list->text (already split) are sorted and clean. */
static enum rcm_err
check_lines(struct rcm_pwlist *list, const char *text, size_t n, struct rcm_diag *diag)
{
    size_t count = 0, line = 0;
    for (size_t i = 0; i < n;) {
        const char *s = list->text + i;
        size_t len = strlen(s);
        line++;
        if (i + len < n && text[i + len] != '\n')
            return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, (long)line,
                                    "password list line contains a NUL byte");
        for (size_t k = 0; k < len; k++)
            if (s[k] >= 'A' && s[k] <= 'Z')
                return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, (long)line,
                                        "password list line is not lower-case");
        if (len == 0 || len > PWLIST_ENTRY_MAX_BYTES)
            return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, (long)line,
                                    "password list line is empty or too long");
        if (count > 0 && strcmp(list->entries[count - 1], s) >= 0)
            return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, (long)line,
                                    "password list is not sorted (LC_ALL=C) and unique");
        list->entries[count++] = s;
        i += len + 1;
    }
    list->count = count;
    return RCM_OK;
}

enum rcm_err
rcm_pwlist_load_mem(const char *p, size_t n, struct rcm_pwlist *out, struct rcm_diag *diag)
{
    *out = (struct rcm_pwlist){0};
    if (n > RCM_PWLIST_MAX_BYTES)
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "password list exceeds %u bytes",
                             RCM_PWLIST_MAX_BYTES);
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += p[i] == '\n';
    out->text = rcm_malloc(n + 1);
    out->entries = rcm_calloc(lines + 1, sizeof *out->entries);
    if (!out->text || !out->entries) {
        rcm_pwlist_release(out);
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory loading the password list");
    }
    memcpy(out->text, p, n);
    out->text[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (out->text[i] == '\n')
            out->text[i] = '\0';
    enum rcm_err err = check_lines(out, p, n, diag);
    if (err != RCM_OK)
        rcm_pwlist_release(out);
    return err;
}

enum rcm_err
rcm_pwlist_load(const char *path, struct rcm_pwlist *out, struct rcm_diag *diag)
{
    *out = (struct rcm_pwlist){0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open the password list");
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rcm_diag_fail(diag, RCM_E_IO, "the password list is not a regular file");
    }
    if ((uint64_t)st.st_size > RCM_PWLIST_MAX_BYTES) {
        fclose(f);
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "password list exceeds %u bytes",
                             RCM_PWLIST_MAX_BYTES);
    }
    size_t size = (size_t)st.st_size;
    char *buf = rcm_malloc(size + 1);
    if (!buf) {
        fclose(f);
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory loading the password list");
    }
    size_t n = fread(buf, 1, size + 1, f);      /* +1 notices a file that grew */
    bool read_error = ferror(f) != 0 || n != size;
    fclose(f);
    enum rcm_err err = read_error
        ? rcm_diag_fail(diag, RCM_E_IO, "cannot read the password list (changed while read?)")
        : rcm_pwlist_load_mem(buf, n, out, diag);
    rcm_free(buf);
    return err;
}

enum rcm_err
rcm_pwlist_load_embedded(struct rcm_pwlist *out, struct rcm_diag *diag)
{
    const struct rcm_embedded_file *f = rcm_embed_find(RCM_PWLIST_EMBEDDED_PATH);
    if (!f) {
        *out = (struct rcm_pwlist){0};
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no embedded password list");
    }
    return rcm_pwlist_load_mem(f->data, f->len, out, diag);
}

bool
rcm_pwlist_contains(const struct rcm_pwlist *list, const char *password, size_t n)
{
    char lower[PWLIST_ENTRY_MAX_BYTES + 1];
    if (!list || n == 0 || n > PWLIST_ENTRY_MAX_BYTES || memchr(password, '\0', n))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = password[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    lower[n] = '\0';
    size_t lo = 0, hi = list->count;
    bool found = false;
    while (lo < hi && !found) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(lower, list->entries[mid]);
        if (c == 0)
            found = true;
        else if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    rcm_crypto_wipe(lower, sizeof lower);
    return found;
}
