/* Compiled-object files (.pwo) and the per-user cache of the native tier.
 *
 * A .pwo file is
 *     magic "PWAOT01\n" | key[32] | sha256(rest)[32] | u64 so_len | u64 wasm_len | so | wasm
 * (little-endian lengths). The key is the SHA-256 of everything that
 * decides the machine code: the module bytes, the engine's ABI and layout,
 * the generator options, the compiler identity and flags, and the target.
 * The cache holds `<hex key>.pwo` files without the wasm part in
 * $XDG_CACHE_HOME/portalis (default ~/.cache/portalis), a directory created
 * 0700 and used only if it belongs to the user and no one else may write
 * to it. Files are written to a temporary name and renamed (atomic, safe
 * under concurrent processes: a reader sees no file or a whole one), and
 * every file is verified (magic, key, lengths, checksum) before its bytes
 * are loaded - from memory, so what was verified is what runs. A file that
 * fails is recompiled and replaced, never loaded. */
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "aot_cache.h"
#include "portalis/base.h"

static const char MAGIC[8] = {'P', 'W', 'A', 'O', 'T', '0', '1', '\n'};
#define HDR (8 + 32 + 32 + 8 + 8)

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void hash_str(struct sha256_ctx *h, const char *s) { sha256_update(h, strlen(s) + 1, (const uint8_t *)s); }

void pw_aot_key(const uint8_t *wasm, size_t len, const char *const *parts, uint8_t key[32]) {
    struct sha256_ctx h;
    sha256_init(&h);
    struct utsname u;
    hash_str(&h, uname(&u) == 0 ? u.machine : "?");
    for (int i = 0; parts[i]; i++)
        hash_str(&h, parts[i]);
    uint8_t n[8];
    put64(n, len);
    sha256_update(&h, 8, n);
    sha256_update(&h, len, wasm);
    sha256_digest(&h, 32, key);
}

bool pw_aot_pwo_build(const uint8_t key[32], const uint8_t *so, size_t solen, const uint8_t *wasm, size_t wasmlen,
                      uint8_t **out, size_t *outlen) {
    size_t n = HDR + solen + wasmlen;
    uint8_t *b = malloc(n);
    if (!b)
        return false;
    memcpy(b, MAGIC, 8);
    memcpy(b + 8, key, 32);
    put64(b + 72, solen);
    put64(b + 80, wasmlen);
    memcpy(b + HDR, so, solen);
    if (wasmlen)
        memcpy(b + HDR + solen, wasm, wasmlen);
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, 16 + solen + wasmlen, b + 72);
    sha256_digest(&h, 32, b + 40);
    *out = b;
    *outlen = n;
    return true;
}

bool pw_aot_pwo_is(const uint8_t *b, size_t len) { return len >= 8 && !memcmp(b, MAGIC, 8); }

bool pw_aot_pwo_parse(const uint8_t *b, size_t len, aot_pwo *out, char *err, size_t errcap) {
    if (len < HDR || memcmp(b, MAGIC, 8)) {
        snprintf(err, errcap, "not a Portalis compiled module (bad header)");
        return false;
    }
    uint64_t solen = get64(b + 72), wasmlen = get64(b + 80);
    if (solen > len - HDR || wasmlen != len - HDR - solen) {
        snprintf(err, errcap, "compiled module truncated or corrupt (sizes do not match)");
        return false;
    }
    uint8_t sum[32];
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, len - 72, b + 72);
    sha256_digest(&h, 32, sum);
    if (memcmp(sum, b + 40, 32)) {
        snprintf(err, errcap, "compiled module corrupt (checksum mismatch)");
        return false;
    }
    memcpy(out->key, b + 8, 32);
    out->so = b + HDR;
    out->solen = (size_t)solen;
    out->wasm = b + HDR + solen;
    out->wasmlen = (size_t)wasmlen;
    return true;
}

/* ---- the cache directory -------------------------------------------------- */

static bool safe_dir(const char *dir) {
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
        return false;
    return (st.st_mode & 022) == 0;
}

bool pw_aot_cache_dir(char *out, size_t cap) {
    const char *off = getenv("PORTALIS_AOT_CACHE");
    if (off && !strcmp(off, "0"))
        return false;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[4096];
    if (xdg && xdg[0] == '/')
        snprintf(base, sizeof base, "%s", xdg);
    else if (home && home[0] == '/')
        snprintf(base, sizeof base, "%s/.cache", home);
    else
        return false;
    mkdir(base, 0700); /* may exist; checked below through the subdirectory */
    if (snprintf(out, cap, "%s/portalis", base) >= (int)cap)
        return false;
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return false;
    return safe_dir(out);
}

static void entry_path(const char *dir, const uint8_t key[32], char *out, size_t cap) {
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(out, cap, "%s/%s.pwo", dir, hex);
}

bool pw_aot_cache_get(const char *dir, const uint8_t key[32], uint8_t **file, size_t *len, aot_pwo *pwo) {
    char path[4200];
    entry_path(dir, key, path, sizeof path);
    char *data = NULL;
    size_t n = 0;
    pbase_error e;
    if (pbase_read_file(path, (size_t)1 << 31, &data, &n, &e) != 0)
        return false;
    char why[128];
    if (!pw_aot_pwo_parse((const uint8_t *)data, n, pwo, why, sizeof why) || memcmp(pwo->key, key, 32)) {
        free(data);
        unlink(path); /* corrupt or foreign: drop it, the caller recompiles */
        return false;
    }
    *file = (uint8_t *)data;
    *len = n;
    return true;
}

void pw_aot_cache_put(const char *dir, const uint8_t key[32], const uint8_t *file, size_t len) {
    char path[4200];
    entry_path(dir, key, path, sizeof path);
    pbase_error e;
    /* a failure only costs a recompile next time */
    if (pbase_write_file_atomic(path, file, len, &e) == 0)
        chmod(path, 0600);
}
