/* `portalis run`: runs a WebAssembly module or a scene.
 *
 *   portalis run [OPTIONS] FILE [ARGS...]
 *
 * Options come before FILE and ARGS after it, as in wasmtime; `--` ends the
 * options. FILE is the first argument that is neither an option nor an
 * option's value, and its content (not its name) decides how it runs: a
 * binary module here, a USD text scene in the scene runner (cmd_scene.c),
 * which then parses the whole command line itself so its options may also
 * follow the scene. Options of one kind of run given to the other are
 * refused with a message naming both.
 */
#include <ctype.h>
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
    const char *argv0;  /* --argv0 NAME: the guest's argv[0] (default: FILE as given) */
    run_dir *dirs;      /* --dir HOST[::GUEST], in order */
    int ndirs;
    const char **envs; /* --env NAME=VAL or --env NAME (inherit) */
    int nenvs;
    bool has_fuel;
    uint64_t fuel;             /* --fuel N, -W fuel=N */
    uint64_t max_memory_bytes; /* --max-memory-mb N, -W max-memory-size=BYTES (0: PW_DEFAULT_MEMORY_CAP) */
    uint64_t timeout_ns;       /* --timeout DURATION, -W timeout=DURATION (0 = none) */
    char timeout_text[40];     /* as given, for the "limit reached" message */
    uint32_t max_call_depth;   /* --max-call-depth N (0 = engine default) */
    bool manual_resolve;       /* --dir-resolve=manual (testing the fallback walk) */
    pw_tier_kind tier;         /* --tier interp|native|auto */
    bool canonicalize_nans;    /* -W nan-canonicalization: deterministic NaN bits */
} run_options;

/* Options of module runs (those of scene runs are cmd_scene.c's; the names
 * below only let the dispatcher skip their values while looking for FILE). */
typedef struct {
    const char *name;
    bool takes_value;
} run_option_name;

static const run_option_name module_options[] = {
    {"--invoke", true},  {"--argv0", true},          {"--dir", true},
    {"--env", true},     {"--fuel", true},           {"--max-memory-mb", true},
    {"--timeout", true}, {"--max-call-depth", true}, {"--dir-resolve", true},
    {"-W", true},        {"--wasm", true},           {"--tier", true},
};

/* Keep in step with cmd_scene_run's options (a scene run test covers each). */
static const run_option_name scene_options[] = {
    {"--frames", true},    {"--fps", true},       {"-o", true},     {"--output", true},  {"--threads", true},
    {"--report", true},    {"--budget-ms", true}, {"--fuel", true}, {"--trigger", true}, {"--event", true},
    {"--realtime", false}, {"--quiet", false},    {"--tier", true},
};

static int run_module(const run_options *opt, const char *path, int argc, char **argv);

