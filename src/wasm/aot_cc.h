/* Compiler driver and loader of the native tier (aot_cc.c). */
#ifndef PORTALIS_WASM_AOT_CC_H
#define PORTALIS_WASM_AOT_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aot.h"

typedef struct {
    char path[4096];     /* resolved compiler binary */
    char identity[4300]; /* path, size and modification time: part of the cache key */
} aot_cc;

/* Finds the C compiler: $PORTALIS_CC if set, else cc, gcc, clang in PATH. */
bool pw_aot_cc_find(aot_cc *cc, char *err, size_t errcap);
/* The fixed flags (part of the cache key). */
const char *pw_aot_cc_flags_text(void);
/* Compiler processes run at once: the processors this thread may use. */
uint32_t pw_aot_cc_jobs(void);
/* Compiles generated C (the header and its units, aot_split.c) to a shared
 * object (bytes returned in malloc'd *so), the units in parallel. opt is the
 * optimisation flag ("-O2"). */
bool pw_aot_cc_compile(const aot_cc *cc, const aot_buf *head, const aot_units *units, const char *opt,
                       uint8_t **so, size_t *solen, char *err, size_t errcap);
/* Loads a shared object from memory; returns the dlopen handle or NULL and
 * the memfd holding it (close it after dlclose). */
void *pw_aot_dlopen_bytes(const uint8_t *so, size_t len, int *fd, char *err, size_t errcap);

#endif
