/* One run of a module on one engine configuration, summarised as plain data
 * so that runs on different engines, and on the two builds of the
 * interpreter linked into the fuzzer (computed goto and switch dispatch),
 * can be compared. The switch build's copy of fuzz_run is sw_fuzz_run. */
#ifndef PORTALIS_FUZZ_RUN_H
#define PORTALIS_FUZZ_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_CALLS 64

typedef struct {
    bool fuel;              /* consume_fuel, with a budget per call */
    bool execute;           /* instantiate and call, not only load */
    bool interruptible;     /* engine options that change the translation: */
    bool canonicalize_nans; /* every run of one input uses the same */
} fuzz_mode;

/* An outcome: 0 success, else error kind * 100 + trap kind. */
typedef struct {
    int load;         /* pw_module_new */
    int inst;         /* pw_instance_new; -1 when no dummy import fits */
    bool out_of_fuel; /* instantiation or a call ran out of fuel */
    uint32_t ncalls;
    int call[FUZZ_MAX_CALLS];         /* each exported function, in export order */
    uint64_t results[FUZZ_MAX_CALLS]; /* hash of its results' bits */
    uint64_t state;                   /* hash of the exported memories and globals at the end */
} fuzz_result;

void fuzz_run(const uint8_t *bytes, size_t len, fuzz_mode mode, fuzz_result *out);
void sw_fuzz_run(const uint8_t *bytes, size_t len, fuzz_mode mode, fuzz_result *out);

#endif
