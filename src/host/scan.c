/* Scanning the scene: module prims (load, channels, binding), connections,
 * execution order and the execution-framework graph; rescanning. */
#include "host_internal.h"

#include <portalis/base.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_UPDATE_RATE 1e6
#define MAX_BUDGET_MS 1e7 /* as --budget-ms */

typedef struct {
    ph_host *h;
    pusd_prim **prims;
    size_t n, cap;
} collect_ctx;

static bool collect(pusd_prim *p, void *u) {
    collect_ctx *c = u;
    if (!PBASE_RESERVE(c->prims, c->cap, c->n + 1))
        return false;
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
    ph__free_strs(m->events, m->nevents);
    ph__free_config(m);
    free(m->last_error);
    free(m);
}

/* The number authored for name on p (default time) in *out; false when none. */
static bool prim_number(pusd_prim *p, const char *name, double *out) {
    pusd_value v;
    if (pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v) || !v.data || !v.count)
        return false;
    *out = pusd_value_get_double(&v, 0, 0);
    return true;
}

/* wasm:outputs:X:capacity and wasm:outputs:X:record of each output X,
 * wasm:inputs:X:record of each input X (see docs/abi.md, array outputs;
 * docs/host.md, Results); 0, or -1 after a load failure naming the
 * attribute. */
static int output_settings(ph_host *h, hmod *m, pusd_prim *p) {
    size_t np = pusd_prim_property_count(p);
    for (size_t i = 0; i < np; i++) {
        const char *name = pusd_prim_property_name(p, i), *last = strrchr(name, ':');
        bool in = !strncmp(name, "wasm:inputs:", 12);
        if ((!in && strncmp(name, "wasm:outputs:", 13)) || !last ||
            (strcmp(last, ":record") && (in || strcmp(last, ":capacity"))))
            continue;
        char attr[256];
        snprintf(attr, sizeof attr, "%.*s", (int)(last - name - 5), name + 5);
        int c = ph__find_chan(h, m->path, attr);
        chan *ch = c >= 0 && h->ch[c].is_output != in ? &h->ch[c] : NULL;
        double v = 0;
        bool set = prim_number(p, name, &v);
        if (!ch || (last[1] == 'c' && !ch->is_array)) {
            ph__load_failed(m, "%s names no %s%s:* attribute of the prim", name, last[1] == 'c' ? "array " : "",
                            in ? "inputs" : "outputs");
            return -1;
        }
        if (!set)
            continue;
        if (last[1] == 'r') {
            ch->record = v != 0;
            continue;
        }
        /* the buffer is addressed by an i32 pointer */
        if (!(v >= 0 && v == floor(v) && v * ch->ncomp * sizeof(double) < 4294967296.0)) {
            char t[40];
            pusd_format_double(v, t);
            ph__load_failed(m, "%s = %s is not an element count (0 .. %.0f)", name, t,
                            floor(4294967295.0 / (ch->ncomp * sizeof(double))));
            return -1;
        }
        ch->capacity = (size_t)v;
    }
    return 0;
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
        int c = ph__add_chan(h, m->path, name, tn);
        if (c < 0) {
            ph__load_failed(
                m,
                "attribute '%s' has type '%s', which the ABI cannot pass (numeric scalars, vectors and "
                "arrays of them only)",
                name, tn ? tn : "?");
            return -1;
        }
        chan *ch = &h->ch[c];
        ch->is_output = out;
        ch->record = out;
        ph__chan_read_stage(h, ch, PUSD_TIME_DEFAULT);
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
    return m->seen_versions ? output_settings(h, m, p) : -1;
}

/* An absolute, normalised form of path for messages and module info: the
 * real path when it exists, else the real path of its directory + its name,
 * else cwd + path. Never NULL (falls back to a copy). */
static char *abs_path(const char *path) {
    char buf[PATH_MAX], dir[PATH_MAX];
    if (!path || !*path)
        return ph__xstrdup(path);
    if (realpath(path, buf))
        return ph__xstrdup(buf);
    const char *slash = strrchr(path, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
        if (realpath(dir, buf)) {
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, "%s%s", buf[n - 1] == '/' ? "" : "/", slash + 1);
            return ph__xstrdup(buf);
        }
    }
    if (path[0] != '/' && getcwd(dir, sizeof dir)) {
        size_t n = strlen(dir);
        snprintf(dir + n, sizeof dir - n, "/%s", path[0] == '.' && path[1] == '/' ? path + 2 : path);
        return ph__xstrdup(dir);
    }
    return ph__xstrdup(path);
}

