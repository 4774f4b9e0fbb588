/* The portalis side of the differential test against node (scripts/difftest.sh).
 *
 *   diff_driver [--fuel N] [--canon-nan] FILE.wasm...
 *
 * Runs each module exactly as tests/diff/fuzz_node.js runs it in V8 and
 * prints the same lines (see that file): binaryen's `fuzzing-support`
 * logging imports, every exported function called in export order with zero
 * arguments after `hangLimitInitializer`, logged values, results and traps.
 * NaNs print as "nan" whatever their payload (the spec lets it differ).
 * --fuel N bounds each call (an engine with fuel metering); running out
 * prints "out of fuel", which node never prints, so the comparison fails
 * rather than hangs on a module that does not terminate.
 * --canon-nan turns the engine's NaN canonicalisation on and prints each NaN
 * with its bits ("f32 nan:0x7fc00000"): difftest.sh compares those bits
 * between two translations of the engine, and only "nan" with node.
 * --tier interp|native|auto picks the tier (default interp); --bits prints
 * NaN bits without canonicalising; --show-fuel prints the fuel left after
 * each call: scripts/difftier.sh compares the tiers bit for bit, fuel
 * included. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/engine.h>

/* Log lines of the current call; printed once the call has returned (a call
 * that exhausts the stack drops them, as the node side does). */
typedef struct {
    char *text;
    size_t len, cap;
} logbuf;

static void log_line(logbuf *b, const char *line) {
    size_t n = strlen(line);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *t = realloc(b->text, cap);
        if (!t) {
            fprintf(stderr, "diff_driver: out of memory\n");
            exit(1);
        }
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, line, n);
    b->len += n;
    b->text[b->len++] = '\n';
}

static void flush_log(logbuf *b, bool print) {
    if (print && b->len)
        fwrite(b->text, 1, b->len, stdout);
    b->len = 0;
}

static bool nan_bits;  /* --canon-nan, --bits: NaNs print their bits too */
static bool show_fuel; /* --show-fuel: the fuel left after each call */

static void show(char *out, size_t n, const pw_val *v) {
    const char *k = pw_valkind_name(v->kind);
    uint32_t u32;
    uint64_t u64;
    switch (v->kind) {
    case PW_I32: snprintf(out, n, "i32 %" PRId32, v->of.i32); return;
    case PW_I64: snprintf(out, n, "i64 %" PRId64, v->of.i64); return;
    case PW_F32:
        memcpy(&u32, &v->of.f32, 4);
        if (isnan(v->of.f32))
            snprintf(out, n, nan_bits ? "f32 nan:0x%08" PRIx32 : "f32 nan", u32);
        else
            snprintf(out, n, "f32 0x%08" PRIx32, u32);
        return;
    case PW_F64:
        memcpy(&u64, &v->of.f64, 8);
        if (isnan(v->of.f64))
            snprintf(out, n, nan_bits ? "f64 nan:0x%016" PRIx64 : "f64 nan", u64);
        else
            snprintf(out, n, "f64 0x%016" PRIx64, u64);
        return;
    case PW_FUNCREF: snprintf(out, n, "%s %s", k, v->of.funcref ? "ref" : "null"); return;
    case PW_EXTERNREF: snprintf(out, n, "%s %s", k, v->of.externref ? "ref" : "null"); return;
    case PW_V128:
        snprintf(out, n, "v128 0x%016" PRIx64 "%016" PRIx64, v->of.v128.u64[1], v->of.v128.u64[0]);
        return;
    }
    snprintf(out, n, "%s ?", k);
}

static pw_error *log_value(pw_caller *caller, void *user, const pw_val *args, pw_val *results) {
    (void)caller;
    (void)results;
    char line[96] = "log ";
    show(line + 4, sizeof line - 4, &args[0]);
    log_line(user, line);
    return NULL;
}

static const char *const log_names[] = {"log-i32", "log-i64", "log-f32", "log-f64", "log-v128"};
static const pw_valkind log_kinds[] = {PW_I32, PW_I64, PW_F32, PW_F64, PW_V128};

/* The fuzzing-support import for import i, or false (printing why) if the
 * module needs anything else. */
static bool make_imports(pw_store *st, const pw_module *m, logbuf *log, pw_extern *imports) {
    for (size_t i = 0; i < pw_module_import_count(m); i++) {
        const char *mod, *name;
        pw_externtype t;
        pw_module_import(m, i, &mod, &name, &t);
        int k = -1;
        for (int j = 0; j < 5 && !strcmp(mod, "fuzzing-support") && t.kind == PW_EXTERN_FUNC; j++)
            if (!strcmp(name, log_names[j]))
                k = j;
        if (k < 0) {
            printf("skip import %s.%s\n", mod, name);
            return false;
        }
        imports[i].kind = PW_EXTERN_FUNC;
        imports[i].of.func = pw_func_new(st, &log_kinds[k], 1, NULL, 0, log_value, log, NULL);
    }
    return true;
}

