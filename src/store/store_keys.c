/*
 * store_keys.c — the key hierarchy as the store keeps it, and its rotation.
 *
 *   master key (file) ──wraps──▶ system keys (audit MAC, TOTP secrets)
 *                     ──wraps──▶ tenant "data" key ──wraps──▶ patient data keys
 *                     ──wraps──▶ tenant "index" key ──HKDF──▶ blind-index keys
 *
 * The master key never touches the database. Tenant keys are unwrapped on
 * first use and cached (in locked, guarded memory) under the wrapped bytes
 * they came from, so a cached entry can never go stale: a rotation or a
 * re-wrap changes the row's bytes and the lookup simply misses. (The row
 * itself is read each time — one indexed read — so every process sees a
 * rotation another process made.)
 *
 * Which key wrapped an envelope is read from the envelope (its key id), so
 * during a master rotation rows under the previous and the current master
 * are both readable, and during a tenant rotation patient keys under the
 * old and the new data key are both readable.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "store/db.h"
#include "store_int.h"

#define CACHE_SLOTS 64

/* An unwrapped tenant key, found again by the exact wrapped bytes it came
 * from: a row that changes (rotation, re-wrap) simply misses, so an entry is
 * never stale. */
struct cached_key {
    int64_t tenant_id;
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
    struct rcm_key *key;        /* rcm_key_alloc; NULL = empty slot */
};

struct store_keyring {
    struct rcm_key *master;
    struct rcm_key *previous;   /* NULL unless a master rotation is under way */
    pthread_mutex_t mu;
    struct cached_key cache[CACHE_SLOTS];
    unsigned next_victim;
};

enum rcm_err
store_keyring_new(const struct rcm_store_options *opt, struct store_keyring **out,
                  struct rcm_diag *diag)
{
    struct store_keyring *kr = rcm_calloc(1, sizeof *kr);
    if (!kr)
        return RCM_E_NOMEM;
    pthread_mutex_init(&kr->mu, NULL);
    kr->master = rcm_key_alloc();
    if (kr->master)
        *kr->master = *opt->master_key;
    if (kr->master && opt->previous_master_key) {
        if (opt->previous_master_key->key_id == opt->master_key->key_id) {
            store_keyring_free(kr);
            return rcm_diag_fail(diag, RCM_E_CONFIG, "the previous master key is the "
                                 "current one");
        }
        if ((kr->previous = rcm_key_alloc()))
            *kr->previous = *opt->previous_master_key;
    }
    if (!kr->master || (opt->previous_master_key && !kr->previous)) {
        store_keyring_free(kr);
        return RCM_E_NOMEM;
    }
    *out = kr;
    return RCM_OK;
}

void
store_keyring_free(struct store_keyring *kr)
{
    if (!kr)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        rcm_key_free(kr->cache[i].key);
    rcm_key_free(kr->master);
    rcm_key_free(kr->previous);
    pthread_mutex_destroy(&kr->mu);
    rcm_free(kr);
}

/* Wrapping context of a tenant or system key. System keys use the reserved
 * tenant "0"; index keys are "<tenant>.index" so they cannot be swapped with
 * data keys (all live under the master key). A "-next" key shares its
 * purpose's context, so promotion moves the wrapped bytes as they are. */
static enum rcm_err
key_context(int64_t tenant_id, const char *purpose, char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1])
{
    char owner[RCM_ID_MAX_LEN + 1];
    if (tenant_id == 0)
        snprintf(owner, sizeof owner, "0.%s", purpose);
    else if (strncmp(purpose, STORE_KEY_INDEX, strlen(STORE_KEY_INDEX)) == 0)
        snprintf(owner, sizeof owner, "%" PRId64 ".index", tenant_id);  /* and index-next */
    else if (strcmp(purpose, STORE_KEY_NOTE) == 0)
        snprintf(owner, sizeof owner, "%" PRId64 ".note", tenant_id);
    else
        snprintf(owner, sizeof owner, "%" PRId64, tenant_id);
    return rcm_key_context_tenant(owner, ctx);
}

/* The master key that wrapped an envelope, by its key id. */
static const struct rcm_key *
master_for(const struct store_keyring *kr, const uint8_t *wrapped)
{
    uint32_t id = 0;
    if (rcm_aead_key_id(wrapped, RCM_KEY_WRAPPED_BYTES, &id) != RCM_OK)
        return NULL;
    if (id == kr->master->key_id)
        return kr->master;
    if (kr->previous && id == kr->previous->key_id)
        return kr->previous;
    return NULL;
}

