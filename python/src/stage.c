/* `_Stage`: a pusd_stage and its schema registry, addressed by prim path
 * (prim handles are fetched again for every call, since structural edits
 * invalidate them). The pxr-like classes of portalis/usd.py sit on it. A
 * stage is used by one thread at a time: these calls keep the GIL. */
#include "pyportalis.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject_HEAD pusd_stage *s;
    pusd_schema_registry *reg;
    void **owned; /* custom schema definitions (they must outlive reg) */
    size_t nowned;
} ppy_stage;

static void stage_dealloc(ppy_stage *st) {
    pusd_stage_free(st->s);
    pusd_schema_registry_free(st->reg);
    for (size_t i = 0; i < st->nowned; i++)
        free(st->owned[i]);
    free(st->owned);
    Py_TYPE(st)->tp_free((PyObject *)st);
}

static int stage_init(ppy_stage *st, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "identifier", NULL};
    PyObject *path = NULL;
    const char *ident = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O&z:_Stage", kwlist, PyUnicode_FSConverter, &path, &ident))
        return -1;
    if (st->s) {
        Py_XDECREF(path);
        return PyErr_Format(PyExc_RuntimeError, "stage already initialised"), -1;
    }
    pusd_error err = {0};
    int rc = 0;
    if (path) {
        PyThreadState *ts = PyEval_SaveThread(); /* not shared yet: nobody else can use it */
        rc = pusd_stage_open(PyBytes_AS_STRING(path), &st->s, &err);
        PyEval_RestoreThread(ts);
        Py_DECREF(path);
    } else {
        st->s = pusd_stage_new(ident ? ident : "anon.usda");
    }
    if (rc)
        return ppy_raise_pusd(&err), -1;
    st->reg = pusd_schema_registry_new();
    if (!st->s || !st->reg)
        return PyErr_NoMemory(), -1;
    return 0;
}

static pusd_prim *prim_at(ppy_stage *st, const char *path) {
    pusd_prim *p = st->s ? pusd_stage_prim_at_path(st->s, path) : NULL;
    if (!p)
        PyErr_Format(PyExc_KeyError, "no prim at path '%s'", path);
    return p;
}

static PyObject *status(int rc, const pusd_error *err) {
    if (rc)
        return ppy_raise_pusd(err);
    Py_RETURN_NONE;
}

static PyObject *stage_define_prim(ppy_stage *st, PyObject *args) {
    const char *path, *type = NULL;
    if (!PyArg_ParseTuple(args, "s|z:define_prim", &path, &type))
        return NULL;
    pusd_error err = {0};
    return status(pusd_stage_define_prim(st->s, path, type && type[0] ? type : NULL, &err), &err);
}

static PyObject *stage_over_prim(ppy_stage *st, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s:over_prim", &path))
        return NULL;
    pusd_error err = {0};
    return status(pusd_stage_over_prim(st->s, path, &err), &err);
}

static PyObject *children_names(const pusd_prim *p) {
    size_t n = pusd_prim_child_count(p);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *s = PyUnicode_FromString(pusd_prim_name(pusd_prim_child(p, i)));
        if (!s)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    return list;
}

static PyObject *stage_prim_info(ppy_stage *st, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s:prim_info", &path))
        return NULL;
    pusd_prim *p = st->s ? pusd_stage_prim_at_path(st->s, path) : NULL;
    if (!p)
        Py_RETURN_NONE;
    PyObject *kids = children_names(p);
    if (!kids)
        return NULL;
    char spec[2] = {pusd_prim_specifier(p), 0};
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:O,s:O,s:N}", "path", pusd_prim_path(p), "name", pusd_prim_name(p),
                         "type_name", pusd_prim_type_name(p), "specifier", spec, "active",
                         pusd_prim_is_active(p) ? Py_True : Py_False, "defined",
                         pusd_prim_is_defined(p) ? Py_True : Py_False, "children", kids);
}

