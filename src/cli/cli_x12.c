/*
 * cli_x12.c — `openrcm x12 <validate|ack|split|to-json|from-json>`.
 *
 * Every command streams its input (FILE or "-" for stdin) through the X12
 * reader in fixed-size blocks, so memory does not grow with the file
 * (from-json is the exception: it parses the JSON document whole).
 * Exit codes: 0 every transaction set accepted / work done, 1 problems
 * found in the input, 2 usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli_int.h"
#include "rcm/mem.h"
#include "rcm/x12.h"

#define BLOCK_BYTES (1u << 20)
#define FROM_JSON_MAX_BYTES ((size_t)1 << 30)

static const char *cmd_name = "x12";

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: openrcm x12 validate [--json] [--no-external-codes] [--no-npi-check] "
        "[--situational] FILE|-\n"
        "       openrcm x12 ack [--no-external-codes] [--no-npi-check] [--situational] FILE|-\n"
        "       openrcm x12 split [--out DIR] FILE|-\n"
        "       openrcm x12 to-json FILE|-\n"
        "       openrcm x12 from-json FILE|-\n"
        "\n"
        "validate   check envelopes and each transaction set against its 5010\n"
        "           implementation guide; findings on stdout (--json: one JSON\n"
        "           document). Exit 0 when every set is accepted, 1 otherwise.\n"
        "ack        write the 999 (and TA1 where due) for FILE on stdout.\n"
        "--situational  also check the guides' \"required when\" rules\n"
        "           (SNIP type 4; docs/x12/validation.md lists them).\n"
        "split      write each transaction set to its own file (with its ISA/GS\n"
        "           and a GE/IEA closing it) in DIR (default .); prints names.\n"
        "to-json    X12 to the JSON form of docs/x12/json.md on stdout.\n"
        "from-json  that JSON back to X12 on stdout.\n");
}

/* Input stream: a file or stdin, read in blocks. */
struct input {
    int fd;
    bool close_fd;
    char *buf;
    const char *name;
};

static bool
input_open(struct input *in, const char *path)
{
    in->name = path;
    if (strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
        in->close_fd = false;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            cli_error(cmd_name, "cannot open %s: %s", path, strerror(errno));
            return false;
        }
        in->close_fd = true;
    }
    in->buf = rcm_malloc(BLOCK_BYTES);
    if (!in->buf) {
        cli_error(cmd_name, "out of memory");
        if (in->close_fd)
            close(in->fd);
        return false;
    }
    return true;
}

static void
input_close(struct input *in)
{
    if (in->close_fd)
        close(in->fd);
    rcm_free(in->buf);
}

