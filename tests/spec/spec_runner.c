/* spec_runner: runs the official WebAssembly core spec tests against the
 * Portalis engine, through its public API only (include/portalis/engine.h).
 *
 * Each `.wast` script is converted with wabt's `wast2json` into a JSON
 * command list plus binary modules (one output folder per script), then every
 * command is executed with a `spectest` host module. See docs/spec-tests.md
 * for usage, the output format and the known-failures policy.
 *
 * Each script runs in a forked child (unless --no-fork), so a crash or a hang
 * of the engine is reported for that script and the run goes on. The child
 * records its counts and failing lines in a shared mapping; the parent
 * classifies failures against the known-failures list and prints the report.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <portalis/engine.h>

/* ---- small utilities ---------------------------------------------------- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "spec_runner: out of memory\n");
        exit(2);
    }
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "spec_runner: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- options and known failures ------------------------------------------ */

typedef struct {
    char *key; /* "file.wast:LINE" */
    char *reason;
    bool hit;
} known_entry;

typedef struct {
    int verbose; /* 1: failures, 2: also passes of assert_invalid/malformed */
    bool strict_traps;
    bool fork_files;
    bool skip_simd;
    bool convert_only;
    pw_engine_config engine_config; /* --fuel, --interruptible, --tier, --canon-nans */
    unsigned timeout;
    const char *out_dir;
    const char *wast2json;
    known_entry *known;
    size_t nknown;
} options;

static bool load_known(options *o, const char *path) {
    char *text = read_text(path);
    if (!text) {
        fprintf(stderr, "spec_runner: cannot read known-failures file %s: %s\n", path, strerror(errno));
        return false;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        size_t k = strcspn(line, " \t");
        char *reason = line + k;
        while (*reason == ' ' || *reason == '\t')
            reason++;
        line[k] = 0;
        if (!strchr(line, ':') || !*reason) {
            fprintf(stderr, "spec_runner: %s: entry '%s' needs the form 'file.wast:LINE  reason'\n", path, line);
            free(text);
            return false;
        }
        o->known = xrealloc(o->known, (o->nknown + 1) * sizeof *o->known);
        o->known[o->nknown].key = xstrdup(line);
        o->known[o->nknown].reason = xstrdup(reason);
        o->known[o->nknown].hit = false;
        o->nknown++;
    }
    free(text);
    return true;
}

static known_entry *find_known(options *o, const char *file, int line) {
    char key[512];
    snprintf(key, sizeof key, "%s:%d", file, line);
    for (size_t i = 0; i < o->nknown; i++)
        if (!strcmp(o->known[i].key, key))
            return &o->known[i];
    return NULL;
}

/* ---- per-script results (shared between the forked child and the parent) - */

#define MAX_FAIL_LINES 65536

typedef struct {
    int passed, failed, skipped;
    int trap_kind_notes; /* assert_trap passed but the trap kind differs from the text */
    int last_line;       /* line of the command being executed (for crash reports) */
    int done;            /* the script ran to its end */
    int setup_error;     /* conversion or JSON problem (counted in failed) */
    int nfail_lines;
    int fail_lines[MAX_FAIL_LINES];
} script_stats;

/* ---- the spectest host module ---------------------------------------------- */

static pw_error *spectest_print(pw_caller *caller, void *user, const pw_val *args, pw_val *results) {
    (void)caller;
    (void)user;
    (void)args;
    (void)results;
    return NULL;
}

typedef struct {
    const char *name;
    pw_extern ext;
} host_export;

#define SPECTEST_COUNT 13

static void spectest_create(pw_store *store, host_export *out) {
    static const pw_valkind i32[] = {PW_I32}, i64[] = {PW_I64}, f32[] = {PW_F32}, f64[] = {PW_F64};
    static const pw_valkind i32f32[] = {PW_I32, PW_F32}, f64f64[] = {PW_F64, PW_F64};
    struct {
        const char *name;
        const pw_valkind *params;
        uint32_t n;
    } funcs[] = {
        {"print", NULL, 0},    {"print_i32", i32, 1},        {"print_i64", i64, 1},        {"print_f32", f32, 1},
        {"print_f64", f64, 1}, {"print_i32_f32", i32f32, 2}, {"print_f64_f64", f64f64, 2},
    };
    size_t k = 0;
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
        out[k].name = funcs[i].name;
        out[k].ext.kind = PW_EXTERN_FUNC;
        out[k].ext.of.func = pw_func_new(store, funcs[i].params, funcs[i].n, NULL, 0, spectest_print, NULL, NULL);
        k++;
    }
    pw_val v;
    v.kind = PW_I32;
    v.of.i32 = 666;
    out[k].name = "global_i32";
    out[k].ext.kind = PW_EXTERN_GLOBAL;
    out[k++].ext.of.global = pw_global_new(store, PW_I32, false, v);
    v.kind = PW_I64;
    v.of.i64 = 666;
    out[k].name = "global_i64";
    out[k].ext.kind = PW_EXTERN_GLOBAL;
    out[k++].ext.of.global = pw_global_new(store, PW_I64, false, v);
    v.kind = PW_F32;
    v.of.f32 = 666.6f;
    out[k].name = "global_f32";
    out[k].ext.kind = PW_EXTERN_GLOBAL;
    out[k++].ext.of.global = pw_global_new(store, PW_F32, false, v);
    v.kind = PW_F64;
    v.of.f64 = 666.6;
    out[k].name = "global_f64";
    out[k].ext.kind = PW_EXTERN_GLOBAL;
    out[k++].ext.of.global = pw_global_new(store, PW_F64, false, v);
    pw_val null_ref;
    null_ref.kind = PW_FUNCREF;
    null_ref.of.funcref = NULL;
    out[k].name = "table";
    out[k].ext.kind = PW_EXTERN_TABLE;
    out[k++].ext.of.table = pw_table_new(store, PW_FUNCREF, (pw_limits){10, 20, true}, null_ref);
    out[k].name = "memory";
    out[k].ext.kind = PW_EXTERN_MEMORY;
    out[k++].ext.of.memory = pw_memory_new(store, (pw_limits){1, 2, true});
}

/* ---- one script --------------------------------------------------------- */

typedef struct {
    char *name;
    pw_instance *inst;
} named_instance;

typedef struct {
    options *opt;
    const char *file; /* "i32.wast" */
    const char *dir;  /* folder of the JSON file */
    script_stats *st;
    pw_engine *engine;
    pw_store *store;
    host_export spectest[SPECTEST_COUNT];
    pw_instance *current;
    named_instance *named;
    size_t nnamed;
    named_instance *registered; /* name is the `as` module name */
    size_t nregistered;
    pw_module **modules; /* freed at the end of the script */
    size_t nmodules;
} script;

