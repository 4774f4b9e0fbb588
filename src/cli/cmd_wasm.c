/* `portalis validate` and `portalis inspect`: static views of a module. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/engine.h>

#include "cli.h"

static void validate_usage(FILE *f) {
    fprintf(f,
            "usage: portalis validate MODULE.wasm\n\n"
            "Decodes and validates a WebAssembly module (and translates its functions).\n"
            "Prints \"valid\" and exits 0, or prints the error and exits 1 (also for WebAssembly\n"
            "text, USD files and anything but a regular file of at most %zu MiB); 2 on usage errors.\n",
            CLI_MAX_MODULE_BYTES >> 20);
}

static void inspect_usage(FILE *f) {
    fprintf(f, "usage: portalis inspect [--code FUNC|NAME|all] MODULE.wasm\n\n"
               "Lists a module's imports and exports with their types, its function count,\n"
               "binary and translated code sizes, custom sections and name (from the name section).\n"
               "--code FUNC also prints the interpreter code of function FUNC - an index, a name\n"
               "from the name section or an exported function's name - or of every defined\n"
               "function with 'all': each instruction, its operand words and the wasm offset it\n"
               "came from.\n"
               "Exits 1 if the module does not load, 2 on usage errors (including a FUNC that is\n"
               "not a defined function of the module).\n");
}

/* Parses the single MODULE argument shared by both commands. Returns the path,
 * NULL after --help (with *status 0) or on a usage error (*status 2). */
static const char *one_module_arg(int argc, char **argv, void (*usage)(FILE *), int *status) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            *status = 0;
            return NULL;
        }
        if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--")) {
            fprintf(stderr, "portalis %s: unknown option %s\n", argv[0], argv[i]);
            usage(stderr);
            *status = 2;
            return NULL;
        }
        if (!strcmp(argv[i], "--") && i + 1 < argc)
            i++;
        if (path) {
            fprintf(stderr, "portalis %s: expected one module, got several\n", argv[0]);
            usage(stderr);
            *status = 2;
            return NULL;
        }
        path = argv[i];
    }
    if (!path) {
        usage(stderr);
        *status = 2;
    }
    return path;
}

int cmd_validate(int argc, char **argv) {
    int status = 0;
    const char *path = one_module_arg(argc, argv, validate_usage, &status);
    if (!path)
        return status;
    pw_engine *engine = pw_engine_new();
    pw_module *m = NULL;
    if (!engine || !cli_load_module(engine, "validate", path, &m, NULL, NULL)) {
        pw_engine_free(engine);
        return CLI_EXIT_LOAD;
    }
    printf("valid\n");
    pw_module_free(m);
    pw_engine_free(engine);
    return 0;
}

/* ---- inspect ------------------------------------------------------------- */