typedef struct {
    PyObject *list;
} collect_ctx;

static bool collect_path(pusd_prim *p, void *ctx) {
    PyObject *s = PyUnicode_FromString(pusd_prim_path(p));
    collect_ctx *c = ctx;
    if (!s || PyList_Append(c->list, s) < 0) {
        Py_XDECREF(s);
        Py_CLEAR(c->list);
        return false;
    }
    Py_DECREF(s);
    return true;
}

static PyObject *stage_traverse(ppy_stage *st, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"type_name", "api_schema", "all", NULL};
    pusd_filter f = {0};
    int all = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|zzp:traverse", kwlist, &f.type_name, &f.api_schema, &all))
        return NULL;
    f.flags = all ? PUSD_TRAVERSE_ALL : 0;
    collect_ctx c = {PyList_New(0)};
    if (c.list)
        pusd_stage_traverse(st->s, &f, collect_path, &c);
    if (!c.list && !PyErr_Occurred())
        PyErr_NoMemory();
    return c.list;
}

static PyObject *stage_property_names(ppy_stage *st, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s:property_names", &path))
        return NULL;
    pusd_prim *p = prim_at(st, path);
    if (!p)
        return NULL;
    size_t n = pusd_prim_property_count(p);
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        const char *name = pusd_prim_property_name(p, i);
        if (ppy_append_str(list, name) < 0)
            Py_CLEAR(list);
    }
    return list;
}

static PyObject *stage_attr_type(ppy_stage *st, PyObject *args) {
    const char *path, *name;
    if (!PyArg_ParseTuple(args, "ss:attr_type", &path, &name))
        return NULL;
    pusd_prim *p = prim_at(st, path);
    if (!p)
        return NULL;
    if (pusd_prim_is_relationship(p, name))
        return PyUnicode_FromString("rel");
    const char *t = pusd_prim_attr_type_name(p, name);
    if (!t)
        Py_RETURN_NONE;
    return PyUnicode_FromString(t);
}

static PyObject *stage_get(ppy_stage *st, PyObject *args) {
    const char *path, *name;
    PyObject *time = Py_None;
    double t;
    if (!PyArg_ParseTuple(args, "ss|O:get", &path, &name, &time) || ppy_time_arg(time, &t) < 0)
        return NULL;
    pusd_prim *p = prim_at(st, path);
    if (!p)
        return NULL;
    pusd_value v;
    if (pusd_prim_get_attr(p, name, t, &v) != 0)
        Py_RETURN_NONE;
    return ppy_value_to_py(&v);
}

static PyObject *stage_set(ppy_stage *st, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "name", "type_name", "value", "time", "uniform", NULL};
    const char *path, *name, *type;
    PyObject *value, *time = Py_None;
    int uniform = 0;
    double t;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sssO|Op:set", kwlist, &path, &name, &type, &value, &time,
                                     &uniform) ||
        ppy_time_arg(time, &t) < 0)
        return NULL;
    ppy_valbuf vb;
    if (ppy_value_from_py(value, type, &vb) < 0)
        return NULL;
    pusd_error err = {0};
    int rc = pusd_stage_set_attr(st->s, path, name, type, uniform, t, &vb.v, &err);
    ppy_valbuf_free(&vb);
    return status(rc, &err);
}

static PyObject *stage_sample_times(ppy_stage *st, PyObject *args) {
    const char *path, *name;
    if (!PyArg_ParseTuple(args, "ss:sample_times", &path, &name))
        return NULL;
    pusd_prim *p = prim_at(st, path);
    const double *times = NULL;
    size_t n = p ? pusd_prim_attr_sample_times(p, name, &times) : 0;
    return p ? ppy_doubles(times, n, false) : NULL;
}

