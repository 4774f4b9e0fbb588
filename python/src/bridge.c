/* WasmtimeBridge's core (`_Bridge`): loads modules through pb_bridge, calls
 * their functions through pre-resolved handles (`Function`), and reports the
 * statistics. The GIL is released during loads and calls; the bridge's own
 * rules (include/portalis/bridge.h, Thread safety) are kept with a
 * readers-writer lock (calls share it, load/unload/statistics take it alone)
 * and a lock per module (its store is single-threaded). */
#include "pyportalis.h"

#include <string.h>

typedef struct {
    PyObject_HEAD vectorcallfunc vectorcall;
    ppy_module *mod;
    pb_func h;
    PyObject *name;
    uint64_t last_ticks; /* duration of the previous call */
} ppy_function;

/* The GIL policy (python/README.md, Threads and the GIL): a call is run with
 * the GIL released unless the function's previous call took less than this
 * many time-stamp-counter ticks (about 25 to 100 us, whatever the TSC's
 * rate), as CPython's own short builtins keep it; releasing and taking it
 * back costs more than such a call. The bridge's release_gil="always" turns
 * this off. */
#define PPY_LONG_CALL_TICKS 100000u

static inline uint64_t now_ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#else
    return pb_now_ns() * 2;
#endif
}

/* ---- modules -------------------------------------------------------------- */

static void module_dealloc(ppy_module *m) {
    Py_XDECREF(m->name);
    Py_XDECREF(m->functions);
    pthread_mutex_destroy(&m->lock);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

PyTypeObject ppy_ModuleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "portalis._Module",
    .tp_basicsize = sizeof(ppy_module),
    .tp_dealloc = (destructor)module_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded module (internal).",
};

static ppy_module *module_new(ppy_bridge *br, pb_module_id id, PyObject *name) {
    ppy_module *m = PyObject_New(ppy_module, &ppy_ModuleType);
    if (!m)
        return NULL;
    m->bridge = br;
    m->id = id;
    m->name = Py_NewRef(name);
    m->exports = 0;
    pthread_mutex_init(&m->lock, NULL);
    m->functions = PyDict_New();
    if (!m->functions)
        Py_CLEAR(m);
    return m;
}

ppy_module *ppy_find_module(ppy_bridge *br, PyObject *module_id) {
    PyObject *m = PyDict_GetItemWithError(br->modules, module_id);
    if (m || PyErr_Occurred())
        return (ppy_module *)m;
    PyObject *keys = PyDict_Keys(br->modules);
    if (keys)
        PyErr_Format(ppy_ModuleNotLoaded, "no module %R is loaded (loaded: %R)", module_id, keys);
    Py_XDECREF(keys);
    return NULL;
}

/* ---- calls ------------------------------------------------------------------ */

enum { CALL_OK = 0, CALL_UNLOADED = -100, CALL_EXPORTED = -101, CALL_BUSY = -102 };

/* Takes the bridge shared and the module alone (waiting for them; or, with
 * try_only, only if they are free at once: CALL_BUSY otherwise, since a call
 * that keeps the GIL must not wait for another thread's), then calls h n
 * times, copying args (when not NULL) into the slots before each call. */
static int run_calls(ppy_bridge *br, ppy_module *m, const pb_func *h, uint64_t *slots, const uint64_t *args,
                     unsigned long long n, bool try_only, pb_error *err) {
    if ((try_only ? pthread_rwlock_tryrdlock(&br->rw) : pthread_rwlock_rdlock(&br->rw)) != 0)
        return CALL_BUSY;
    if ((try_only ? pthread_mutex_trylock(&m->lock) : pthread_mutex_lock(&m->lock)) != 0) {
        pthread_rwlock_unlock(&br->rw);
        return CALL_BUSY;
    }
    int rc = m->id == 0 ? CALL_UNLOADED : m->exports ? CALL_EXPORTED : CALL_OK;
    for (unsigned long long i = 0; rc == CALL_OK && i < n; i++) {
        if (args)
            memcpy(slots, args, (size_t)h->nparams * 8);
        rc = pb_func_call_slots(h, slots, err);
    }
    pthread_mutex_unlock(&m->lock);
    pthread_rwlock_unlock(&br->rw);
    return rc;
}

