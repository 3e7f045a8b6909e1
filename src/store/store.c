/*
 * store.c — backend selection, argument checks and dispatch.
 */
#include "rcm/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/embed.h"
#include "rcm/mem.h"
#include "store_int.h"

struct rcm_store {
    const struct rcm_store_ops *ops;
    void *impl;
};

static const struct rcm_store_ops *const backends[] = {
    &rcm_store_sqlite_ops,
};

enum rcm_err
rcm_store_open(const struct rcm_store_options *opt, struct rcm_store **out,
               struct rcm_diag *diag)
{
    *out = NULL;
    const struct rcm_store_ops *ops = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, opt->backend) == 0)
            ops = backends[i];
    if (!ops)
        return rcm_diag_fail(diag, RCM_E_UNSUPPORTED,
                             "storage backend \"%s\" is not available", opt->backend);
    struct rcm_store *s = rcm_calloc(1, sizeof *s);
    if (!s)
        return RCM_E_NOMEM;
    s->ops = ops;
    enum rcm_err err = ops->open(opt, &s->impl, diag);
    if (err) {
        rcm_free(s);
        return err;
    }
    *out = s;
    return RCM_OK;
}

void
rcm_store_close(struct rcm_store *store)
{
    if (!store)
        return;
    store->ops->close(store->impl);
    rcm_free(store);
}

const char *
rcm_store_backend(const struct rcm_store *store)
{
    return store->ops->name;
}

enum rcm_err
rcm_store_migrate(struct rcm_store *store, struct rcm_migrate_report *report,
                  struct rcm_diag *diag)
{
    struct rcm_migrate_report ignored;
    return store->ops->migrate(store->impl, report ? report : &ignored, diag);
}

enum rcm_err
rcm_store_schema_version(struct rcm_store *store, int *current, int *latest,
                         struct rcm_diag *diag)
{
    return store->ops->schema_version(store->impl, current, latest, diag);
}

enum rcm_err
rcm_store_ping(struct rcm_store *store, struct rcm_diag *diag)
{
    return store->ops->ping(store->impl, diag);
}

static bool
valid_slug(const char *slug)
{
    size_t n = strlen(slug);
    if (n == 0 || n > RCM_TENANT_SLUG_MAX || slug[0] == '-' || slug[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = slug[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

enum rcm_err
rcm_store_tenant_create(struct rcm_store *store, const struct rcm_actor *actor,
                        const char *slug, const char *name,
                        struct rcm_tenant *out, struct rcm_diag *diag)
{
    if (!valid_slug(slug))
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "tenant slug must be 1-%d characters of a-z, 0-9 and "
                             "'-', not starting or ending with '-'",
                             RCM_TENANT_SLUG_MAX);
    size_t n = strlen(name);
    if (n == 0 || n > RCM_TENANT_NAME_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "tenant name must be 1-%d bytes", RCM_TENANT_NAME_MAX);
    return store->ops->tenant_create(store->impl, actor, slug, name,
                                     rcm_time_now_ms(), out, diag);
}

enum rcm_err
rcm_store_tenant_find(struct rcm_store *store, const char *slug,
                      struct rcm_tenant *out, struct rcm_diag *diag)
{
    if (!valid_slug(slug))
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
    return store->ops->tenant_find(store->impl, slug, out, diag);
}

/* ---- audit ----------------------------------------------------------- */

enum rcm_err
rcm_store_audit_append(struct rcm_store *store, const struct rcm_actor *actor,
                       const struct rcm_audit_what *what, struct rcm_diag *diag)
{
    if (!what->action || !what->action[0] || !what->outcome)
        return rcm_diag_fail(diag, RCM_E_INVAL, "an audit record needs an action and an outcome");
    return store->ops->audit_append(store->impl, actor, what, diag);
}

enum rcm_err
rcm_store_audit_verify(struct rcm_store *store, struct rcm_audit_verify *v,
                       struct rcm_diag *diag)
{
    return store->ops->audit_verify(store->impl, v, diag);
}

enum rcm_err
rcm_store_audit_query(struct rcm_store *store, const struct rcm_audit_filter *f,
                      rcm_audit_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (f->tenant_id < -1 || f->tenant_id == 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "an audit query needs a tenant");
    if (f->limit < 1 || f->limit > 10000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1..10000");
    return store->ops->audit_query(store->impl, f, fn, ctx, diag);
}

/* ---- migrations ------------------------------------------------------ */

static int
by_version(const void *a, const void *b)
{
    const struct rcm_migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

int
rcm_store_migrations(const char *backend, struct rcm_migration *out, int max)
{
    char prefix[64];
    size_t plen = (size_t)snprintf(prefix, sizeof prefix,
                                   "src/store/migrations/%s/", backend);
    int n = 0;
    for (const struct rcm_embedded_file *f = rcm_embedded_files; f->path; f++) {
        if (strncmp(f->path, prefix, plen) != 0)
            continue;
        const char *name = f->path + plen;
        /* NNNN_name.sql */
        if (strlen(name) < 10 || name[4] != '_' ||
            strcmp(name + strlen(name) - 4, ".sql") != 0)
            return -1;
        int v = 0;
        for (int i = 0; i < 4; i++) {
            if (name[i] < '0' || name[i] > '9')
                return -1;
            v = v * 10 + (name[i] - '0');
        }
        if (n == max || v == 0)
            return -1;
        out[n++] = (struct rcm_migration){v, name, f->data, f->len};
    }
    qsort(out, (size_t)n, sizeof *out, by_version);
    for (int i = 1; i < n; i++)
        if (out[i].version == out[i - 1].version)
            return -1;
    return n;
}
