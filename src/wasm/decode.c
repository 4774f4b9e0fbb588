/* Binary-format decoder and module-level validator.
 *
 * One linear pass over the sections, in the order the spec imposes. Every
 * section is read through a cursor bounded by the section's declared size,
 * so truncated or hostile input can never make us read outside the binary,
 * and every count is checked against the bytes that remain before anything
 * is allocated (each entry needs at least one byte). Validation of what lies
 * outside function bodies happens as soon as the facts it needs are known;
 * since sections arrive in a fixed order, every index space an item refers to
 * is complete by the time the item is read.
 *
 * Allocation strategy: arrays whose entries carry variable-length payloads
 * (function types, import/export names, local types) are allocated together
 * with a pool for those payloads in a single block, so a module costs a
 * handful of mallocs however many entries it has.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "portalis/base.h"
#include "portalis/engine.h"

/* Implementation limit (docs/engine.md, "Limits of the implementation"):
 * locals per function, parameters excluded. */
#define MAX_LOCALS PW_LIMIT_LOCALS
#define MAX_PAGES 65536u

static const char eof_top[] = "unexpected end";
static const char eof_sec[] = "unexpected end of section or function";

typedef struct {
    const uint8_t *base; /* the module's own copy of the binary */
    const uint8_t *p;
    const uint8_t *end; /* end of the current section, or of the binary */
    const uint8_t *file_end;
    const char *eof_msg; /* wording for running off `end` */
    wm_module *m;
    char *err;
    size_t errlen;
    int status;
    bool has_code_section, has_data_section;
    uint32_t nfunc_decls; /* entries of the function section */
    int name_custom;      /* index in m->customs of the `name` section, or -1 */
    size_t capcustoms;    /* entries allocated in m->customs */
} dec;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static bool
fail(dec *d, int status, const uint8_t *at, const char *fmt, ...) {
    if (d->status != WM_OK)
        return false;
    d->status = status;
    if (d->err && d->errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(d->err, d->errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < d->errlen)
            snprintf(d->err + n, d->errlen - (size_t)n, " at offset 0x%zx", (size_t)(at - d->base));
    }
    return false;
}

/* Both evaluate to a constant false so the compiler sees that a failed
 * reader never leaves its output for the caller to use. */
#define MALFORMED(d, at, ...) (fail((d), WM_MALFORMED, (at), __VA_ARGS__), false)
#define INVALID(d, at, ...) (fail((d), WM_INVALID, (at), __VA_ARGS__), false)
#define LIMIT(d, at, ...) (fail((d), WM_LIMIT, (at), __VA_ARGS__), false)

static inline size_t left(const dec *d) { return (size_t)(d->end - d->p); }

static inline bool rd_u8(dec *d, uint8_t *out) {
    if (d->p >= d->end)
        return MALFORMED(d, d->p, "%s", d->eof_msg);
    *out = *d->p++;
    return true;
}

/* `at` is where the failed LEB128 starts; `bits`/`sign` describe it. */
static bool leb_fail(dec *d, const uint8_t *at, const char *why, unsigned bits, bool sign) {
    if (strcmp(why, eof_top) == 0) {
        why = d->eof_msg;
        /* The spec's decoder does not bound integers by their section, so
         * an over-long integer straddling the section end is reported as
         * over-long there; re-read against the end of the binary to match. */
        if (d->end < d->file_end) {
            const uint8_t *q = at;
            const char *why2 = NULL;
            uint32_t u;
            int32_t s;
            int64_t v;
            bool ok = !sign        ? wm_read_u32(&q, d->file_end, &u, &why2)
                      : bits == 32 ? wm_read_s32(&q, d->file_end, &s, &why2)
                                   : wm_read_s64(&q, d->file_end, &v, &why2);
            if (!ok && strcmp(why2, eof_top) != 0)
                why = why2;
        }
    }
    return MALFORMED(d, at, "%s", why);
}

static inline bool rd_u32(dec *d, uint32_t *out) {
    /* Most integers are one byte; skip the out-of-line call for them. */
    if (d->p < d->end && *d->p < 0x80) {
        *out = *d->p++;
        return true;
    }
    const uint8_t *at = d->p;
    const char *why = eof_top;
    if (wm_read_u32(&d->p, d->end, out, &why))
        return true;
    return leb_fail(d, at, why, 32, false);
}

/* A vector length: every entry takes at least one byte, so a count larger
 * than what is left cannot be honest and must not drive an allocation. */
static bool rd_count(dec *d, uint32_t *out) {
    const uint8_t *at = d->p;
    if (!rd_u32(d, out))
        return false;
    if (*out > left(d))
        return MALFORMED(d, at, "%s", d->eof_msg);
    return true;
}

