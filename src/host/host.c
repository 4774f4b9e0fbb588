/* The update loop. See include/portalis/host.h and docs/host.md. */
#include <portalis/host.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- channels: the values that flow between modules and the stage ---------- */

/* Recorded time samples of one channel, stored compactly in the attribute's
 * own element type (float for point3f[], double for double3, ...): one
 * contiguous block of `width` elements per frame, appended every frame and
 * streamed to the output file by ph_host_save (no intermediate layer).
 * Samples stay in memory (no per-frame system calls) until all channels
 * together hold cfg.record_memory_bytes (default REC_MEMORY_BUDGET); from then on every channel appends its
 * oldest in-memory frames to the host's spill file (an unlinked temporary
 * file) in chunks of about REC_CHUNK_BYTES, at most two chunks per channel
 * per frame (small writes: no latency spike), and reuses its buffer once it
 * is drained, so memory stays bounded however long the run. */
#define REC_MEMORY_BUDGET ((size_t)8 << 20)
#define REC_CHUNK_BYTES ((size_t)64 << 10)
typedef struct recchunk {
    off_t off;        /* in the spill file */
    size_t frames;
} recchunk;
typedef struct recbuf {
    void *data;       /* frames head .. head + (frames - spilled) hold the frames not spilled */
    size_t frames;    /* frames recorded (spilled + in memory) */
    size_t spilled;   /* frames in the spill file, in chunks */
    size_t head;      /* first in-memory frame slot in data (0 once drained) */
    size_t cap;       /* frame slots allocated in data */
    size_t width;     /* elements (values) per frame, fixed by the first frame */
    pusd_type type;   /* element type (the attribute type without []) */
    pusd_elem elem;
    size_t esz;       /* bytes per element; 0 until the first frame */
    recchunk *chunks;
    size_t nchunks, capchunks;
} recbuf;

typedef struct chan {
    char *prim, *attr;
    char type_name[40]; /* USD type of the attribute, "double3", "point3f[]" */
    int ncomp;          /* components per element */
    bool is_array;
    double v[16];       /* scalar/vector value */
    double *arr;        /* array value: count * ncomp */
    size_t count, cap;
    int src;            /* connected source channel, or -1 */
    uint64_t version;   /* bumped whenever the value changes */
    bool is_output;     /* a module output (written by a module) */
    bool is_target;     /* a non-module attribute fed by a connection */
    bool animated;      /* unconnected input with time samples: read every frame */
    pusd_prim *sprim;   /* the stage prim, looked up once (valid until the stage is rebuilt) */
    bool record;
    recbuf rec;         /* recorded samples (one per frame) */
} chan;

enum { P_TIME, P_DT, P_FRAME, P_SCALAR, P_ARRAY, P_COUNT, P_OUT_ARRAY };
typedef struct param {
    int kind;
    int chan;
    pw_valkind vk;
    uint32_t mem; /* linear memory offset of the array buffer */
    size_t mem_cap;
    uint64_t copied_version;
} param;

typedef struct hmod {
    struct ph_host *h;
    char *path, *schema, *wasm_path, *entry, *mode_name;
    int mode; /* 0 continuous, 1 on_demand, 2 event_driven */
    bool pure;
    int stage, order_key;
    double rate;
    ph_mod_state state;
    pb_module_id id;
    pb_func fn;
    pw_memory *mem;
    pb_func alloc;
    bool has_alloc;
    param *params;
    size_t nparams;
    int *results;
    size_t nresults;
    int *inputs; /* channels of inputs:* (own) */
    size_t ninputs;
    char **events;
    size_t nevents;
    uint64_t *seen_versions; /* per input: source version when last run */
    uint64_t next_step;      /* continuous: index of the next due step */
    double last_run_time;
    bool ever_ran, trigger;
    uint32_t consecutive_overruns;
    uint64_t runs, steps, skipped, overruns, traps, load_ns;
    pb_histogram lat;
    char *last_error;
} hmod;

struct ph_host {
    ph_config cfg;
    char *scene_path;
    struct timespec scene_mtime;
    pusd_stage *stage;
    pusd_schema_registry *reg;
    pb_bridge *bridge;
    ef_graph *graph;
    ef_sim_pipeline *sim;
    ef_registry *passes;
    ef_pass_pipeline *pp;
    ef_pool *pool;
    ef_context *ctx;
    hmod **mods;
    size_t nmods;
    chan *ch;
    size_t nch, capch;
    char **diag;
    size_t ndiag, capdiag;
    pthread_mutex_t lock;
    char **events_now, **events_next;
    size_t nevents_now, nevents_next;
    uint64_t frame;
    double t; /* time of the current frame */
    bool frame_failed;
    uint64_t rec_frames;
    pb_histogram frame_lat;
    double wall_s;
    uint64_t load_ns, scene_ns;
    int spill_fd;     /* recorded chunks (see recbuf); -1 until needed */
    bool spilling;    /* the recorded samples reached REC_MEMORY_BUDGET */
    off_t spill_end;
    bool spill_failed;
};

static char *xstrdup(const char *s) { return strdup(s ? s : ""); }

static void diag(ph_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diag(ph_host *h, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&h->lock);
    if (h->ndiag == h->capdiag) {
        size_t nc = h->capdiag ? 2 * h->capdiag : 16;
        char **p = realloc(h->diag, nc * sizeof *p);
        if (p) {
            h->diag = p;
            h->capdiag = nc;
        }
    }
    if (h->ndiag < h->capdiag)
        h->diag[h->ndiag++] = xstrdup(buf);
    pthread_mutex_unlock(&h->lock);
}

static void set_error(hmod *m, const char *msg) {
    free(m->last_error);
    m->last_error = xstrdup(msg);
}

const char *ph_mod_state_name(ph_mod_state s) {
    switch (s) {
    case PH_MOD_ACTIVE: return "active";
    case PH_MOD_DISABLED_BY_SCENE: return "disabled";
    case PH_MOD_LOAD_FAILED: return "load-failed";
    case PH_MOD_TRAPPED: return "trapped";
    case PH_MOD_OVER_BUDGET: return "over-budget";
    }
    return "?";
}

ph_config ph_config_default(void) {
    ph_config c = {0};
    c.fps = 60;
    c.threads = 1;
    c.call_budget_ns = 100000000u;
    c.max_memory_mb = 256;
    c.max_substeps = 8;
    c.max_overruns = 3;
    c.record = true;
    c.record_memory_bytes = REC_MEMORY_BUDGET;
    return c;
}

/* ---- channels ----------------------------------------------------------------- */

static int find_chan(const ph_host *h, const char *prim, const char *attr) {
    for (size_t i = 0; i < h->nch; i++)
        if (!strcmp(h->ch[i].prim, prim) && !strcmp(h->ch[i].attr, attr))
            return (int)i;
    return -1;
}

static int type_info(const char *type_name, int *ncomp, bool *is_array) {
    char base[40];
    snprintf(base, sizeof base, "%s", type_name ? type_name : "");
    size_t n = strlen(base);
    *is_array = n > 2 && !strcmp(base + n - 2, "[]");
    if (*is_array)
        base[n - 2] = 0;
    pusd_type t = pusd_type_from_name(base);
    if (t == PUSD_T_INVALID)
        return -1;
    pusd_elem e = pusd_type_elem(t);
    if (e == PUSD_E_STR || e == PUSD_E_NONE || e == PUSD_E_OTHER)
        return -1;
    *ncomp = pusd_type_components(t);
    if (*ncomp > 16)
        return -1;
    return 0;
}

/* Reads the attribute's value (at time) into the channel; 0 or -1. */
static int chan_read_stage(ph_host *h, chan *c, double time) {
    pusd_prim *p = c->sprim ? c->sprim : (c->sprim = pusd_stage_prim_at_path(h->stage, c->prim));
    pusd_value v;
    if (!p || pusd_prim_get_attr(p, c->attr, time, &v) || !v.data)
        return -1;
    size_t n = v.count;
    if (c->is_array) {
        if (n * (size_t)c->ncomp > c->cap) {
            double *a = realloc(c->arr, n * (size_t)c->ncomp * sizeof *a + 8);
            if (!a)
                return -1;
            c->arr = a;
            c->cap = n * (size_t)c->ncomp;
        }
        for (size_t e = 0; e < n; e++)
            for (int i = 0; i < c->ncomp; i++)
                c->arr[e * (size_t)c->ncomp + (size_t)i] = pusd_value_get_double(&v, e, i);
        c->count = n;
    } else {
        for (int i = 0; i < c->ncomp; i++)
            c->v[i] = pusd_value_get_double(&v, 0, i);
        c->count = 1;
    }
    c->version++;
    return 0;
}

static int add_chan(ph_host *h, const char *prim, const char *attr, const char *type_name) {
    int i = find_chan(h, prim, attr);
    if (i >= 0)
        return i;
    int ncomp;
    bool arr;
    if (type_info(type_name, &ncomp, &arr))
        return -1;
    if (h->nch == h->capch) {
        size_t nc = h->capch ? 2 * h->capch : 16;
        chan *p = realloc(h->ch, nc * sizeof *p);
        if (!p)
            return -1;
        h->ch = p;
        h->capch = nc;
    }
    chan *c = &h->ch[h->nch];
    memset(c, 0, sizeof *c);
    c->prim = xstrdup(prim);
    c->attr = xstrdup(attr);
    snprintf(c->type_name, sizeof c->type_name, "%s", type_name);
    c->ncomp = ncomp;
    c->is_array = arr;
    c->src = -1;
    c->count = arr ? 0 : 1;
    return (int)h->nch++;
}

