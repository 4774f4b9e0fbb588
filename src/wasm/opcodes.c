/* The instruction table (opcodes.h) as lookup arrays, and reading an
 * instruction's encoding - its opcode and, by immediate kind, its
 * immediates - for every walk over function bodies. */
#include "opcodes.h"
#include "ir.h"
#include "module.h"

/* What the table's tokens stand for. */
#define T_I WM_I32
#define T_L WM_I64
#define T_F WM_F32
#define T_D WM_F64
#define T_X WM_V128
#define SIG1(a, r) 1, {T_##a, 0, 0}, r
#define SIG2(a, b, r) 2, {T_##a, T_##b, 0}, r
#define SIG_SPECIAL WM_NARGS_SPECIAL, {0, 0, 0}, 0
#define SIG_V_V 0, {0, 0, 0}, 0
#define SIG_V_I 0, {0, 0, 0}, T_I
#define SIG_V_L 0, {0, 0, 0}, T_L
#define SIG_V_F 0, {0, 0, 0}, T_F
#define SIG_V_D 0, {0, 0, 0}, T_D
#define SIG_I_I SIG1(I, T_I)
#define SIG_I_L SIG1(I, T_L)
#define SIG_I_F SIG1(I, T_F)
#define SIG_I_D SIG1(I, T_D)
#define SIG_L_I SIG1(L, T_I)
#define SIG_L_L SIG1(L, T_L)
#define SIG_L_F SIG1(L, T_F)
#define SIG_L_D SIG1(L, T_D)
#define SIG_F_I SIG1(F, T_I)
#define SIG_F_L SIG1(F, T_L)
#define SIG_F_F SIG1(F, T_F)
#define SIG_F_D SIG1(F, T_D)
#define SIG_D_I SIG1(D, T_I)
#define SIG_D_L SIG1(D, T_L)
#define SIG_D_F SIG1(D, T_F)
#define SIG_D_D SIG1(D, T_D)
#define SIG_II_I SIG2(I, I, T_I)
#define SIG_LL_I SIG2(L, L, T_I)
#define SIG_LL_L SIG2(L, L, T_L)
#define SIG_FF_I SIG2(F, F, T_I)
#define SIG_FF_F SIG2(F, F, T_F)
#define SIG_DD_I SIG2(D, D, T_I)
#define SIG_DD_D SIG2(D, D, T_D)
#define SIG_II_V SIG2(I, I, 0)
#define SIG_IL_V SIG2(I, L, 0)
#define SIG_IF_V SIG2(I, F, 0)
#define SIG_ID_V SIG2(I, D, 0)
#define SIG_III_V 3, {T_I, T_I, T_I}, 0
#define SIG_V_X 0, {0, 0, 0}, T_X
#define SIG_I_X SIG1(I, T_X)
#define SIG_L_X SIG1(L, T_X)
#define SIG_F_X SIG1(F, T_X)
#define SIG_D_X SIG1(D, T_X)
#define SIG_X_X SIG1(X, T_X)
#define SIG_X_I SIG1(X, T_I)
#define SIG_X_L SIG1(X, T_L)
#define SIG_X_F SIG1(X, T_F)
#define SIG_X_D SIG1(X, T_D)
#define SIG_XX_X SIG2(X, X, T_X)
#define SIG_XI_X SIG2(X, I, T_X)
#define SIG_XL_X SIG2(X, L, T_X)
#define SIG_XF_X SIG2(X, F, T_X)
#define SIG_XD_X SIG2(X, D, T_X)
#define SIG_IX_X SIG2(I, X, T_X)
#define SIG_IX_V SIG2(I, X, 0)
#define SIG_XXX_X 3, {T_X, T_X, T_X}, T_X
#define COMM WF_COMM
#define NAN_ WF_NAN
#define RETY WF_RETYPE
#define IR_none (-1)