static void record_failure(script *s, int line) {
    s->st->failed++;
    if (s->st->nfail_lines < MAX_FAIL_LINES)
        s->st->fail_lines[s->st->nfail_lines++] = line;
}

static void report(script *s, int line, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(script *s, int line, const char *cmd, const char *fmt, ...) {
    record_failure(s, line);
    if (!s->opt->verbose)
        return;
    printf("%s:%d: %s: ", s->file, line, cmd);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    known_entry *k = find_known(s->opt, s->file, line);
    if (k)
        printf(" [known: %s]", k->reason);
    printf("\n");
}

static const char *error_kind_name(pw_error_kind k) {
    switch (k) {
    case PW_ERR_MALFORMED: return "malformed";
    case PW_ERR_INVALID: return "invalid";
    case PW_ERR_LINK: return "link error";
    case PW_ERR_TRAP: return "trap";
    case PW_ERR_ARGUMENT: return "argument error";
    case PW_ERR_IO: return "I/O error";
    case PW_ERR_RESOURCE: return "resource error";
    case PW_ERR_LIMIT: return "implementation limit";
    }
    return "unknown error";
}

/* "trap: ..." with the first line of the message only (the backtrace is long). */
static void describe_error(const pw_error *e, char *buf, size_t n) {
    if (!e) {
        snprintf(buf, n, "success");
        return;
    }
    const char *sum = pw_error_summary(e);
    snprintf(buf, n, "%s: %s", error_kind_name(pw_error_kind_of(e)), sum ? sum : "(no message)");
}

static pw_instance *find_named(named_instance *list, size_t n, const char *name) {
    for (size_t i = n; i-- > 0;)
        if (!strcmp(list[i].name, name))
            return list[i].inst;
    return NULL;
}

static const char *extern_kind_name(pw_extern_kind k) {
    switch (k) {
    case PW_EXTERN_FUNC: return "func";
    case PW_EXTERN_TABLE: return "table";
    case PW_EXTERN_MEMORY: return "memory";
    case PW_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

/* Result of loading + linking + instantiating one module file. */
typedef enum { LOAD_OK, LOAD_MODULE_ERROR, LOAD_LINK_MISSING, LOAD_INSTANCE_ERROR } load_stage;

typedef struct {
    load_stage stage;
    pw_error *err; /* for LOAD_MODULE_ERROR / LOAD_INSTANCE_ERROR */
    char msg[512]; /* description of the failure */
    pw_instance *inst;
} load_result;

static void load_module(script *s, const char *filename, load_result *r) {
    memset(r, 0, sizeof *r);
    char *path = xasprintf("%s/%s", s->dir, filename);
    pw_module *m = NULL;
    pw_error *e = pw_module_from_file(s->engine, path, &m);
    free(path);
    if (e) {
        r->stage = LOAD_MODULE_ERROR;
        r->err = e;
        describe_error(e, r->msg, sizeof r->msg);
        return;
    }
    if (!m) {
        r->stage = LOAD_MODULE_ERROR;
        snprintf(r->msg, sizeof r->msg, "pw_module_from_file returned no error and no module");
        return;
    }
    s->modules = xrealloc(s->modules, (s->nmodules + 1) * sizeof *s->modules);
    s->modules[s->nmodules++] = m;

    size_t nimports = pw_module_import_count(m);
    pw_extern *imports = xmalloc(nimports * sizeof *imports);
    for (size_t i = 0; i < nimports; i++) {
        const char *mod = NULL, *name = NULL;
        pw_externtype type;
        if (!pw_module_import(m, i, &mod, &name, &type)) {
            r->stage = LOAD_LINK_MISSING;
            snprintf(r->msg, sizeof r->msg, "pw_module_import(%zu) failed", i);
            free(imports);
            return;
        }
        bool found = false;
        if (!strcmp(mod, "spectest")) {
            for (size_t k = 0; k < SPECTEST_COUNT; k++)
                if (!strcmp(s->spectest[k].name, name)) {
                    imports[i] = s->spectest[k].ext;
                    found = true;
                    break;
                }
        } else {
            pw_instance *inst = find_named(s->registered, s->nregistered, mod);
            if (inst)
                found = pw_instance_export(inst, name, &imports[i]);
        }
        if (!found) {
            r->stage = LOAD_LINK_MISSING;
            snprintf(r->msg, sizeof r->msg, "unknown import \"%s\" \"%s\"", mod, name);
            free(imports);
            return;
        }
        if (imports[i].kind != type.kind) {
            r->stage = LOAD_LINK_MISSING;
            snprintf(r->msg, sizeof r->msg, "import \"%s\" \"%s\": expected a %s, found a %s", mod, name,
                     extern_kind_name(type.kind), extern_kind_name(imports[i].kind));
            free(imports);
            return;
        }
    }
    pw_instance *inst = NULL;
    e = pw_instance_new(s->store, m, imports, nimports, &inst);
    free(imports);
    if (e) {
        r->stage = LOAD_INSTANCE_ERROR;
        r->err = e;
        describe_error(e, r->msg, sizeof r->msg);
        return;
    }
    if (!inst) {
        r->stage = LOAD_INSTANCE_ERROR;
        snprintf(r->msg, sizeof r->msg, "pw_instance_new returned no error and no instance");
        return;
    }
    r->stage = LOAD_OK;
    r->inst = inst;
}

static void load_result_free(load_result *r) {
    if (r->err)
        pw_error_free(r->err);
    r->err = NULL;
}

/* ---- values ---------------------------------------------------------------- */

typedef enum { NAN_NONE, NAN_CANONICAL, NAN_ARITHMETIC } nan_kind;

typedef struct {
    pw_valkind kind;
    uint64_t bits; /* numbers: the bit pattern; externref: host number */
    bool is_null;  /* references */
    bool any_ref;  /* non-null reference of any identity (funcref) */
    nan_kind nan;
    /* v128: the lanes' bits, lane width (8..64), whether the lanes are
     * floats, and a NaN pattern per lane */
    pw_v128 v128;
    unsigned lane_bits;
    bool lane_float;
    nan_kind lane_nan[16];
} spec_value;

/* Parses the lanes of a v128 value, {"lane_type": "i32", "value": [...]}. */
static bool parse_v128(const cJSON *j, const cJSON *val, spec_value *v, char *err, size_t errn) {
    const cJSON *lt = cJSON_GetObjectItemCaseSensitive(j, "lane_type");
    if (!cJSON_IsString(lt) || strlen(lt->valuestring) < 2 || !cJSON_IsArray(val)) {
        snprintf(err, errn, "malformed v128 value in JSON");
        return false;
    }
    v->lane_float = lt->valuestring[0] == 'f';
    v->lane_bits = (unsigned)atoi(lt->valuestring + 1);
    if (v->lane_bits != 8 && v->lane_bits != 16 && v->lane_bits != 32 && v->lane_bits != 64) {
        snprintf(err, errn, "bad v128 lane type '%s' in JSON", lt->valuestring);
        return false;
    }
    unsigned n = 128 / v->lane_bits, i = 0;
    const cJSON *lane;
    cJSON_ArrayForEach(lane, val) {
        if (i >= n || !cJSON_IsString(lane)) {
            snprintf(err, errn, "malformed v128 lanes in JSON");
            return false;
        }
        const char *ls = lane->valuestring;
        uint64_t bits = 0;
        if (!strcmp(ls, "nan:canonical"))
            v->lane_nan[i] = NAN_CANONICAL;
        else if (!strcmp(ls, "nan:arithmetic"))
            v->lane_nan[i] = NAN_ARITHMETIC;
        else {
            char *end = NULL;
            errno = 0;
            bits = strtoull(ls, &end, 10);
            if (errno || !end || *end) {
                snprintf(err, errn, "bad v128 lane '%s' in JSON", ls);
                return false;
            }
        }
        memcpy(v->v128.u8 + i * (v->lane_bits / 8), &bits, v->lane_bits / 8); /* little endian */
        i++;
    }
    if (i != n) {
        snprintf(err, errn, "v128 value with %u lanes in JSON, expected %u", i, n);
        return false;
    }
    return true;
}

static bool parse_kind(const char *t, pw_valkind *k) {
    static const struct {
        const char *name;
        pw_valkind kind;
    } map[] = {{"i32", PW_I32},
               {"i64", PW_I64},
               {"f32", PW_F32},
               {"f64", PW_F64},
               {"v128", PW_V128},
               {"funcref", PW_FUNCREF},
               {"externref", PW_EXTERNREF}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(t, map[i].name)) {
            *k = map[i].kind;
            return true;
        }
    return false;
}

/* Parses {"type": T, "value": V}. Returns false with a message on error. */
static bool parse_value(const cJSON *j, spec_value *v, char *err, size_t errn) {
    memset(v, 0, sizeof *v);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(j, "value");
    if (!cJSON_IsString(t) || !parse_kind(t->valuestring, &v->kind)) {
        snprintf(err, errn, "bad value type in JSON");
        return false;
    }
    if (v->kind == PW_V128)
        return parse_v128(j, val, v, err, errn);
    if (!cJSON_IsString(val)) {
        if (v->kind == PW_FUNCREF || v->kind == PW_EXTERNREF) {
            v->any_ref = true;
            return true;
        }
        snprintf(err, errn, "missing value in JSON");
        return false;
    }
    const char *s = val->valuestring;
    if (v->kind == PW_FUNCREF || v->kind == PW_EXTERNREF) {
        if (!strcmp(s, "null"))
            v->is_null = true;
        else if (v->kind == PW_FUNCREF)
            v->any_ref = true;
        else
            v->bits = strtoull(s, NULL, 10);
        return true;
    }
    if (!strcmp(s, "nan:canonical")) {
        v->nan = NAN_CANONICAL;
        return true;
    }
    if (!strcmp(s, "nan:arithmetic")) {
        v->nan = NAN_ARITHMETIC;
        return true;
    }
    errno = 0;
    char *end = NULL;
    v->bits = strtoull(s, &end, 10);
    if (errno || !end || *end) {
        snprintf(err, errn, "bad number '%s' in JSON", s);
        return false;
    }
    return true;
}

static bool to_pw_val(const spec_value *sv, pw_val *out, char *err, size_t errn) {
    memset(out, 0, sizeof *out);
    out->kind = sv->kind;
    switch (sv->kind) {
    case PW_I32: {
        uint32_t b = (uint32_t)sv->bits;
        memcpy(&out->of.i32, &b, 4);
        return true;
    }
    case PW_I64: {
        uint64_t b = sv->bits;
        memcpy(&out->of.i64, &b, 8);
        return true;
    }
    case PW_F32: {
        uint32_t b = (uint32_t)sv->bits;
        memcpy(&out->of.f32, &b, 4);
        return true;
    }
    case PW_F64: {
        uint64_t b = sv->bits;
        memcpy(&out->of.f64, &b, 8);
        return true;
    }
    case PW_FUNCREF:
        if (!sv->is_null) {
            snprintf(err, errn, "non-null funcref arguments cannot be expressed");
            return false;
        }
        out->of.funcref = NULL;
        return true;
    case PW_EXTERNREF:
        /* Host reference n is the pointer n+1, so that NULL stays ref.null. */
        out->of.externref = sv->is_null ? NULL : (void *)(uintptr_t)(sv->bits + 1);
        return true;
    case PW_V128:
        for (unsigned i = 0; i < 16 && sv->lane_bits; i++)
            if (sv->lane_nan[i]) {
                snprintf(err, errn, "NaN patterns cannot be arguments");
                return false;
            }
        out->of.v128 = sv->v128;
        return true;
    }
    snprintf(err, errn, "unsupported argument type");
    return false;
}

static void format_val(const pw_val *v, char *buf, size_t n) {
    switch (v->kind) {
    case PW_I32: {
        uint32_t b;
        memcpy(&b, &v->of.i32, 4);
        snprintf(buf, n, "i32:%" PRIu32 " (0x%08" PRIx32 ")", b, b);
        return;
    }
    case PW_I64: {
        uint64_t b;
        memcpy(&b, &v->of.i64, 8);
        snprintf(buf, n, "i64:%" PRIu64 " (0x%016" PRIx64 ")", b, b);
        return;
    }
    case PW_F32: {
        uint32_t b;
        memcpy(&b, &v->of.f32, 4);
        snprintf(buf, n, "f32:%.9g (0x%08" PRIx32 ")", (double)v->of.f32, b);
        return;
    }
    case PW_F64: {
        uint64_t b;
        memcpy(&b, &v->of.f64, 8);
        snprintf(buf, n, "f64:%.17g (0x%016" PRIx64 ")", v->of.f64, b);
        return;
    }
    case PW_FUNCREF:
        if (v->of.funcref)
            snprintf(buf, n, "funcref:%p", (void *)v->of.funcref);
        else
            snprintf(buf, n, "funcref:null");
        return;
    case PW_EXTERNREF:
        if (v->of.externref)
            snprintf(buf, n, "externref:%" PRIuPTR, (uintptr_t)v->of.externref - 1);
        else
            snprintf(buf, n, "externref:null");
        return;
    case PW_V128:
        snprintf(buf, n, "v128:0x%016" PRIx64 "%016" PRIx64, v->of.v128.u64[1], v->of.v128.u64[0]);
        return;
    }
    snprintf(buf, n, "%s:?", pw_valkind_name(v->kind));
}

static void format_spec_value(const spec_value *v, char *buf, size_t n) {
    const char *k = pw_valkind_name(v->kind);
    if (v->kind == PW_V128) {
        /* lanes as in the script, NaN patterns by name */
        size_t at = (size_t)snprintf(buf, n, "v128:%c%u", v->lane_float ? 'f' : 'i', v->lane_bits);
        for (unsigned i = 0; v->lane_bits && i < 128 / v->lane_bits && at < n; i++) {
            uint64_t bits = 0;
            memcpy(&bits, v->v128.u8 + i * (v->lane_bits / 8), v->lane_bits / 8);
            if (v->lane_nan[i])
                at += (size_t)snprintf(buf + at, n - at, " nan:%s",
                                       v->lane_nan[i] == NAN_CANONICAL ? "canonical" : "arithmetic");
            else
                at += (size_t)snprintf(buf + at, n - at, " 0x%" PRIx64, bits);
        }
    } else if (v->nan == NAN_CANONICAL)
        snprintf(buf, n, "%s:nan:canonical", k);
    else if (v->nan == NAN_ARITHMETIC)
        snprintf(buf, n, "%s:nan:arithmetic", k);
    else if (v->kind == PW_FUNCREF || v->kind == PW_EXTERNREF) {
        if (v->is_null)
            snprintf(buf, n, "%s:null", k);
        else if (v->any_ref)
            snprintf(buf, n, "%s:non-null", k);
        else
            snprintf(buf, n, "%s:%" PRIu64, k, v->bits);
    } else {
        pw_val pv;
        char e[8];
        to_pw_val(v, &pv, e, sizeof e);
        format_val(&pv, buf, n);
    }
}

static bool value_matches(const spec_value *exp, const pw_val *got) {
    if (exp->kind != got->kind)
        return false;
    switch (exp->kind) {
    case PW_I32: {
        uint32_t b;
        memcpy(&b, &got->of.i32, 4);
        return b == (uint32_t)exp->bits;
    }
    case PW_I64: {
        uint64_t b;
        memcpy(&b, &got->of.i64, 8);
        return b == exp->bits;
    }
    case PW_F32: {
        uint32_t b;
        memcpy(&b, &got->of.f32, 4);
        if (exp->nan == NAN_CANONICAL)
            return (b & 0x7fffffffu) == 0x7fc00000u;
        if (exp->nan == NAN_ARITHMETIC)
            return (b & 0x7fc00000u) == 0x7fc00000u;
        return b == (uint32_t)exp->bits;
    }
    case PW_F64: {
        uint64_t b;
        memcpy(&b, &got->of.f64, 8);
        if (exp->nan == NAN_CANONICAL)
            return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
        if (exp->nan == NAN_ARITHMETIC)
            return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
        return b == exp->bits;
    }
    case PW_FUNCREF:
        if (exp->is_null)
            return got->of.funcref == NULL;
        return got->of.funcref != NULL;
    case PW_EXTERNREF:
        if (exp->is_null)
            return got->of.externref == NULL;
        if (exp->any_ref)
            return got->of.externref != NULL;
        return got->of.externref == (void *)(uintptr_t)(exp->bits + 1);
    case PW_V128:
        for (unsigned i = 0; i < 128 / exp->lane_bits; i++) {
            unsigned w = exp->lane_bits / 8;
            uint64_t b = 0, e = 0;
            memcpy(&b, got->of.v128.u8 + i * w, w);
            memcpy(&e, exp->v128.u8 + i * w, w);
            uint64_t quiet = w == 4 ? 0x7fc00000u : 0x7ff8000000000000ull;
            uint64_t mag = w == 4 ? 0x7fffffffu : 0x7fffffffffffffffull;
            if (exp->lane_nan[i] == NAN_CANONICAL    ? (b & mag) != quiet
                : exp->lane_nan[i] == NAN_ARITHMETIC ? (b & quiet) != quiet
                                                     : b != e)
                return false;
        }
        return true;
    }
    return false;
}

/* ---- actions ------------------------------------------------------------- */

typedef enum { ACT_OK, ACT_ERROR, ACT_SETUP } act_status;

typedef struct {
    act_status status;
    pw_error *err; /* ACT_ERROR */
    char msg[512]; /* ACT_SETUP: why the action could not be run */
    pw_val *results;
    size_t nresults;
    char desc[256]; /* "invoke f(i32:1, ...)" for reports */
} act_result;

static void act_result_free(act_result *a) {
    if (a->err)
        pw_error_free(a->err);
    free(a->results);
    a->err = NULL;
    a->results = NULL;
}

static void run_action(script *s, const cJSON *action, act_result *a) {
    memset(a, 0, sizeof *a);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(action, "field");
    const cJSON *module = cJSON_GetObjectItemCaseSensitive(action, "module");
    if (!cJSON_IsString(type) || !cJSON_IsString(field)) {
        a->status = ACT_SETUP;
        snprintf(a->msg, sizeof a->msg, "malformed action in JSON");
        return;
    }
    pw_instance *inst = s->current;
    if (cJSON_IsString(module)) {
        inst = find_named(s->named, s->nnamed, module->valuestring);
        if (!inst) {
            a->status = ACT_SETUP;
            snprintf(a->msg, sizeof a->msg, "no module named %s", module->valuestring);
            return;
        }
    }
    if (!inst) {
        a->status = ACT_SETUP;
        snprintf(a->msg, sizeof a->msg, "no current module (an earlier module command failed)");
        return;
    }
    const char *name = field->valuestring;
    if (!strcmp(type->valuestring, "get")) {
        snprintf(a->desc, sizeof a->desc, "get \"%s\"", name);
        pw_extern ext;
        if (!pw_instance_export(inst, name, &ext) || ext.kind != PW_EXTERN_GLOBAL) {
            a->status = ACT_SETUP;
            snprintf(a->msg, sizeof a->msg, "no exported global \"%s\"", name);
            return;
        }
        a->results = xmalloc(sizeof *a->results);
        a->results[0] = pw_global_get(ext.of.global);
        a->nresults = 1;
        a->status = ACT_OK;
        return;
    }
    if (strcmp(type->valuestring, "invoke")) {
        a->status = ACT_SETUP;
        snprintf(a->msg, sizeof a->msg, "unknown action type %s", type->valuestring);
        return;
    }
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
    size_t nargs = (size_t)cJSON_GetArraySize(args);
    pw_val *vals = xmalloc(nargs * sizeof *vals);
    size_t dl = (size_t)snprintf(a->desc, sizeof a->desc, "invoke \"%s\"(", name);
    size_t i = 0;
    const cJSON *arg;
    cJSON_ArrayForEach(arg, args) {
        spec_value sv;
        if (!parse_value(arg, &sv, a->msg, sizeof a->msg) || !to_pw_val(&sv, &vals[i], a->msg, sizeof a->msg)) {
            a->status = ACT_SETUP;
            free(vals);
            return;
        }
        if (dl < sizeof a->desc) {
            char vb[96];
            format_val(&vals[i], vb, sizeof vb);
            dl += (size_t)snprintf(a->desc + dl, sizeof a->desc - dl, "%s%s", i ? ", " : "", vb);
        }
        i++;
    }
    if (dl < sizeof a->desc)
        snprintf(a->desc + dl, sizeof a->desc - dl, ")");
    pw_func *f = pw_instance_func(inst, name);
    if (!f) {
        a->status = ACT_SETUP;
        snprintf(a->msg, sizeof a->msg, "no exported function \"%s\"", name);
        free(vals);
        return;
    }
    pw_functype ft = pw_func_type(f);
    a->nresults = ft.nresults;
    a->results = xmalloc(ft.nresults * sizeof *a->results);
    memset(a->results, 0, ft.nresults * sizeof *a->results);
    pw_error *e = pw_func_call(s->store, f, vals, nargs, a->results, ft.nresults);
    free(vals);
    if (e) {
        a->status = ACT_ERROR;
        a->err = e;
        return;
    }
    a->status = ACT_OK;
}

/* ---- trap texts ---------------------------------------------------------- */

static pw_trap_kind trap_kind_for_text(const char *text) {
    static const struct {
        const char *prefix;
        pw_trap_kind kind;
    } map[] = {
        {"unreachable", PW_TRAP_UNREACHABLE},
        {"out of bounds memory access", PW_TRAP_MEMORY_OOB},
        {"out of bounds table access", PW_TRAP_TABLE_OOB},
        {"undefined element", PW_TRAP_UNDEFINED_ELEMENT},
        {"uninitialized element", PW_TRAP_UNINITIALIZED_ELEMENT},
        {"indirect call type mismatch", PW_TRAP_INDIRECT_MISMATCH},
        {"integer divide by zero", PW_TRAP_DIV_BY_ZERO},
        {"integer overflow", PW_TRAP_INT_OVERFLOW},
        {"invalid conversion to integer", PW_TRAP_INVALID_CONVERSION},
        {"call stack exhausted", PW_TRAP_STACK_EXHAUSTED},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strncmp(text, map[i].prefix, strlen(map[i].prefix)))
            return map[i].kind;
    return PW_TRAP_NONE;
}

/* ---- commands ---------------------------------------------------------- */

static const char *json_str(const cJSON *cmd, const char *key) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(cmd, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void cmd_module(script *s, const cJSON *cmd, int line) {
    const char *filename = json_str(cmd, "filename");
    const char *name = json_str(cmd, "name");
    s->current = NULL;
    if (!filename) {
        report(s, line, "module", "no filename in JSON");
        return;
    }
    load_result r;
    load_module(s, filename, &r);
    if (r.stage != LOAD_OK) {
        report(s, line, "module", "%s: expected success, got %s", filename, r.msg);
        load_result_free(&r);
        return;
    }
    s->current = r.inst;
    if (name) {
        s->named = xrealloc(s->named, (s->nnamed + 1) * sizeof *s->named);
        s->named[s->nnamed].name = xstrdup(name);
        s->named[s->nnamed].inst = r.inst;
        s->nnamed++;
    }
}

static void cmd_register(script *s, const cJSON *cmd, int line) {
    const char *as = json_str(cmd, "as");
    const char *name = json_str(cmd, "name");
    pw_instance *inst = name ? find_named(s->named, s->nnamed, name) : s->current;
    if (!as || !inst) {
        report(s, line, "register", "no instance to register as \"%s\"", as ? as : "?");
        return;
    }
    s->registered = xrealloc(s->registered, (s->nregistered + 1) * sizeof *s->registered);
    s->registered[s->nregistered].name = xstrdup(as);
    s->registered[s->nregistered].inst = inst;
    s->nregistered++;
}

static void cmd_action(script *s, const cJSON *cmd, int line) {
    act_result a;
    run_action(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &a);
    if (a.status == ACT_SETUP)
        report(s, line, "action", "%s", a.msg);
    else if (a.status == ACT_ERROR) {
        char eb[512];
        describe_error(a.err, eb, sizeof eb);
        report(s, line, "action", "%s: expected success, got %s", a.desc, eb);
    }
    act_result_free(&a);
}

static void cmd_assert_return(script *s, const cJSON *cmd, int line) {
    act_result a;
    run_action(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &a);
    if (a.status == ACT_SETUP) {
        report(s, line, "assert_return", "%s", a.msg);
        act_result_free(&a);
        return;
    }
    if (a.status == ACT_ERROR) {
        char eb[512];
        describe_error(a.err, eb, sizeof eb);
        report(s, line, "assert_return", "%s: expected results, got %s", a.desc, eb);
        act_result_free(&a);
        return;
    }
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
    size_t nexp = (size_t)cJSON_GetArraySize(expected);
    if (nexp != a.nresults) {
        report(s, line, "assert_return", "%s: expected %zu results, the function has %zu", a.desc, nexp,
               a.nresults);
        act_result_free(&a);
        return;
    }
    size_t i = 0;
    const cJSON *ej;
    bool ok = true;
    char exp_buf[1024] = "", got_buf[1024] = "";
    size_t el = 0, gl = 0;
    cJSON_ArrayForEach(ej, expected) {
        spec_value ev;
        char err[256];
        if (!parse_value(ej, &ev, err, sizeof err)) {
            report(s, line, "assert_return", "%s: %s", a.desc, err);
            act_result_free(&a);
            return;
        }
        if (!value_matches(&ev, &a.results[i]))
            ok = false;
        char vb[128];
        format_spec_value(&ev, vb, sizeof vb);
        if (el < sizeof exp_buf)
            el += (size_t)snprintf(exp_buf + el, sizeof exp_buf - el, "%s%s", i ? ", " : "", vb);
        format_val(&a.results[i], vb, sizeof vb);
        if (gl < sizeof got_buf)
            gl += (size_t)snprintf(got_buf + gl, sizeof got_buf - gl, "%s%s", i ? ", " : "", vb);
        i++;
    }
    if (ok)
        s->st->passed++;
    else
        report(s, line, "assert_return", "%s: expected [%s], got [%s]", a.desc, exp_buf, got_buf);
    act_result_free(&a);
}

static void cmd_assert_trap(script *s, const cJSON *cmd, int line, bool exhaustion) {
    const char *cname = exhaustion ? "assert_exhaustion" : "assert_trap";
    const char *text = json_str(cmd, "text");
    if (!text)
        text = "";
    act_result a;
    run_action(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &a);
    if (a.status == ACT_SETUP) {
        report(s, line, cname, "%s", a.msg);
    } else if (a.status == ACT_OK) {
        report(s, line, cname, "%s: expected trap \"%s\", got success", a.desc, text);
    } else {
        char eb[512];
        describe_error(a.err, eb, sizeof eb);
        pw_error_kind k = pw_error_kind_of(a.err);
        pw_trap_kind tk = pw_error_trap(a.err);
        pw_trap_kind want = trap_kind_for_text(text);
        if (k != PW_ERR_TRAP) {
            report(s, line, cname, "%s: expected trap \"%s\", got %s", a.desc, text, eb);
        } else if (exhaustion && tk != PW_TRAP_STACK_EXHAUSTED) {
            report(s, line, cname, "%s: expected \"%s\", got %s", a.desc, text, eb);
        } else if (want != PW_TRAP_NONE && tk != want) {
            if (s->opt->strict_traps) {
                report(s, line, cname, "%s: expected trap \"%s\", got %s", a.desc, text, eb);
            } else {
                s->st->trap_kind_notes++;
                s->st->passed++;
                if (s->opt->verbose)
                    printf(
                        "%s:%d: note: %s: %s: expected trap \"%s\", got %s (passed: only the kind is checked)\n",
                        s->file, line, cname, a.desc, text, eb);
            }
        } else {
            s->st->passed++;
        }
    }
    act_result_free(&a);
}

static void cmd_assert_module(script *s, const cJSON *cmd, int line, const char *cname) {
    const char *filename = json_str(cmd, "filename");
    const char *text = json_str(cmd, "text");
    const char *mtype = json_str(cmd, "module_type");
    if (!text)
        text = "";
    if (mtype && strcmp(mtype, "binary")) {
        s->st->skipped++;
        return;
    }
    if (!filename) {
        report(s, line, cname, "no filename in JSON");
        return;
    }
    bool want_malformed = !strcmp(cname, "assert_malformed");
    bool want_invalid = !strcmp(cname, "assert_invalid");
    bool want_link = !strcmp(cname, "assert_unlinkable");
    /* assert_uninstantiable otherwise */
    if (want_malformed || want_invalid) {
        /* Decode and validate only: these modules are never instantiated. */
        char *path = xasprintf("%s/%s", s->dir, filename);
        pw_module *m = NULL;
        pw_error *e = pw_module_from_file(s->engine, path, &m);
        free(path);
        pw_error_kind want = want_malformed ? PW_ERR_MALFORMED : PW_ERR_INVALID;
        if (!e) {
            report(s, line, cname, "%s: expected %s \"%s\", got a valid module", filename, error_kind_name(want),
                   text);
            pw_module_free(m);
        } else if (pw_error_kind_of(e) != want) {
            char eb[512];
            describe_error(e, eb, sizeof eb);
            report(s, line, cname, "%s: expected %s \"%s\", got %s", filename, error_kind_name(want), text, eb);
        } else {
            s->st->passed++;
            if (s->opt->verbose > 1) {
                char eb[512];
                describe_error(e, eb, sizeof eb);
                printf("%s:%d: ok: %s: expected \"%s\", got %s\n", s->file, line, cname, text, eb);
            }
        }
        if (e)
            pw_error_free(e);
        return;
    }
    load_result r;
    load_module(s, filename, &r);
    if (want_link) {
        bool link_failed = r.stage == LOAD_LINK_MISSING ||
                           (r.stage == LOAD_INSTANCE_ERROR && r.err && pw_error_kind_of(r.err) == PW_ERR_LINK);
        if (link_failed)
            s->st->passed++;
        else if (r.stage == LOAD_OK)
            report(s, line, cname, "%s: expected link error \"%s\", got an instance", filename, text);
        else
            report(s, line, cname, "%s: expected link error \"%s\", got %s", filename, text, r.msg);
    } else {
        bool trapped = r.stage == LOAD_INSTANCE_ERROR && r.err && pw_error_kind_of(r.err) == PW_ERR_TRAP;
        if (trapped)
            s->st->passed++;
        else if (r.stage == LOAD_OK)
            report(s, line, cname, "%s: expected trap \"%s\" at instantiation, got an instance", filename, text);
        else
            report(s, line, cname, "%s: expected trap \"%s\" at instantiation, got %s", filename, text, r.msg);
    }
    load_result_free(&r);
}

static void run_commands(script *s, const cJSON *commands) {
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, commands) {
        const char *type = json_str(cmd, "type");
        const cJSON *lj = cJSON_GetObjectItemCaseSensitive(cmd, "line");
        int line = cJSON_IsNumber(lj) ? lj->valueint : 0;
        s->st->last_line = line;
        if (!type) {
            report(s, line, "?", "command without a type");
            continue;
        }
        if (!strcmp(type, "module"))
            cmd_module(s, cmd, line);
        else if (!strcmp(type, "register"))
            cmd_register(s, cmd, line);
        else if (!strcmp(type, "action"))
            cmd_action(s, cmd, line);
        else if (!strcmp(type, "assert_return"))
            cmd_assert_return(s, cmd, line);
        else if (!strcmp(type, "assert_trap"))
            cmd_assert_trap(s, cmd, line, false);
        else if (!strcmp(type, "assert_exhaustion"))
            cmd_assert_trap(s, cmd, line, true);
        else if (!strcmp(type, "assert_malformed") || !strcmp(type, "assert_invalid") ||
                 !strcmp(type, "assert_unlinkable") || !strcmp(type, "assert_uninstantiable"))
            cmd_assert_module(s, cmd, line, type);
        else
            report(s, line, type, "unknown command type");
        fflush(stdout);
    }
}

/* Runs one converted script (JSON path). Fills st. */
static void run_json(options *opt, const char *file, const char *json_path, script_stats *st) {
    char *text = read_text(json_path);
    if (!text) {
        st->setup_error = 1;
        st->failed++;
        if (opt->verbose)
            printf("%s: cannot read %s: %s\n", file, json_path, strerror(errno));
        return;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *commands = cJSON_GetObjectItemCaseSensitive(root, "commands");
    if (!root || !cJSON_IsArray(commands)) {
        st->setup_error = 1;
        st->failed++;
        if (opt->verbose)
            printf("%s: %s is not a wast2json command list\n", file, json_path);
        cJSON_Delete(root);
        return;
    }
    char *dir = xstrdup(json_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");

    script s;
    memset(&s, 0, sizeof s);
    s.opt = opt;
    s.file = file;
    s.dir = dir;
    s.st = st;
    s.engine = pw_engine_new_with(&opt->engine_config);
    s.store = pw_store_new(s.engine);
    spectest_create(s.store, s.spectest);
    run_commands(&s, commands);

    pw_store_free(s.store);
    for (size_t i = 0; i < s.nmodules; i++)
        pw_module_free(s.modules[i]);
    free(s.modules);
    pw_engine_free(s.engine);
    for (size_t i = 0; i < s.nnamed; i++)
        free(s.named[i].name);
    for (size_t i = 0; i < s.nregistered; i++)
        free(s.registered[i].name);
    free(s.named);
    free(s.registered);
    free(dir);
    cJSON_Delete(root);
    st->done = 1;
}

/* ---- conversion with wast2json ----------------------------------------- */

static bool mkdir_p(const char *path) {
    char *p = xstrdup(path);
    for (char *c = p + 1; *c; c++) {
        if (*c == '/') {
            *c = 0;
            if (mkdir(p, 0777) && errno != EEXIST) {
                free(p);
                return false;
            }
            *c = '/';
        }
    }
    bool ok = !mkdir(p, 0777) || errno == EEXIST;
    free(p);
    return ok;
}

/* Converts wast into OUT/<base>/<base>.json unless that is newer than the
 * script. Returns the JSON path (caller frees) or NULL with a message. */
static char *convert(const options *opt, const char *wast, char *err, size_t errn) {
    const char *b = base_name(wast);
    size_t blen = strlen(b) - strlen(".wast");
    char *base = xmalloc(blen + 1);
    memcpy(base, b, blen);
    base[blen] = 0;
    char *dir = xasprintf("%s/%s", opt->out_dir, base);
    char *json = xasprintf("%s/%s.json", dir, base);
    char *log = xasprintf("%s/wast2json.log", dir);
    free(base);
    struct stat sw, sj;
    if (stat(wast, &sw)) {
        snprintf(err, errn, "cannot stat %s: %s", wast, strerror(errno));
        goto fail;
    }
    if (!stat(json, &sj) && sj.st_mtime >= sw.st_mtime)
        goto done;
    if (!mkdir_p(dir)) {
        snprintf(err, errn, "cannot create %s: %s", dir, strerror(errno));
        goto fail;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errn, "fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execlp(opt->wast2json, opt->wast2json, wast, "-o", json, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", opt->wast2json, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        snprintf(err, errn, "%s failed on %s (see %s)", opt->wast2json, wast, log);
        unlink(json);
        goto fail;
    }
done:
    free(dir);
    free(log);
    return json;
fail:
    free(dir);
    free(log);
    free(json);
    return NULL;
}

/* ---- driver ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Expands PATH arguments (directories, .wast, .json) into a sorted list. */
static char **collect_inputs(int n, char **paths, size_t *count) {
    char **list = NULL;
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (!stat(paths[i], &st) && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(paths[i]);
            if (!d)
                continue;
            size_t start = len;
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!ends_with(e->d_name, ".wast"))
                    continue;
                list = xrealloc(list, (len + 1) * sizeof *list);
                list[len++] = xasprintf("%s/%s", paths[i], e->d_name);
            }
            closedir(d);
            qsort(list + start, len - start, sizeof *list, cmp_str);
        } else {
            list = xrealloc(list, (len + 1) * sizeof *list);
            list[len++] = xstrdup(paths[i]);
        }
    }
    *count = len;
    return list;
}

static void usage(FILE *f) {
    fprintf(f, "usage: spec_runner [options] PATH...\n"
               "Runs WebAssembly spec test scripts against the Portalis engine.\n"
               "PATH is a .wast script, a folder of .wast scripts, or a wast2json .json file.\n\n"
               "options:\n"
               "  -v, --verbose      print every failure (file:line, command, expected, got); -vv also passes\n"
               "  --known FILE       known-failures list ('file.wast:LINE  reason' per line)\n"
               "  --out DIR          where wast2json output goes, one folder per script (default: spec-json)\n"
               "  --wast2json PROG   the converter (default: wast2json)\n"
               "  --strict-traps     assert_trap also requires the trap kind named by the expected text\n"
               "  --no-simd          skip simd_*.wast scripts\n"
               "  --convert-only     only run wast2json (where out of date), run no tests\n"
               "  --fuel             engine with fuel metering (unlimited fuel): checks that translation\n"
               "  --interruptible    engine with interruption checks: checks that translation\n"
               "  --tier T           interp (default), native (compiled through the C compiler, cached)\n"
               "                     or auto\n"
               "  --canon-nans       engine that canonicalises arithmetic NaNs: checks that translation\n"
               "  --no-fork          run scripts in this process (for debuggers; a crash ends the run)\n"
               "  --timeout SEC      per-script time limit in fork mode (default 120)\n"
               "  -h, --help         this text\n\n"
               "Output: one line per script 'file.wast: P passed, F failed, S skipped', then the total\n"
               "'N passed, M failed, K skipped' of the scripts other than simd_*.wast, which have a line\n"
               "'SIMD scripts: ...' of their own. The exit status is 1 if a failure is not in the\n"
               "known-failures list.\n");
}

int main(int argc, char **argv) {
    options opt;
    memset(&opt, 0, sizeof opt);
    opt.fork_files = true;
    opt.timeout = 120;
    opt.out_dir = "spec-json";
    opt.wast2json = "wast2json";
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            opt.verbose = 1;
        else if (!strcmp(a, "-vv"))
            opt.verbose = 2;
        else if (!strcmp(a, "--strict-traps"))
            opt.strict_traps = true;
        else if (!strcmp(a, "--no-simd"))
            opt.skip_simd = true;
        else if (!strcmp(a, "--fuel"))
            opt.engine_config.consume_fuel = true;
        else if (!strcmp(a, "--interruptible"))
            opt.engine_config.interruptible = true;
        else if (!strcmp(a, "--canon-nans"))
            opt.engine_config.canonicalize_nans = true;
        else if (!strcmp(a, "--convert-only"))
            opt.convert_only = true;
        else if (!strcmp(a, "--no-fork"))
            opt.fork_files = false;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--tier") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "interp"))
                opt.engine_config.tier = PW_TIER_INTERP;
            else if (!strcmp(v, "native"))
                opt.engine_config.tier = PW_TIER_NATIVE;
            else if (!strcmp(v, "auto"))
                opt.engine_config.tier = PW_TIER_AUTO;
            else {
                fprintf(stderr, "spec_runner: --tier takes interp, native or auto, not '%s'\n", v);
                return 2;
            }
        } else if ((!strcmp(a, "--known") || !strcmp(a, "--out") || !strcmp(a, "--wast2json") ||
                    !strcmp(a, "--timeout")) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--known")) {
                if (!load_known(&opt, v))
                    return 2;
            } else if (!strcmp(a, "--out"))
                opt.out_dir = v;
            else if (!strcmp(a, "--wast2json"))
                opt.wast2json = v;
            else
                opt.timeout = (unsigned)strtoul(v, NULL, 10);
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "spec_runner: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else
            break;
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    size_t ninputs;
    char **inputs = collect_inputs(argc - i, argv + i, &ninputs);
    if (!ninputs) {
        fprintf(stderr, "spec_runner: no .wast scripts found\n");
        return 2;
    }

    script_stats *st = mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (st == MAP_FAILED) {
        perror("spec_runner: mmap");
        return 2;
    }
    long tot_pass = 0, tot_fail = 0, tot_skip = 0, simd_fail = 0, known_fail = 0, unexpected = 0, notes = 0;
    long simd_pass = 0, simd_skip = 0;
    int nscripts = 0;
    for (size_t f = 0; f < ninputs; f++) {
        const char *path = inputs[f];
        const char *b = base_name(path);
        bool simd = !strncmp(b, "simd_", 5);
        if (simd && opt.skip_simd)
            continue;
        char file[256];
        snprintf(file, sizeof file, "%s", b);
        if (ends_with(file, ".json"))
            strcpy(file + strlen(file) - 5, ".wast");
        memset(st, 0, sizeof *st);
        nscripts++;

        char err[512] = "";
        char *json = ends_with(path, ".json") ? xstrdup(path) : convert(&opt, path, err, sizeof err);
        if (opt.convert_only) {
            if (!json) {
                printf("%s: %s\n", file, err);
                unexpected++;
            }
            free(json);
            continue;
        }
        const char *status_note = "";
        char note_buf[128];
        if (!json) {
            st->failed = 1;
            st->setup_error = 1;
            status_note = " CONVERSION FAILED";
            printf("%s: %s\n", file, err);
        } else if (opt.fork_files) {
            fflush(stdout);
            fflush(stderr);
            pid_t pid = fork();
            if (pid < 0) {
                perror("spec_runner: fork");
                return 2;
            }
            if (pid == 0) {
                alarm(opt.timeout);
                run_json(&opt, file, json, st);
                fflush(stdout);
                exit(0); /* not _exit: lets LeakSanitizer check the child */
            }
            int status = 0;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            if (!st->done) {
                st->failed++;
                if (st->nfail_lines < MAX_FAIL_LINES)
                    st->fail_lines[st->nfail_lines++] = st->last_line;
                if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
                    snprintf(note_buf, sizeof note_buf, " TIMED OUT after %us at line %d", opt.timeout,
                             st->last_line);
                else if (WIFSIGNALED(status))
                    snprintf(note_buf, sizeof note_buf, " CRASHED (signal %d) at line %d", WTERMSIG(status),
                             st->last_line);
                else
                    snprintf(note_buf, sizeof note_buf, " CRASHED (exit status %d) at line %d",
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1, st->last_line);
                status_note = note_buf;
            } else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
                /* The script ran, but the process failed at exit: a
                 * LeakSanitizer report, or a crash in cleanup. */
                st->failed++;
                if (st->nfail_lines < MAX_FAIL_LINES)
                    st->fail_lines[st->nfail_lines++] = 0;
                snprintf(note_buf, sizeof note_buf, " FAILED AT EXIT (%s %d; leak report?)",
                         WIFEXITED(status) ? "exit status" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                status_note = note_buf;
            }
        } else {
            run_json(&opt, file, json, st);
        }
        free(json);

        /* Classify failures: known (listed), SIMD (not required) or unexpected. */
        int file_known = 0, file_unexpected = 0;
        int shown = 0;
        char lines_buf[256] = "";
        size_t ll = 0;
        for (int k = 0; k < st->nfail_lines; k++) {
            known_entry *ke = find_known(&opt, file, st->fail_lines[k]);
            if (ke) {
                ke->hit = true;
                file_known++;
            } else {
                file_unexpected++;
                if (shown < 10 && ll < sizeof lines_buf) {
                    ll += (size_t)snprintf(lines_buf + ll, sizeof lines_buf - ll, "%s%d", shown ? ", " : "",
                                           st->fail_lines[k]);
                    shown++;
                }
            }
        }
        /* Failures beyond the recorded lines, or without a line, are unexpected. */
        int unrecorded = st->failed - st->nfail_lines;
        if (unrecorded > 0)
            file_unexpected += unrecorded;

        printf("%s: %d passed, %d failed, %d skipped", file, st->passed, st->failed, st->skipped);
        if (file_known)
            printf(" (%d known)", file_known);
        printf("%s\n", status_note);
        if (file_unexpected && !opt.verbose)
            printf("  unexpected failures at line%s %s%s (run with -v for details)\n",
                   file_unexpected > 1 ? "s" : "", lines_buf, file_unexpected > shown ? ", ..." : "");
        fflush(stdout);
        tot_pass += st->passed;
        tot_fail += st->failed;
        tot_skip += st->skipped;
        notes += st->trap_kind_notes;
        known_fail += file_known;
        if (simd) {
            simd_fail += st->failed - file_known;
            simd_pass += st->passed;
            simd_skip += st->skipped;
        }
        unexpected += file_unexpected;
    }
    for (size_t k = 0; k < opt.nknown; k++)
        if (!opt.known[k].hit) {
            /* Only report stale entries of scripts that were run. */
            const char *key = opt.known[k].key;
            size_t flen = (size_t)(strchr(key, ':') - key);
            for (size_t f = 0; f < ninputs; f++) {
                char file[256];
                snprintf(file, sizeof file, "%s", base_name(inputs[f]));
                if (ends_with(file, ".json"))
                    strcpy(file + strlen(file) - 5, ".wast");
                if (strlen(file) == flen && !strncmp(file, key, flen)) {
                    printf("note: known failure %s now passes; remove it from the list\n", key);
                    break;
                }
            }
        }
    if (opt.convert_only) {
        printf("converted %d scripts into %s, %ld failed\n", nscripts, opt.out_dir, unexpected);
        goto out;
    }
    printf("\n%d scripts: %ld unexpected failures, %ld known failures\n", nscripts, unexpected, known_fail);
    if (notes)
        printf("%ld assert_trap cases trapped with a different trap kind than the expected text "
               "(passed; see -v or --strict-traps)\n",
               notes);
    /* The SIMD scripts (simd_*.wast) on a line of their own, then the rest:
     * both are required. */
    if (simd_pass || simd_fail || simd_skip)
        printf("SIMD scripts: %ld passed, %ld failed, %ld skipped\n", simd_pass, simd_fail, simd_skip);
    printf("%ld passed, %ld failed, %ld skipped\n", tot_pass - simd_pass, tot_fail - simd_fail,
           tot_skip - simd_skip);
out:

    for (size_t k = 0; k < ninputs; k++)
        free(inputs[k]);
    free(inputs);
    for (size_t k = 0; k < opt.nknown; k++) {
        free(opt.known[k].key);
        free(opt.known[k].reason);
    }
    free(opt.known);
    munmap(st, sizeof *st);
    return unexpected ? 1 : 0;
}
