/* The fixed-width SIMD operations the interpreter runs (simd.c): one
 * function per 0xfd instruction of opcodes.h, indexed by sub-opcode. */
#ifndef PORTALIS_WASM_SIMD_H
#define PORTALIS_WASM_SIMD_H

#include "rt.h"

/* d: the result (a v128 is d[0..1]; a store's value); a, b, c: operands
 * (scalars in one slot, v128s in two); imm: the instruction's immediate
 * words (lane index, or the 16 bytes of a shuffle); m: the memory the
 * access reads or writes, bounds already checked (memory instructions). An
 * operation reads all its operands before it writes d, which may overlap
 * them. */
typedef void pw_simd_fn(pw_slot *d, const pw_slot *a, const pw_slot *b, const pw_slot *c, const pw_code *imm,
                        uint8_t *m);

/* Two more entries after the 256 sub-opcodes: canonicalise the NaNs of the
 * f32 or f64 lanes of a (engines with canonicalize_nans). */
enum { PW_SIMD_CANON_F32 = 256, PW_SIMD_CANON_F64, PW_SIMD_NOPS };
extern pw_simd_fn *const pw_simd_ops[PW_SIMD_NOPS];

#endif