/* A relative wasm:path that is not next to its layer is looked up in each
 * folder of cfg.module_path in turn, as OpenUSD's default resolver uses its
 * search path. Returns the absolute path of the first file found, or NULL. */
static char *search_module(const char *dirs, const char *asset) {
    if (!dirs || !asset || asset[0] == '/')
        return NULL;
    if (asset[0] == '.' && asset[1] == '/')
        asset += 2;
    for (const char *d = dirs; *d;) {
        size_t n = strcspn(d, ":");
        char cand[PATH_MAX];
        struct stat sb;
        if (n && snprintf(cand, sizeof cand, "%.*s/%s", (int)n, d, asset) < (int)sizeof cand && !stat(cand, &sb))
            return abs_path(cand);
        d += n + (d[n] == ':');
    }
    return NULL;
}

/* The tier that runs the module: `uniform token wasm:tier` (interp, native,
 * auto), else the run's. 0, or -1 after a load failure. */
static int module_tier(ph_host *h, hmod *m, pusd_prim *p) {
    pusd_value v;
    m->tier = h->cfg.tier;
    if (pusd_prim_get_attr(p, "wasm:tier", PUSD_TIME_DEFAULT, &v) || !v.data || !v.count)
        return 0;
    const char *s = pusd_value_get_string(&v, 0);
    if (!s || !pb_tier_parse(s, &m->tier)) {
        ph__load_failed(m, "wasm:tier = '%s' is not one of interp, native, auto", s ? s : "?");
        return -1;
    }
    return 0;
}

/* A reactor's _initialize, once, as the bridge would run it but under the
 * module's budget (wasm:callBudgetMs may be far above the run's). 0, or -1
 * after a load failure. */
static int run_initialize(ph_host *h, hmod *m) {
    pb_func init;
    if (pb_func_lookup(h->bridge, m->id, "_initialize", &init, NULL) || init.nparams || init.nresults)
        return 0;
    uint64_t slot = 0;
    pb_error err = {0};
    if (pb_func_call_slots(&init, &slot, &err)) {
        ph__load_failed(m, "cannot load '%s': %s", m->wasm_path, err.message);
        return -1;
    }
    return 0;
}

