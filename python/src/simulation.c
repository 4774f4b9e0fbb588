/* `_Simulation`: the host (ph_host) running a USD scene's Wasm modules frame
 * by frame. Frames run without the GIL; a lock keeps the host to one thread
 * at a time (include/portalis/host.h). */
#include "pyportalis.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    PyObject_HEAD ph_host *h;
    pthread_mutex_t lock;
    bool lock_ready;
    bool realtime;
    PyObject *module_path; /* bytes kept alive: ph_config does not copy it */
} ppy_sim;

static void sim_dealloc(ppy_sim *s) {
    ph_host_free(s->h);
    if (s->lock_ready)
        pthread_mutex_destroy(&s->lock);
    Py_XDECREF(s->module_path);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static int parse_config(PyObject *args, PyObject *kw, ph_config *c, PyObject **scene, PyObject **mpath) {
    static char *kwlist[] = {"scene",         "fps",  "threads", "realtime",    "budget_ms", "fuel",
                             "max_memory_mb", "tier", "record",  "module_path", NULL};
    double budget_ms = (double)c->call_budget_ns / 1e6;
    int realtime = 0, record = 1;
    const char *tier = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|dIpdKIzpO&:Simulation", kwlist, PyUnicode_FSConverter, scene,
                                     &c->fps, &c->threads, &realtime, &budget_ms, &c->call_fuel,
                                     &c->max_memory_mb, &tier, &record, PyUnicode_FSConverter, mpath))
        return -1;
    c->realtime = realtime;
    c->record = record;
    if (tier && !pb_tier_parse(tier, &c->tier))
        return PyErr_Format(PyExc_ValueError, "tier must be 'interp', 'native' or 'auto', not '%s'", tier), -1;
    if (!(budget_ms >= 0) || c->fps < 0 || c->threads == 0)
        return PyErr_Format(PyExc_ValueError, "budget_ms and fps must be >= 0 and threads >= 1"), -1;
    c->call_budget_ns = (uint64_t)(budget_ms * 1e6);
    if (*mpath)
        c->module_path = PyBytes_AS_STRING(*mpath);
    return 0;
}

static int sim_init(ppy_sim *s, PyObject *args, PyObject *kw) {
    if (s->h)
        return PyErr_Format(PyExc_RuntimeError, "simulation already initialised"), -1;
    ph_config c = ph_config_default();
    PyObject *scene = NULL, *mpath = NULL;
    if (parse_config(args, kw, &c, &scene, &mpath) < 0) {
        Py_XDECREF(scene);
        Py_XDECREF(mpath);
        return -1;
    }
    s->module_path = mpath;
    char err[1024] = "";
    PyThreadState *ts = PyEval_SaveThread();
    int rc = ph_host_open(PyBytes_AS_STRING(scene), &c, &s->h, err, sizeof err);
    PyEval_RestoreThread(ts);
    Py_DECREF(scene);
    if (rc)
        return PyErr_Format(rc == 1 || err[0] ? ppy_UsdError : PyExc_OSError, "%s", err), -1;
    pthread_mutex_init(&s->lock, NULL);
    s->lock_ready = true;
    s->realtime = c.realtime;
    return 0;
}

static int ready(ppy_sim *s) {
    if (s->h)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "the simulation is not open");
    return -1;
}

/* Takes the host's lock, waiting without the GIL if another thread runs it. */
static void lock(ppy_sim *s) {
    if (pthread_mutex_trylock(&s->lock) == 0)
        return;
    PyThreadState *ts = PyEval_SaveThread();
    pthread_mutex_lock(&s->lock);
    PyEval_RestoreThread(ts);
}

static int step_unlocked(ppy_sim *s, uint64_t frames) {
    PyThreadState *ts = PyEval_SaveThread();
    int rc = ph_host_run(s->h, frames, NULL, NULL);
    PyEval_RestoreThread(ts);
    return rc;
}

static PyObject *sim_step(ppy_sim *s, PyObject *unused) {
    (void)unused;
    if (ready(s) < 0)
        return NULL;
    lock(s);
    int rc = step_unlocked(s, 1);
    pthread_mutex_unlock(&s->lock);
    return PyBool_FromLong(rc == 0);
}

typedef struct {
    PyObject *progress;
    bool failed;
} progress_ctx;

