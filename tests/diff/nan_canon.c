/* The NaN canonicaliser of the differential test against node
 * (scripts/difftest.sh).
 *
 *   nan_canon IN.wasm -o OUT.wasm
 *   nan_canon -d DIR FILE.wasm...       writes DIR/NAME for each FILE (its last component)
 *
 * Which NaN an arithmetic instruction returns is left open by the spec (its
 * payload and sign), and engines differ: V8 gives x86's default NaN where the
 * engine propagates an operand's. Once such a NaN reaches memory, an integer
 * (reinterpret, extract_lane of another shape, a v128 bitcast) or a
 * comparison of bits, two correct engines print different transcripts. This
 * rewrites a module so that every instruction the opcode table flags WF_NAN
 * (float arithmetic, sqrt, min/max, rounding, promote/demote; scalar, f32x4
 * and f64x2) is followed by a canonicalisation of its result: each NaN, or
 * NaN lane, becomes the positive canonical NaN (0x7fc00000,
 * 0x7ff8000000000000), the value the engine's canonicalize_nans option
 * gives. Every other instruction's bits are fixed by the spec, so the
 * rewritten module has one correct transcript, bit for bit:
 *   f32, f64   local.set s  T.const nan  local.get s  local.get s  local.get s  T.ne  select
 *   f32x4/f64x2  local.tee s  v128.const nan...  local.get s  local.get s  T.eq  v128.bitselect
 * (bitselect keeps the lanes equal to themselves, the others take the
 * canonical NaN). Each function gets one scratch local per type it needs,
 * after its own; nothing else changes: function indices, calls (so stack
 * depth), traps and the other sections are as they were.
 *
 * A module that does not decode is copied unchanged, with a note on standard
 * error: both engines then reject it alike. Exit status: 0, 1 when a file
 * cannot be read or written, 2 usage. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/base.h>

#include "module.h"

typedef struct {
    uint8_t *b;
    size_t n, cap;
    bool oom;
} obuf;

static void put(obuf *o, const void *p, size_t n) {
    if (o->oom || !PBASE_RESERVE(o->b, o->cap, o->n + n)) {
        o->oom = true;
        return;
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put_byte(obuf *o, uint8_t b) { put(o, &b, 1); }

static void put_u32(obuf *o, uint32_t v) {
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put_byte(o, (uint8_t)(v ? c | 0x80 : c));
    } while (v);
}

/* An opcode: its byte, or the prefix and the sub-opcode's LEB128. */
static void put_op(obuf *o, uint32_t id) {
    if (WM_OPID_PREFIX(id)) {
        put_byte(o, (uint8_t)WM_OPID_PREFIX(id));
        put_u32(o, id & 0xffff);
    } else {
        put_byte(o, (uint8_t)id);
    }
}

static void put_local(obuf *o, uint32_t op, uint32_t index) {
    put_op(o, op);
    put_u32(o, index);
}

/* The result shapes of the flagged instructions, and their scratch locals
 * (f32x4 and f64x2 share the v128 one). */
enum { K_F32, K_F64, K_F32X4, K_F64X2 };
enum { S_F32, S_F64, S_V128, NSCRATCH };
static const uint8_t scratch_type[NSCRATCH] = {WM_F32, WM_F64, WM_V128};
static const int scratch_of[] = {S_F32, S_F64, S_V128, S_V128};

/* The shape of an instruction whose result needs canonicalising, or -1. */
static int canon_kind(const wm_opinfo *info) {
    if (!(info->flags & WF_NAN))
        return -1;
    switch (info->result) {
    case WM_F32: return K_F32;
    case WM_F64: return K_F64;
    case WM_V128: return strncmp(info->text, "f32x4.", 6) == 0 ? K_F32X4 : K_F64X2;
    default: return -1;
    }
}

static void put_canon(obuf *o, int kind, uint32_t s) {
    static const uint8_t f32nan[4] = {0, 0, 0xc0, 0x7f}, f64nan[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x7f};
    bool f32 = kind == K_F32 || kind == K_F32X4;
    if (kind == K_F32 || kind == K_F64) {
        put_local(o, OP_local_set, s);
        put_op(o, f32 ? OP_f32_const : OP_f64_const);
        put(o, f32 ? f32nan : f64nan, f32 ? 4 : 8);
        for (int k = 0; k < 3; k++)
            put_local(o, OP_local_get, s);
        put_op(o, f32 ? OP_f32_ne : OP_f64_ne);
        put_op(o, OP_select);
        return;
    }
    put_local(o, OP_local_tee, s);
    put_op(o, OP_v128_const);
    for (int k = 0; k < 16; k += f32 ? 4 : 8)
        put(o, f32 ? f32nan : f64nan, f32 ? 4 : 8);
    put_local(o, OP_local_get, s);
    put_local(o, OP_local_get, s);
    put_op(o, f32 ? OP_f32x4_eq : OP_f64x2_eq);
    put_op(o, OP_v128_bitselect);
}

/* Walks the instructions of [p, end): with o NULL, sets the bits of the
 * scratch locals the body needs in *used; else copies it to o with the
 * canonicalisations, scratch[S_*] being the locals' indices. */
static const char *walk(const uint8_t *p, const uint8_t *end, obuf *o, unsigned *used, const uint32_t *scratch) {
    while (p < end) {
        const uint8_t *start = p;
        uint32_t id;
        const wm_opinfo *info;
        const char *why = wm_read_opcode(&p, end, &id, &info);
        if (!why && !info)
            why = "unknown opcode";
        if (!why)
            why = wm_skip_immediates(&p, end, info->imm);
        if (why)
            return why;
        int kind = canon_kind(info);
        if (o) {
            put(o, start, (size_t)(p - start));
            if (kind >= 0)
                put_canon(o, kind, scratch[scratch_of[kind]]);
        } else if (kind >= 0) {
            *used |= 1u << scratch_of[kind];
        }
    }
    return NULL;
}

