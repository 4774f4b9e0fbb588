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
#include <portalis/wasi.h>

#include "cli.h"

typedef struct {
    const char *host, *guest;
} run_dir;

typedef struct {
    const char *invoke; /* --invoke NAME, or NULL for _start */
    run_dir *dirs;      /* --dir HOST[::GUEST], in order */
    int ndirs;
    const char **envs; /* --env NAME=VAL or --env NAME (inherit) */
    int nenvs;
    bool has_fuel;
    uint64_t fuel;             /* --fuel N */
    uint64_t max_memory_bytes; /* --max-memory-mb N (0 = no cap) */
    uint64_t timeout_ns;       /* --timeout DURATION (0 = none) */
    const char *timeout_text;
    uint32_t max_call_depth; /* --max-call-depth N (0 = engine default) */
    bool manual_resolve;     /* --dir-resolve=manual (testing the fallback walk) */
} run_options;

/* A runner gets the options, the target file and the arguments after it. */
typedef int (*run_target_fn)(const run_options *opt, const char *path, int argc, char **argv);

static int run_module(const run_options *opt, const char *path, int argc, char **argv);

/* Scenes (`portalis run SCENE.usda`) go to the scene runner (cmd_scene.c). */
static int run_scene(const run_options *opt, const char *path, int argc, char **argv) {
    (void)opt; /* the scene runner (cmd_scene.c) parses its own options after SCENE.usda */
    char **av = calloc((size_t)argc + 3, sizeof *av);
    if (!av)
        return 1;
    av[0] = "run", av[1] = (char *)path;
    memcpy(av + 2, argv, (size_t)argc * sizeof *av);
    int rc = cmd_scene_run(argc + 2, av);
    free(av);
    return rc;
}

static const struct {
    const char *suffix;
    run_target_fn run;
} run_targets[] = {
    {".usda", run_scene},
};

static void usage(FILE *f) {
    fprintf(f, "usage: portalis run [OPTIONS] MODULE.wasm [ARGS...]\n"
               "       portalis run SCENE.usda [SCENE OPTIONS]  (see portalis run SCENE.usda --help)\n\n"
               "Runs a WebAssembly module: calls the function named by --invoke with ARGS, parsed\n"
               "according to its parameter types (i32/i64: decimal, negative or unsigned; f32/f64:\n"
               "decimal or hex floats, inf, nan; funcref/externref: null), and prints each result\n"
               "on its own line (integers as signed decimal, floats with round-trip precision).\n"
               "Without --invoke, runs the exported _start function (a WASI command). A reactor's\n"
               "_initialize export runs first when --invoke is given.\n"
               "Modules importing wasi_snapshot_preview1 get a WASI context: ARGS as arguments\n"
               "(argv[0] is the module name), the --env variables, stdio, and the --dir\n"
               "directories, outside of which no path resolves. Import-free modules run as is.\n\n"
               "options (before the module):\n"
               "  --invoke NAME           the exported function to call\n"
               "  --dir HOST[::GUEST]     preopen directory HOST, seen by the guest as GUEST\n"
               "                          (default: HOST as written); repeatable\n"
               "  --env NAME=VAL          set a guest environment variable; --env NAME copies\n"
               "                          the host's value; repeatable\n"
               "  --fuel N                instruction budget; running out traps (out of fuel)\n"
               "  --max-memory-mb N       cap on each linear memory (memory.grow fails past it)\n"
               "  --timeout DURATION      wall-clock budget per call: 500ms, 2s, 1m, 250us, 10ns\n"
               "  --max-call-depth N      maximum nesting of wasm calls\n"
               "  --dir-resolve=manual    resolve guest paths by a component walk instead of\n"
               "                          openat2 (for testing the fallback)\n"
               "  -h, --help              this text\n\n"
               "exit status: the guest's proc_exit code; else 0 on success, 1 if the module fails\n"
               "to load or link, or traps (the trap and its backtrace go to stderr), 2 on usage\n"
               "errors.\n");
}

/* Parses an unsigned decimal number; false if not one. */
static bool parse_u64(const char *s, uint64_t *out) {
    if (!*s || *s < '0' || *s > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* "500ms", "2s", "1m", "1.5s", "250us", "10ns"; a bare number is seconds. */
static bool parse_duration(const char *s, uint64_t *ns) {
    char *end = NULL;
    errno = 0;
    if (!*s || *s == '-' || *s == '+')
        return false;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0) || isinf(v))
        return false;
    double mul;
    if (!*end || !strcmp(end, "s"))
        mul = 1e9;
    else if (!strcmp(end, "ms"))
        mul = 1e6;
    else if (!strcmp(end, "us"))
        mul = 1e3;
    else if (!strcmp(end, "ns"))
        mul = 1;
    else if (!strcmp(end, "m"))
        mul = 60e9;
    else if (!strcmp(end, "h"))
        mul = 3600e9;
    else
        return false;
    double t = v * mul;
    if (t >= 1.8e19)
        return false;
    *ns = (uint64_t)t;
    if (*ns == 0 && v > 0)
        *ns = 1;
    return true;
}