/* Real-time runs pace frames inside ph_host_run; the callback takes the GIL. */
static void progress_cb(uint64_t done, uint64_t total, void *user) {
    progress_ctx *c = user;
    PyGILState_STATE g = PyGILState_Ensure();
    if (!c->failed && c->progress) {
        PyObject *r =
            PyObject_CallFunction(c->progress, "KK", (unsigned long long)done, (unsigned long long)total);
        c->failed = !r;
        Py_XDECREF(r);
    }
    if (!c->failed && PyErr_CheckSignals() < 0)
        c->failed = true;
    PyGILState_Release(g);
}

/* Frame by frame (no pacing): a callback exception or Ctrl-C stops the run. */
static int run_frames(ppy_sim *s, uint64_t frames, PyObject *progress, int *rc) {
    for (uint64_t i = 0; i < frames; i++) {
        *rc |= step_unlocked(s, 1);
        if (PyErr_CheckSignals() < 0)
            return -1;
        if (progress) {
            PyObject *r =
                PyObject_CallFunction(progress, "KK", (unsigned long long)i + 1, (unsigned long long)frames);
            if (!r)
                return -1;
            Py_DECREF(r);
        }
    }
    return 0;
}

static PyObject *sim_run(ppy_sim *s, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"frames", "progress", NULL};
    unsigned long long frames;
    PyObject *progress = Py_None;
    if (ready(s) < 0 || !PyArg_ParseTupleAndKeywords(args, kw, "K|O:run", kwlist, &frames, &progress))
        return NULL;
    if (progress == Py_None)
        progress = NULL;
    lock(s);
    int rc = 0, bad;
    if (s->realtime) {
        progress_ctx c = {progress, false};
        PyThreadState *ts = PyEval_SaveThread();
        rc = ph_host_run(s->h, frames, progress_cb, &c);
        PyEval_RestoreThread(ts);
        bad = c.failed ? -1 : 0;
    } else {
        bad = run_frames(s, frames, progress, &rc);
    }
    pthread_mutex_unlock(&s->lock);
    return bad ? NULL : PyBool_FromLong(rc == 0);
}

static PyObject *sim_frame(ppy_sim *s, void *c) {
    (void)c;
    return ready(s) < 0 ? NULL : PyLong_FromUnsignedLongLong(ph_host_frame(s->h));
}

static PyObject *sim_time(ppy_sim *s, void *c) {
    (void)c;
    return ready(s) < 0 ? NULL : PyFloat_FromDouble(ph_host_time(s->h));
}

static PyObject *sim_get_value(ppy_sim *s, PyObject *args) {
    const char *prim, *attr;
    if (ready(s) < 0 || !PyArg_ParseTuple(args, "ss:get_value", &prim, &attr))
        return NULL;
    lock(s);
    double small[16];
    long n = ph_host_get_value(s->h, prim, attr, small, 16);
    double *buf = small;
    if (n > 16 && (buf = PyMem_Malloc((size_t)n * sizeof *buf)))
        ph_host_get_value(s->h, prim, attr, buf, (size_t)n);
    pthread_mutex_unlock(&s->lock);
    if (n < 0)
        return PyErr_Format(PyExc_KeyError, "no channel %s.%s (a module input or output, or a connected target)",
                            prim, attr);
    if (!buf)
        return PyErr_NoMemory();
    PyObject *r = n == 1 ? PyFloat_FromDouble(buf[0]) : ppy_doubles(buf, (size_t)n, true);
    if (buf != small)
        PyMem_Free(buf);
    return r;
}

static PyObject *hist_dict(const pb_histogram *h) {
    return Py_BuildValue("{s:d,s:d,s:d,s:d}", "mean_ms", h ? pb_histogram_mean(h) / 1e6 : 0.0, "median_ms",
                         h ? pb_histogram_quantile(h, 0.5) / 1e6 : 0.0, "p99_ms",
                         h ? pb_histogram_quantile(h, 0.99) / 1e6 : 0.0, "max_ms",
                         h ? pb_histogram_quantile(h, 1.0) / 1e6 : 0.0);
}

