/* fuzz_modules: robustness test of the engine against malformed and hostile
 * modules.
 *
 * Takes the `module` binaries of several non-SIMD spec scripts (converted by
 * spec_runner into SPEC_JSON_DIR/<script>/), and derives a fixed number of
 * variants from them with a fixed seed: truncations, bit flips, byte
 * replacements and corruptions of section headers. Each variant is loaded
 * with pw_module_new by two engines, a plain one and one with fuel metering
 * (their translations differ); each must either reject it with a proper
 * error of the same kind, or both load it. A loaded variant is inspected
 * through the whole module API, instantiated (start function included) with
 * dummy host objects of the right types, and every exported function is
 * called with zero arguments. Mutated bodies may loop forever, so execution
 * runs on the fuel engine with a fuel budget per call: running out is a trap
 * like any other. The seeds themselves run first, the same way. An alarm
 * turns a hang into a reported failure.
 *
 * Prints `N passed, M failed`; a crash or sanitizer report fails the test.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portalis/engine.h>

#include "../wasm/fuzz/dummy_imports.h"

/* Scripts whose modules are the seeds: a mix of every section kind, imports,
 * segments of all modes, reference types, names and custom sections. */
static const char *const seed_scripts[] = {
    "address",     "binary-leb128", "block",         "br_table",    "bulk",      "call",       "call_indirect",
    "conversions", "custom",        "data",          "elem",        "exports",   "f32",        "f64_cmp",
    "fac",         "float_exprs",   "func",          "func_ptrs",   "global",    "i32",        "i64",
    "if",          "imports",       "left-to-right", "linking",     "loop",      "memory",     "memory_copy",
    "memory_fill", "memory_grow",   "memory_init",   "memory_trap", "names",     "ref_func",   "ref_is_null",
    "ref_null",    "return",        "select",        "start",       "switch",    "table",      "table_copy",
    "table_fill",  "table_get",     "table_grow",    "table_init",  "table_set", "table_size", "traps",
    "unwind",
};

typedef struct {
    char *name; /* "i32/i32.3.wasm" */
    uint8_t *bytes;
    size_t len;
} seed;

/* Description of the variant being run, for the alarm handler. */
static char current_desc[256];

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "fuzz_modules: TIMEOUT (a call or instantiation did not finish): ";
    ssize_t r = write(2, msg, sizeof msg - 1);
    r = write(2, current_desc, strlen(current_desc));
    r = write(2, "\n", 1);
    (void)r;
    _exit(3);
}

static uint64_t rng_state;

