/* The bridge: module table, content-hash cache, typed calls, handles and
 * per-function statistics. See include/portalis/bridge.h. */
#include <portalis/bridge.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/wasi.h>

/* Call timing uses the time-stamp counter on x86-64 (a few ns) and is
 * converted to nanoseconds when statistics are read, from the ratio of
 * elapsed counter ticks to elapsed monotonic time since the bridge was
 * created. Elsewhere it is CLOCK_MONOTONIC. */
#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t ticks(void) { return __builtin_ia32_rdtsc(); }
#define PB_HAVE_TSC 1
#else
static inline uint64_t ticks(void) { return pb_now_ns(); }
#define PB_HAVE_TSC 0
#endif

struct pb_fn_stats {
    char *name;
    pb_func handle;
    uint64_t hash;
    uint64_t errors;
    pb_histogram h; /* in ticks */
};

typedef struct cache_entry {
    uint64_t hash;
    size_t len;
    uint8_t *bytes;
    pw_tier_kind tier;
    pw_module *module;
} cache_entry;

typedef struct mod {
    pb_module_id id;
    char *name;
    pw_store *store;
    pw_instance *inst;
    pw_module *module;
    pw_memory *memory;
    uint64_t load_ns;
    bool cache_hit;
    pb_fn_stats **fns;
    size_t nfns, capfns;
    pwasi_ctx *wasi;
} mod;

struct pb_bridge {
    pb_config cfg;
    pw_engine *engine;
    mod **mods;
    size_t nmods, capmods;
    pb_module_id next_id;
    cache_entry *cache;
    size_t ncache, capcache;
    uint64_t hits, misses;
    uint64_t tsc0, ns0;
};

static int fail(pb_error *err, pb_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(pb_error *err, pb_status st, const char *fmt, ...) {
    if (err) {
        err->status = st;
        err->trap = PW_TRAP_NONE;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return (int)st;
}

pb_config pb_config_default(void) {
    pb_config c = {0};
    c.max_memory_mb = 256;
    c.enable_wasi = true;
    c.cache_enabled = true;
    c.collect_stats = true;
    return c;
}

pb_bridge *pb_bridge_new(const pb_config *cfg) {
    pb_bridge *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = cfg ? *cfg : pb_config_default();
    pw_engine_config ec = {.consume_fuel = b->cfg.call_fuel != 0, .interruptible = true};
    b->engine = pw_engine_new_with(&ec);
    if (!b->engine) {
        free(b);
        return NULL;
    }
    b->next_id = 1;
    b->ns0 = pb_now_ns();
    b->tsc0 = ticks();
    return b;
}

static void mod_free(mod *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->nfns; i++) {
        free(m->fns[i]->name);
        free(m->fns[i]);
    }
    free(m->fns);
    if (m->store)
        pw_store_free(m->store);
    if (m->module)
        pw_module_free(m->module);
    if (m->wasi)
        pwasi_ctx_free(m->wasi);
    free(m->name);
    free(m);
}

void pb_bridge_free(pb_bridge *b) {
    if (!b)
        return;
    for (size_t i = 0; i < b->nmods; i++)
        mod_free(b->mods[i]);
    free(b->mods);
    for (size_t i = 0; i < b->ncache; i++) {
        pw_module_free(b->cache[i].module);
        free(b->cache[i].bytes);
    }
    free(b->cache);
    pw_engine_free(b->engine);
    free(b);
}

const pb_config *pb_bridge_config(const pb_bridge *b) { return &b->cfg; }
pw_engine *pb_bridge_engine(pb_bridge *b) { return b->engine; }

void pb_cache_counts(const pb_bridge *b, uint64_t *hits, uint64_t *misses) {
    if (hits)
        *hits = b->hits;
    if (misses)
        *misses = b->misses;
}

static mod *find_mod(const pb_bridge *b, pb_module_id id) {
    for (size_t i = 0; i < b->nmods; i++)
        if (b->mods[i]->id == id)
            return b->mods[i];
    return NULL;
}

static uint64_t fnv1a(const void *p, size_t n) {
    const uint8_t *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Writes "(f64, f64, f64)" into buf. */
static const char *sig_str(const pw_valkind *k, uint32_t n, char *buf, size_t cap) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "(");
    for (uint32_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", pw_valkind_name(k[i]));
    if (o < cap)
        snprintf(buf + o, cap - o, ")");
    return buf;
}

static const char *kind_str(pw_extern_kind k) {
    switch (k) {
    case PW_EXTERN_FUNC: return "func";
    case PW_EXTERN_TABLE: return "table";
    case PW_EXTERN_MEMORY: return "memory";
    default: return "global";
    }
}

static int from_pw_error(pb_error *err, pw_error *e, const char *modname, const char *what) {
    pw_trap_kind tk = pw_error_trap(e);
    pb_status st = PB_ERR_TRAP;
    if (tk == PW_TRAP_DEADLINE || tk == PW_TRAP_OUT_OF_FUEL)
        st = PB_ERR_BUDGET;
    else if (tk == PW_TRAP_NONE) {
        switch (pw_error_kind_of(e)) {
        case PW_ERR_IO: st = PB_ERR_IO; break;
        case PW_ERR_LINK: st = PB_ERR_LINK; break;
        case PW_ERR_MALFORMED:
        case PW_ERR_INVALID:
        case PW_ERR_LIMIT: st = PB_ERR_MODULE; break;
        case PW_ERR_RESOURCE: st = PB_ERR_NOMEM; break;
        default: st = PB_ERR_ARGS; break;
        }
    }
    if (err) {
        err->status = st;
        err->trap = tk;
        if (st == PB_ERR_BUDGET)
            snprintf(err->message, sizeof err->message, "module '%s': %s %s: %s", modname, what,
                     tk == PW_TRAP_DEADLINE ? "exceeded its time budget" : "ran out of fuel",
                     pw_error_message(e));
        else if (st == PB_ERR_TRAP && !strcmp(what, "_initialize"))
            snprintf(err->message, sizeof err->message, "module '%s': _initialize trapped: %s", modname,
                     pw_error_message(e));
        else
            snprintf(err->message, sizeof err->message, "module '%s': %s: %s", modname, what,
                     pw_error_message(e));
    }
    pw_error_free(e);
    return (int)st;
}

static pw_module *cache_get(pb_bridge *b, const uint8_t *bytes, size_t len, uint64_t h, pw_tier_kind tier) {
    for (size_t i = 0; i < b->ncache; i++) {
        cache_entry *c = &b->cache[i];
        if (c->hash == h && c->len == len && c->tier == tier && !memcmp(c->bytes, bytes, len))
            return c->module;
    }
    return NULL;
}

static void cache_put(pb_bridge *b, const uint8_t *bytes, size_t len, uint64_t h, pw_tier_kind tier,
                      pw_module *m) {
    if (!PBASE_RESERVE(b->cache, b->capcache, b->ncache + 1))
        return;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, bytes, len);
    b->cache[b->ncache++] = (cache_entry){h, len, copy, tier, pw_module_ref(m)};
}