static PyObject *stage_targets(ppy_stage *st, PyObject *args) {
    const char *path, *name;
    int conn = 0;
    if (!PyArg_ParseTuple(args, "ss|p:targets", &path, &name, &conn))
        return NULL;
    pusd_prim *p = prim_at(st, path);
    const char **paths = NULL;
    size_t n = p ? pusd_prim_targets(p, name, conn, &paths) : 0;
    return p ? ppy_strings(paths, n) : NULL;
}

static PyObject *stage_set_targets(ppy_stage *st, PyObject *args) {
    const char *path, *name;
    PyObject *targets;
    int conn = 0;
    if (!PyArg_ParseTuple(args, "ssO|p:set_targets", &path, &name, &targets, &conn))
        return NULL;
    PyObject *seq = PySequence_Fast(targets, "targets must be a sequence of paths");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **t = PyMem_Calloc((size_t)n + 1, sizeof *t);
    for (Py_ssize_t i = 0; t && i < n; i++)
        if (!(t[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i)))) {
            PyMem_Free(t);
            Py_DECREF(seq);
            return NULL;
        }
    pusd_error err = {0};
    PyObject *r =
        t ? status(pusd_stage_set_targets(st->s, path, name, conn, t, (size_t)n, &err), &err) : PyErr_NoMemory();
    PyMem_Free(t);
    Py_DECREF(seq);
    return r;
}

static PyObject *stage_save(ppy_stage *st, PyObject *unused) {
    (void)unused;
    pusd_error err = {0};
    return status(pusd_stage_save(st->s, &err), &err);
}

static PyObject *stage_export(ppy_stage *st, PyObject *args) {
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&:export", PyUnicode_FSConverter, &path))
        return NULL;
    pusd_error err = {0};
    pusd_layer *root = pusd_stage_root_layer(st->s);
    PyObject *r = status(pusd_layer_save(root, PyBytes_AS_STRING(path), &err), &err);
    Py_DECREF(path);
    return r;
}

static PyObject *text_of(pusd_layer *l, bool owned) {
    size_t n = 0;
    char *s = l ? pusd_layer_to_string(l, &n) : NULL;
    if (owned)
        pusd_layer_free(l);
    PyObject *r = s ? PyUnicode_FromStringAndSize(s, (Py_ssize_t)n) : PyErr_NoMemory();
    free(s);
    return r;
}

static PyObject *stage_to_string(ppy_stage *st, PyObject *args) {
    int flat = 0;
    if (!PyArg_ParseTuple(args, "|p:to_string", &flat))
        return NULL;
    if (!flat)
        return text_of(pusd_stage_root_layer(st->s), false);
    pusd_error err = {0};
    pusd_layer *l = pusd_stage_flatten(st->s, &err);
    return l ? text_of(l, true) : ppy_raise_pusd(&err);
}

static PyObject *stage_identifier(ppy_stage *st, PyObject *unused) {
    (void)unused;
    return PyUnicode_FromString(pusd_layer_identifier(pusd_stage_root_layer(st->s)));
}

static PyObject *stage_set_layer_metadata(ppy_stage *st, PyObject *args) {
    const char *key, *type;
    PyObject *value;
    if (!PyArg_ParseTuple(args, "ssO:set_layer_metadata", &key, &type, &value))
        return NULL;
    ppy_valbuf vb;
    if (ppy_value_from_py(value, type, &vb) < 0)
        return NULL;
    int rc = pusd_layer_set_metadata(pusd_stage_edit_target(st->s), key, &vb.v);
    ppy_valbuf_free(&vb);
    if (rc)
        return PyErr_Format(ppy_UsdError, "cannot set layer metadata '%s'", key);
    Py_RETURN_NONE;
}

static PyObject *stage_layer_metadata(ppy_stage *st, PyObject *args) {
    const char *key;
    if (!PyArg_ParseTuple(args, "s:layer_metadata", &key))
        return NULL;
    pusd_value v;
    if (pusd_layer_get_metadata(pusd_stage_root_layer(st->s), key, &v))
        Py_RETURN_NONE;
    return ppy_value_to_py(&v);
}