static PyObject *call_failed(ppy_function *f, int rc, const pb_error *err) {
    if (rc == CALL_UNLOADED)
        return PyErr_Format(ppy_ModuleNotLoaded, "module '%S' was unloaded", f->mod->name);
    if (rc == CALL_EXPORTED)
        return PyErr_Format(PyExc_BufferError,
                            "module '%S': a buffer over its memory is held (memoryview, numpy array); release "
                            "it before calling, since a call may grow and move the memory",
                            f->mod->name);
    return ppy_raise_pb(err, PyUnicode_AsUTF8(f->mod->name), f->h.name);
}

static PyObject *function_call_args(ppy_function *f, PyObject *const *args, size_t nargs) {
    const pb_func *h = &f->h;
    ppy_bridge *br = f->mod->bridge;
    if (!br)
        return PyErr_Format(ppy_ModuleNotLoaded, "module '%S': its bridge was freed", f->mod->name);
    if (nargs != h->nparams)
        return PyErr_Format(ppy_ArgumentError, "%s: expected %u argument%s, got %zu", h->name, h->nparams,
                            h->nparams == 1 ? "" : "s", nargs);
    uint64_t small[8], *slots = small;
    size_t n = h->nparams > h->nresults ? h->nparams : h->nresults;
    if (n > 8 && !(slots = PyMem_Calloc(n, 8)))
        return PyErr_NoMemory();
    PyObject *res = NULL;
    for (size_t i = 0; i < nargs; i++) {
        if (h->params[i] == PW_F64 && PyFloat_CheckExact(args[i])) { /* the common case, inline */
            double d = PyFloat_AS_DOUBLE(args[i]);
            memcpy(&slots[i], &d, 8);
        } else if (ppy_arg_to_slot(args[i], h->params[i], &slots[i]) < 0) {
            goto out;
        }
    }
    pb_error err;
    int rc = CALL_BUSY;
    Py_INCREF(br); /* the bridge outlives the call even if every other reference goes meanwhile */
    uint64_t t0 = now_ticks();
    if (!br->always_release && f->last_ticks < PPY_LONG_CALL_TICKS)
        rc = run_calls(br, f->mod, h, slots, NULL, 1, true, &err);
    if (rc == CALL_BUSY) {
        PyThreadState *ts = PyEval_SaveThread();
        rc = run_calls(br, f->mod, h, slots, NULL, 1, false, &err);
        PyEval_RestoreThread(ts);
    }
    f->last_ticks = now_ticks() - t0;
    res = rc == CALL_OK ? ppy_results_to_py(h, slots) : call_failed(f, rc, &err);
    Py_DECREF(br);
out:
    if (slots != small)
        PyMem_Free(slots);
    return res;
}

/* call_many(n, *args): the call n times in C (the GIL released once); the
 * last result. Measures the wasm call itself, without Python per call. */
static PyObject *function_call_many(ppy_function *f, PyObject *const *args, Py_ssize_t nargs) {
    const pb_func *h = &f->h;
    ppy_bridge *br = f->mod->bridge;
    unsigned long long n;
    if (nargs < 1 || (n = PyLong_AsUnsignedLongLong(args[0])) == (unsigned long long)-1)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "call_many(n, *args)");
    if (!br)
        return PyErr_Format(ppy_ModuleNotLoaded, "module '%S': its bridge was freed", f->mod->name);
    if ((size_t)nargs - 1 != h->nparams || h->nparams > 16 || h->nresults > 16)
        return PyErr_Format(ppy_ArgumentError, "%s: expected %u arguments after n", h->name, h->nparams);
    uint64_t in[16], slots[16] = {0};
    for (uint32_t i = 0; i < h->nparams; i++)
        if (ppy_arg_to_slot(args[i + 1], h->params[i], &in[i]) < 0)
            return NULL;
    pb_error err;
    Py_INCREF(br);
    PyThreadState *ts = PyEval_SaveThread();
    int rc = run_calls(br, f->mod, h, slots, in, n, false, &err);
    PyEval_RestoreThread(ts);
    PyObject *res = rc == CALL_OK ? ppy_results_to_py(h, slots) : call_failed(f, rc, &err);
    Py_DECREF(br);
    return res;
}

static PyMethodDef function_methods[] = {
    {"call_many", (PyCFunction)(void (*)(void))function_call_many, METH_FASTCALL,
     "call_many(n, *args): calls n times from C with the same arguments; returns the last result."},
    {NULL, NULL, 0, NULL},
};

static PyObject *function_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    if (kwnames && PyTuple_GET_SIZE(kwnames))
        return PyErr_Format(PyExc_TypeError, "wasm functions take positional arguments only");
    return function_call_args((ppy_function *)self, args, PyVectorcall_NARGS(nargsf));
}

