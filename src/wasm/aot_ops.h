/* The native tier's numeric instructions as C templates (aot_ops.c). */
#ifndef PORTALIS_WASM_AOT_OPS_H
#define PORTALIS_WASM_AOT_OPS_H

#include <stdbool.h>
#include <stdint.h>

/* One operator: operand and result types, binary or unary, and its C with
 * A and B for the operands. */
typedef struct {
    uint8_t in, out;
    bool bin;
    const char *tmpl;
} aot_numop;

/* The template of a non-trapping numeric opcode (0x45..0xc4), or NULL for
 * the trapping ones and the rest, which the generator writes itself. */
const aot_numop *pw_aot_numop(uint8_t op);

/* True if rounding compiles to SSE4.1's roundsd/roundss on this processor
 * (aot_prelude.c; part of the prelude's build id, so of the cache key). */
bool pw_aot_sse41(void);

#endif