static PyObject *stage_diagnostics(ppy_stage *st, PyObject *unused) {
    (void)unused;
    size_t n = pusd_stage_diagnostic_count(st->s);
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        char buf[1200];
        pusd_error_format(pusd_stage_diagnostic(st->s, i), buf, sizeof buf);
        if (ppy_append_str(list, buf) < 0)
            Py_CLEAR(list);
    }
    return list;
}

/* ---- schemas ------------------------------------------------------------------ */

static PyObject *stage_schema_define(ppy_stage *st, PyObject *args) {
    const char *type, *path;
    if (!PyArg_ParseTuple(args, "ss:schema_define", &type, &path))
        return NULL;
    pusd_error err = {0};
    return status(pusd_schema_define(st->s, st->reg, type, path, &err), &err);
}

static PyObject *stage_create_wasm_module_prim(ppy_stage *st, PyObject *args) {
    const char *path, *wasm, *id, *entry, *schema = NULL;
    if (!PyArg_ParseTuple(args, "ssss|z:create_wasm_module_prim", &path, &wasm, &id, &entry, &schema))
        return NULL;
    pusd_error err = {0};
    return status(pusd_create_wasm_module_prim(st->s, st->reg, path, wasm, id, entry, schema, &err), &err);
}

static PyObject *stage_schema_isa(ppy_stage *st, PyObject *args) {
    const char *type, *schema;
    if (!PyArg_ParseTuple(args, "ss:schema_isa", &type, &schema))
        return NULL;
    return PyBool_FromLong(pusd_schema_isa(st->reg, type, schema));
}

static PyObject *stage_wasm_module(ppy_stage *st, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s:wasm_module", &path))
        return NULL;
    pusd_prim *p = prim_at(st, path);
    if (!p)
        return NULL;
    pusd_wasm_module m;
    pusd_error err = {0};
    if (pusd_wasm_module_read(p, st->reg, &m, &err))
        return ppy_raise_pusd(&err);
    return Py_BuildValue("{s:s,s:z,s:z,s:s,s:s,s:O,s:s,s:d}", "type_name", m.type_name, "wasm_path", m.wasm_path,
                         "wasm_path_resolved", m.wasm_path_resolved, "module_id", m.module_id, "entry_function",
                         m.entry_function, "enabled", m.enabled ? Py_True : Py_False, "execution_mode",
                         m.execution_mode, "update_rate", (double)m.update_rate);
}

/* Keeps p (malloc'd) until the stage is freed: schema definitions must
 * outlive the registry. NULL (and p freed) without memory. */
static void *own(ppy_stage *st, void *p) {
    void **grown = p ? realloc(st->owned, (st->nowned + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(p);
        return NULL;
    }
    st->owned = grown;
    st->owned[st->nowned++] = p;
    return p;
}

static const char *own_str(ppy_stage *st, const char *s) { return s ? own(st, strdup(s)) : NULL; }

/* attrs: sequence of (name, type_name, uniform, fallback usda text or None, doc). */
static int fill_attrs(ppy_stage *st, PyObject *attrs, pusd_schema_attr *out, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *name, *type, *fallback = NULL, *doc = "";
        int uniform = 0;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(attrs, i), "ss|pzs:attribute", &name, &type, &uniform,
                              &fallback, &doc))
            return -1;
        out[i] = (pusd_schema_attr){own_str(st, name), own_str(st, type), uniform, own_str(st, fallback), NULL,
                                    own_str(st, doc)};
        if (!out[i].name || !out[i].type_name || !out[i].doc || (fallback && !out[i].fallback))
            return PyErr_NoMemory(), -1;
    }
    return 0;
}

