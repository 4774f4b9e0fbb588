/* The instruction set, one opcode per line: the one place that says what an
 * instruction is. The decoder (its immediates), the syntax scan, the
 * validator/translator (type rules and IR mapping of the regular families),
 * the disassembler (names) and the native tier (opcode names) all read it.
 *
 * A line is X(name, code, text, imm, sig, flags, align, ir):
 *   name   C identifier; OP_<name> is the opcode's id (below)
 *   code   the byte, or the sub-opcode after the family's prefix byte
 *   text   the text-format name
 *   imm    immediate kind, WI_<imm>: what follows the opcode in the binary
 *   sig    operand and result types: the letters before the `_` are the
 *          operands, the one after it the result (I i32, L i64, F f32,
 *          D f64, X v128, V none); SPECIAL when the types depend on immediates or
 *          the stack (control, variables, references, tables), which the
 *          translator types by hand
 *   flags  WF_* (COMM commutative, NAN may produce a NaN of unspecified
 *          payload, RETYPE only reinterprets the bits)
 *   align  natural alignment (log2 of the access size) of memory accesses
 *   ir     the interpreter's IR op (ir.h) for the regular families, else none
 *
 * The families say how the translator treats a line (how to add an
 * instruction: docs/architecture.md, "Where to add things"):
 *   CONTROL  written out in the translator (compile.c) and the native tier
 *   LOAD     (i32 address) -> T through a memarg, one IR load op
 *   STORE    (i32 address, T) through a memarg, one IR store op
 *   NUMERIC  pure operators, one IR op each: the IR's numeric block is made
 *            from this family, in this order (ir.h)
 *   FC_SAT   0xfc-prefixed numeric operators, likewise
 *   FC_BULK  0xfc-prefixed bulk memory and table operators, by hand
 *   FD       0xfd-prefixed fixed-width SIMD: typed by the sig column (X is
 *            v128), run by the functions of simd.c named after each line
 * The tokens of the sig, flags and ir columns are spelled out in opcodes.c,
 * where the lookup arrays are made.
 *
 * A prefixed family (0xfc, 0xfd) is its own list, with ids
 * WM_OPID(prefix, sub-opcode), and its own lookup array in opcodes.c.
 */
#ifndef PORTALIS_WASM_OPCODES_H
#define PORTALIS_WASM_OPCODES_H

#include <stdint.h>

/* Immediate kinds. */
enum {
    WI_NONE,
    WI_BLOCKTYPE,     /* block type: 0x40, a value type, or an s33 type index */
    WI_LABEL,         /* u32 label depth */
    WI_BR_TABLE,      /* u32 n, then n + 1 label depths */
    WI_FUNC,          /* u32 function index */
    WI_CALL_INDIRECT, /* u32 type index, u32 table index */
    WI_SELECT_T,      /* u32 n, then n value types */
    WI_LOCAL,         /* u32 local index */
    WI_GLOBAL,        /* u32 global index */
    WI_TABLE,         /* u32 table index */
    WI_MEMARG,        /* u32 alignment (log2), u32 offset */
    WI_MEM,           /* a zero byte (memory index 0) */
    WI_MEM_MEM,       /* two zero bytes */
    WI_I32,           /* s32 */
    WI_I64,           /* s64 */
    WI_F32,           /* 4 bytes, little endian */
    WI_F64,           /* 8 bytes */
    WI_REFTYPE,       /* a reference type byte */
    WI_DATA_MEM,      /* u32 data segment, a zero byte */
    WI_DATA,          /* u32 data segment */
    WI_ELEM_TABLE,    /* u32 element segment, u32 table */
    WI_ELEM,          /* u32 element segment */
    WI_TABLE_TABLE,   /* u32 destination table, u32 source table */
    WI_V128,          /* 16 bytes, little endian */
    WI_SHUFFLE,       /* 16 lane index bytes */
    WI_LANE,          /* a lane index byte */
    WI_MEMARG_LANE,   /* a memarg, then a lane index byte */
};

/* Flags. */
#define WF_COMM 1u   /* a OP b == b OP a, NaN payloads included as the translator uses it */
#define WF_NAN 2u    /* float result whose NaN payload is unspecified (canonicalised on request) */
#define WF_RETYPE 4u /* the result is the operand's bits under another type */

/* clang-format off */
/*        name                 code  text                   imm            sig      flags align ir */
#define WM_OPS_CONTROL(X)                                                                              \
    X(unreachable,             0x00, "unreachable",         NONE,          V_V,     0,    0, none)         \
    X(nop,                     0x01, "nop",                 NONE,          V_V,     0,    0, none)         \
    X(block,                   0x02, "block",               BLOCKTYPE,     SPECIAL, 0,    0, none)         \
    X(loop,                    0x03, "loop",                BLOCKTYPE,     SPECIAL, 0,    0, none)         \
    X(if,                      0x04, "if",                  BLOCKTYPE,     SPECIAL, 0,    0, none)         \
    X(else,                    0x05, "else",                NONE,          SPECIAL, 0,    0, none)         \
    X(end,                     0x0b, "end",                 NONE,          SPECIAL, 0,    0, none)         \
    X(br,                      0x0c, "br",                  LABEL,         SPECIAL, 0,    0, none)         \
    X(br_if,                   0x0d, "br_if",               LABEL,         SPECIAL, 0,    0, none)         \
    X(br_table,                0x0e, "br_table",            BR_TABLE,      SPECIAL, 0,    0, none)         \
    X(return,                  0x0f, "return",              NONE,          SPECIAL, 0,    0, none)         \
    X(call,                    0x10, "call",                FUNC,          SPECIAL, 0,    0, none)         \
    X(call_indirect,           0x11, "call_indirect",       CALL_INDIRECT, SPECIAL, 0,    0, none)         \
    X(drop,                    0x1a, "drop",                NONE,          SPECIAL, 0,    0, none)         \
    X(select,                  0x1b, "select",              NONE,          SPECIAL, 0,    0, none)         \
    X(select_t,                0x1c, "select",              SELECT_T,      SPECIAL, 0,    0, none)         \
    X(local_get,               0x20, "local.get",           LOCAL,         SPECIAL, 0,    0, none)         \
    X(local_set,               0x21, "local.set",           LOCAL,         SPECIAL, 0,    0, none)         \
    X(local_tee,               0x22, "local.tee",           LOCAL,         SPECIAL, 0,    0, none)         \
    X(global_get,              0x23, "global.get",          GLOBAL,        SPECIAL, 0,    0, none)         \
    X(global_set,              0x24, "global.set",          GLOBAL,        SPECIAL, 0,    0, none)         \
    X(table_get,               0x25, "table.get",           TABLE,         SPECIAL, 0,    0, none)         \
    X(table_set,               0x26, "table.set",           TABLE,         SPECIAL, 0,    0, none)         \
    X(memory_size,             0x3f, "memory.size",         MEM,           V_I,     0,    0, memory_size)  \
    X(memory_grow,             0x40, "memory.grow",         MEM,           I_I,     0,    0, memory_grow)  \
    X(i32_const,               0x41, "i32.const",           I32,           V_I,     0,    0, none)         \
    X(i64_const,               0x42, "i64.const",           I64,           V_L,     0,    0, none)         \
    X(f32_const,               0x43, "f32.const",           F32,           V_F,     0,    0, none)         \
    X(f64_const,               0x44, "f64.const",           F64,           V_D,     0,    0, none)         \
    X(ref_null,                0xd0, "ref.null",            REFTYPE,       SPECIAL, 0,    0, none)         \
    X(ref_is_null,             0xd1, "ref.is_null",         NONE,          SPECIAL, 0,    0, ref_is_null)  \
    X(ref_func,                0xd2, "ref.func",            FUNC,          SPECIAL, 0,    0, ref_func)

