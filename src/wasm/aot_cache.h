/* Compiled-object files and the native tier's cache (aot_cache.c). */
#ifndef PORTALIS_WASM_AOT_CACHE_H
#define PORTALIS_WASM_AOT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed .pwo (pointers into the file's bytes). */
typedef struct {
    uint8_t key[32];
    const uint8_t *so, *wasm;
    size_t solen, wasmlen;
} aot_pwo;

/* SHA-256 of the target machine, the NULL-terminated parts and the module. */
void pw_aot_key(const uint8_t *wasm, size_t len, const char *const *parts, uint8_t key[32]);

bool pw_aot_pwo_build(const uint8_t key[32], const uint8_t *so, size_t solen, const uint8_t *wasm, size_t wasmlen,
                      uint8_t **out, size_t *outlen);
bool pw_aot_pwo_is(const uint8_t *b, size_t len);
/* Verifies header, sizes and checksum. */
bool pw_aot_pwo_parse(const uint8_t *b, size_t len, aot_pwo *out, char *err, size_t errcap);

/* The cache directory, created 0700 if needed; false when there is none
 * usable (PORTALIS_AOT_CACHE=0, no HOME, or a directory others can write). */
bool pw_aot_cache_dir(char *out, size_t cap);
/* A verified entry (file bytes returned malloc'd); false on a miss. */
bool pw_aot_cache_get(const char *dir, const uint8_t key[32], uint8_t **file, size_t *len, aot_pwo *pwo);
void pw_aot_cache_put(const char *dir, const uint8_t key[32], const uint8_t *file, size_t len);

#endif
