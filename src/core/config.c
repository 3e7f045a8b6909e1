/*
 * config.c — settings from defaults, an INI file, OPENRCM_* environment
 * variables and flags, all driven by RCM_SETTINGS in rcm/config.h.
 */
#include "rcm/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm/str.h"

static const struct rcm_setting_info settings[RCM_SETTING_COUNT] = {
#define ROW(field, name, type, def, min, max, choices, doc)                    \
    {name, type, def, min, max, choices, doc},
    RCM_SETTINGS(ROW)
#undef ROW
};

const struct rcm_setting_info *
rcm_setting_info(int id)
{
    return id >= 0 && id < RCM_SETTING_COUNT ? &settings[id] : NULL;
}

int
rcm_setting_find(const char *name)
{
    for (int i = 0; i < RCM_SETTING_COUNT; i++)
        if (strcmp(settings[i].name, name) == 0)
            return i;
    return -1;
}

const char *
rcm_config_origin_name(enum rcm_config_origin origin)
{
    switch (origin) {
    case RCM_ORIGIN_DEFAULT: return "default";
    case RCM_ORIGIN_FILE: return "file";
    case RCM_ORIGIN_ENV: return "env";
    case RCM_ORIGIN_FLAG: return "flag";
    }
    return "?";
}

static bool
is_string_type(enum rcm_setting_type t)
{
    return t == RCM_SET_STR || t == RCM_SET_PATH || t == RCM_SET_SECRET ||
           t == RCM_SET_ENUM;
}

static bool
parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (rcm_str_case_eq_c(rcm_str_c(v), yes[i])) {
            *out = true;
            return true;
        }
        if (rcm_str_case_eq_c(rcm_str_c(v), no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool
enum_allows(const char *choices, const char *v)
{
    struct rcm_str rest = rcm_str_c(choices), tok;
    while (rcm_str_split_next(&rest, '|', &tok))
        if (rcm_str_eq_c(tok, v))
            return true;
    return false;
}

/* Parse `value` for setting `id` into *out; strings are newly allocated. */
static enum rcm_err
parse_value(int id, const char *value, const char *origin,
            union rcm_setting_value *out, struct rcm_diag *diag)
{
    const struct rcm_setting_info *s = &settings[id];
    switch (s->type) {
    case RCM_SET_INT: {
        int64_t v;
        if (rcm_str_to_i64(rcm_str_c(value), &v) != RCM_OK)
            return rcm_diag_fail(diag, RCM_E_CONFIG,
                                 "%s (from %s): \"%s\" is not an integer",
                                 s->name, origin, value);
        if (v < s->min || v > s->max)
            return rcm_diag_fail(diag, RCM_E_CONFIG,
                                 "%s (from %s): %lld is outside %lld..%lld",
                                 s->name, origin, (long long)v,
                                 (long long)s->min, (long long)s->max);
        out->i = v;
        return RCM_OK;
    }
    case RCM_SET_BOOL:
        if (!parse_bool(value, &out->b))
            return rcm_diag_fail(diag, RCM_E_CONFIG,
                                 "%s (from %s): \"%s\" is not true or false",
                                 s->name, origin, value);
        return RCM_OK;
    case RCM_SET_ENUM:
        if (!enum_allows(s->choices, value))
            return rcm_diag_fail(diag, RCM_E_CONFIG,
                                 "%s (from %s): \"%s\" is not one of %s",
                                 s->name, origin, value, s->choices);
        break;
    case RCM_SET_STR:
    case RCM_SET_PATH:
    case RCM_SET_SECRET:
        break;
    }
    size_t n = strlen(value);
    if (n > 4096)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "%s (from %s): value too long",
                             s->name, origin);
    if (!rcm_utf8_valid(value, n))
        return rcm_diag_fail(diag, RCM_E_CONFIG, "%s (from %s): value is not valid UTF-8",
                             s->name, origin);
    out->str = rcm_strdup(value);
    return out->str ? RCM_OK : RCM_E_NOMEM;
}

static void
free_value(int id, union rcm_setting_value *v)
{
    if (is_string_type(settings[id].type)) {
        rcm_free(v->str);
        v->str = NULL;
    }
}

enum rcm_err
rcm_config_init(struct rcm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < RCM_SETTING_COUNT; i++) {
        enum rcm_err err = parse_value(i, settings[i].def, "default", &cfg->v[i], NULL);
        if (err) {
            rcm_config_release(cfg);
            return err;
        }
        cfg->origin[i] = RCM_ORIGIN_DEFAULT;
    }
    return RCM_OK;
}

