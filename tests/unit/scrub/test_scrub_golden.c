/*
 * test_scrub_golden.c — drives the declarative edit tests in
 * tests/golden/scrub/*.case against tests/golden/scrub/base.json (a clean
 * claim), the built code-set index, the synthetic NCCI files in
 * tests/golden/scrub/ncci and the payer rules in data/payer-rules.
 *
 * .case syntax (one directive per line, '#' comments):
 *   case NAME            start a case from a fresh copy of base.json
 *   set PATH JSON        set a value; PATH is dot-separated, numbers index
 *                        arrays (index == size appends): lines.0.units "2"
 *   del PATH             remove a key
 *   today YYYY-MM-DD     scrub date (default 2026-04-01)
 *   rules DIR            payer-rules dir relative to the source root
 *   twice                scrub the claim twice with one history; check the 2nd
 *   expect EDIT [FIELD]  a finding of EDIT (at FIELD) must be present
 *   severity EDIT SEV    that finding has severity SEV
 *   reject EDIT          no finding of EDIT
 *   clean                no findings at all
 *   decode-error TEXT    the claim JSON must be refused with TEXT in the message
 *
 * Every edit id must be expected at least once and rejected at least once
 * across all files (passing and failing cases for each edit).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"

#define GOLDEN RCM_TEST_SOURCE_DIR "/tests/golden/scrub"

static struct rcm_codes *codes;
static struct rcm_ncci *ncci;
static bool expected_seen[RCM_EDIT_COUNT], rejected_seen[RCM_EDIT_COUNT];
static int failures;

static void
report(const char *file, int line, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: case '%s': ", file, line, name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    failures++;
}

static bool
json_set_path(json_t *root, const char *path, json_t *value, bool del)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL, *tok = strtok_r(buf, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        char *end;
        long idx = strtol(tok, &end, 10);
        bool is_idx = *end == '\0' && json_is_array(cur);
        if (!next) {
            if (del) {
                json_decref(value);
                return is_idx ? json_array_remove(cur, (size_t)idx) == 0
                              : json_object_del(cur, tok) == 0;
            }
            if (is_idx)
                return (size_t)idx == json_array_size(cur)
                           ? json_array_append_new(cur, value) == 0
                           : json_array_set_new(cur, (size_t)idx, value) == 0;
            return json_is_object(cur) && json_object_set_new(cur, tok, value) == 0;
        }
        json_t *child = is_idx ? json_array_get(cur, (size_t)idx) : json_object_get(cur, tok);
        if (!child) {
            child = json_object();
            if (is_idx || !json_is_object(cur) || json_object_set_new(cur, tok, child))
                return false;
        }
        cur = child;
        tok = next;
    }
    return false;
}

struct expect {
    char edit[40];
    char field[64];
    char severity[16];
    int kind;   /* 0 expect, 1 reject, 2 severity */
};

struct tcase {
    char name[96];
    int line;
    json_t *claim;
    int32_t today;
    char rules[128];
    bool twice, clean;
    char decode_error[128];
    struct expect ex[24];
    int n_ex;
};

static void
run_case(const char *file, struct tcase *t)
{
    char *text = json_dumps(t->claim, JSON_COMPACT);
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 24, 0);
    struct rcm_claim *claims = NULL;
    size_t n = 0;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_claim_json_read(text, strlen(text), &arena, &claims, &n, &diag);
    free(text);
    if (t->decode_error[0]) {
        if (!err)
            report(file, t->line, t->name, "claim decoded, expected an error");
        else if (!strstr(diag.msg, t->decode_error))
            report(file, t->line, t->name, "decode error '%s' lacks '%s'", diag.msg,
                   t->decode_error);
        rcm_arena_release(&arena);
        return;
    }
    if (err) {
        report(file, t->line, t->name, "claim does not decode: %s", diag.msg);
        rcm_arena_release(&arena);
        return;
    }
    struct rcm_payer_rules *rules = NULL;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", RCM_TEST_SOURCE_DIR,
             t->rules[0] ? t->rules : "data/payer-rules");
    if (rcm_payer_rules_load(dir, &rules, &diag) != RCM_OK) {
        report(file, t->line, t->name, "payer rules: %s", diag.msg);
        rcm_arena_release(&arena);
        return;
    }
    struct rcm_scrub_history *hist = NULL;
    assert_int_equal(rcm_scrub_history_new(16, &hist), RCM_OK);
    struct rcm_scrub_ref ref = {codes, ncci, rules};
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 256);
    for (int pass = 0; pass < (t->twice ? 2 : 1); pass++) {
        rcm_scrub_result_reset(&res);
        assert_int_equal(rcm_scrub_claim(&ref, &claims[0], t->today, hist, &res), RCM_OK);
    }
    if (t->clean && res.n) {
        report(file, t->line, t->name, "expected no findings, got %zu (first: %s %s)",
               res.n, rcm_scrub_edit_info(res.findings[0].edit)->id,
               res.findings[0].message);
    }
    for (int k = 0; k < t->n_ex; k++) {
        const struct expect *e = &t->ex[k];
        enum rcm_scrub_edit id;
        if (!rcm_scrub_edit_find(e->edit, &id)) {
            report(file, t->line, t->name, "unknown edit id '%s'", e->edit);
            continue;
        }
        const struct rcm_scrub_finding *hit = NULL;
        for (size_t i = 0; i < res.n && !hit; i++)
            if (res.findings[i].edit == id &&
                (!e->field[0] || strcmp(res.findings[i].field, e->field) == 0))
                hit = &res.findings[i];
        if (e->kind == 0) {
            expected_seen[id] = true;
            if (!hit) {
                report(file, t->line, t->name, "expected %s%s%s; findings:", e->edit,
                       e->field[0] ? " at " : "", e->field);
                for (size_t i = 0; i < res.n; i++)
                    fprintf(stderr, "    %s %s %s\n",
                            rcm_scrub_edit_info(res.findings[i].edit)->id,
                            res.findings[i].field, res.findings[i].message);
            }
        } else if (e->kind == 1) {
            rejected_seen[id] = true;
            if (hit)
                report(file, t->line, t->name, "unexpected %s at %s: %s", e->edit,
                       hit->field, hit->message);
        } else if (!hit || strcmp(rcm_scrub_severity_name(hit->severity), e->severity)) {
            report(file, t->line, t->name, "%s should have severity %s", e->edit,
                   e->severity);
        }
    }
    rcm_scrub_result_release(&res);
    rcm_scrub_history_free(hist);
    rcm_payer_rules_free(rules);
    rcm_arena_release(&arena);
}