static bool utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static bool rd_name(dec *d, const uint8_t **s, uint32_t *len) {
    const uint8_t *at = d->p;
    if (!rd_u32(d, len))
        return false;
    if (*len > left(d))
        return MALFORMED(d, at, "length out of bounds");
    if (!utf8_valid(d->p, *len))
        return MALFORMED(d, d->p, "malformed UTF-8 encoding");
    *s = d->p;
    d->p += *len;
    return true;
}

/* Copies a name into a pool as a NUL-terminated string. */
static char *pool_str(char **pool, const uint8_t *s, uint32_t len) {
    char *r = *pool;
    memcpy(r, s, len);
    r[len] = '\0';
    *pool += (size_t)len + 1;
    return r;
}

static bool is_valtype(uint8_t t) {
    return (t >= WM_F64 && t <= WM_I32) || t == WM_V128 || t == WM_FUNCREF || t == WM_EXTERNREF;
}

static bool rd_valtype(dec *d, uint8_t *out) {
    const uint8_t *at = d->p;
    if (!rd_u8(d, out))
        return false;
    if (!is_valtype(*out))
        return MALFORMED(d, at, "malformed value type");
    return true;
}

static bool rd_reftype(dec *d, uint8_t *out) {
    const uint8_t *at = d->p;
    if (!rd_u8(d, out))
        return false;
    if (*out != WM_FUNCREF && *out != WM_EXTERNREF)
        return MALFORMED(d, at, "malformed reference type");
    return true;
}

/* The flag is a one-bit LEB128 in the spec's decoder, hence the wording the
 * spec tests expect for bad flags. */
static bool rd_limits(dec *d, wm_limits *l) {
    const uint8_t *at = d->p;
    uint8_t flag;
    if (!rd_u8(d, &flag))
        return false;
    if (flag & 0x80)
        return MALFORMED(d, at, "integer representation too long");
    if (flag > 1)
        return MALFORMED(d, at, "integer too large");
    l->has_max = flag == 1;
    l->max = 0;
    if (!rd_u32(d, &l->min))
        return false;
    if (l->has_max && !rd_u32(d, &l->max))
        return false;
    return true;
}

static bool check_memtype(dec *d, const wm_limits *l, const uint8_t *at) {
    if (l->min > MAX_PAGES || (l->has_max && l->max > MAX_PAGES))
        return INVALID(d, at, "memory size must be at most 65536 pages (4GiB)");
    if (l->has_max && l->min > l->max)
        return INVALID(d, at, "size minimum must not be greater than maximum");
    return true;
}

static bool rd_tabletype(dec *d, wm_tabletype *t) {
    const uint8_t *at = d->p;
    if (!rd_reftype(d, &t->reftype) || !rd_limits(d, &t->limits))
        return false;
    if (t->limits.has_max && t->limits.min > t->limits.max)
        return INVALID(d, at, "size minimum must not be greater than maximum");
    return true;
}

static bool rd_globaltype(dec *d, wm_globaltype *g) {
    uint8_t mut;
    if (!rd_valtype(d, &g->valtype))
        return false;
    const uint8_t *at = d->p;
    if (!rd_u8(d, &mut))
        return false;
    if (mut > 1)
        return MALFORMED(d, at, "malformed mutability");
    g->mut = mut == 1;
    return true;
}

static bool ensure_func_refs(dec *d) {
    wm_module *m = d->m;
    if (m->func_refs || m->nfuncs == 0)
        return true;
    m->func_refs = calloc(((size_t)m->nfuncs + 7) / 8, 1);
    if (!m->func_refs)
        return MALFORMED(d, d->p, "out of memory");
    return true;
}

static bool ref_func(dec *d, uint32_t idx, const uint8_t *at) {
    wm_module *m = d->m;
    if (idx >= m->nfuncs)
        return INVALID(d, at, "unknown function %u", idx);
    if (!ensure_func_refs(d))
        return false;
    m->func_refs[idx >> 3] |= (uint8_t)(1u << (idx & 7));
    return true;
}

/* A non-constant but existing instruction makes a constant expression
 * invalid, an unknown one makes the binary malformed. */
static bool is_opcode(uint8_t op) { return wm_opinfo_of(op) != NULL || wm_is_prefix(op); }