static void function_dealloc(ppy_function *f) {
    Py_XDECREF(f->mod);
    Py_XDECREF(f->name);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyObject *function_get_params(ppy_function *f, void *c) {
    (void)c;
    return ppy_kinds_tuple(f->h.params, f->h.nparams);
}
static PyObject *function_get_results(ppy_function *f, void *c) {
    (void)c;
    return ppy_kinds_tuple(f->h.results, f->h.nresults);
}
static PyObject *function_get_module(ppy_function *f, void *c) {
    (void)c;
    return Py_NewRef(f->mod->name);
}
static PyObject *function_get_name(ppy_function *f, void *c) {
    (void)c;
    return Py_NewRef(f->name);
}
static PyObject *function_repr(ppy_function *f) {
    return PyUnicode_FromFormat("<portalis.Function %S.%S>", f->mod->name, f->name);
}

static PyGetSetDef function_getset[] = {
    {"params", (getter)function_get_params, NULL, "Parameter kinds ('i32', 'f64', ...).", NULL},
    {"results", (getter)function_get_results, NULL, "Result kinds.", NULL},
    {"module_id", (getter)function_get_module, NULL, "The module's id.", NULL},
    {"name", (getter)function_get_name, NULL, "The export's name.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject ppy_FunctionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "portalis.Function",
    .tp_basicsize = sizeof(ppy_function),
    .tp_dealloc = (destructor)function_dealloc,
    .tp_vectorcall_offset = offsetof(ppy_function, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)function_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "An exported wasm function, resolved once: calling it converts the arguments to the "
              "parameter kinds and returns None, a number or a tuple. Positional arguments only.",
    .tp_getset = function_getset,
    .tp_methods = function_methods,
};

/* One 64-bit slot per value (what function_call_args sizes its slots by). */
static bool scalar_only(const pb_func *h) {
    for (uint32_t i = 0; i < h->nparams + h->nresults; i++) {
        pw_valkind k = i < h->nparams ? h->params[i] : h->results[i - h->nparams];
        if (k != PW_I32 && k != PW_I64 && k != PW_F32 && k != PW_F64)
            return false;
    }
    return true;
}

/* The cached Function of module m named name (a borrowed reference). */
static ppy_function *get_function(ppy_module *m, PyObject *name) {
    PyObject *f = PyDict_GetItemWithError(m->functions, name);
    if (f || PyErr_Occurred())
        return (ppy_function *)f;
    const char *s = PyUnicode_AsUTF8(name);
    if (!s)
        return NULL;
    ppy_function *fn = PyObject_New(ppy_function, &ppy_FunctionType);
    if (!fn)
        return NULL;
    fn->vectorcall = function_vectorcall;
    fn->mod = (ppy_module *)Py_NewRef(m);
    fn->name = Py_NewRef(name);
    fn->last_ticks = PPY_LONG_CALL_TICKS; /* the first call releases the GIL */
    pb_error err;
    /* lookup changes the module's statistics table: the bridge exclusively */
    PyThreadState *ts = PyEval_SaveThread();
    pthread_rwlock_wrlock(&m->bridge->rw);
    int rc = m->id ? pb_func_lookup(m->bridge->b, m->id, s, &fn->h, &err) : CALL_UNLOADED;
    pthread_rwlock_unlock(&m->bridge->rw);
    PyEval_RestoreThread(ts);
    if (rc) {
        PyObject *r = rc == CALL_UNLOADED ? PyErr_Format(ppy_ModuleNotLoaded, "module '%S' was unloaded", m->name)
                                          : ppy_raise_pb(&err, PyUnicode_AsUTF8(m->name), s);
        Py_DECREF(fn);
        return (ppy_function *)r;
    }
    if (!scalar_only(&fn->h)) {
        Py_DECREF(fn);
        return (ppy_function *)PyErr_Format(ppy_ArgumentError,
                                            "module '%S': '%s' takes or returns v128 or reference values, which "
                                            "Python calls do not pass (i32, i64, f32 and f64 only)",
                                            m->name, s);
    }
    int bad = PyDict_SetItem(m->functions, name, (PyObject *)fn);
    Py_DECREF(fn); /* the dict holds it */
    return bad ? NULL : fn;
}

static ppy_call_entry *call_entry(ppy_bridge *self, PyObject *module_id, PyObject *name) {
    uintptr_t k = ((uintptr_t)module_id >> 4) ^ ((uintptr_t)name >> 6);
    return &self->calls[k % PPY_CALL_CACHE];
}

static void clear_call_cache(ppy_bridge *self) {
    for (size_t i = 0; i < PPY_CALL_CACHE; i++) {
        ppy_call_entry *e = &self->calls[i];
        Py_CLEAR(e->module_id);
        Py_CLEAR(e->name);
        Py_CLEAR(e->function);
    }
}

/* ---- the bridge ---------------------------------------------------------------- */

static int bridge_init(ppy_bridge *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"max_memory_mb",  "enable_wasi",   "cache_enabled", "call_deadline_ms", "call_fuel",
                             "max_call_depth", "collect_stats", "tier",          "release_gil",      NULL};
    pb_config c = pb_config_default();
    unsigned int mem = c.max_memory_mb, depth = 0;
    int wasi = c.enable_wasi, cache = c.cache_enabled, stats = c.collect_stats;
    double deadline_ms = 0;
    unsigned long long fuel = 0;
    const char *tier = "interp", *gil = "auto";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|IppdKIpss:WasmtimeBridge", kwlist, &mem, &wasi, &cache,
                                     &deadline_ms, &fuel, &depth, &stats, &tier, &gil))
        return -1;
    if (strcmp(gil, "auto") != 0 && strcmp(gil, "always") != 0)
        return PyErr_Format(PyExc_ValueError, "release_gil must be 'auto' or 'always', not '%s'", gil), -1;
    self->always_release = gil[0] == 'a' && gil[1] == 'l';
    if (self->b)
        return PyErr_Format(PyExc_RuntimeError, "the bridge is already initialised"), -1;
    if (!pb_tier_parse(tier, &c.tier) || deadline_ms < 0)
        return PyErr_Format(PyExc_ValueError, "tier must be 'interp', 'native' or 'auto' and the deadline >= 0"),
               -1;
    c.max_memory_mb = mem;
    c.enable_wasi = wasi;
    c.cache_enabled = cache;
    c.call_deadline_ns = (uint64_t)(deadline_ms * 1e6);
    c.call_fuel = fuel;
    c.max_call_depth = depth;
    c.collect_stats = stats;
    self->modules = PyDict_New();
    self->b = self->modules ? pb_bridge_new(&c) : NULL;
    if (!self->b)
        return PyErr_NoMemory(), -1;
    pthread_rwlock_init(&self->rw, NULL);
    return 0;
}