void
rcm_config_release(struct rcm_config *cfg)
{
    for (int i = 0; i < RCM_SETTING_COUNT; i++)
        free_value(i, &cfg->v[i]);
}

enum rcm_err
rcm_config_set(struct rcm_config *cfg, const char *name, const char *value,
               enum rcm_config_origin origin, struct rcm_diag *diag)
{
    int id = rcm_setting_find(name);
    if (id < 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "unknown setting \"%s\" (from %s)",
                             name, rcm_config_origin_name(origin));
    union rcm_setting_value v;
    enum rcm_err err = parse_value(id, value, rcm_config_origin_name(origin), &v, diag);
    if (err)
        return err;
    free_value(id, &cfg->v[id]);
    cfg->v[id] = v;
    cfg->origin[id] = origin;
    return RCM_OK;
}

/* ---- INI file ------------------------------------------------------- */

struct file_ctx {
    struct rcm_config *cfg;
    struct rcm_diag *diag;
    const char *path;
    enum rcm_err err;
};

/* Debian's inih does not pass line numbers; messages name the key instead. */
static int
on_ini_entry(void *user, const char *section, const char *key,
             const char *value)
{
    struct file_ctx *ctx = user;
    if (ctx->err)
        return 0;
    char name[256];
    if (section[0])
        snprintf(name, sizeof name, "%s.%s", section, key);
    else
        snprintf(name, sizeof name, "%s", key);
    struct rcm_diag local = RCM_DIAG_INIT;
    enum rcm_err err = rcm_config_set(ctx->cfg, name, value, RCM_ORIGIN_FILE, &local);
    if (err) {
        ctx->err = err == RCM_E_NOT_FOUND ? RCM_E_CONFIG : err;
        rcm_diag_fail(ctx->diag, ctx->err, "%s: %s", ctx->path, local.msg);
        return 0;
    }
    return 1;
}

enum rcm_err
rcm_config_load_file(struct rcm_config *cfg, const char *path,
                     struct rcm_diag *diag)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open config file %s: %s",
                             path, strerror(errno));
    struct file_ctx ctx = {cfg, diag, path, RCM_OK};
    int rc = ini_parse_file(f, on_ini_entry, &ctx);
    fclose(f);
    if (ctx.err)
        return ctx.err;
    if (rc != 0)
        return rcm_diag_fail_at(diag, RCM_E_CONFIG, -1, rc,
                                "%s:%d: syntax error", path, rc);
    return RCM_OK;
}

/* ---- environment ---------------------------------------------------- */

void
rcm_setting_env_name(const char *name, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "OPENRCM_");
    for (; *name && n + 1 < size; name++, n++) {
        char c = *name;
        out[n] = c == '.' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    out[n] = '\0';
}

enum rcm_err
rcm_config_load_env(struct rcm_config *cfg, char *const *envp,
                    struct rcm_diag *diag)
{
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "OPENRCM_", 8) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t key_len = (size_t)(eq - *e);
        if (key_len == 14 && strncmp(*e, "OPENRCM_CONFIG", 14) == 0)
            continue;
        int found = -1;
        for (int i = 0; i < RCM_SETTING_COUNT && found < 0; i++) {
            char want[128];
            rcm_setting_env_name(settings[i].name, want, sizeof want);
            if (strlen(want) == key_len && strncmp(want, *e, key_len) == 0)
                found = i;
        }
        if (found < 0)
            return rcm_diag_fail(diag, RCM_E_CONFIG,
                                 "unknown environment variable %.*s", (int)key_len, *e);
        enum rcm_err err = rcm_config_set(cfg, settings[found].name, eq + 1,
                                          RCM_ORIGIN_ENV, diag);
        if (err)
            return err;
    }
    return RCM_OK;
}

