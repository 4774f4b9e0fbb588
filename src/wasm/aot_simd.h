/* SIMD (0xfd) instructions on the native tier (aot_simd.c): the C the
 * generator (aot_gen.c) writes for each of them. */
#ifndef PORTALIS_WASM_AOT_SIMD_H
#define PORTALIS_WASM_AOT_SIMD_H

#include "aot.h"
#include "opcodes.h"

/* One instruction, its operands already named by the generator. */
typedef struct {
    uint32_t sub; /* sub-opcode after 0xfd */
    bool mem;     /* a memory access at ops[0] + offset */
    uint32_t offset;
    const char *res;    /* the result's variable ("" for none) */
    const char *ops[3]; /* operands, first first (a memory access's address is ops[0]) */
    uint8_t imm[16];    /* lane index, shuffle lanes or v128.const bytes */
    bool guard;         /* guard mode: loads are kept even when unused */
    bool canon;         /* canonicalize_nans */
} aot_simd_ins;

/* Slots a value of type t takes (tier.h: a v128 two, low half first). */
#define PW_AOT_NSLOTS(t) ((t) == WM_V128 ? 2u : 1u)
/* Writes the C of slot `arr[k]` read as a value (set NULL), or the statement
 * writing `set` to it: a v128 is copied from or to the 16 bytes there, any
 * other type is the wa_slot field `field`. */
void pw_aot_slot(aot_buf *o, bool v128, const char *field, const char *arr, uint32_t k, const char *set);

/* Identifies this build of the SIMD prelude and its C (part of every cache
 * key, beside pw_aot_gen_build_id). */
const char *pw_aot_simd_build_id(void);
/* Whether module m may use SIMD (v128 in a type, global or local, or a 0xfd
 * byte in a body): only then does the generated file get the SIMD prelude. */
bool pw_aot_simd_used(const wm_module *m);
/* Vector types and the v_<instruction> helpers (after pw_aot_emit_prelude). */
void pw_aot_simd_prelude(aot_buf *o);
/* Reads the instruction after the 0xfd prefix at *p (a validated body): its
 * sub-opcode and immediates into `in`. Returns its table entry (NULL if
 * unknown). */
const wm_opinfo *pw_aot_simd_decode(const uint8_t **p, const uint8_t *end, aot_simd_ins *in);
/* Bytes a SIMD memory instruction accesses (bounds checks). */
uint32_t pw_aot_simd_access_size(uint32_t sub);
/* Writes the statement of one instruction: a memory access inside the block
 * the generator opened with its effective address `ea`. */
void pw_aot_simd_emit(aot_buf *o, const aot_simd_ins *in);

#endif
