/* Dummy host objects for any module's imports, for the tests that run
 * arbitrary modules (the libFuzzer target, tests/spec/fuzz_modules). */
#ifndef PORTALIS_DUMMY_IMPORTS_H
#define PORTALIS_DUMMY_IMPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include <portalis/engine.h>

typedef struct {
    uint32_t trap_every;       /* a dummy function traps on every Nth call (0: never) */
    uint32_t max_memory_pages; /* larger memory or table minimums get no dummy */
    uint32_t max_table;
    uint32_t calls; /* dummy function calls so far (the config must outlive them) */
} dummy_config;

/* An object of type t (functions return zeros), or false when none fits
 * the config. */
bool dummy_import(pw_store *store, const pw_externtype *t, dummy_config *cfg, pw_extern *out);
pw_val dummy_zero(pw_valkind k);

#endif