static void print_valkinds(const pw_valkind *k, uint32_t n) {
    printf("(");
    for (uint32_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", pw_valkind_name(k[i]));
    printf(")");
}

static void print_limits(pw_limits l) {
    if (l.has_max)
        printf("%" PRIu32 "..%" PRIu32, l.min, l.max);
    else
        printf("%" PRIu32 "..", l.min);
}

static void print_externtype(const pw_externtype *t) {
    switch (t->kind) {
    case PW_EXTERN_FUNC:
        printf("func   ");
        print_valkinds(t->func.params, t->func.nparams);
        printf(" -> ");
        print_valkinds(t->func.results, t->func.nresults);
        break;
    case PW_EXTERN_TABLE:
        printf("table  %s, ", pw_valkind_name(t->elem));
        print_limits(t->limits);
        printf(" elements");
        break;
    case PW_EXTERN_MEMORY:
        printf("memory ");
        print_limits(t->limits);
        printf(" pages");
        break;
    case PW_EXTERN_GLOBAL: printf("global %s%s", t->mut ? "mut " : "", pw_valkind_name(t->valtype)); break;
    }
}

/* Prints a name with non-printable bytes escaped. */
static void print_name(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\%02x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static bool read_u32(const uint8_t *d, size_t len, size_t *pos, uint32_t *out) {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*pos >= len)
            return false;
        uint8_t c = d[(*pos)++];
        v |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Finds the record `id` among the (id byte, u32 size, content) records
 * from start: the sections of a validated binary (start 8, after the header),
 * or the subsections of a custom section (start 0). Its offset and size. */
static bool find_section(const uint8_t *b, size_t len, size_t start, uint8_t id, size_t *at, size_t *size) {
    size_t pos = start;
    while (pos < len) {
        uint8_t sid = b[pos++];
        uint32_t n;
        if (!read_u32(b, len, &pos, &n) || n > len - pos)
            return false;
        if (sid == id) {
            *at = pos;
            *size = n;
            return true;
        }
        pos += n;
    }
    return false;
}

/* The module name: subsection 0 of the `name` custom section. */
static bool module_name(const pw_module *m, const char **name, size_t *len) {
    size_t n = pw_module_custom_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *cname;
        const uint8_t *d;
        size_t dlen, at, size;
        if (!pw_module_custom(m, i, &cname, &d, &dlen) || strcmp(cname, "name") ||
            !find_section(d, dlen, 0, 0, &at, &size))
            continue;
        uint32_t nlen;
        size_t p = at;
        if (!read_u32(d, at + size, &p, &nlen) || nlen > at + size - p)
            return false;
        *name = (const char *)d + p;
        *len = nlen;
        return true;
    }
    return false;
}

/* The function index of the function export `name` (the engine's API gives
 * export types, not indices, so the validated binary's export section is
 * read here). */
static bool export_func_index(const uint8_t *b, size_t len, const char *name, uint32_t *out) {
    size_t pos, size, nlen = strlen(name);
    uint32_t count;
    if (!find_section(b, len, 8, 7, &pos, &size))
        return false;
    size_t end = pos + size;
    if (!read_u32(b, end, &pos, &count))
        return false;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t sl, idx;
        if (!read_u32(b, end, &pos, &sl) || sl > end - pos || end - pos - sl < 1)
            return false;
        const uint8_t *s = b + pos;
        pos += sl;
        uint8_t kind = b[pos++];
        if (!read_u32(b, end, &pos, &idx))
            return false;
        if (kind == 0 && sl == nlen && !memcmp(s, name, nlen)) {
            *out = idx;
            return true;
        }
    }
    return false;
}

/* --code FUNC: a defined function's index, its name-section name or its
 * export name. False after printing why FUNC names none. */
static bool find_code_func(const pw_module *m, const uint8_t *bytes, size_t len, const char *what,
                           uint32_t *out) {
    size_t nfuncs = 0, bin = 0, code = 0, imported = 0;
    pw_module_sizes(m, &nfuncs, &bin, &code);
    for (size_t i = 0; i < pw_module_import_count(m); i++) {
        const char *mod, *name;
        pw_externtype t;
        if (pw_module_import(m, i, &mod, &name, &t) && t.kind == PW_EXTERN_FUNC)
            imported++;
    }
    uint64_t idx;
    bool by_index = cli_parse_u64(what, 0, UINT32_MAX, &idx);
    for (uint32_t f = 0; !by_index && f < imported + nfuncs; f++) {
        const char *n = pw_module_func_name(m, f);
        if (n && !strcmp(n, what))
            idx = f, by_index = true;
    }
    uint32_t e;
    if (!by_index && export_func_index(bytes, len, what, &e))
        idx = e, by_index = true;
    if (!by_index) {
        fprintf(stderr,
                "portalis inspect: --code %s: no function of that index or name (functions %zu to %zu are "
                "defined)\n",
                what, imported, imported + nfuncs - (nfuncs > 0));
        return false;
    }
    if (idx < imported || idx >= imported + nfuncs) {
        fprintf(stderr,
                "portalis inspect: --code %s: function %" PRIu64 " %s; defined functions are %zu to %zu\n", what,
                idx, idx < imported ? "is imported and has no code" : "does not exist", imported,
                imported + nfuncs - (nfuncs > 0));
        return false;
    }
    *out = (uint32_t)idx;
    return true;
}

