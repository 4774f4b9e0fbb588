/* Portalis guest SDK for C: what a WebAssembly module running under Portalis
 * may import from the host and must export to it (module ABI v1, docs/abi.md;
 * how to build and run a module: docs/modules.md).
 *
 * This header is for code compiled TO WebAssembly (clang --target=wasm32-wasi
 * or --target=wasm32), not for the host. It declares the imports; it defines
 * only the static inline helper portalis_fail() and, when you use
 * PORTALIS_DEFINE_ALLOC(), the allocator export.
 *
 * Two kinds of module (docs/abi.md):
 *   - a tick module exports `update(double time, double dt)` (or `update(void)`)
 *     and reaches the prim's `inputs:*` / `outputs:*` attributes ("channels")
 *     through the imports below;
 *   - a pure function module exports plain functions that the scene binds
 *     with `wasm:params` / `wasm:results`; it needs no import at all, and
 *     `portalis_alloc` only when it takes or returns arrays.
 *
 * A module that imports any function below must be run on a prim: `portalis
 * run module.wasm` (no scene) cannot link the "portalis" import module. */
#ifndef PORTALIS_GUEST_PORTALIS_H
#define PORTALIS_GUEST_PORTALIS_H

#if !defined(__wasm__)
#error                                                                                                           \
    "portalis/guest/portalis.h is for WebAssembly modules: compile with clang --target=wasm32-wasi (docs/modules.md)"
#endif

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the module ABI this header describes (docs/abi.md). */
#define PORTALIS_ABI_VERSION 1

/* Exports a function under `name` (the name the scene's
 * wasm:entryFunction or the host uses), whatever the C symbol is called:
 *     PORTALIS_EXPORT("update") void update(double time, double dt) { ... }
 * Functions without it are not visible to the host. */
#define PORTALIS_EXPORT(name) __attribute__((export_name(name), visibility("default")))

/* Marks a function that runs once when the module is loaded, before any
 * update, e.g. to look up channel handles with portalis_attr():
 *     PORTALIS_INIT static void setup(void) { out = PORTALIS_ATTR("outputs:y"); }
 * The host calls the module's exported `_initialize`. Built with
 * -mexec-model=reactor (the commands in docs/modules.md), wasi-libc's startup
 * code provides that `_initialize` and it runs every constructor, so do NOT
 * export a function named "_initialize" yourself: the module then has two
 * exports of that name and fails to load ("duplicate export name").
 * Built with -nostartfiles instead, nothing runs constructors: export
 * `_initialize` yourself (PORTALIS_EXPORT("_initialize")) and call your setup
 * from it. */
#define PORTALIS_INIT __attribute__((constructor))

#define PORTALIS_IMPORT_(name) __attribute__((import_module("portalis"), import_name(name)))

/* Handle of a channel: a non-negative number, or -1 when the prim has no
 * channel of that name. Handles stay valid for the life of the module. */
typedef int32_t portalis_attr_t;

/* Looks up the channel `name` of the module's own prim: the full attribute
 * name including its namespace, e.g. "inputs:speed", "outputs:position".
 * Returns its handle, or -1 if the prim declares no such numeric `inputs:*` /
 * `outputs:*` attribute. The name need not be NUL-terminated. Look handles
 * up once (in a PORTALIS_INIT function), not every frame. Traps if the name
 * is not inside linear memory or is 256 bytes or longer. */
PORTALIS_IMPORT_("attr") portalis_attr_t portalis_attr(const char *name, int32_t name_len);

/* portalis_attr() for a string literal: PORTALIS_ATTR("outputs:y"). */
#define PORTALIS_ATTR(literal) portalis_attr((literal), (int32_t)(sizeof(literal) - 1))

/* Reads the first component of a channel (a scalar's value, x of a vector,
 * the first element of an array). An input connected to another module's
 * output reads that output; an unconnected input reads its authored value
 * (at the current time when it has time samples). An output reads the last
 * value set. Traps on an invalid handle (for example -1). */
PORTALIS_IMPORT_("get_f64") double portalis_get_f64(portalis_attr_t h);

/* portalis_get_f64() rounded to float. */
PORTALIS_IMPORT_("get_f32") float portalis_get_f32(portalis_attr_t h);

/* Sets a scalar output (or the first component of a vector output). The
 * value is recorded as a time sample of the frame. Traps on an invalid
 * handle, on an input (only the prim's own `outputs:*` may be set) and on an
 * array output. */
PORTALIS_IMPORT_("set_f64") void portalis_set_f64(portalis_attr_t h, double value);

/* portalis_set_f64() from a float. */
PORTALIS_IMPORT_("set_f32") void portalis_set_f32(portalis_attr_t h, float value);

/* Writes 3 doubles at `out`: the channel's first three components (missing
 * components are 0). Traps on an invalid handle or if out[0..2] is not
 * inside linear memory. */
