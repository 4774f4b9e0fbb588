/* The serve layer's internal declarations: HTTP plumbing (server.c,
 * http_out.c), the protobuf text reader (pbtxt.c), tensors (tensor.c), the
 * model repository (repo.c), KServe v2 endpoints (kserve.c, infer.c), the
 * running scene (scene.c, viewer.c) and metrics (metrics.c). */
#ifndef PORTALIS_SERVE_INTERNAL_H
#define PORTALIS_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

#include <portalis/base.h>
#include <portalis/bridge.h>

#include "serve.h"

struct MHD_Connection;

/* ---- requests and responses (server.c, http_out.c) ----------------------- */

/* libmicrohttpd's memory per connection: it bounds a request's headers,
 * and the library clears all of it for every request (64 KiB took half of
 * a small inference request's instructions; docs/serve.md, Numbers). */
#define PSV_CONNECTION_MEMORY (16u << 10)

typedef struct psv_req {
    const char *method; /* "GET", "POST", ... */
    const char *url;    /* path, without the query */
    const char *body;
    size_t len;
    struct MHD_Connection *conn;
} psv_req;

const char *psv_req_header(const psv_req *r, const char *name);
const char *psv_req_query(const psv_req *r, const char *name);

/* A streamed body: read() fills buf (returns bytes, 0 after waiting with
 * nothing to say, -1 at the end). */
typedef ssize_t (*psv_reader_fn)(void *ctx, char *buf, size_t max);

typedef struct psv_resp {
    int status;
    const char *ctype;
    char *body; /* malloc'ed, owned by the response */
    size_t len;
    int fd; /* a file to send instead (>= 0), its size in len */
    psv_reader_fn reader;
    void *reader_ctx;
    void (*reader_free)(void *ctx);
    char header_name[48], header_value[48]; /* one extra header, or "" */
} psv_resp;

/* A JSON body being written: a stream into memory (data, len bytes, NUL
 * after them once f is flushed or closed) and the base JSON writer. It
 * must stay in place between psv_out_open and fclose. */
typedef struct psv_out {
    FILE *f;
    char *data;
    size_t len, cap;
    pbase_json j;
    char buf[4096]; /* the stream's buffer */
} psv_out;