static const char *default_name(const char *path, char *buf, size_t cap) {
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    snprintf(buf, cap, "%s", s);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
    return buf;
}

static int instantiate(pb_bridge *b, mod *m, const pb_load_options *opts, pb_error *err) {
    m->store = pw_store_new(b->engine);
    if (!m->store)
        return fail(err, PB_ERR_NOMEM, "module '%s': out of memory creating its store", m->name);
    if (b->cfg.max_memory_mb)
        pw_store_set_memory_limit(m->store, (uint64_t)b->cfg.max_memory_mb << 20);
    if (b->cfg.max_call_depth)
        pw_store_set_max_call_depth(m->store, b->cfg.max_call_depth);
    if (b->cfg.call_deadline_ns)
        pw_store_set_deadline(m->store, b->cfg.call_deadline_ns);
    if (b->cfg.call_fuel)
        pw_store_set_fuel(m->store, b->cfg.call_fuel);

    size_t ni = pw_module_import_count(m->module);
    pw_extern *imports = NULL;
    bool uses_wasi = b->cfg.enable_wasi && pwasi_module_uses_wasi(m->module);
    if (uses_wasi) {
        m->wasi = pwasi_ctx_new();
        if (!m->wasi)
            return fail(err, PB_ERR_NOMEM, "module '%s': out of memory (WASI context)", m->name);
        size_t nx = opts ? opts->nimports : 0;
        pwasi_import *extra = nx ? calloc(nx, sizeof *extra) : NULL;
        for (size_t i = 0; extra && i < nx; i++) {
            const pb_import *im = &opts->imports[i];
            extra[i].module = im->module;
            extra[i].name = im->name;
            extra[i].ext.kind = PW_EXTERN_FUNC;
            extra[i].ext.of.func =
                pw_func_new(m->store, im->params, im->nparams, im->results, im->nresults, im->fn, im->user, NULL);
        }
        pwasi_error *we = pwasi_link(m->wasi, m->store, m->module, extra, extra ? nx : 0, &imports);
        free(extra);
        if (we) {
            int r = fail(err, PB_ERR_LINK, "module '%s': %s", m->name, pwasi_error_message(we));
            pwasi_error_free(we);
            return r;
        }
    }
    if (!uses_wasi && ni) {
        imports = calloc(ni, sizeof *imports);
        if (!imports)
            return fail(err, PB_ERR_NOMEM, "module '%s': out of memory", m->name);
        for (size_t i = 0; i < ni; i++) {
            const char *im_mod, *im_name;
            pw_externtype t;
            pw_module_import(m->module, i, &im_mod, &im_name, &t);
            const pb_import *found = NULL;
            for (size_t j = 0; opts && j < opts->nimports; j++)
                if (!strcmp(opts->imports[j].module, im_mod) && !strcmp(opts->imports[j].name, im_name))
                    found = &opts->imports[j];
            char want[160], have[160];
            if (!found || t.kind != PW_EXTERN_FUNC) {
                int r = fail(
                    err, PB_ERR_LINK, "module '%s' imports %s '%s.%s', which this host does not provide%s",
                    m->name, kind_str(t.kind), im_mod, im_name,
                    !strcmp(im_mod, "wasi_snapshot_preview1")
                        ? (b->cfg.enable_wasi ? " (WASI is not built into this bridge)" : " (enable_wasi is off)")
                        : " (see docs/abi.md for the 'portalis' import module)");
                free(imports);
                return r;
            }
            bool same = t.func.nparams == found->nparams && t.func.nresults == found->nresults;
            for (uint32_t k = 0; same && k < found->nparams; k++)
                same = t.func.params[k] == found->params[k];
            for (uint32_t k = 0; same && k < found->nresults; k++)
                same = t.func.results[k] == found->results[k];
            if (!same) {
                sig_str(t.func.params, t.func.nparams, want, sizeof want);
                sig_str(found->params, found->nparams, have, sizeof have);
                int r =
                    fail(err, PB_ERR_LINK, "module '%s' imports '%s.%s' with parameters %s, the host provides %s",
                         m->name, im_mod, im_name, want, have);
                free(imports);
                return r;
            }
            imports[i].kind = PW_EXTERN_FUNC;
            imports[i].of.func = pw_func_new(m->store, found->params, found->nparams, found->results,
                                             found->nresults, found->fn, found->user, NULL);
        }
    }
    pw_error *e = pw_instance_new(m->store, m->module, imports, ni, &m->inst);
    free(imports);
    if (e)
        return from_pw_error(err, e, m->name, "instantiation failed");
    pw_extern ex;
    if (pw_instance_export(m->inst, "memory", &ex) && ex.kind == PW_EXTERN_MEMORY)
        m->memory = ex.of.memory;
    else {
        size_t ne = pw_instance_export_count(m->inst);
        for (size_t i = 0; i < ne && !m->memory; i++) {
            const char *nm;
            if (pw_instance_export_at(m->inst, i, &nm, &ex) && ex.kind == PW_EXTERN_MEMORY)
                m->memory = ex.of.memory;
        }
    }
    if (!opts || opts->run_initialize) {
        pw_func *init = pw_instance_func(m->inst, "_initialize");
        if (init) {
            pw_functype ft = pw_func_type(init);
            if (ft.nparams == 0 && ft.nresults == 0) {
                e = pw_func_call(m->store, init, NULL, 0, NULL, 0);
                if (b->cfg.call_fuel)
                    pw_store_set_fuel(m->store, b->cfg.call_fuel);
                if (e)
                    return from_pw_error(err, e, m->name, "_initialize");
            }
        }
    }
    return 0;
}

