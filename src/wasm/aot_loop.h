/* Loops the native tier runs without per-access sandbox work (aot_loop.c,
 * docs/aot.md "Unchecked loops"). */
#ifndef PORTALIS_WASM_AOT_LOOP_H
#define PORTALIS_WASM_AOT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "aot.h"
#include "module.h"

enum { AOT_AFF_TERMS = 4 };

/* k + sum co[i] * (local loc[i] at the top of the current iteration), an
 * exact integer whose value mod 2^32 is the i32 the wasm code computes. */
typedef struct {
    int64_t k;
    uint32_t n;
    uint32_t loc[AOT_AFF_TERMS];
    int64_t co[AOT_AFF_TERMS];
} aot_aff;

/* One memory access of the loop body, in the order of the body. */
typedef struct {
    aot_aff addr;
    uint32_t off, size;
} aot_access;

/* How the loop continues: while v REL w (v changes by sv each iteration,
 * w does not), compared as unsigned or signed i32. */
enum { AOT_REL_NE, AOT_REL_LT, AOT_REL_LE, AOT_REL_GT, AOT_REL_GE };

/* A `loop` whose body is straight-line code ending in `br_if 0`, without
 * calls, whose every memory address and whose condition are affine in
 * induction variables (locals that change by a constant each iteration):
 * the generator can compute, at its entry, the iteration count and the
 * range of every access, and run an unchecked copy of it when all of them
 * lie in the memory. */
typedef struct {
    uint32_t nacc;
    aot_access acc[64];
    uint32_t nvars; /* the locals the addresses and the condition use */
    uint32_t var[32];
    int64_t step[32]; /* per var: change per iteration (0: invariant) */
    aot_aff v, w;
    int rel;
    bool sgn;
    int64_t sv; /* change of v per iteration (not 0) */
} aot_loop;

/* Analyses the loop whose body starts at p (after its block type); locals
 * of the function are typed by ltypes[0..nlocals). True if the loop is of
 * the form above (then *out describes it). */
bool pw_aot_loop_analyse(const uint8_t *p, const uint8_t *end, const uint8_t *ltypes, uint32_t nlocals,
                         aot_loop *out);

/* The change per iteration of an affine value of the loop (its vars' steps). */
int64_t pw_aot_aff_step(const aot_loop *l, const aot_aff *a);

/* The generated C of an unchecked copy numbered id (its variables are
 * x<id>_<local> and n<id>): at the loop's entry, the variables, the
 * iteration count and the range test, opening the block of the copy
 * (`size` is the memory size expression); the address of access `acc`
 * (without its offset); at the back edge, the variables' steps and the
 * opening of the branch taken while iterations remain. */
void pw_aot_loop_entry(aot_buf *o, const aot_loop *l, uint32_t id, const char *size);
void pw_aot_loop_addr(aot_buf *o, const aot_loop *l, uint32_t id, uint32_t acc);
void pw_aot_loop_backedge(aot_buf *o, const aot_loop *l, uint32_t id);

#endif
