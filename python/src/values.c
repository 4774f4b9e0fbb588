/* Conversions between Python objects and the library's values, in one
 * place for every object of the extension:
 *  - wasm values: an argument to its 64-bit slot by the parameter's kind,
 *    results back to None, a number or a tuple (bridge.c);
 *  - plain lists: numbers and strings (stage.c, simulation.c,
 *    bridge_stats.c), a time code argument;
 *  - USD attribute values and pusd_value: scalars are Python numbers, bools
 *    and strs; tuples of components are vectors, quaternions (w, x, y, z)
 *    and matrices (rows); arrays are lists (or, when authoring, any
 *    sequence or a numeric buffer such as a numpy array). */
#include "pyportalis.h"

#include <stdlib.h>
#include <string.h>

/* ---- wasm values ------------------------------------------------------------ */

int ppy_arg_to_slot(PyObject *o, pw_valkind k, uint64_t *slot) {
    if (k == PW_F64 || k == PW_F32) {
        double d = PyFloat_CheckExact(o) ? PyFloat_AS_DOUBLE(o) : PyFloat_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        if (k == PW_F64) {
            memcpy(slot, &d, 8);
        } else {
            float f = (float)d;
            uint32_t u;
            memcpy(&u, &f, 4);
            *slot = u;
        }
        return 0;
    }
    if (k == PW_I32 || k == PW_I64) {
        long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (k == PW_I32 && (v < INT32_MIN || v > (long long)UINT32_MAX)) {
            PyErr_Format(PyExc_OverflowError, "%lld does not fit an i32", v);
            return -1;
        }
        *slot = k == PW_I32 ? (uint32_t)v : (uint64_t)v;
        return 0;
    }
    PyErr_Format(ppy_ArgumentError, "%s parameters cannot be passed from Python", pw_valkind_name(k));
    return -1;
}

static PyObject *slot_to_py(uint64_t s, pw_valkind k) {
    switch (k) {
    case PW_I32: return PyLong_FromLong((int32_t)(uint32_t)s);
    case PW_I64: return PyLong_FromLongLong((long long)s);
    case PW_F32: {
        float f;
        uint32_t u = (uint32_t)s;
        memcpy(&f, &u, 4);
        return PyFloat_FromDouble(f);
    }
    case PW_F64: {
        double d;
        memcpy(&d, &s, 8);
        return PyFloat_FromDouble(d);
    }
    default: return Py_NewRef(Py_None); /* references are opaque to Python */
    }
}

