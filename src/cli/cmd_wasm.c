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
    fprintf(f, "usage: portalis validate MODULE.wasm\n\n"
               "Decodes and validates a WebAssembly module (and translates its functions).\n"
               "Prints \"valid\" and exits 0, or prints the error and exits 1.\n");
}

static void inspect_usage(FILE *f) {
    fprintf(f, "usage: portalis inspect [--code FUNC|all] MODULE.wasm\n\n"
               "Lists a module's imports and exports with their types, its function count,\n"
               "binary and translated code sizes, custom sections and name (from the name section).\n"
               "--code FUNC also prints the interpreter code of function index FUNC (or of every\n"
               "defined function with 'all'): each instruction, its operand words and the wasm\n"
               "offset it came from.\n"
               "Exits 1 if the module does not load.\n");
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
    pw_error *e = pw_module_from_file(engine, path, &m);
    if (e) {
        fprintf(stderr, "%s: %s\n", path, pw_error_message(e));
        pw_error_free(e);
        pw_engine_free(engine);
        return 1;
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
    case PW_EXTERN_GLOBAL:
        printf("global %s%s", t->mut ? "mut " : "", pw_valkind_name(t->valtype));
        break;
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

/* The module name: subsection 0 of the `name` custom section. */
static bool module_name(const pw_module *m, const char **name, size_t *len) {
    size_t n = pw_module_custom_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *cname;
        const uint8_t *d;
        size_t dlen;
        if (!pw_module_custom(m, i, &cname, &d, &dlen) || strcmp(cname, "name"))
            continue;
        size_t pos = 0;
        while (pos < dlen) {
            uint8_t id = d[pos++];
            uint32_t size;
            if (!read_u32(d, dlen, &pos, &size) || size > dlen - pos)
                return false;
            if (id == 0) {
                size_t p = pos;
                uint32_t nlen;
                if (!read_u32(d, pos + size, &p, &nlen) || nlen > pos + size - p)
                    return false;
                *name = (const char *)d + p;
                *len = nlen;
                return true;
            }
            pos += size;
        }
    }
    return false;
}

/* Size of the code section (id 10) of a binary, or 0. */
static size_t code_section_size(const uint8_t *b, size_t len) {
    size_t pos = 8;
    while (pos < len) {
        uint8_t id = b[pos++];
        uint32_t size;
        if (!read_u32(b, len, &pos, &size) || size > len - pos)
            return 0;
        if (id == 10)
            return size;
        pos += size;
    }
    return 0;
}

static uint8_t *read_whole_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *b = malloc(cap);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    if (b && ferror(f)) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = n;
    return b;
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
    uint32_t code_func = 0;
    bool code_all = code && !strcmp(code, "all");
    if (code && !code_all) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(code, &end, 10);
        if (errno || *end || end == code || v > UINT32_MAX) {
            fprintf(stderr, "portalis inspect: --code expects a function index or 'all', got '%s'\n", code);
            return 2;
        }
        code_func = (uint32_t)v;
    }
    size_t file_size = 0;
    uint8_t *bytes = read_whole_file(path, &file_size);
    if (!bytes) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        return 1;
    }
    pw_engine *engine = pw_engine_new();
    pw_module *m = NULL;
    pw_error *e = pw_module_new(engine, bytes, file_size, &m);
    if (e) {
        fprintf(stderr, "%s: %s\n", path, pw_error_message(e));
        pw_error_free(e);
        pw_engine_free(engine);
        free(bytes);
        return 1;
    }
    size_t nfuncs = 0, binary_bytes = 0, code_translated = 0;
    pw_module_sizes(m, &nfuncs, &binary_bytes, &code_translated);
    size_t code_bin = code_section_size(bytes, file_size);
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
