/*
 * claim_state.c — the claim state machine (rcm/cycle.h): state and source
 * names, the move table built from RCM_CLAIM_MOVES, the move check and the
 * table rendered as markdown and JSON for the docs and the API.
 *
 * What this is not: it keeps no state. The store reads a claim's state,
 * asks rcm_claim_move_check, and writes the new state with its audit record.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/cycle.h"

static const struct {
    const char *name, *text;
    bool open;
} states[RCM_CLAIM_STATE_COUNT] = {
#define ROW(suffix, name, open, text) [RCM_CLAIM_##suffix] = {name, text, open},
    RCM_CLAIM_STATES(ROW)
#undef ROW
};

static const struct {
    unsigned bit;
    const char *name;
} sources[] = {
#define ROW(suffix, bit, name, text) {bit, name},
    RCM_CLAIM_SOURCES(ROW)
#undef ROW
};
#define N_SOURCES (sizeof sources / sizeof sources[0])

static const struct rcm_claim_move moves[] = {
#define ROW(from, to, src, reason, why) \
    {RCM_CLAIM_##from, RCM_CLAIM_##to, (unsigned)(src), reason, why},
    RCM_CLAIM_MOVES(ROW)
#undef ROW
};
#define N_MOVES (sizeof moves / sizeof moves[0])

const struct rcm_claim_move *
rcm_claim_moves(size_t *n)
{
    *n = N_MOVES;
    return moves;
}

static bool
state_ok(enum rcm_claim_state s)
{
    return (int)s >= 0 && s < RCM_CLAIM_STATE_COUNT;
}

const char *
rcm_claim_state_name(enum rcm_claim_state s)
{
    return state_ok(s) ? states[s].name : "unknown";
}

enum rcm_err
rcm_claim_state_from_name(const char *name, enum rcm_claim_state *out,
                          struct rcm_diag *diag)
{
    for (int i = 0; name && i < RCM_CLAIM_STATE_COUNT; i++) {
        if (strcmp(states[i].name, name) == 0) {
            *out = (enum rcm_claim_state)i;
            return RCM_OK;
        }
    }
    return rcm_diag_fail(diag, RCM_E_INVAL, "claim state is not one of the %d known states",
                         (int)RCM_CLAIM_STATE_COUNT);
}

const char *
rcm_claim_source_name(enum rcm_claim_source src)
{
    for (size_t i = 0; i < N_SOURCES; i++)
        if (sources[i].bit == (unsigned)src)
            return sources[i].name;
    return "unknown";
}

enum rcm_err
rcm_claim_source_from_name(const char *name, enum rcm_claim_source *out,
                           struct rcm_diag *diag)
{
    for (size_t i = 0; name && i < N_SOURCES; i++) {
        if (strcmp(sources[i].name, name) == 0) {
            *out = (enum rcm_claim_source)sources[i].bit;
            return RCM_OK;
        }
    }
    return rcm_diag_fail(diag, RCM_E_INVAL, "event source is not one of the %zu known sources",
                         N_SOURCES);
}

bool
rcm_claim_state_is_open(enum rcm_claim_state s)
{
    return state_ok(s) && states[s].open;
}

bool
rcm_claim_state_is_terminal(enum rcm_claim_state s)
{
    if (!state_ok(s))
        return false;
    for (size_t i = 0; i < N_MOVES; i++)
        if (moves[i].from == s && moves[i].sources != RCM_CLAIM_SRC_REVERSAL)
            return false;
    return true;
}

bool
rcm_claim_state_for_999(char ik501, enum rcm_claim_state *to)
{
    switch (ik501) {
    case 'A':
    case 'E':
        *to = RCM_CLAIM_ACCEPTED;
        return true;
    case 'R':
    case 'M':
    case 'W':
    case 'X':
        *to = RCM_CLAIM_REJECTED;
        return true;
    default:
        return false;
    }
}

bool
rcm_claim_state_for_277ca(const char *category, enum rcm_claim_state *to)
{
    if (!category || category[0] != 'A' || !category[1] || category[2])
        return false;
    switch (category[1]) {
    case '2':
        *to = RCM_CLAIM_ACCEPTED;
        return true;
    case '3':
    case '6':
    case '7':
    case '8':
        *to = RCM_CLAIM_REJECTED;
        return true;
    default:
        return false;
    }
}

/* "user, batch" for a source bit set, into buf. */
static void
sources_text(unsigned bits, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_SOURCES && k < cap; i++) {
        if (!(bits & sources[i].bit))
            continue;
        int m = snprintf(buf + k, cap - k, "%s%s", k ? ", " : "", sources[i].name);
        if (m < 0)
            break;
        k += (size_t)m;
    }
}