/* The value of option `name` at argv[*i] ("--name V" or "--name=V"), or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n])
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* True when argv names a scene before any module: the scene runner then
 * parses everything, so its options may come before or after the scene. */
static bool is_scene_run(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (n > 5 && !strcmp(argv[i] + n - 5, ".wasm"))
            return false;
        if (n > 5 && !strcmp(argv[i] + n - 5, ".usda"))
            return true;
    }
    return false;
}

int cmd_run(int argc, char **argv) {
    if (is_scene_run(argc, argv))
        return cmd_scene_run(argc, argv);
    run_options opt;
    memset(&opt, 0, sizeof opt);
    int status = 2;
    opt.dirs = calloc((size_t)argc + 1, sizeof *opt.dirs);
    opt.envs = calloc((size_t)argc + 1, sizeof *opt.envs);
    if (!opt.dirs || !opt.envs) {
        fprintf(stderr, "portalis run: out of memory\n");
        goto done;
    }
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            status = 0;
            goto done;
        } else if (!strcmp(a, "--invoke")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "portalis run: --invoke needs a function name\n");
                goto done;
            }
            opt.invoke = argv[++i];
        } else if (!strncmp(a, "--invoke=", 9)) {
            opt.invoke = a + 9;
        } else if ((v = opt_value(argc, argv, &i, "--dir", &missing))) {
            const char *sep = strstr(v, "::");
            run_dir *d = &opt.dirs[opt.ndirs++];
            if (sep) {
                /* HOST::GUEST: the host part is copied so it can be NUL-terminated */
                size_t hl = (size_t)(sep - v);
                char *h = malloc(hl + 1);
                if (!h) {
                    fprintf(stderr, "portalis run: out of memory\n");
                    opt.ndirs--;
                    goto done;
                }
                memcpy(h, v, hl);
                h[hl] = 0;
                d->host = h;
                d->guest = sep + 2;
            } else {
                d->host = v;
                d->guest = NULL;
            }
            if (!d->host[0] || (d->guest && !d->guest[0])) {
                fprintf(stderr, "portalis run: --dir %s: expected HOST or HOST::GUEST\n", v);
                goto done;
            }
        } else if ((v = opt_value(argc, argv, &i, "--env", &missing))) {
            if (!v[0] || v[0] == '=') {
                fprintf(stderr, "portalis run: --env %s: expected NAME=VALUE or NAME\n", v);
                goto done;
            }
            opt.envs[opt.nenvs++] = v;
        } else if ((v = opt_value(argc, argv, &i, "--fuel", &missing))) {
            if (!parse_u64(v, &opt.fuel)) {
                fprintf(stderr, "portalis run: --fuel %s: expected a non-negative integer\n", v);
                goto done;
            }
            opt.has_fuel = true;
        } else if ((v = opt_value(argc, argv, &i, "--max-memory-mb", &missing))) {
            uint64_t mb;
            if (!parse_u64(v, &mb) || mb > 65536) {
                fprintf(stderr, "portalis run: --max-memory-mb %s: expected an integer from 0 to 65536\n", v);
                goto done;
            }
            opt.max_memory_bytes = mb << 20;
            if (!mb)
                opt.max_memory_bytes = 1; /* 0 MB: no memory at all may be allocated */
        } else if ((v = opt_value(argc, argv, &i, "--timeout", &missing))) {
            if (!parse_duration(v, &opt.timeout_ns) || !opt.timeout_ns) {
                fprintf(stderr, "portalis run: --timeout %s: expected a positive duration such as 500ms, 2s or 1m\n",
                        v);
                goto done;
            }
            opt.timeout_text = v;
        } else if ((v = opt_value(argc, argv, &i, "--max-call-depth", &missing))) {
            uint64_t d;
            if (!parse_u64(v, &d) || d == 0 || d > UINT32_MAX) {
                fprintf(stderr, "portalis run: --max-call-depth %s: expected a positive integer\n", v);
                goto done;
            }
            opt.max_call_depth = (uint32_t)d;
        } else if ((v = opt_value(argc, argv, &i, "--dir-resolve", &missing))) {
            if (strcmp(v, "manual") && strcmp(v, "auto")) {
                fprintf(stderr, "portalis run: --dir-resolve %s: expected manual or auto\n", v);
                goto done;
            }
            opt.manual_resolve = !strcmp(v, "manual");
        } else if (missing) {
            fprintf(stderr, "portalis run: %s needs a value\n", a);
            goto done;
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "portalis run: unknown option %s\n", a);
            usage(stderr);
            goto done;
        } else {
            break;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "portalis run: no module given\n");
        usage(stderr);
        goto done;
    }