/* A constant expression producing exactly one value of type `want`. */
static bool rd_constexpr(dec *d, uint8_t want, wm_constexpr *out) {
    wm_module *m = d->m;
    const uint8_t *start = d->p;
    unsigned nvals = 0;
    uint8_t type = 0;
    for (;;) {
        const uint8_t *at = d->p;
        uint8_t op;
        wm_constexpr c;
        if (!rd_u8(d, &op))
            return false;
        if (op == OP_end)
            break;
        c.op = op;
        switch (op) {
        case WM_CONST_I32: {
            const char *why = eof_top;
            int32_t v;
            if (!wm_read_s32(&d->p, d->end, &v, &why))
                return leb_fail(d, at + 1, why, 32, true);
            c.value = (uint32_t)v;
            type = WM_I32;
            break;
        }
        case WM_CONST_I64: {
            const char *why = eof_top;
            int64_t v;
            if (!wm_read_s64(&d->p, d->end, &v, &why))
                return leb_fail(d, at + 1, why, 64, true);
            c.value = (uint64_t)v;
            type = WM_I64;
            break;
        }
        case WM_CONST_F32:
        case WM_CONST_F64: {
            size_t n = op == WM_CONST_F32 ? 4 : 8;
            if (left(d) < n)
                return MALFORMED(d, d->end, "%s", d->eof_msg);
            c.value = 0;
            for (size_t i = 0; i < n; i++)
                c.value |= (uint64_t)d->p[i] << (8 * i);
            d->p += n;
            type = op == WM_CONST_F32 ? WM_F32 : WM_F64;
            break;
        }
        case WM_CONST_GLOBAL_GET: {
            uint32_t idx;
            if (!rd_u32(d, &idx))
                return false;
            /* Wasm 2.0: only imported globals are visible to constant
             * expressions. */
            if (idx >= m->nglobal_imports)
                return INVALID(d, at, "unknown global %u", idx);
            if (m->global_types[idx].mut)
                return INVALID(d, at, "constant expression required");
            c.value = idx;
            type = m->global_types[idx].valtype;
            break;
        }
        case WM_CONST_REF_NULL: {
            uint8_t t;
            if (!rd_reftype(d, &t))
                return false;
            c.value = t;
            type = t;
            break;
        }
        case WM_CONST_REF_FUNC: {
            uint32_t idx;
            if (!rd_u32(d, &idx) || !ref_func(d, idx, at))
                return false;
            c.value = idx;
            type = WM_FUNCREF;
            break;
        }
        case WM_CONST_V128: {
            const char *why = eof_top;
            uint32_t sub;
            if (!wm_read_u32(&d->p, d->end, &sub, &why))
                return leb_fail(d, at + 1, why, 32, false);
            if (sub != (OP_v128_const & 0xffff))
                return wm_opinfo_of(WM_OPID(WM_PREFIX_FD, sub > 0xffff ? 0xffff : sub))
                           ? INVALID(d, at, "constant expression required")
                           : MALFORMED(d, at, "illegal opcode");
            if (left(d) < 16)
                return MALFORMED(d, d->end, "%s", d->eof_msg);
            c.value = c.value_hi = 0;
            for (size_t i = 0; i < 8; i++) {
                c.value |= (uint64_t)d->p[i] << (8 * i);
                c.value_hi |= (uint64_t)d->p[8 + i] << (8 * i);
            }
            d->p += 16;
            type = WM_V128;
            break;
        }
        default:
            if (is_opcode(op))
                return INVALID(d, at, "constant expression required");
            return MALFORMED(d, at, "illegal opcode");
        }
        if (nvals++ == 0)
            *out = c;
    }
    if (nvals != 1 || type != want)
        return INVALID(d, start, "type mismatch");
    return true;
}

/* --- sections ----------------------------------------------------------- */

static bool sec_type(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    /* Each parameter/result is one byte of this section, so the rest of the
     * section bounds the pool that holds them. */
    size_t pool = left(d);
    m->types = malloc((size_t)n * sizeof(wm_functype) + pool + 1);
    if (!m->types)
        return MALFORMED(d, d->p, "out of memory");
    uint8_t *tp = (uint8_t *)(m->types + n);
    for (uint32_t i = 0; i < n; i++) {
        wm_functype *ft = &m->types[i];
        const uint8_t *at = d->p;
        uint8_t form;
        if (!rd_u8(d, &form))
            return false;
        /* The form is a signed LEB128 byte in the spec's decoder. */
        if (form & 0x80)
            return MALFORMED(d, at, "integer representation too long");
        if (form != 0x60)
            return MALFORMED(d, at, "malformed function type");
        ft->types = tp;
        ft->nparams = ft->nresults = 0;
        m->ntypes = i + 1;
        if (!rd_count(d, &ft->nparams))
            return false;
        for (uint32_t k = 0; k < ft->nparams; k++)
            if (!rd_valtype(d, tp++))
                return false;
        if (!rd_count(d, &ft->nresults))
            return false;
        for (uint32_t k = 0; k < ft->nresults; k++)
            if (!rd_valtype(d, tp++))
                return false;
    }
    return true;
}