static enum rcm_err
unwrap_row(const struct store_keyring *kr, int64_t tenant_id, const char *purpose,
           const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES], struct rcm_key *out,
           struct rcm_diag *diag)
{
    char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
    const struct rcm_key *kek = master_for(kr, wrapped);
    if (!kek)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "a stored key is wrapped under another "
                             "master key (wrong security.master_key_file? during a "
                             "rotation also set security.previous_master_key_file)");
    enum rcm_err err = key_context(tenant_id, purpose, ctx);
    if (!err)
        err = rcm_key_unwrap(kek, ctx, wrapped, RCM_KEY_WRAPPED_BYTES, out);
    if (err)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "a stored key does not open with the "
                             "master key (wrong key file, or the row was altered)");
    return RCM_OK;
}

static bool
cache_get(struct store_keyring *kr, int64_t tenant_id, const uint8_t *wrapped,
          uint32_t key_id, struct rcm_key *out)
{
    bool hit = false;
    pthread_mutex_lock(&kr->mu);
    for (int i = 0; i < CACHE_SLOTS && !hit; i++) {
        struct cached_key *c = &kr->cache[i];
        if (c->key && c->tenant_id == tenant_id &&
            (wrapped ? memcmp(c->wrapped, wrapped, RCM_KEY_WRAPPED_BYTES) == 0
                     : c->key->key_id == key_id)) {
            *out = *c->key;
            hit = true;
        }
    }
    pthread_mutex_unlock(&kr->mu);
    return hit;
}

static void
cache_put(struct store_keyring *kr, int64_t tenant_id, const uint8_t *wrapped,
          const struct rcm_key *key)
{
    pthread_mutex_lock(&kr->mu);
    struct cached_key *c = &kr->cache[kr->next_victim++ % CACHE_SLOTS];
    if (!c->key)
        c->key = rcm_key_alloc();
    if (c->key) {
        c->tenant_id = tenant_id;
        memcpy(c->wrapped, wrapped, RCM_KEY_WRAPPED_BYTES);
        *c->key = *key;
    }
    pthread_mutex_unlock(&kr->mu);
}

static enum rcm_err
need_keyring(const struct rcm_store *s, struct rcm_diag *diag)
{
    if (!s->keys)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "the store was opened without a master "
                             "key; patient data cannot be sealed or opened");
    return RCM_OK;
}

/* Read (or, with `create`, make and store) one wrapped key and unwrap it
 * (or find it in the cache). `initial`: the key to store when creating. */
static enum rcm_err
load_key(struct rcm_store *s, int64_t tenant_id, const char *purpose, bool create,
         const struct rcm_key *initial, struct rcm_key *out, struct rcm_diag *diag)
{
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
    enum rcm_err err = store_key_get(s, tenant_id, purpose, wrapped, diag);
    if (err == RCM_E_NOT_FOUND && create) {
        struct rcm_key fresh;
        char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
        if (initial)
            fresh = *initial;
        else
            rcm_key_generate(&fresh, 0);
        err = key_context(tenant_id, purpose, ctx);
        if (!err)
            err = rcm_key_wrap(s->keys->master, ctx, &fresh, wrapped);
        rcm_key_wipe(&fresh);
        if (!err)
            err = store_key_put(s, tenant_id, purpose, wrapped, rcm_time_now_ms(), diag);
        /* read back: another process may have created it first */
        if (!err)
            err = store_key_get(s, tenant_id, purpose, wrapped, diag);
    }
    if (err == RCM_E_NOT_FOUND)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no %s key for this tenant", purpose);
    if (err)
        return err;
    if (tenant_id && cache_get(s->keys, tenant_id, wrapped, 0, out))
        return RCM_OK;
    err = unwrap_row(s->keys, tenant_id, purpose, wrapped, out, diag);
    if (!err && tenant_id)
        cache_put(s->keys, tenant_id, wrapped, out);
    return err;
}

enum rcm_err
store_tenant_key(struct rcm_store *s, int64_t tenant_id, const char *purpose, bool create,
                 struct rcm_key *out, struct rcm_diag *diag)
{
    enum rcm_err err = need_keyring(s, diag);
    return err ? err : load_key(s, tenant_id, purpose, create, NULL, out, diag);
}

enum rcm_err
store_sealing_key(struct rcm_store *s, int64_t tenant_id, struct rcm_key *out,
                  struct rcm_diag *diag)
{
    enum rcm_err err = store_tenant_key(s, tenant_id, STORE_KEY_DATA_NEXT, false, out, diag);
    if (err == RCM_E_NOT_FOUND)
        err = store_tenant_key(s, tenant_id, STORE_KEY_DATA, true, out, diag);
    return err;
}