static json_t *
load_base(void)
{
    json_error_t je;
    json_t *b = json_load_file(GOLDEN "/base.json", 0, &je);
    assert_non_null(b);
    return b;
}

static void
reset_case(struct tcase *t, const char *name, int line)
{
    json_decref(t->claim);
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->line = line;
    t->claim = load_base();
    t->today = rcm_date_from_ymd(2026, 4, 1);
}

static void
run_file(const char *path, const char *file)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int lineno = 0;
    struct tcase t;
    memset(&t, 0, sizeof t);
    bool open_case = false;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ')
            p++;
        if (!*p || *p == '#')
            continue;
        char cmd[32] = "", a1[256] = "", rest[768] = "";
        int got = sscanf(p, "%31s %255s %767[^\n]", cmd, a1, rest);
        if (strcmp(cmd, "case") == 0) {
            if (open_case)
                run_case(file, &t);
            const char *nm = p + 5;
            reset_case(&t, nm, lineno);
            open_case = true;
            continue;
        }
        if (!open_case) {
            report(file, lineno, "-", "directive before the first case");
            continue;
        }
        if (strcmp(cmd, "set") == 0 && got == 3) {
            json_error_t je;
            json_t *v = json_loads(rest, JSON_DECODE_ANY, &je);
            if (!v || !json_set_path(t.claim, a1, v, false))
                report(file, lineno, t.name, "cannot set %s", a1);
        } else if (strcmp(cmd, "del") == 0 && got >= 2) {
            if (!json_set_path(t.claim, a1, NULL, true))
                report(file, lineno, t.name, "cannot delete %s", a1);
        } else if (strcmp(cmd, "today") == 0 && got >= 2) {
            if (rcm_date_parse_iso(rcm_str_c(a1), &t.today) != RCM_OK)
                report(file, lineno, t.name, "bad date");
        } else if (strcmp(cmd, "rules") == 0 && got >= 2) {
            snprintf(t.rules, sizeof t.rules, "%s", a1);
        } else if (strcmp(cmd, "twice") == 0) {
            t.twice = true;
        } else if (strcmp(cmd, "clean") == 0) {
            t.clean = true;
        } else if (strcmp(cmd, "decode-error") == 0 && got >= 2) {
            snprintf(t.decode_error, sizeof t.decode_error, "%s%s%s", a1, got == 3 ? " " : "",
                     got == 3 ? rest : "");
        } else if ((strcmp(cmd, "expect") == 0 || strcmp(cmd, "reject") == 0 ||
                    strcmp(cmd, "severity") == 0) && got >= 2 && t.n_ex < 24) {
            struct expect *e = &t.ex[t.n_ex++];
            memset(e, 0, sizeof *e);
            e->kind = cmd[0] == 'e' ? 0 : cmd[0] == 'r' ? 1 : 2;
            snprintf(e->edit, sizeof e->edit, "%s", a1);
            if (got == 3)
                snprintf(e->kind == 2 ? e->severity : e->field,
                         e->kind == 2 ? sizeof e->severity : sizeof e->field, "%s", rest);
        } else {
            report(file, lineno, t.name, "bad directive '%s'", p);
        }
    }
    if (open_case)
        run_case(file, &t);
    json_decref(t.claim);
    fclose(f);
}

static int
setup(void **state)
{
    (void)state;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_codes_open(RCM_TEST_BINARY_DIR "/codes/openrcm-codes.idx", &codes, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return -1;
    }
    struct rcm_ncci_stats st;
    if (rcm_codes_ncci_load(GOLDEN "/ncci", 0, &ncci, &st, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    rcm_codes_close(codes);
    rcm_codes_ncci_free(ncci);
    return 0;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_golden_cases(void **state)
{
    (void)state;
    DIR *d = opendir(GOLDEN);
    assert_non_null(d);
    char *names[128];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 128) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".case") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], name_cmp);
    assert_true(n > 10);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", GOLDEN, names[i]);
        run_file(path, names[i]);
        free(names[i]);
    }
    for (unsigned e = 0; e < RCM_EDIT_COUNT; e++) {
        const char *id = rcm_scrub_edit_info((enum rcm_scrub_edit)e)->id;
        if (!expected_seen[e])
            report("(all)", 0, id, "no case expects this edit to fire");
        if (!rejected_seen[e])
            report("(all)", 0, id, "no case checks that this edit stays quiet");
    }
    assert_int_equal(failures, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_cases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
