/* `portalis serve`: one HTTP server for a running scene (the live viewer and
 * its control API) and for WebAssembly models of a Triton-style model
 * repository over the KServe v2 inference protocol (docs/serve.md).
 *
 * This is the serve layer's interface to the command line (prefix psv_). It
 * sits on the host and the bridge and on Debian's libmicrohttpd; it is not
 * part of libportalis.so. Errors are values; the library never exits. */
#ifndef PORTALIS_SERVE_H
#define PORTALIS_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <portalis/host.h>

typedef struct psv_options {
    const char *scene;           /* a .usda scene to run and show; NULL = none */
    const char *models;          /* a model repository folder; NULL = none */
    const char *listen;          /* "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 = chosen by the OS */
    const char *token;           /* bearer token required by the API; NULL = none */
    const char *web_dir;         /* the viewer's built bundle (index.html, app.js); NULL = none */
    const char *const *playback; /* output layers of finished runs, for the viewer's playback */
    size_t nplayback;
    size_t max_body_bytes;    /* request bodies past this get 413 (default 8 MiB) */
    unsigned timeout_s;       /* idle connections are closed after this (default 30 s) */
    unsigned max_connections; /* concurrent connections (default 64) */
    unsigned instances;       /* instances of each model version, calls in parallel (default 2) */
    unsigned threads;         /* threads serving connections (default: the processors online) */
    uint64_t call_budget_ns;  /* deadline per model call (default 1 s) */
    bool start_paused;        /* the scene waits for "play" (default: it plays) */
    ph_config host;           /* how the scene runs (ph_config_default) */
} psv_options;

psv_options psv_options_default(void);

typedef struct psv_server psv_server;

/* Loads the scene and the model repository, binds the listening socket and
 * starts serving on threads of its own. A model that fails to load is a
 * diagnostic (it is served as not ready), not a failure; a scene that cannot
 * be opened, a repository folder that cannot be read or an address that
 * cannot be bound is (err says why). */
int psv_start(const psv_options *o, psv_server **out, char *err, size_t errcap);
/* "http://127.0.0.1:PORT/" with the port actually bound. */
const char *psv_url(const psv_server *s);
/* Diagnostics of the start (models that failed to load, config warnings). */
size_t psv_diagnostic_count(const psv_server *s);
const char *psv_diagnostic(const psv_server *s, size_t i);
/* Stops accepting, ends open event streams, waits for the threads, frees. */
void psv_stop(psv_server *s);

#endif
