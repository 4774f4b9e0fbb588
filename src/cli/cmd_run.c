/* `portalis run`: runs a WebAssembly module (and, later, a scene).
 *
 *   portalis run [OPTIONS] FILE [ARGS...]
 *
 * Options come before FILE and ARGS after it, as in wasmtime. What FILE is
 * decides how it runs: `run_targets` below maps file name endings to runners.
 * Today there is one kind, WebAssembly modules (the fallback). Scenes
 * (FILE.usda) are reserved: the scene runner of a later issue replaces
 * `run_scene_placeholder` by its own function, and receives the same parsed
 * options and the arguments after FILE.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/engine.h>

#include "cli.h"

typedef struct {
    const char *invoke; /* --invoke NAME, or NULL for _start */
} run_options;

/* A runner gets the options, the target file and the arguments after it. */
typedef int (*run_target_fn)(const run_options *opt, const char *path, int argc, char **argv);

static int run_module(const run_options *opt, const char *path, int argc, char **argv);

/* Hook for scenes (`portalis run SCENE.usda`): not implemented in this
 * issue. */
static int run_scene_placeholder(const run_options *opt, const char *path, int argc, char **argv) {
    (void)opt;
    (void)argc;
    (void)argv;
    fprintf(stderr, "portalis run: %s: running scenes is not supported yet\n", path);
    return 2;
}

static const struct {
    const char *suffix;
    run_target_fn run;
} run_targets[] = {
    {".usda", run_scene_placeholder},
};

static void usage(FILE *f) {
    fprintf(f, "usage: portalis run [OPTIONS] MODULE.wasm [ARGS...]\n"
               "       portalis run [OPTIONS] SCENE.usda       (not supported yet)\n\n"
               "Runs a WebAssembly module: calls the function named by --invoke with ARGS, parsed\n"
               "according to its parameter types (i32/i64: decimal, negative or unsigned; f32/f64:\n"
               "decimal or hex floats, inf, nan; funcref/externref: null), and prints each result\n"
               "on its own line (integers as signed decimal, floats with round-trip precision).\n"
               "Without --invoke, runs the exported _start function.\n"
               "Modules with imports cannot run yet (WASI comes later).\n\n"
               "options (before the module):\n"
               "  --invoke NAME   the exported function to call\n"
               "  -h, --help      this text\n\n"
               "exit status: 0 on success, 1 if the module fails to load or traps (the trap and its\n"
               "backtrace go to stderr), 2 on usage errors.\n");
}

int cmd_run(int argc, char **argv) {
    run_options opt = {0};
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--invoke")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "portalis run: --invoke needs a function name\n");
                return 2;
            }
            opt.invoke = argv[++i];
        } else if (!strncmp(a, "--invoke=", 9)) {
            opt.invoke = a + 9;
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "portalis run: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else {
            break;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "portalis run: no module given\n");
        usage(stderr);
        return 2;
    }
    const char *path = argv[i];
    size_t plen = strlen(path);
    for (size_t k = 0; k < sizeof run_targets / sizeof run_targets[0]; k++) {
        size_t slen = strlen(run_targets[k].suffix);
        if (plen >= slen && !strcmp(path + plen - slen, run_targets[k].suffix))
            return run_targets[k].run(&opt, path, argc - i - 1, argv + i + 1);
    }
    return run_module(&opt, path, argc - i - 1, argv + i + 1);
}

/* ---- modules --------------------------------------------------------------- */