static PyObject *stage_register_schema(ppy_stage *st, PyObject *args) {
    const char *type, *base, *doc = "";
    PyObject *attrs;
    if (!PyArg_ParseTuple(args, "ssO|s:register_schema", &type, &base, &attrs, &doc))
        return NULL;
    PyObject *seq = PySequence_Fast(attrs, "attributes must be a sequence of tuples");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    pusd_schema_attr *a = own(st, calloc((size_t)n + 1, sizeof *a));
    pusd_schema_def *def = own(st, calloc(1, sizeof *def));
    PyObject *r = NULL;
    if (!a || !def) {
        PyErr_NoMemory();
    } else if (fill_attrs(st, seq, a, n) == 0) {
        *def = (pusd_schema_def){own_str(st, type), own_str(st, base), "Scope", own_str(st, doc), (size_t)n, a};
        pusd_error err = {0};
        r = status(pusd_schema_register(st->reg, def, &err), &err);
    }
    Py_DECREF(seq);
    return r;
}

#define METH(name, flags, doc)                                                                                   \
    { #name, (PyCFunction)(void (*)(void))stage_##name, flags, doc }
static PyMethodDef stage_methods[] = {
    METH(define_prim, METH_VARARGS, "define_prim(path, type_name=None)"),
    METH(over_prim, METH_VARARGS, "over_prim(path)"),
    METH(prim_info, METH_VARARGS, "prim_info(path) -> dict or None"),
    METH(traverse, METH_VARARGS | METH_KEYWORDS, "traverse(type_name=None, api_schema=None, all=False) -> paths"),
    METH(property_names, METH_VARARGS, "property_names(path) -> names"),
    METH(attr_type, METH_VARARGS, "attr_type(path, name) -> type name, 'rel', or None"),
    METH(get, METH_VARARGS, "get(path, name, time=None) -> value or None"),
    METH(set, METH_VARARGS | METH_KEYWORDS, "set(path, name, type_name, value, time=None, uniform=False)"),
    METH(sample_times, METH_VARARGS, "sample_times(path, name) -> times"),
    METH(targets, METH_VARARGS, "targets(path, name, connections=False) -> paths"),
    METH(set_targets, METH_VARARGS, "set_targets(path, name, targets, connections=False)"),
    METH(save, METH_NOARGS, "Saves every edited layer of the root layer stack (atomically)."),
    METH(export, METH_VARARGS, "export(path): writes the root layer to path."),
    METH(to_string, METH_VARARGS, "to_string(flatten=False) -> usda text"),
    METH(identifier, METH_NOARGS, "The root layer's identifier."),
    METH(set_layer_metadata, METH_VARARGS, "set_layer_metadata(key, type_name, value)"),
    METH(layer_metadata, METH_VARARGS, "layer_metadata(key) -> value or None"),
    METH(diagnostics, METH_NOARGS, "Composition diagnostics."),
    METH(schema_define, METH_VARARGS, "schema_define(type_name, path)"),
    METH(create_wasm_module_prim, METH_VARARGS,
         "create_wasm_module_prim(path, wasm_path, module_id, entry_function, schema_type=None)"),
    METH(schema_isa, METH_VARARGS, "schema_isa(type_name, schema) -> bool"),
    METH(wasm_module, METH_VARARGS, "wasm_module(path) -> dict of the WasmModule attributes"),
    METH(register_schema, METH_VARARGS,
         "register_schema(type_name, base, [(name, type_name, uniform, fallback, doc)], doc='')"),
    {NULL, NULL, 0, NULL},
};

PyTypeObject ppy_StageType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "portalis._Stage",
    .tp_basicsize = sizeof(ppy_stage),
    .tp_dealloc = (destructor)stage_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "_Stage(path=None, identifier=None): a USD stage (portalis.usd builds on it).",
    .tp_methods = stage_methods,
    .tp_init = (initproc)stage_init,
    .tp_new = PyType_GenericNew,
};

int ppy_stage_types(PyObject *mod) { return ppy_add_type(mod, &ppy_StageType, "_Stage"); }
