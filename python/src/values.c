/* USD attribute values between Python and pusd_value: scalars are Python
 * numbers, bools and strs; tuples of components are vectors, quaternions
 * (w, x, y, z) and matrices (rows); arrays are lists (or, when authoring,
 * any sequence or a numeric buffer such as a numpy array). */
#include "pyportalis.h"

#include <stdlib.h>
#include <string.h>

static size_t elem_size(pusd_elem e) {
    switch (e) {
    case PUSD_E_U8: return 1;
    case PUSD_E_HALF: return 2;
    case PUSD_E_I32:
    case PUSD_E_U32:
    case PUSD_E_FLOAT: return 4;
    case PUSD_E_STR: return sizeof(const char *);
    default: return 8;
    }
}

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
    char *p = (char *)vb->data + i * elem_size(e);
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
    vb->data = calloc(n ? n : 1, elem_size(e));
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