static bool sec_import(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    /* Both names of an import are preceded by a length byte, so the section
     * size bounds the pool of NUL-terminated copies. */
    size_t pool = left(d);
    m->imports = malloc((size_t)n * sizeof(wm_import) + pool + 1);
    if (!m->imports)
        return MALFORMED(d, d->p, "out of memory");
    char *sp = (char *)(m->imports + n);
    for (uint32_t i = 0; i < n; i++) {
        wm_import *im = &m->imports[i];
        const uint8_t *mod, *name;
        uint32_t modlen, namelen;
        if (!rd_name(d, &mod, &modlen) || !rd_name(d, &name, &namelen))
            return false;
        im->module = pool_str(&sp, mod, modlen);
        im->name = pool_str(&sp, name, namelen);
        im->module_len = modlen;
        im->name_len = namelen;
        m->nimports = i + 1;
        const uint8_t *at = d->p;
        if (!rd_u8(d, &im->kind))
            return false;
        switch (im->kind) {
        case WM_EXT_FUNC:
            at = d->p;
            if (!rd_u32(d, &im->desc.type_index))
                return false;
            if (im->desc.type_index >= m->ntypes)
                return INVALID(d, at, "unknown type %u", im->desc.type_index);
            m->nfunc_imports++;
            break;
        case WM_EXT_TABLE:
            if (!rd_tabletype(d, &im->desc.table))
                return false;
            m->ntable_imports++;
            break;
        case WM_EXT_MEMORY:
            at = d->p;
            if (!rd_limits(d, &im->desc.memory) || !check_memtype(d, &im->desc.memory, at))
                return false;
            if (++m->nmemory_imports > 1)
                return INVALID(d, at, "multiple memories");
            break;
        case WM_EXT_GLOBAL:
            if (!rd_globaltype(d, &im->desc.global))
                return false;
            m->nglobal_imports++;
            break;
        default: return MALFORMED(d, at, "malformed import kind");
        }
    }
    return true;
}

/* Builds the imported prefix of each index space; the definition sections
 * grow these arrays afterwards. */
static bool index_imports(dec *d) {
    wm_module *m = d->m;
    if (m->nimports == 0)
        return true;
    if (m->nfunc_imports && !(m->func_types = malloc(m->nfunc_imports * sizeof(uint32_t))))
        return MALFORMED(d, d->p, "out of memory");
    if (m->ntable_imports && !(m->tables = malloc(m->ntable_imports * sizeof(wm_tabletype))))
        return MALFORMED(d, d->p, "out of memory");
    if (m->nmemory_imports && !(m->memories = malloc(m->nmemory_imports * sizeof(wm_limits))))
        return MALFORMED(d, d->p, "out of memory");
    if (m->nglobal_imports && !(m->global_types = malloc(m->nglobal_imports * sizeof(wm_globaltype))))
        return MALFORMED(d, d->p, "out of memory");
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wm_import *im = &m->imports[i];
        switch (im->kind) {
        case WM_EXT_FUNC: m->func_types[m->nfuncs++] = im->desc.type_index; break;
        case WM_EXT_TABLE: m->tables[m->ntables++] = im->desc.table; break;
        case WM_EXT_MEMORY: m->memories[m->nmemories++] = im->desc.memory; break;
        default: m->global_types[m->nglobals++] = im->desc.global; break;
        }
    }
    return true;
}

/* Grows an index-space array by n entries of `size` bytes. */
static bool grow(dec *d, void **arr, uint32_t have, uint32_t n, size_t size) {
    if (n == 0)
        return true;
    if ((uint64_t)have + n > UINT32_MAX)
        return MALFORMED(d, d->p, "too many definitions");
    void *p = realloc(*arr, ((size_t)have + n) * size);
    if (!p)
        return MALFORMED(d, d->p, "out of memory");
    *arr = p;
    return true;
}

static bool sec_function(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n) || !grow(d, (void **)&m->func_types, m->nfuncs, n, sizeof(uint32_t)))
        return false;
    d->nfunc_decls = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *at = d->p;
        uint32_t t;
        if (!rd_u32(d, &t))
            return false;
        if (t >= m->ntypes)
            return INVALID(d, at, "unknown type %u", t);
        m->func_types[m->nfuncs++] = t;
    }
    return true;
}

static bool sec_table(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n) || !grow(d, (void **)&m->tables, m->ntables, n, sizeof(wm_tabletype)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!rd_tabletype(d, &m->tables[m->ntables]))
            return false;
        m->ntables++;
    }
    return true;
}

static bool sec_memory(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n) || !grow(d, (void **)&m->memories, m->nmemories, n, sizeof(wm_limits)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *at = d->p;
        if (!rd_limits(d, &m->memories[m->nmemories]) || !check_memtype(d, &m->memories[m->nmemories], at))
            return false;
        if (++m->nmemories > 1)
            return INVALID(d, at, "multiple memories");
    }
    return true;
}