static void bridge_dealloc(ppy_bridge *self) {
    clear_call_cache(self);
    if (self->modules) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(self->modules, &pos, &k, &v)) {
            ((ppy_module *)v)->bridge = NULL;
            ((ppy_module *)v)->id = 0;
        }
        Py_DECREF(self->modules);
    }
    if (self->b) {
        pb_bridge_free(self->b);
        pthread_rwlock_destroy(&self->rw);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_ready(ppy_bridge *self) {
    if (self->b)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "the bridge is not initialised (call __init__)");
    return -1;
}

/* A fresh id: the requested one, or the file stem, "_2", "_3"... when taken. */
static PyObject *choose_id(ppy_bridge *self, PyObject *want, const char *stem) {
    if (want && want != Py_None) {
        if (!PyUnicode_Check(want))
            return PyErr_Format(PyExc_TypeError, "module_id must be a str");
        int has = PyDict_Contains(self->modules, want);
        if (has)
            return has < 0 ? NULL : PyErr_Format(PyExc_ValueError, "module id '%S' is already loaded", want);
        return Py_NewRef(want);
    }
    PyObject *id = PyUnicode_FromString(stem);
    for (int n = 2; id;) {
        int has = PyDict_Contains(self->modules, id);
        if (has == 0)
            return id;
        Py_DECREF(id);
        id = has < 0 ? NULL : PyUnicode_FromFormat("%s_%d", stem, n++);
    }
    return NULL;
}

static void file_stem(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, cap, "%s", base[0] ? base : "module");
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

static PyObject *register_module(ppy_bridge *self, pb_module_id mid, PyObject *id) {
    ppy_module *m = module_new(self, mid, id);
    if (!m || PyDict_SetItem(self->modules, id, (PyObject *)m) < 0) {
        Py_XDECREF(m);
        pb_unload_module(self->b, mid);
        return NULL;
    }
    Py_DECREF(m);
    return Py_NewRef(id);
}