/* Read the next block; -1 on error (reported). */
static ssize_t
input_read(struct input *in)
{
    size_t got = 0;
    while (got < BLOCK_BYTES) {
        ssize_t n = read(in->fd, in->buf + got, BLOCK_BYTES - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_error(cmd_name, "cannot read %s: %s", in->name, strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static bool
drain(struct rcm_buf *b)
{
    if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) {
        cli_error(cmd_name, "cannot write output: %s", strerror(errno));
        return false;
    }
    rcm_buf_reset(b);
    return true;
}

/*
 * Run FILE through reader + validator; `ack` (may be NULL) is drained to
 * stdout as interchanges complete, `jsonw` likewise. Returns 0 ok, 2 error.
 */
static int
run(const char *path, struct rcm_x12_validate_opts *o, struct rcm_buf *out,
    struct rcm_x12_stats *st)
{
    struct input in;
    if (!input_open(&in, path))
        return CLI_USAGE;
    struct rcm_x12_validator *v = rcm_x12_validator_new(o);
    if (!v) {
        input_close(&in);
        cli_error(cmd_name, "out of memory");
        return CLI_USAGE;
    }
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    int rc = CLI_OK;
    enum rcm_err e = RCM_OK;
    bool need = true;
    while (rc == CLI_OK && e == RCM_OK) {
        if (need) {
            ssize_t n = input_read(&in);
            if (n < 0) {
                rc = CLI_USAGE;
                break;
            }
            rcm_x12_reader_feed(&r, in.buf, (size_t)n, n < (ssize_t)BLOCK_BYTES);
            need = false;
        }
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_SEGMENT)
            e = rcm_x12_validator_segment(v, &seg);
        else if (ev == RCM_X12_ERROR)
            e = rcm_x12_validator_read_error(v, &err);
        else if (ev == RCM_X12_NEED_MORE)
            need = true;
        else
            break;
        if (out && out->len >= BLOCK_BYTES && !drain(out))
            rc = CLI_USAGE;
    }
    if (rc == CLI_OK && e == RCM_OK)
        e = rcm_x12_validator_finish(v);
    if (rc == CLI_OK && e != RCM_OK) {
        cli_error(cmd_name, "%s: %s", path, rcm_err_str(e));
        rc = CLI_USAGE;
    }
    *st = *rcm_x12_validator_stats(v);
    rcm_x12_validator_free(v);
    rcm_x12_reader_release(&r);
    input_close(&in);
    return rc;
}

struct vctx {
    bool json;
    bool first;
    const char *file;
};

static void
print_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct vctx *c = ctx;
    if (c->json) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:s, s:i, s:i, s:i, s:s?, s:s, s:s}",
            "severity", rcm_x12_severity_name(f->severity),
            "level", rcm_x12_level_name(f->level), "code", f->code,
            "ack_code", f->ack_code ? f->ack_code : "", "segment", f->seg_id,
            "offset", (json_int_t)f->offset_bytes,
            "segment_index", (json_int_t)f->seg_index,
            "set_position", (int)f->set_position, "loop", f->loop_id,
            "element", f->element, "component", f->component,
            "repetition", f->repetition, "data_element", f->data_ele,
            "bad_value", f->bad_value, "message", f->msg);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        if (s) {
            printf("%s\n    %s", c->first ? "" : ",", s);
            c->first = false;
            free(s);
        }
        json_decref(o);
        return;
    }
    /* text: positions and codes only, never element values */
    printf("%s: %s %s at byte %llu (segment %llu %s", c->file,
           rcm_x12_severity_name(f->severity), f->code,
           (unsigned long long)f->offset_bytes, (unsigned long long)f->seg_index,
           f->seg_id[0] ? f->seg_id : "-");
    if (f->set_position)
        printf(", position %u", f->set_position);
    if (f->loop_id[0])
        printf(", loop %s", f->loop_id);
    if (f->element) {
        printf(", element %02d", f->element);
        if (f->component)
            printf("-%d", f->component);
        if (f->repetition)
            printf(" repetition %d", f->repetition);
    }
    printf("): %s\n", f->msg);
}

static bool
take_flag(int *argc, char **argv, const char *flag)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0) {
            memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof *argv);
            (*argc)--;
            return true;
        }
    }
    return false;
}

static const char *
take_opt(int *argc, char **argv, const char *flag, bool *bad)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0) {
            if (i + 1 >= *argc) {
                *bad = true;
                return NULL;
            }
            const char *v = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof *argv);
            *argc -= 2;
            return v;
        }
    }
    return NULL;
}

static int
one_file(int argc, char **argv, const char **path)
{
    if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != 0)) {
        usage(stderr);
        return CLI_USAGE;
    }
    *path = argv[1];
    return CLI_OK;
}