#ifndef PORTALIS_HAVE_FUEL_DEADLINE
    if (opt.has_fuel || opt.timeout_ns) {
        fprintf(stderr, "portalis run: %s is not available: this engine build has no fuel/deadline support\n",
                opt.has_fuel ? "--fuel" : "--timeout");
        goto done;
    }
#endif
    const char *path = argv[i];
    size_t plen = strlen(path);
    bool ran = false;
    for (size_t k = 0; k < sizeof run_targets / sizeof run_targets[0] && !ran; k++) {
        size_t slen = strlen(run_targets[k].suffix);
        if (plen >= slen && !strcmp(path + plen - slen, run_targets[k].suffix)) {
            status = run_targets[k].run(&opt, path, argc - i - 1, argv + i + 1);
            ran = true;
        }
    }
    if (!ran)
        status = run_module(&opt, path, argc - i - 1, argv + i + 1);
done:
    if (opt.dirs)
        for (int k = 0; k < opt.ndirs; k++)
            if (opt.dirs[k].guest)
                free((char *)opt.dirs[k].host);
    free(opt.dirs);
    free(opt.envs);
    return status;
}

/* ---- modules --------------------------------------------------------------- */

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

/* Prints a failed call or instantiation; returns the exit status. */
static int report_error(const run_options *opt, const char *path, pw_error *e) {
    int status = 1;
    if (pw_error_trap(e) == PW_TRAP_EXIT) {
        status = pw_error_exit_code(e);
    } else {
        fprintf(stderr, "portalis run: %s: %s\n", path, pw_error_message(e));
        switch (pw_error_trap(e)) {
        case PW_TRAP_OUT_OF_FUEL:
            fprintf(stderr, "portalis run: limit reached: out of fuel (--fuel %" PRIu64 ")\n", opt->fuel);
            break;
        case PW_TRAP_DEADLINE:
            fprintf(stderr, "portalis run: limit reached: deadline (--timeout %s)\n",
                    opt->timeout_text ? opt->timeout_text : "?");
            break;
        case PW_TRAP_STACK_EXHAUSTED:
            if (opt->max_call_depth)
                fprintf(stderr, "portalis run: limit reached: call stack exhausted (--max-call-depth %" PRIu32 ")\n",
                        opt->max_call_depth);
            break;
        default: break;
        }
    }
    pw_error_free(e);
    return status;
}