int cmd_inspect(int argc, char **argv) {
    int status = 0;
    /* --code FUNC is inspect's own option; the rest is the shared MODULE parsing */
    const char *code = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return 1;
    int nrest = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--code")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "portalis inspect: --code needs a function index or 'all'\n");
                free(rest);
                return 2;
            }
            code = argv[++i];
            continue;
        }
        rest[nrest++] = argv[i];
    }
    const char *path = one_module_arg(nrest, rest, inspect_usage, &status);
    free(rest);
    if (!path)
        return status;
    size_t file_size = 0;
    uint8_t *bytes = NULL;
    pw_engine *engine = pw_engine_new();
    pw_module *m = NULL;
    if (!engine || !cli_load_module(engine, "inspect", path, &m, &bytes, &file_size)) {
        pw_engine_free(engine);
        return CLI_EXIT_LOAD;
    }
    uint32_t code_func = 0;
    bool code_all = code && !strcmp(code, "all");
    if (code && !code_all && !find_code_func(m, bytes, file_size, code, &code_func)) {
        pw_module_free(m);
        pw_engine_free(engine);
        free(bytes);
        return CLI_EXIT_USAGE;
    }
    size_t nfuncs = 0, binary_bytes = 0, code_translated = 0;
    pw_module_sizes(m, &nfuncs, &binary_bytes, &code_translated);
    size_t code_at = 0, code_bin = 0;
    if (!find_section(bytes, file_size, 8, 10, &code_at, &code_bin))
        code_bin = 0;
    free(bytes);
    size_t nimports = pw_module_import_count(m), nexports = pw_module_export_count(m);
    size_t imported_funcs = 0;
    for (size_t i = 0; i < nimports; i++) {
        const char *mod, *name;
        pw_externtype t;
        if (pw_module_import(m, i, &mod, &name, &t) && t.kind == PW_EXTERN_FUNC)
            imported_funcs++;
    }

    printf("module:          %s\n", path);
    const char *mname;
    size_t mlen;
    if (module_name(m, &mname, &mlen))
        printf("name:            %.*s\n", (int)mlen, mname);
    else
        printf("name:            (none)\n");
    printf("binary size:     %zu bytes\n", file_size);
    printf("functions:       %zu defined, %zu imported\n", nfuncs, imported_funcs);
    printf("code size:       %zu bytes in the code section, %zu bytes translated\n", code_bin, code_translated);

    printf("imports (%zu):\n", nimports);
    for (size_t i = 0; i < nimports; i++) {
        const char *mod, *name;
        pw_externtype t;
        if (!pw_module_import(m, i, &mod, &name, &t))
            continue;
        printf("  ");
        print_name(mod);
        printf(" ");
        print_name(name);
        printf(": ");
        print_externtype(&t);
        printf("\n");
    }
    printf("exports (%zu):\n", nexports);
    for (size_t i = 0; i < nexports; i++) {
        const char *name;
        pw_externtype t;
        if (!pw_module_export(m, i, &name, &t))
            continue;
        printf("  ");
        print_name(name);
        printf(": ");
        print_externtype(&t);
        printf("\n");
    }
    size_t ncustom = pw_module_custom_count(m);
    printf("custom sections (%zu):\n", ncustom);
    for (size_t i = 0; i < ncustom; i++) {
        const char *name;
        const uint8_t *data;
        size_t len;
        if (!pw_module_custom(m, i, &name, &data, &len))
            continue;
        printf("  ");
        print_name(name);
        printf(": %zu bytes\n", len);
    }
    if (code) {
        uint32_t first = code_all ? (uint32_t)imported_funcs : code_func;
        uint32_t last = code_all ? (uint32_t)(imported_funcs + nfuncs) : code_func + 1;
        for (uint32_t f = first; f < last; f++) {
            const char *fname = pw_module_func_name(m, f);
            printf("\n%s%s%s", fname ? "; " : "", fname ? fname : "", fname ? "\n" : "");
            pw_module_disassemble(m, f, stdout);
        }
    }
    pw_module_free(m);
    pw_engine_free(engine);
    return 0;
}