static int
cmd_validate(int argc, char **argv)
{
    struct vctx c = {take_flag(&argc, argv, "--json"), true, NULL};
    bool noext = take_flag(&argc, argv, "--no-external-codes");
    bool nonpi = take_flag(&argc, argv, "--no-npi-check");
    bool sit = take_flag(&argc, argv, "--situational");
    const char *path;
    if (one_file(argc, argv, &path) != CLI_OK)
        return CLI_USAGE;
    c.file = path;
    struct rcm_x12_validate_opts o = {
        .on_finding = print_finding, .ctx = &c, .no_external_codes = noext,
        .no_npi_check = nonpi, .situational = sit,
    };
    if (c.json) {
        json_t *fn = json_string(path);
        char *s = fn ? json_dumps(fn, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
        printf("{\"file\": %s,\n  \"findings\": [", s ? s : "null");
        free(s);
        json_decref(fn);
    }
    struct rcm_x12_stats st;
    int rc = run(path, &o, NULL, &st);
    if (rc != CLI_OK) {
        if (c.json)
            printf("]}\n");
        return rc;
    }
    bool ok = st.errors == 0 && st.sets_rejected == 0;
    if (c.json) {
        printf("%s],\n  \"accepted\": %s,\n  \"stats\": {\"interchanges\": %llu, "
               "\"groups\": %llu, \"sets\": %llu, \"sets_accepted\": %llu, "
               "\"sets_rejected\": %llu, \"segments\": %llu, \"errors\": %llu, "
               "\"warnings\": %llu}}\n",
               c.first ? "" : "\n  ", ok ? "true" : "false",
               (unsigned long long)st.interchanges, (unsigned long long)st.groups,
               (unsigned long long)st.sets, (unsigned long long)st.sets_accepted,
               (unsigned long long)st.sets_rejected, (unsigned long long)st.segments,
               (unsigned long long)st.errors, (unsigned long long)st.warnings);
    } else {
        printf("%s: %llu interchange(s), %llu group(s), %llu transaction set(s): "
               "%llu accepted, %llu rejected; %llu error(s), %llu warning(s)\n",
               path, (unsigned long long)st.interchanges,
               (unsigned long long)st.groups, (unsigned long long)st.sets,
               (unsigned long long)st.sets_accepted,
               (unsigned long long)st.sets_rejected, (unsigned long long)st.errors,
               (unsigned long long)st.warnings);
    }
    if (fflush(stdout) != 0) {
        cli_error(cmd_name, "cannot write output: %s", strerror(errno));
        return CLI_USAGE;
    }
    return ok ? CLI_OK : CLI_PROBLEMS;
}

static int
cmd_ack(int argc, char **argv)
{
    bool noext = take_flag(&argc, argv, "--no-external-codes");
    bool nonpi = take_flag(&argc, argv, "--no-npi-check");
    bool sit = take_flag(&argc, argv, "--situational");
    const char *path;
    if (one_file(argc, argv, &path) != CLI_OK)
        return CLI_USAGE;
    struct rcm_buf ack = RCM_BUF_INIT((size_t)1 << 30);
    struct rcm_x12_validate_opts o = {.ack = &ack, .no_external_codes = noext,
                                      .no_npi_check = nonpi, .situational = sit};
    struct rcm_x12_stats st;
    int rc = run(path, &o, &ack, &st);
    if (rc == CLI_OK && !drain(&ack))
        rc = CLI_USAGE;
    rcm_buf_release(&ack);
    if (rc != CLI_OK)
        return rc;
    if (fflush(stdout) != 0)
        return CLI_USAGE;
    return st.errors == 0 && st.sets_rejected == 0 ? CLI_OK : CLI_PROBLEMS;
}

static int
cmd_to_json(int argc, char **argv)
{
    const char *path;
    if (one_file(argc, argv, &path) != CLI_OK)
        return CLI_USAGE;
    struct rcm_buf out = RCM_BUF_INIT((size_t)1 << 30);
    struct rcm_x12_json_writer w;
    rcm_x12_json_writer_init(&w, &out);
    struct rcm_x12_validate_opts o = {
        .on_segment = rcm_x12_json_writer_segment, .ctx = &w,
    };
    struct rcm_x12_stats st;
    int rc = run(path, &o, &out, &st);
    if (rc == CLI_OK && rcm_x12_json_writer_finish(&w) != RCM_OK) {
        cli_error(cmd_name, "%s: %s", path, rcm_err_str(w.err));
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK && (!drain(&out) || fflush(stdout) != 0))
        rc = CLI_USAGE;
    rcm_buf_release(&out);
    return rc;
}

static int
cmd_from_json(int argc, char **argv)
{
    const char *path;
    if (one_file(argc, argv, &path) != CLI_OK)
        return CLI_USAGE;
    struct input in;
    if (!input_open(&in, path))
        return CLI_USAGE;
    struct rcm_buf doc = RCM_BUF_INIT(FROM_JSON_MAX_BYTES);
    int rc = CLI_OK;
    for (;;) {
        ssize_t n = input_read(&in);
        if (n < 0) {
            rc = CLI_USAGE;
            break;
        }
        if (n > 0 && rcm_buf_add(&doc, in.buf, (size_t)n) != RCM_OK) {
            cli_error(cmd_name, "%s: larger than 1 GiB", path);
            rc = CLI_USAGE;
            break;
        }
        if (n < (ssize_t)BLOCK_BYTES)
            break;
    }
    input_close(&in);
    if (rc == CLI_OK) {
        struct rcm_buf out = RCM_BUF_INIT(FROM_JSON_MAX_BYTES);
        struct rcm_diag d = RCM_DIAG_INIT;
        enum rcm_err e = rcm_x12_from_json(doc.data ? doc.data : "", doc.len, &out, &d);
        if (e != RCM_OK) {
            cli_error(cmd_name, "%s: %s", path, d.msg[0] ? d.msg : rcm_err_str(e));
            rc = e == RCM_E_NOMEM || e == RCM_E_TOO_LARGE ? CLI_USAGE : CLI_PROBLEMS;
        } else if (!drain(&out) || fflush(stdout) != 0) {
            rc = CLI_USAGE;
        }
        rcm_buf_release(&out);
    }
    rcm_buf_release(&doc);
    return rc;
}

/* ------------------------------------------------------------------ split */

struct splitter {
    const char *dir, *base;
    char isa[RCM_X12_ISA_MAX_BYTES + 2];
    size_t isa_len;
    char isa13[16];
    char gs[1024];
    size_t gs_len;
    char gs06[16];
    FILE *out;
    unsigned long n;
    char term;
};

static bool
split_write(struct splitter *s, const char *p, size_t n)
{
    if (fwrite(p, 1, n, s->out) != n || fputc(s->term, s->out) == EOF ||
        (s->term != '\n' && fputc('\n', s->out) == EOF)) {
        cli_error(cmd_name, "cannot write split file: %s", strerror(errno));
        return false;
    }
    return true;
}

static bool
split_close(struct splitter *s, bool complete)
{
    if (!s->out)
        return true;
    bool ok = true;
    if (complete) {
        char t[64];
        int k = snprintf(t, sizeof t, "GE%c1%c%s", s->isa[3], s->isa[3], s->gs06);
        ok = split_write(s, t, (size_t)k);
        k = snprintf(t, sizeof t, "IEA%c1%c%s", s->isa[3], s->isa[3], s->isa13);
        ok = ok && split_write(s, t, (size_t)k);
    }
    if (fclose(s->out) != 0)
        ok = false;
    s->out = NULL;
    return ok;
}

static int
split_segment(struct splitter *s, const struct rcm_x12_seg *seg)
{
    if (strcmp(seg->id, "ISA") == 0) {
        if (!split_close(s, false))
            return CLI_USAGE;
        memcpy(s->isa, seg->raw.p, seg->raw.n);
        s->isa_len = seg->raw.n;
        s->term = seg->delims.segment;
        struct rcm_str e = rcm_x12_seg_element(seg, 13);
        rcm_str_copy(s->isa13, sizeof s->isa13, e);
        s->gs_len = 0;
        return CLI_OK;
    }
    if (strcmp(seg->id, "GS") == 0) {
        if (!split_close(s, false))
            return CLI_USAGE;
        s->gs_len = seg->raw.n < sizeof s->gs ? seg->raw.n : 0;
        if (s->gs_len)
            memcpy(s->gs, seg->raw.p, s->gs_len);
        rcm_str_copy(s->gs06, sizeof s->gs06, rcm_x12_seg_element(seg, 6));
        return CLI_OK;
    }
    if (strcmp(seg->id, "ST") == 0) {
        if (!split_close(s, false))
            return CLI_USAGE;
        char st01[8];
        rcm_str_copy(st01, sizeof st01, rcm_x12_seg_element(seg, 1));
        for (char *q = st01; *q; q++)
            if (!((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z')))
                *q = '_';
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.%06lu.%s.x12", s->dir, s->base, ++s->n,
                 st01[0] ? st01 : "set");
        s->out = fopen(path, "wx");
        if (!s->out) {
            cli_error(cmd_name, "cannot create %s: %s", path, strerror(errno));
            return CLI_USAGE;
        }
        printf("%s\n", path);
        if (!split_write(s, s->isa, s->isa_len) ||
            (s->gs_len && !split_write(s, s->gs, s->gs_len)))
            return CLI_USAGE;
    }
    if (!s->out)
        return CLI_OK;
    if (!split_write(s, seg->raw.p, seg->raw.n))
        return CLI_USAGE;
    if (strcmp(seg->id, "SE") == 0 && !split_close(s, true))
        return CLI_USAGE;
    return CLI_OK;
}

static int
cmd_split(int argc, char **argv)
{
    bool bad = false;
    const char *dir = take_opt(&argc, argv, "--out", &bad);
    const char *path;
    if (bad || one_file(argc, argv, &path) != CLI_OK)
        return CLI_USAGE;
    struct splitter s;
    memset(&s, 0, sizeof s);
    s.dir = dir ? dir : ".";
    const char *slash = strrchr(path, '/');
    s.base = strcmp(path, "-") == 0 ? "stdin" : slash ? slash + 1 : path;
    struct input in;
    if (!input_open(&in, path))
        return CLI_USAGE;
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    int rc = CLI_OK;
    bool need = true, problems = false;
    while (rc == CLI_OK) {
        if (need) {
            ssize_t n = input_read(&in);
            if (n < 0) {
                rc = CLI_USAGE;
                break;
            }
            rcm_x12_reader_feed(&r, in.buf, (size_t)n, n < (ssize_t)BLOCK_BYTES);
            need = false;
        }
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_SEGMENT) {
            rc = split_segment(&s, &seg);
        } else if (ev == RCM_X12_ERROR) {
            problems = true;
            cli_error(cmd_name, "%s: %s at byte %llu", path,
                      rcm_x12_read_code_name(err.code),
                      (unsigned long long)err.offset_bytes);
        } else if (ev == RCM_X12_NEED_MORE) {
            need = true;
        } else {
            break;
        }
    }
    if (s.out) {
        problems = true;
        cli_error(cmd_name, "%s: the last transaction set has no SE", path);
        if (!split_close(&s, false) && rc == CLI_OK)
            rc = CLI_USAGE;
    }
    rcm_x12_reader_release(&r);
    input_close(&in);
    if (rc == CLI_OK && fflush(stdout) != 0)
        rc = CLI_USAGE;
    return rc != CLI_OK ? rc : problems ? CLI_PROBLEMS : CLI_OK;
}

int
cli_x12(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (cli_wants_help(argc - 1, argv + 1)) {
        usage(stdout);
        return CLI_OK;
    }
    argc--;
    argv++;
    if (strcmp(sub, "validate") == 0)
        return cmd_validate(argc, argv);
    if (strcmp(sub, "ack") == 0)
        return cmd_ack(argc, argv);
    if (strcmp(sub, "split") == 0)
        return cmd_split(argc, argv);
    if (strcmp(sub, "to-json") == 0)
        return cmd_to_json(argc, argv);
    if (strcmp(sub, "from-json") == 0)
        return cmd_from_json(argc, argv);
    cli_error(cmd_name, "unknown subcommand '%s'", sub);
    usage(stderr);
    return CLI_USAGE;
}
