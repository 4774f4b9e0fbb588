/* The interpreter's SIMD handlers: the generic ones calling simd.c's
 * table, those with their simd_ops.h function inlined (IR_SIMD_FAST) and
 * the superinstructions of vectorised loops (IR_SIMD_LOADOP). Not a header
 * of its own: interp.c includes it inside run(), as interp_fused.h.
 */
/* clang-format off */
    /* SIMD: the lanes are simd.c's; memory accesses are checked here. */
    OP(simd) {
        pw_simd_ops[ip[1].u](fp + ip[2].s.a, fp + ip[2].s.b, fp + ip[3].s.a, fp + ip[3].s.b, ip + 4, NULL);
        ip += 6;
        NEXT();
    }
    OP(simd_mem) {
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].s.b].u32 + ip[3].s.a) + ip[3].s.b;
        if (OOB(ea, ip[4].s.a))
            TRAP(PW_TRAP_MEMORY_OOB);
        pw_simd_ops[ip[1].u](fp + ip[2].s.a, fp + ip[4].s.b, NULL, NULL, ip + 5, mem + ea);
        ip += 6;
        NEXT();
    }
    /* The frequent ones with their function inlined (IR_SIMD_FAST). */
#define SIMD_FAST(X, n)                                                                                          \
    OP(simd_##n) {                                                                                               \
        op_##n(fp + ip[2].s.a, fp + ip[2].s.b, fp + ip[3].s.a, fp + ip[3].s.b, ip + 4, NULL);                    \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define SIMD_FAST_MEM(X, n)                                                                                      \
    OP(simd_##n) {                                                                                               \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].s.b].u32 + ip[3].s.a) + ip[3].s.b;                           \
        if (OOB(ea, ip[4].s.a))                                                                                  \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        op_##n(fp + ip[2].s.a, fp + ip[4].s.b, NULL, NULL, ip + 5, mem + ea);                                    \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
    IR_SIMD_FAST(, SIMD_FAST)
    IR_SIMD_FAST_MEM(, SIMD_FAST_MEM)
#undef SIMD_FAST
#undef SIMD_FAST_MEM
    /* Superinstructions of vectorised loops (IR_SIMD_LOADOP): the memory
     * operand of a lane op, and its store back to the same address. */
#define SIMD_EA(w) ((uint64_t)(uint32_t)(fp[ip[w].s.a].u32 + ip[w].s.b) + ip[(w) + 1].s.a)
/* The memory operand of a fused lane op, read into m[2] (ea stays for the store back). */
#define SIMD_MEMOPERAND()                                                                                        \
    uint64_t ea = SIMD_EA(3);                                                                                    \
    if (OOB(ea, 16))                                                                                             \
        TRAP(PW_TRAP_MEMORY_OOB);                                                                                \
    pw_slot m[2];                                                                                                \
    memcpy(m, mem + ea, 16)
#define SIMD_LOADOP(X, n)                                                                                        \
    OP(simd_##n##_load) {                                                                                        \
        SIMD_MEMOPERAND();                                                                                       \
        op_##n(fp + ip[2].s.a, fp + ip[2].s.b, m, NULL, NULL, NULL);                                             \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define SIMD_RMW(X, n)                                                                                           \
    OP(simd_##n##_rmw) {                                                                                         \
        SIMD_MEMOPERAND();                                                                                       \
        op_##n(m, fp + ip[2].s.b, m, NULL, NULL, NULL);                                                          \
        memcpy(mem + ea, m, 16);                                                                                 \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define SIMD_AXPY(shape)                                                                                         \
    OP(simd_##shape##_axpy) {                                                                                    \
        uint64_t ea1 = SIMD_EA(2), ea2 = SIMD_EA(4);                                                             \
        if (OOB(ea1, 16))                                                                                        \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        pw_slot m1[2], m2[2];                                                                                    \
        memcpy(m1, mem + ea1, 16);                                                                               \
        op_##shape##_mul(m1, fp + ip[1].s.b, m1, NULL, NULL, NULL);                                              \
        if (OOB(ea2, 16))                                                                                        \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        memcpy(m2, mem + ea2, 16);                                                                               \
        op_##shape##_add(m2, m1, m2, NULL, NULL, NULL);                                                          \
        memcpy(mem + ea2, m2, 16);                                                                               \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
    IR_SIMD_LOADOP(, SIMD_LOADOP)
    IR_SIMD_LOADOP(, SIMD_RMW)
    SIMD_AXPY(f32x4)
    SIMD_AXPY(f64x2)
#undef SIMD_LOADOP
#undef SIMD_RMW
#undef SIMD_MEMOPERAND
#undef SIMD_AXPY
#undef SIMD_EA
    OP(const128) {
        fp[D].u64 = ip[2].u;
        fp[D + 1].u64 = ip[3].u;
        ip += 4;
        NEXT();
    }