/* Loads from a file (path) or bytes (data, len); the GIL is released. */
static PyObject *load(ppy_bridge *self, const char *path, const Py_buffer *data, PyObject *want,
                      const char *tier) {
    char stem[256];
    file_stem(path ? path : "module", stem, sizeof stem);
    PyObject *id = choose_id(self, want, stem);
    if (!id)
        return NULL;
    pb_load_options o = {.name = PyUnicode_AsUTF8(id), .run_initialize = true};
    if (tier && !pb_tier_parse(tier, &o.tier)) {
        Py_DECREF(id);
        return PyErr_Format(PyExc_ValueError, "tier must be 'interp', 'native' or 'auto', not '%s'", tier);
    }
    pb_error err;
    pb_module_id mid = 0;
    PyThreadState *ts = PyEval_SaveThread();
    pthread_rwlock_wrlock(&self->rw);
    int rc = path ? pb_load_module_file(self->b, path, &o, &mid, &err)
                  : pb_load_module_bytes(self->b, data->buf, (size_t)data->len, &o, &mid, &err);
    pthread_rwlock_unlock(&self->rw);
    PyEval_RestoreThread(ts);
    PyObject *res = rc ? ppy_raise_pb(&err, o.name, NULL) : register_module(self, mid, id);
    Py_DECREF(id);
    return res;
}

static PyObject *bridge_load_module(ppy_bridge *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "module_id", "tier", NULL};
    PyObject *path = NULL, *want = Py_None;
    const char *tier = NULL;
    if (check_ready(self) < 0 || !PyArg_ParseTupleAndKeywords(args, kw, "O&|Oz:load_module", kwlist,
                                                              PyUnicode_FSConverter, &path, &want, &tier))
        return NULL;
    PyObject *r = load(self, PyBytes_AS_STRING(path), NULL, want, tier);
    Py_DECREF(path);
    return r;
}

static PyObject *bridge_load_module_bytes(ppy_bridge *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"data", "module_id", "tier", NULL};
    Py_buffer data;
    PyObject *want = Py_None;
    const char *tier = NULL;
    if (check_ready(self) < 0 ||
        !PyArg_ParseTupleAndKeywords(args, kw, "y*|Oz:load_module_bytes", kwlist, &data, &want, &tier))
        return NULL;
    PyObject *r = load(self, NULL, &data, want, tier);
    PyBuffer_Release(&data);
    return r;
}

static PyObject *bridge_unload_module(ppy_bridge *self, PyObject *module_id) {
    if (check_ready(self) < 0)
        return NULL;
    ppy_module *m = ppy_find_module(self, module_id);
    if (!m)
        return NULL;
    Py_INCREF(m);
    PyThreadState *ts = PyEval_SaveThread();
    pthread_rwlock_wrlock(&self->rw);
    pthread_mutex_lock(&m->lock);
    bool exported = m->exports != 0; /* a view over the memory would dangle */
    if (!exported) {
        pb_unload_module(self->b, m->id);
        m->id = 0;
    }
    pthread_mutex_unlock(&m->lock);
    pthread_rwlock_unlock(&self->rw);
    PyEval_RestoreThread(ts);
    if (!exported)
        clear_call_cache(self); /* its Functions, and the id may be loaded again */
    int rc = exported ? -1 : PyDict_DelItem(self->modules, module_id);
    if (exported)
        PyErr_Format(PyExc_BufferError, "module '%S': a buffer over its memory is held; release it first",
                     m->name);
    else
        PyDict_Clear(m->functions); /* Function objects users hold keep m, and fail as unloaded */
    Py_DECREF(m);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *bridge_get_function(ppy_bridge *self, PyObject *const *args, Py_ssize_t nargs) {
    if (check_ready(self) < 0)
        return NULL;
    if (nargs != 2 || !PyUnicode_Check(args[1]))
        return PyErr_Format(PyExc_TypeError, "get_function(module_id, name: str)");
    ppy_module *m = ppy_find_module(self, args[0]);
    ppy_function *f = m ? get_function(m, args[1]) : NULL;
    return f ? Py_NewRef((PyObject *)f) : NULL;
}

static PyObject *bridge_call_function(ppy_bridge *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs >= 2) {
        ppy_call_entry *e = call_entry(self, args[0], args[1]);
        if (e->module_id == args[0] && e->name == args[1])
            return function_call_args((ppy_function *)e->function, args + 2, (size_t)nargs - 2);
    }
    if (nargs < 2 || !PyUnicode_Check(args[1]))
        return PyErr_Format(PyExc_TypeError, "call_function(module_id, function: str, *args)");
    if (check_ready(self) < 0)
        return NULL;
    ppy_module *m = ppy_find_module(self, args[0]);
    ppy_function *f = m ? get_function(m, args[1]) : NULL;
    if (!f)
        return NULL;
    ppy_call_entry *e = call_entry(self, args[0], args[1]);
    Py_XSETREF(e->module_id, Py_NewRef(args[0]));
    Py_XSETREF(e->name, Py_NewRef(args[1]));
    Py_XSETREF(e->function, Py_NewRef((PyObject *)f));
    return function_call_args(f, args + 2, (size_t)nargs - 2);
}

