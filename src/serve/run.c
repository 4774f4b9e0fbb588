/* Running rows of a request through a model instance: one call of the entry
 * function per row (its parameters are the row's input elements in config
 * order; its results the output elements, or an i32 pointer to them in
 * linear memory), or one call of the batch function for all rows (buffers
 * from portalis_alloc, tensors in their binary layout). docs/serve.md. */
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

static int call_failed(const psv_model *m, const char *fn, const pb_error *pe, char *err, size_t cap) {
    snprintf(err, cap, "model '%s': '%s' failed: %s", m->name, fn, pe->message);
    return -1;
}

/* The bytes [at, at + n) of the instance's memory, or NULL if out of it. */
static uint8_t *mem_range(psv_instance *inst, uint64_t at, uint64_t n) {
    uint64_t size = pw_memory_size(inst->mem);
    if (at > size || n > size - at)
        return NULL;
    return pw_memory_data(inst->mem) + at;
}

static int read_row_pointer(const psv_model *m, psv_instance *inst, size_t row, void *const *out, char *err,
                            size_t cap) {
    uint32_t at = (uint32_t)inst->slots[0];
    const uint8_t *p = mem_range(inst, at, m->out_row_bytes);
    if (!p) {
        snprintf(err, cap,
                 "model '%s': '%s' returned %u, which does not point to the %zu bytes of a row's outputs",
                 m->name, m->entry, at, m->out_row_bytes);
        return -1;
    }
    for (size_t o = 0; o < m->nout; o++) {
        size_t bytes = m->out[o].elems * psv_dtype_size(m->out[o].dtype);
        memcpy((uint8_t *)out[o] + row * bytes, p, bytes);
        p += bytes;
    }
    return 0;
}

static int run_rows(const psv_model *m, psv_instance *inst, size_t rows, void *const *in, void *const *out,
                    char *err, size_t cap) {
    const pb_func *f = &inst->entry;
    for (size_t r = 0; r < rows; r++) {
        size_t k = 0;
        for (size_t i = 0; i < m->nin; i++) {
            size_t es = psv_dtype_size(m->in[i].dtype), n = m->in[i].elems;
            const uint8_t *src = (const uint8_t *)in[i] + r * n * es;
            for (size_t e = 0; e < n; e++, k++)
                inst->slots[k] = psv_elem_to_cell(m->in[i].dtype, src + e * es, f->params[k]);
        }
        pb_error pe = {0};
        if (pb_func_call_slots(f, inst->slots, &pe))
            return call_failed(m, m->entry, &pe, err, cap);
        if (inst->by_pointer) {
            if (read_row_pointer(m, inst, r, out, err, cap))
                return -1;
            continue;
        }
        k = 0;
        for (size_t o = 0; o < m->nout; o++) {
            size_t es = psv_dtype_size(m->out[o].dtype), n = m->out[o].elems;
            uint8_t *dst = (uint8_t *)out[o] + r * n * es;
            for (size_t e = 0; e < n; e++, k++)
                psv_elem_from_cell(m->out[o].dtype, inst->slots[k], f->results[k], dst + e * es);
        }
    }
    return 0;
}

static size_t tensor_bytes(const psv_model *m, size_t t, size_t rows) {
    const psv_tensor_spec *s = t < m->nin ? &m->in[t] : &m->out[t - m->nin];
    return rows * s->elems * psv_dtype_size(s->dtype);
}

/* Buffers for rows rows (allocated again only when a batch is larger). */
static int ensure_buffers(const psv_model *m, psv_instance *inst, size_t rows, char *err, size_t cap) {
    if (rows <= inst->buf_rows)
        return 0;
    for (size_t t = 0; t < m->nin + m->nout; t++) {
        size_t bytes = tensor_bytes(m, t, rows);
        uint64_t cell = bytes;
        pb_error pe = {0};
        if (bytes > INT32_MAX) {
            snprintf(err, cap, "model '%s': a batch of %zu rows needs %zu bytes for one tensor (at most 2 GiB)",
                     m->name, rows, bytes);
            return -1;
        }
        if (pb_func_call_slots(&inst->alloc, &cell, &pe))
            return call_failed(m, "portalis_alloc", &pe, err, cap);
        inst->bufs[t] = (uint32_t)cell;
        if (!inst->bufs[t] || !mem_range(inst, inst->bufs[t], bytes)) {
            snprintf(err, cap, "model '%s': portalis_alloc(%zu) returned %u, not a buffer of its memory", m->name,
                     bytes, inst->bufs[t]);
            inst->buf_rows = 0;
            return -1;
        }
    }
    inst->buf_rows = rows;
    return 0;
}

static int run_batch(const psv_model *m, psv_instance *inst, size_t rows, void *const *in, void *const *out,
                     char *err, size_t cap) {
    if (ensure_buffers(m, inst, rows, err, cap))
        return -1;
    size_t nt = m->nin + m->nout;
    uint64_t cells[1 + 2 * 64];
    uint64_t *slots = nt < 64 ? cells : malloc((1 + nt) * sizeof *slots);
    if (!slots)
        return -1;
    slots[0] = rows;
    for (size_t t = 0; t < nt; t++) {
        slots[1 + t] = inst->bufs[t];
        if (t < m->nin)
            memcpy(mem_range(inst, inst->bufs[t], tensor_bytes(m, t, rows)), in[t], tensor_bytes(m, t, rows));
    }
    pb_error pe = {0};
    int rc = pb_func_call_slots(&inst->batch, slots, &pe);
    int32_t status = inst->batch.nresults ? (int32_t)(uint32_t)slots[0] : 0;
    if (slots != cells)
        free(slots);
    if (rc)
        return call_failed(m, m->batch_entry, &pe, err, cap);
    if (status) {
        snprintf(err, cap, "model '%s': '%s' returned the error status %d", m->name, m->batch_entry, status);
        return -1;
    }
    for (size_t o = 0; o < m->nout; o++) {
        size_t t = m->nin + o;
        const uint8_t *p = mem_range(inst, inst->bufs[t], tensor_bytes(m, t, rows));
        if (!p) {
            snprintf(err, cap, "model '%s': its memory shrank under an output buffer", m->name);
            return -1;
        }
        memcpy(out[o], p, tensor_bytes(m, t, rows));
    }
    return 0;
}

int psv_model_run(psv_repo *r, psv_model *m, psv_instance *inst, size_t rows, void *const *in, void *const *out,
                  char *err, size_t errcap) {
    (void)r;
    if (inst->has_batch)
        return run_batch(m, inst, rows, in, out, err, errcap);
    return run_rows(m, inst, rows, in, out, err, errcap);
}
