/* The bridge's statistics and module descriptions as Python dicts. Reading
 * statistics must not overlap calls (include/portalis/bridge.h), so these
 * take the bridge's lock exclusively, with the GIL released while waiting. */
#include "pyportalis.h"

static int set_item(PyObject *d, const char *key, PyObject *v) {
    if (!v)
        return -1;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc;
}

static PyObject *call_stats_dict(const pb_call_stats *s) {
    PyObject *d = PyDict_New();
    if (d && (set_item(d, "calls", PyLong_FromUnsignedLongLong(s->calls)) < 0 ||
              set_item(d, "errors", PyLong_FromUnsignedLongLong(s->errors)) < 0 ||
              set_item(d, "mean_ns", PyFloat_FromDouble(s->mean_ns)) < 0 ||
              set_item(d, "median_ns", PyFloat_FromDouble(s->median_ns)) < 0 ||
              set_item(d, "p99_ns", PyFloat_FromDouble(s->p99_ns)) < 0 ||
              set_item(d, "max_ns", PyLong_FromUnsignedLongLong(s->max_ns)) < 0 ||
              set_item(d, "total_ns", PyLong_FromUnsignedLongLong(s->total_ns)) < 0))
        Py_CLEAR(d);
    return d;
}

static PyObject *functions_dict(pb_bridge *b, pb_module_id id, size_t n) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < n; i++) {
        pb_call_stats cs;
        if (pb_get_function_stats(b, id, i, &cs))
            continue;
        if (set_item(d, cs.function, call_stats_dict(&cs)) < 0)
            Py_CLEAR(d);
    }
    return d;
}

static PyObject *module_stats_dict(pb_bridge *b, pb_module_id id) {
    pb_module_stats ms;
    if (pb_get_module_stats(b, id, &ms))
        return PyErr_Format(ppy_ModuleNotLoaded, "module %u is not loaded", (unsigned)id);
    const char *note = NULL;
    pw_tier_kind tier = pb_module_tier(b, id, &note);
    PyObject *d = PyDict_New();
    if (d && (set_item(d, "load_ns", PyLong_FromUnsignedLongLong(ms.load_ns)) < 0 ||
              set_item(d, "cache_hit", PyBool_FromLong(ms.cache_hit)) < 0 ||
              set_item(d, "memory_bytes", PyLong_FromUnsignedLongLong(ms.memory_bytes)) < 0 ||
              set_item(d, "tier", PyUnicode_FromString(pw_tier_name(tier))) < 0 ||
              set_item(d, "all", call_stats_dict(&ms.all)) < 0 ||
              set_item(d, "functions", functions_dict(b, id, ms.nfunctions)) < 0))
        Py_CLEAR(d);
    return d;
}

static PyThreadState *lock_alone(ppy_bridge *self) {
    PyThreadState *ts = PyEval_SaveThread();
    pthread_rwlock_wrlock(&self->rw);
    return ts;
}

static void unlock_alone(ppy_bridge *self, PyThreadState *ts) {
    pthread_rwlock_unlock(&self->rw);
    PyEval_RestoreThread(ts);
}

/* Statistics are copied out under the lock; Python objects are built while it
 * is held too, but with the GIL taken back first (the order GIL -> lock never
 * happens the other way round, so no deadlock: callers holding the lock never
 * wait for the GIL). */
PyObject *ppy_bridge_raw_stats(ppy_bridge *self, PyObject *unused) {
    (void)unused;
    if (!self->b)
        return PyErr_Format(PyExc_RuntimeError, "the bridge is not initialised");
    PyObject *out = PyDict_New(), *k, *v;
    Py_ssize_t pos = 0;
    PyThreadState *ts = lock_alone(self);
    PyEval_RestoreThread(ts);
    while (out && PyDict_Next(self->modules, &pos, &k, &v))
        if (PyDict_SetItem(out, k, module_stats_dict(self->b, ((ppy_module *)v)->id)) < 0)
            Py_CLEAR(out);
    ts = PyEval_SaveThread();
    unlock_alone(self, ts);
    return out;
}

static PyObject *export_list(pw_module *pm) {
    PyObject *list = PyList_New(0);
    size_t n = pm ? pw_module_export_count(pm) : 0;
    for (size_t i = 0; list && i < n; i++) {
        const char *name;
        pw_externtype t;
        if (!pw_module_export(pm, i, &name, &t) || t.kind != PW_EXTERN_FUNC)
            continue;
        PyObject *params = ppy_kinds_tuple(t.func.params, t.func.nparams),
                 *results = ppy_kinds_tuple(t.func.results, t.func.nresults);
        PyObject *e = params && results ? Py_BuildValue("(sOO)", name, params, results) : NULL;
        Py_XDECREF(params);
        Py_XDECREF(results);
        if (!e || PyList_Append(list, e) < 0)
            Py_CLEAR(list);
        Py_XDECREF(e);
    }
    return list;
}

PyObject *ppy_bridge_module_info(ppy_bridge *self, PyObject *module_id) {
    if (!self->b)
        return PyErr_Format(PyExc_RuntimeError, "the bridge is not initialised");
    ppy_module *m = ppy_find_module(self, module_id);
    if (!m)
        return NULL;
    PyThreadState *ts = lock_alone(self);
    PyEval_RestoreThread(ts);
    PyObject *d = module_stats_dict(self->b, m->id);
    pw_instance *inst = pb_module_instance(self->b, m->id);
    if (d && set_item(d, "exports", export_list(inst ? pw_instance_module(inst) : NULL)) < 0)
        Py_CLEAR(d);
    ts = PyEval_SaveThread();
    unlock_alone(self, ts);
    return d;
}