enum rcm_err
store_index_key_for(struct rcm_store *s, int64_t tenant_id, uint32_t data_key_id,
                    struct rcm_key *out, struct rcm_diag *diag)
{
    struct rcm_key next;
    enum rcm_err err = store_tenant_key(s, tenant_id, STORE_KEY_DATA_NEXT, false, &next, diag);
    bool is_next = !err && next.key_id == data_key_id;
    rcm_key_wipe(&next);
    if (err && err != RCM_E_NOT_FOUND)
        return err;
    if (is_next) {
        err = store_tenant_key(s, tenant_id, STORE_KEY_INDEX_NEXT, false, out, diag);
        if (err != RCM_E_NOT_FOUND)
            return err;     /* a rotation begun by an older run has no index-next */
    }
    return store_tenant_key(s, tenant_id, STORE_KEY_INDEX, true, out, diag);
}

enum rcm_err
store_tenant_key_by_id(struct rcm_store *s, int64_t tenant_id, uint32_t key_id,
                       struct rcm_key *out, struct rcm_diag *diag)
{
    enum rcm_err err = need_keyring(s, diag);
    if (err)
        return err;
    if (cache_get(s->keys, tenant_id, NULL, key_id, out))
        return RCM_OK;
    static const char *const purposes[] = {STORE_KEY_DATA, STORE_KEY_DATA_NEXT};
    for (size_t i = 0; i < 2; i++) {
        err = load_key(s, tenant_id, purposes[i], false, NULL, out, diag);
        if (err == RCM_E_NOT_FOUND)
            continue;
        if (err)
            return err;
        if (out->key_id == key_id)
            return RCM_OK;
    }
    rcm_key_wipe(out);
    return rcm_diag_fail(diag, RCM_E_CRYPTO, "the tenant key that wrapped a patient key "
                         "is gone");
}

/* ---- system keys ----------------------------------------------------------- */

static void
legacy_system_key(const struct rcm_key *master, const char *purpose, struct rcm_key *out)
{
    char label[64];
    uint8_t bytes[RCM_KEY_BYTES];
    snprintf(label, sizeof label, "openrcm/%s/v1", purpose);
    rcm_hmac_sha256(master->bytes, sizeof master->bytes, label, strlen(label), bytes);
    rcm_key_from_bytes(out, bytes);
    rcm_crypto_wipe(bytes, sizeof bytes);
}

enum rcm_err
rcm_store_system_key(struct rcm_store *store, const char *purpose, struct rcm_key *out,
                     struct rcm_diag *diag)
{
    enum rcm_err err = need_keyring(store, diag);
    if (err)
        return err;
    int current = 0, latest = 0;
    if ((err = store_schema_version(store->db, &current, &latest, diag)))
        return err;
    struct rcm_key initial;
    legacy_system_key(store->keys->master, purpose, &initial);
    if (current < 6) {
        /* before the key tables exist: what earlier versions derived */
        *out = initial;
        return RCM_OK;
    }
    err = load_key(store, 0, purpose, true, &initial, out, diag);
    rcm_key_wipe(&initial);
    return err;
}

enum rcm_err
store_keyring_sync(struct rcm_store *s, struct rcm_diag *diag)
{
    if (!s->keys)
        return RCM_OK;
    struct rcm_key audit;
    enum rcm_err err = rcm_store_system_key(s, RCM_SYSTEM_KEY_AUDIT, &audit, diag);
    if (err)
        return err;
    memcpy(s->audit_key, audit.bytes, RCM_AUDIT_KEY_BYTES);
    s->has_audit_key = true;
    rcm_key_wipe(&audit);
    return RCM_OK;
}

/* ---- rotation --------------------------------------------------------------- */

static enum rcm_err
rewrap_under_master(void *ctx, int64_t tenant_id, const char *purpose,
                    const uint8_t *wrapped, uint8_t out[RCM_KEY_WRAPPED_BYTES])
{
    struct store_keyring *kr = ctx;
    const struct rcm_key *old = master_for(kr, wrapped);
    char kctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
    if (!old)
        return RCM_E_CRYPTO;
    enum rcm_err err = key_context(tenant_id, purpose, kctx);
    return err ? err : rcm_key_rewrap(old, kr->master, kctx, wrapped,
                                      RCM_KEY_WRAPPED_BYTES, out);
}