static bool sec_global(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n) || !grow(d, (void **)&m->global_types, m->nglobals, n, sizeof(wm_globaltype)))
        return false;
    if (n && !(m->globals = malloc((size_t)n * sizeof(wm_global))))
        return MALFORMED(d, d->p, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        wm_global *g = &m->globals[i];
        if (!rd_globaltype(d, &g->type) || !rd_constexpr(d, g->type.valtype, &g->init))
            return false;
        m->global_types[m->nglobals++] = g->type;
    }
    return true;
}

static uint32_t hash_name(const char *s, uint32_t len) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* Rejects duplicate export names with a transient open-addressing table, so
 * modules with thousands of exports stay linear. */
static bool check_export_names(dec *d, const uint8_t *at) {
    wm_module *m = d->m;
    if (m->nexports < 2)
        return true;
    size_t cap = 16;
    while (cap < (size_t)m->nexports * 2)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof(uint32_t));
    if (!slot)
        return MALFORMED(d, at, "out of memory");
    memset(slot, 0xff, cap * sizeof(uint32_t));
    bool ok = true;
    for (uint32_t i = 0; i < m->nexports && ok; i++) {
        const wm_export *ex = &m->exports[i];
        size_t h = hash_name(ex->name, ex->name_len) & (cap - 1);
        while (slot[h] != UINT32_MAX) {
            const wm_export *other = &m->exports[slot[h]];
            if (other->name_len == ex->name_len && memcmp(other->name, ex->name, ex->name_len) == 0) {
                ok = INVALID(d, at, "duplicate export name");
                break;
            }
            h = (h + 1) & (cap - 1);
        }
        slot[h] = i;
    }
    free(slot);
    return ok;
}

static bool sec_export(dec *d) {
    wm_module *m = d->m;
    const uint8_t *sec_start = d->p;
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    size_t pool = left(d);
    m->exports = malloc((size_t)n * sizeof(wm_export) + pool + 1);
    if (!m->exports)
        return MALFORMED(d, d->p, "out of memory");
    char *sp = (char *)(m->exports + n);
    for (uint32_t i = 0; i < n; i++) {
        wm_export *ex = &m->exports[i];
        const uint8_t *name;
        uint32_t len;
        if (!rd_name(d, &name, &len))
            return false;
        ex->name = pool_str(&sp, name, len);
        ex->name_len = len;
        m->nexports = i + 1;
        const uint8_t *at = d->p;
        if (!rd_u8(d, &ex->kind))
            return false;
        if (ex->kind > WM_EXT_GLOBAL)
            return MALFORMED(d, at, "malformed export kind");
        at = d->p;
        if (!rd_u32(d, &ex->index))
            return false;
        switch (ex->kind) {
        case WM_EXT_FUNC:
            if (!ref_func(d, ex->index, at))
                return false;
            break;
        case WM_EXT_TABLE:
            if (ex->index >= m->ntables)
                return INVALID(d, at, "unknown table %u", ex->index);
            break;
        case WM_EXT_MEMORY:
            if (ex->index >= m->nmemories)
                return INVALID(d, at, "unknown memory %u", ex->index);
            break;
        default:
            if (ex->index >= m->nglobals)
                return INVALID(d, at, "unknown global %u", ex->index);
            break;
        }
    }
    return check_export_names(d, sec_start);
}

static bool sec_start(dec *d) {
    wm_module *m = d->m;
    const uint8_t *at = d->p;
    if (!rd_u32(d, &m->start))
        return false;
    if (m->start >= m->nfuncs)
        return INVALID(d, at, "unknown function %u", m->start);
    const wm_functype *ft = &m->types[m->func_types[m->start]];
    if (ft->nparams || ft->nresults)
        return INVALID(d, at, "start function");
    m->has_start = true;
    return true;
}

static bool rd_elem(dec *d, wm_elem *e) {
    wm_module *m = d->m;
    const uint8_t *at = d->p;
    uint32_t flags;
    if (!rd_u32(d, &flags))
        return false;
    if (flags > 7)
        return MALFORMED(d, at, "malformed elements segment kind");
    /* Bit 0: passive/declarative (else active); bit 1: explicit table index
     * when active, declarative when not; bit 2: items are expressions. */
    bool passive = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
    e->mode = passive ? (explicit_table ? WM_SEG_DECLARATIVE : WM_SEG_PASSIVE) : WM_SEG_ACTIVE;
    e->reftype = WM_FUNCREF;
    e->table = 0;
    const uint8_t *table_at = d->p;
    if (!passive) {
        if (explicit_table && !rd_u32(d, &e->table))
            return false;
        if (e->table >= m->ntables)
            return INVALID(d, table_at, "unknown table %u", e->table);
        if (!rd_constexpr(d, WM_I32, &e->offset))
            return false;
    }
    /* Forms 0 and 4 imply funcref; the others spell out the kind. */
    if (passive || explicit_table) {
        if (exprs) {
            if (!rd_reftype(d, &e->reftype))
                return false;
        } else {
            uint8_t kind;
            at = d->p;
            if (!rd_u8(d, &kind))
                return false;
            if (kind != 0x00)
                return MALFORMED(d, at, "malformed elements segment kind");
        }
    }
    if (e->mode == WM_SEG_ACTIVE && m->tables[e->table].reftype != e->reftype)
        return INVALID(d, table_at, "type mismatch");
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    if (n && !(e->items = malloc((size_t)n * sizeof(wm_constexpr))))
        return MALFORMED(d, d->p, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        wm_constexpr *c = &e->items[i];
        if (exprs) {
            if (!rd_constexpr(d, e->reftype, c))
                return false;
        } else {
            at = d->p;
            uint32_t idx;
            if (!rd_u32(d, &idx) || !ref_func(d, idx, at))
                return false;
            c->op = WM_CONST_REF_FUNC;
            c->value = idx;
        }
        e->count = i + 1;
    }
    return true;
}

