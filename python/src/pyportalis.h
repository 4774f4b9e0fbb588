/* The `portalis._portalis` extension module: CPython bindings over the
 * public C API (bridge pb_*, usd pusd_*, host ph_*). One file per object:
 * module.c (exceptions, init), bridge.c (WasmtimeBridge core, Function),
 * memory.c (linear memory as a buffer), stage.c (USD stage), values.c (every
 * conversion between Python objects and the library's values),
 * simulation.c (the host). The Python layer (portalis/__init__.py) adds the
 * specification's names on top.
 *
 * Threads: every object releases the GIL around the library's long calls
 * (wasm calls, loads, frames) and keeps the library's own rules with locks
 * of its own (README of python/). */
#ifndef PYPORTALIS_H
#define PYPORTALIS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdbool.h>

#include <portalis/bridge.h>
#include <portalis/host.h>
#include <portalis/usd.h>

/* Exceptions (module.c). */
extern PyObject *ppy_Error, *ppy_LoadError, *ppy_LinkError, *ppy_Trap, *ppy_BudgetExceeded, *ppy_ArgumentError,
    *ppy_ExportError, *ppy_ModuleNotLoaded, *ppy_UsdError;

/* Raises the exception matching err (a Trap gets kind, backtrace, module and
 * function attributes). Returns NULL. */
PyObject *ppy_raise_pb(const pb_error *err, const char *module, const char *function);
PyObject *ppy_raise_pusd(const pusd_error *err);
/* "memory_out_of_bounds", ... for a trap kind. */
const char *ppy_trap_kind_name(pw_trap_kind k);

/* A loaded module of a bridge: its id, the functions looked up so far, the
 * lock that serialises calls into it (its store is single-threaded) and the
 * count of buffers exported over its memory (calls are refused while any is
 * held, as memory.grow may move the memory). */
typedef struct ppy_bridge ppy_bridge;
typedef struct {
    PyObject_HEAD ppy_bridge *bridge; /* borrowed; NULL once the bridge is freed */
    pb_module_id id;                  /* 0 once unloaded */
    PyObject *name;                   /* str: the module id of the Python API */
    PyObject *functions;              /* dict name -> Function */
    pthread_mutex_t lock;
    Py_ssize_t exports;
} ppy_module;

/* call_function's cache of Functions by the identity of the (module id,
 * name) objects it is passed: callers pass the same str objects again (a
 * literal, a kept id), so two pointer compares replace two dict lookups. An
 * entry holds references to its three objects; every unload clears the
 * cache. Used with the GIL held only. */
#define PPY_CALL_CACHE 8
typedef struct {
    PyObject *module_id, *name, *function;
} ppy_call_entry;

struct ppy_bridge {
    PyObject_HEAD pb_bridge *b;
    PyObject *modules; /* dict str -> ppy_module */
    ppy_call_entry calls[PPY_CALL_CACHE];
    /* Calls hold it shared, load/unload/statistics exclusively
     * (include/portalis/bridge.h, Thread safety). */
    pthread_rwlock_t rw;
    bool always_release; /* release_gil="always": every call releases the GIL */
};

extern PyTypeObject ppy_BridgeType, ppy_ModuleType, ppy_FunctionType, ppy_MemoryType, ppy_StageType,
    ppy_SimulationType;

PyObject *ppy_memory_new(ppy_module *m);
/* The loaded module of that id, or NULL with ModuleNotLoaded set. Borrowed. */
ppy_module *ppy_find_module(ppy_bridge *br, PyObject *module_id);
/* bridge_stats.c: module_info(module_id) and raw_stats(). */
PyObject *ppy_bridge_module_info(ppy_bridge *self, PyObject *module_id);
PyObject *ppy_bridge_raw_stats(ppy_bridge *self, PyObject *unused);
/* PyType_Ready, then mod.name = type. */
int ppy_add_type(PyObject *mod, PyTypeObject *type, const char *name);
/* Registered by the module's exec step. */
int ppy_bridge_types(PyObject *mod);
int ppy_stage_types(PyObject *mod);
int ppy_simulation_types(PyObject *mod);

/* ---- values.c: conversions between Python objects and the library's values.
 * Each returns NULL or -1 with an exception set. */
/* A call's argument into its slot by the parameter's kind (i32, i64, f32,
 * f64; TypeError/OverflowError/ArgumentError otherwise). */
int ppy_arg_to_slot(PyObject *o, pw_valkind k, uint64_t *slot);
/* A call's results: None, one number, or a tuple. */
PyObject *ppy_results_to_py(const pb_func *h, const uint64_t *slots);
/* ('i32', 'f64', ...) */
PyObject *ppy_kinds_tuple(const pw_valkind *k, uint32_t n);
/* A list (or tuple) of floats; a list of strs. */
PyObject *ppy_doubles(const double *d, size_t n, bool tuple);
PyObject *ppy_strings(const char *const *s, size_t n);
/* Appends str(s) to list. */
int ppy_append_str(PyObject *list, const char *s);
/* A time code argument: None is the default time. */
int ppy_time_arg(PyObject *o, double *t);
/* USD values: a Python value to an authored value of type_name
 * (scalars, tuples, sequences, buffers for numeric arrays), and back. */
typedef struct ppy_valbuf {
    pusd_value v;
    void *data;        /* malloc'd elements */
    const char **strs; /* string elements point into Python objects kept here */
    PyObject *keep;    /* list of the encoded strings */
} ppy_valbuf;
int ppy_value_from_py(PyObject *obj, const char *type_name, ppy_valbuf *out);
void ppy_valbuf_free(ppy_valbuf *vb);
PyObject *ppy_value_to_py(const pusd_value *v);

#endif