/* Prints the end of a failed call; false if the module stops here. */
static bool report(pw_error *e, logbuf *log, const char *what) {
    pw_trap_kind k = pw_error_trap(e);
    pw_error_free(e);
    if (k == PW_TRAP_STACK_EXHAUSTED) {
        flush_log(log, false);
        printf("stack exhausted\n");
        return false;
    }
    flush_log(log, true);
    printf("%s\n", k == PW_TRAP_OUT_OF_FUEL ? "out of fuel" : what);
    return true;
}

/* Calls every exported function in order; false once the stack ran out. */
static bool call_exports(pw_store *st, const pw_module *m, pw_instance *inst, logbuf *log, uint64_t fuel) {
    pw_func *hang = pw_instance_func(inst, "hangLimitInitializer");
    for (size_t i = 0; i < pw_module_export_count(m); i++) {
        const char *name;
        pw_externtype t;
        pw_module_export(m, i, &name, &t);
        if (t.kind != PW_EXTERN_FUNC || !strcmp(name, "hangLimitInitializer"))
            continue;
        printf("call %s\n", name);
        pw_val args[64], results[64];
        if (t.func.nparams > 64 || t.func.nresults > 64) {
            printf("skip unsupported type\n");
            continue;
        }
        for (uint32_t k = 0; k < t.func.nparams; k++) {
            memset(&args[k], 0, sizeof args[k]);
            args[k].kind = t.func.params[k];
        }
        if (fuel)
            pw_store_set_fuel(st, fuel);
        pw_error *e = hang ? pw_func_call(st, hang, NULL, 0, NULL, 0) : NULL;
        if (!e)
            e = pw_func_call(st, pw_instance_func(inst, name), args, t.func.nparams, results, t.func.nresults);
        if (e) {
            if (!report(e, log, "trap"))
                return false;
            if (show_fuel)
                printf("fuel %" PRIu64 "\n", pw_store_fuel(st));
            continue;
        }
        flush_log(log, true);
        for (uint32_t k = 0; k < t.func.nresults; k++) {
            char line[96];
            show(line, sizeof line, &results[k]);
            printf("result %s\n", line);
        }
        if (show_fuel)
            printf("fuel %" PRIu64 "\n", pw_store_fuel(st));
    }
    return true;
}

static void run_module(pw_engine *engine, const char *path, uint64_t fuel) {
    const char *base = strrchr(path, '/');
    printf("module %s\n", base ? base + 1 : path);
    pw_module *m = NULL;
    pw_error *e = pw_module_from_file(engine, path, &m);
    if (e) {
        fprintf(stderr, "%s: %s\n", path, pw_error_message(e));
        pw_error_free(e);
        printf("skip invalid module\n");
        return;
    }
    logbuf log = {NULL, 0, 0};
    pw_store *st = pw_store_new(engine);
    pw_extern *imports = calloc(pw_module_import_count(m) + 1, sizeof *imports);
    pw_instance *inst = NULL;
    if (st && imports && make_imports(st, m, &log, imports)) {
        if (fuel)
            pw_store_set_fuel(st, fuel);
        e = pw_instance_new(st, m, imports, pw_module_import_count(m), &inst);
        if (e)
            report(e, &log, "instantiate trap");
        else
            call_exports(st, m, inst, &log, fuel);
    }
    fflush(stdout);
    free(log.text);
    free(imports);
    if (st)
        pw_store_free(st);
    pw_module_free(m);
}

#define USAGE                                                                                                    \
    "usage: diff_driver [--fuel N (positive)] [--canon-nan] [--bits] [--show-fuel] [--tier T] FILE.wasm...\n"

int main(int argc, char **argv) {
    uint64_t fuel = 0;
    bool canon = false;
    pw_tier_kind tier = PW_TIER_INTERP;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--canon-nan") || !strcmp(argv[i], "--bits")) {
            canon |= argv[i][2] == 'c';
            nan_bits = true;
            continue;
        }
        if (!strcmp(argv[i], "--show-fuel")) {
            show_fuel = true;
            continue;
        }
        if (!strcmp(argv[i], "--tier") && i + 1 < argc && pw_tier_parse(argv[i + 1], &tier)) {
            i++;
            continue;
        }
        char *end = NULL;
        if (strcmp(argv[i], "--fuel") || i + 1 >= argc || !(fuel = strtoull(argv[++i], &end, 10)) || *end) {
            fprintf(stderr, USAGE);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, USAGE);
        return 2;
    }
    pw_engine_config cfg = {
        .consume_fuel = fuel > 0, .interruptible = false, .canonicalize_nans = canon, .tier = tier};
    pw_engine *engine = pw_engine_new_with(&cfg);
    if (!engine)
        return 1;
    for (; i < argc; i++)
        run_module(engine, argv[i], fuel);
    pw_engine_free(engine);
    return 0;
}