static hmod *scan_module(ph_host *h, pusd_prim *p) {
    hmod *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->h = h;
    m->path = ph__xstrdup(pusd_prim_path(p));
    m->schema = ph__xstrdup(pusd_prim_type_name(p));
    pusd_wasm_module wm;
    pusd_error ue = {0};
    if (pusd_wasm_module_read(p, h->reg, &wm, &ue)) {
        char buf[700];
        pusd_error_format(&ue, buf, sizeof buf);
        m->wasm_path = ph__xstrdup("");
        m->entry = ph__xstrdup("");
        m->mode_name = ph__xstrdup("?");
        ph__load_failed(m, "%s", buf);
        return m;
    }
    m->wasm_path = abs_path(wm.wasm_path_resolved ? wm.wasm_path_resolved : wm.wasm_path);
    m->entry = ph__xstrdup(wm.entry_function);
    m->mode_name = ph__xstrdup(wm.execution_mode);
    m->mode = !strcmp(wm.execution_mode, "on_demand")      ? MODE_ON_DEMAND
              : !strcmp(wm.execution_mode, "event_driven") ? MODE_EVENT_DRIVEN
                                                           : MODE_CONTINUOUS;
    m->rate = wm.update_rate;
    m->stage = stage_of_schema(h, m->schema);
    ph__read_tokens(p, "wasm:events", &m->events, &m->nevents);
    pusd_value pv;
    m->pure = pusd_prim_get_attr(p, "wasm:params", PUSD_TIME_DEFAULT, &pv) == 0;
    if (declare_channels(h, m, p))
        return m;
    if (!wm.enabled) {
        m->state = PH_MOD_DISABLED_BY_SCENE;
        return m;
    }
    if (!(m->rate >= 0 && m->rate <= MAX_UPDATE_RATE)) {
        char t[40];
        pusd_format_double(m->rate, t);
        ph__load_failed(m,
                        "wasm:updateRate = %s is out of range (0 = the frame rate, or steps per second up to %g)",
                        t, MAX_UPDATE_RATE);
        return m;
    }
    if (ph__read_config(m, p))
        return m;
    if (!wm.wasm_path || !*wm.wasm_path) {
        ph__load_failed(m, "wasm:path is not authored");
        return m;
    }
    struct stat sb;
    if (stat(m->wasm_path, &sb)) {
        char *found = search_module(h->cfg.module_path, wm.wasm_path);
        if (found) {
            free(m->wasm_path);
            m->wasm_path = found;
        }
    }
    if (stat(m->wasm_path, &sb)) {
        ph__load_failed(m, "module file not found: wasm:path = @%s@ resolves to '%s' (%s)", wm.wasm_path,
                        m->wasm_path, strerror(errno));
        return m;
    }
    if (!S_ISREG(sb.st_mode)) {
        ph__load_failed(
            m, "wasm:path = @%s@ resolves to '%s', which is not a regular file (a FIFO, device or directory)",
            wm.wasm_path, m->wasm_path);
        return m;
    }
    double budget_ms = (double)h->cfg.call_budget_ns * 1e-6;
    if (prim_number(p, "wasm:callBudgetMs", &budget_ms) && !(budget_ms >= 0 && budget_ms <= MAX_BUDGET_MS)) {
        char t[40];
        pusd_format_double(budget_ms, t);
        ph__load_failed(m, "wasm:callBudgetMs = %s is out of range (0 = none, or up to %g ms per call)", t,
                        MAX_BUDGET_MS);
        return m;
    }
    if (module_tier(h, m, p))
        return m;
    pb_import im[ABI_MAX_IMPORTS];
    size_t nim = ph__make_imports(m, im);
    /* _initialize runs below, under the module's own budget */
    pb_load_options lo = {
        .name = m->path, .imports = im, .nimports = nim, .run_initialize = false, .tier = m->tier};
    pb_error err = {0};
    uint64_t t0 = pb_now_ns();
    if (pb_load_module_file(h->bridge, m->wasm_path, &lo, &m->id, &err)) {
        ph__load_failed(m, "cannot load '%s': %s", m->wasm_path, err.message);
        return m;
    }
    /* the scene's budget for this module's calls (the run's is the bridge's) */
    pw_store_set_deadline(pb_module_store(h->bridge, m->id), (uint64_t)(budget_ms * 1e6));
    int init = run_initialize(h, m);
    m->load_ns = pb_now_ns() - t0;
    if (init)
        return m;
    m->mem = pb_module_memory(h->bridge, m->id);
    if (pb_func_lookup(h->bridge, m->id, m->entry, &m->fn, &err)) {
        ph__load_failed(m, "wasm:entryFunction: %s", err.message);
        return m;
    }
    m->has_alloc = pb_func_lookup(h->bridge, m->id, "portalis_alloc", &m->alloc, NULL) == 0 &&
                   m->alloc.nparams == 1 && m->alloc.nresults == 1 && m->alloc.params[0] == PW_I32;
    if (m->pure)
        ph__bind_pure(h, m, p);
    else
        ph__bind_tick(m);
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
                ph__diag(h, "prim %s: %s.connect = <%s> does not name an attribute", path, name, tg[0]);
                continue;
            }
            memcpy(src_prim, tg[0], (size_t)(dot - tg[0]));
            src_prim[dot - tg[0]] = 0;
            int src = ph__find_chan(h, src_prim, dot + 1);
            int in = ph__mod_of_prim(h, path) && !strncmp(name, "inputs:", 7) ? ph__find_chan(h, path, name) : -1;
            if (in >= 0 && (src < 0 || nt > 1)) { /* a module input reading other prims' attributes */
                ph__connect_feeds(h, &h->ch[in], tg, nt);
                continue;
            }
            if (src < 0)
                continue; /* not a module channel: ordinary USD connection */
            int dst = ph__find_chan(h, path, name);
            if (dst < 0) {
                const char *tn = pusd_prim_attr_type_name(p, name);
                dst = ph__add_chan(h, path, name, tn ? tn : "");
                if (dst < 0) {
                    ph__diag(h, "prim %s: %s (type %s) cannot receive %s", path, name, tn ? tn : "?", tg[0]);
                    continue;
                }
                h->ch[dst].is_target = true;
            }
            if (h->ch[dst].ncomp != h->ch[src].ncomp || h->ch[dst].is_array != h->ch[src].is_array) {
                /* not recorded either: samples of a value nothing feeds would be zeros */
                ph__diag(h,
                         "prim %s: %s (%s) is connected to %s (%s): types do not match; connection ignored and "
                         "not recorded",
                         path, name, h->ch[dst].type_name, tg[0], h->ch[src].type_name);
                continue;
            }
            if (h->ch[dst].is_output) {
                ph__diag(h, "prim %s: %s is an output and cannot be connected; connection ignored", path, name);
                continue;
            }
            h->ch[dst].src = src;
            if (h->ch[dst].is_target)
                h->ch[dst].record = true;
        }
    }
}