static PyObject *module_dict(const ph_module_info *m) {
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:s,s:s,s:d,s:s,s:K,s:K,s:K,s:K,s:K,s:d,s:K,s:N,s:z,s:s,s:z}",
                         "prim_path", m->prim_path, "schema", m->schema, "wasm_path",
                         m->wasm_path ? m->wasm_path : "", "entry", m->entry ? m->entry : "", "binding",
                         m->binding ? m->binding : "", "mode", m->mode ? m->mode : "", "update_rate",
                         m->update_rate, "state", ph_mod_state_name(m->state), "runs",
                         (unsigned long long)m->runs, "steps", (unsigned long long)m->steps, "overruns",
                         (unsigned long long)m->overruns, "traps", (unsigned long long)m->traps, "skipped_steps",
                         (unsigned long long)m->skipped_steps, "load_ms", (double)m->load_ns / 1e6,
                         "memory_bytes", (unsigned long long)m->memory_bytes, "latency", hist_dict(m->latency),
                         "last_error", m->last_error, "tier", m->tier ? m->tier : "", "tier_note", m->tier_note);
}

static PyObject *sim_modules(ppy_sim *s, PyObject *unused) {
    (void)unused;
    if (ready(s) < 0)
        return NULL;
    lock(s);
    size_t n = ph_host_module_count(s->h);
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        ph_module_info m;
        if (ph_host_module_info(s->h, i, &m))
            continue;
        PyObject *d = module_dict(&m);
        if (!d || PyList_Append(list, d) < 0)
            Py_CLEAR(list);
        Py_XDECREF(d);
    }
    pthread_mutex_unlock(&s->lock);
    return list;
}

static PyObject *sim_report(ppy_sim *s, PyObject *unused) {
    (void)unused;
    if (ready(s) < 0)
        return NULL;
    lock(s);
    ph_report r;
    ph_host_report(s->h, &r);
    ph_time t;
    ph_host_time_settings(s->h, &t);
    double mean_ms = r.frame_latency ? pb_histogram_mean(r.frame_latency) / 1e6 : 0;
    PyObject *d =
        Py_BuildValue("{s:K,s:d,s:N,s:d,s:d,s:d,s:n,s:n,s:n,s:n,s:d}", "frames", (unsigned long long)r.frames,
                      "wall_s", r.wall_s, "frame_time", hist_dict(r.frame_latency), "fps_equivalent",
                      mean_ms > 0 ? 1000.0 / mean_ms : 0.0, "load_ms", (double)r.load_ns / 1e6, "scene_ms",
                      (double)r.scene_ns / 1e6, "modules", (Py_ssize_t)r.modules, "failed_modules",
                      (Py_ssize_t)r.failed_modules, "loaded_modules", (Py_ssize_t)r.loaded_modules,
                      "recorded_attributes", (Py_ssize_t)r.recorded_attributes, "fps", t.fps);
    pthread_mutex_unlock(&s->lock);
    return d;
}

static PyObject *sim_diagnostics(ppy_sim *s, PyObject *unused) {
    (void)unused;
    if (ready(s) < 0)
        return NULL;
    lock(s);
    size_t n = ph_host_diagnostic_count(s->h);
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        if (ppy_append_str(list, ph_host_diagnostic(s->h, i)) < 0)
            Py_CLEAR(list);
    }
    pthread_mutex_unlock(&s->lock);
    return list;
}

static PyObject *sim_save(ppy_sim *s, PyObject *args) {
    PyObject *path;
    if (ready(s) < 0 || !PyArg_ParseTuple(args, "O&:save", PyUnicode_FSConverter, &path))
        return NULL;
    char err[1024] = "";
    lock(s);
    int rc = ph_host_check_output_path(s->h, PyBytes_AS_STRING(path), err, sizeof err);
    if (rc == 0) {
        PyThreadState *ts = PyEval_SaveThread();
        rc = ph_host_save(s->h, PyBytes_AS_STRING(path), err, sizeof err);
        PyEval_RestoreThread(ts);
    }
    pthread_mutex_unlock(&s->lock);
    Py_DECREF(path);
    if (rc)
        return PyErr_Format(PyExc_OSError, "%s", err);
    Py_RETURN_NONE;
}