static const char *extern_kind_name(pw_extern_kind k) {
    switch (k) {
    case PW_EXTERN_FUNC: return "function";
    case PW_EXTERN_TABLE: return "table";
    case PW_EXTERN_MEMORY: return "memory";
    case PW_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

static void print_signature(FILE *f, const char *name, pw_functype ft) {
    fprintf(f, "%s(", name);
    for (uint32_t i = 0; i < ft.nparams; i++)
        fprintf(f, "%s%s", i ? ", " : "", pw_valkind_name(ft.params[i]));
    fprintf(f, ") -> (");
    for (uint32_t i = 0; i < ft.nresults; i++)
        fprintf(f, "%s%s", i ? ", " : "", pw_valkind_name(ft.results[i]));
    fprintf(f, ")");
}

/* Parses one argument of kind k. Returns false with a message in err. */
static bool parse_arg(const char *s, pw_valkind k, pw_val *out, char *err, size_t errn) {
    char *end = NULL;
    memset(out, 0, sizeof *out);
    out->kind = k;
    errno = 0;
    switch (k) {
    case PW_I32:
    case PW_I64: {
        bool neg = s[0] == '-';
        if (!*s || (!neg && (s[0] < '0' || s[0] > '9') && s[0] != '+')) {
            snprintf(err, errn, "'%s' is not a decimal integer", s);
            return false;
        }
        if (neg) {
            long long v = strtoll(s, &end, 10);
            if (errno || *end || (k == PW_I32 && v < INT32_MIN)) {
                snprintf(err, errn, "'%s' is not a valid %s", s, pw_valkind_name(k));
                return false;
            }
            if (k == PW_I32)
                out->of.i32 = (int32_t)v;
            else
                out->of.i64 = v;
        } else {
            unsigned long long v = strtoull(s, &end, 10);
            if (errno || *end || (k == PW_I32 && v > UINT32_MAX)) {
                snprintf(err, errn, "'%s' is not a valid %s", s, pw_valkind_name(k));
                return false;
            }
            if (k == PW_I32) {
                uint32_t u = (uint32_t)v;
                memcpy(&out->of.i32, &u, 4);
            } else {
                uint64_t u = v;
                memcpy(&out->of.i64, &u, 8);
            }
        }
        return true;
    }
    case PW_F32:
        out->of.f32 = strtof(s, &end);
        if (!*s || *end || (errno == ERANGE && isinf(out->of.f32) && !strstr(s, "inf"))) {
            /* Overflow to infinity is an error; underflow to 0 or subnormal is fine. */
            snprintf(err, errn, "'%s' is not a valid f32", s);
            return false;
        }
        return true;
    case PW_F64:
        out->of.f64 = strtod(s, &end);
        if (!*s || *end || (errno == ERANGE && isinf(out->of.f64) && !strstr(s, "inf"))) {
            snprintf(err, errn, "'%s' is not a valid f64", s);
            return false;
        }
        return true;
    case PW_FUNCREF:
    case PW_EXTERNREF:
        if (!strcmp(s, "null"))
            return true;
        snprintf(err, errn, "'%s': only null can be passed as a %s", s, pw_valkind_name(k));
        return false;
    case PW_V128: break;
    }
    snprintf(err, errn, "%s arguments are not supported", pw_valkind_name(k));
    return false;
}

static void print_result(const pw_val *v) {
    switch (v->kind) {
    case PW_I32: printf("%" PRId32 "\n", v->of.i32); return;
    case PW_I64: printf("%" PRId64 "\n", v->of.i64); return;
    case PW_F32: printf("%.9g\n", (double)v->of.f32); return;
    case PW_F64: printf("%.17g\n", v->of.f64); return;
    case PW_FUNCREF: printf("%s\n", v->of.funcref ? "funcref" : "null"); return;
    case PW_EXTERNREF:
        if (v->of.externref)
            printf("externref %p\n", v->of.externref);
        else
            printf("null\n");
        return;
    case PW_V128: break;
    }
    printf("(%s)\n", pw_valkind_name(v->kind));
}

static int run_module(const run_options *opt, const char *path, int argc, char **argv) {
    int status = 1;
    pw_engine *engine = pw_engine_new();
    pw_store *store = NULL;
    pw_module *m = NULL;
    pw_val *args = NULL, *results = NULL;
    pw_error *e = pw_module_from_file(engine, path, &m);
    if (e) {
        fprintf(stderr, "portalis run: %s: %s\n", path, pw_error_message(e));
        pw_error_free(e);
        goto out;
    }
    if (pw_module_import_count(m) > 0) {
        const char *mod = "?", *name = "?";
        pw_externtype t;
        memset(&t, 0, sizeof t);
        pw_module_import(m, 0, &mod, &name, &t);
        fprintf(stderr,
                "portalis run: %s: unresolved import \"%s\" \"%s\" (%s): modules with imports cannot run yet "
                "(WASI is not supported yet)\n",
                path, mod, name, extern_kind_name(t.kind));
        goto out;
    }
    store = pw_store_new(engine);
    pw_instance *inst = NULL;
    e = pw_instance_new(store, m, NULL, 0, &inst);
    if (e) {
        fprintf(stderr, "portalis run: %s: %s\n", path, pw_error_message(e));
        status = pw_error_trap(e) == PW_TRAP_EXIT ? pw_error_exit_code(e) : 1;
        pw_error_free(e);
        goto out;
    }
    const char *fname = opt->invoke ? opt->invoke : "_start";
    pw_extern ext;
    if (!pw_instance_export(inst, fname, &ext)) {
        if (opt->invoke)
            fprintf(stderr, "portalis run: %s: no export named \"%s\"\n", path, fname);
        else
            fprintf(stderr, "portalis run: %s: the module exports no _start function; use --invoke NAME\n", path);
        status = 2;
        goto out;
    }
    if (ext.kind != PW_EXTERN_FUNC) {
        fprintf(stderr, "portalis run: %s: export \"%s\" is a %s, not a function\n", path, fname,
                extern_kind_name(ext.kind));
        status = 2;
        goto out;
    }
    pw_functype ft = pw_func_type(ext.of.func);
    if ((uint32_t)argc != ft.nparams) {
        fprintf(stderr, "portalis run: %s expects %" PRIu32 " argument%s, got %d: ", fname, ft.nparams,
                ft.nparams == 1 ? "" : "s", argc);
        print_signature(stderr, fname, ft);
        fprintf(stderr, "\n");
        status = 2;
        goto out;
    }
    args = calloc((size_t)ft.nparams + 1, sizeof *args);
    results = calloc((size_t)ft.nresults + 1, sizeof *results);
    if (!args || !results) {
        fprintf(stderr, "portalis run: out of memory\n");
        goto out;
    }
    for (uint32_t k = 0; k < ft.nparams; k++) {
        char err[256];
        if (!parse_arg(argv[k], ft.params[k], &args[k], err, sizeof err)) {
            fprintf(stderr, "portalis run: argument %" PRIu32 " of %s: %s\n", k + 1, fname, err);
            status = 2;
            goto out;
        }
    }
    e = pw_func_call(store, ext.of.func, args, ft.nparams, results, ft.nresults);
    if (e) {
        if (pw_error_trap(e) == PW_TRAP_EXIT) {
            status = pw_error_exit_code(e);
        } else {
            fprintf(stderr, "portalis run: %s\n", pw_error_message(e));
            status = 1;
        }
        pw_error_free(e);
        goto out;
    }
    for (uint32_t k = 0; k < ft.nresults; k++)
        print_result(&results[k]);
    status = 0;
out:
    fflush(stdout);
    free(args);
    free(results);
    if (store)
        pw_store_free(store);
    if (m)
        pw_module_free(m);
    pw_engine_free(engine);
    return status;
}