hmod *ph__mod_of_prim(ph_host *h, const char *prim) {
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
            hmod *cons = ph__mod_of_prim(h, ch->prim), *prod = ph__mod_of_prim(h, h->ch[ch->src].prim);
            if (!cons || !prod || cons == prod || cons->stage != prod->stage)
                continue;
            if (cons->order_key <= prod->order_key) {
                cons->order_key = prod->order_key + 1;
                changed = true;
            }
        }
    }
    if (changed)
        ph__diag(
            h, "scene: the module connections form a cycle; modules in the cycle see some inputs one frame late");
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
        ef_def *d = ef_def_opaque(m->path, ph__module_exec, m, EF_HINT_PARALLEL);
        if (d && m->mode == MODE_CONTINUOUS && m->rate > 0 && m->rate != h->time.fps) {
            /* its own rate: sub-steps (or skipped frames) by the framework's stepping */
            ef_def *body = d;
            d = ef_def_stepped(m->path, body, EF_STEP_RATE, 1.0 / m->rate, h->cfg.max_substeps);
            ef_def_release(body);
        }
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
    ef_context_set_frame_dt(h->ctx, 1.0 / h->time.fps);
    return 0;
}

void ph__teardown(ph_host *h) {
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

/* A misspelt prim type ("WasmPhysic") would otherwise be skipped silently as
 * a prim that is no module. */
static void warn_type(const char *path, const char *type, const char *suggestion, void *ctx) {
    ph_host *h = ctx;
    ph__diag(h, "scene: warning: %s: prim %s: unknown prim type '%s'; did you mean '%s'?", h->scene_path, path,
             type, suggestion);
}

int ph__scan(ph_host *h, char *err, size_t errcap) {
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
    /* the time settings come from the scene first opened (a rescan keeps them) */
    if (!(h->time.fps > 0) && ph__time_settings(h, err, errcap))
        return -1;
    for (size_t i = 0; i < pusd_stage_diagnostic_count(h->stage); i++) {
        char buf[700];
        pusd_error_format(pusd_stage_diagnostic(h->stage, i), buf, sizeof buf);
        ph__diag(h, "scene: %s", buf);
    }
    pusd_schema_check_types(h->stage, h->reg, warn_type, h);
    pb_config bc = pb_config_default();
    bc.max_memory_mb = h->cfg.max_memory_mb;
    bc.call_deadline_ns = h->cfg.call_budget_ns;
    bc.call_fuel = h->cfg.call_fuel;
    bc.tier = h->cfg.tier;
    h->bridge = pb_bridge_new(&bc);
    if (!h->bridge) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    collect_ctx cc = {h, NULL, 0, 0};
    pusd_filter everyp = {NULL, NULL, PUSD_TRAVERSE_INSTANCE_PROXIES}; /* modules inside instances too */
    pusd_stage_traverse(h->stage, &everyp, collect, &cc);
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
        ph__diag(h, "scene: rescan failed, keeping the previous scene: %s", buf);
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
    ph__teardown(h);
    int rc = ph__scan(h, err, errcap);
    for (size_t i = 0; i < nold; i++) {
        int j = rc ? -1 : ph__find_chan(h, old[i].prim, old[i].attr);
        if (j >= 0 && old[i].rec.frames && !strcmp(h->ch[j].type_name, old[i].type_name)) {
            chan *c = &h->ch[j];
            free(c->rec.data);
            free(c->rec.chunks);
            c->rec = old[i].rec;
            c->record = true;
            old[i].rec.data = NULL;
            old[i].rec.chunks = NULL;
        }
        ph__chan_free_fields(&old[i]);
    }
    free(old);
    if (rc)
        return -1;
    ph__diag(h, "scene: %s changed on disk; rescanned at frame %llu", h->scene_path,
             (unsigned long long)h->frame);
    return 1;
}