PORTALIS_IMPORT_("get_vec3") void portalis_get_vec3(portalis_attr_t h, double out[3]);

/* Sets a vector output (double3, float3, point3f, ...) to (x, y, z). Same
 * traps as portalis_set_f64(); a scalar output traps too. */
PORTALIS_IMPORT_("set_vec3") void portalis_set_vec3(portalis_attr_t h, double x, double y, double z);

/* Posts the named event. It is delivered at the next frame: every
 * event_driven module listing the name in `wasm:events` then runs. Traps if
 * the name is not inside linear memory or is 256 bytes or longer. */
PORTALIS_IMPORT_("post_event") void portalis_post_event(const char *name, int32_t name_len);

/* portalis_post_event() for a string literal. */
#define PORTALIS_POST_EVENT(literal) portalis_post_event((literal), (int32_t)(sizeof(literal) - 1))

/* Prints a diagnostic line "prim /Path: log: MESSAGE" (the host's diagnostic
 * stream; `portalis run` prints it on stderr). Messages longer than 511
 * bytes are cut. Not for every frame: each line is kept in the run report. */
PORTALIS_IMPORT_("log") void portalis_log(const char *msg, int32_t len);

/* portalis_log() for a string literal. */
#define PORTALIS_LOG(literal) portalis_log((literal), (int32_t)(sizeof(literal) - 1))

/* A fatal error: logs `what` followed by `detail` as one line (at most 511
 * bytes, the rest cut) with portalis_log(), then traps, so the host prints
 * "prim /Path: log: WHAT DETAIL" and disables the module with the trap:
 *     if (!map) portalis_fail("fleet:map: ", err);
 * Either string may be NULL (read as ""). */
static inline __attribute__((noreturn, unused)) void portalis_fail(const char *what, const char *detail) {
    char line[511];
    int32_t n = 0;
    for (; what && *what && n < (int32_t)sizeof line; what++)
        line[n++] = *what;
    for (; detail && *detail && n < (int32_t)sizeof line; detail++)
        line[n++] = *detail;
    portalis_log(line, n);
    __builtin_trap();
}

/* Configuration attributes (docs/abi.md): every attribute of the module's
 * prim other than inputs:* / outputs:*, with its authored value or else the
 * schema's fallback ("wasm:gravityOverride" is (0, 0, -9.81) on a
 * WasmPhysics prim that does not author it). They are fixed when the module
 * loads: read them once, in a PORTALIS_INIT function. Names follow the
 * rules of portalis_attr() (traps on a bad pointer, 256 bytes or longer). */

/* Number of numeric values of configuration attribute `name` (components
 * times elements: 3 for a double3), or -1 if it is absent or not numeric. */
PORTALIS_IMPORT_("config_count") int32_t portalis_config_count(const char *name, int32_t name_len);

/* Value i of the numeric configuration attribute `name` (0 when it is
 * absent or i is out of range: check portalis_config_count() first). */
PORTALIS_IMPORT_("config_f64") double portalis_config_f64(const char *name, int32_t name_len, int32_t i);

/* Copies the token / string / asset configuration attribute `name` into
 * buf (at most cap bytes, no NUL added) and returns its full length, so a
 * result above cap means it was cut; -1 if it is absent or not a string.
 * Traps if buf[0..cap) is not inside linear memory. */
PORTALIS_IMPORT_("config_str")
int32_t portalis_config_str(const char *name, int32_t name_len, char *buf, int32_t cap);

/* The same for a string literal name: PORTALIS_CONFIG_F64("wasm:gravityOverride", 2). */
#define PORTALIS_CONFIG_COUNT(literal) portalis_config_count((literal), (int32_t)(sizeof(literal) - 1))
#define PORTALIS_CONFIG_F64(literal, i) portalis_config_f64((literal), (int32_t)(sizeof(literal) - 1), (i))
#define PORTALIS_CONFIG_STR(literal, buf, cap)                                                                   \
    portalis_config_str((literal), (int32_t)(sizeof(literal) - 1), (buf), (cap))

/* Bulk arrays (docs/abi.md (c)): a pure function taking or producing array
 * attributes receives i32 pointers into its linear memory. The host gets
 * those buffers by calling the module's export
 *     int32_t portalis_alloc(int32_t bytes)
 * once per array (again only when the array grows) and never frees them; it
 * must return a pointer to `bytes` bytes aligned for double, or 0 on failure
 * (the module is then disabled with a message).
 * PORTALIS_DEFINE_ALLOC() defines that export with libc's malloc; write it
 * once in one source file of a module that takes arrays. */
#define PORTALIS_DEFINE_ALLOC()                                                                                  \
    PORTALIS_EXPORT("portalis_alloc") void *portalis_alloc(int32_t bytes) {                                      \
        return bytes < 0 ? (void *)0 : __builtin_malloc((__SIZE_TYPE__)bytes);                                   \
    }

#ifdef __cplusplus
}
#endif

#endif