#define ENTRY(kind, code, text, imm, sig, flags, align, ir)                                                      \
    [code] = {text, WI_##imm, kind, SIG_##sig, flags, align, IR_##ir},
#define CONTROL(name, ...) ENTRY(WK_CONTROL, __VA_ARGS__)
#define LOAD(name, ...) ENTRY(WK_LOAD, __VA_ARGS__)
#define STORE(name, ...) ENTRY(WK_STORE, __VA_ARGS__)
#define NUMERIC(name, ...) ENTRY(WK_NUMERIC, __VA_ARGS__)
#define BULK(name, ...) ENTRY(WK_BULK, __VA_ARGS__)
#define SIMD(name, ...) ENTRY(WK_SIMD, __VA_ARGS__)

static const wm_opinfo one_byte[256] = {WM_OPS_CONTROL(CONTROL) WM_OPS_LOAD(LOAD) WM_OPS_STORE(STORE)
                                            WM_OPS_NUMERIC(NUMERIC)};
#define FC_COUNT (0x11 + 1)
static const wm_opinfo prefix_fc[FC_COUNT] = {WM_OPS_FC_SAT(NUMERIC) WM_OPS_FC_BULK(BULK)};
static const wm_opinfo prefix_fd[256] = {WM_OPS_FD(SIMD)};

/* The IR's numeric block is made from the numeric family (ir.h) and indexed
 * by opcode, so the family must list contiguous opcodes in order. */
#define NUMERIC_IN_ORDER(name, code, text, imm, sig, flags, align, ir)                                           \
    _Static_assert(IR_##ir - IR_i32_eqz == (code)-OP_i32_eqz, "numeric opcodes out of order: " text);
WM_OPS_NUMERIC(NUMERIC_IN_ORDER)
#define SAT_IN_ORDER(name, code, text, imm, sig, flags, align, ir)                                               \
    _Static_assert(IR_##ir - IR_i32_trunc_sat_f32_s == (code), "0xfc numeric opcodes out of order: " text);
WM_OPS_FC_SAT(SAT_IN_ORDER)

const wm_opinfo *wm_opinfo_of(uint32_t id) {
    const wm_opinfo *e = NULL;
    uint32_t code = id & 0xffff;
    switch (WM_OPID_PREFIX(id)) {
    case 0: e = code < 256 ? &one_byte[code] : NULL; break;
    case WM_PREFIX_FC: e = code < FC_COUNT ? &prefix_fc[code] : NULL; break;
    case WM_PREFIX_FD: e = code < 256 ? &prefix_fd[code] : NULL; break;
    default: break;
    }
    return e && e->text ? e : NULL;
}

const char *wm_read_opcode(const uint8_t **p, const uint8_t *end, uint32_t *id, const wm_opinfo **info) {
    if (*p >= end)
        return "unexpected end of section or function";
    uint8_t b = *(*p)++;
    *id = b;
    if (wm_is_prefix(b)) {
        uint32_t sub;
        const char *why = NULL;
        if (!wm_read_u32(p, end, &sub, &why))
            return why;
        *id = WM_OPID(b, sub > 0xffff ? 0xffff : sub);
    }
    *info = wm_opinfo_of(*id);
    return NULL;
}

static bool is_blocktype_byte(uint8_t b) {
    return b == 0x40 || b == WM_I32 || b == WM_I64 || b == WM_F32 || b == WM_F64 || b == WM_V128 ||
           b == WM_FUNCREF || b == WM_EXTERNREF;
}

static const char *skip_bytes(const uint8_t **p, const uint8_t *end, uint64_t n) {
    if (n > (uint64_t)(end - *p))
        return "unexpected end";
    *p += n;
    return NULL;
}

static const char *skip_zero(const uint8_t **p, const uint8_t *end) {
    if (*p >= end)
        return "unexpected end";
    if (*(*p)++ != 0)
        return "zero byte expected";
    return NULL;
}

/* Reads `n` u32 immediates into out (NULL: skips them). */
static const char *skip_u32s(const uint8_t **p, const uint8_t *end, uint64_t n, uint32_t *out) {
    const char *why = NULL;
    uint32_t u;
    for (uint64_t k = 0; k < n; k++) {
        if (!wm_read_u32(p, end, &u, &why))
            return why;
        if (out)
            out[k] = u;
    }
    return NULL;
}

const char *wm_skip_immediates(const uint8_t **p, const uint8_t *end, uint8_t imm) {
    const char *why = NULL;
    int32_t i32;
    int64_t i64;
    uint32_t n = 0;
    switch (imm) {
    case WI_NONE: return NULL;
    case WI_BLOCKTYPE:
        if (*p >= end)
            return "unexpected end";
        if (is_blocktype_byte(**p))
            (*p)++;
        else if (!wm_read_s33(p, end, &i64, &why))
            return why;
        return NULL;
    case WI_BR_TABLE:
        if ((why = skip_u32s(p, end, 1, &n)) != NULL)
            return why;
        return skip_u32s(p, end, (uint64_t)n + 1, NULL);
    case WI_SELECT_T:
        if ((why = skip_u32s(p, end, 1, &n)) != NULL)
            return why;
        return skip_bytes(p, end, n);
    case WI_CALL_INDIRECT:
    case WI_MEMARG:
    case WI_ELEM_TABLE:
    case WI_TABLE_TABLE: return skip_u32s(p, end, 2, NULL);
    case WI_MEM: return skip_zero(p, end);
    case WI_MEM_MEM: return (why = skip_zero(p, end)) != NULL ? why : skip_zero(p, end);
    case WI_DATA_MEM: return (why = skip_u32s(p, end, 1, NULL)) != NULL ? why : skip_zero(p, end);
    case WI_I32: return wm_read_s32(p, end, &i32, &why) ? NULL : why;
    case WI_I64: return wm_read_s64(p, end, &i64, &why) ? NULL : why;
    case WI_F32: return skip_bytes(p, end, 4);
    case WI_F64: return skip_bytes(p, end, 8);
    case WI_REFTYPE:
    case WI_LANE: return skip_bytes(p, end, 1);
    case WI_V128:
    case WI_SHUFFLE: return skip_bytes(p, end, 16);
    case WI_MEMARG_LANE: return (why = skip_u32s(p, end, 2, NULL)) != NULL ? why : skip_bytes(p, end, 1);
    default: return skip_u32s(p, end, 1, NULL); /* one index */
    }
}