PyObject *ppy_results_to_py(const pb_func *h, const uint64_t *slots) {
    if (h->nresults == 0)
        Py_RETURN_NONE;
    if (h->nresults == 1)
        return slot_to_py(slots[0], h->results[0]);
    PyObject *t = PyTuple_New(h->nresults);
    for (uint32_t i = 0; t && i < h->nresults; i++) {
        PyObject *v = slot_to_py(slots[i], h->results[i]);
        if (!v) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

PyObject *ppy_kinds_tuple(const pw_valkind *k, uint32_t n) {
    PyObject *t = PyTuple_New(n);
    for (uint32_t i = 0; t && i < n; i++) {
        PyObject *s = PyUnicode_FromString(pw_valkind_name(k[i]));
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

/* ---- plain lists ---------------------------------------------------------------- */

PyObject *ppy_doubles(const double *d, size_t n, bool tuple) {
    PyObject *seq = tuple ? PyTuple_New((Py_ssize_t)n) : PyList_New((Py_ssize_t)n);
    for (size_t i = 0; seq && i < n; i++) {
        PyObject *x = PyFloat_FromDouble(d[i]);
        if (!x) {
            Py_CLEAR(seq);
            break;
        }
        if (tuple)
            PyTuple_SET_ITEM(seq, (Py_ssize_t)i, x);
        else
            PyList_SET_ITEM(seq, (Py_ssize_t)i, x);
    }
    return seq;
}

int ppy_append_str(PyObject *list, const char *s) {
    PyObject *o = PyUnicode_FromString(s);
    int rc = o ? PyList_Append(list, o) : -1;
    Py_XDECREF(o);
    return rc;
}

PyObject *ppy_strings(const char *const *s, size_t n) {
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++)
        if (ppy_append_str(list, s[i]) < 0)
            Py_CLEAR(list);
    return list;
}

int ppy_time_arg(PyObject *o, double *t) {
    *t = o == Py_None ? PUSD_TIME_DEFAULT : PyFloat_AsDouble(o);
    return *t == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* ---- USD values ---------------------------------------------------------------------- */

/* Appends the leaves of obj (numbers or strs; nested sequences flattened) to
 * list; a str or bytes is a leaf. */
static int flatten(PyObject *obj, PyObject *list, int depth) {
    /* a numpy array is a sequence (and also has __float__): look at sequences first */
    if (PyUnicode_Check(obj) || PyBytes_Check(obj) || !PySequence_Check(obj) || depth > 3)
        return PyList_Append(list, obj);
    PyObject *seq = PySequence_Fast(obj, "a USD value is a number, a str or a sequence of them");
    if (!seq)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++)
        rc = flatten(PySequence_Fast_GET_ITEM(seq, i), list, depth + 1);
    Py_DECREF(seq);
    return rc;
}

static int store_leaf(ppy_valbuf *vb, pusd_elem e, size_t i, PyObject *o) {
    char *p = (char *)vb->data + i * pusd_elem_size(e);
    if (e == PUSD_E_STR) {
        PyObject *u = PyUnicode_Check(o) ? Py_NewRef(o) : PyObject_Str(o);
        const char *s = u ? PyUnicode_AsUTF8(u) : NULL;
        if (!s || PyList_Append(vb->keep, u) < 0) {
            Py_XDECREF(u);
            return -1;
        }
        Py_DECREF(u);
        memcpy(p, &s, sizeof s);
        return 0;
    }
    double d = PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred())
        return -1;
    switch (e) {
    case PUSD_E_U8: *(uint8_t *)p = (uint8_t)(d != 0); break;
    case PUSD_E_I32: *(int32_t *)p = (int32_t)d; break;
    case PUSD_E_U32: *(uint32_t *)p = (uint32_t)d; break;
    case PUSD_E_I64: *(int64_t *)p = PyLong_Check(o) ? PyLong_AsLongLong(o) : (int64_t)d; break;
    case PUSD_E_U64: *(uint64_t *)p = PyLong_Check(o) ? PyLong_AsUnsignedLongLong(o) : (uint64_t)d; break;
    case PUSD_E_HALF: *(uint16_t *)p = pusd_float_to_half((float)d); break;
    case PUSD_E_FLOAT: *(float *)p = (float)d; break;
    default: *(double *)p = d; break;
    }
    return PyErr_Occurred() ? -1 : 0;
}

int ppy_value_from_py(PyObject *obj, const char *type_name, ppy_valbuf *vb) {
    memset(vb, 0, sizeof *vb);
    bool is_array;
    pusd_type t = pusd_type_parse(type_name, &is_array);
    pusd_elem e = pusd_type_elem(t);
    if (t == PUSD_T_INVALID || e == PUSD_E_NONE || e == PUSD_E_OTHER)
        return PyErr_Format(PyExc_ValueError, "'%s' is not a USD value type this binding authors", type_name), -1;
    size_t comps = (size_t)pusd_type_components(t);
    PyObject *leaves = PyList_New(0);
    vb->keep = PyList_New(0);
    if (!leaves || !vb->keep || flatten(obj, leaves, 0) < 0)
        goto fail;
    size_t n = (size_t)PyList_GET_SIZE(leaves);
    if ((!is_array && n != comps) || n % comps) {
        PyErr_Format(PyExc_ValueError, "a %s value needs %s%zu component%s, got %zu", type_name,
                     is_array ? "a multiple of " : "", comps, comps == 1 ? "" : "s", n);
        goto fail;
    }
    vb->data = calloc(n ? n : 1, pusd_elem_size(e));
    if (!vb->data) {
        PyErr_NoMemory();
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (store_leaf(vb, e, i, PyList_GET_ITEM(leaves, i)) < 0)
            goto fail;
    Py_DECREF(leaves);
    vb->v = is_array ? pusd_val_array(t, vb->data, n / comps) : pusd_val_scalar(t, vb->data);
    return 0;
fail:
    Py_XDECREF(leaves);
    ppy_valbuf_free(vb);
    return -1;
}

void ppy_valbuf_free(ppy_valbuf *vb) {
    free(vb->data);
    Py_CLEAR(vb->keep);
    vb->data = NULL;
}

static PyObject *component(const pusd_value *v, pusd_elem e, size_t el, int i, int comps) {
    if (e == PUSD_E_STR) {
        const char *s = pusd_value_get_string(v, el);
        return PyUnicode_FromString(s ? s : "");
    }
    double d = pusd_value_get_double(v, el, i);
    if (e == PUSD_E_U8 && v->type == PUSD_T_BOOL)
        return PyBool_FromLong(d != 0);
    if (e == PUSD_E_U8 || e == PUSD_E_I32 || e == PUSD_E_U32 || e == PUSD_E_I64 || e == PUSD_E_U64)
        return PyLong_FromDouble(d);
    (void)comps;
    return PyFloat_FromDouble(d);
}

/* A tuple of rows for matrices (4, 9, 16 components), else a flat tuple. */
static PyObject *element(const pusd_value *v, pusd_elem e, size_t el, int comps) {
    if (comps == 1)
        return component(v, e, el, 0, 1);
    int rows = comps == 4 && v->type == PUSD_T_MATRIX2D ? 2 : comps == 9 ? 3 : comps == 16 ? 4 : 1;
    int cols = comps / rows;
    PyObject *t = PyTuple_New(rows == 1 ? comps : rows);
    for (int r = 0; t && r < rows; r++) {
        PyObject *row = rows == 1 ? t : PyTuple_New(cols);
        for (int c = 0; row && c < cols; c++) {
            PyObject *x = component(v, e, el, r * cols + c, comps);
            if (!x) {
                Py_CLEAR(t);
                return NULL;
            }
            PyTuple_SET_ITEM(row, c, x);
        }
        if (rows > 1 && row)
            PyTuple_SET_ITEM(t, r, row);
        else if (!row)
            Py_CLEAR(t);
    }
    return t;
}

PyObject *ppy_value_to_py(const pusd_value *v) {
    if ((v->flags & PUSD_VF_BLOCKED) || (!v->data && !(v->flags & PUSD_VF_ARRAY)))
        Py_RETURN_NONE;
    pusd_type t = (pusd_type)v->type;
    pusd_elem e = pusd_type_elem(t);
    if (t == PUSD_T_UNKNOWN || t == PUSD_T_RAW || t == PUSD_T_PATH)
        return PyUnicode_FromString(*(const char *const *)v->data);
    if (e == PUSD_E_NONE || e == PUSD_E_OTHER)
        return PyErr_Format(PyExc_TypeError, "values of type %s are not readable from Python", pusd_type_name(t));
    int comps = pusd_type_components(t);
    if (!(v->flags & PUSD_VF_ARRAY))
        return element(v, e, 0, comps);
    PyObject *list = PyList_New(v->count);
    for (uint32_t i = 0; list && i < v->count; i++) {
        PyObject *x = element(v, e, i, comps);
        if (!x)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, x);
    }
    return list;
}
