/* Tiny test harness for the ef layer: CHECK records failures, END prints the
 * final "N passed, M failed" line and returns the exit status. */
#ifndef EF_TEST_H
#define EF_TEST_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalis/ef.h"

static int t_pass, t_fail;

#define CHECK(cond)                                                                                              \
    do {                                                                                                         \
        if (cond) {                                                                                              \
            t_pass++;                                                                                            \
        } else {                                                                                                 \
            t_fail++;                                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                             \
        }                                                                                                        \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                                       \
    do {                                                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                                                      \
        if (a_ == b_) {                                                                                          \
            t_pass++;                                                                                            \
        } else {                                                                                                 \
            t_fail++;                                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, a_,    \
                    b_);                                                                                         \
        }                                                                                                        \
    } while (0)

#define TEST_END()                                                                                               \
    do {                                                                                                         \
        printf("%d passed, %d failed\n", t_pass, t_fail);                                                        \
        return t_fail ? 1 : 0;                                                                                   \
    } while (0)

/* A node record: sequence numbers at start and end (from a shared clock). */
typedef struct {
    atomic_long *clock;
    atomic_long start, end;
    atomic_int runs;
} trec;

static inline ef_status trec_fn(ef_task *t, void *user) {
    (void)t;
    trec *r = user;
    atomic_store(&r->start, atomic_fetch_add(r->clock, 1) + 1);
    atomic_fetch_add(&r->runs, 1);
    atomic_store(&r->end, atomic_fetch_add(r->clock, 1) + 1);
    return EF_SUCCESS;
}

static inline void spin_work(unsigned iters) {
    volatile unsigned x = 0;
    for (unsigned i = 0; i < iters; i++)
        x += i;
    (void)x;
}

#endif