/* ---- validation and dump -------------------------------------------- */

static enum rcm_err
check_secret_file(const char *name, const char *path, struct rcm_diag *diag)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "%s: cannot read %s: %s", name,
                             path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return rcm_diag_fail(diag, RCM_E_CONFIG, "%s: %s is not a regular file",
                             name, path);
    if (st.st_mode & 077)
        return rcm_diag_fail(diag, RCM_E_CONFIG,
                             "%s: %s is accessible by group or others (mode %03o); "
                             "run chmod 600 %s", name, path,
                             (unsigned)(st.st_mode & 0777), path);
    return RCM_OK;
}

enum rcm_err
rcm_config_validate(const struct rcm_config *cfg, struct rcm_diag *diag)
{
    for (int i = 0; i < RCM_SETTING_COUNT; i++) {
        if (settings[i].type != RCM_SET_SECRET || !cfg->v[i].str[0])
            continue;
        enum rcm_err err = check_secret_file(settings[i].name, cfg->v[i].str, diag);
        if (err)
            return err;
    }
    const char *cert = RCM_CFG_STR(cfg, server_tls_cert_file);
    const char *key = RCM_CFG_STR(cfg, server_tls_key_file);
    if (!cert[0] != !key[0])
        return rcm_diag_fail(diag, RCM_E_CONFIG,
                             "server.tls_cert_file and server.tls_key_file must be "
                             "set together");
    if (!RCM_CFG_STR(cfg, state_dir)[0])
        return rcm_diag_fail(diag, RCM_E_CONFIG, "state_dir must not be empty");
    return RCM_OK;
}

enum rcm_err
rcm_config_dump(const struct rcm_config *cfg, bool json, struct rcm_buf *out)
{
    enum rcm_err err = RCM_OK;
    json_t *obj = NULL;
    if (json && !(obj = json_object()))
        return RCM_E_NOMEM;
    for (int i = 0; i < RCM_SETTING_COUNT && !err; i++) {
        const struct rcm_setting_info *s = &settings[i];
        char num[32];
        const char *text;
        if (s->type == RCM_SET_INT) {
            snprintf(num, sizeof num, "%lld", (long long)cfg->v[i].i);
            text = num;
        } else if (s->type == RCM_SET_BOOL) {
            text = cfg->v[i].b ? "true" : "false";
        } else {
            text = cfg->v[i].str;
        }
        const char *origin = rcm_config_origin_name(cfg->origin[i]);
        if (json) {
            json_t *entry = json_pack("{s:s,s:s}", "value", text, "origin", origin);
            if (!entry || json_object_set_new(obj, s->name, entry) != 0)
                err = RCM_E_NOMEM;
        } else {
            err = rcm_buf_addf(out, "%-32s = %-28s # %s\n", s->name, text, origin);
        }
    }
    if (json && !err) {
        err = rcm_json_dump(obj, out);
        if (!err)
            err = rcm_buf_addch(out, '\n');
    }
    json_decref(obj);
    return err;
}

static char *
state_path(const struct rcm_config *cfg, const char *set, const char *name)
{
    if (set[0])
        return rcm_strdup(set);
    size_t n = strlen(RCM_CFG_STR(cfg, state_dir)) + 1 + strlen(name) + 1;
    char *out = rcm_malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", RCM_CFG_STR(cfg, state_dir), name);
    return out;
}

char *
rcm_config_audit_anchor_path(const struct rcm_config *cfg)
{
    return state_path(cfg, RCM_CFG_STR(cfg, audit_anchor_file), "audit-anchor.jsonl");
}

char *
rcm_config_database_path(const struct rcm_config *cfg)
{
    return state_path(cfg, RCM_CFG_STR(cfg, database_path), "openrcm.db");
}