static void usage(FILE *f) {
    fprintf(f,
            "usage: portalis run [OPTIONS] MODULE.wasm [ARGS...]\n"
            "       portalis run SCENE.usda [SCENE OPTIONS]  (see portalis run SCENE.usda --help)\n\n"
            "Runs a WebAssembly module: calls the function named by --invoke with ARGS, parsed\n"
            "according to its parameter types (i32/i64: decimal, negative or unsigned; f32/f64:\n"
            "decimal or hex floats, inf, nan; funcref/externref: null), and prints each result\n"
            "on its own line (integers as signed decimal, floats with round-trip precision).\n"
            "Without --invoke, runs the exported _start function (a WASI command). A reactor's\n"
            "_initialize export runs first when --invoke is given.\n"
            "Modules importing wasi_snapshot_preview1 get a WASI context: ARGS as arguments\n"
            "(argv[0] is the module as named, or --argv0), the --env variables, stdio, and the\n"
            "--dir directories, outside of which no path resolves. Import-free modules run as is.\n"
            "What FILE is comes from its content, not its name: a USD text scene runs in the\n"
            "scene runner; WebAssembly text (.wat) is converted with wabt's wat2wasm when it\n"
            "is installed; binary USD (.usdc) is refused with the command that converts it.\n"
            "FILE must be a regular file of at most %zu MiB.\n\n"
            "options (before the module; -- ends them):\n"
            "  --invoke NAME           the exported function to call\n"
            "  --argv0 NAME            the guest's argv[0] (default: MODULE as written)\n"
            "  --dir HOST[::GUEST]     preopen directory HOST, seen by the guest as GUEST\n"
            "                          (default: HOST as written); repeatable\n"
            "  --env NAME=VAL          set a guest environment variable; --env NAME copies\n"
            "                          the host's value; repeatable\n"
            "  --fuel N                instruction budget; running out traps (out of fuel)\n"
            "  --max-memory-mb N       cap on each linear memory (memory.grow fails past it);\n"
            "                          default %llu, at most 4096\n"
            "  --timeout DURATION      wall-clock budget per call: 500ms, 2s, 1m, 250us, 10ns\n"
            "  --max-call-depth N      maximum nesting of wasm calls\n"
            "  --tier interp|native|auto  who runs the code: the interpreter (default), native\n"
            "                          code through the system C compiler (cached; see\n"
            "                          docs/aot.md), or the interpreter until native code is\n"
            "                          ready; MODULE may be a .pwo from 'portalis compile'\n"
            "  -W KEY=VAL[,KEY=VAL..]  wasmtime's spellings of the limits (-W help lists them):\n"
            "                          fuel=N, timeout=DURATION, max-memory-size=BYTES,\n"
            "                          nan-canonicalization\n"
            "  --dir-resolve=manual    resolve guest paths by a component walk instead of\n"
            "                          openat2 (for testing the fallback)\n"
            "  -h, --help              this text\n\n"
            "exit status:\n"
            "  0    success (or the guest's proc_exit code, whatever it is)\n"
            "  1    MODULE cannot be read, decoded, validated or linked\n"
            "  2    usage error (bad option or value, no such export, wrong arguments)\n"
            "  134  the module trapped (as wasmtime); the trap and its backtrace go to stderr\n",
            CLI_MAX_MODULE_BYTES >> 20, (unsigned long long)(PW_DEFAULT_MEMORY_CAP >> 20));
}

static void wasm_option_help(FILE *f) {
    fprintf(f, "-W KEY=VAL[,KEY=VAL...] (also --wasm KEY=VAL), wasmtime's names for portalis limits:\n"
               "  fuel=N                 the same as --fuel N\n"
               "  timeout=DURATION       the same as --timeout DURATION (1, 2s, 100ms, ...)\n"
               "  max-memory-size=BYTES  cap on each linear memory in bytes (memory.grow fails past it)\n"
               "  nan-canonicalization[=y|n]  every NaN produced by float arithmetic is the\n"
               "                         canonical one, so results are bit-identical across machines\n"
               "Other wasmtime -W keys have no portalis equivalent and are refused.\n");
}

static const run_option_name *find_option(const run_option_name *t, size_t n, const char *a) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a, t[i].name))
            return &t[i];
    return NULL;
}
#define FIND_OPTION(table, a) find_option(table, sizeof table / sizeof table[0], a)

/* Where FILE is in argv and which kinds of option come before it. */
typedef struct {
    int file;                /* index of FILE, or -1 */
    int dashdash;            /* index of the "--" ending the options, or -1 */
    const char *module_only; /* first option only module runs have */
    const char *scene_only;  /* first option only scene runs have */
    const char *unknown;     /* first option neither kind has */
    bool help;               /* -h/--help before FILE */
    bool wasm_help;          /* -W help */
} run_scan;