bool pb_tier_parse(const char *token, pb_tier *out) {
    pw_tier_kind k;
    if (!pw_tier_parse(token, &k))
        return false;
    *out = (pb_tier)(k + 1);
    return true;
}

/* The engine tier a load asks for: its options', else the bridge's. */
static pw_tier_kind tier_of(const pb_bridge *b, const pb_load_options *opts) {
    pb_tier t = opts && opts->tier != PB_TIER_DEFAULT ? opts->tier : b->cfg.tier;
    return t > PB_TIER_DEFAULT && t <= PB_TIER_AUTO ? (pw_tier_kind)(t - 1) : PW_TIER_INTERP;
}

int pb_load_module_bytes(pb_bridge *b, const uint8_t *bytes, size_t len, const pb_load_options *opts,
                         pb_module_id *out, pb_error *err) {
    uint64_t t0 = pb_now_ns();
    if (out)
        *out = 0;
    mod *m = calloc(1, sizeof *m);
    if (!m)
        return fail(err, PB_ERR_NOMEM, "out of memory");
    m->name = strdup(opts && opts->name ? opts->name : "module");
    if (!m->name) {
        free(m);
        return fail(err, PB_ERR_NOMEM, "out of memory");
    }
    pw_tier_kind tier = tier_of(b, opts);
    uint64_t h = 0;
    if (b->cfg.cache_enabled) {
        h = fnv1a(bytes, len) ^ (uint64_t)len;
        pw_module *c = cache_get(b, bytes, len, h, tier);
        if (c) {
            m->module = pw_module_ref(c);
            m->cache_hit = true;
            b->hits++;
        } else {
            b->misses++;
        }
    }
    if (!m->module) {
        pw_error *e = pw_module_new_tier(b->engine, bytes, len, tier, &m->module);
        if (e) {
            int r = from_pw_error(err, e, m->name, "cannot load");
            mod_free(m);
            return r;
        }
        if (b->cfg.cache_enabled)
            cache_put(b, bytes, len, h, tier, m->module);
    }
    int r = instantiate(b, m, opts, err);
    if (r) {
        mod_free(m);
        return r;
    }
    if (!PBASE_RESERVE(b->mods, b->capmods, b->nmods + 1)) {
        mod_free(m);
        return fail(err, PB_ERR_NOMEM, "out of memory");
    }
    m->id = b->next_id++;
    b->mods[b->nmods++] = m;
    m->load_ns = pb_now_ns() - t0;
    if (out)
        *out = m->id;
    return 0;
}