#define WM_OPS_LOAD(X)                                                                                 \
    X(i32_load,                0x28, "i32.load",            MEMARG,        I_I,     0,    2, load32)       \
    X(i64_load,                0x29, "i64.load",            MEMARG,        I_L,     0,    3, load64)       \
    X(f32_load,                0x2a, "f32.load",            MEMARG,        I_F,     0,    2, load32)       \
    X(f64_load,                0x2b, "f64.load",            MEMARG,        I_D,     0,    3, load64)       \
    X(i32_load8_s,             0x2c, "i32.load8_s",         MEMARG,        I_I,     0,    0, load8s32)     \
    X(i32_load8_u,             0x2d, "i32.load8_u",         MEMARG,        I_I,     0,    0, load8u32)     \
    X(i32_load16_s,            0x2e, "i32.load16_s",        MEMARG,        I_I,     0,    1, load16s32)    \
    X(i32_load16_u,            0x2f, "i32.load16_u",        MEMARG,        I_I,     0,    1, load16u32)    \
    X(i64_load8_s,             0x30, "i64.load8_s",         MEMARG,        I_L,     0,    0, load8s64)     \
    X(i64_load8_u,             0x31, "i64.load8_u",         MEMARG,        I_L,     0,    0, load8u64)     \
    X(i64_load16_s,            0x32, "i64.load16_s",        MEMARG,        I_L,     0,    1, load16s64)    \
    X(i64_load16_u,            0x33, "i64.load16_u",        MEMARG,        I_L,     0,    1, load16u64)    \
    X(i64_load32_s,            0x34, "i64.load32_s",        MEMARG,        I_L,     0,    2, load32s64)    \
    X(i64_load32_u,            0x35, "i64.load32_u",        MEMARG,        I_L,     0,    2, load32u64)

#define WM_OPS_STORE(X)                                                                                \
    X(i32_store,               0x36, "i32.store",           MEMARG,        II_V,    0,    2, store32)      \
    X(i64_store,               0x37, "i64.store",           MEMARG,        IL_V,    0,    3, store64)      \
    X(f32_store,               0x38, "f32.store",           MEMARG,        IF_V,    0,    2, store32)      \
    X(f64_store,               0x39, "f64.store",           MEMARG,        ID_V,    0,    3, store64)      \
    X(i32_store8,              0x3a, "i32.store8",          MEMARG,        II_V,    0,    0, store8)       \
    X(i32_store16,             0x3b, "i32.store16",         MEMARG,        II_V,    0,    1, store16)      \
    X(i64_store8,              0x3c, "i64.store8",          MEMARG,        IL_V,    0,    0, store8)       \
    X(i64_store16,             0x3d, "i64.store16",         MEMARG,        IL_V,    0,    1, store16)      \
    X(i64_store32,             0x3e, "i64.store32",         MEMARG,        IL_V,    0,    2, store32)