static bool sec_element(dec *d) {
    wm_module *m = d->m;
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    if (n && !(m->elems = calloc(n, sizeof(wm_elem))))
        return MALFORMED(d, d->p, "out of memory");
    m->nelems = n; /* calloc'ed: wm_module_free copes with unread entries */
    for (uint32_t i = 0; i < n; i++)
        if (!rd_elem(d, &m->elems[i]))
            return false;
    return true;
}

static bool sec_datacount(dec *d) {
    if (!rd_u32(d, &d->m->datacount))
        return false;
    d->m->has_datacount = true;
    return true;
}

/* Reads the local declarations of one code entry whose body spans
 * [d->p, body_end). With `types` NULL it only validates and counts; given a
 * pool it expands the groups into it (the input was validated already). */
static bool rd_locals(dec *d, const uint8_t *body_end, uint32_t *nlocals, uint8_t *types) {
    const uint8_t *sec_end = d->end;
    d->end = body_end;
    uint32_t ngroups;
    uint64_t total = 0;
    bool ok = rd_count(d, &ngroups);
    for (uint32_t g = 0; ok && g < ngroups; g++) {
        const uint8_t *at = d->p;
        uint32_t n;
        uint8_t t;
        if (!(ok = rd_u32(d, &n)))
            break;
        total += n;
        if (total > UINT32_MAX) { /* the spec's bound: a malformed binary */
            ok = MALFORMED(d, at, "too many locals");
            break;
        }
        if (!(ok = rd_valtype(d, &t)))
            break;
        if (types) {
            memset(types, t, n);
            types += n;
        }
    }
    d->end = sec_end;
    *nlocals = (uint32_t)total;
    if (ok && total > MAX_LOCALS)
        ok = LIMIT(d, body_end, "too many locals: %llu declared, the engine's limit is %u",
                   (unsigned long long)total, MAX_LOCALS);
    return ok;
}

static bool sec_code(dec *d) {
    wm_module *m = d->m;
    const uint8_t *count_at = d->p;
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    if (n != d->nfunc_decls)
        return MALFORMED(d, count_at, "function and code section have inconsistent lengths");
    if (n == 0)
        return true;

    /* First pass: validate every entry's framing and local declarations and
     * total the locals, so codes and all local types fit in one block. */
    const uint8_t *entries = d->p;
    uint64_t all_locals = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *at = d->p;
        uint32_t size, nl;
        if (!rd_u32(d, &size))
            return false;
        if (size > left(d))
            return MALFORMED(d, at, "length out of bounds");
        const uint8_t *body_end = d->p + size;
        if (!rd_locals(d, body_end, &nl, NULL))
            return false;
        all_locals += nl;
        d->p = body_end;
    }
    /* Run-length groups let a few bytes declare 50000 locals, so the
     * per-function limit alone would let a small hostile binary demand
     * gigabytes. Real code has far fewer locals than bytes; this budget is
     * an implementation limit no compiler output comes near. */
    if (all_locals > (uint64_t)m->nbytes * 16 + MAX_LOCALS)
        return LIMIT(d, count_at, "too many locals in all functions (%llu for a %zu-byte module)",
                     (unsigned long long)all_locals, m->nbytes);
    m->codes = malloc((size_t)n * sizeof(wm_code) + (size_t)all_locals);
    if (!m->codes)
        return MALFORMED(d, d->p, "out of memory");
    m->ncodes = n;
    uint8_t *pool = (uint8_t *)(m->codes + n);

    d->p = entries;
    for (uint32_t i = 0; i < n; i++) {
        wm_code *c = &m->codes[i];
        uint32_t size;
        rd_u32(d, &size);
        const uint8_t *body_end = d->p + size;
        c->type_index = m->func_types[m->nfunc_imports + i];
        c->local_types = pool;
        rd_locals(d, body_end, &c->nlocals, pool);
        pool += c->nlocals;
        c->body = d->p;
        c->body_len = (uint32_t)(body_end - d->p);
        c->body_offset = (uint32_t)(d->p - d->base);
        d->p = body_end;
    }
    return true;
}