static int run_module(const run_options *opt, const char *path, int argc, char **argv) {
    int status = 1;
#ifdef PORTALIS_HAVE_FUEL_DEADLINE
    pw_engine_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.consume_fuel = opt->has_fuel;
    cfg.interruptible = opt->timeout_ns > 0;
    pw_engine *engine = pw_engine_new_with(&cfg);
#else
    pw_engine *engine = pw_engine_new();
#endif
    pw_store *store = NULL;
    pw_module *m = NULL;
    pwasi_ctx *wasi = NULL;
    pw_extern *imports = NULL;
    pw_val *args = NULL, *results = NULL;
    if (!engine) {
        fprintf(stderr, "portalis run: out of memory\n");
        return 1;
    }
    pw_error *e = pw_module_from_file(engine, path, &m);
    if (e) {
        fprintf(stderr, "portalis run: %s: %s\n", path, pw_error_message(e));
        pw_error_free(e);
        goto out;
    }
    store = pw_store_new(engine);
    if (!store) {
        fprintf(stderr, "portalis run: out of memory\n");
        goto out;
    }
    if (opt->max_memory_bytes)
        pw_store_set_memory_limit(store, opt->max_memory_bytes);
    if (opt->max_call_depth)
        pw_store_set_max_call_depth(store, opt->max_call_depth);
#ifdef PORTALIS_HAVE_FUEL_DEADLINE
    if (opt->has_fuel)
        pw_store_set_fuel(store, opt->fuel);
    if (opt->timeout_ns)
        pw_store_set_deadline(store, opt->timeout_ns);
#endif
    size_t nimports = pw_module_import_count(m);
    if (nimports > 0 || opt->ndirs || opt->nenvs) {
        /* WASI context: argv[0] is the module as named on the command line */
        wasi = pwasi_ctx_new();
        if (!wasi) {
            fprintf(stderr, "portalis run: out of memory\n");
            goto out;
        }
        pwasi_error *we = NULL;
        const char **wargv = calloc((size_t)argc + 1, sizeof *wargv);
        if (!wargv) {
            fprintf(stderr, "portalis run: out of memory\n");
            goto out;
        }
        wargv[0] = path;
        for (int k = 0; k < argc; k++)
            wargv[k + 1] = argv[k];
        we = pwasi_ctx_set_args(wasi, argc + 1, wargv);
        free(wargv);
        for (int k = 0; !we && k < opt->nenvs; k++) {
            const char *eq = strchr(opt->envs[k], '=');
            if (eq) {
                size_t nl = (size_t)(eq - opt->envs[k]);
                char *name = malloc(nl + 1);
                if (!name) {
                    fprintf(stderr, "portalis run: out of memory\n");
                    goto out;
                }
                memcpy(name, opt->envs[k], nl);
                name[nl] = 0;
                we = pwasi_ctx_set_env(wasi, name, eq + 1);
                free(name);
            } else {
                const char *hv = getenv(opt->envs[k]);
                if (hv)
                    we = pwasi_ctx_set_env(wasi, opt->envs[k], hv);
            }
        }
        pwasi_ctx_set_resolve_mode(wasi, opt->manual_resolve ? PWASI_RESOLVE_MANUAL : PWASI_RESOLVE_AUTO);
        for (int k = 0; !we && k < opt->ndirs; k++)
            we = pwasi_ctx_preopen_dir(wasi, opt->dirs[k].host, opt->dirs[k].guest);
        if (!we && nimports > 0)
            we = pwasi_link(wasi, store, m, NULL, 0, &imports);
        if (we) {
            fprintf(stderr, "portalis run: %s: %s\n", path, pwasi_error_message(we));
            pwasi_error_free(we);
            goto out;
        }
    }
    pw_instance *inst = NULL;
    e = pw_instance_new(store, m, imports, nimports, &inst);
    if (e) {
        status = report_error(opt, path, e);
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
                pw_extern_kind_name(ext.kind));
        status = 2;
        goto out;
    }
    pw_functype ft = pw_func_type(ext.of.func);
    if (opt->invoke && (uint32_t)argc != ft.nparams) {
        fprintf(stderr, "portalis run: %s expects %" PRIu32 " argument%s, got %d: ", fname, ft.nparams,
                ft.nparams == 1 ? "" : "s", argc);
        print_signature(stderr, fname, ft);
        fprintf(stderr, "\n");
        status = 2;
        goto out;
    }
    if (!opt->invoke && (ft.nparams || (!wasi && argc))) {
        /* _start takes no parameters: with WASI, ARGS are the guest's argv */
        fprintf(stderr, "portalis run: %s: _start takes %" PRIu32 " parameters; a command's _start takes none\n",
                path, ft.nparams);
        status = 2;
        goto out;
    }
    uint32_t nargs = opt->invoke ? ft.nparams : 0;
    args = calloc((size_t)nargs + 1, sizeof *args);
    results = calloc((size_t)ft.nresults + 1, sizeof *results);
    if (!args || !results) {
        fprintf(stderr, "portalis run: out of memory\n");
        goto out;
    }
    for (uint32_t k = 0; k < nargs; k++) {
        char err[256];
        if (!parse_arg(argv[k], ft.params[k], &args[k], err, sizeof err)) {
            fprintf(stderr, "portalis run: argument %" PRIu32 " of %s: %s\n", k + 1, fname, err);
            status = 2;
            goto out;
        }
    }
    if (opt->invoke && strcmp(fname, "_initialize")) {
        /* a reactor: _initialize first, then the requested export */
        e = pwasi_initialize(store, inst);
        if (e) {
            status = report_error(opt, path, e);
            goto out;
        }
    }
    e = pw_func_call(store, ext.of.func, args, nargs, results, ft.nresults);
    if (e) {
        status = report_error(opt, path, e);
        goto out;
    }
    for (uint32_t k = 0; k < ft.nresults; k++)
        print_result(&results[k]);
    status = 0;
out:
    fflush(stdout);
    free(args);
    free(results);
    free(imports);
    if (store)
        pw_store_free(store);
    pwasi_ctx_free(wasi);
    if (m)
        pw_module_free(m);
    pw_engine_free(engine);
    return status;
}
