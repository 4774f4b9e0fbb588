/* Portalis WASI: wasi_snapshot_preview1 for modules run by the engine.
 *
 * A pwasi_ctx is what one guest "process" sees: its arguments, its
 * environment, its file descriptor table (stdio on 0-2, then the preopened
 * directories from 3 on) and, after proc_exit, its exit code. Host functions
 * for all 46 wasi_snapshot_preview1 imports are created in a store by
 * pwasi_link, which resolves a module's imports by name.
 *
 * Sandbox: the guest reaches the host file system only through preopened
 * directories. Every path is resolved beneath the preopen's directory
 * descriptor (openat2 RESOLVE_BENEATH, or a component-by-component walk where
 * openat2 is unavailable); `..` above the preopen, absolute paths and symlinks
 * leading outside fail with ENOTCAPABLE (76). Every guest pointer is bounds
 * checked; a bad pointer yields EFAULT (21), never a host crash.
 * See docs/wasi.md.
 *
 * A context is used by one thread at a time, like the store it is linked
 * into; it may be linked into several instances (they then share fds).
 */
#ifndef PORTALIS_WASI_H
#define PORTALIS_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <portalis/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pwasi_ctx pwasi_ctx;

/* Errors of the configuration and linking calls: an owned message. */
typedef struct pwasi_error pwasi_error;
const char *pwasi_error_message(const pwasi_error *e);
void pwasi_error_free(pwasi_error *e);

/* How guest paths are resolved beneath a preopened directory. AUTO uses
 * openat2(RESOLVE_BENEATH) and falls back to MANUAL if the kernel lacks it;
 * MANUAL always walks the path one component at a time (for tests). */
typedef enum { PWASI_RESOLVE_AUTO = 0, PWASI_RESOLVE_MANUAL } pwasi_resolve_mode;

/* A new context: no arguments, empty environment, stdio = host fds 0, 1, 2
 * (not closed by the context), no preopens. NULL if out of memory. */
pwasi_ctx *pwasi_ctx_new(void);
/* Closes the fds the context opened. */
void pwasi_ctx_free(pwasi_ctx *ctx);

/* Arguments as the guest sees them; argv[0] is usually the module name. */
pwasi_error *pwasi_ctx_set_args(pwasi_ctx *ctx, int argc, const char *const *argv);
/* Adds an environment entry "NAME=VALUE" (replacing an earlier NAME). */
pwasi_error *pwasi_ctx_set_env(pwasi_ctx *ctx, const char *name, const char *value);
/* Host fds for guest fds 0, 1 and 2 (-1 leaves the guest fd closed). The
 * context does not close them. */
void pwasi_ctx_set_stdio(pwasi_ctx *ctx, int in_fd, int out_fd, int err_fd);
/* Opens the host directory `host_path` and gives it to the guest as the
 * preopen named `guest_path` (e.g. "." or "/data"), on the next fd. */
pwasi_error *pwasi_ctx_preopen_dir(pwasi_ctx *ctx, const char *host_path, const char *guest_path);
void pwasi_ctx_set_resolve_mode(pwasi_ctx *ctx, pwasi_resolve_mode mode);

/* After the guest called proc_exit: true and its code. */
bool pwasi_ctx_exited(const pwasi_ctx *ctx, int *code);

/* An import supplied by the embedder, matched by (module, name) before the
 * WASI functions. */
typedef struct {
    const char *module;
    const char *name;
    pw_extern ext;
} pwasi_import;

/* Resolves every import of `m`: first from `extra` (nextra entries, may be
 * NULL/0), then wasi_snapshot_preview1 functions bound to ctx, created in
 * `store`. On success *out is a malloc'd array of pw_module_import_count(m)
 * externs in the module's import order (free it with free()), ready for
 * pw_instance_new. On failure returns an error naming the first import that
 * cannot be satisfied (unknown or wrong type). */
pwasi_error *pwasi_link(pwasi_ctx *ctx, pw_store *store, pw_module *m, const pwasi_import *extra, size_t nextra,
                        pw_extern **out);

/* True if the module imports anything from wasi_snapshot_preview1. */
bool pwasi_module_uses_wasi(const pw_module *m);

/* Number of WASI functions pwasi_link can provide (46), and their names. */
size_t pwasi_function_count(void);
const char *pwasi_function_name(size_t i);

/* Runs a reactor's `_initialize` export if it has one (NULL if none or it
 * returned normally; the trap otherwise). Commands are run by calling their
 * `_start` export; proc_exit surfaces as a PW_TRAP_EXIT error carrying the
 * code (pw_error_exit_code). */
pw_error *pwasi_initialize(pw_store *store, pw_instance *inst);

#ifdef __cplusplus
}
#endif
#endif