static run_scan scan_run_args(int argc, char **argv) {
    run_scan s = {-1, -1, NULL, NULL, NULL, false, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            s.dashdash = i;
            s.file = i + 1 < argc ? i + 1 : -1;
            return s;
        }
        if (a[0] != '-' || !a[1]) {
            s.file = i;
            return s;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            s.help = true;
            continue;
        }
        /* "--name=value" and "-Wkey=value" carry their value */
        char name[64];
        size_t n = strcspn(a, "=");
        if (!strncmp(a, "-W", 2) && a[2])
            n = 2;
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), a);
        const run_option_name *m = FIND_OPTION(module_options, name), *sc = FIND_OPTION(scene_options, name);
        if (m && !sc && !s.module_only)
            s.module_only = a;
        if (sc && !m && !s.scene_only)
            s.scene_only = a;
        const run_option_name *o = m ? m : sc;
        if (!o && !s.unknown)
            s.unknown = a;
        const char *value = a[n] ? a + n + (a[n] == '=') : i + 1 < argc ? argv[i + 1] : "";
        if (m && (!strcmp(m->name, "-W") || !strcmp(m->name, "--wasm")) && !strcmp(value, "help"))
            s.wasm_help = true;
        if (o && o->takes_value && !a[n] && i + 1 < argc)
            i++;
    }
    return s;
}

/* What FILE is: by content; by name only when it does not exist (so the
 * runner for that kind reports the missing file in its own words). */
static bool classify_target(const char *path, cli_file_kind *kind) {
    char err[4200];
    bool missing = false;
    if (cli_sniff_file(path, kind, &missing, err, sizeof err))
        return true;
    if (!missing) {
        fprintf(stderr, "portalis run: %s\n", err);
        return false;
    }
    size_t n = strlen(path);
    bool usd = (n > 5 && !strcmp(path + n - 5, ".usda")) || (n > 4 && !strcmp(path + n - 4, ".usd"));
    *kind = usd ? CLI_FILE_USDA : CLI_FILE_WASM;
    return true;
}

/* `run --dir X scene.usda mod.wasm`: the module must come first, its
 * arguments after it; say so when a later argument is a module. */
static void module_first_hint(int argc, char **argv, int file) {
    for (int i = file + 1; i < argc; i++) {
        cli_file_kind k;
        bool missing;
        char err[64];
        if (cli_sniff_file(argv[i], &k, &missing, err, sizeof err) && k == CLI_FILE_WASM) {
            fprintf(stderr,
                    "portalis run: to run the module %s, name it first: portalis run [OPTIONS] %s [ARGS...]\n",
                    argv[i], argv[i]);
            return;
        }
    }
}

/* Runs the scene runner on argv without the "--" (it parses all of argv). */
static int run_scene(int argc, char **argv, int dashdash) {
    if (dashdash < 0)
        return cmd_scene_run(argc, argv);
    char **av = calloc((size_t)argc, sizeof *av);
    if (!av) {
        fprintf(stderr, "portalis run: out of memory\n");
        return CLI_EXIT_LOAD;
    }
    int n = 0;
    for (int i = 0; i < argc; i++)
        if (i != dashdash)
            av[n++] = argv[i];
    int rc = cmd_scene_run(n, av);
    free(av);
    return rc;
}

static int parse_module_options(int argc, char **argv, int end, run_options *opt);

