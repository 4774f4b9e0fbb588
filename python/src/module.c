/* The extension module: exceptions, the mapping of the library's errors to
 * them, and module initialisation. */
#include "pyportalis.h"

#include <stdio.h>
#include <string.h>

PyObject *ppy_Error, *ppy_LoadError, *ppy_LinkError, *ppy_Trap, *ppy_BudgetExceeded, *ppy_ArgumentError,
    *ppy_ExportError, *ppy_ModuleNotLoaded, *ppy_UsdError;

const char *ppy_trap_kind_name(pw_trap_kind k) {
    static const char *const names[] = {
        "none",
        "unreachable",
        "memory_out_of_bounds",
        "table_out_of_bounds",
        "integer_divide_by_zero",
        "integer_overflow",
        "invalid_conversion",
        "undefined_element",
        "uninitialized_element",
        "indirect_call_type_mismatch",
        "stack_exhausted",
        "host",
        "out_of_fuel",
        "deadline",
        "exit",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

/* One backtrace line of the engine's trap message (src/wasm/errors.c):
 * "  at NAME (func N, offset 0xX)" or "  at func N (offset 0xX)". */
static PyObject *parse_frame(const char *line) {
    unsigned fn = 0, off = 0;
    char name[256];
    if (sscanf(line, "  at func %u (offset 0x%x)", &fn, &off) == 2)
        return Py_BuildValue("(IOI)", fn, Py_None, off);
    const char *paren = strrchr(line, '(');
    if (!paren || sscanf(paren, "(func %u, offset 0x%x)", &fn, &off) != 2)
        return NULL;
    size_t n = (size_t)(paren - line);
    if (n < 6 || n - 6 >= sizeof name)
        return NULL;
    memcpy(name, line + 5, n - 6);
    name[n - 6] = 0;
    return Py_BuildValue("(IsI)", fn, name, off);
}

/* The frames after the message's first line, innermost first. */
static PyObject *parse_backtrace(const char *msg) {
    PyObject *list = PyList_New(0);
    for (const char *p = strchr(msg, '\n'); list && p; p = strchr(p + 1, '\n')) {
        char line[512];
        const char *end = strchr(p + 1, '\n');
        size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
        if (n >= sizeof line)
            continue;
        memcpy(line, p + 1, n);
        line[n] = 0;
        PyObject *f = parse_frame(line);
        if (f && PyList_Append(list, f) < 0)
            Py_CLEAR(list);
        Py_XDECREF(f);
    }
    return list;
}

static PyObject *exception_for(pb_status s) {
    switch (s) {
    case PB_ERR_IO:
    case PB_ERR_MODULE: return ppy_LoadError;
    case PB_ERR_LINK: return ppy_LinkError;
    case PB_ERR_NO_MODULE: return ppy_ModuleNotLoaded;
    case PB_ERR_NO_EXPORT: return ppy_ExportError;
    case PB_ERR_ARGS: return ppy_ArgumentError;
    case PB_ERR_TRAP: return ppy_Trap;
    case PB_ERR_BUDGET: return ppy_BudgetExceeded;
    case PB_ERR_NOMEM: return PyExc_MemoryError;
    default: return ppy_Error;
    }
}

static int set_attrs(PyObject *exc, const pb_error *err, const char *module, const char *function) {
    PyObject *bt = parse_backtrace(err->message);
    PyObject *kind = PyUnicode_FromString(ppy_trap_kind_name(err->trap));
    int rc = -1;
    if (bt && kind && PyObject_SetAttrString(exc, "kind", kind) == 0 &&
        PyObject_SetAttrString(exc, "backtrace", bt) == 0)
        rc = 0;
    Py_XDECREF(bt);
    Py_XDECREF(kind);
    for (int i = 0; rc == 0 && i < 2; i++) {
        const char *s = i ? function : module;
        PyObject *o = s ? PyUnicode_FromString(s) : Py_NewRef(Py_None);
        if (!o || PyObject_SetAttrString(exc, i ? "function" : "module", o) < 0)
            rc = -1;
        Py_XDECREF(o);
    }
    return rc;
}

PyObject *ppy_raise_pb(const pb_error *err, const char *module, const char *function) {
    PyObject *type = exception_for(err->status);
    if (type != ppy_Trap && type != ppy_BudgetExceeded) {
        PyErr_SetString(type, err->message);
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(type, "s", err->message);
    if (exc && set_attrs(exc, err, module, function) == 0)
        PyErr_SetObject(type, exc);
    Py_XDECREF(exc);
    return NULL;
}

PyObject *ppy_raise_pusd(const pusd_error *err) {
    char buf[1200];
    pusd_error_format(err, buf, sizeof buf);
    PyErr_SetString(err->status == PUSD_ERR_IO ? PyExc_OSError : ppy_UsdError, buf);
    return NULL;
}

static int add_exception(PyObject *mod, PyObject **slot, const char *name, PyObject *base, const char *doc) {
    char full[96];
    snprintf(full, sizeof full, "portalis.%s", name);
    *slot = PyErr_NewExceptionWithDoc(full, doc, base, NULL);
    return *slot ? PyModule_AddObjectRef(mod, name, *slot) : -1;
}

static int add_exceptions(PyObject *mod) {
    PyObject *arg_bases = NULL, *nl_bases = NULL, *ex_bases = NULL;
    int rc = -1;
    if (add_exception(mod, &ppy_Error, "Error", PyExc_Exception, "Base of every portalis error.") < 0 ||
        add_exception(mod, &ppy_LoadError, "LoadError", ppy_Error,
                      "A module cannot be read, decoded or validated.") < 0 ||
        add_exception(mod, &ppy_LinkError, "LinkError", ppy_LoadError,
                      "An import of a module is not satisfied.") < 0 ||
        add_exception(mod, &ppy_Trap, "Trap", ppy_Error,
                      "A wasm call trapped: .kind (e.g. 'integer_divide_by_zero'), .backtrace "
                      "[(func_index, name or None, code_offset)], innermost first, .module, .function.") < 0 ||
        add_exception(mod, &ppy_BudgetExceeded, "BudgetExceeded", ppy_Trap,
                      "A call ran out of fuel or past its deadline (a Trap of kind out_of_fuel / deadline).") <
            0 ||
        add_exception(mod, &ppy_UsdError, "UsdError", ppy_Error, "A USD scene or value is malformed.") < 0)
        return -1;
    if ((arg_bases = PyTuple_Pack(2, ppy_Error, PyExc_TypeError)) &&
        (nl_bases = PyTuple_Pack(2, ppy_Error, PyExc_KeyError)) &&
        (ex_bases = PyTuple_Pack(2, ppy_Error, PyExc_AttributeError)) &&
        add_exception(mod, &ppy_ArgumentError, "ArgumentError", arg_bases,
                      "Wrong number or types of arguments for a wasm function.") == 0 &&
        add_exception(mod, &ppy_ModuleNotLoaded, "ModuleNotLoaded", nl_bases,
                      "No module of that id is loaded (or it was unloaded).") == 0 &&
        add_exception(mod, &ppy_ExportError, "ExportError", ex_bases,
                      "A module has no exported function of that name.") == 0)
        rc = 0;
    Py_XDECREF(arg_bases);
    Py_XDECREF(nl_bases);
    Py_XDECREF(ex_bases);
    return rc;
}

int ppy_add_type(PyObject *mod, PyTypeObject *type, const char *name) {
    if (PyType_Ready(type) < 0)
        return -1;
    return PyModule_AddObjectRef(mod, name, (PyObject *)type);
}

static int exec_module(PyObject *mod) {
    if (add_exceptions(mod) < 0 || ppy_bridge_types(mod) < 0 || ppy_stage_types(mod) < 0 ||
        ppy_simulation_types(mod) < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot slots[] = {{Py_mod_exec, (void *)exec_module}, {0, NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT,
                                       "portalis._portalis",
                                       "CPython bindings of the Portalis C library.",
                                       0,
                                       NULL,
                                       slots,
                                       NULL,
                                       NULL,
                                       NULL};

PyMODINIT_FUNC PyInit__portalis(void) { return PyModuleDef_Init(&moduledef); }