#define WM_OPS_NUMERIC(X)                                                                              \
    X(i32_eqz,                 0x45, "i32.eqz",             NONE,          I_I,     0,    0, i32_eqz)             \
    X(i32_eq,                  0x46, "i32.eq",              NONE,          II_I,    COMM, 0, i32_eq)              \
    X(i32_ne,                  0x47, "i32.ne",              NONE,          II_I,    COMM, 0, i32_ne)              \
    X(i32_lt_s,                0x48, "i32.lt_s",            NONE,          II_I,    0,    0, i32_lt_s)            \
    X(i32_lt_u,                0x49, "i32.lt_u",            NONE,          II_I,    0,    0, i32_lt_u)            \
    X(i32_gt_s,                0x4a, "i32.gt_s",            NONE,          II_I,    0,    0, i32_gt_s)            \
    X(i32_gt_u,                0x4b, "i32.gt_u",            NONE,          II_I,    0,    0, i32_gt_u)            \
    X(i32_le_s,                0x4c, "i32.le_s",            NONE,          II_I,    0,    0, i32_le_s)            \
    X(i32_le_u,                0x4d, "i32.le_u",            NONE,          II_I,    0,    0, i32_le_u)            \
    X(i32_ge_s,                0x4e, "i32.ge_s",            NONE,          II_I,    0,    0, i32_ge_s)            \
    X(i32_ge_u,                0x4f, "i32.ge_u",            NONE,          II_I,    0,    0, i32_ge_u)            \
    X(i64_eqz,                 0x50, "i64.eqz",             NONE,          L_I,     0,    0, i64_eqz)             \
    X(i64_eq,                  0x51, "i64.eq",              NONE,          LL_I,    COMM, 0, i64_eq)              \
    X(i64_ne,                  0x52, "i64.ne",              NONE,          LL_I,    COMM, 0, i64_ne)              \
    X(i64_lt_s,                0x53, "i64.lt_s",            NONE,          LL_I,    0,    0, i64_lt_s)            \
    X(i64_lt_u,                0x54, "i64.lt_u",            NONE,          LL_I,    0,    0, i64_lt_u)            \
    X(i64_gt_s,                0x55, "i64.gt_s",            NONE,          LL_I,    0,    0, i64_gt_s)            \
    X(i64_gt_u,                0x56, "i64.gt_u",            NONE,          LL_I,    0,    0, i64_gt_u)            \
    X(i64_le_s,                0x57, "i64.le_s",            NONE,          LL_I,    0,    0, i64_le_s)            \
    X(i64_le_u,                0x58, "i64.le_u",            NONE,          LL_I,    0,    0, i64_le_u)            \
    X(i64_ge_s,                0x59, "i64.ge_s",            NONE,          LL_I,    0,    0, i64_ge_s)            \
    X(i64_ge_u,                0x5a, "i64.ge_u",            NONE,          LL_I,    0,    0, i64_ge_u)            \
    X(f32_eq,                  0x5b, "f32.eq",              NONE,          FF_I,    0,    0, f32_eq)              \
    X(f32_ne,                  0x5c, "f32.ne",              NONE,          FF_I,    0,    0, f32_ne)              \
    X(f32_lt,                  0x5d, "f32.lt",              NONE,          FF_I,    0,    0, f32_lt)              \
    X(f32_gt,                  0x5e, "f32.gt",              NONE,          FF_I,    0,    0, f32_gt)              \
    X(f32_le,                  0x5f, "f32.le",              NONE,          FF_I,    0,    0, f32_le)              \
    X(f32_ge,                  0x60, "f32.ge",              NONE,          FF_I,    0,    0, f32_ge)              \
    X(f64_eq,                  0x61, "f64.eq",              NONE,          DD_I,    0,    0, f64_eq)              \
    X(f64_ne,                  0x62, "f64.ne",              NONE,          DD_I,    0,    0, f64_ne)              \
    X(f64_lt,                  0x63, "f64.lt",              NONE,          DD_I,    0,    0, f64_lt)              \
    X(f64_gt,                  0x64, "f64.gt",              NONE,          DD_I,    0,    0, f64_gt)              \
    X(f64_le,                  0x65, "f64.le",              NONE,          DD_I,    0,    0, f64_le)              \
    X(f64_ge,                  0x66, "f64.ge",              NONE,          DD_I,    0,    0, f64_ge)              \
    X(i32_clz,                 0x67, "i32.clz",             NONE,          I_I,     0,    0, i32_clz)             \
    X(i32_ctz,                 0x68, "i32.ctz",             NONE,          I_I,     0,    0, i32_ctz)             \
    X(i32_popcnt,              0x69, "i32.popcnt",          NONE,          I_I,     0,    0, i32_popcnt)          \
    X(i32_add,                 0x6a, "i32.add",             NONE,          II_I,    COMM, 0, i32_add)             \
    X(i32_sub,                 0x6b, "i32.sub",             NONE,          II_I,    0,    0, i32_sub)             \
    X(i32_mul,                 0x6c, "i32.mul",             NONE,          II_I,    COMM, 0, i32_mul)             \
    X(i32_div_s,               0x6d, "i32.div_s",           NONE,          II_I,    0,    0, i32_div_s)           \
    X(i32_div_u,               0x6e, "i32.div_u",           NONE,          II_I,    0,    0, i32_div_u)           \
    X(i32_rem_s,               0x6f, "i32.rem_s",           NONE,          II_I,    0,    0, i32_rem_s)           \
    X(i32_rem_u,               0x70, "i32.rem_u",           NONE,          II_I,    0,    0, i32_rem_u)           \
    X(i32_and,                 0x71, "i32.and",             NONE,          II_I,    COMM, 0, i32_and)             \
    X(i32_or,                  0x72, "i32.or",              NONE,          II_I,    COMM, 0, i32_or)              \
    X(i32_xor,                 0x73, "i32.xor",             NONE,          II_I,    COMM, 0, i32_xor)             \
    X(i32_shl,                 0x74, "i32.shl",             NONE,          II_I,    0,    0, i32_shl)             \
    X(i32_shr_s,               0x75, "i32.shr_s",           NONE,          II_I,    0,    0, i32_shr_s)           \
    X(i32_shr_u,               0x76, "i32.shr_u",           NONE,          II_I,    0,    0, i32_shr_u)           \
    X(i32_rotl,                0x77, "i32.rotl",            NONE,          II_I,    0,    0, i32_rotl)            \
    X(i32_rotr,                0x78, "i32.rotr",            NONE,          II_I,    0,    0, i32_rotr)            \
    X(i64_clz,                 0x79, "i64.clz",             NONE,          L_L,     0,    0, i64_clz)             \
    X(i64_ctz,                 0x7a, "i64.ctz",             NONE,          L_L,     0,    0, i64_ctz)             \
    X(i64_popcnt,              0x7b, "i64.popcnt",          NONE,          L_L,     0,    0, i64_popcnt)          \
    X(i64_add,                 0x7c, "i64.add",             NONE,          LL_L,    COMM, 0, i64_add)             \
    X(i64_sub,                 0x7d, "i64.sub",             NONE,          LL_L,    0,    0, i64_sub)             \
    X(i64_mul,                 0x7e, "i64.mul",             NONE,          LL_L,    COMM, 0, i64_mul)             \
    X(i64_div_s,               0x7f, "i64.div_s",           NONE,          LL_L,    0,    0, i64_div_s)           \
    X(i64_div_u,               0x80, "i64.div_u",           NONE,          LL_L,    0,    0, i64_div_u)           \
    X(i64_rem_s,               0x81, "i64.rem_s",           NONE,          LL_L,    0,    0, i64_rem_s)           \
    X(i64_rem_u,               0x82, "i64.rem_u",           NONE,          LL_L,    0,    0, i64_rem_u)           \
    X(i64_and,                 0x83, "i64.and",             NONE,          LL_L,    COMM, 0, i64_and)             \
    X(i64_or,                  0x84, "i64.or",              NONE,          LL_L,    COMM, 0, i64_or)              \
    X(i64_xor,                 0x85, "i64.xor",             NONE,          LL_L,    COMM, 0, i64_xor)             \
    X(i64_shl,                 0x86, "i64.shl",             NONE,          LL_L,    0,    0, i64_shl)             \
    X(i64_shr_s,               0x87, "i64.shr_s",           NONE,          LL_L,    0,    0, i64_shr_s)           \
    X(i64_shr_u,               0x88, "i64.shr_u",           NONE,          LL_L,    0,    0, i64_shr_u)           \
    X(i64_rotl,                0x89, "i64.rotl",            NONE,          LL_L,    0,    0, i64_rotl)            \
    X(i64_rotr,                0x8a, "i64.rotr",            NONE,          LL_L,    0,    0, i64_rotr)            \
    X(f32_abs,                 0x8b, "f32.abs",             NONE,          F_F,     0,    0, f32_abs)             \
    X(f32_neg,                 0x8c, "f32.neg",             NONE,          F_F,     0,    0, f32_neg)             \
    X(f32_ceil,                0x8d, "f32.ceil",            NONE,          F_F,     NAN_, 0, f32_ceil)            \
    X(f32_floor,               0x8e, "f32.floor",           NONE,          F_F,     NAN_, 0, f32_floor)           \
    X(f32_trunc,               0x8f, "f32.trunc",           NONE,          F_F,     NAN_, 0, f32_trunc)           \
    X(f32_nearest,             0x90, "f32.nearest",         NONE,          F_F,     NAN_, 0, f32_nearest)         \
    X(f32_sqrt,                0x91, "f32.sqrt",            NONE,          F_F,     NAN_, 0, f32_sqrt)            \
    X(f32_add,                 0x92, "f32.add",             NONE,          FF_F,    COMM | NAN_, 0, f32_add)      \
    X(f32_sub,                 0x93, "f32.sub",             NONE,          FF_F,    NAN_, 0, f32_sub)             \
    X(f32_mul,                 0x94, "f32.mul",             NONE,          FF_F,    COMM | NAN_, 0, f32_mul)      \
    X(f32_div,                 0x95, "f32.div",             NONE,          FF_F,    NAN_, 0, f32_div)             \
    X(f32_min,                 0x96, "f32.min",             NONE,          FF_F,    NAN_, 0, f32_min)             \
    X(f32_max,                 0x97, "f32.max",             NONE,          FF_F,    NAN_, 0, f32_max)             \
    X(f32_copysign,            0x98, "f32.copysign",        NONE,          FF_F,    0,    0, f32_copysign)        \
    X(f64_abs,                 0x99, "f64.abs",             NONE,          D_D,     0,    0, f64_abs)             \
    X(f64_neg,                 0x9a, "f64.neg",             NONE,          D_D,     0,    0, f64_neg)             \
    X(f64_ceil,                0x9b, "f64.ceil",            NONE,          D_D,     NAN_, 0, f64_ceil)            \
    X(f64_floor,               0x9c, "f64.floor",           NONE,          D_D,     NAN_, 0, f64_floor)           \
    X(f64_trunc,               0x9d, "f64.trunc",           NONE,          D_D,     NAN_, 0, f64_trunc)           \
    X(f64_nearest,             0x9e, "f64.nearest",         NONE,          D_D,     NAN_, 0, f64_nearest)         \
    X(f64_sqrt,                0x9f, "f64.sqrt",            NONE,          D_D,     NAN_, 0, f64_sqrt)            \
    X(f64_add,                 0xa0, "f64.add",             NONE,          DD_D,    COMM | NAN_, 0, f64_add)      \
    X(f64_sub,                 0xa1, "f64.sub",             NONE,          DD_D,    NAN_, 0, f64_sub)             \
    X(f64_mul,                 0xa2, "f64.mul",             NONE,          DD_D,    COMM | NAN_, 0, f64_mul)      \
    X(f64_div,                 0xa3, "f64.div",             NONE,          DD_D,    NAN_, 0, f64_div)             \
    X(f64_min,                 0xa4, "f64.min",             NONE,          DD_D,    NAN_, 0, f64_min)             \
    X(f64_max,                 0xa5, "f64.max",             NONE,          DD_D,    NAN_, 0, f64_max)             \
    X(f64_copysign,            0xa6, "f64.copysign",        NONE,          DD_D,    0,    0, f64_copysign)        \
    X(i32_wrap_i64,            0xa7, "i32.wrap_i64",        NONE,          L_I,     RETY, 0, i32_wrap_i64)        \
    X(i32_trunc_f32_s,         0xa8, "i32.trunc_f32_s",     NONE,          F_I,     0,    0, i32_trunc_f32_s)     \
    X(i32_trunc_f32_u,         0xa9, "i32.trunc_f32_u",     NONE,          F_I,     0,    0, i32_trunc_f32_u)     \
    X(i32_trunc_f64_s,         0xaa, "i32.trunc_f64_s",     NONE,          D_I,     0,    0, i32_trunc_f64_s)     \
    X(i32_trunc_f64_u,         0xab, "i32.trunc_f64_u",     NONE,          D_I,     0,    0, i32_trunc_f64_u)     \
    X(i64_extend_i32_s,        0xac, "i64.extend_i32_s",    NONE,          I_L,     0,    0, i64_extend_i32_s)    \
    X(i64_extend_i32_u,        0xad, "i64.extend_i32_u",    NONE,          I_L,     0,    0, i64_extend_i32_u)    \
    X(i64_trunc_f32_s,         0xae, "i64.trunc_f32_s",     NONE,          F_L,     0,    0, i64_trunc_f32_s)     \
    X(i64_trunc_f32_u,         0xaf, "i64.trunc_f32_u",     NONE,          F_L,     0,    0, i64_trunc_f32_u)     \
    X(i64_trunc_f64_s,         0xb0, "i64.trunc_f64_s",     NONE,          D_L,     0,    0, i64_trunc_f64_s)     \
    X(i64_trunc_f64_u,         0xb1, "i64.trunc_f64_u",     NONE,          D_L,     0,    0, i64_trunc_f64_u)     \
    X(f32_convert_i32_s,       0xb2, "f32.convert_i32_s",   NONE,          I_F,     0,    0, f32_convert_i32_s)   \
    X(f32_convert_i32_u,       0xb3, "f32.convert_i32_u",   NONE,          I_F,     0,    0, f32_convert_i32_u)   \
    X(f32_convert_i64_s,       0xb4, "f32.convert_i64_s",   NONE,          L_F,     0,    0, f32_convert_i64_s)   \
    X(f32_convert_i64_u,       0xb5, "f32.convert_i64_u",   NONE,          L_F,     0,    0, f32_convert_i64_u)   \
    X(f32_demote_f64,          0xb6, "f32.demote_f64",      NONE,          D_F,     NAN_, 0, f32_demote_f64)      \
    X(f64_convert_i32_s,       0xb7, "f64.convert_i32_s",   NONE,          I_D,     0,    0, f64_convert_i32_s)   \
    X(f64_convert_i32_u,       0xb8, "f64.convert_i32_u",   NONE,          I_D,     0,    0, f64_convert_i32_u)   \
    X(f64_convert_i64_s,       0xb9, "f64.convert_i64_s",   NONE,          L_D,     0,    0, f64_convert_i64_s)   \
    X(f64_convert_i64_u,       0xba, "f64.convert_i64_u",   NONE,          L_D,     0,    0, f64_convert_i64_u)   \
    X(f64_promote_f32,         0xbb, "f64.promote_f32",     NONE,          F_D,     NAN_, 0, f64_promote_f32)     \
    X(i32_reinterpret_f32,     0xbc, "i32.reinterpret_f32", NONE,          F_I,     RETY, 0, i32_reinterpret_f32) \
    X(i64_reinterpret_f64,     0xbd, "i64.reinterpret_f64", NONE,          D_L,     RETY, 0, i64_reinterpret_f64) \
    X(f32_reinterpret_i32,     0xbe, "f32.reinterpret_i32", NONE,          I_F,     RETY, 0, f32_reinterpret_i32) \
    X(f64_reinterpret_i64,     0xbf, "f64.reinterpret_i64", NONE,          L_D,     RETY, 0, f64_reinterpret_i64) \
    X(i32_extend8_s,           0xc0, "i32.extend8_s",       NONE,          I_I,     0,    0, i32_extend8_s)       \
    X(i32_extend16_s,          0xc1, "i32.extend16_s",      NONE,          I_I,     0,    0, i32_extend16_s)      \
    X(i64_extend8_s,           0xc2, "i64.extend8_s",       NONE,          L_L,     0,    0, i64_extend8_s)       \
    X(i64_extend16_s,          0xc3, "i64.extend16_s",      NONE,          L_L,     0,    0, i64_extend16_s)      \
    X(i64_extend32_s,          0xc4, "i64.extend32_s",      NONE,          L_L,     0,    0, i64_extend32_s)