int cmd_run(int argc, char **argv) {
    run_scan s = scan_run_args(argc, argv);
    if (s.help) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (s.wasm_help) {
        wasm_option_help(stdout);
        return CLI_EXIT_OK;
    }
    if (s.file < 0 && s.unknown) {
        fprintf(stderr,
                "portalis run: unknown option %s (see portalis run --help; a file whose name starts with "
                "'-' goes after --)\n",
                s.unknown);
        return CLI_EXIT_USAGE;
    }
    if (s.file < 0) {
        fprintf(stderr, "portalis run: no module or scene given\n");
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *path = argv[s.file];
    cli_file_kind kind;
    if (!classify_target(path, &kind))
        return CLI_EXIT_LOAD;
    if (kind == CLI_FILE_USDC || kind == CLI_FILE_USDZ) {
        fprintf(stderr, "portalis run: %s: %s\n", path, cli_not_a_module(kind));
        return CLI_EXIT_LOAD;
    }
    if (kind == CLI_FILE_USDA) {
        if (s.module_only) {
            fprintf(stderr,
                    "portalis run: %s is an option of module runs, but %s is a USD scene (scene options: "
                    "portalis run SCENE --help)\n",
                    s.module_only, path);
            module_first_hint(argc, argv, s.file);
            return CLI_EXIT_USAGE;
        }
        return run_scene(argc, argv, s.dashdash);
    }
    if (s.scene_only) {
        fprintf(stderr, "portalis run: %s is an option of scene runs, but %s is not a USD scene\n", s.scene_only,
                path);
        return CLI_EXIT_USAGE;
    }
    run_options opt;
    memset(&opt, 0, sizeof opt);
    int status = CLI_EXIT_USAGE;
    opt.dirs = calloc((size_t)argc + 1, sizeof *opt.dirs);
    opt.envs = calloc((size_t)argc + 1, sizeof *opt.envs);
    if (!opt.dirs || !opt.envs)
        fprintf(stderr, "portalis run: out of memory\n");
    else if (parse_module_options(argc, argv, s.dashdash >= 0 ? s.dashdash : s.file, &opt))
        status = run_module(&opt, path, argc - s.file - 1, argv + s.file + 1);
    if (opt.dirs)
        for (int k = 0; k < opt.ndirs; k++)
            if (opt.dirs[k].guest)
                free((char *)opt.dirs[k].host);
    free(opt.dirs);
    free(opt.envs);
    return status;
}

/* ---- module options --------------------------------------------------------- */

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

static bool set_fuel(run_options *opt, const char *how, const char *v) {
    if (!cli_parse_u64(v, 0, UINT64_MAX, &opt->fuel)) {
        fprintf(stderr, "portalis run: bad value for %s: '%s' (expected an integer from 0 to %" PRIu64 ")\n", how,
                v, UINT64_MAX);
        return false;
    }
    opt->has_fuel = true;
    return true;
}

static bool set_timeout(run_options *opt, const char *how, const char *v) {
    if (!cli_parse_duration(v, &opt->timeout_ns) || !opt->timeout_ns) {
        fprintf(stderr,
                "portalis run: bad value for %s: '%s' (expected a positive duration such as 500ms, 2s or 1m)\n",
                how, v);
        return false;
    }
    snprintf(opt->timeout_text, sizeof opt->timeout_text, "%s", v);
    return true;
}

/* Memory caps are bytes of one 32-bit linear memory: at most 4 GiB. */
static bool set_memory_cap(run_options *opt, const char *how, const char *v, uint64_t unit) {
    uint64_t n, max = (UINT64_C(1) << 32) / unit;
    if (!cli_parse_u64(v, 0, max, &n)) {
        fprintf(stderr, "portalis run: bad value for %s: '%s' (expected an integer from 0 to %" PRIu64 ")\n", how,
                v, max);
        return false;
    }
    /* 0: no memory at all may be allocated (0 itself means "engine default") */
    opt->max_memory_bytes = n ? n * unit : 1;
    return true;
}

/* A -W switch: "key" or "key=y|yes|true|n|no|false" as wasmtime spells them. */
static bool set_flag(bool *flag, const char *how, const char *v) {
    static const char *const on[] = {"y", "yes", "true"}, *const off[] = {"n", "no", "false"};
    for (int i = 0; i < 3; i++) {
        if (!v || !strcmp(v, on[i])) {
            *flag = true;
            return true;
        }
        if (!strcmp(v, off[i])) {
            *flag = false;
            return true;
        }
    }
    fprintf(stderr, "portalis run: bad value for %s: '%s' (expected y, n, yes, no, true or false)\n", how, v);
    return false;
}

/* -W KEY=VAL[,KEY=VAL...]: wasmtime's spellings of the limits. */
static bool parse_wasm_option(run_options *opt, const char *list) {
    char *copy = strdup(list);
    if (!copy) {
        fprintf(stderr, "portalis run: out of memory\n");
        return false;
    }
    bool ok = true;
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv && ok; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = 0;
        char how[80];
        snprintf(how, sizeof how, "-W %.60s", kv);
        if (!strcmp(kv, "fuel"))
            ok = set_fuel(opt, how, val);
        else if (!strcmp(kv, "timeout"))
            ok = set_timeout(opt, how, val);
        else if (!strcmp(kv, "max-memory-size"))
            ok = set_memory_cap(opt, how, val, 1);
        else if (!strcmp(kv, "nan-canonicalization"))
            ok = set_flag(&opt->canonicalize_nans, how, eq ? val : NULL);
        else {
            fprintf(stderr,
                    "portalis run: -W %s: not a portalis option (supported: fuel, timeout, "
                    "max-memory-size, nan-canonicalization; -W help describes them)\n",
                    kv);
            ok = false;
        }
    }
    free(copy);
    return ok;
}