static uint64_t rnd(void) {
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint8_t *read_bin(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static char *read_text(const char *path) {
    size_t len;
    uint8_t *b = read_bin(path, &len);
    if (b)
        b[len] = 0;
    return (char *)b;
}

/* Walks the section headers of a binary. Calls back with (id, payload offset,
 * payload size); stops at the first malformed header. */
typedef struct {
    size_t off, size;
    uint8_t id;
} section;

static bool read_leb32(const uint8_t *b, size_t len, size_t *pos, uint32_t *out) {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*pos >= len)
            return false;
        uint8_t c = b[(*pos)++];
        v |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static size_t list_sections(const uint8_t *b, size_t len, section *out, size_t max) {
    size_t n = 0, pos = 8;
    while (pos < len && n < max) {
        uint8_t id = b[pos++];
        uint32_t size;
        size_t hdr = pos - 1;
        (void)hdr;
        if (!read_leb32(b, len, &pos, &size) || size > len - pos)
            break;
        out[n].id = id;
        out[n].off = pos;
        out[n].size = size;
        n++;
        pos += size;
    }
    return n;
}

/* ---- checks --------------------------------------------------------------- */

typedef struct {
    long passed, failed;
    long rejected_malformed, rejected_invalid, rejected_other, loaded, instantiated, inst_failed, calls, traps;
    bool verbose;
} stats;

static void fail(stats *st, const char *what, const pw_error *e) {
    st->failed++;
    printf("FAIL %s: %s", current_desc, what);
    if (e)
        printf(" (error kind %d: %s)", (int)pw_error_kind_of(e),
               pw_error_message(e) ? pw_error_message(e) : "NULL");
    printf("\n");
}

static bool error_ok(const pw_error *e) {
    const char *m = pw_error_message(e);
    const char *s = pw_error_summary(e);
    return m && s && *m && *s;
}

/* Reads everything the module API exposes; returns false on an inconsistency. */
static bool inspect(const pw_module *m, const char **why) {
    size_t ni = pw_module_import_count(m);
    for (size_t i = 0; i < ni; i++) {
        const char *mod, *name;
        pw_externtype t;
        if (!pw_module_import(m, i, &mod, &name, &t) || !mod || !name) {
            *why = "pw_module_import failed within the import count";
            return false;
        }
    }
    size_t ne = pw_module_export_count(m);
    for (size_t i = 0; i < ne; i++) {
        const char *name;
        pw_externtype t;
        if (!pw_module_export(m, i, &name, &t) || !name) {
            *why = "pw_module_export failed within the export count";
            return false;
        }
    }
    size_t nc = pw_module_custom_count(m);
    for (size_t i = 0; i < nc; i++) {
        const char *name;
        const uint8_t *data;
        size_t len;
        if (!pw_module_custom(m, i, &name, &data, &len) || !name) {
            *why = "pw_module_custom failed within the custom section count";
            return false;
        }
    }
    size_t nfuncs, bin, code;
    pw_module_sizes(m, &nfuncs, &bin, &code);
    for (uint32_t i = 0; i < nfuncs + ni && i < 100000; i++)
        (void)pw_module_func_name(m, i);
    return true;
}

/* Fuel per call (and for instantiation): ample for the spec modules' own
 * functions, small enough to stop an endless loop quickly. */
#define FUEL_PER_CALL 2000000u

static void run_variant(pw_engine *plain, pw_engine *engine, stats *st, const uint8_t *bytes, size_t len) {
    /* The plain engine must agree with the fuel engine on acceptance. */
    pw_module *pm = NULL;
    pw_error *pe = pw_module_new(plain, bytes, len, &pm);
    pw_module *m = NULL;
    pw_error *e = pw_module_new(engine, bytes, len, &m);
    bool agree = (!pe && !e) || (pe && e && pw_error_kind_of(pe) == pw_error_kind_of(e));
    if (!agree) {
        fail(st, "the plain and the fuel engine disagree on this module", pe ? pe : e);
        if (pe)
            pw_error_free(pe);
        if (e)
            pw_error_free(e);
        pw_module_free(pm);
        pw_module_free(m);
        return;
    }
    if (pe)
        pw_error_free(pe);
    if (pm) {
        const char *why = NULL;
        if (!inspect(pm, &why)) {
            fail(st, why, NULL);
            pw_module_free(pm);
            pw_module_free(m);
            return;
        }
        pw_module_free(pm);
    }
    if (e) {
        pw_error_kind k = pw_error_kind_of(e);
        if (k == PW_ERR_MALFORMED)
            st->rejected_malformed++;
        else if (k == PW_ERR_INVALID)
            st->rejected_invalid++;
        else
            st->rejected_other++;
        if ((k == PW_ERR_MALFORMED || k == PW_ERR_INVALID || k == PW_ERR_RESOURCE || k == PW_ERR_LIMIT) &&
            error_ok(e))
            st->passed++;
        else
            fail(st, "pw_module_new returned an unexpected error", e);
        pw_error_free(e);
        return;
    }
    if (!m) {
        fail(st, "pw_module_new returned neither an error nor a module", NULL);
        return;
    }
    st->loaded++;
    const char *why = NULL;
    if (!inspect(m, &why)) {
        fail(st, why, NULL);
        pw_module_free(m);
        return;
    }
    pw_store *store = pw_store_new(engine);
    pw_store_set_memory_limit(store, 64u << 20);
    pw_store_set_fuel(store, FUEL_PER_CALL);
    size_t ni = pw_module_import_count(m);
    pw_extern *imports = calloc(ni + 1, sizeof *imports);
    bool linkable = imports != NULL;
    /* dummy functions return zeros, never trap; no huge minimum sizes */
    dummy_config dummies = {.trap_every = 0, .max_memory_pages = 256, .max_table = 100000};
    for (size_t i = 0; i < ni && linkable; i++) {
        const char *mod, *name;
        pw_externtype t;
        linkable = pw_module_import(m, i, &mod, &name, &t) && dummy_import(store, &t, &dummies, &imports[i]);
    }
    bool ok = true;
    if (linkable) {
        pw_instance *inst = NULL;
        e = pw_instance_new(store, m, imports, ni, &inst);
        if (e) {
            st->inst_failed++;
            pw_error_kind k = pw_error_kind_of(e);
            if (!((k == PW_ERR_LINK || k == PW_ERR_TRAP || k == PW_ERR_RESOURCE) && error_ok(e))) {
                fail(st, "pw_instance_new returned an unexpected error", e);
                ok = false;
            }
            pw_error_free(e);
        } else if (!inst) {
            fail(st, "pw_instance_new returned neither an error nor an instance", NULL);
            ok = false;
        } else {
            st->instantiated++;
            size_t n = pw_instance_export_count(inst);
            for (size_t i = 0; i < n && ok; i++) {
                const char *name;
                pw_extern ext;
                if (!pw_instance_export_at(inst, i, &name, &ext)) {
                    fail(st, "pw_instance_export_at failed within the export count", NULL);
                    ok = false;
                    break;
                }
                if (ext.kind != PW_EXTERN_FUNC)
                    continue;
                pw_functype ft = pw_func_type(ext.of.func);
                pw_val *args = calloc(ft.nparams + 1, sizeof *args);
                pw_val *res = calloc(ft.nresults + 1, sizeof *res);
                for (uint32_t a = 0; a < ft.nparams; a++)
                    args[a] = dummy_zero(ft.params[a]);
                st->calls++;
                pw_store_set_fuel(store, FUEL_PER_CALL);
                size_t dl = strlen(current_desc);
                snprintf(current_desc + dl, sizeof current_desc - dl, ", calling \"%s\"", name);
                e = pw_func_call(store, ext.of.func, args, ft.nparams, res, ft.nresults);
                if (e) {
                    st->traps++;
                    if (!(pw_error_kind_of(e) == PW_ERR_TRAP && error_ok(e))) {
                        fail(st, "call returned an unexpected error", e);
                        ok = false;
                    }
                    pw_error_free(e);
                }
                current_desc[dl] = 0;
                free(args);
                free(res);
            }
        }
    }
    if (ok)
        st->passed++;
    free(imports);
    pw_store_free(store);
    pw_module_free(m);
}

/* ---- seeds ---------------------------------------------------------------- */

static void load_seeds(pw_engine *engine, const char *dir, seed **out, size_t *count, size_t *rejected) {
    seed *seeds = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sizeof seed_scripts / sizeof seed_scripts[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/%s.json", dir, seed_scripts[i], seed_scripts[i]);
        char *text = read_text(path);
        if (!text) {
            fprintf(stderr, "fuzz_modules: warning: cannot read %s\n", path);
            continue;
        }
        cJSON *root = cJSON_Parse(text);
        free(text);
        const cJSON *cmd;
        cJSON_ArrayForEach(cmd, cJSON_GetObjectItemCaseSensitive(root, "commands")) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(cmd, "type");
            const cJSON *file = cJSON_GetObjectItemCaseSensitive(cmd, "filename");
            if (!cJSON_IsString(type) || strcmp(type->valuestring, "module") || !cJSON_IsString(file))
                continue;
            snprintf(path, sizeof path, "%s/%s/%s", dir, seed_scripts[i], file->valuestring);
            size_t len;
            uint8_t *b = read_bin(path, &len);
            if (!b)
                continue;
            /* Only seeds the engine accepts: mutations of them probe deeper. */
            pw_module *m = NULL;
            pw_error *e = pw_module_new(engine, b, len, &m);
            if (e) {
                /* A spec `module` the engine rejects: the spec test reports it. */
                (*rejected)++;
                pw_error_free(e);
                free(b);
                continue;
            }
            pw_module_free(m);
            seeds = realloc(seeds, (n + 1) * sizeof *seeds);
            if (!seeds)
                abort();
            char name[256];
            snprintf(name, sizeof name, "%s/%s", seed_scripts[i], file->valuestring);
            seeds[n].name = strdup(name);
            seeds[n].bytes = b;
            seeds[n].len = len;
            n++;
        }
        cJSON_Delete(root);
    }
    *out = seeds;
    *count = n;
}

int main(int argc, char **argv) {
    long variants = 4000;
    uint64_t seed_value = 0x5eed2024;
    unsigned timeout = 30;
    bool verbose = false;
    bool originals = true;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--variants") && i + 1 < argc)
            variants = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed_value = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-v"))
            verbose = true;
        else if (!strcmp(argv[i], "--no-originals"))
            originals = false;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: fuzz_modules [--variants N] [--seed S] [--timeout SEC] [--no-originals] [-v] "
                   "SPEC_JSON_DIR\n"
                   "Runs every seed module unmutated (all exports called with zero arguments), then loads, "
                   "instantiates and runs truncated and bit-flipped variants of the spec test\n"
                   "modules converted by `spec_runner` into SPEC_JSON_DIR (one folder per script).\n");
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "fuzz_modules: unknown option %s\n", argv[i]);
            return 2;
        } else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: fuzz_modules [--variants N] [--seed S] [-v] SPEC_JSON_DIR\n");
        return 2;
    }
    signal(SIGALRM, on_alarm);
    pw_engine *plain = pw_engine_new();
    pw_engine_config cfg = {.consume_fuel = true, .interruptible = false};
    pw_engine *engine = pw_engine_new_with(&cfg);
    seed *seeds;
    size_t nseeds, nrejected = 0;
    load_seeds(engine, dir, &seeds, &nseeds, &nrejected);
    if (!nseeds) {
        fprintf(stderr, "fuzz_modules: no seed modules found under %s (run spec_runner --convert-only first)\n",
                dir);
        pw_engine_free(engine);
        pw_engine_free(plain);
        return 2;
    }
    printf("%zu seed modules from %zu scripts", nseeds, sizeof seed_scripts / sizeof seed_scripts[0]);
    if (nrejected)
        printf(" (%zu more rejected by the engine: see the spec test)", nrejected);
    printf("\n");
    fflush(stdout);

    stats st;
    memset(&st, 0, sizeof st);
    st.verbose = verbose;
    /* The seeds themselves first: every export called with zero arguments. */
    long seeds_run = 0;
    for (size_t i = 0; i < nseeds && originals; i++) {
        snprintf(current_desc, sizeof current_desc, "seed %s (unmutated)", seeds[i].name);
        if (verbose) {
            printf("%s\n", current_desc);
            fflush(stdout);
        }
        alarm(timeout);
        run_variant(plain, engine, &st, seeds[i].bytes, seeds[i].len);
        alarm(0);
        seeds_run++;
    }
    rng_state = seed_value;
    size_t cap = 0;
    uint8_t *buf = NULL;
    for (long v = 0; v < variants; v++) {
        const seed *sd = &seeds[rnd() % nseeds];
        if (cap < sd->len) {
            cap = sd->len;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        memcpy(buf, sd->bytes, sd->len);
        size_t len = sd->len;
        const char *how;
        char detail[96];
        switch (rnd() % 5) {
        case 0: /* truncation */
            len = (size_t)(rnd() % sd->len);
            how = "truncated";
            snprintf(detail, sizeof detail, "to %zu bytes", len);
            break;
        case 1: { /* 1 to 4 bit flips anywhere */
            int n = 1 + (int)(rnd() % 4);
            for (int k = 0; k < n; k++) {
                size_t at = (size_t)(rnd() % len);
                buf[at] ^= (uint8_t)(1u << (rnd() % 8));
            }
            how = "bit-flipped";
            snprintf(detail, sizeof detail, "%d bits", n);
            break;
        }
        case 2: { /* one byte replaced by an interesting value */
            static const uint8_t vals[] = {0x00, 0xff, 0x80, 0x7f, 0x01, 0x40, 0x0b, 0x41};
            size_t at = (size_t)(rnd() % len);
            uint64_t r = rnd();
            buf[at] = (r & 1) ? vals[(r >> 1) % sizeof vals] : (uint8_t)(r >> 8);
            how = "byte-replaced";
            snprintf(detail, sizeof detail, "at %zu", at);
            break;
        }
        case 3: { /* corrupt a section header (id or size) */
            section s[64];
            size_t n = list_sections(sd->bytes, sd->len, s, 64);
            how = "header-corrupted";
            if (!n || len <= 8) {
                buf[rnd() % len] ^= 0x80;
                snprintf(detail, sizeof detail, "fallback");
                break;
            }
            const section *sec = &s[rnd() % n];
            /* The size LEB starts right after the id byte; find the id byte. */
            size_t id_at = 8;
            for (size_t k = 0; k < n; k++) {
                if (&s[k] == sec)
                    break;
                id_at = s[k].off + s[k].size;
            }
            size_t at = id_at + (size_t)(rnd() % (sec->off - id_at + 1));
            if (at >= len)
                at = len - 1;
            buf[at] ^= (uint8_t)(1u << (rnd() % 8));
            snprintf(detail, sizeof detail, "section %u at %zu", sec->id, at);
            break;
        }
        default: { /* a small run of random bytes inside the payload of a section */
            size_t at = (size_t)(rnd() % len);
            size_t n = 1 + (size_t)(rnd() % 8);
            for (size_t k = 0; k < n && at + k < len; k++)
                buf[at + k] = (uint8_t)rnd();
            how = "overwritten";
            snprintf(detail, sizeof detail, "%zu bytes at %zu", n, at);
            break;
        }
        }
        snprintf(current_desc, sizeof current_desc, "variant %ld: %s %s %s", v, sd->name, how, detail);
        if (verbose) {
            printf("%s\n", current_desc);
            fflush(stdout);
        }
        alarm(timeout);
        long failed_before = st.failed;
        run_variant(plain, engine, &st, buf, len);
        alarm(0);
        if (st.failed != failed_before)
            fflush(stdout);
    }
    free(buf);
    for (size_t i = 0; i < nseeds; i++) {
        free(seeds[i].name);
        free(seeds[i].bytes);
    }
    free(seeds);
    pw_engine_free(engine);
    pw_engine_free(plain);
    printf("%ld seeds run unmutated, %ld variants: %ld rejected as malformed, %ld as invalid, %ld otherwise; %ld "
           "loaded, %ld instantiated "
           "(%ld failed to instantiate), %ld calls (%ld trapped)\n",
           seeds_run, variants, st.rejected_malformed, st.rejected_invalid, st.rejected_other, st.loaded,
           st.instantiated, st.inst_failed, st.calls, st.traps);
    printf("%ld passed, %ld failed\n", st.passed, st.failed);
    return st.failed ? 1 : 0;
}
