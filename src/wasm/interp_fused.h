/* The interpreter's superinstructions: the handlers of the IR ops that
 * stand for several wasm instructions (ir.h: IR_BRCMP and the groups after
 * it), which compile_fuse.c forms. Not a header of its own: interp.c
 * includes it inside run(), after the numeric handlers, so these handlers
 * share its locals (ip, fp, mem, mlim, fuel) and its macros (OP, NEXT,
 * TRAP, LIMITS, D/A/B/IMM). Their macros are defined here and undefined
 * at the end. (Indented as the function body it is part of, which
 * clang-format cannot see.)
 */
/* clang-format off */

/* Compare-and-branch: two slots, or a slot and the immediate ip[1].s.b (as
 * IMM widens it), compared as T; taken, jump by ip[2]. The _back forms close
 * a loop and charge its fuel (ip[3]) first. PFX and F: br and u32, br64 and
 * u64. */
#define BR_IF_TAKEN(cond, words)                                                                                 \
    if (cond)                                                                                                    \
        ip += ip[2].i;                                                                                           \
    else                                                                                                         \
        ip += (words);                                                                                           \
    NEXT();
#define BR_IF_TAKEN_BACK(cond)                                                                                   \
    if (cond) {                                                                                                  \
        LIMITS(ip[3].u);                                                                                         \
        ip += ip[2].i;                                                                                           \
    } else                                                                                                       \
        ip += 4;                                                                                                 \
    NEXT();