/* After the 0xfc prefix (the code is the u32 sub-opcode). */
#define WM_OPS_FC_SAT(X)                                                                               \
    X(i32_trunc_sat_f32_s,     0x00, "i32.trunc_sat_f32_s", NONE,          F_I,     0,    0, i32_trunc_sat_f32_s) \
    X(i32_trunc_sat_f32_u,     0x01, "i32.trunc_sat_f32_u", NONE,          F_I,     0,    0, i32_trunc_sat_f32_u) \
    X(i32_trunc_sat_f64_s,     0x02, "i32.trunc_sat_f64_s", NONE,          D_I,     0,    0, i32_trunc_sat_f64_s) \
    X(i32_trunc_sat_f64_u,     0x03, "i32.trunc_sat_f64_u", NONE,          D_I,     0,    0, i32_trunc_sat_f64_u) \
    X(i64_trunc_sat_f32_s,     0x04, "i64.trunc_sat_f32_s", NONE,          F_L,     0,    0, i64_trunc_sat_f32_s) \
    X(i64_trunc_sat_f32_u,     0x05, "i64.trunc_sat_f32_u", NONE,          F_L,     0,    0, i64_trunc_sat_f32_u) \
    X(i64_trunc_sat_f64_s,     0x06, "i64.trunc_sat_f64_s", NONE,          D_L,     0,    0, i64_trunc_sat_f64_s) \
    X(i64_trunc_sat_f64_u,     0x07, "i64.trunc_sat_f64_u", NONE,          D_L,     0,    0, i64_trunc_sat_f64_u)

#define WM_OPS_FC_BULK(X)                                                                              \
    X(memory_init,             0x08, "memory.init",         DATA_MEM,      III_V,   0,    0, memory_init)  \
    X(data_drop,               0x09, "data.drop",           DATA,          V_V,     0,    0, data_drop)    \
    X(memory_copy,             0x0a, "memory.copy",         MEM_MEM,       III_V,   0,    0, memory_copy)  \
    X(memory_fill,             0x0b, "memory.fill",         MEM,           III_V,   0,    0, memory_fill)  \
    X(table_init,              0x0c, "table.init",          ELEM_TABLE,    III_V,   0,    0, table_init)   \
    X(elem_drop,               0x0d, "elem.drop",           ELEM,          V_V,     0,    0, elem_drop)    \
    X(table_copy,              0x0e, "table.copy",          TABLE_TABLE,   III_V,   0,    0, table_copy)   \
    X(table_grow,              0x0f, "table.grow",          TABLE,         SPECIAL, 0,    0, table_grow)   \
    X(table_size,              0x10, "table.size",          TABLE,         V_I,     0,    0, table_size)   \
    X(table_fill,              0x11, "table.fill",          TABLE,         SPECIAL, 0,    0, table_fill)

/* After the 0xfd prefix: fixed-width SIMD (the code is the u32 sub-opcode;
 * X in a sig is v128; align is the natural alignment of a memory access). */