enum rcm_err
rcm_store_rotate_master(struct rcm_store *store, const struct rcm_actor *actor,
                        rcm_rotation_progress_fn progress, void *ctx, struct rcm_diag *diag)
{
    enum rcm_err err = need_keyring(store, diag);
    if (err)
        return err;
    int64_t id = 0, done = 0, n = 0;
    if ((err = store_rotation_begin(store, "master", 0, 0, rcm_time_now_ms(), &id, &done,
                                    diag)))
        return err;
    err = store_keys_rewrap_all(store, rewrap_under_master, store->keys, &n, diag);
    if (err == RCM_E_CRYPTO)
        err = rcm_diag_fail(diag, RCM_E_CRYPTO, "a stored key opens with neither the current "
                            "nor the previous master key");
    if (!err)
        err = store_rotation_progress(store, id, n, true, rcm_time_now_ms(), diag);
    if (!err) {
        char oid[24];
        snprintf(oid, sizeof oid, "%" PRId64, id);
        struct rcm_audit_what what = {"keys.rotate", "master_key", oid, NULL, "success"};
        err = rcm_store_audit_append(store, actor, &what, diag);
    }
    if (!err && progress)
        (void)progress(ctx, n, n);
    return err;
}

struct tenant_rekey {
    struct rcm_store *store;
    struct rcm_key next_data, next_index;
    struct rcm_diag *diag;
};

static enum rcm_err
rekey_patient(void *ctx, struct store_patient_row *row)
{
    struct tenant_rekey *t = ctx;
    return store_patient_rekey(t->store, &t->next_data, &t->next_index, row, t->diag);
}

enum rcm_err
rcm_store_rotate_tenant(struct rcm_store *store, const struct rcm_actor *actor,
                        int64_t tenant_id, int batch, rcm_rotation_progress_fn progress,
                        void *ctx, struct rcm_diag *diag)
{
    enum rcm_err err = need_keyring(store, diag);
    if (err)
        return err;
    if (batch < 1 || batch > 10000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "batch must be 1-10000");
    struct tenant_rekey t = {.store = store, .diag = diag};
    int64_t total = 0, id = 0, done = 0;
    /* The current keys must exist first (a tenant without patients has
     * none). The new ones get new ids, so envelopes tell old from new; a
     * resumed run finds and keeps the stored "-next" keys instead. The
     * index key comes first, so that a server seeing data-next always finds
     * index-next too. */
    static const char *const now_purpose[] = {STORE_KEY_INDEX, STORE_KEY_DATA};
    static const char *const next_purpose[] = {STORE_KEY_INDEX_NEXT, STORE_KEY_DATA_NEXT};
    struct rcm_key *next[] = {&t.next_index, &t.next_data};
    for (int k = 0; k < 2 && !err; k++) {
        struct rcm_key current, fresh;
        err = store_tenant_key(store, tenant_id, now_purpose[k], true, &current, diag);
        if (err)
            break;
        rcm_key_generate(&fresh, current.key_id);
        rcm_key_wipe(&current);
        err = load_key(store, tenant_id, next_purpose[k], true, &fresh, next[k], diag);
        rcm_key_wipe(&fresh);
    }
    if (!err)
        err = store_patient_row_count(store, tenant_id, &total, diag);
    if (!err)
        err = store_rotation_begin(store, "tenant", tenant_id, total, rcm_time_now_ms(),
                                   &id, &done, diag);
    /* Passes until promotion finds every key under the new one: patients
     * created during a pass by a server that had not yet seen data-next
     * are picked up by the next pass. */
    for (int pass = 0; !err && pass < 100; pass++) {
        int64_t after = 0, last = 0;
        done = 0;
        do {
            int n = 0;
            err = store_patient_row_rekey(store, tenant_id, after, batch, rekey_patient, &t,
                                          &last, &n, diag);
            if (err || !last)
                break;
            after = last;
            done += n;
            if (done > total)
                total = done;
            err = store_rotation_progress(store, id, done, false, rcm_time_now_ms(),
                                          diag);
            if (!err && progress && progress(ctx, done, total))
                err = rcm_diag_fail(diag, RCM_E_STOPPED, "stopped after %lld keys; run "
                                    "it again to resume", (long long)done);
        } while (!err);
        if (err)
            break;
        err = store_tenant_key_promote(store, actor, tenant_id, t.next_data.key_id,
                                       rcm_time_now_ms(), diag);
        if (err == RCM_E_CONFLICT) {
            err = RCM_OK;
            continue;
        }
        if (!err)
            err = store_rotation_progress(store, id, done, true, rcm_time_now_ms(), diag);
        break;
    }
    rcm_key_wipe(&t.next_data);
    rcm_key_wipe(&t.next_index);
    return err;
}

enum rcm_err
rcm_store_key_rotations(struct rcm_store *store, rcm_key_rotation_fn fn, void *ctx,
                        struct rcm_diag *diag)
{
    return store_rotation_list(store, fn, ctx, diag);
}

enum rcm_err
rcm_store_backup(struct rcm_store *store, const char *path, struct rcm_diag *diag)
{
    if (!path || !path[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "backup path is empty");
    return db_backup(store->db, path, diag);
}
