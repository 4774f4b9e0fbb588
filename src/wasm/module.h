/* Internal representation of a decoded WebAssembly module.
 *
 * decode.c fills a wm_module from the binary format (every section, in the
 * order and with the checks the spec's binary format requires); compile.c
 * validates each function body and translates it to interpreter code;
 * runtime.c instantiates it. Nothing here is public: the embedding API in
 * include/portalis/engine.h hides it behind pw_module.
 *
 * Ownership: a wm_module owns a private copy of the input bytes (`bytes`);
 * every pointer into the binary (names, bodies, data segments, custom
 * sections) points into that copy, so it lives exactly as long as the module.
 * All arrays are allocated with malloc and released by wm_module_free().
 */
#ifndef PORTALIS_WASM_MODULE_H
#define PORTALIS_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opcodes.h"

/* Value types, as encoded in the binary format. */
enum {
    WM_I32 = 0x7f,
    WM_I64 = 0x7e,
    WM_F32 = 0x7d,
    WM_F64 = 0x7c,
    WM_V128 = 0x7b,
    WM_FUNCREF = 0x70,
    WM_EXTERNREF = 0x6f,
};

/* External kinds (import/export descriptors). */
enum { WM_EXT_FUNC = 0, WM_EXT_TABLE = 1, WM_EXT_MEMORY = 2, WM_EXT_GLOBAL = 3 };

/* Segment modes. */
enum { WM_SEG_ACTIVE = 0, WM_SEG_PASSIVE = 1, WM_SEG_DECLARATIVE = 2 };

typedef struct {
    uint32_t nparams, nresults;
    uint8_t *types; /* nparams parameter types followed by nresults result types */
} wm_functype;

typedef struct {
    uint32_t min, max; /* pages for memories, elements for tables */
    bool has_max;
} wm_limits;

typedef struct {
    uint8_t reftype; /* WM_FUNCREF or WM_EXTERNREF */
    wm_limits limits;
} wm_tabletype;

typedef struct {
    uint8_t valtype;
    bool mut;
} wm_globaltype;

/* A constant expression. Wasm 2.0 constant expressions are exactly one
 * instruction followed by `end`; the decoder rejects anything else. */
enum {
    WM_CONST_I32 = OP_i32_const, /* value holds the bits */
    WM_CONST_I64 = OP_i64_const,
    WM_CONST_F32 = OP_f32_const,
    WM_CONST_F64 = OP_f64_const,
    WM_CONST_GLOBAL_GET = OP_global_get, /* value holds a global index */
    WM_CONST_REF_NULL = OP_ref_null,     /* value holds the reference type */
    WM_CONST_REF_FUNC = OP_ref_func,     /* value holds a function index */
    WM_CONST_V128 = WM_PREFIX_FD,        /* v128.const: value the low, value_hi the high 64 bits */
};
typedef struct {
    uint8_t op;
    uint64_t value, value_hi;
} wm_constexpr;

typedef struct {
    const char *module, *name; /* NUL-terminated copies (validated UTF-8) */
    uint8_t kind;              /* WM_EXT_* */
    union {
        uint32_t type_index; /* WM_EXT_FUNC: index into types */
        wm_tabletype table;
        wm_limits memory;
        wm_globaltype global;
    } desc;
    /* Byte lengths of module/name: names may contain NUL bytes. */
    uint32_t module_len, name_len;
} wm_import;

typedef struct {
    const char *name;  /* NUL-terminated copy */
    uint8_t kind;      /* WM_EXT_* */
    uint32_t index;    /* in the respective index space (imports first) */
    uint32_t name_len; /* byte length of name: names may contain NUL bytes */
} wm_export;

typedef struct {
    wm_globaltype type;
    wm_constexpr init;
} wm_global;

typedef struct {
    uint8_t mode; /* WM_SEG_* */
    uint8_t reftype;
    uint32_t table;      /* active only */
    wm_constexpr offset; /* active only */
    uint32_t count;
    wm_constexpr *items; /* function-index forms are stored as WM_CONST_REF_FUNC */
} wm_elem;

typedef struct {
    uint8_t mode; /* WM_SEG_ACTIVE or WM_SEG_PASSIVE */
    uint32_t memory;
    wm_constexpr offset;
    const uint8_t *bytes;
    uint32_t len;
} wm_data;