static PyObject *bridge_memory(ppy_bridge *self, PyObject *module_id) {
    if (check_ready(self) < 0)
        return NULL;
    ppy_module *m = ppy_find_module(self, module_id);
    return m ? ppy_memory_new(m) : NULL;
}

/* Safe while another thread runs the module: the running call (or the next
 * one) traps with kind "deadline". */
static PyObject *bridge_interrupt(ppy_bridge *self, PyObject *module_id) {
    if (check_ready(self) < 0)
        return NULL;
    ppy_module *m = ppy_find_module(self, module_id);
    if (!m)
        return NULL;
    PyThreadState *ts = PyEval_SaveThread();
    pthread_rwlock_rdlock(&self->rw);
    pw_store *store = m->id ? pb_module_store(self->b, m->id) : NULL;
    if (store)
        pw_store_interrupt(store);
    pthread_rwlock_unlock(&self->rw);
    PyEval_RestoreThread(ts);
    if (!store)
        return PyErr_Format(ppy_ModuleNotLoaded, "module '%S' was unloaded", m->name);
    Py_RETURN_NONE;
}

static PyObject *bridge_module_ids(ppy_bridge *self, PyObject *unused) {
    (void)unused;
    return self->modules ? PyDict_Keys(self->modules) : PyList_New(0);
}

static PyMethodDef bridge_methods[] = {
    {"load_module", (PyCFunction)(void (*)(void))bridge_load_module, METH_VARARGS | METH_KEYWORDS,
     "load_module(path, module_id=None, tier=None) -> module id (the file stem unless given)."},
    {"load_module_bytes", (PyCFunction)(void (*)(void))bridge_load_module_bytes, METH_VARARGS | METH_KEYWORDS,
     "load_module_bytes(data, module_id=None, tier=None) -> module id."},
    {"unload_module", (PyCFunction)bridge_unload_module, METH_O, "unload_module(module_id)."},
    {"get_function", (PyCFunction)(void (*)(void))bridge_get_function, METH_FASTCALL,
     "get_function(module_id, name) -> Function (the fastest way to call repeatedly)."},
    {"call_function", (PyCFunction)(void (*)(void))bridge_call_function, METH_FASTCALL,
     "call_function(module_id, name, *args) -> None, a number or a tuple."},
    {"memory", (PyCFunction)bridge_memory, METH_O, "memory(module_id) -> Memory (its exported memory)."},
    {"interrupt", (PyCFunction)bridge_interrupt, METH_O,
     "interrupt(module_id): from any thread, stops the module's running call (BudgetExceeded, kind 'deadline')."},
    {"module_ids", (PyCFunction)bridge_module_ids, METH_NOARGS, "Ids of the loaded modules, in load order."},
    {"module_info", (PyCFunction)ppy_bridge_module_info, METH_O,
     "module_info(module_id) -> dict: load time, memory, tier, exported functions."},
    {"raw_stats", (PyCFunction)ppy_bridge_raw_stats, METH_NOARGS,
     "Per module and function statistics, in nanoseconds (get_performance_stats builds on it)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject ppy_BridgeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "portalis._Bridge",
    .tp_basicsize = sizeof(ppy_bridge),
    .tp_dealloc = (destructor)bridge_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The core of portalis.WasmtimeBridge.",
    .tp_methods = bridge_methods,
    .tp_init = (initproc)bridge_init,
    .tp_new = PyType_GenericNew,
};

int ppy_bridge_types(PyObject *mod) {
    PyTypeObject *types[] = {&ppy_BridgeType, &ppy_ModuleType, &ppy_FunctionType, &ppy_MemoryType};
    const char *names[] = {"_Bridge", "_Module", "Function", "Memory"};
    for (size_t i = 0; i < 4; i++)
        if (ppy_add_type(mod, types[i], names[i]) < 0)
            return -1;
    return 0;
}