static bool add_dir(run_options *opt, const char *v) {
    const char *sep = strstr(v, "::");
    run_dir *d = &opt->dirs[opt->ndirs++];
    d->host = v;
    d->guest = NULL;
    if (sep) {
        /* HOST::GUEST: the host part is copied so it can be NUL-terminated */
        char *h = strndup(v, (size_t)(sep - v));
        if (!h) {
            fprintf(stderr, "portalis run: out of memory\n");
            opt->ndirs--;
            return false;
        }
        d->host = h;
        d->guest = sep + 2;
    }
    if (!d->host[0] || (d->guest && !d->guest[0])) {
        fprintf(stderr, "portalis run: --dir %s: expected HOST or HOST::GUEST\n", v);
        return false;
    }
    return true;
}

/* One option at argv[*i]; false after printing why it is not valid. */
static bool parse_module_option(int argc, char **argv, int *i, run_options *opt) {
    const char *a = argv[*i], *v;
    bool missing = false;
    if ((v = opt_value(argc, argv, i, "--invoke", &missing)))
        opt->invoke = v;
    else if ((v = opt_value(argc, argv, i, "--argv0", &missing)))
        opt->argv0 = v;
    else if ((v = opt_value(argc, argv, i, "--dir", &missing)))
        return add_dir(opt, v);
    else if ((v = opt_value(argc, argv, i, "--env", &missing))) {
        if (!v[0] || v[0] == '=') {
            fprintf(stderr, "portalis run: --env %s: expected NAME=VALUE or NAME\n", v);
            return false;
        }
        opt->envs[opt->nenvs++] = v;
    } else if ((v = opt_value(argc, argv, i, "--fuel", &missing)))
        return set_fuel(opt, "--fuel", v);
    else if ((v = opt_value(argc, argv, i, "--max-memory-mb", &missing)))
        return set_memory_cap(opt, "--max-memory-mb", v, UINT64_C(1) << 20);
    else if ((v = opt_value(argc, argv, i, "--timeout", &missing)))
        return set_timeout(opt, "--timeout", v);
    else if ((v = opt_value(argc, argv, i, "--max-call-depth", &missing))) {
        uint64_t d;
        if (!cli_parse_u64(v, 1, UINT32_MAX, &d)) {
            fprintf(stderr,
                    "portalis run: bad value for --max-call-depth: '%s' (expected an integer from 1 to %" PRIu32
                    ")\n",
                    v, UINT32_MAX);
            return false;
        }
        opt->max_call_depth = (uint32_t)d;
    } else if ((v = opt_value(argc, argv, i, "--tier", &missing))) {
        if (!cli_parse_tier(v, &opt->tier)) {
            fprintf(stderr, "portalis run: --tier %s: expected interp, native or auto\n", v);
            return false;
        }
    } else if ((v = opt_value(argc, argv, i, "--dir-resolve", &missing))) {
        if (strcmp(v, "manual") && strcmp(v, "auto")) {
            fprintf(stderr, "portalis run: --dir-resolve %s: expected manual or auto\n", v);
            return false;
        }
        opt->manual_resolve = !strcmp(v, "manual");
    } else if ((v = opt_value(argc, argv, i, "--wasm", &missing)) ||
               (v = opt_value(argc, argv, i, "-W", &missing)))
        return parse_wasm_option(opt, v);
    else if (!strncmp(a, "-W", 2) && a[2])
        return parse_wasm_option(opt, a + 2);
    else if (missing) {
        fprintf(stderr, "portalis run: %s needs a value\n", a);
        return false;
    } else {
        fprintf(stderr, "portalis run: unknown option %s (see portalis run --help)\n", a);
        return false;
    }
    return true;
}

