/* A module's exported linear memory as a Python buffer (memoryview,
 * numpy.frombuffer, bytes(...)) without copies, plus bounds-checked read and
 * write. memory.grow moves the memory, so while any buffer over it is held,
 * calls into the module are refused with BufferError (as a bytearray refuses
 * to resize while exported). */
#include "pyportalis.h"

typedef struct {
    PyObject_HEAD ppy_module *mod;
    PyObject *bridge; /* kept alive while the memory (or a view of it) is */
} ppy_memory;

PyObject *ppy_memory_new(ppy_module *m) {
    ppy_memory *mem = PyObject_New(ppy_memory, &ppy_MemoryType);
    if (mem) {
        mem->mod = (ppy_module *)Py_NewRef(m);
        mem->bridge = Py_XNewRef((PyObject *)m->bridge);
    }
    return (PyObject *)mem;
}

static void memory_dealloc(ppy_memory *mem) {
    Py_XDECREF(mem->mod);
    Py_XDECREF(mem->bridge);
    Py_TYPE(mem)->tp_free((PyObject *)mem);
}

/* The memory, or NULL with an exception. Called with the module's lock held
 * or while no call can run (exports > 0). */
static pw_memory *memory_of(ppy_memory *mem) {
    ppy_module *m = mem->mod;
    pw_memory *pm = m->bridge && m->id ? pb_module_memory(m->bridge->b, m->id) : NULL;
    if (!pm)
        PyErr_Format(m->bridge && m->id ? PyExc_ValueError : ppy_ModuleNotLoaded,
                     m->bridge && m->id ? "module '%S' exports no memory" : "module '%S' was unloaded", m->name);
    return pm;
}

static void lock_module(ppy_module *m) {
    if (pthread_mutex_trylock(&m->lock) == 0)
        return;
    PyThreadState *ts = PyEval_SaveThread(); /* a call runs: wait without the GIL */
    pthread_mutex_lock(&m->lock);
    PyEval_RestoreThread(ts);
}

static int memory_getbuffer(ppy_memory *mem, Py_buffer *view, int flags) {
    lock_module(mem->mod);
    pw_memory *pm = memory_of(mem);
    int rc = -1;
    if (pm) {
        uint64_t size = pw_memory_size(pm);
        uint8_t *data = pw_memory_data(pm);
        static uint8_t empty;
        rc = PyBuffer_FillInfo(view, (PyObject *)mem, data ? data : &empty, (Py_ssize_t)size, 0, flags);
        if (rc == 0)
            mem->mod->exports++;
    }
    pthread_mutex_unlock(&mem->mod->lock);
    return rc;
}

static void memory_releasebuffer(ppy_memory *mem, Py_buffer *view) {
    (void)view;
    lock_module(mem->mod);
    mem->mod->exports--;
    pthread_mutex_unlock(&mem->mod->lock);
}

static PyBufferProcs memory_as_buffer = {(getbufferproc)memory_getbuffer,
                                         (releasebufferproc)memory_releasebuffer};

static Py_ssize_t memory_len(ppy_memory *mem) {
    lock_module(mem->mod);
    pw_memory *pm = memory_of(mem);
    Py_ssize_t n = pm ? (Py_ssize_t)pw_memory_size(pm) : -1;
    pthread_mutex_unlock(&mem->mod->lock);
    return n;
}

static PyObject *memory_read(ppy_memory *mem, PyObject *args) {
    unsigned long long off;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "Kn:read", &off, &n))
        return NULL;
    if (n < 0)
        return PyErr_Format(PyExc_ValueError, "negative length");
    PyObject *b = PyBytes_FromStringAndSize(NULL, n);
    if (!b)
        return NULL;
    lock_module(mem->mod);
    pw_memory *pm = memory_of(mem);
    bool ok = pm && pw_memory_read(pm, off, PyBytes_AS_STRING(b), (size_t)n);
    uint64_t size = pm ? pw_memory_size(pm) : 0;
    pthread_mutex_unlock(&mem->mod->lock);
    if (!ok) {
        if (pm)
            PyErr_Format(PyExc_IndexError, "[%llu, %llu) is outside the memory (%llu bytes)", off,
                         off + (unsigned long long)n, (unsigned long long)size);
        Py_CLEAR(b);
    }
    return b;
}

static PyObject *memory_write(ppy_memory *mem, PyObject *args) {
    unsigned long long off;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "Ky*:write", &off, &data))
        return NULL;
    lock_module(mem->mod);
    pw_memory *pm = memory_of(mem);
    bool ok = pm && pw_memory_write(pm, off, data.buf, (size_t)data.len);
    uint64_t size = pm ? pw_memory_size(pm) : 0;
    pthread_mutex_unlock(&mem->mod->lock);
    if (!ok && pm)
        PyErr_Format(PyExc_IndexError, "[%llu, %llu) is outside the memory (%llu bytes)", off,
                     off + (unsigned long long)data.len, (unsigned long long)size);
    PyBuffer_Release(&data);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef memory_methods[] = {
    {"read", (PyCFunction)memory_read, METH_VARARGS, "read(offset, n) -> bytes (a copy)."},
    {"write", (PyCFunction)memory_write, METH_VARARGS, "write(offset, data): data is any buffer (bytes, numpy)."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods memory_as_sequence = {.sq_length = (lenfunc)memory_len};

PyTypeObject ppy_MemoryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "portalis.Memory",
    .tp_basicsize = sizeof(ppy_memory),
    .tp_dealloc = (destructor)memory_dealloc,
    .tp_as_buffer = &memory_as_buffer,
    .tp_as_sequence = &memory_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A module's linear memory: memoryview(mem) and numpy.frombuffer(mem, ...) see it without "
              "copies (calls into the module are refused while such a view is held); read/write copy.",
    .tp_methods = memory_methods,
};