static bool sec_data(dec *d) {
    wm_module *m = d->m;
    const uint8_t *count_at = d->p;
    uint32_t n;
    if (!rd_count(d, &n))
        return false;
    if (m->has_datacount && n != m->datacount)
        return MALFORMED(d, count_at, "data count and data section have inconsistent lengths");
    if (n && !(m->datas = calloc(n, sizeof(wm_data))))
        return MALFORMED(d, d->p, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        wm_data *s = &m->datas[i];
        const uint8_t *at = d->p;
        uint32_t flags;
        if (!rd_u32(d, &flags))
            return false;
        if (flags > 2)
            return MALFORMED(d, at, "malformed data segment kind");
        s->mode = flags == 1 ? WM_SEG_PASSIVE : WM_SEG_ACTIVE;
        s->memory = 0;
        if (flags != 1) {
            at = d->p;
            if (flags == 2 && !rd_u32(d, &s->memory))
                return false;
            if (s->memory >= m->nmemories)
                return INVALID(d, at, "unknown memory %u", s->memory);
            if (!rd_constexpr(d, WM_I32, &s->offset))
                return false;
        }
        if (!rd_count(d, &s->len))
            return false;
        s->bytes = d->p;
        d->p += s->len;
        m->ndatas = i + 1;
    }
    return true;
}

static bool sec_custom(dec *d) {
    wm_module *m = d->m;
    const uint8_t *name;
    uint32_t len;
    if (!rd_name(d, &name, &len))
        return false;
    if (!PBASE_RESERVE(m->customs, d->capcustoms, (size_t)m->ncustoms + 1))
        return MALFORMED(d, d->p, "out of memory");
    char *copy = malloc((size_t)len + 1);
    if (!copy)
        return MALFORMED(d, d->p, "out of memory");
    memcpy(copy, name, len);
    copy[len] = '\0';
    wm_custom *c = &m->customs[m->ncustoms];
    c->name = copy;
    c->data = d->p;
    c->len = (uint32_t)left(d);
    c->offset = (uint32_t)(d->p - d->base);
    if (d->name_custom < 0 && len == 4 && memcmp(copy, "name", 4) == 0)
        d->name_custom = (int)m->ncustoms;
    m->ncustoms++;
    d->p = d->end;
    return true;
}

/* --- the `name` custom section --------------------------------------------
 * Custom sections never affect validity, so this parser reports failure only
 * to itself and the caller then simply forgets the names. */

typedef struct {
    const uint8_t *p, *end;
} cursor;

static bool cur_u32(cursor *c, uint32_t *v) { return wm_read_u32(&c->p, c->end, v, NULL); }

static bool cur_name(cursor *c, const uint8_t **s, uint32_t *len) {
    if (!cur_u32(c, len) || *len > (size_t)(c->end - c->p) || !utf8_valid(c->p, *len))
        return false;
    *s = c->p;
    c->p += *len;
    return true;
}

static bool parse_names(wm_module *m, const wm_custom *cs) {
    /* Every name in the section has a length prefix, so the section size
     * bounds the total of the NUL-terminated copies. */
    size_t ptrs = (size_t)m->nfuncs * sizeof(char *);
    char **block = calloc(1, ptrs + cs->len + 1);
    if (!block)
        return false;
    char *sp = (char *)block + ptrs;
    const char *module_name = NULL;
    cursor c = {cs->data, cs->data + cs->len};
    int last_id = -1;
    while (c.p < c.end) {
        uint8_t id = *c.p++;
        uint32_t size;
        if ((int)id <= last_id || !cur_u32(&c, &size) || size > (size_t)(c.end - c.p))
            goto bad;
        last_id = id;
        cursor sub = {c.p, c.p + size};
        c.p += size;
        const uint8_t *s;
        uint32_t len;
        if (id == 0) {
            if (!cur_name(&sub, &s, &len) || sub.p != sub.end)
                goto bad;
            module_name = pool_str(&sp, s, len);
        } else if (id == 1) {
            uint32_t n;
            if (!cur_u32(&sub, &n))
                goto bad;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t idx;
                if (!cur_u32(&sub, &idx) || !cur_name(&sub, &s, &len) || idx >= m->nfuncs)
                    goto bad;
                block[idx] = pool_str(&sp, s, len);
            }
            if (sub.p != sub.end)
                goto bad;
        }
    }
    m->func_names = block;
    m->module_name = module_name;
    return true;
bad:
    free(block);
    return false;
}

/* --- driver --------------------------------------------------------------- */