typedef struct {
    uint32_t type_index;
    uint32_t nlocals;     /* declared locals, not counting parameters */
    uint8_t *local_types; /* nlocals entries, expanded from the run-length groups */
    const uint8_t *body;  /* first instruction byte (after the local declarations) */
    uint32_t body_len;    /* up to and including the final `end` */
    uint32_t body_offset; /* offset of `body` within the module binary */
} wm_code;

typedef struct {
    const char *name; /* NUL-terminated copy */
    const uint8_t *data;
    uint32_t len;
    uint32_t offset; /* of data within the binary */
} wm_custom;

typedef struct wm_module {
    uint8_t *bytes; /* owned copy of the binary */
    size_t nbytes;

    uint32_t ntypes;
    wm_functype *types;

    uint32_t nimports;
    wm_import *imports;
    /* Counts of imports by kind; imported entities come first in each index space. */
    uint32_t nfunc_imports, ntable_imports, nmemory_imports, nglobal_imports;

    /* Function index space: func_types[i] is the type index of function i,
     * imports first, then the functions of the function section. */
    uint32_t nfuncs;
    uint32_t *func_types;

    /* Table and memory index spaces, imports first. */
    uint32_t ntables;
    wm_tabletype *tables;
    uint32_t nmemories;
    wm_limits *memories;

    /* Global index space types, imports first; `globals` holds the defined ones
     * (nglobals - nglobal_imports entries). */
    uint32_t nglobals;
    wm_globaltype *global_types;
    wm_global *globals;

    uint32_t nexports;
    wm_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    wm_elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    wm_data *datas;

    uint32_t ncodes; /* == nfuncs - nfunc_imports */
    wm_code *codes;

    uint32_t ncustoms;
    wm_custom *customs;

    /* From the `name` custom section, when present and well formed (a broken
     * name section is ignored, as the spec says custom sections must not
     * affect validity). func_names has nfuncs entries, NULL where unnamed. */
    const char *module_name;
    char **func_names;

    /* C.refs of the spec: bit i set when function i is referenced outside
     * function bodies (element segments, exports, global initialisers), the
     * functions `ref.func` may name in a body. nfuncs bits. */
    uint8_t *func_refs;
} wm_module;

/* Decodes `len` bytes into `*out` and validates everything outside function
 * bodies (limits, types, indices, constant expressions, export names, start
 * function, memory count, ...). Function bodies are only split out here;
 * compile.c validates and translates them.
 *
 * Returns WM_OK, WM_MALFORMED (the binary format is violated) or WM_INVALID
 * (it decodes but violates a validation rule). On failure writes a message of
 * the form "<what is wrong> at offset 0x<hex>" into err (at most errlen bytes,
 * NUL-terminated) and leaves *out freed. The message begins with the spec's
 * wording where the spec test suite names one (e.g. "unexpected end",
 * "integer representation too long", "malformed section id", "type mismatch",
 * "unknown global"). */
enum { WM_OK = 0, WM_MALFORMED = 1, WM_INVALID = 2, WM_LIMIT = 3 /* an implementation limit */ };
int wm_decode(const uint8_t *bytes, size_t len, wm_module *out, char *err, size_t errlen);

void wm_module_free(wm_module *m);

/* LEB128 readers shared by the decoder and the function-body translator.
 * Each reads at *p (< end) a value of at most N bits and advances *p. On
 * failure returns false and sets *why (if non-NULL) to the spec test suite's
 * wording: "unexpected end" (truncated), "integer representation too long"
 * (more than ceil(N/7) bytes) or "integer too large" (unused bits of the last
 * byte are not a zero/sign extension). Padded encodings within the maximum
 * length are accepted, as the spec requires. */
bool wm_read_u32(const uint8_t **p, const uint8_t *end, uint32_t *out, const char **why);
bool wm_read_s32(const uint8_t **p, const uint8_t *end, int32_t *out, const char **why);
bool wm_read_s33(const uint8_t **p, const uint8_t *end, int64_t *out, const char **why);
bool wm_read_s64(const uint8_t **p, const uint8_t *end, int64_t *out, const char **why);

#endif