static PyObject *sim_trigger(ppy_sim *s, PyObject *args) {
    const char *prim;
    if (ready(s) < 0 || !PyArg_ParseTuple(args, "s:trigger", &prim))
        return NULL;
    lock(s);
    int rc = ph_host_trigger(s->h, prim);
    pthread_mutex_unlock(&s->lock);
    if (rc)
        return PyErr_Format(PyExc_KeyError, "no module at prim %s", prim);
    Py_RETURN_NONE;
}

static PyObject *sim_post_event(ppy_sim *s, PyObject *args) {
    const char *name;
    if (ready(s) < 0 || !PyArg_ParseTuple(args, "s:post_event", &name))
        return NULL;
    lock(s);
    int rc = ph_host_post_event(s->h, name);
    pthread_mutex_unlock(&s->lock);
    if (rc)
        return PyErr_Format(ppy_Error, "cannot post event '%s'", name);
    Py_RETURN_NONE;
}

static PyObject *sim_rescan(ppy_sim *s, PyObject *args) {
    int force = 0;
    if (ready(s) < 0 || !PyArg_ParseTuple(args, "|p:rescan", &force))
        return NULL;
    char err[1024] = "";
    lock(s);
    PyThreadState *ts = PyEval_SaveThread();
    int rc = ph_host_rescan(s->h, force, err, sizeof err);
    PyEval_RestoreThread(ts);
    pthread_mutex_unlock(&s->lock);
    if (rc < 0)
        return PyErr_Format(ppy_UsdError, "%s", err);
    return PyBool_FromLong(rc == 1);
}

static PyObject *sim_bridge_stats_json(ppy_sim *s, PyObject *unused) {
    (void)unused;
    if (ready(s) < 0)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return PyErr_NoMemory();
    lock(s);
    pb_write_stats_json(ph_host_bridge(s->h), f);
    pthread_mutex_unlock(&s->lock);
    fclose(f);
    PyObject *r = PyUnicode_FromStringAndSize(buf, (Py_ssize_t)len);
    free(buf);
    return r;
}

static PyMethodDef sim_methods[] = {
    {"step", (PyCFunction)sim_step, METH_NOARGS, "Runs one frame; False if a module failed in it."},
    {"run", (PyCFunction)(void (*)(void))sim_run, METH_VARARGS | METH_KEYWORDS,
     "run(frames, progress=None): progress(done, total) after each frame. False if a module failed."},
    {"get_value", (PyCFunction)sim_get_value, METH_VARARGS,
     "get_value(prim_path, attr) -> float or tuple: a module input/output or connected target."},
    {"modules", (PyCFunction)sim_modules, METH_NOARGS, "The scene's modules with state and latency."},
    {"report", (PyCFunction)sim_report, METH_NOARGS, "The run's report as a dict."},
    {"diagnostics", (PyCFunction)sim_diagnostics, METH_NOARGS, "Module problems, in order."},
    {"save", (PyCFunction)sim_save, METH_VARARGS, "save(path): the recorded output layer (atomically)."},
    {"trigger", (PyCFunction)sim_trigger, METH_VARARGS,
     "trigger(prim_path): run an on_demand module next frame."},
    {"post_event", (PyCFunction)sim_post_event, METH_VARARGS, "post_event(name): event_driven modules run."},
    {"rescan", (PyCFunction)sim_rescan, METH_VARARGS, "rescan(force=False) -> True if the scene was rebuilt."},
    {"bridge_stats_json", (PyCFunction)sim_bridge_stats_json, METH_NOARGS,
     "The bridge's statistics (JSON text)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef sim_getset[] = {
    {"frame", (getter)sim_frame, NULL, "Index of the next frame.", NULL},
    {"time", (getter)sim_time, NULL, "Simulation time of the next frame (s).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject ppy_SimulationType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "portalis._Simulation",
    .tp_basicsize = sizeof(ppy_sim),
    .tp_dealloc = (destructor)sim_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "_Simulation(scene, fps=0, threads=1, realtime=False, budget_ms=100, fuel=0, max_memory_mb=0, "
              "tier=None, record=True, module_path=None)",
    .tp_methods = sim_methods,
    .tp_getset = sim_getset,
    .tp_init = (initproc)sim_init,
    .tp_new = PyType_GenericNew,
};

int ppy_simulation_types(PyObject *mod) { return ppy_add_type(mod, &ppy_SimulationType, "_Simulation"); }