int pb_load_module_file(pb_bridge *b, const char *path, const pb_load_options *opts, pb_module_id *out,
                        pb_error *err) {
    uint64_t t0 = pb_now_ns();
    char namebuf[256];
    pb_load_options o = opts ? *opts : (pb_load_options){.run_initialize = true};
    if (!o.name)
        o.name = default_name(path, namebuf, sizeof namebuf);
    /* regular files only, never waited on (a FIFO, /dev/zero), bounded */
    size_t n = 0;
    char *buf = NULL;
    pbase_error be;
    if (pbase_read_file(path, PB_MAX_MODULE_BYTES, &buf, &n, &be))
        return fail(err, be.code == ENOMEM ? PB_ERR_NOMEM : PB_ERR_IO, "cannot load module: %s", be.message);
    int r = pb_load_module_bytes(b, (const uint8_t *)buf, n, &o, out, err);
    free(buf);
    if (!r) {
        mod *m = find_mod(b, *out);
        m->load_ns = pb_now_ns() - t0;
    }
    return r;
}

int pb_unload_module(pb_bridge *b, pb_module_id id) {
    for (size_t i = 0; i < b->nmods; i++)
        if (b->mods[i]->id == id) {
            mod_free(b->mods[i]);
            memmove(&b->mods[i], &b->mods[i + 1], (b->nmods - i - 1) * sizeof *b->mods);
            b->nmods--;
            return 0;
        }
    return PB_ERR_NO_MODULE;
}

const char *pb_module_name(const pb_bridge *b, pb_module_id id) {
    mod *m = find_mod(b, id);
    return m ? m->name : NULL;
}
pw_instance *pb_module_instance(pb_bridge *b, pb_module_id id) {
    mod *m = find_mod(b, id);
    return m ? m->inst : NULL;
}
pw_store *pb_module_store(pb_bridge *b, pb_module_id id) {
    mod *m = find_mod(b, id);
    return m ? m->store : NULL;
}
pw_memory *pb_module_memory(pb_bridge *b, pb_module_id id) {
    mod *m = find_mod(b, id);
    return m ? m->memory : NULL;
}
pw_tier_kind pb_module_tier(const pb_bridge *b, pb_module_id id, const char **note) {
    mod *m = find_mod(b, id);
    if (note)
        *note = NULL;
    return m ? pw_module_tier(m->module, note) : PW_TIER_INTERP;
}

