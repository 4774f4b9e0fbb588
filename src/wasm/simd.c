/* The table of the interpreter's SIMD functions (simd_ops.h), by
 * sub-opcode: the X-macro makes an entry of every WM_OPS_FD line, so an
 * instruction without its function does not compile. */
#include "simd_ops.h"

/* v128.const never runs: the translator folds it into two constants. */
#define op_v128_const NULL

#define ENTRY(name, code, ...) [code] = op_##name,
pw_simd_fn *const pw_simd_ops[PW_SIMD_NOPS] = {
    WM_OPS_FD(ENTRY)[PW_SIMD_CANON_F32] = op_canon_f32,
    [PW_SIMD_CANON_F64] = op_canon_f64,
};
