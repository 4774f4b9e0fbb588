/* What the native C peers of the benchmark suite share (benchmarks/README.md,
 * "Native C peers"): the demo's own C code compiled for this machine, timed
 * frame by frame, and the one JSON object the suite reads from stdout:
 *   {"demo": ..., "frames": N, "ns_per_frame": wall mean, "cpu_ns_per_frame": CPU mean, "check": x}
 * "check" is a value of the last frame's result (so the work cannot be
 * optimised away, and a run can be compared with the modules' output). */
#ifndef PORTALIS_BENCH_PEER_H
#define PORTALIS_BENCH_PEER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    uint64_t wall0, cpu0, wall, cpu;
} peer_clock;

static inline uint64_t peer_now(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void peer_start(peer_clock *c) {
    c->wall0 = peer_now(CLOCK_MONOTONIC);
    c->cpu0 = peer_now(CLOCK_PROCESS_CPUTIME_ID);
}

static inline void peer_stop(peer_clock *c) {
    c->wall += peer_now(CLOCK_MONOTONIC) - c->wall0;
    c->cpu += peer_now(CLOCK_PROCESS_CPUTIME_ID) - c->cpu0;
}

/* A whole number in [lo, hi] from argument s, or exit 2 with usage. */
static inline long peer_arg(const char *s, long lo, long hi, const char *usage) {
    char *end;
    long v = s ? strtol(s, &end, 10) : lo - 1;
    if (!s || *end || v < lo || v > hi) {
        fprintf(stderr, "usage: %s\n", usage);
        exit(2);
    }
    return v;
}

static inline int peer_report(const char *demo, long frames, const peer_clock *c, double check) {
    printf("{\"demo\": \"%s\", \"frames\": %ld, \"ns_per_frame\": %.1f, \"cpu_ns_per_frame\": %.1f, "
           "\"check\": %.17g}\n",
           demo, frames, (double)c->wall / (double)frames, (double)c->cpu / (double)frames, check);
    return 0;
}

#endif
