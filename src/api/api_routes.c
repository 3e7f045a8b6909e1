/*
 * api_routes.c — the route table: every endpoint the server has.
 *
 * tests/unit/api/test_api_openapi.c fails when a route here is missing from
 * src/api/openapi.json (or the document lists one that does not exist).
 */
#include "api/api_int.h"

const struct api_route api_routes[] = {
    {"GET", "/healthz", api_get_healthz, 0},
    {"GET", "/readyz", api_get_readyz, 0},
    {"GET", "/v1/version", api_get_version, 0},
    {"GET", "/v1/openapi.json", api_get_openapi, 0},
    {"POST", "/v1/echo", api_post_echo, API_BODY_JSON},
    {NULL, NULL, NULL, 0},
};