static const struct rcm_claim_move *
find_move(enum rcm_claim_state from, enum rcm_claim_state to)
{
    for (size_t i = 0; i < N_MOVES; i++)
        if (moves[i].from == from && moves[i].to == to)
            return &moves[i];
    return NULL;
}

enum rcm_err
rcm_claim_move_check(enum rcm_claim_state from, enum rcm_claim_state to,
                     enum rcm_claim_source source, bool has_reason,
                     struct rcm_diag *diag)
{
    if (!state_ok(from) || !state_ok(to))
        return rcm_diag_fail(diag, RCM_E_INVAL, "claim state out of range");
    const char *src = rcm_claim_source_name(source);
    if (strcmp(src, "unknown") == 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "event source out of range");
    const struct rcm_claim_move *m = find_move(from, to);
    if (!m)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "a claim cannot move from %s to %s",
                             states[from].name, states[to].name);
    if (!(m->sources & (unsigned)source)) {
        char allowed[128];
        sources_text(m->sources, allowed, sizeof allowed);
        return rcm_diag_fail(diag, RCM_E_CONFLICT,
                             "a claim moves from %s to %s only on %s, not on %s",
                             states[from].name, states[to].name, allowed, src);
    }
    if (source == RCM_CLAIM_SRC_USER && m->reason_required && !has_reason)
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "moving a claim from %s to %s needs a reason",
                             states[from].name, states[to].name);
    return RCM_OK;
}

enum rcm_err
rcm_claim_moves_markdown(struct rcm_buf *out)
{
    enum rcm_err e = rcm_buf_addstr(out, "| from | to | sources | user reason | why |\n"
                                         "|---|---|---|---|---|\n");
    for (size_t i = 0; i < N_MOVES && !e; i++) {
        char allowed[128];
        sources_text(moves[i].sources, allowed, sizeof allowed);
        e = rcm_buf_addf(out, "| %s | %s | %s | %s | %s |\n", states[moves[i].from].name,
                         states[moves[i].to].name, allowed,
                         moves[i].reason_required ? "required" : "", moves[i].why);
    }
    return e;
}

/* The table's texts are ours (no quote, backslash or control character),
 * so they are written into JSON strings as they are. */
enum rcm_err
rcm_claim_moves_json(struct rcm_buf *out)
{
    enum rcm_err e = rcm_buf_addstr(out, "{\"states\":[");
    for (int i = 0; i < RCM_CLAIM_STATE_COUNT && !e; i++)
        e = rcm_buf_addf(out, "%s{\"name\":\"%s\",\"open\":%s,\"terminal\":%s,\"text\":\"%s\"}",
                         i ? "," : "", states[i].name, states[i].open ? "true" : "false",
                         rcm_claim_state_is_terminal((enum rcm_claim_state)i) ? "true"
                                                                              : "false",
                         states[i].text);
    if (!e)
        e = rcm_buf_addstr(out, "],\"moves\":[");
    for (size_t i = 0; i < N_MOVES && !e; i++) {
        e = rcm_buf_addf(out, "%s{\"from\":\"%s\",\"to\":\"%s\",\"sources\":[", i ? "," : "",
                         states[moves[i].from].name, states[moves[i].to].name);
        bool first = true;
        for (size_t k = 0; k < N_SOURCES && !e; k++) {
            if (!(moves[i].sources & sources[k].bit))
                continue;
            e = rcm_buf_addf(out, "%s\"%s\"", first ? "" : ",", sources[k].name);
            first = false;
        }
        if (!e)
            e = rcm_buf_addf(out, "],\"reason_required\":%s,\"why\":\"%s\"}",
                             moves[i].reason_required ? "true" : "false", moves[i].why);
    }
    if (!e)
        e = rcm_buf_addstr(out, "]}");
    return e;
}
