/*
 * api_system.c — endpoints about the server itself: liveness, readiness,
 * version, the OpenAPI document, and an echo for client integration checks.
 */
#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/embed.h"

#define OPENAPI_PATH "src/api/openapi.json"

/* GET /healthz — the process is up and answering; touches nothing else. */
void
api_get_healthz(struct api_request *req, struct api_response *res)
{
    (void)req;
    res->json = json_pack("{s:s}", "status", "ok");
}

/* GET /readyz — ready for traffic: the database answers. */
void
api_get_readyz(struct api_request *req, struct api_response *res)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_ping(req->ctx->store, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_not_ready, "the database is not reachable");
        return;
    }
    res->json = json_pack("{s:s,s:s}", "status", "ready", "database",
                          rcm_store_backend(req->ctx->store));
}

/* GET /v1/version */
void
api_get_version(struct api_request *req, struct api_response *res)
{
    int64_t uptime_s = (rcm_time_now_ms() - req->ctx->started_ms) / 1000;
    res->json = json_pack("{s:s,s:s,s:s,s:i,s:s,s:I}", "name", "openrcm",
                          "version", RCM_VERSION, "api", "v1", "schema_version",
                          req->ctx->schema_version, "database",
                          rcm_store_backend(req->ctx->store), "uptime_s",
                          (json_int_t)uptime_s);
}

/* GET /v1/openapi.json — the compiled-in OpenAPI 3.1 document. */
void
api_get_openapi(struct api_request *req, struct api_response *res)
{
    const struct rcm_embedded_file *f = rcm_embed_find(OPENAPI_PATH);
    if (!f) {
        api_problem(req, res, API_PROBLEM_internal_error, "the API description is missing");
        return;
    }
    res->raw = f->data;
    res->raw_len = f->len;
}

/*
 * POST /v1/echo — returns the JSON document it was sent, after the same
 * checks every JSON endpoint applies (content type, size, UTF-8, depth,
 * duplicate keys). Lets integrators test their client without touching data.
 */
void
api_post_echo(struct api_request *req, struct api_response *res)
{
    res->json = json_pack("{s:O,s:I,s:s}", "echo", req->json, "bytes",
                          (json_int_t)req->body_len, "request_id", req->req_id);
}