static chan *resolve_chan(ph_host *h, int i) {
    int guard = 0;
    while (h->ch[i].src >= 0 && guard++ < 64)
        i = h->ch[i].src;
    return &h->ch[i];
}

static size_t chan_width(const chan *c) { return c->is_array ? c->count * (size_t)c->ncomp : (size_t)c->ncomp; }
static const double *chan_data(const chan *c) { return c->is_array ? c->arr : c->v; }

/* Sets a module output (scalar/vector); bumps the version if it changed. */
static void chan_set(chan *c, const double *v, size_t n) {
    if (n > 16)
        n = 16;
    if (memcmp(c->v, v, n * sizeof *v)) {
        memcpy(c->v, v, n * sizeof *v);
        c->version++;
    }
}

/* ---- the "portalis" import module (tick modules) ------------------------------- */

static hmod *hm_of(void *u) { return u; }

static int handle_chan(hmod *m, int32_t hd) {
    if (hd < 0 || (size_t)hd >= m->h->nch)
        return -1;
    return hd;
}

static pw_error *imp_attr(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    hmod *m = hm_of(u);
    pw_memory *mem = pw_caller_memory(c);
    char name[256];
    uint32_t p = (uint32_t)a[0].of.i32, n = (uint32_t)a[1].of.i32;
    if (!mem || n >= sizeof name || !pw_memory_read(mem, p, name, n))
        return pw_trap_new("portalis.attr: bad name pointer/length (%u, %u)", p, n);
    name[n] = 0;
    r[0].kind = PW_I32;
    r[0].of.i32 = find_chan(m->h, m->path, name);
    return NULL;
}

static pw_error *imp_get_f64(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    hmod *m = hm_of(u);
    int i = handle_chan(m, a[0].of.i32);
    if (i < 0)
        return pw_trap_new("portalis.get_f64: invalid handle %d", a[0].of.i32);
    r[0].kind = PW_F64;
    r[0].of.f64 = chan_data(resolve_chan(m->h, i))[0];
    return NULL;
}

static pw_error *imp_get_f32(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    pw_error *e = imp_get_f64(c, u, a, r);
    if (!e) {
        double d = r[0].of.f64;
        r[0].kind = PW_F32;
        r[0].of.f32 = (float)d;
    }
    return e;
}

static pw_error *imp_set(hmod *m, int32_t hd, const double *v, size_t n, const char *fn) {
    int i = handle_chan(m, hd);
    if (i < 0)
        return pw_trap_new("portalis.%s: invalid handle %d", fn, hd);
    chan *c = &m->h->ch[i];
    if (!c->is_output || strcmp(c->prim, m->path))
        return pw_trap_new("portalis.%s: '%s' is not an output of %s (only outputs:* may be set)", fn, c->attr,
                           m->path);
    if (c->is_array || (size_t)c->ncomp < n)
        return pw_trap_new("portalis.%s: '%s' has type %s", fn, c->attr, c->type_name);
    chan_set(c, v, n);
    return NULL;
}

static pw_error *imp_set_f64(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    (void)r;
    double v = a[1].of.f64;
    return imp_set(hm_of(u), a[0].of.i32, &v, 1, "set_f64");
}

static pw_error *imp_set_f32(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    (void)r;
    double v = a[1].of.f32;
    return imp_set(hm_of(u), a[0].of.i32, &v, 1, "set_f32");
}

static pw_error *imp_get_vec3(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)r;
    hmod *m = hm_of(u);
    int i = handle_chan(m, a[0].of.i32);
    if (i < 0)
        return pw_trap_new("portalis.get_vec3: invalid handle %d", a[0].of.i32);
    chan *ch = resolve_chan(m->h, i);
    double v[3] = {0, 0, 0};
    for (int k = 0; k < 3 && k < ch->ncomp; k++)
        v[k] = chan_data(ch)[k];
    pw_memory *mem = pw_caller_memory(c);
    if (!mem || !pw_memory_write(mem, (uint32_t)a[1].of.i32, v, sizeof v))
        return pw_trap_new("portalis.get_vec3: output pointer %u out of bounds", (uint32_t)a[1].of.i32);
    return NULL;
}

static pw_error *imp_set_vec3(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    (void)r;
    double v[3] = {a[1].of.f64, a[2].of.f64, a[3].of.f64};
    return imp_set(hm_of(u), a[0].of.i32, v, 3, "set_vec3");
}

static pw_error *imp_post_event(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)r;
    hmod *m = hm_of(u);
    char name[256];
    uint32_t p = (uint32_t)a[0].of.i32, n = (uint32_t)a[1].of.i32;
    pw_memory *mem = pw_caller_memory(c);
    if (!mem || n >= sizeof name || !pw_memory_read(mem, p, name, n))
        return pw_trap_new("portalis.post_event: bad name pointer/length (%u, %u)", p, n);
    name[n] = 0;
    ph_host_post_event(m->h, name);
    return NULL;
}

static pw_error *imp_log(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)r;
    hmod *m = hm_of(u);
    char msg[512];
    uint32_t p = (uint32_t)a[0].of.i32, n = (uint32_t)a[1].of.i32;
    if (n >= sizeof msg)
        n = sizeof msg - 1;
    pw_memory *mem = pw_caller_memory(c);
    if (!mem || !pw_memory_read(mem, p, msg, n))
        return pw_trap_new("portalis.log: bad pointer/length");
    msg[n] = 0;
    diag(m->h, "prim %s: log: %s", m->path, msg);
    return NULL;
}

static const pw_valkind K_I[] = {PW_I32}, K_II[] = {PW_I32, PW_I32}, K_D[] = {PW_F64}, K_F[] = {PW_F32},
                        K_ID[] = {PW_I32, PW_F64}, K_IF[] = {PW_I32, PW_F32},
                        K_IDDD[] = {PW_I32, PW_F64, PW_F64, PW_F64};

static size_t make_imports(hmod *m, pb_import *im) {
    size_t n = 0;
#define IMP(nm, p, np, r, nr, f) im[n++] = (pb_import){"portalis", nm, p, np, r, nr, f, m}
    IMP("attr", K_II, 2, K_I, 1, imp_attr);
    IMP("get_f64", K_I, 1, K_D, 1, imp_get_f64);
    IMP("set_f64", K_ID, 2, NULL, 0, imp_set_f64);
    IMP("get_f32", K_I, 1, K_F, 1, imp_get_f32);
    IMP("set_f32", K_IF, 2, NULL, 0, imp_set_f32);
    IMP("get_vec3", K_II, 2, NULL, 0, imp_get_vec3);
    IMP("set_vec3", K_IDDD, 4, NULL, 0, imp_set_vec3);
    IMP("post_event", K_II, 2, NULL, 0, imp_post_event);
    IMP("log", K_II, 2, NULL, 0, imp_log);
#undef IMP
    return n;
}

/* ---- running a module ------------------------------------------------------------- */

/* double -> integer conversions that saturate (NaN -> 0) instead of being
 * undefined behaviour out of range. */