bool psv_out_open(psv_out *o);
/* psv_out_open, or false with the response made a 500. */
bool psv_out_start(psv_out *o, psv_resp *rs);
/* Closes o and makes it the response's body. */
void psv_resp_take(psv_resp *r, int status, const char *ctype, psv_out *o);
/* The KServe error form: {"error": "message"}. */
void psv_resp_error(psv_resp *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void psv_resp_text(psv_resp *r, int status, const char *ctype, const char *text);
/* ---- request bodies: JSON read into tokens (jsonin.c) ------------------- */

typedef enum { PSV_JNULL, PSV_JFALSE, PSV_JTRUE, PSV_JNUM, PSV_JSTR, PSV_JARR, PSV_JOBJ } psv_jtype;

typedef struct psv_jtok {
    uint32_t start, len; /* a string's text without its quotes, a number's literal, a container's brackets */
    uint32_t next;       /* the token after this value (and its elements) */
    uint8_t type;        /* psv_jtype */
    bool escaped;        /* a string with backslash escapes */
} psv_jtok;

/* A parsed text: token 0 is the root value; an array's elements follow it,
 * an object's keys each followed by its value. Indices are ints, -1 = none. */
typedef struct psv_jdoc {
    const char *text;
    size_t len;
    psv_jtok *t;
    size_t n, cap;
} psv_jdoc;

/* 0 (free with psv_json_free), or -1 with *errpos near the first byte
 * that is not JSON and nothing to free. */
int psv_json_parse(psv_jdoc *d, const char *text, size_t len, size_t *errpos);
void psv_json_free(psv_jdoc *d);
bool psv_j_is(const psv_jdoc *d, int i, psv_jtype type);
int psv_j_get(const psv_jdoc *d, int obj, const char *key); /* the member's value */
int psv_j_first(const psv_jdoc *d, int container);          /* an object's first key */
int psv_j_next(const psv_jdoc *d, int container, int i);    /* the next element (key) */
bool psv_j_streq(const psv_jdoc *d, int i, const char *s);
size_t psv_j_str(const psv_jdoc *d, int i, char *buf, size_t cap); /* decoded, cut to cap */
char *psv_j_strdup(const psv_jdoc *d, int i);
int psv_j_integer(const psv_jdoc *d, int i, bool *negative, uint64_t *magnitude); /* 1 exact, -1 too big */
bool psv_j_double(const psv_jdoc *d, int i, double *out);
/* A request body as JSON: 0, or -1 with "malformed JSON ..., near byte N". */
int psv_parse_body(psv_jdoc *d, const char *text, size_t len, char *err, size_t cap);

/* ---- protobuf text format (pbtxt.c) ------------------------------------- */

typedef struct psv_pb {
    char *name;
    char *value; /* a scalar's text (strings unquoted); NULL for a message */
    bool is_string, is_message;
    int line;
    struct psv_pb *child; /* a message's fields */
    struct psv_pb *next;
} psv_pb;

/* The root is a message holding the file's fields; err gets "line N: why". */
int psv_pb_parse(const char *text, size_t len, psv_pb **out, char *err, size_t errcap);
void psv_pb_free(psv_pb *f);
/* The next field called name in msg after `after` (NULL: the first). */
const psv_pb *psv_pb_next(const psv_pb *msg, const psv_pb *after, const char *name);

/* ---- tensors (tensor.c) ------------------------------------------------- */

typedef enum {
    PSV_BOOL,
    PSV_UINT8,
    PSV_UINT16,
    PSV_UINT32,
    PSV_UINT64,
    PSV_INT8,
    PSV_INT16,
    PSV_INT32,
    PSV_INT64,
    PSV_FP32,
    PSV_FP64,
    PSV_FP16, /* binary16 bits; a module's f32 or f64 parameter or result */
    PSV_NDTYPES
} psv_dtype;

const char *psv_dtype_name(psv_dtype t); /* KServe name: "FP64" */
size_t psv_dtype_size(psv_dtype t);
/* "FP64" (KServe) or, with triton, "TYPE_FP64" (config.pbtxt). */
bool psv_dtype_parse(const char *s, bool triton, psv_dtype *out);
/* Stores JSON number/bool token i as element type t at dst; false with why. */
bool psv_elem_from_json(psv_dtype t, const psv_jdoc *d, int i, void *dst, const char **why);
void psv_elem_to_json(pbase_json *j, psv_dtype t, const void *src);
/* Between an element and a wasm value cell (C conversions, saturating). */
uint64_t psv_elem_to_cell(psv_dtype t, const void *src, pw_valkind k);
void psv_elem_from_cell(psv_dtype t, uint64_t cell, pw_valkind k, void *dst);

#define PSV_MAX_DIMS 8

typedef struct psv_tensor_spec {
    char *name;
    psv_dtype dtype;
    int64_t dims[PSV_MAX_DIMS]; /* without the batch dimension */
    int ndims;
    size_t elems; /* per row */
} psv_tensor_spec;

/* ---- model repository (repo.c) ------------------------------------------ */

typedef struct psv_instance {
    pb_module_id id;
    pb_func entry, batch, alloc;
    bool has_batch;
    pw_memory *mem;
    uint64_t *slots; /* max(nparams, nresults) cells of the entry function */
    bool by_pointer; /* the entry returns an i32 pointer to a row's outputs */
    uint32_t *bufs;  /* batch: one buffer per input then output, in linear memory */
    size_t buf_rows;
    bool busy;
} psv_instance;

typedef struct psv_version {
    int64_t number;
    char *wasm_path;
    bool ready;
    char *error; /* why it is not ready */
    psv_instance *inst;
    size_t ninst;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} psv_version;

typedef struct psv_model_stats {
    pthread_mutex_t mu;
    uint64_t requests, failures, rows;
    uint64_t le_counts[16]; /* latency histogram, psv_latency_bounds */
    double sum_s;
} psv_model_stats;

typedef struct psv_model {
    char *name, *dir;
    char *error; /* the config could not be used: why */
    int64_t max_batch;
    psv_tensor_spec *in, *out;
    size_t nin, nout;
    size_t in_elems, out_elems; /* per row, summed */
    size_t out_row_bytes;
    char *entry, *batch_entry;
    psv_version *v; /* ascending version numbers */
    size_t nv;
    psv_model_stats stats;
} psv_model;

typedef struct psv_repo {
    char *dir;
    pb_bridge *bridge;
    psv_model *m;
    size_t n;
} psv_repo;

/* diag(ctx, message) receives config warnings and load failures. */
typedef void (*psv_diag_fn)(void *ctx, const char *msg);
/* config.c: reads path into m (m->name set by the caller); *model_file gets
 * the module's file name in each version folder (malloc'ed). */
int psv_config_read(const char *path, psv_model *m, char **model_file, psv_diag_fn diag, void *ctx, char *err,
                    size_t errcap);
int psv_repo_open(const char *dir, const psv_options *o, psv_diag_fn diag, void *ctx, psv_repo **out, char *err,
                  size_t errcap);
void psv_repo_free(psv_repo *r);
psv_model *psv_repo_model(psv_repo *r, const char *name);
/* version "" or NULL = the newest ready one. */
psv_version *psv_model_version(psv_model *m, const char *version);
bool psv_model_ready(const psv_model *m);
psv_instance *psv_version_acquire(psv_version *v);
void psv_version_release(psv_version *v, psv_instance *i);

/* One batch of rows: in[i] holds rows * in spec elems of its dtype, out[i]
 * receives rows * out elems. Returns 0, or -1 with a message (a trap). */
int psv_model_run(psv_repo *r, psv_model *m, psv_instance *inst, size_t rows, void *const *in, void *const *out,
                  char *err, size_t errcap);

/* ---- KServe v2 (kserve.c, infer.c) ------------------------------------- */

typedef struct psv_server psv_server;
/* Handles /v2...; false if the path is not one of its. */
bool psv_kserve_route(psv_server *s, const psv_req *rq, psv_resp *rs);
void psv_infer(psv_server *s, psv_model *m, psv_version *v, const psv_req *rq, psv_resp *rs);

/* ---- the running scene (scene.c) and its API (viewer.c) ----------------- */

typedef struct psv_scene psv_scene;
int psv_scene_open(const char *path, const psv_options *o, psv_scene **out, char *err, size_t errcap);
void psv_scene_free(psv_scene *sc);
/* Wakes the event streams so they see the server stopping. */
void psv_scene_wake(psv_scene *sc);
bool psv_viewer_route(psv_server *s, const psv_req *rq, psv_resp *rs);
/* /api/playback[/N]: the runs given with --playback (playback.c). */
bool psv_playback_route(psv_server *s, const psv_req *rq, psv_resp *rs);
/* The event streams' pump (viewer.c): a thread that resumes the suspended
 * streams when the scene publishes, and every second (keep-alive). Stop
 * resumes them all for the last time, to end them; it may be called
 * without a start. */
int psv_events_start(psv_server *s, char *err, size_t errcap);
void psv_events_stop(psv_server *s);

/* ---- metrics (metrics.c) ----------------------------------------------- */

extern const double psv_latency_bounds[]; /* seconds, ascending */
extern const size_t psv_latency_nbounds;
void psv_stats_record(psv_model_stats *st, uint64_t ns, size_t rows, bool ok);
/* A Prometheus histogram over psv_latency_bounds (counts: nbounds + 1). */
void psv_write_histogram(FILE *f, const char *name, const char *labels, const uint64_t *counts, double sum);
void psv_metrics(psv_server *s, psv_resp *rs);
/* The scene's part of /metrics (scene.c). */
void psv_scene_metrics(psv_scene *sc, FILE *f);

struct psv_server {
    psv_options o;
    char url[112];
    char *token;
    char *web_dir;
    int listen_fd;
    struct MHD_Daemon *daemon;
    psv_repo *repo;
    psv_scene *scene;
    atomic_bool stopping;
    atomic_uint_fast64_t http_requests, http_errors;
    pthread_t pump;
    bool pump_started;
    pthread_mutex_t streams_mu; /* the suspended event streams */
    struct psv_stream **streams;
    size_t nstreams, streams_cap;
    bool streams_closed;
    char **diag;
    size_t ndiag;
};

#endif