/* "exported functions: a, b, c" (or "it exports no functions") for a
 * no-export message, so a misspelt name can be corrected at once. */
static void export_list(mod *m, char *buf, size_t cap) {
    size_t ne = pw_instance_export_count(m->inst), o = 0, nf = 0;
    o += (size_t)snprintf(buf, cap, "exported functions: ");
    for (size_t i = 0; i < ne && o < cap; i++) {
        const char *nm;
        pw_extern ex;
        if (!pw_instance_export_at(m->inst, i, &nm, &ex) || ex.kind != PW_EXTERN_FUNC)
            continue;
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", nf++ ? ", " : "", nm);
    }
    if (!nf)
        snprintf(buf, cap, "it exports no functions");
    else if (o >= cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
}

/* Finds (or creates) the function entry: resolved handle + statistics. */
static pb_fn_stats *resolve(pb_bridge *b, mod *m, const char *name, pb_error *err) {
    size_t len = strlen(name);
    uint64_t h = fnv1a(name, len);
    for (size_t i = 0; i < m->nfns; i++)
        if (m->fns[i]->hash == h && !strcmp(m->fns[i]->name, name))
            return m->fns[i];
    pw_extern ex;
    if (!pw_instance_export(m->inst, name, &ex) || ex.kind != PW_EXTERN_FUNC) {
        bool other = pw_instance_export(m->inst, name, &ex);
        char have[320];
        export_list(m, have, sizeof have);
        fail(err, PB_ERR_NO_EXPORT, "module '%s' has no export '%s'%s (%s)", m->name, name,
             other ? " that is a function" : "", have);
        return NULL;
    }
    if (!PBASE_RESERVE(m->fns, m->capfns, m->nfns + 1)) {
        fail(err, PB_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pb_fn_stats *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        fail(err, PB_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->hash = h;
    pw_functype ft = pw_func_type(ex.of.func);
    s->handle = (pb_func){.store = m->store,
                          .func = ex.of.func,
                          .stats = b->cfg.collect_stats ? s : NULL,
                          .bridge = b,
                          .module = m->id,
                          .nparams = ft.nparams,
                          .nresults = ft.nresults,
                          .params = ft.params,
                          .results = ft.results,
                          .name = s->name};
    m->fns[m->nfns++] = s;
    return s;
}

int pb_func_lookup(pb_bridge *b, pb_module_id id, const char *name, pb_func *h, pb_error *err) {
    mod *m = find_mod(b, id);
    if (!m)
        return fail(err, PB_ERR_NO_MODULE, "no module with id %u is loaded", (unsigned)id);
    pb_fn_stats *s = resolve(b, m, name, err);
    if (!s)
        return err ? (int)err->status : PB_ERR_NO_EXPORT;
    *h = s->handle;
    return 0;
}

static int call_error(const pb_func *h, pw_error *e, pb_error *err) {
    if (h->stats)
        h->stats->errors++;
    mod *m = find_mod(h->bridge, h->module);
    char what[300];
    snprintf(what, sizeof what, "call to '%s'", h->name);
    return from_pw_error(err, e, m ? m->name : "?", what);
}

int pb_func_call_slots(const pb_func *h, uint64_t *slots, pb_error *err) {
    uint64_t fuel = h->fuel ? h->fuel : h->bridge->cfg.call_fuel;
    if (fuel)
        pw_store_set_fuel(h->store, fuel);
    pw_error *e;
    if (h->stats) {
        uint64_t t0 = ticks();
        e = pw_func_call_unchecked(h->store, h->func, slots);
        pb_histogram_record(&h->stats->h, ticks() - t0);
    } else {
        e = pw_func_call_unchecked(h->store, h->func, slots);
    }
    if (__builtin_expect(e != NULL, 0))
        return call_error(h, e, err);
    return 0;
}

static int check_args(const pb_func *h, const pw_val *args, size_t nargs, size_t nresults, pb_error *err) {
    char sig[256], got[256];
    if (nargs != h->nparams) {
        return fail(err, PB_ERR_ARGS, "%s: expected %u argument%s %s, got %zu", h->name, h->nparams,
                    h->nparams == 1 ? "" : "s", sig_str(h->params, h->nparams, sig, sizeof sig), nargs);
    }
    for (size_t i = 0; i < nargs; i++)
        if (args[i].kind != h->params[i]) {
            pw_valkind k[64];
            size_t n = nargs < 64 ? nargs : 64;
            for (size_t j = 0; j < n; j++)
                k[j] = args[j].kind;
            return fail(err, PB_ERR_ARGS, "%s: argument %zu is %s, expected %s (expected %s, got %s)", h->name,
                        i + 1, pw_valkind_name(args[i].kind), pw_valkind_name(h->params[i]),
                        sig_str(h->params, h->nparams, sig, sizeof sig),
                        sig_str(k, (uint32_t)n, got, sizeof got));
        }
    if (nresults != h->nresults)
        return fail(err, PB_ERR_ARGS, "%s: returns %u result%s %s, caller expects %zu", h->name, h->nresults,
                    h->nresults == 1 ? "" : "s", sig_str(h->results, h->nresults, sig, sizeof sig), nresults);
    return 0;
}

/* A value in the cells of pb_func_call_slots (a v128 takes two, low half
 * first); returns how many it took. */
static size_t to_slots(const pw_val *v, uint64_t *cells) {
    if (v->kind == PW_V128) {
        cells[0] = v->of.v128.u64[0];
        cells[1] = v->of.v128.u64[1];
        return 2;
    }
    uint64_t s = 0;
    switch (v->kind) {
    case PW_I32: s = (uint32_t)v->of.i32; break;
    case PW_I64: s = (uint64_t)v->of.i64; break;
    case PW_F32: memcpy(&s, &v->of.f32, 4); break;
    case PW_F64: memcpy(&s, &v->of.f64, 8); break;
    case PW_FUNCREF: s = (uint64_t)(uintptr_t)v->of.funcref; break;
    default: s = (uint64_t)(uintptr_t)v->of.externref; break;
    }
    cells[0] = s;
    return 1;
}

static pw_val from_slots(pw_valkind k, const uint64_t *cells) {
    pw_val v = {.kind = k};
    uint64_t s = cells[0];
    switch (k) {
    case PW_V128:
        v.of.v128.u64[0] = cells[0];
        v.of.v128.u64[1] = cells[1];
        break;
    case PW_I32: v.of.i32 = (int32_t)(uint32_t)s; break;
    case PW_I64: v.of.i64 = (int64_t)s; break;
    case PW_F32: memcpy(&v.of.f32, &s, 4); break;
    case PW_F64: memcpy(&v.of.f64, &s, 8); break;
    case PW_FUNCREF: v.of.funcref = (pw_func *)(uintptr_t)s; break;
    default: v.of.externref = (void *)(uintptr_t)s; break;
    }
    return v;
}

int pb_func_call(const pb_func *h, const pw_val *args, size_t nargs, pw_val *results, size_t nresults,
                 pb_error *err) {
    int r = check_args(h, args, nargs, nresults, err);
    if (r)
        return r;
    size_t np = 0, nr = 0;
    for (uint32_t i = 0; i < h->nparams; i++)
        np += h->params[i] == PW_V128 ? 2 : 1;
    for (uint32_t i = 0; i < h->nresults; i++)
        nr += h->results[i] == PW_V128 ? 2 : 1;
    uint64_t small[16];
    size_t n = np > nr ? np : nr;
    uint64_t *slots = n <= 16 ? small : malloc(n * sizeof *slots);
    if (!slots)
        return fail(err, PB_ERR_NOMEM, "out of memory");
    for (size_t i = 0, at = 0; i < nargs; i++)
        at += to_slots(&args[i], slots + at);
    r = pb_func_call_slots(h, slots, err);
    if (!r)
        for (size_t i = 0, at = 0; i < nresults; i++) {
            results[i] = from_slots(h->results[i], slots + at);
            at += h->results[i] == PW_V128 ? 2 : 1;
        }
    if (slots != small)
        free(slots);
    return r;
}

int pb_call(pb_bridge *b, pb_module_id id, const char *name, const pw_val *args, size_t nargs, pw_val *results,
            size_t nresults, pb_error *err) {
    mod *m = find_mod(b, id);
    if (!m)
        return fail(err, PB_ERR_NO_MODULE, "no module with id %u is loaded (unloaded, or never loaded)",
                    (unsigned)id);
    pb_fn_stats *s = resolve(b, m, name, err);
    if (!s)
        return err ? (int)err->status : PB_ERR_NO_EXPORT;
    return pb_func_call(&s->handle, args, nargs, results, nresults, err);
}

/* ---- statistics ------------------------------------------------------------ */

static double ns_per_tick(const pb_bridge *b) {
    if (!PB_HAVE_TSC)
        return 1.0;
    uint64_t dn = pb_now_ns() - b->ns0, dt = ticks() - b->tsc0;
    if (dn < 1000000 || dt == 0) {
        /* too early for a good ratio: measure over 1 ms */
        uint64_t n0 = pb_now_ns(), t0 = ticks();
        while (pb_now_ns() - n0 < 1000000) {}
        dn = pb_now_ns() - n0;
        dt = ticks() - t0;
    }
    return dt ? (double)dn / (double)dt : 1.0;
}

static void fill_call_stats(const pb_histogram *h, double r, const char *name, uint64_t errors,
                            pb_call_stats *o) {
    o->function = name;
    o->calls = h->count;
    o->errors = errors;
    o->mean_ns = pb_histogram_mean(h) * r;
    o->median_ns = pb_histogram_quantile(h, 0.5) * r;
    o->p99_ns = pb_histogram_quantile(h, 0.99) * r;
    o->max_ns = (uint64_t)((double)h->max * r);
    o->total_ns = (uint64_t)((double)h->total * r);
}

int pb_get_module_stats(pb_bridge *b, pb_module_id id, pb_module_stats *out) {
    mod *m = find_mod(b, id);
    if (!m)
        return PB_ERR_NO_MODULE;
    memset(out, 0, sizeof *out);
    out->name = m->name;
    out->load_ns = m->load_ns;
    out->cache_hit = m->cache_hit;
    out->memory_bytes = m->memory ? pw_memory_size(m->memory) : 0;
    out->nfunctions = m->nfns;
    pb_histogram *all = calloc(1, sizeof *all);
    if (!all)
        return PB_ERR_NOMEM;
    uint64_t errors = 0;
    for (size_t i = 0; i < m->nfns; i++) {
        pbase_hist_merge(all, &m->fns[i]->h);
        errors += m->fns[i]->errors;
    }
    fill_call_stats(all, ns_per_tick(b), "*", errors, &out->all);
    free(all);
    return 0;
}

int pb_get_function_stats(pb_bridge *b, pb_module_id id, size_t i, pb_call_stats *out) {
    mod *m = find_mod(b, id);
    if (!m)
        return PB_ERR_NO_MODULE;
    if (i >= m->nfns)
        return PB_ERR_NO_EXPORT;
    fill_call_stats(&m->fns[i]->h, ns_per_tick(b), m->fns[i]->name, m->fns[i]->errors, out);
    return 0;
}

size_t pb_module_ids(const pb_bridge *b, pb_module_id *ids, size_t cap) {
    for (size_t i = 0; i < b->nmods && i < cap; i++)
        ids[i] = b->mods[i]->id;
    return b->nmods;
}

static void json_call(FILE *f, const pb_call_stats *c) {
    fprintf(f, "{\"function\": ");
    pbase_json_string(f, c->function);
    fprintf(f,
            ", \"calls\": %llu, \"errors\": %llu, \"mean_ns\": %.1f, \"median_ns\": %.1f, \"p99_ns\": %.1f, "
            "\"max_ns\": %llu}",
            (unsigned long long)c->calls, (unsigned long long)c->errors, c->mean_ns, c->median_ns, c->p99_ns,
            (unsigned long long)c->max_ns);
}

int pb_write_stats_json(pb_bridge *b, FILE *f) {
    fprintf(f, "{\"modules\": [");
    for (size_t i = 0; i < b->nmods; i++) {
        pb_module_stats ms;
        if (pb_get_module_stats(b, b->mods[i]->id, &ms))
            continue;
        fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
        pbase_json_string(f, ms.name);
        fprintf(f, ", \"load_ns\": %llu, \"cache_hit\": %s, \"memory_bytes\": %llu, \"all\": ",
                (unsigned long long)ms.load_ns, ms.cache_hit ? "true" : "false",
                (unsigned long long)ms.memory_bytes);
        json_call(f, &ms.all);
        fprintf(f, ", \"functions\": [");
        for (size_t k = 0; k < ms.nfunctions; k++) {
            pb_call_stats cs;
            pb_get_function_stats(b, b->mods[i]->id, k, &cs);
            if (k)
                fprintf(f, ", ");
            json_call(f, &cs);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n]}\n");
    return ferror(f) ? -1 : 0;
}