static int64_t sat_i64(double d) {
    if (!(d == d))
        return 0;
    if (d >= 9223372036854775808.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}
static uint64_t sat_u64(double d) {
    if (!(d > 0))
        return 0;
    return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
}
static int32_t sat_i32(double d) {
    int64_t v = sat_i64(d);
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}
static uint32_t sat_u32(double d) {
    uint64_t v = sat_u64(d);
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint64_t to_slot_kind(pw_valkind k, double d) {
    uint64_t s = 0;
    switch (k) {
    case PW_F64: memcpy(&s, &d, 8); break;
    case PW_F32: {
        float f = (float)d;
        memcpy(&s, &f, 4);
        break;
    }
    case PW_I64: s = (uint64_t)sat_i64(d); break;
    default: s = (uint32_t)sat_i32(d); break;
    }
    return s;
}

static double from_slot_kind(pw_valkind k, uint64_t s) {
    switch (k) {
    case PW_F64: {
        double d;
        memcpy(&d, &s, 8);
        return d;
    }
    case PW_F32: {
        float f;
        memcpy(&f, &s, 4);
        return f;
    }
    case PW_I64: return (double)(int64_t)s;
    default: return (double)(int32_t)(uint32_t)s;
    }
}

/* Makes sure the array buffer of param p holds bytes; allocates through the
 * module's portalis_alloc export. */
static int ensure_buf(hmod *m, param *p, size_t bytes, pb_error *err) {
    if (bytes <= p->mem_cap && p->mem)
        return 0;
    if (!m->has_alloc) {
        snprintf(err->message, sizeof err->message,
                 "module needs array data but exports no 'portalis_alloc(i32) -> i32' (docs/abi.md, bulk arrays)");
        return -1;
    }
    uint64_t slot = (uint32_t)(bytes ? bytes : 8);
    if (pb_func_call_slots(&m->alloc, &slot, err))
        return -1;
    p->mem = (uint32_t)slot;
    p->mem_cap = bytes;
    if (!p->mem) {
        snprintf(err->message, sizeof err->message, "portalis_alloc(%zu) returned 0", bytes);
        return -1;
    }
    return 0;
}

/* One call of a pure binding at time t. */
static int run_pure(hmod *m, double t, double dt, pb_error *err) {
    ph_host *h = m->h;
    uint64_t slots[32];
    size_t array_count = 0;
    for (size_t i = 0; i < m->nparams; i++) {
        param *p = &m->params[i];
        chan *c = p->chan >= 0 ? resolve_chan(h, p->chan) : NULL;
        if (c && c->is_array && !array_count && p->kind == P_ARRAY)
            array_count = c->count;
    }
    for (size_t i = 0; i < m->nparams; i++) {
        param *p = &m->params[i];
        chan *c = p->chan >= 0 ? resolve_chan(h, p->chan) : NULL;
        switch (p->kind) {
        case P_TIME: slots[i] = to_slot_kind(p->vk, t); break;
        case P_DT: slots[i] = to_slot_kind(p->vk, dt); break;
        case P_FRAME: slots[i] = to_slot_kind(p->vk, (double)h->frame); break;
        case P_SCALAR: slots[i] = to_slot_kind(p->vk, chan_data(c)[0]); break;
        case P_COUNT: slots[i] = to_slot_kind(p->vk, (double)c->count); break;
        case P_ARRAY: {
            size_t bytes = chan_width(c) * sizeof(double);
            if (ensure_buf(m, p, bytes, err))
                return -1;
            if (p->copied_version != c->version || !c->version) {
                m->mem = m->mem ? m->mem : pb_module_memory(h->bridge, m->id);
                if (!m->mem || !pw_memory_write(m->mem, p->mem, c->arr, bytes)) {
                    snprintf(err->message, sizeof err->message, "array buffer out of bounds");
                    return -1;
                }
                p->copied_version = c->version;
            }
            slots[i] = p->mem;
            break;
        }
        case P_OUT_ARRAY: {
            size_t bytes = array_count * (size_t)c->ncomp * sizeof(double);
            if (ensure_buf(m, p, bytes, err))
                return -1;
            slots[i] = p->mem;
            break;
        }
        }
    }
    if (pb_func_call_slots(&m->fn, slots, err))
        return -1;
    if (!m->mem) /* the handle stays valid when the memory grows; look it up once */
        m->mem = pb_module_memory(h->bridge, m->id);
    /* array outputs: one copy back */
    for (size_t i = 0; i < m->nparams; i++) {
        param *p = &m->params[i];
        if (p->kind != P_OUT_ARRAY)
            continue;
        chan *c = &h->ch[p->chan];
        size_t n = array_count * (size_t)c->ncomp;
        if (n > c->cap) {
            double *a = realloc(c->arr, n * sizeof *a + 8);
            if (!a)
                return -1;
            c->arr = a;
            c->cap = n;
        }
        if (!m->mem || !pw_memory_read(m->mem, p->mem, c->arr, n * sizeof(double))) {
            snprintf(err->message, sizeof err->message, "array result out of bounds");
            return -1;
        }
        c->count = array_count;
        c->version++;
    }
    for (size_t i = 0; i < m->nresults && i < m->fn.nresults; i++) {
        chan *c = &h->ch[m->results[i]];
        pw_valkind k = m->fn.results[i];
        if (c->ncomp > 1 && k == PW_I32) {
            double v[16];
            uint32_t ptr = (uint32_t)slots[i];
            if (!m->mem || !pw_memory_read(m->mem, ptr, v, (size_t)c->ncomp * sizeof(double))) {
                snprintf(err->message, sizeof err->message, "result pointer %u for %s is out of bounds", ptr,
                         c->attr);
                return -1;
            }
            chan_set(c, v, (size_t)c->ncomp);
        } else {
            double v = from_slot_kind(k, slots[i]);
            chan_set(c, &v, 1);
        }
    }
    return 0;
}

static int run_tick(hmod *m, double t, double dt, pb_error *err) {
    uint64_t slots[2];
    if (m->fn.nparams == 2) {
        slots[0] = to_slot_kind(m->fn.params[0], t);
        slots[1] = to_slot_kind(m->fn.params[1], dt);
    }
    return pb_func_call_slots(&m->fn, slots, err) ? -1 : 0;
}

/* Handles a failed step per the failure policy. Returns EF status. */
static ef_status step_failed(hmod *m, ef_task *task, const pb_error *err) {
    ph_host *h = m->h;
    h->frame_failed = true;
    char msg[800];
    if (err->status == PB_ERR_BUDGET) {
        m->overruns++;
        m->consecutive_overruns++;
        bool disable = h->cfg.max_overruns && m->consecutive_overruns >= h->cfg.max_overruns;
        snprintf(msg, sizeof msg, "prim %s: frame %llu: over budget (%s)%s", m->path, (unsigned long long)h->frame,
                 err->message, disable ? "; disabled after too many consecutive overruns" : "; step skipped");
        if (disable)
            m->state = PH_MOD_OVER_BUDGET;
    } else {
        m->traps++;
        snprintf(msg, sizeof msg, "prim %s: frame %llu: %s; module disabled for the rest of the run", m->path,
                 (unsigned long long)h->frame, err->message);
        m->state = PH_MOD_TRAPPED;
    }
    set_error(m, msg);
    diag(h, "%s", msg);
    return task ? ef_task_fail(task, "%s", msg) : EF_FAILURE;
}

static bool event_pending(hmod *m) {
    ph_host *h = m->h;
    for (size_t i = 0; i < m->nevents; i++)
        for (size_t j = 0; j < h->nevents_now; j++)
            if (!strcmp(m->events[i], h->events_now[j]))
                return true;
    return false;
}

static bool inputs_changed(hmod *m) {
    bool changed = false;
    for (size_t i = 0; i < m->ninputs; i++) {
        chan *c = resolve_chan(m->h, m->inputs[i]);
        if (c->version != m->seen_versions[i])
            changed = true;
    }
    return changed;
}

static void remember_inputs(hmod *m) {
    for (size_t i = 0; i < m->ninputs; i++)
        m->seen_versions[i] = resolve_chan(m->h, m->inputs[i])->version;
}

/* The EF node of a module. */
static ef_status module_exec(ef_task *task, void *user) {
    hmod *m = user;
    ph_host *h = m->h;
    if (m->state != PH_MOD_ACTIVE)
        return EF_SKIP;
    double t = h->t, fdt = 1.0 / h->cfg.fps;
    pb_error err = {0};
    uint64_t t0 = pb_now_ns();
    unsigned nsteps = 0;
    bool ok = true;
    if (m->mode == 0) { /* continuous */
        double rate = m->rate > 0 ? m->rate : h->cfg.fps;
        double step_dt = 1.0 / rate;
        /* due steps: those with index n and n / rate <= t (within 1e-9 s) */
        uint64_t due_end = (uint64_t)floor(t * rate + 1e-6) + 1;
        if (due_end > m->next_step + h->cfg.max_substeps) {
            m->skipped += due_end - m->next_step - h->cfg.max_substeps;
            m->next_step = due_end - h->cfg.max_substeps;
        }
        while (m->next_step < due_end && ok) {
            double st = (double)m->next_step / rate;
            ok = (m->pure ? run_pure(m, st, step_dt, &err) : run_tick(m, st, step_dt, &err)) == 0;
            m->next_step++;
            nsteps++;
        }
        if (!nsteps)
            return EF_SKIP;
    } else {
        bool run;
        if (m->mode == 1)
            run = m->trigger;
        else
            run = !m->ever_ran || inputs_changed(m) || event_pending(m);
        if (!run)
            return EF_SKIP;
        m->trigger = false;
        double dt = m->ever_ran ? t - m->last_run_time : fdt;
        remember_inputs(m);
        ok = (m->pure ? run_pure(m, t, dt, &err) : run_tick(m, t, dt, &err)) == 0;
        nsteps = 1;
    }
    m->ever_ran = true;
    m->last_run_time = t;
    m->runs++;
    m->steps += nsteps;
    pb_histogram_record(&m->lat, pb_now_ns() - t0);
    if (!ok)
        return step_failed(m, task, &err);
    m->consecutive_overruns = 0;
    return EF_SUCCESS;
}

/* ---- scanning the scene ---------------------------------------------------------- */

static int read_tokens(pusd_prim *p, const char *name, char ***out, size_t *n) {
    pusd_value v;
    *out = NULL;
    *n = 0;
    if (pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v) || !v.data)
        return 0;
    char **a = calloc(v.count ? v.count : 1, sizeof *a);
    if (!a)
        return -1;
    for (size_t i = 0; i < v.count; i++) {
        const char *s = pusd_value_get_string(&v, i);
        a[i] = xstrdup(s);
    }
    *out = a;
    *n = v.count;
    return 1;
}

static void free_strs(char **a, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

typedef struct {
    ph_host *h;
    pusd_prim **prims;
    size_t n, cap;
} collect_ctx;

static bool collect(pusd_prim *p, void *u) {
    collect_ctx *c = u;
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 64;
        pusd_prim **q = realloc(c->prims, nc * sizeof *q);
        if (!q)
            return false;
        c->prims = q;
        c->cap = nc;
    }
    c->prims[c->n++] = p;
    return true;
}

static int stage_of_schema(const ph_host *h, const char *type) {
    if (pusd_schema_isa(h->reg, type, "WasmSensor"))
        return EF_STAGE_PRE_SIMULATION;
    if (!strcmp(type, "WasmModule"))
        return EF_STAGE_POST_SIMULATION;
    return EF_STAGE_SIMULATION; /* WasmPhysics, WasmRobotics, WasmFluid, other derived */
}

static void hmod_free(hmod *m) {
    if (!m)
        return;
    free(m->path);
    free(m->schema);
    free(m->wasm_path);
    free(m->entry);
    free(m->mode_name);
    free(m->params);
    free(m->results);
    free(m->inputs);
    free(m->seen_versions);
    free_strs(m->events, m->nevents);
    free(m->last_error);
    free(m);
}

static void load_failed(hmod *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void load_failed(hmod *m, const char *fmt, ...) {
    char buf[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    m->state = PH_MOD_LOAD_FAILED;
    char msg[1100];
    snprintf(msg, sizeof msg, "prim %s: %s; module not loaded (the other modules keep running)", m->path, buf);
    set_error(m, msg);
    diag(m->h, "%s", msg);
}

/* Declares channels for every inputs:* / outputs:* attribute of the prim. */
static int declare_channels(ph_host *h, hmod *m, pusd_prim *p) {
    size_t np = pusd_prim_property_count(p);
    for (size_t i = 0; i < np; i++) {
        const char *name = pusd_prim_property_name(p, i);
        bool in = !strncmp(name, "inputs:", 7), out = !strncmp(name, "outputs:", 8);
        if ((!in && !out) || pusd_prim_is_relationship(p, name))
            continue;
        const char *tn = pusd_prim_attr_type_name(p, name);
        int c = add_chan(h, m->path, name, tn);
        if (c < 0) {
            load_failed(m, "attribute '%s' has type '%s', which the ABI cannot pass (numeric scalars, vectors and "
                           "arrays of them only)", name, tn ? tn : "?");
            return -1;
        }
        chan *ch = &h->ch[c];
        ch->is_output = out;
        ch->record = out;
        chan_read_stage(h, ch, PUSD_TIME_DEFAULT);
        const double *times;
        if (in && pusd_prim_attr_sample_times(p, name, &times) > 0)
            ch->animated = true;
        if (in) {
            int *q = realloc(m->inputs, (m->ninputs + 1) * sizeof *q);
            if (!q)
                return -1;
            m->inputs = q;
            m->inputs[m->ninputs++] = c;
        }
    }
    m->seen_versions = calloc(m->ninputs ? m->ninputs : 1, sizeof *m->seen_versions);
    return m->seen_versions ? 0 : -1;
}

static pw_valkind vk_or(const pb_func *f, size_t i) { return i < f->nparams ? f->params[i] : PW_F64; }

static int bind_pure(ph_host *h, hmod *m, pusd_prim *p) {
    char **ps = NULL, **rs = NULL;
    size_t nps = 0, nrs = 0;
    read_tokens(p, "wasm:params", &ps, &nps);
    read_tokens(p, "wasm:results", &rs, &nrs);
    int rc = 0;
    if (nps != m->fn.nparams) {
        load_failed(m, "wasm:params lists %zu attributes but '%s' takes %u parameters", nps, m->entry, m->fn.nparams);
        rc = -1;
        goto out;
    }
    if (nrs != m->fn.nresults) {
        load_failed(m, "wasm:results lists %zu attributes but '%s' returns %u results", nrs, m->entry,
                    m->fn.nresults);
        rc = -1;
        goto out;
    }
    m->params = calloc(nps ? nps : 1, sizeof *m->params);
    m->results = calloc(nrs ? nrs : 1, sizeof *m->results);
    m->nparams = nps;
    m->nresults = nrs;
    for (size_t i = 0; i < nps && !rc; i++) {
        param *q = &m->params[i];
        const char *s = ps[i];
        q->vk = vk_or(&m->fn, i);
        q->chan = -1;
        if (!strcmp(s, "time"))
            q->kind = P_TIME;
        else if (!strcmp(s, "dt"))
            q->kind = P_DT;
        else if (!strcmp(s, "frame"))
            q->kind = P_FRAME;
        else {
            bool count = !strncmp(s, "count:", 6);
            const char *an = count ? s + 6 : s;
            q->chan = find_chan(h, m->path, an);
            if (q->chan < 0) {
                load_failed(m, "wasm:params[%zu] = '%s': the prim has no attribute '%s' (declare it as inputs:* or "
                               "outputs:*, or use time/dt/frame)", i, s, an);
                rc = -1;
                break;
            }
            chan *c = &h->ch[q->chan];
            if (count)
                q->kind = P_COUNT;
            else if (c->is_array)
                q->kind = c->is_output ? P_OUT_ARRAY : P_ARRAY;
            else
                q->kind = P_SCALAR;
            if ((q->kind == P_ARRAY || q->kind == P_OUT_ARRAY) && q->vk != PW_I32) {
                load_failed(m, "wasm:params[%zu] = '%s' is an array: parameter %zu of '%s' must be i32 (a pointer), "
                               "not %s", i, s, i + 1, m->entry, pw_valkind_name(q->vk));
                rc = -1;
            }
        }
    }
    for (size_t i = 0; i < nrs && !rc; i++) {
        int c = find_chan(h, m->path, rs[i]);
        if (c < 0 || !h->ch[c].is_output || h->ch[c].is_array) {
            load_failed(m, "wasm:results[%zu] = '%s' must name a scalar or vector outputs:* attribute of the prim",
                        i, rs[i]);
            rc = -1;
            break;
        }
        if (h->ch[c].ncomp > 1 && m->fn.results[i] != PW_I32) {
            load_failed(m, "wasm:results[%zu] = '%s' is a %s: '%s' must return an i32 pointer to %d f64 values",
                        i, rs[i], h->ch[c].type_name, m->entry, h->ch[c].ncomp);
            rc = -1;
            break;
        }
        m->results[i] = c;
    }
out:
    free_strs(ps, nps);
    free_strs(rs, nrs);
    return rc;
}

/* An absolute, normalised form of path for messages and module info: the
 * real path when it exists, else the real path of its directory + its name,
 * else cwd + path. Never NULL (falls back to a copy). */
static char *abs_path(const char *path) {
    char buf[PATH_MAX], dir[PATH_MAX];
    if (!path || !*path)
        return xstrdup(path);
    if (realpath(path, buf))
        return xstrdup(buf);
    const char *slash = strrchr(path, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
        if (realpath(dir, buf)) {
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, "%s%s", buf[n - 1] == '/' ? "" : "/", slash + 1);
            return xstrdup(buf);
        }
    }
    if (path[0] != '/' && getcwd(dir, sizeof dir)) {
        size_t n = strlen(dir);
        snprintf(dir + n, sizeof dir - n, "/%s", path[0] == '.' && path[1] == '/' ? path + 2 : path);
        return xstrdup(dir);
    }
    return xstrdup(path);
}

static hmod *scan_module(ph_host *h, pusd_prim *p) {
    hmod *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->h = h;
    m->path = xstrdup(pusd_prim_path(p));
    m->schema = xstrdup(pusd_prim_type_name(p));
    pusd_wasm_module wm;
    pusd_error ue = {0};
    if (pusd_wasm_module_read(p, h->reg, &wm, &ue)) {
        char buf[700];
        pusd_error_format(&ue, buf, sizeof buf);
        m->wasm_path = xstrdup("");
        m->entry = xstrdup("");
        m->mode_name = xstrdup("?");
        load_failed(m, "%s", buf);
        return m;
    }
    m->wasm_path = abs_path(wm.wasm_path_resolved ? wm.wasm_path_resolved : wm.wasm_path);
    m->entry = xstrdup(wm.entry_function);
    m->mode_name = xstrdup(wm.execution_mode);
    m->mode = !strcmp(wm.execution_mode, "on_demand") ? 1 : !strcmp(wm.execution_mode, "event_driven") ? 2 : 0;
    m->rate = wm.update_rate;
    m->stage = stage_of_schema(h, m->schema);
    read_tokens(p, "wasm:events", &m->events, &m->nevents);
    pusd_value pv;
    m->pure = pusd_prim_get_attr(p, "wasm:params", PUSD_TIME_DEFAULT, &pv) == 0;
    if (declare_channels(h, m, p))
        return m;
    if (!wm.enabled) {
        m->state = PH_MOD_DISABLED_BY_SCENE;
        return m;
    }
    if (!wm.wasm_path || !*wm.wasm_path) {
        load_failed(m, "wasm:path is not authored");
        return m;
    }
    struct stat sb;
    if (stat(m->wasm_path, &sb)) {
        load_failed(m, "module file not found: wasm:path = @%s@ resolves to '%s' (%s)", wm.wasm_path, m->wasm_path,
                    strerror(errno));
        return m;
    }
    pb_import im[16];
    size_t nim = make_imports(m, im);
    pb_load_options lo = {.name = m->path, .imports = im, .nimports = nim, .run_initialize = true};
    pb_error err = {0};
    uint64_t t0 = pb_now_ns();
    if (pb_load_module_file(h->bridge, m->wasm_path, &lo, &m->id, &err)) {
        load_failed(m, "cannot load '%s': %s", m->wasm_path, err.message);
        return m;
    }
    m->load_ns = pb_now_ns() - t0;
    m->mem = pb_module_memory(h->bridge, m->id);
    if (pb_func_lookup(h->bridge, m->id, m->entry, &m->fn, &err)) {
        load_failed(m, "wasm:entryFunction: %s", err.message);
        return m;
    }
    m->has_alloc = pb_func_lookup(h->bridge, m->id, "portalis_alloc", &m->alloc, NULL) == 0 &&
                   m->alloc.nparams == 1 && m->alloc.nresults == 1 && m->alloc.params[0] == PW_I32;
    if (m->pure) {
        bind_pure(h, m, p);
    } else {
        bool ok = (m->fn.nparams == 0 ||
                   (m->fn.nparams == 2 && m->fn.params[0] == m->fn.params[1] &&
                    (m->fn.params[0] == PW_F64 || m->fn.params[0] == PW_F32))) &&
                  m->fn.nresults == 0;
        if (!ok)
            load_failed(m, "tick entry function '%s' must have type (f64 time, f64 dt) -> () or () -> () (or declare "
                           "wasm:params for a pure binding)", m->entry);
    }
    return m;
}

/* Connections: consumer attributes (.connect) pointing at module outputs. */
static void scan_connections(ph_host *h, pusd_prim **prims, size_t n) {
    for (size_t i = 0; i < n; i++) {
        pusd_prim *p = prims[i];
        const char *path = pusd_prim_path(p);
        size_t np = pusd_prim_property_count(p);
        for (size_t k = 0; k < np; k++) {
            const char *name = pusd_prim_property_name(p, k);
            if (pusd_prim_is_relationship(p, name))
                continue;
            const char **tg;
            size_t nt = pusd_prim_targets(p, name, true, &tg);
            if (!nt)
                continue;
            char src_prim[512];
            const char *dot = strrchr(tg[0], '.');
            if (!dot || (size_t)(dot - tg[0]) >= sizeof src_prim) {
                diag(h, "prim %s: %s.connect = <%s> does not name an attribute", path, name, tg[0]);
                continue;
            }
            memcpy(src_prim, tg[0], (size_t)(dot - tg[0]));
            src_prim[dot - tg[0]] = 0;
            int src = find_chan(h, src_prim, dot + 1);
            if (src < 0)
                continue; /* not a module channel: ordinary USD connection */
            int dst = find_chan(h, path, name);
            if (dst < 0) {
                const char *tn = pusd_prim_attr_type_name(p, name);
                dst = add_chan(h, path, name, tn ? tn : "");
                if (dst < 0) {
                    diag(h, "prim %s: %s (type %s) cannot receive %s", path, name, tn ? tn : "?", tg[0]);
                    continue;
                }
                h->ch[dst].is_target = true;
                h->ch[dst].record = true;
            }
            if (h->ch[dst].ncomp != h->ch[src].ncomp || h->ch[dst].is_array != h->ch[src].is_array) {
                diag(h, "prim %s: %s (%s) is connected to %s (%s): types do not match; connection ignored", path,
                     name, h->ch[dst].type_name, tg[0], h->ch[src].type_name);
                continue;
            }
            if (h->ch[dst].is_output) {
                diag(h, "prim %s: %s is an output and cannot be connected; connection ignored", path, name);
                continue;
            }
            h->ch[dst].src = src;
        }
    }
}

static hmod *mod_of_prim(ph_host *h, const char *prim) {
    for (size_t i = 0; i < h->nmods; i++)
        if (!strcmp(h->mods[i]->path, prim))
            return h->mods[i];
    return NULL;
}

/* Order keys: a consumer in the same stage runs after each producer. */
static void compute_order(ph_host *h) {
    for (size_t i = 0; i < h->nmods; i++)
        h->mods[i]->order_key = 0;
    bool changed = true;
    for (size_t iter = 0; changed && iter <= h->nmods; iter++) {
        changed = false;
        for (size_t c = 0; c < h->nch; c++) {
            chan *ch = &h->ch[c];
            if (ch->src < 0)
                continue;
            hmod *cons = mod_of_prim(h, ch->prim), *prod = mod_of_prim(h, h->ch[ch->src].prim);
            if (!cons || !prod || cons == prod || cons->stage != prod->stage)
                continue;
            if (cons->order_key <= prod->order_key) {
                cons->order_key = prod->order_key + 1;
                changed = true;
            }
        }
    }
    if (changed)
        diag(h, "scene: the module connections form a cycle; modules in the cycle see some inputs one frame late");
}

static int build_graph(ph_host *h) {
    ef_executor_desc desc = {0};
    desc.scheduler = h->cfg.threads > 1 ? EF_SCHED_PARALLEL : EF_SCHED_SERIAL;
    h->graph = ef_graph_create("portalis.host", &desc);
    if (!h->graph)
        return -1;
    h->sim = ef_sim_pipeline_create(h->graph, &desc);
    h->passes = ef_registry_create();
    h->pp = h->passes ? ef_pass_pipeline_create(h->passes) : NULL;
    if (!h->sim || !h->pp)
        return -1;
    for (size_t i = 0; i < h->nmods; i++) {
        hmod *m = h->mods[i];
        if (m->state != PH_MOD_ACTIVE)
            continue;
        ef_def *d = ef_def_opaque(m->path, module_exec, m, EF_HINT_PARALLEL);
        if (!d)
            return -1;
        int r = ef_sim_register(h->sim, m->stage, m->path, d, m->order_key);
        ef_def_release(d);
        if (r)
            return -1;
    }
    if (ef_pass_pipeline_run(h->pp, h->graph) < 0)
        return -1;
    if (h->cfg.threads > 1)
        h->pool = ef_pool_create(h->cfg.threads - 1);
    h->ctx = ef_context_create(h->graph, h->pool);
    if (!h->ctx)
        return -1;
    ef_context_set_frame_dt(h->ctx, 1.0 / h->cfg.fps);
    return 0;
}

static void teardown(ph_host *h) {
    if (h->ctx)
        ef_context_free(h->ctx);
    if (h->pool)
        ef_pool_free(h->pool);
    if (h->sim)
        ef_sim_pipeline_free(h->sim);
    if (h->pp)
        ef_pass_pipeline_free(h->pp);
    if (h->passes)
        ef_registry_free(h->passes);
    if (h->graph)
        ef_graph_free(h->graph);
    h->ctx = NULL;
    h->pool = NULL;
    h->sim = NULL;
    h->pp = NULL;
    h->passes = NULL;
    h->graph = NULL;
    for (size_t i = 0; i < h->nmods; i++)
        hmod_free(h->mods[i]);
    free(h->mods);
    h->mods = NULL;
    h->nmods = 0;
    if (h->bridge)
        pb_bridge_free(h->bridge);
    h->bridge = NULL;
    if (h->stage)
        pusd_stage_free(h->stage);
    h->stage = NULL;
}

static void free_chans(ph_host *h) {
    for (size_t i = 0; i < h->nch; i++) {
        free(h->ch[i].prim);
        free(h->ch[i].attr);
        free(h->ch[i].arr);
        free(h->ch[i].rec.data);
        free(h->ch[i].rec.chunks);
    }
    free(h->ch);
    h->ch = NULL;
    h->nch = h->capch = 0;
}

static int scan(ph_host *h, char *err, size_t errcap) {
    uint64_t t0 = pb_now_ns();
    pusd_error ue = {0};
    if (pusd_stage_open(h->scene_path, &h->stage, &ue)) {
        char buf[700];
        pusd_error_format(&ue, buf, sizeof buf);
        snprintf(err, errcap, "%s", buf);
        return -1;
    }
    struct stat sb;
    if (!stat(h->scene_path, &sb))
        h->scene_mtime = sb.st_mtim;
    h->scene_ns = pb_now_ns() - t0;
    for (size_t i = 0; i < pusd_stage_diagnostic_count(h->stage); i++) {
        char buf[700];
        pusd_error_format(pusd_stage_diagnostic(h->stage, i), buf, sizeof buf);
        diag(h, "scene: %s", buf);
    }
    pb_config bc = pb_config_default();
    bc.max_memory_mb = h->cfg.max_memory_mb;
    bc.call_deadline_ns = h->cfg.call_budget_ns;
    bc.call_fuel = h->cfg.call_fuel;
    h->bridge = pb_bridge_new(&bc);
    if (!h->bridge) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    collect_ctx cc = {h, NULL, 0, 0};
    pusd_stage_traverse(h->stage, NULL, collect, &cc);
    for (size_t i = 0; i < cc.n; i++) {
        const char *tn = pusd_prim_type_name(cc.prims[i]);
        if (!tn || !*tn || !pusd_schema_isa(h->reg, tn, "WasmModule"))
            continue;
        hmod *m = scan_module(h, cc.prims[i]);
        hmod **q = m ? realloc(h->mods, (h->nmods + 1) * sizeof *q) : NULL;
        if (!q) {
            hmod_free(m);
            free(cc.prims);
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        h->mods = q;
        h->mods[h->nmods++] = m;
    }
    scan_connections(h, cc.prims, cc.n);
    free(cc.prims);
    compute_order(h);
    if (build_graph(h)) {
        snprintf(err, errcap, "cannot build the execution graph (out of memory)");
        return -1;
    }
    h->load_ns = pb_now_ns() - t0;
    return 0;
}

int ph_host_open(const char *scene_path, const ph_config *cfg, ph_host **out, char *err, size_t errcap) {
    *out = NULL;
    ph_host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    h->cfg = cfg ? *cfg : ph_config_default();
    if (!(h->cfg.fps > 0))
        h->cfg.fps = 60;
    if (!h->cfg.threads)
        h->cfg.threads = 1;
    if (!h->cfg.record_memory_bytes)
        h->cfg.record_memory_bytes = REC_MEMORY_BUDGET;
    pthread_mutex_init(&h->lock, NULL);
    h->spill_fd = -1;
    h->scene_path = xstrdup(scene_path);
    h->reg = pusd_schema_registry_new();
    if (!h->reg || scan(h, err, errcap)) {
        ph_host_free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void ph_host_free(ph_host *h) {
    if (!h)
        return;
    teardown(h);
    free_chans(h);
    if (h->reg)
        pusd_schema_registry_free(h->reg);
    for (size_t i = 0; i < h->ndiag; i++)
        free(h->diag[i]);
    free(h->diag);
    free_strs(h->events_now, h->nevents_now);
    free_strs(h->events_next, h->nevents_next);
    pthread_mutex_destroy(&h->lock);
    if (h->spill_fd >= 0)
        close(h->spill_fd);
    free(h->scene_path);
    free(h);
}

/* ---- frames ------------------------------------------------------------------------- */

static size_t elem_size(pusd_elem e) {
    switch (e) {
    case PUSD_E_U8: return 1;
    case PUSD_E_HALF: return 2;
    case PUSD_E_I32: case PUSD_E_U32: case PUSD_E_FLOAT: return 4;
    default: return 8;
    }
}

/* Converts n doubles to the recorded element type (what the attribute
 * stores; the output file holds the same values). */
static void rec_convert(const recbuf *r, void *dst, const double *src, size_t n) {
    switch (r->elem) {
    case PUSD_E_FLOAT:
        for (size_t k = 0; k < n; k++)
            ((float *)dst)[k] = (float)src[k];
        break;
    case PUSD_E_HALF:
        for (size_t k = 0; k < n; k++)
            ((uint16_t *)dst)[k] = pusd_float_to_half((float)src[k]);
        break;
    case PUSD_E_I32:
        for (size_t k = 0; k < n; k++)
            ((int32_t *)dst)[k] = sat_i32(src[k]);
        break;
    case PUSD_E_U32:
        for (size_t k = 0; k < n; k++)
            ((uint32_t *)dst)[k] = sat_u32(src[k]);
        break;
    case PUSD_E_U8:
        for (size_t k = 0; k < n; k++)
            ((uint8_t *)dst)[k] = r->type == PUSD_T_BOOL ? src[k] != 0 : (uint8_t)(sat_u32(src[k]) > 255 ? 255 : sat_u32(src[k]));
        break;
    case PUSD_E_I64:
        for (size_t k = 0; k < n; k++)
            ((int64_t *)dst)[k] = sat_i64(src[k]);
        break;
    case PUSD_E_U64:
        for (size_t k = 0; k < n; k++)
            ((uint64_t *)dst)[k] = sat_u64(src[k]);
        break;
    default: memcpy(dst, src, n * sizeof(double)); break;
    }
}

static void rec_init(recbuf *r, const chan *c) {
    char base[40];
    snprintf(base, sizeof base, "%s", c->type_name);
    size_t n = strlen(base);
    if (c->is_array && n > 2)
        base[n - 2] = 0;
    r->type = pusd_type_from_name(base);
    r->elem = pusd_type_elem(r->type);
    r->esz = elem_size(r->elem);
}

/* Appends the oldest n in-memory frames of r to the spill file; on failure
 * they stay in memory (the buffer keeps growing). Returns 0 or -1. */
static int rec_spill(ph_host *h, recbuf *r, size_t n) {
    if (h->spill_failed)
        return -1;
    if (h->spill_fd < 0) {
        FILE *t = tmpfile();
        h->spill_fd = t ? dup(fileno(t)) : -1;
        if (t)
            fclose(t);
        if (h->spill_fd < 0) {
            h->spill_failed = true;
            diag(h, "host: cannot create a temporary file for recorded samples (%s); keeping them in memory",
                 strerror(errno));
            return -1;
        }
    }
    if (r->nchunks == r->capchunks) {
        size_t nc = r->capchunks ? 2 * r->capchunks : 16;
        recchunk *c = realloc(r->chunks, nc * sizeof *c);
        if (!c)
            return -1;
        r->chunks = c;
        r->capchunks = nc;
    }
    size_t fsz = r->width * r->esz;
    const char *src = (const char *)r->data + r->head * fsz;
    size_t bytes = n * fsz, done = 0;
    while (done < bytes) {
        ssize_t k = pwrite(h->spill_fd, src + done, bytes - done, h->spill_end + (off_t)done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            h->spill_failed = true;
            diag(h, "host: cannot write recorded samples to the temporary file (%s); keeping them in memory",
                 strerror(errno));
            return -1;
        }
        done += (size_t)k;
    }
    r->chunks[r->nchunks++] = (recchunk){h->spill_end, n};
    h->spill_end += (off_t)bytes;
    r->spilled += n;
    r->head += n;
    if (r->spilled == r->frames)
        r->head = 0; /* drained: reuse the buffer from its start */
    return 0;
}

static void record_frame(ph_host *h) {
    size_t inmem_bytes = 0;
    for (size_t i = 0; i < h->nch; i++) {
        chan *c = &h->ch[i];
        if (!c->record)
            continue;
        recbuf *r = &c->rec;
        chan *s = resolve_chan(h, (int)i);
        size_t w = chan_width(s);
        if (!r->esz)
            rec_init(r, c);
        if (r->frames == 0)
            r->width = w;
        if (w != r->width)
            continue; /* array size changed mid-run: keep the first size */
        if (r->head + (r->frames - r->spilled) == r->cap) {
            /* grow by half: large blocks are mremap'ed by realloc, so this
             * neither copies nor touches the new pages before they are used */
            size_t nc = r->cap ? r->cap + r->cap / 2 : 64;
            void *p = realloc(r->data, nc * (w ? w : 1) * r->esz);
            if (!p)
                continue;
            r->data = p;
            r->cap = nc;
        }
        size_t inmem = r->frames - r->spilled;
        rec_convert(r, (char *)r->data + (r->head + inmem) * w * r->esz, chan_data(s), w);
        r->frames++;
        inmem_bytes += (inmem + 1) * w * r->esz;
    }
    h->rec_frames++;
    if (!h->spilling && inmem_bytes >= h->cfg.record_memory_bytes)
        h->spilling = true;
    if (!h->spilling || h->spill_failed)
        return;
    for (size_t i = 0; i < h->nch; i++) {
        recbuf *r = &h->ch[i].rec;
        size_t fsz = r->width * r->esz;
        if (!fsz)
            continue;
        size_t chunk = REC_CHUNK_BYTES / fsz ? REC_CHUNK_BYTES / fsz : 1; /* frames */
        for (int k = 0; k < 2 && r->frames - r->spilled >= chunk; k++)
            if (rec_spill(h, r, chunk))
                return;
    }
}

int ph_host_step(ph_host *h) {
    uint64_t t0 = pb_now_ns();
    h->t = (double)h->frame / h->cfg.fps;
    h->frame_failed = false;
    /* events posted before this frame are delivered now */
    pthread_mutex_lock(&h->lock);
    free_strs(h->events_now, h->nevents_now);
    h->events_now = h->events_next;
    h->nevents_now = h->nevents_next;
    h->events_next = NULL;
    h->nevents_next = 0;
    pthread_mutex_unlock(&h->lock);
    /* animated unconnected inputs */
    for (size_t i = 0; i < h->nch; i++)
        if (h->ch[i].animated && h->ch[i].src < 0)
            chan_read_stage(h, &h->ch[i], (double)h->frame);
    ef_context_execute(h->ctx);
    if (h->cfg.record)
        record_frame(h);
    h->frame++;
    uint64_t dtn = pb_now_ns() - t0;
    pb_histogram_record(&h->frame_lat, dtn);
    h->wall_s += (double)dtn * 1e-9;
    return h->frame_failed ? 1 : 0;
}

int ph_host_run(ph_host *h, uint64_t frames, ph_progress_fn progress, void *user) {
    int rc = 0;
    uint64_t start = pb_now_ns();
    for (uint64_t i = 0; i < frames; i++) {
        if (h->cfg.realtime) {
            uint64_t due = start + (uint64_t)((double)i * 1e9 / h->cfg.fps);
            uint64_t now = pb_now_ns();
            if (due > now) {
                struct timespec ts = {(time_t)((due - now) / 1000000000u), (long)((due - now) % 1000000000u)};
                nanosleep(&ts, NULL);
            }
            /* live editing: pick up scene changes about once a second */
            if (i && i % (uint64_t)(h->cfg.fps > 1 ? h->cfg.fps : 1) == 0) {
                char e[256];
                ph_host_rescan(h, false, e, sizeof e);
            }
        }
        rc |= ph_host_step(h);
        if (progress)
            progress(i + 1, frames, user);
    }
    return rc;
}

uint64_t ph_host_frame(const ph_host *h) { return h->frame; }
double ph_host_time(const ph_host *h) { return (double)h->frame / h->cfg.fps; }

int ph_host_trigger(ph_host *h, const char *prim_path) {
    hmod *m = mod_of_prim(h, prim_path);
    if (!m)
        return -1;
    m->trigger = true;
    return 0;
}

int ph_host_post_event(ph_host *h, const char *name) {
    pthread_mutex_lock(&h->lock);
    char **p = realloc(h->events_next, (h->nevents_next + 1) * sizeof *p);
    int rc = -1;
    if (p) {
        h->events_next = p;
        h->events_next[h->nevents_next++] = xstrdup(name);
        rc = 0;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int ph_host_rescan(ph_host *h, bool force, char *err, size_t errcap) {
    struct stat sb;
    if (!force) {
        if (stat(h->scene_path, &sb))
            return 0;
        if (sb.st_mtim.tv_sec == h->scene_mtime.tv_sec && sb.st_mtim.tv_nsec == h->scene_mtime.tv_nsec)
            return 0;
    }
    /* check that the new scene parses before dropping the running one */
    pusd_stage *probe = NULL;
    pusd_error ue = {0};
    if (pusd_stage_open(h->scene_path, &probe, &ue)) {
        char buf[700];
        pusd_error_format(&ue, buf, sizeof buf);
        snprintf(err, errcap, "%s", buf);
        diag(h, "scene: rescan failed, keeping the previous scene: %s", buf);
        if (!stat(h->scene_path, &sb))
            h->scene_mtime = sb.st_mtim;
        return -1;
    }
    pusd_stage_free(probe);
    /* keep recorded samples of channels that still exist */
    chan *old = h->ch;
    size_t nold = h->nch;
    h->ch = NULL;
    h->nch = h->capch = 0;
    teardown(h);
    int rc = scan(h, err, errcap);
    for (size_t i = 0; i < nold; i++) {
        int j = rc ? -1 : find_chan(h, old[i].prim, old[i].attr);
        if (j >= 0 && old[i].rec.frames && !strcmp(h->ch[j].type_name, old[i].type_name)) {
            chan *c = &h->ch[j];
            free(c->rec.data);
            free(c->rec.chunks);
            c->rec = old[i].rec;
            c->record = true;
            old[i].rec.data = NULL;
            old[i].rec.chunks = NULL;
        }
        free(old[i].prim);
        free(old[i].attr);
        free(old[i].arr);
        free(old[i].rec.data);
        free(old[i].rec.chunks);
    }
    free(old);
    if (rc)
        return -1;
    diag(h, "scene: %s changed on disk; rescanned at frame %llu", h->scene_path, (unsigned long long)h->frame);
    return 1;
}

/* ---- output layer -------------------------------------------------------------------- */

static void rel_path(const char *from_file, const char *to_file, char *out, size_t cap) {
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(to_file, b)) {
        snprintf(out, cap, "%s", to_file);
        return;
    }
    /* directory of from_file (which may not exist yet) */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", from_file);
    char *sl = strrchr(dir, '/');
    if (sl)
        *sl = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, a)) {
        snprintf(out, cap, "%s", b);
        return;
    }
    /* common prefix by components */
    size_t i = 0, last = 0;
    while (a[i] && b[i] && a[i] == b[i]) {
        if (a[i] == '/')
            last = i;
        i++;
    }
    if (!a[i] && b[i] == '/')
        last = i;
    size_t o = 0;
    out[0] = 0;
    for (const char *p = a + last; *p; p++)
        if (*p == '/' && o + 4 < cap)
            o += (size_t)snprintf(out + o, cap - o, "../");
    if (o == 0)
        o += (size_t)snprintf(out, cap, "./");
    snprintf(out + o, cap - o, "%s", b + last + 1);
}

/* The output layer is streamed: its header (metadata, sublayer) is written
 * by the usd layer, the `over` specs and their time samples are written
 * here straight from the recorded buffers, in the usd writer's canonical
 * layout (4-space indent, properties before children, one sample per line),
 * so the file reads back as the same layer without ever holding the layer
 * or its text in memory. */

typedef struct onode {
    const char *name; /* points into a channel's prim path */
    size_t namelen;
    int parent, first_child, last_child, next;
    int first_chan;   /* recorded channels of this prim, in channel order */
} onode;

typedef struct owriter {
    FILE *f;
    const ph_host *h;
    onode *n;
    size_t nn, capn;
    int *chan_next;   /* per channel: next recorded channel of the same prim */
    void *buf;        /* a spilled chunk read back */
    size_t bufcap;
} owriter;

/* Child `name` of node parent (node 0 is the pseudo root), created if needed. */
static int onode_child(owriter *w, int parent, const char *name, size_t len) {
    for (int c = w->n[parent].first_child; c >= 0; c = w->n[c].next)
        if (w->n[c].namelen == len && !memcmp(w->n[c].name, name, len))
            return c;
    if (w->nn == w->capn) {
        size_t nc = w->capn ? 2 * w->capn : 16;
        onode *p = realloc(w->n, nc * sizeof *p);
        if (!p)
            return -1;
        w->n = p;
        w->capn = nc;
    }
    int i = (int)w->nn++;
    w->n[i] = (onode){name, len, parent, -1, -1, -1, -1};
    if (w->n[parent].last_child >= 0)
        w->n[w->n[parent].last_child].next = i;
    else
        w->n[parent].first_child = i;
    w->n[parent].last_child = i;
    return i;
}

static void out_indent(FILE *f, int indent) {
    for (int i = 0; i < indent; i++)
        fputs("    ", f);
}

static void out_elem(FILE *f, const recbuf *r, const void *data, size_t k) {
    char t[48];
    int n;
    switch (r->elem) {
    case PUSD_E_U8: n = snprintf(t, sizeof t, "%u", ((const uint8_t *)data)[k]); break;
    case PUSD_E_I32: n = snprintf(t, sizeof t, "%d", ((const int32_t *)data)[k]); break;
    case PUSD_E_U32: n = snprintf(t, sizeof t, "%u", ((const uint32_t *)data)[k]); break;
    case PUSD_E_I64: n = snprintf(t, sizeof t, "%lld", (long long)((const int64_t *)data)[k]); break;
    case PUSD_E_U64: n = snprintf(t, sizeof t, "%llu", (unsigned long long)((const uint64_t *)data)[k]); break;
    case PUSD_E_HALF: n = pusd_format_half(((const uint16_t *)data)[k], t); break;
    case PUSD_E_FLOAT: n = pusd_format_float(((const float *)data)[k], t); break;
    default: n = pusd_format_double(((const double *)data)[k], t); break;
    }
    fwrite(t, 1, (size_t)n, f);
}

/* One element (scalar, tuple or matrix) starting at element index base. */
static void out_one(FILE *f, const recbuf *r, int ncomp, const void *data, size_t base) {
    if (ncomp == 1) {
        out_elem(f, r, data, base);
        return;
    }
    if (r->type == PUSD_T_MATRIX2D || r->type == PUSD_T_MATRIX3D || r->type == PUSD_T_MATRIX4D ||
        r->type == PUSD_T_FRAME4D) {
        int dim = ncomp == 4 ? 2 : ncomp == 9 ? 3 : 4;
        fputs("( ", f);
        for (int row = 0; row < dim; row++) {
            fputs(row ? ", (" : "(", f);
            for (int col = 0; col < dim; col++) {
                if (col)
                    fputs(", ", f);
                out_elem(f, r, data, base + (size_t)(row * dim + col));
            }
            fputc(')', f);
        }
        fputs(" )", f);
        return;
    }
    fputc('(', f);
    for (int k = 0; k < ncomp; k++) {
        if (k)
            fputs(", ", f);
        out_elem(f, r, data, base + (size_t)k);
    }
    fputc(')', f);
}

static void out_frame(FILE *f, const chan *c, size_t fr, const void *data, int indent) {
    const recbuf *r = &c->rec;
    char t[48];
    pusd_format_double((double)fr, t);
    out_indent(f, indent);
    fputs(t, f);
    fputs(": ", f);
    if (c->is_array) {
        size_t n = c->ncomp ? r->width / (size_t)c->ncomp : 0;
        fputc('[', f);
        for (size_t e = 0; e < n; e++) {
            if (e)
                fputs(", ", f);
            out_one(f, r, c->ncomp, data, e * (size_t)c->ncomp);
        }
        fputc(']', f);
    } else if (r->type == PUSD_T_BOOL) {
        fputs(((const uint8_t *)data)[0] ? "true" : "false", f);
    } else {
        out_one(f, r, c->ncomp, data, 0);
    }
    fputs(",\n", f);
}

/* The channel's time samples: the spilled chunks (read back one at a time
 * into buf), then the frames still in memory. */
static int out_samples(owriter *w, const chan *c, int indent) {
    FILE *f = w->f;
    const recbuf *r = &c->rec;
    size_t fsz = r->width * r->esz;
    out_indent(f, indent);
    fprintf(f, "%s %s.timeSamples = {\n", c->type_name, c->attr);
    size_t fr = 0;
    for (size_t k = 0; k < r->nchunks; k++) {
        size_t bytes = r->chunks[k].frames * fsz;
        if (bytes > w->bufcap) {
            void *p = realloc(w->buf, bytes);
            if (!p)
                return ENOMEM;
            w->buf = p;
            w->bufcap = bytes;
        }
        size_t done = 0;
        while (done < bytes) {
            ssize_t n = pread(w->h->spill_fd, (char *)w->buf + done, bytes - done, r->chunks[k].off + (off_t)done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? errno : EIO;
            done += (size_t)n;
        }
        for (size_t i = 0; i < r->chunks[k].frames; i++, fr++)
            out_frame(f, c, fr, (const char *)w->buf + i * fsz, indent + 1);
    }
    for (size_t i = r->head; fr < r->frames; i++, fr++)
        out_frame(f, c, fr, (const char *)r->data + i * fsz, indent + 1);
    out_indent(f, indent);
    fputs("}\n", f);
    return 0;
}

static int out_prim(owriter *w, int i, int indent) {
    FILE *f = w->f;
    int e = 0;
    const onode *n = &w->n[i];
    out_indent(f, indent);
    fprintf(f, "over \"%.*s\"\n", (int)n->namelen, n->name);
    out_indent(f, indent);
    fputs("{\n", f);
    bool any = false;
    for (int c = n->first_chan; c >= 0 && !e; c = w->chan_next[c]) {
        e = out_samples(w, &w->h->ch[c], indent + 1);
        any = true;
    }
    for (int c = n->first_child; c >= 0 && !e; c = w->n[c].next) {
        if (any)
            fputc('\n', f);
        e = out_prim(w, c, indent + 1);
        any = true;
    }
    out_indent(f, indent);
    fputs("}\n", f);
    return e;
}

/* Builds the prim tree of the recorded channels (prims and properties in
 * first-recorded order, as the usd layer would have kept them). */
static int out_tree(owriter *w) {
    const ph_host *h = w->h;
    w->chan_next = malloc((h->nch ? h->nch : 1) * sizeof *w->chan_next);
    w->n = malloc(16 * sizeof *w->n);
    if (!w->chan_next || !w->n)
        return -1;
    w->capn = 16;
    w->nn = 1;
    w->n[0] = (onode){"", 0, -1, -1, -1, -1, -1};
    for (size_t i = 0; i < h->nch; i++) {
        const chan *c = &h->ch[i];
        w->chan_next[i] = -1;
        if (!c->rec.frames || c->prim[0] != '/')
            continue;
        int node = 0;
        for (const char *p = c->prim + 1; *p && node >= 0;) {
            const char *e = strchr(p, '/');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            node = onode_child(w, node, p, len);
            p += len + (e ? 1 : 0);
        }
        if (node < 0)
            return -1;
        if (!node)
            continue;
        if (w->n[node].first_chan < 0) {
            w->n[node].first_chan = (int)i;
        } else {
            int k = w->n[node].first_chan;
            while (w->chan_next[k] >= 0)
                k = w->chan_next[k];
            w->chan_next[k] = (int)i;
        }
    }
    return 0;
}

int ph_host_save(ph_host *h, const char *out_path, char *err, size_t errcap) {
    /* header: a layer with the metadata and the sublayer only */
    pusd_layer *root = pusd_layer_new(out_path);
    if (!root) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    char rel[PATH_MAX];
    rel_path(out_path, h->scene_path, rel, sizeof rel);
    int rc = pusd_layer_add_sublayer(root, rel, 0, 1);
    double start = 0, end = h->rec_frames ? (double)(h->rec_frames - 1) : 0, tcps = h->cfg.fps;
    pusd_value v = pusd_val_scalar(PUSD_T_DOUBLE, &start);
    rc = rc ? rc : pusd_layer_set_metadata(root, "startTimeCode", &v);
    v = pusd_val_scalar(PUSD_T_DOUBLE, &end);
    rc = rc ? rc : pusd_layer_set_metadata(root, "endTimeCode", &v);
    v = pusd_val_scalar(PUSD_T_DOUBLE, &tcps);
    rc = rc ? rc : pusd_layer_set_metadata(root, "timeCodesPerSecond", &v);
    rc = rc ? rc : pusd_layer_set_metadata(root, "framesPerSecond", &v);
    pusd_layer *in = pusd_stage_root_layer(h->stage);
    const char *copy[] = {"defaultPrim", "upAxis", "metersPerUnit"};
    for (size_t i = 0; i < 3 && !rc; i++)
        if (!pusd_layer_get_metadata(in, copy[i], &v))
            rc = pusd_layer_set_metadata(root, copy[i], &v);
    size_t hlen = 0;
    char *header = rc ? NULL : pusd_layer_to_string(root, &hlen);
    pusd_layer_free(root);
    if (!header) {
        snprintf(err, errcap, "%s: cannot build the output layer header", out_path);
        return -1;
    }
    owriter w = {0};
    w.h = h;
    if (out_tree(&w)) {
        free(header);
        free(w.n);
        free(w.chan_next);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    /* atomic: a temporary file next to out_path, renamed over it when
     * complete; except for an existing device or FIFO (/dev/null), which is
     * written in place, since a rename would replace the device node */
    struct stat ost;
    bool direct = stat(out_path, &ost) == 0 && (S_ISCHR(ost.st_mode) || S_ISBLK(ost.st_mode) || S_ISFIFO(ost.st_mode));
    size_t plen = strlen(out_path);
    char *tmp = malloc(plen + 16);
    int fd = -1;
    if (tmp && direct)
        fd = open(out_path, O_WRONLY | O_TRUNC);
    else if (tmp) {
        snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", out_path);
        fd = mkstemp(tmp);
    }
    int e = 0;
    if (fd < 0) {
        snprintf(err, errcap, direct ? "cannot write %s: %s" : "cannot write %s: cannot create a file in its directory (%s)",
                 out_path, tmp ? strerror(errno) : "out of memory");
        free(tmp);
        free(header);
        free(w.n);
        free(w.chan_next);
        return -1;
    }
    w.f = fdopen(fd, "w");
    if (!w.f) {
        e = errno;
        close(fd);
    } else {
        setvbuf(w.f, NULL, _IOFBF, 1 << 16);
        fwrite(header, 1, hlen, w.f);
        for (int c = w.n[0].first_child; c >= 0 && !e; c = w.n[c].next) {
            fputc('\n', w.f);
            e = out_prim(&w, c, 0);
        }
        errno = 0;
        if (!e && (fflush(w.f) || ferror(w.f)))
            e = errno ? errno : EIO;
        if (!e && !direct && fchmod(fd, 0644))
            e = errno;
        if (!e && !direct && fsync(fd))
            e = errno;
        if (fclose(w.f) && !e)
            e = errno;
    }
    if (!e && !direct && rename(tmp, out_path))
        e = errno;
    if (e) {
        if (!direct)
            unlink(tmp);
        snprintf(err, errcap, "%s: write failed (previous file left untouched): %s", out_path, strerror(e));
    }
    free(tmp);
    free(header);
    free(w.n);
    free(w.chan_next);
    free(w.buf);
    return e ? -1 : 0;
}

/* ---- queries ------------------------------------------------------------------------ */

long ph_host_get_value(ph_host *h, const char *prim_path, const char *attr, double *out, size_t n) {
    int i = find_chan(h, prim_path, attr);
    if (i < 0)
        return -1;
    chan *c = resolve_chan(h, i);
    size_t w = chan_width(c);
    memcpy(out, chan_data(c), (n < w ? n : w) * sizeof(double));
    return (long)w;
}

size_t ph_host_module_count(const ph_host *h) { return h->nmods; }

int ph_host_module_info(const ph_host *h, size_t i, ph_module_info *o) {
    if (i >= h->nmods)
        return -1;
    hmod *m = h->mods[i];
    memset(o, 0, sizeof *o);
    o->prim_path = m->path;
    o->schema = m->schema;
    o->wasm_path = m->wasm_path;
    o->entry = m->entry;
    o->binding = m->pure ? "pure" : "tick";
    o->mode = m->mode_name;
    o->stage = m->stage;
    o->order_key = m->order_key;
    o->update_rate = m->rate;
    o->state = m->state;
    o->runs = m->runs;
    o->steps = m->steps;
    o->skipped_steps = m->skipped;
    o->overruns = m->overruns;
    o->traps = m->traps;
    o->load_ns = m->load_ns;
    pw_memory *mem = m->id ? pb_module_memory(h->bridge, m->id) : NULL;
    o->memory_bytes = mem ? pw_memory_size(mem) : 0;
    o->latency = &m->lat;
    o->last_error = m->last_error;
    return 0;
}

size_t ph_host_diagnostic_count(const ph_host *h) { return h->ndiag; }
const char *ph_host_diagnostic(const ph_host *h, size_t i) { return i < h->ndiag ? h->diag[i] : NULL; }

void ph_host_report(const ph_host *h, ph_report *o) {
    memset(o, 0, sizeof *o);
    o->frames = h->frame;
    o->wall_s = h->wall_s;
    o->frame_latency = &h->frame_lat;
    o->load_ns = h->load_ns;
    o->scene_ns = h->scene_ns;
    o->modules = h->nmods;
    for (size_t i = 0; i < h->nmods; i++)
    {
        ph_mod_state st = h->mods[i]->state;
        if (st != PH_MOD_ACTIVE && st != PH_MOD_DISABLED_BY_SCENE)
            o->failed_modules++;
        if (st != PH_MOD_LOAD_FAILED && st != PH_MOD_DISABLED_BY_SCENE)
            o->loaded_modules++;
    }
    for (size_t i = 0; i < h->nch; i++)
        if (h->ch[i].rec.frames)
            o->recorded_attributes++;
}

ef_graph *ph_host_graph(ph_host *h) { return h->graph; }
pb_bridge *ph_host_bridge(ph_host *h) { return h->bridge; }
pusd_stage *ph_host_stage(ph_host *h) { return h->stage; }