#define WM_OPS_FD(X)                                                                                   \
    X(v128_load,                  0x00, "v128.load",                       MEMARG,      I_X,   0,    4, none)         \
    X(v128_load8x8_s,             0x01, "v128.load8x8_s",                  MEMARG,      I_X,   0,    3, none)         \
    X(v128_load8x8_u,             0x02, "v128.load8x8_u",                  MEMARG,      I_X,   0,    3, none)         \
    X(v128_load16x4_s,            0x03, "v128.load16x4_s",                 MEMARG,      I_X,   0,    3, none)         \
    X(v128_load16x4_u,            0x04, "v128.load16x4_u",                 MEMARG,      I_X,   0,    3, none)         \
    X(v128_load32x2_s,            0x05, "v128.load32x2_s",                 MEMARG,      I_X,   0,    3, none)         \
    X(v128_load32x2_u,            0x06, "v128.load32x2_u",                 MEMARG,      I_X,   0,    3, none)         \
    X(v128_load8_splat,           0x07, "v128.load8_splat",                MEMARG,      I_X,   0,    0, none)         \
    X(v128_load16_splat,          0x08, "v128.load16_splat",               MEMARG,      I_X,   0,    1, none)         \
    X(v128_load32_splat,          0x09, "v128.load32_splat",               MEMARG,      I_X,   0,    2, none)         \
    X(v128_load64_splat,          0x0a, "v128.load64_splat",               MEMARG,      I_X,   0,    3, none)         \
    X(v128_store,                 0x0b, "v128.store",                      MEMARG,      IX_V,  0,    4, none)         \
    X(v128_const,                 0x0c, "v128.const",                      V128,        V_X,   0,    0, none)         \
    X(i8x16_shuffle,              0x0d, "i8x16.shuffle",                   SHUFFLE,     XX_X,  0,    0, none)         \
    X(i8x16_swizzle,              0x0e, "i8x16.swizzle",                   NONE,        XX_X,  0,    0, none)         \
    X(i8x16_splat,                0x0f, "i8x16.splat",                     NONE,        I_X,   0,    0, none)         \
    X(i16x8_splat,                0x10, "i16x8.splat",                     NONE,        I_X,   0,    0, none)         \
    X(i32x4_splat,                0x11, "i32x4.splat",                     NONE,        I_X,   0,    0, none)         \
    X(i64x2_splat,                0x12, "i64x2.splat",                     NONE,        L_X,   0,    0, none)         \
    X(f32x4_splat,                0x13, "f32x4.splat",                     NONE,        F_X,   0,    0, none)         \
    X(f64x2_splat,                0x14, "f64x2.splat",                     NONE,        D_X,   0,    0, none)         \
    X(i8x16_extract_lane_s,       0x15, "i8x16.extract_lane_s",            LANE,        X_I,   0,    0, none)         \
    X(i8x16_extract_lane_u,       0x16, "i8x16.extract_lane_u",            LANE,        X_I,   0,    0, none)         \
    X(i8x16_replace_lane,         0x17, "i8x16.replace_lane",              LANE,        XI_X,  0,    0, none)         \
    X(i16x8_extract_lane_s,       0x18, "i16x8.extract_lane_s",            LANE,        X_I,   0,    0, none)         \
    X(i16x8_extract_lane_u,       0x19, "i16x8.extract_lane_u",            LANE,        X_I,   0,    0, none)         \
    X(i16x8_replace_lane,         0x1a, "i16x8.replace_lane",              LANE,        XI_X,  0,    0, none)         \
    X(i32x4_extract_lane,         0x1b, "i32x4.extract_lane",              LANE,        X_I,   0,    0, none)         \
    X(i32x4_replace_lane,         0x1c, "i32x4.replace_lane",              LANE,        XI_X,  0,    0, none)         \
    X(i64x2_extract_lane,         0x1d, "i64x2.extract_lane",              LANE,        X_L,   0,    0, none)         \
    X(i64x2_replace_lane,         0x1e, "i64x2.replace_lane",              LANE,        XL_X,  0,    0, none)         \
    X(f32x4_extract_lane,         0x1f, "f32x4.extract_lane",              LANE,        X_F,   0,    0, none)         \
    X(f32x4_replace_lane,         0x20, "f32x4.replace_lane",              LANE,        XF_X,  0,    0, none)         \
    X(f64x2_extract_lane,         0x21, "f64x2.extract_lane",              LANE,        X_D,   0,    0, none)         \
    X(f64x2_replace_lane,         0x22, "f64x2.replace_lane",              LANE,        XD_X,  0,    0, none)         \
    X(i8x16_eq,                   0x23, "i8x16.eq",                        NONE,        XX_X,  0,    0, none)         \
    X(i8x16_ne,                   0x24, "i8x16.ne",                        NONE,        XX_X,  0,    0, none)         \
    X(i8x16_lt_s,                 0x25, "i8x16.lt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_lt_u,                 0x26, "i8x16.lt_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_gt_s,                 0x27, "i8x16.gt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_gt_u,                 0x28, "i8x16.gt_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_le_s,                 0x29, "i8x16.le_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_le_u,                 0x2a, "i8x16.le_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_ge_s,                 0x2b, "i8x16.ge_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i8x16_ge_u,                 0x2c, "i8x16.ge_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_eq,                   0x2d, "i16x8.eq",                        NONE,        XX_X,  0,    0, none)         \
    X(i16x8_ne,                   0x2e, "i16x8.ne",                        NONE,        XX_X,  0,    0, none)         \
    X(i16x8_lt_s,                 0x2f, "i16x8.lt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_lt_u,                 0x30, "i16x8.lt_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_gt_s,                 0x31, "i16x8.gt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_gt_u,                 0x32, "i16x8.gt_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_le_s,                 0x33, "i16x8.le_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_le_u,                 0x34, "i16x8.le_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_ge_s,                 0x35, "i16x8.ge_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i16x8_ge_u,                 0x36, "i16x8.ge_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_eq,                   0x37, "i32x4.eq",                        NONE,        XX_X,  0,    0, none)         \
    X(i32x4_ne,                   0x38, "i32x4.ne",                        NONE,        XX_X,  0,    0, none)         \
    X(i32x4_lt_s,                 0x39, "i32x4.lt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_lt_u,                 0x3a, "i32x4.lt_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_gt_s,                 0x3b, "i32x4.gt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_gt_u,                 0x3c, "i32x4.gt_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_le_s,                 0x3d, "i32x4.le_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_le_u,                 0x3e, "i32x4.le_u",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_ge_s,                 0x3f, "i32x4.ge_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_ge_u,                 0x40, "i32x4.ge_u",                      NONE,        XX_X,  0,    0, none)         \
    X(f32x4_eq,                   0x41, "f32x4.eq",                        NONE,        XX_X,  0,    0, none)         \
    X(f32x4_ne,                   0x42, "f32x4.ne",                        NONE,        XX_X,  0,    0, none)         \
    X(f32x4_lt,                   0x43, "f32x4.lt",                        NONE,        XX_X,  0,    0, none)         \
    X(f32x4_gt,                   0x44, "f32x4.gt",                        NONE,        XX_X,  0,    0, none)         \
    X(f32x4_le,                   0x45, "f32x4.le",                        NONE,        XX_X,  0,    0, none)         \
    X(f32x4_ge,                   0x46, "f32x4.ge",                        NONE,        XX_X,  0,    0, none)         \
    X(f64x2_eq,                   0x47, "f64x2.eq",                        NONE,        XX_X,  0,    0, none)         \
    X(f64x2_ne,                   0x48, "f64x2.ne",                        NONE,        XX_X,  0,    0, none)         \
    X(f64x2_lt,                   0x49, "f64x2.lt",                        NONE,        XX_X,  0,    0, none)         \
    X(f64x2_gt,                   0x4a, "f64x2.gt",                        NONE,        XX_X,  0,    0, none)         \
    X(f64x2_le,                   0x4b, "f64x2.le",                        NONE,        XX_X,  0,    0, none)         \
    X(f64x2_ge,                   0x4c, "f64x2.ge",                        NONE,        XX_X,  0,    0, none)         \
    X(v128_not,                   0x4d, "v128.not",                        NONE,        X_X,   0,    0, none)         \
    X(v128_and,                   0x4e, "v128.and",                        NONE,        XX_X,  0,    0, none)         \
    X(v128_andnot,                0x4f, "v128.andnot",                     NONE,        XX_X,  0,    0, none)         \
    X(v128_or,                    0x50, "v128.or",                         NONE,        XX_X,  0,    0, none)         \
    X(v128_xor,                   0x51, "v128.xor",                        NONE,        XX_X,  0,    0, none)         \
    X(v128_bitselect,             0x52, "v128.bitselect",                  NONE,        XXX_X, 0,    0, none)         \
    X(v128_any_true,              0x53, "v128.any_true",                   NONE,        X_I,   0,    0, none)         \
    X(v128_load8_lane,            0x54, "v128.load8_lane",                 MEMARG_LANE, IX_X,  0,    0, none)         \
    X(v128_load16_lane,           0x55, "v128.load16_lane",                MEMARG_LANE, IX_X,  0,    1, none)         \
    X(v128_load32_lane,           0x56, "v128.load32_lane",                MEMARG_LANE, IX_X,  0,    2, none)         \
    X(v128_load64_lane,           0x57, "v128.load64_lane",                MEMARG_LANE, IX_X,  0,    3, none)         \
    X(v128_store8_lane,           0x58, "v128.store8_lane",                MEMARG_LANE, IX_V,  0,    0, none)         \
    X(v128_store16_lane,          0x59, "v128.store16_lane",               MEMARG_LANE, IX_V,  0,    1, none)         \
    X(v128_store32_lane,          0x5a, "v128.store32_lane",               MEMARG_LANE, IX_V,  0,    2, none)         \
    X(v128_store64_lane,          0x5b, "v128.store64_lane",               MEMARG_LANE, IX_V,  0,    3, none)         \
    X(v128_load32_zero,           0x5c, "v128.load32_zero",                MEMARG,      I_X,   0,    2, none)         \
    X(v128_load64_zero,           0x5d, "v128.load64_zero",                MEMARG,      I_X,   0,    3, none)         \
    X(f32x4_demote_f64x2_zero,    0x5e, "f32x4.demote_f64x2_zero",         NONE,        X_X,   NAN_, 0, none)         \
    X(f64x2_promote_low_f32x4,    0x5f, "f64x2.promote_low_f32x4",         NONE,        X_X,   NAN_, 0, none)         \
    X(i8x16_abs,                  0x60, "i8x16.abs",                       NONE,        X_X,   0,    0, none)         \
    X(i8x16_neg,                  0x61, "i8x16.neg",                       NONE,        X_X,   0,    0, none)         \
    X(i8x16_popcnt,               0x62, "i8x16.popcnt",                    NONE,        X_X,   0,    0, none)         \
    X(i8x16_all_true,             0x63, "i8x16.all_true",                  NONE,        X_I,   0,    0, none)         \
    X(i8x16_bitmask,              0x64, "i8x16.bitmask",                   NONE,        X_I,   0,    0, none)         \
    X(i8x16_narrow_i16x8_s,       0x65, "i8x16.narrow_i16x8_s",            NONE,        XX_X,  0,    0, none)         \
    X(i8x16_narrow_i16x8_u,       0x66, "i8x16.narrow_i16x8_u",            NONE,        XX_X,  0,    0, none)         \
    X(f32x4_ceil,                 0x67, "f32x4.ceil",                      NONE,        X_X,   NAN_, 0, none)         \
    X(f32x4_floor,                0x68, "f32x4.floor",                     NONE,        X_X,   NAN_, 0, none)         \
    X(f32x4_trunc,                0x69, "f32x4.trunc",                     NONE,        X_X,   NAN_, 0, none)         \
    X(f32x4_nearest,              0x6a, "f32x4.nearest",                   NONE,        X_X,   NAN_, 0, none)         \
    X(i8x16_shl,                  0x6b, "i8x16.shl",                       NONE,        XI_X,  0,    0, none)         \
    X(i8x16_shr_s,                0x6c, "i8x16.shr_s",                     NONE,        XI_X,  0,    0, none)         \
    X(i8x16_shr_u,                0x6d, "i8x16.shr_u",                     NONE,        XI_X,  0,    0, none)         \
    X(i8x16_add,                  0x6e, "i8x16.add",                       NONE,        XX_X,  0,    0, none)         \
    X(i8x16_add_sat_s,            0x6f, "i8x16.add_sat_s",                 NONE,        XX_X,  0,    0, none)         \
    X(i8x16_add_sat_u,            0x70, "i8x16.add_sat_u",                 NONE,        XX_X,  0,    0, none)         \
    X(i8x16_sub,                  0x71, "i8x16.sub",                       NONE,        XX_X,  0,    0, none)         \
    X(i8x16_sub_sat_s,            0x72, "i8x16.sub_sat_s",                 NONE,        XX_X,  0,    0, none)         \
    X(i8x16_sub_sat_u,            0x73, "i8x16.sub_sat_u",                 NONE,        XX_X,  0,    0, none)         \
    X(f64x2_ceil,                 0x74, "f64x2.ceil",                      NONE,        X_X,   NAN_, 0, none)         \
    X(f64x2_floor,                0x75, "f64x2.floor",                     NONE,        X_X,   NAN_, 0, none)         \
    X(i8x16_min_s,                0x76, "i8x16.min_s",                     NONE,        XX_X,  0,    0, none)         \
    X(i8x16_min_u,                0x77, "i8x16.min_u",                     NONE,        XX_X,  0,    0, none)         \
    X(i8x16_max_s,                0x78, "i8x16.max_s",                     NONE,        XX_X,  0,    0, none)         \
    X(i8x16_max_u,                0x79, "i8x16.max_u",                     NONE,        XX_X,  0,    0, none)         \
    X(f64x2_trunc,                0x7a, "f64x2.trunc",                     NONE,        X_X,   NAN_, 0, none)         \
    X(i8x16_avgr_u,               0x7b, "i8x16.avgr_u",                    NONE,        XX_X,  0,    0, none)         \
    X(i16x8_extadd_pairwise_i8x16_s, 0x7c, "i16x8.extadd_pairwise_i8x16_s",   NONE,        X_X,   0,    0, none)      \
    X(i16x8_extadd_pairwise_i8x16_u, 0x7d, "i16x8.extadd_pairwise_i8x16_u",   NONE,        X_X,   0,    0, none)      \
    X(i32x4_extadd_pairwise_i16x8_s, 0x7e, "i32x4.extadd_pairwise_i16x8_s",   NONE,        X_X,   0,    0, none)      \
    X(i32x4_extadd_pairwise_i16x8_u, 0x7f, "i32x4.extadd_pairwise_i16x8_u",   NONE,        X_X,   0,    0, none)      \
    X(i16x8_abs,                  0x80, "i16x8.abs",                       NONE,        X_X,   0,    0, none)         \
    X(i16x8_neg,                  0x81, "i16x8.neg",                       NONE,        X_X,   0,    0, none)         \
    X(i16x8_q15mulr_sat_s,        0x82, "i16x8.q15mulr_sat_s",             NONE,        XX_X,  0,    0, none)         \
    X(i16x8_all_true,             0x83, "i16x8.all_true",                  NONE,        X_I,   0,    0, none)         \
    X(i16x8_bitmask,              0x84, "i16x8.bitmask",                   NONE,        X_I,   0,    0, none)         \
    X(i16x8_narrow_i32x4_s,       0x85, "i16x8.narrow_i32x4_s",            NONE,        XX_X,  0,    0, none)         \
    X(i16x8_narrow_i32x4_u,       0x86, "i16x8.narrow_i32x4_u",            NONE,        XX_X,  0,    0, none)         \
    X(i16x8_extend_low_i8x16_s,   0x87, "i16x8.extend_low_i8x16_s",        NONE,        X_X,   0,    0, none)         \
    X(i16x8_extend_high_i8x16_s,  0x88, "i16x8.extend_high_i8x16_s",       NONE,        X_X,   0,    0, none)         \
    X(i16x8_extend_low_i8x16_u,   0x89, "i16x8.extend_low_i8x16_u",        NONE,        X_X,   0,    0, none)         \
    X(i16x8_extend_high_i8x16_u,  0x8a, "i16x8.extend_high_i8x16_u",       NONE,        X_X,   0,    0, none)         \
    X(i16x8_shl,                  0x8b, "i16x8.shl",                       NONE,        XI_X,  0,    0, none)         \
    X(i16x8_shr_s,                0x8c, "i16x8.shr_s",                     NONE,        XI_X,  0,    0, none)         \
    X(i16x8_shr_u,                0x8d, "i16x8.shr_u",                     NONE,        XI_X,  0,    0, none)         \
    X(i16x8_add,                  0x8e, "i16x8.add",                       NONE,        XX_X,  0,    0, none)         \
    X(i16x8_add_sat_s,            0x8f, "i16x8.add_sat_s",                 NONE,        XX_X,  0,    0, none)         \
    X(i16x8_add_sat_u,            0x90, "i16x8.add_sat_u",                 NONE,        XX_X,  0,    0, none)         \
    X(i16x8_sub,                  0x91, "i16x8.sub",                       NONE,        XX_X,  0,    0, none)         \
    X(i16x8_sub_sat_s,            0x92, "i16x8.sub_sat_s",                 NONE,        XX_X,  0,    0, none)         \
    X(i16x8_sub_sat_u,            0x93, "i16x8.sub_sat_u",                 NONE,        XX_X,  0,    0, none)         \
    X(f64x2_nearest,              0x94, "f64x2.nearest",                   NONE,        X_X,   NAN_, 0, none)         \
    X(i16x8_mul,                  0x95, "i16x8.mul",                       NONE,        XX_X,  0,    0, none)         \
    X(i16x8_min_s,                0x96, "i16x8.min_s",                     NONE,        XX_X,  0,    0, none)         \
    X(i16x8_min_u,                0x97, "i16x8.min_u",                     NONE,        XX_X,  0,    0, none)         \
    X(i16x8_max_s,                0x98, "i16x8.max_s",                     NONE,        XX_X,  0,    0, none)         \
    X(i16x8_max_u,                0x99, "i16x8.max_u",                     NONE,        XX_X,  0,    0, none)         \
    X(i16x8_avgr_u,               0x9b, "i16x8.avgr_u",                    NONE,        XX_X,  0,    0, none)         \
    X(i16x8_extmul_low_i8x16_s,   0x9c, "i16x8.extmul_low_i8x16_s",        NONE,        XX_X,  0,    0, none)         \
    X(i16x8_extmul_high_i8x16_s,  0x9d, "i16x8.extmul_high_i8x16_s",       NONE,        XX_X,  0,    0, none)         \
    X(i16x8_extmul_low_i8x16_u,   0x9e, "i16x8.extmul_low_i8x16_u",        NONE,        XX_X,  0,    0, none)         \
    X(i16x8_extmul_high_i8x16_u,  0x9f, "i16x8.extmul_high_i8x16_u",       NONE,        XX_X,  0,    0, none)         \
    X(i32x4_abs,                  0xa0, "i32x4.abs",                       NONE,        X_X,   0,    0, none)         \
    X(i32x4_neg,                  0xa1, "i32x4.neg",                       NONE,        X_X,   0,    0, none)         \
    X(i32x4_all_true,             0xa3, "i32x4.all_true",                  NONE,        X_I,   0,    0, none)         \
    X(i32x4_bitmask,              0xa4, "i32x4.bitmask",                   NONE,        X_I,   0,    0, none)         \
    X(i32x4_extend_low_i16x8_s,   0xa7, "i32x4.extend_low_i16x8_s",        NONE,        X_X,   0,    0, none)         \
    X(i32x4_extend_high_i16x8_s,  0xa8, "i32x4.extend_high_i16x8_s",       NONE,        X_X,   0,    0, none)         \
    X(i32x4_extend_low_i16x8_u,   0xa9, "i32x4.extend_low_i16x8_u",        NONE,        X_X,   0,    0, none)         \
    X(i32x4_extend_high_i16x8_u,  0xaa, "i32x4.extend_high_i16x8_u",       NONE,        X_X,   0,    0, none)         \
    X(i32x4_shl,                  0xab, "i32x4.shl",                       NONE,        XI_X,  0,    0, none)         \
    X(i32x4_shr_s,                0xac, "i32x4.shr_s",                     NONE,        XI_X,  0,    0, none)         \
    X(i32x4_shr_u,                0xad, "i32x4.shr_u",                     NONE,        XI_X,  0,    0, none)         \
    X(i32x4_add,                  0xae, "i32x4.add",                       NONE,        XX_X,  0,    0, none)         \
    X(i32x4_sub,                  0xb1, "i32x4.sub",                       NONE,        XX_X,  0,    0, none)         \
    X(i32x4_mul,                  0xb5, "i32x4.mul",                       NONE,        XX_X,  0,    0, none)         \
    X(i32x4_min_s,                0xb6, "i32x4.min_s",                     NONE,        XX_X,  0,    0, none)         \
    X(i32x4_min_u,                0xb7, "i32x4.min_u",                     NONE,        XX_X,  0,    0, none)         \
    X(i32x4_max_s,                0xb8, "i32x4.max_s",                     NONE,        XX_X,  0,    0, none)         \
    X(i32x4_max_u,                0xb9, "i32x4.max_u",                     NONE,        XX_X,  0,    0, none)         \
    X(i32x4_dot_i16x8_s,          0xba, "i32x4.dot_i16x8_s",               NONE,        XX_X,  0,    0, none)         \
    X(i32x4_extmul_low_i16x8_s,   0xbc, "i32x4.extmul_low_i16x8_s",        NONE,        XX_X,  0,    0, none)         \
    X(i32x4_extmul_high_i16x8_s,  0xbd, "i32x4.extmul_high_i16x8_s",       NONE,        XX_X,  0,    0, none)         \
    X(i32x4_extmul_low_i16x8_u,   0xbe, "i32x4.extmul_low_i16x8_u",        NONE,        XX_X,  0,    0, none)         \
    X(i32x4_extmul_high_i16x8_u,  0xbf, "i32x4.extmul_high_i16x8_u",       NONE,        XX_X,  0,    0, none)         \
    X(i64x2_abs,                  0xc0, "i64x2.abs",                       NONE,        X_X,   0,    0, none)         \
    X(i64x2_neg,                  0xc1, "i64x2.neg",                       NONE,        X_X,   0,    0, none)         \
    X(i64x2_all_true,             0xc3, "i64x2.all_true",                  NONE,        X_I,   0,    0, none)         \
    X(i64x2_bitmask,              0xc4, "i64x2.bitmask",                   NONE,        X_I,   0,    0, none)         \
    X(i64x2_extend_low_i32x4_s,   0xc7, "i64x2.extend_low_i32x4_s",        NONE,        X_X,   0,    0, none)         \
    X(i64x2_extend_high_i32x4_s,  0xc8, "i64x2.extend_high_i32x4_s",       NONE,        X_X,   0,    0, none)         \
    X(i64x2_extend_low_i32x4_u,   0xc9, "i64x2.extend_low_i32x4_u",        NONE,        X_X,   0,    0, none)         \
    X(i64x2_extend_high_i32x4_u,  0xca, "i64x2.extend_high_i32x4_u",       NONE,        X_X,   0,    0, none)         \
    X(i64x2_shl,                  0xcb, "i64x2.shl",                       NONE,        XI_X,  0,    0, none)         \
    X(i64x2_shr_s,                0xcc, "i64x2.shr_s",                     NONE,        XI_X,  0,    0, none)         \
    X(i64x2_shr_u,                0xcd, "i64x2.shr_u",                     NONE,        XI_X,  0,    0, none)         \
    X(i64x2_add,                  0xce, "i64x2.add",                       NONE,        XX_X,  0,    0, none)         \
    X(i64x2_sub,                  0xd1, "i64x2.sub",                       NONE,        XX_X,  0,    0, none)         \
    X(i64x2_mul,                  0xd5, "i64x2.mul",                       NONE,        XX_X,  0,    0, none)         \
    X(i64x2_eq,                   0xd6, "i64x2.eq",                        NONE,        XX_X,  0,    0, none)         \
    X(i64x2_ne,                   0xd7, "i64x2.ne",                        NONE,        XX_X,  0,    0, none)         \
    X(i64x2_lt_s,                 0xd8, "i64x2.lt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i64x2_gt_s,                 0xd9, "i64x2.gt_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i64x2_le_s,                 0xda, "i64x2.le_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i64x2_ge_s,                 0xdb, "i64x2.ge_s",                      NONE,        XX_X,  0,    0, none)         \
    X(i64x2_extmul_low_i32x4_s,   0xdc, "i64x2.extmul_low_i32x4_s",        NONE,        XX_X,  0,    0, none)         \
    X(i64x2_extmul_high_i32x4_s,  0xdd, "i64x2.extmul_high_i32x4_s",       NONE,        XX_X,  0,    0, none)         \
    X(i64x2_extmul_low_i32x4_u,   0xde, "i64x2.extmul_low_i32x4_u",        NONE,        XX_X,  0,    0, none)         \
    X(i64x2_extmul_high_i32x4_u,  0xdf, "i64x2.extmul_high_i32x4_u",       NONE,        XX_X,  0,    0, none)         \
    X(f32x4_abs,                  0xe0, "f32x4.abs",                       NONE,        X_X,   0,    0, none)         \
    X(f32x4_neg,                  0xe1, "f32x4.neg",                       NONE,        X_X,   0,    0, none)         \
    X(f32x4_sqrt,                 0xe3, "f32x4.sqrt",                      NONE,        X_X,   NAN_, 0, none)         \
    X(f32x4_add,                  0xe4, "f32x4.add",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f32x4_sub,                  0xe5, "f32x4.sub",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f32x4_mul,                  0xe6, "f32x4.mul",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f32x4_div,                  0xe7, "f32x4.div",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f32x4_min,                  0xe8, "f32x4.min",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f32x4_max,                  0xe9, "f32x4.max",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f32x4_pmin,                 0xea, "f32x4.pmin",                      NONE,        XX_X,  0,    0, none)         \
    X(f32x4_pmax,                 0xeb, "f32x4.pmax",                      NONE,        XX_X,  0,    0, none)         \
    X(f64x2_abs,                  0xec, "f64x2.abs",                       NONE,        X_X,   0,    0, none)         \
    X(f64x2_neg,                  0xed, "f64x2.neg",                       NONE,        X_X,   0,    0, none)         \
    X(f64x2_sqrt,                 0xef, "f64x2.sqrt",                      NONE,        X_X,   NAN_, 0, none)         \
    X(f64x2_add,                  0xf0, "f64x2.add",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f64x2_sub,                  0xf1, "f64x2.sub",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f64x2_mul,                  0xf2, "f64x2.mul",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f64x2_div,                  0xf3, "f64x2.div",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f64x2_min,                  0xf4, "f64x2.min",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f64x2_max,                  0xf5, "f64x2.max",                       NONE,        XX_X,  NAN_, 0, none)         \
    X(f64x2_pmin,                 0xf6, "f64x2.pmin",                      NONE,        XX_X,  0,    0, none)         \
    X(f64x2_pmax,                 0xf7, "f64x2.pmax",                      NONE,        XX_X,  0,    0, none)         \
    X(i32x4_trunc_sat_f32x4_s,    0xf8, "i32x4.trunc_sat_f32x4_s",         NONE,        X_X,   0,    0, none)         \
    X(i32x4_trunc_sat_f32x4_u,    0xf9, "i32x4.trunc_sat_f32x4_u",         NONE,        X_X,   0,    0, none)         \
    X(f32x4_convert_i32x4_s,      0xfa, "f32x4.convert_i32x4_s",           NONE,        X_X,   0,    0, none)         \
    X(f32x4_convert_i32x4_u,      0xfb, "f32x4.convert_i32x4_u",           NONE,        X_X,   0,    0, none)         \
    X(i32x4_trunc_sat_f64x2_s_zero, 0xfc, "i32x4.trunc_sat_f64x2_s_zero",    NONE,        X_X,   0,    0, none)       \
    X(i32x4_trunc_sat_f64x2_u_zero, 0xfd, "i32x4.trunc_sat_f64x2_u_zero",    NONE,        X_X,   0,    0, none)       \
    X(f64x2_convert_low_i32x4_s,  0xfe, "f64x2.convert_low_i32x4_s",       NONE,        X_X,   0,    0, none)         \
    X(f64x2_convert_low_i32x4_u,  0xff, "f64x2.convert_low_i32x4_u",       NONE,        X_X,   0,    0, none)

/* The one-byte opcodes, and those after the 0xfc prefix. */
#define WM_OPS_ONE_BYTE(X) WM_OPS_CONTROL(X) WM_OPS_LOAD(X) WM_OPS_STORE(X) WM_OPS_NUMERIC(X)
#define WM_OPS_FC(X) WM_OPS_FC_SAT(X) WM_OPS_FC_BULK(X)
/* clang-format on */

/* Prefix bytes (the byte itself is no instruction). */
enum { WM_PREFIX_FC = 0xfc, WM_PREFIX_FD = 0xfd };

/* Whether `byte` prefixes a family this engine decodes (a u32 sub-opcode
 * follows it). */
static inline int wm_is_prefix(uint8_t byte) { return byte == WM_PREFIX_FC || byte == WM_PREFIX_FD; }

/* Opcode ids: a one-byte opcode is its byte, a prefixed one
 * prefix << 16 | sub-opcode (sub-opcodes above 0xffff are unknown). */
#define WM_OPID(prefix, code) ((uint32_t)(prefix) << 16 | (uint32_t)(code))
#define WM_OPID_PREFIX(id) ((id) >> 16)
enum {
#define WM_OP_ENUM_1(name, code, ...) OP_##name = (code),
#define WM_OP_ENUM_FC(name, code, ...) OP_##name = WM_OPID(WM_PREFIX_FC, code),
#define WM_OP_ENUM_FD(name, code, ...) OP_##name = WM_OPID(WM_PREFIX_FD, code),
    WM_OPS_ONE_BYTE(WM_OP_ENUM_1) WM_OPS_FC(WM_OP_ENUM_FC) WM_OPS_FD(WM_OP_ENUM_FD)
#undef WM_OP_ENUM_1
#undef WM_OP_ENUM_FC
#undef WM_OP_ENUM_FD
};

/* How the translator treats an opcode (its family). */
enum { WK_CONTROL, WK_LOAD, WK_STORE, WK_NUMERIC, WK_BULK, WK_SIMD };

typedef struct wm_opinfo {
    const char *text; /* text-format name */
    uint8_t imm;      /* WI_* */
    uint8_t kind;     /* WK_* */
    uint8_t nargs;    /* operands; WM_SIG_SPECIAL's 0xff when typed by hand */
    uint8_t args[3];  /* operand types (value type bytes), first operand first */
    uint8_t result;   /* result type, 0 for none */
    uint8_t flags;    /* WF_* */
    uint8_t align;    /* natural alignment, log2 (memory accesses) */
    int16_t ir;       /* IR op (ir.h) of a regular opcode, else -1 */
} wm_opinfo;
#define WM_NARGS_SPECIAL 0xff

/* The table entry of an opcode id, or NULL for an unknown opcode. */
const wm_opinfo *wm_opinfo_of(uint32_t id);
/* Reads one opcode at *p: its id and its entry (*info NULL for an unknown
 * opcode, which the caller reports). Returns NULL, or the spec's wording for
 * a missing opcode or a malformed sub-opcode LEB128. */
const char *wm_read_opcode(const uint8_t **p, const uint8_t *end, uint32_t *id, const wm_opinfo **info);
/* Steps over the immediates of kind `imm` (WI_*) at *p; NULL, or the spec's
 * wording for what is malformed. */
const char *wm_skip_immediates(const uint8_t **p, const uint8_t *end, uint8_t imm);

#endif