/* Parses argv[1..end); false after printing why not. */
static int parse_module_options(int argc, char **argv, int end, run_options *opt) {
    for (int i = 1; i < end; i++)
        if (!parse_module_option(end, argv, &i, opt))
            return false;
    (void)argc;
    return true;
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

/* A v128 argument as wasmtime takes it: the vector as one unsigned 128-bit
 * integer (lane 0 in the low bits), in decimal or 0x-prefixed hex. */
static bool parse_v128(const char *s, pw_v128 *out) {
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned __int128 v = 0, base = hex ? 16 : 10;
    const char *p = hex ? s + 2 : s;
    if (!*p)
        return false;
    for (; *p; p++) {
        int d = isdigit((unsigned char)*p)           ? *p - '0'
                : hex && isxdigit((unsigned char)*p) ? tolower(*p) - 'a' + 10
                                                     : -1;
        if (d < 0 || v > (~(unsigned __int128)0 - (unsigned)d) / base)
            return false;
        v = v * base + (unsigned)d;
    }
    out->u64[0] = (uint64_t)v;
    out->u64[1] = (uint64_t)(v >> 64);
    return true;
}

/* Prints a v128 result as wasmtime does: one unsigned 128-bit decimal. */
static void print_v128(const pw_v128 *x) {
    unsigned __int128 v = (unsigned __int128)x->u64[1] << 64 | x->u64[0];
    char buf[48];
    size_t n = sizeof buf;
    buf[--n] = '\0';
    do {
        buf[--n] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    printf("%s\n", buf + n);
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
    case PW_V128:
        if (parse_v128(s, &out->of.v128))
            return true;
        snprintf(err, errn, "'%s' is not a valid v128 (an unsigned 128-bit integer, decimal or 0x hex)", s);
        return false;
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
    case PW_V128: print_v128(&v->of.v128); return;
    }
    printf("(%s)\n", pw_valkind_name(v->kind));
}

/* Prints a failed call or instantiation; returns the exit status. */
static int report_error(const run_options *opt, const char *path, pw_error *e) {
    int status = pw_error_kind_of(e) == PW_ERR_TRAP ? CLI_EXIT_TRAP : CLI_EXIT_LOAD;
    if (pw_error_trap(e) == PW_TRAP_EXIT) {
        status = pw_error_exit_code(e);
    } else {
        fprintf(stderr, "portalis run: %s: %s\n", path, pw_error_message(e));
        switch (pw_error_trap(e)) {
        case PW_TRAP_OUT_OF_FUEL:
            fprintf(stderr, "portalis run: limit reached: out of fuel (--fuel %" PRIu64 ")\n", opt->fuel);
            break;
        case PW_TRAP_DEADLINE:
            fprintf(stderr, "portalis run: limit reached: deadline (--timeout %s)\n", opt->timeout_text);
            break;
        case PW_TRAP_STACK_EXHAUSTED:
            if (opt->max_call_depth)
                fprintf(stderr,
                        "portalis run: limit reached: call stack exhausted (--max-call-depth %" PRIu32 ")\n",
                        opt->max_call_depth);
            break;
        default: break;
        }
    }
    pw_error_free(e);
    return status;
}

/* --env NAME=VALUE, or NAME: the host's value when it has one. False when
 * out of memory; *we is WASI's refusal. */
static bool set_env(pwasi_ctx *wasi, const char *spec, pwasi_error **we) {
    const char *eq = strchr(spec, '=');
    if (!eq) {
        const char *hv = getenv(spec);
        *we = hv ? pwasi_ctx_set_env(wasi, spec, hv) : NULL;
        return true;
    }
    size_t nl = (size_t)(eq - spec);
    char *name = malloc(nl + 1);
    if (!name)
        return false;
    memcpy(name, spec, nl);
    name[nl] = 0;
    *we = pwasi_ctx_set_env(wasi, name, eq + 1);
    free(name);
    return true;
}

/* The WASI context of a module run (argv[0] is the module as named on the
 * command line, or --argv0; --env; --dir) with the module's imports linked
 * to it. Prints why and returns false on failure. */
static bool setup_wasi(const run_options *opt, const char *path, int argc, char **argv, pw_store *store,
                       pw_module *m, pwasi_ctx **wasi, pw_extern **imports) {
    *wasi = pwasi_ctx_new();
    const char **wargv = *wasi ? calloc((size_t)argc + 1, sizeof *wargv) : NULL;
    if (!wargv) {
        fprintf(stderr, "portalis run: out of memory\n");
        return false;
    }
    wargv[0] = opt->argv0 ? opt->argv0 : path;
    for (int k = 0; k < argc; k++)
        wargv[k + 1] = argv[k];
    pwasi_error *we = pwasi_ctx_set_args(*wasi, argc + 1, wargv);
    free(wargv);
    for (int k = 0; !we && k < opt->nenvs; k++)
        if (!set_env(*wasi, opt->envs[k], &we)) {
            fprintf(stderr, "portalis run: out of memory\n");
            return false;
        }
    pwasi_ctx_set_resolve_mode(*wasi, opt->manual_resolve ? PWASI_RESOLVE_MANUAL : PWASI_RESOLVE_AUTO);
    for (int k = 0; !we && k < opt->ndirs; k++)
        we = pwasi_ctx_preopen_dir(*wasi, opt->dirs[k].host, opt->dirs[k].guest);
    if (!we && pw_module_import_count(m) > 0)
        we = pwasi_link(*wasi, store, m, NULL, 0, imports);
    if (we) {
        fprintf(stderr, "portalis run: %s: %s\n", path, pwasi_error_message(we));
        pwasi_error_free(we);
        return false;
    }
    return true;
}

static int run_module(const run_options *opt, const char *path, int argc, char **argv) {
    int status = CLI_EXIT_LOAD;
    pw_engine_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.consume_fuel = opt->has_fuel;
    cfg.interruptible = opt->timeout_ns > 0;
    cfg.tier = opt->tier;
    cfg.canonicalize_nans = opt->canonicalize_nans;
    pw_engine *engine = pw_engine_new_with(&cfg);
    pw_store *store = NULL;
    pw_module *m = NULL;
    pwasi_ctx *wasi = NULL;
    pw_extern *imports = NULL;
    pw_val *args = NULL, *results = NULL;
    if (!engine) {
        fprintf(stderr, "portalis run: out of memory\n");
        return 1;
    }
    if (!cli_load_module(engine, "run", path, &m, NULL, NULL))
        goto out;
    const char *tier_note;
    pw_module_tier(m, &tier_note); /* --tier auto with no compiler: say so once */
    if (tier_note)
        fprintf(stderr, "portalis run: %s\n", tier_note);
    pw_error *e = NULL;
    store = pw_store_new(engine);
    if (!store) {
        fprintf(stderr, "portalis run: out of memory\n");
        goto out;
    }
    /* a cap even when none is given, so a module growing memory without
     * bound fails its memory.grow instead of taking the machine's memory */
    pw_store_set_memory_limit(store, opt->max_memory_bytes ? opt->max_memory_bytes : PW_DEFAULT_MEMORY_CAP);
    if (opt->max_call_depth)
        pw_store_set_max_call_depth(store, opt->max_call_depth);
    if (opt->has_fuel)
        pw_store_set_fuel(store, opt->fuel);
    if (opt->timeout_ns)
        pw_store_set_deadline(store, opt->timeout_ns);
    size_t nimports = pw_module_import_count(m);
    if ((nimports > 0 || opt->ndirs || opt->nenvs) &&
        !setup_wasi(opt, path, argc, argv, store, m, &wasi, &imports))
        goto out;
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