#define BRCMP_W(PFX, F, IMM, n, T, cmp)                                                                          \
    OP(PFX##_##n) { BR_IF_TAKEN((T)fp[ip[1].s.a].F cmp(T) fp[ip[1].s.b].F, 3) }                                  \
    OP(PFX##_##n##_imm) { BR_IF_TAKEN((T)fp[ip[1].s.a].F cmp(T) IMM ip[1].s.b, 3) }                              \
    OP(PFX##_##n##_back) { BR_IF_TAKEN_BACK((T)fp[ip[1].s.a].F cmp(T) fp[ip[1].s.b].F) }                         \
    OP(PFX##_##n##_imm_back) { BR_IF_TAKEN_BACK((T)fp[ip[1].s.a].F cmp(T) IMM ip[1].s.b) }
#define BRCMP(n, T, cmp) BRCMP_W(br, u32, , n, T, cmp)
#define BRCMP64(n, T, cmp) BRCMP_W(br64, u64, (int64_t)(int32_t), n, T, cmp)
#define LOAD2(n, T, OUT, CAST, size) LOAD_AT(n##_x2, T, OUT, CAST, size, fp[ip[2].s.a].u32)
#define STORE2(n, T, IN, size) STORE_AT(n##_x2, T, IN, size, fp[ip[2].s.a].u32)
#define STOREI(n, T, size, words, imm)                                                                           \
    OP(n##_imm) {                                                                                                \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[1].s.a].u32 + ip[2].s.a) + ip[2].s.b;                           \
        if (OOB(ea, size))                                                                                       \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        T v = (T)(imm);                                                                                          \
        memcpy(mem + ea, &v, size);                                                                              \
        ip += words;                                                                                             \
        NEXT();                                                                                                  \
    }
/* a = slot A, b = the memory operand at ip[2..3] (its address ea, its word t) (BINLOAD, BINRMW) */
#define LOAD_OPERAND(F)                                                                                          \
    uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].s.a].u32 + ip[2].s.b) + ip[3].u;                                 \
    if (OOB(ea, sizeof(fp->F)))                                                                                  \
        TRAP(PW_TRAP_MEMORY_OOB);                                                                                \
    pw_slot t;                                                                                                   \
    memcpy(&t, mem + ea, sizeof(fp->F));                                                                         \
    __typeof__(fp->F) a = fp[A].F, b = t.F
#define BINLOAD(n, F, expr)                                                                                      \
    OP(n##_load) {                                                                                               \
        LOAD_OPERAND(F);                                                                                         \
        fp[D].F = (expr);                                                                                        \
        ip += 4;                                                                                                 \
        NEXT();                                                                                                  \
    }
/* d = s + k; if (d CMP imm) jump, else step `words` on (IR_INCBR, IR_INC2BR) */
#define INCBR_TAIL(T, cmp, words)                                                                                \
    uint32_t v = fp[ip[1].s.b].u32 + ip[3].s.a;                                                                  \
    fp[ip[1].s.a].u32 = v;                                                                                       \
    if ((T)v cmp(T) ip[3].s.b)                                                                                   \
        ip += ip[2].i;                                                                                           \
    else                                                                                                         \
        ip += (words);                                                                                           \
    NEXT()
#define INCBR(n, T, cmp)                                                                                         \
    OP(inc_br_##n) { INCBR_TAIL(T, cmp, 4); }                                                                    \
    OP(inc_br_##n##_back) {                                                                                      \
        uint32_t v = fp[ip[1].s.b].u32 + ip[3].s.a;                                                              \
        fp[ip[1].s.a].u32 = v;                                                                                   \
        if ((T)v cmp(T) ip[3].s.b) {                                                                             \
            LIMITS(ip[4].u);                                                                                     \
            ip += ip[2].i;                                                                                       \
        } else                                                                                                   \
            ip += 5;                                                                                             \
        NEXT();                                                                                                  \
    }
#define BINRMW(n, F, expr)                                                                                       \
    OP(n##_rmw) {                                                                                                \
        LOAD_OPERAND(F);                                                                                         \
        t.F = (expr);                                                                                            \
        memcpy(mem + ea, &t, sizeof(fp->F));                                                                     \
        ip += 4;                                                                                                 \
        NEXT();                                                                                                  \
    }
/* t1, t2: the two memory operands at ip[2..3] and ip[4..5] (LOADADD2, AXPY) */
#define LOAD_PAIR(F)                                                                                             \
    uint64_t e1 = (uint64_t)(uint32_t)(fp[ip[2].s.a].u32 + ip[2].s.b) + ip[3].u;                                 \
    uint64_t e2 = (uint64_t)(uint32_t)(fp[ip[4].s.a].u32 + ip[4].s.b) + ip[5].u;                                 \
    if (OOB(e1, sizeof(fp->F)) || OOB(e2, sizeof(fp->F)))                                                        \
        TRAP(PW_TRAP_MEMORY_OOB);                                                                                \
    pw_slot t1, t2;                                                                                              \
    memcpy(&t1, mem + e1, sizeof(fp->F));                                                                        \
    memcpy(&t2, mem + e2, sizeof(fp->F))
#define LOADADD2(n, F)                                                                                           \
    OP(n##_add_load2) {                                                                                          \
        LOAD_PAIR(F);                                                                                            \
        __typeof__(fp->F) s1 = fp[A].F + t1.F;                                                                   \
        fp[D].F = s1 + t2.F;                                                                                     \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define AXPY(n, F)                                                                                               \
    OP(n##_axpy) {                                                                                               \
        LOAD_PAIR(F);                                                                                            \
        __typeof__(fp->F) p = fp[A].F * t1.F;                                                                    \
        t2.F = p + t2.F;                                                                                         \
        memcpy(mem + e2, &t2, sizeof(fp->F));                                                                    \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define BRCMPF(n, F, expr)                                                                                       \
    OP(n) {                                                                                                      \
        __typeof__(fp->F) a = fp[ip[1].s.a].F, b = fp[ip[1].s.b].F;                                              \
        if (expr)                                                                                                \
            ip += ip[2].i;                                                                                       \
        else                                                                                                     \
            ip += 3;                                                                                             \
        NEXT();                                                                                                  \
    }
/* The effective address of a scaled-index access (IR_SCALED). */
#define EA_SC(base) ((uint64_t)(uint32_t)(fp[base].u32 + fp[ip[2].s.a].u32 * ip[2].s.b + ip[3].s.a) + ip[3].s.b)
#define LOAD_SC(n, T, OUT)                                                                                       \
    OP(n##_sc) {                                                                                                 \
        uint64_t ea = EA_SC(A);                                                                                  \
        if (OOB(ea, sizeof(T)))                                                                                  \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        T v;                                                                                                     \
        memcpy(&v, mem + ea, sizeof(T));                                                                         \
        fp[D].OUT = v;                                                                                           \
        ip += 4;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define STORE_SC(n, T, IN)                                                                                       \
    OP(n##_sc) {                                                                                                 \
        uint64_t ea = EA_SC(ip[1].s.a);                                                                          \
        if (OOB(ea, sizeof(T)))                                                                                  \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        T v = fp[ip[1].s.b].IN;                                                                                  \
        memcpy(mem + ea, &v, sizeof(T));                                                                         \
        ip += 4;                                                                                                 \
        NEXT();                                                                                                  \
    }

    /* ---- compare-and-branch families: one list of comparisons serves all ---- */
#define CMP_LIST(X, U, S)                                                                                        \
    X(eq, U, ==) X(ne, U, !=) X(lt_s, S, <) X(lt_u, U, <) X(gt_s, S, >) X(gt_u, U, >) X(le_s, S, <=)             \
    X(le_u, U, <=) X(ge_s, S, >=) X(ge_u, U, >=)
    CMP_LIST(BRCMP, uint32_t, int32_t)
    CMP_LIST(INCBR, uint32_t, int32_t)
    CMP_LIST(BRCMP64, uint64_t, int64_t)
#undef CMP_LIST

#define CMPF_LIST(X, P, F)                                                                                       \
    X(P##_eq, F, a == b) X(P##_ne, F, a != b) X(P##_lt, F, a < b) X(P##_gt, F, a > b) X(P##_le, F, a <= b)      \
    X(P##_ge, F, a >= b) X(P##_nlt, F, !(a < b)) X(P##_ngt, F, !(a > b)) X(P##_nle, F, !(a <= b))              \
    X(P##_nge, F, !(a >= b))
    CMPF_LIST(BRCMPF, brf32, f32)
    CMPF_LIST(BRCMPF, brf64, f64)
#undef CMPF_LIST

    /* ---- scaled-index addressing ---- */
    OP(i32_add_scaled) {
        fp[D].u32 = fp[A].u32 + fp[ip[2].s.a].u32 * ip[2].s.b + ip[3].s.a;
        ip += 4;
        NEXT();
    }
    LOAD_SC(load32, uint32_t, u32)
    LOAD_SC(load64, uint64_t, u64)
    STORE_SC(store32, uint32_t, u32)
    STORE_SC(store64, uint64_t, u64)

#define SELCMP(n, F, cmp)                                                                                        \
    OP(select_##n) {                                                                                             \
        pw_slot r = fp[A].F cmp fp[ip[2].s.a].F ? fp[ip[2].s.b] : fp[ip[3].s.a];                                 \
        fp[D] = r;                                                                                               \
        ip += 4;                                                                                                 \
        NEXT();                                                                                                  \
    }
    SELCMP(i32_lt_s, i32, <)
    SELCMP(i32_lt_u, u32, <)
    SELCMP(i32_gt_s, i32, >)
    SELCMP(i32_gt_u, u32, >)
    SELCMP(f32_lt, f32, <)
    SELCMP(f32_gt, f32, >)
    SELCMP(f64_lt, f64, <)
    SELCMP(f64_gt, f64, >)
#undef SELCMP
#define XORSH(n, F, M, SH)                                                                                       \
    OP(n) {                                                                                                      \
        fp[D].F = fp[A].F ^ (fp[ip[2].s.a].F SH(ip[2].s.b & M));                                                 \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
    XORSH(i32_xor_shr_u, u32, 31, >>)
    XORSH(i32_xor_shl, u32, 31, <<)
    XORSH(i64_xor_shr_u, u64, 63, >>)
    XORSH(i64_xor_shl, u64, 63, <<)
#undef XORSH
    OP(i32_add_imm2) {
        fp[ip[2].s.a].u32 = fp[ip[2].s.b].u32 + ip[3].s.b;
        fp[D].u32 = fp[A].u32 + ip[3].s.a;
        ip += 4;
        NEXT();
    }

    /* ---- binary ops with a memory operand, and their read-modify-write forms ---- */
#define MEMOPS(X)                                                                                                \
    X(f32_add, f32, a + b) X(f32_sub, f32, a - b) X(f32_mul, f32, a * b) X(f32_div, f32, a / b)                  \
    X(f64_add, f64, a + b) X(f64_sub, f64, a - b) X(f64_mul, f64, a * b) X(f64_div, f64, a / b)                  \
    X(i32_add, u32, a + b) X(i32_sub, u32, a - b) X(i32_mul, u32, a * b) X(i32_and, u32, a & b)                  \
    X(i32_or, u32, a | b) X(i32_xor, u32, a ^ b) X(i64_add, u64, a + b) X(i64_sub, u64, a - b)                   \
    X(i64_mul, u64, a * b) X(i64_and, u64, a & b) X(i64_or, u64, a | b) X(i64_xor, u64, a ^ b)
    MEMOPS(BINLOAD)
    MEMOPS(BINRMW)
#undef MEMOPS

    /* ---- products with a sum, and sums of memory operands (IR_MULADD, IR_AXPY, IR_LOADADD2) ---- */
    /* The product is rounded on its own: the wasm layer is compiled with
     * -ffp-contract=off (src/wasm/CMakeLists.txt), so no FMA is formed. */
    OP(f32_muladd) {
        float p = fp[A].f32 * fp[ip[2].s.a].f32;
        fp[D].f32 = p + fp[ip[2].s.b].f32;
        ip += 3;
        NEXT();
    }
    OP(f64_muladd) {
        double p = fp[A].f64 * fp[ip[2].s.a].f64;
        fp[D].f64 = p + fp[ip[2].s.b].f64;
        ip += 3;
        NEXT();
    }
    OP(f32_mulsub) {
        float p = fp[A].f32 * fp[ip[2].s.a].f32;
        fp[D].f32 = p - fp[ip[2].s.b].f32;
        ip += 3;
        NEXT();
    }
    OP(f64_mulsub) {
        double p = fp[A].f64 * fp[ip[2].s.a].f64;
        fp[D].f64 = p - fp[ip[2].s.b].f64;
        ip += 3;
        NEXT();
    }
    AXPY(f32, f32)
    AXPY(f64, f64)
    LOADADD2(f32, f32)
    LOADADD2(f64, f64)
    LOADADD2(i32, u32)
    LOADADD2(i64, u64)

    /* ---- loads and stores with an added address or a constant value (IR_X2, IR_STOREI, IR_STOREI2) ---- */
    MEM_LOADS(LOAD2)
    MEM_STORES(STORE2)
    STOREI(store32, uint32_t, 4, 3, ip[1].s.b)
    STOREI(store64, uint64_t, 8, 4, ip[3].u)
    STOREI(store8, uint8_t, 1, 3, ip[1].s.b)
    STOREI(store16, uint16_t, 2, 3, ip[1].s.b)
    /* The i64 store of a constant at word k of a run of them (each keeps its
     * four words: a trap reports its own offset). */
#define STORE64_IMM_AT(k)                                                                                        \
    do {                                                                                                         \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[(k) + 1].s.a].u32 + ip[(k) + 2].s.a) + ip[(k) + 2].s.b;         \
        if (OOB(ea, 8)) {                                                                                        \
            ip += (k);                                                                                           \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        }                                                                                                        \
        memcpy(mem + ea, &ip[(k) + 3].u, 8);                                                                     \
    } while (0)
    OP(store64_imm2) {
        STORE64_IMM_AT(0);
        STORE64_IMM_AT(4);
        ip += 8;
        NEXT();
    }

    /* ---- a load and the branch testing its value (IR_BRLOAD) ---- */
#define BRLOAD_EA ((uint64_t)(uint32_t)(fp[A].u32 + ip[3].s.a) + ip[3].s.b)
#define BRLOAD(n, test)                                                                                          \
    OP(br_load32_##n) {                                                                                          \
        uint64_t ea = BRLOAD_EA;                                                                                 \
        if (OOB(ea, 4))                                                                                          \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        uint32_t v;                                                                                              \
        memcpy(&v, mem + ea, 4);                                                                                 \
        fp[D].u32 = v;                                                                                           \
        if (test v)                                                                                              \
            ip += ip[2].i;                                                                                       \
        else                                                                                                     \
            ip += 4;                                                                                             \
        NEXT();                                                                                                  \
    }
    BRLOAD(if, !!)
    BRLOAD(unless, !)
    /* the value is written before b is read: b may be d */
#define BRLCMP(n, T, cmp, W, U)                                                                                  \
    OP(brl##W##_##n) {                                                                                           \
        uint64_t ea = BRLOAD_EA;                                                                                 \
        if (OOB(ea, sizeof(U)))                                                                                  \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        U v;                                                                                                     \
        memcpy(&v, mem + ea, sizeof v);                                                                          \
        fp[D].u##W = v;                                                                                          \
        if ((T)v cmp(T) fp[ip[4].s.a].u##W)                                                                      \
            ip += ip[2].i;                                                                                       \
        else                                                                                                     \
            ip += 5;                                                                                             \
        NEXT();                                                                                                  \
    }
#define BRL32(n, T, cmp) BRLCMP(n, T, cmp, 32, uint32_t)
#define BRL64(n, T, cmp) BRLCMP(n, T, cmp, 64, uint64_t)
#define CMP_LIST(X, U, S)                                                                                        \
    X(eq, U, ==) X(ne, U, !=) X(lt_s, S, <) X(lt_u, U, <) X(gt_s, S, >) X(gt_u, U, >) X(le_s, S, <=)             \
    X(le_u, U, <=) X(ge_s, S, >=) X(ge_u, U, >=)
    CMP_LIST(BRL32, uint32_t, int32_t)
    CMP_LIST(BRL64, uint64_t, int64_t)
#undef CMP_LIST
#undef BRL32
#undef BRL64
#undef BRLCMP
#undef BRLOAD
#undef BRLOAD_EA

    /* ---- squared-distance terms (IR_SQDIFF) ---- */
/* t = a - m, m the operand in memory, written to its slot (IR_SQDIFF) */
#define SQDIFF_T(F, T)                                                                                           \
    uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].s.a].u32 + ip[2].s.b) + ip[3].u;                                 \
    if (OOB(ea, sizeof(T)))                                                                                      \
        TRAP(PW_TRAP_MEMORY_OOB);                                                                                \
    T m;                                                                                                         \
    memcpy(&m, mem + ea, sizeof m);                                                                              \
    T t = fp[A].F - m;                                                                                           \
    fp[ip[4].s.a].F = t
#define SQDIFF(F, T)                                                                                             \
    OP(F##_sqdiff_load) {                                                                                        \
        SQDIFF_T(F, T);                                                                                          \
        fp[D].F = t * t;                                                                                         \
        ip += 5;                                                                                                 \
        NEXT();                                                                                                  \
    }                                                                                                            \
    OP(F##_sqdiff_add_load) {                                                                                    \
        SQDIFF_T(F, T);                                                                                          \
        T p = t * t;                                                                                             \
        fp[D].F = p + fp[ip[4].s.b].F;                                                                           \
        ip += 5;                                                                                                 \
        NEXT();                                                                                                  \
    }
    SQDIFF(f32, float)
    SQDIFF(f64, double)
#undef SQDIFF
#undef SQDIFF_T

    /* ---- (a ^ (b >> k)) * m, muladd stored, store and step (IR_XSMUL, IR_STOREADD) ---- */
    OP(i32_xor_shr_mul) {
        fp[D].u32 = (fp[A].u32 ^ (fp[ip[2].s.a].u32 >> (ip[2].s.b & 31))) * (uint32_t)ip[3].u;
        ip += 4;
        NEXT();
    }
    OP(i64_xor_shr_mul) {
        fp[D].u64 = (fp[A].u64 ^ (fp[ip[2].s.a].u64 >> (ip[2].s.b & 63))) * ip[3].u;
        ip += 4;
        NEXT();
    }
#define MULADD_STORE(F, T)                                                                                       \
    OP(F##_muladd_store) {                                                                                       \
        T p = fp[ip[1].s.a].F * fp[ip[1].s.b].F;                                                                 \
        T v = p + fp[ip[2].s.a].F;                                                                               \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].s.b].u32 + ip[3].s.a) + ip[3].s.b;                           \
        if (OOB(ea, sizeof(T)))                                                                                  \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        memcpy(mem + ea, &v, sizeof v);                                                                          \
        ip += 4;                                                                                                 \
        NEXT();                                                                                                  \
    }
    MULADD_STORE(f32, float)
    MULADD_STORE(f64, double)
#undef MULADD_STORE
#define STORE_ADD(n, T, IN)                                                                                      \
    OP(n##_add) {                                                                                                \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[1].s.a].u32 + ip[2].s.a) + ip[2].s.b;                           \
        if (OOB(ea, sizeof(T)))                                                                                  \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        T v = (T)fp[ip[1].s.b].IN;                                                                               \
        memcpy(mem + ea, &v, sizeof v);                                                                          \
        fp[ip[4].s.a].u32 = fp[ip[4].s.b].u32 + (uint32_t)ip[5].u;                                               \
        ip += 6;                                                                                                 \
        NEXT();                                                                                                  \
    }
    STORE_ADD(store32, uint32_t, u32)
    STORE_ADD(store64, uint64_t, u64)
#undef STORE_ADD

    /* ---- pointer step and loop closer; four stores of constants (IR_INC2BR) ---- */
#define INC2BR(n, T, cmp)                                                                                        \
    OP(inc2_br_##n) {                                                                                            \
        fp[ip[4].s.a].u32 = fp[ip[4].s.b].u32 + (uint32_t)ip[5].u;                                               \
        INCBR_TAIL(T, cmp, 6);                                                                                   \
    }
#define CMP_LIST(X, U, S)                                                                                        \
    X(eq, U, ==) X(ne, U, !=) X(lt_s, S, <) X(lt_u, U, <) X(gt_s, S, >) X(gt_u, U, >) X(le_s, S, <=)             \
    X(le_u, U, <=) X(ge_s, S, >=) X(ge_u, U, >=)
    CMP_LIST(INC2BR, uint32_t, int32_t)
#undef CMP_LIST
#undef INC2BR
#undef INCBR_TAIL
    OP(store64_imm4) {
        STORE64_IMM_AT(0);
        STORE64_IMM_AT(4);
        STORE64_IMM_AT(8);
        STORE64_IMM_AT(12);
        ip += 16;
        NEXT();
    }
#undef STORE64_IMM_AT

    /* ---- floor(a * b) (IR_MULFLOOR) ---- */
#if PW_ROUND_SSE41
    OP(f64_mul_floor_sse41) {
        double p = fp[A].f64 * fp[B].f64, r;
        __asm__("roundsd $9, %1, %0" : "=x"(r) : "x"(p));
        fp[D].f64 = r;
        ip += 3;
        NEXT();
    }
#else
    BINOP(f64_mul_floor_sse41, f64, f64, a * b != a * b ? a * b + a * b : floor(a * b))
#endif

#undef BRCMP
#undef LOAD2
#undef STORE2
#undef STOREI
#undef BINLOAD
#undef BRCMP64
#undef INCBR
#undef BRCMP_W
#undef BR_IF_TAKEN
#undef BR_IF_TAKEN_BACK
#undef BINRMW
#undef LOAD_OPERAND
#undef LOADADD2
#undef LOAD_PAIR
#undef AXPY
#undef BRCMPF
#undef EA_SC
#undef LOAD_SC
#undef STORE_SC