/* Position of each section id in the required order (datacount, id 12, sits
 * between element and code); 0 for custom sections. */
static const uint8_t section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

static bool decode_sections(dec *d) {
    wm_module *m = d->m;
    const uint8_t *file_end = d->file_end;
    unsigned last_rank = 0;
    bool imports_indexed = false;

    if (m->nbytes < 4)
        return MALFORMED(d, d->base + m->nbytes, "unexpected end");
    if (memcmp(d->base, "\0asm", 4) != 0)
        return MALFORMED(d, d->base, "magic header not detected");
    if (m->nbytes < 8)
        return MALFORMED(d, d->base + m->nbytes, "unexpected end");
    if (memcmp(d->base + 4, "\1\0\0\0", 4) != 0)
        return MALFORMED(d, d->base + 4, "unknown binary version");
    d->p = d->base + 8;

    while (d->p < file_end) {
        const uint8_t *sec_at = d->p;
        uint8_t id = *d->p++;
        if (id > 12)
            return MALFORMED(d, sec_at, "malformed section id");
        const uint8_t *size_at = d->p;
        uint32_t size;
        if (!rd_u32(d, &size))
            return false;
        if (size > left(d))
            return MALFORMED(d, size_at, "length out of bounds");
        if (id != 0) {
            if (section_rank[id] <= last_rank)
                return MALFORMED(d, sec_at, "unexpected content after last section");
            last_rank = section_rank[id];
        }
        /* Index spaces are first needed by the function section or later. */
        if (!imports_indexed && section_rank[id] > 2) {
            imports_indexed = true;
            if (!index_imports(d))
                return false;
        }
        d->end = d->p + size;
        d->eof_msg = eof_sec;
        bool ok;
        switch (id) {
        case 0: ok = sec_custom(d); break;
        case 1: ok = sec_type(d); break;
        case 2: ok = sec_import(d); break;
        case 3: ok = sec_function(d); break;
        case 4: ok = sec_table(d); break;
        case 5: ok = sec_memory(d); break;
        case 6: ok = sec_global(d); break;
        case 7: ok = sec_export(d); break;
        case 8: ok = sec_start(d); break;
        case 9: ok = sec_element(d); break;
        case 10:
            d->has_code_section = true;
            ok = sec_code(d);
            break;
        case 11:
            d->has_data_section = true;
            ok = sec_data(d);
            break;
        default: ok = sec_datacount(d); break;
        }
        if (!ok)
            return false;
        if (d->p != d->end)
            return MALFORMED(d, d->p, "section size mismatch");
        d->end = file_end;
        d->eof_msg = eof_top;
    }
    if (!imports_indexed && !index_imports(d))
        return false;
    if (!d->has_code_section && d->nfunc_decls != 0)
        return MALFORMED(d, d->p, "function and code section have inconsistent lengths");
    if (!d->has_data_section && m->has_datacount && m->datacount != 0)
        return MALFORMED(d, d->p, "data count and data section have inconsistent lengths");
    if (!ensure_func_refs(d))
        return false;
    if (d->name_custom >= 0)
        parse_names(m, &m->customs[d->name_custom]);
    return true;
}

int wm_decode(const uint8_t *bytes, size_t len, wm_module *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    dec d = {.m = out, .err = err, .errlen = errlen, .status = WM_OK, .eof_msg = eof_top, .name_custom = -1};
    /* Offsets into the binary are stored as uint32_t (body_offset, custom
     * section offsets), so larger inputs are refused up front. */
    if (len > UINT32_MAX) {
        d.base = bytes;
        fail(&d, WM_MALFORMED, bytes, "length out of bounds");
        return d.status;
    }
    out->bytes = malloc(len ? len : 1);
    if (!out->bytes) {
        d.base = bytes;
        fail(&d, WM_MALFORMED, bytes, "out of memory");
        return d.status;
    }
    if (len)
        memcpy(out->bytes, bytes, len);
    out->nbytes = len;
    d.base = d.p = out->bytes;
    d.end = d.file_end = out->bytes + len;
    if (!decode_sections(&d)) {
        wm_module_free(out);
        return d.status;
    }
    return WM_OK;
}

void wm_module_free(wm_module *m) {
    if (!m)
        return;
    free(m->types);   /* parameter/result pool lives in the same block */
    free(m->imports); /* so do the name copies */
    free(m->func_types);
    free(m->tables);
    free(m->memories);
    free(m->global_types);
    free(m->globals);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].items);
    free(m->elems);
    free(m->datas);
    free(m->codes); /* with the local types */
    for (uint32_t i = 0; i < m->ncustoms; i++)
        free((char *)m->customs[i].name);
    free(m->customs);
    free(m->func_names); /* with the name strings and module_name */
    free(m->func_refs);
    free(m->bytes);
    memset(m, 0, sizeof *m);
}