/* One code section entry [*p, end of entry) of a function with nparams
 * parameters, appended to o with its size. */
static const char *rewrite_entry(const uint8_t **pp, const uint8_t *end, uint32_t nparams, obuf *o) {
    const char *why = NULL;
    const uint8_t *p = *pp;
    uint32_t size, ngroups, n;
    if (!wm_read_u32(&p, end, &size, &why))
        return why;
    if (size > (size_t)(end - p))
        return "unexpected end";
    const uint8_t *entry_end = p + size, *groups = NULL;
    if (!wm_read_u32(&p, entry_end, &ngroups, &why))
        return why;
    groups = p;
    uint64_t nlocals = nparams;
    for (uint32_t g = 0; g < ngroups; g++) {
        if (!wm_read_u32(&p, entry_end, &n, &why))
            return why;
        if (p >= entry_end)
            return "unexpected end";
        p++;
        nlocals += n;
    }
    unsigned used = 0;
    if ((why = walk(p, entry_end, NULL, &used, NULL)) != NULL)
        return why;
    uint32_t scratch[NSCRATCH] = {0}, extra = 0;
    for (int s = 0; s < NSCRATCH; s++)
        if (used & 1u << s)
            scratch[s] = (uint32_t)nlocals + extra++;
    if (nlocals + extra > UINT32_MAX)
        return "too many locals";
    obuf e = {0};
    put_u32(&e, ngroups + extra);
    put(&e, groups, (size_t)(p - groups));
    for (int s = 0; s < NSCRATCH; s++)
        if (used & 1u << s) {
            put_u32(&e, 1);
            put_byte(&e, scratch_type[s]);
        }
    why = walk(p, entry_end, &e, NULL, scratch);
    if (!why && (e.oom || e.n > UINT32_MAX))
        why = "out of memory";
    if (!why) {
        put_u32(o, (uint32_t)e.n);
        put(o, e.b, e.n);
    }
    free(e.b);
    *pp = entry_end;
    return why;
}

static const char *rewrite_code(const wm_module *m, const uint8_t *p, const uint8_t *end, obuf *o) {
    const char *why = NULL;
    uint32_t count;
    if (!wm_read_u32(&p, end, &count, &why))
        return why;
    if (count != m->ncodes)
        return "function and code section counts differ";
    put_u32(o, count);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t type = m->func_types[m->nfunc_imports + i];
        if ((why = rewrite_entry(&p, end, m->types[type].nparams, o)) != NULL)
            return why;
    }
    return NULL;
}

/* The rewritten module of `len` bytes in o, or the reason it cannot be
 * (possibly written into err). */
static const char *canonicalise(const uint8_t *bytes, size_t len, obuf *o, char *err, size_t errlen) {
    wm_module m;
    if (wm_decode(bytes, len, &m, err, errlen) != WM_OK)
        return err;
    const char *why = NULL;
    const uint8_t *p = bytes + 8, *end = bytes + len;
    put(o, bytes, 8);
    while (!why && p < end) {
        uint8_t id = *p++;
        uint32_t size;
        if (!wm_read_u32(&p, end, &size, &why))
            break;
        if (id != 10) {
            put_byte(o, id);
            put_u32(o, size);
            put(o, p, size);
        } else {
            obuf s = {0};
            why = rewrite_code(&m, p, p + size, &s);
            if (!why && (s.oom || s.n > UINT32_MAX))
                why = "out of memory";
            if (!why) {
                put_byte(o, id);
                put_u32(o, (uint32_t)s.n);
                put(o, s.b, s.n);
            }
            free(s.b);
        }
        p += size;
    }
    wm_module_free(&m);
    if (!why && o->oom)
        why = "out of memory";
    return why;
}

static int convert(const char *in, const char *out) {
    pbase_error e;
    char *data;
    size_t len;
    if (pbase_read_file(in, (size_t)1 << 30, &data, &len, &e) != 0) {
        fprintf(stderr, "nan_canon: %s\n", e.message);
        return 1;
    }
    obuf o = {0};
    char err[256];
    const char *why = canonicalise((const uint8_t *)data, len, &o, err, sizeof err);
    if (why)
        fprintf(stderr, "nan_canon: %s: %s; copied unchanged\n", in, why);
    int rc = pbase_write_file_atomic(out, why ? (const void *)data : o.b, why ? len : o.n, &e);
    if (rc != 0)
        fprintf(stderr, "nan_canon: %s\n", e.message);
    free(o.b);
    free(data);
    return rc != 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[2], "-o") == 0)
        return convert(argv[1], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "-d") == 0) {
        int rc = 0;
        for (int i = 3; i < argc; i++) {
            const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
            size_t n = strlen(argv[2]) + strlen(name) + 2;
            char *out = malloc(n);
            if (!out) {
                fprintf(stderr, "nan_canon: out of memory\n");
                return 1;
            }
            snprintf(out, n, "%s/%s", argv[2], name);
            rc |= convert(argv[i], out);
            free(out);
        }
        return rc;
    }
    fprintf(stderr, "usage: nan_canon IN.wasm -o OUT.wasm | nan_canon -d DIR FILE.wasm...\n");
    return 2;
}
