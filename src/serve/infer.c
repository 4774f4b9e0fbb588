/* POST /v2/models/<m>[/versions/<v>]/infer: the KServe v2 inference request
 * with JSON tensors, and Triton's binary tensor extension (the JSON is the
 * first Inference-Header-Content-Length bytes of the body, tensors with
 * parameters.binary_data_size follow it in order; outputs asked for with
 * parameters.binary_data are returned the same way). Every problem with a
 * request is a 400 with {"error": "..."} naming the tensor. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

#define MAX_OUTPUT_BYTES (256u << 20)

typedef struct infer_req {
    const psv_model *m;
    size_t rows;
    bool have_rows;
    void **in, **out; /* per input / output spec */
    bool *want, *bin; /* outputs: returned, as binary */
    const psv_jdoc *d;
    char *id;
    const uint8_t *bin_data; /* binary tensors after the JSON */
    size_t bin_len, bin_used;
    char *err;
    size_t errcap;
} infer_req;

static int fail(infer_req *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(infer_req *q, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, q->errcap, fmt, ap);
    va_end(ap);
    return -1;
}

static void shape_text(const int64_t *d, int n, char *buf, size_t cap) {
    size_t at = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%lld", i ? "," : "", (long long)d[i]);
    if (at < cap)
        snprintf(buf + at, cap - at, "]");
}

/* The request's shape against the model's: sets the batch size. */
static int check_shape(infer_req *q, const psv_tensor_spec *s, int shape) {
    int64_t want[PSV_MAX_DIMS + 1], got[PSV_MAX_DIMS + 1];
    int nw = 0, ng = 0;
    if (q->m->max_batch > 0)
        want[nw++] = -1;
    for (int i = 0; i < s->ndims; i++)
        want[nw++] = s->dims[i];
    bool ok = psv_j_is(q->d, shape, PSV_JARR);
    for (int e = psv_j_first(q->d, shape); ok && e >= 0; e = psv_j_next(q->d, shape, e)) {
        bool neg;
        uint64_t size;
        ok = ng < PSV_MAX_DIMS + 1 && psv_j_integer(q->d, e, &neg, &size) == 1 && (!neg || !size) &&
             size <= 1000000000;
        if (ok)
            got[ng++] = (int64_t)size;
    }
    bool match = ok && ng == nw;
    for (int i = q->m->max_batch > 0; match && i < nw; i++)
        match = got[i] == want[i];
    if (!match) { /* the messages' texts are only made for an error */
        char ws[128], gs[128];
        shape_text(want, nw, ws, sizeof ws);
        if (!ok)
            return fail(q, "input '%s': shape must be an array of sizes, like %s", s->name, ws);
        shape_text(got, ng, gs, sizeof gs);
        return fail(q, "input '%s': shape %s does not match the model's %s (-1: the batch size)", s->name, gs,
                    ws);
    }
    size_t rows = q->m->max_batch > 0 ? (size_t)got[0] : 1;
    if (q->m->max_batch > 0 && (rows < 1 || (int64_t)rows > q->m->max_batch))
        return fail(q, "input '%s': batch size %zu is not within 1..%lld (max_batch_size)", s->name, rows,
                    (long long)q->m->max_batch);
    if (q->have_rows && rows != q->rows)
        return fail(q, "input '%s' has a batch size of %zu, other inputs %zu", s->name, rows, q->rows);
    q->rows = rows;
    q->have_rows = true;
    return 0;
}

/* Counts the numbers of a (possibly nested) data array, up to limit + 1.
 * Tokens are flat: the leaves are the scalars inside the array's range. */
static size_t count_leaves(const psv_jdoc *d, int a, size_t limit) {
    size_t n = 0;
    for (uint32_t i = (uint32_t)a + 1; i < d->t[a].next && n <= limit; i++)
        n += d->t[i].type < PSV_JARR;
    return n;
}

static int store_leaves(infer_req *q, const psv_tensor_spec *s, int a, uint8_t *dst) {
    size_t at = 0, es = psv_dtype_size(s->dtype);
    for (uint32_t i = (uint32_t)a + 1; i < q->d->t[a].next; i++) {
        if (q->d->t[i].type >= PSV_JARR)
            continue;
        const char *why = NULL;
        if (!psv_elem_from_json(s->dtype, q->d, (int)i, dst + at * es, &why))
            return fail(q, "input '%s': element %zu: %s (datatype %s)", s->name, at, why,
                        psv_dtype_name(s->dtype));
        at++;
    }
    return 0;
}

static int read_data(infer_req *q, const psv_tensor_spec *s, int t, void **out) {
    size_t n = q->rows * s->elems, bytes = n * psv_dtype_size(s->dtype);
    int params = psv_j_get(q->d, t, "parameters");
    int bsize = psv_j_get(q->d, params, "binary_data_size");
    int data = psv_j_get(q->d, t, "data");
    if (bsize >= 0) {
        bool neg;
        uint64_t b;
        if (psv_j_integer(q->d, bsize, &neg, &b) != 1 || neg || b != bytes)
            return fail(q, "input '%s': binary_data_size must be %zu (%zu %s elements)", s->name, bytes, n,
                        psv_dtype_name(s->dtype));
        if (q->bin_len - q->bin_used < bytes)
            return fail(q, "input '%s': the body holds %zu bytes of binary data past the JSON, %zu short",
                        s->name, q->bin_len - q->bin_used, bytes - (q->bin_len - q->bin_used));
        *out = malloc(bytes ? bytes : 1);
        if (!*out)
            return fail(q, "out of memory");
        memcpy(*out, q->bin_data + q->bin_used, bytes);
        q->bin_used += bytes;
        return 0;
    }
    if (!psv_j_is(q->d, data, PSV_JARR))
        return fail(q, "input '%s': no \"data\" array (nor parameters.binary_data_size)", s->name);
    size_t got = count_leaves(q->d, data, n);
    if (got != n)
        return fail(q, "input '%s': %s%zu elements for shape with %zu", s->name, got > n ? "more than " : "",
                    got > n ? n : got, n);
    *out = malloc(bytes ? bytes : 1);
    if (!*out)
        return fail(q, "out of memory");
    return store_leaves(q, s, data, *out);
}

static int read_input(infer_req *q, int t) {
    int name = psv_j_get(q->d, t, "name");
    if (!psv_j_is(q->d, name, PSV_JSTR))
        return fail(q, "every input needs a \"name\"");
    size_t i = 0;
    while (i < q->m->nin && !psv_j_streq(q->d, name, q->m->in[i].name))
        i++;
    if (i == q->m->nin) {
        char nm[128];
        psv_j_str(q->d, name, nm, sizeof nm);
        return fail(q, "model '%s' has no input '%s'", q->m->name, nm);
    }
    const psv_tensor_spec *s = &q->m->in[i];
    if (q->in[i])
        return fail(q, "input '%s' is given twice", s->name);
    int dt = psv_j_get(q->d, t, "datatype");
    if (!psv_j_streq(q->d, dt, psv_dtype_name(s->dtype))) {
        char got[64] = "missing";
        if (psv_j_is(q->d, dt, PSV_JSTR))
            psv_j_str(q->d, dt, got, sizeof got);
        return fail(q, "input '%s': datatype %s, but the model's is %s", s->name, got, psv_dtype_name(s->dtype));
    }
    if (check_shape(q, s, psv_j_get(q->d, t, "shape")))
        return -1;
    return read_data(q, s, t, &q->in[i]);
}

static int read_outputs(infer_req *q) {
    int p = psv_j_get(q->d, 0, "parameters");
    bool all_bin = psv_j_is(q->d, psv_j_get(q->d, p, "binary_data_output"), PSV_JTRUE);
    int outs = psv_j_get(q->d, 0, "outputs");
    for (size_t i = 0; i < q->m->nout; i++)
        q->want[i] = outs < 0, q->bin[i] = all_bin;
    if (outs >= 0 && !psv_j_is(q->d, outs, PSV_JARR))
        return fail(q, "\"outputs\" must be an array of {\"name\": ...}");
    for (int o = psv_j_first(q->d, outs); o >= 0; o = psv_j_next(q->d, outs, o)) {
        int name = psv_j_get(q->d, o, "name");
        size_t i = 0;
        while (i < q->m->nout && !psv_j_streq(q->d, name, q->m->out[i].name))
            i++;
        if (i == q->m->nout) {
            char nm[128] = "(no name)";
            if (psv_j_is(q->d, name, PSV_JSTR))
                psv_j_str(q->d, name, nm, sizeof nm);
            return fail(q, "model '%s' has no output '%s'", q->m->name, nm);
        }
        int op = psv_j_get(q->d, o, "parameters");
        q->want[i] = true;
        q->bin[i] = all_bin || psv_j_is(q->d, psv_j_get(q->d, op, "binary_data"), PSV_JTRUE);
    }
    return 0;
}

static int read_request(infer_req *q) {
    if (!psv_j_is(q->d, 0, PSV_JOBJ))
        return fail(q, "the request must be a JSON object with \"inputs\"");
    int id = psv_j_get(q->d, 0, "id");
    if (psv_j_is(q->d, id, PSV_JSTR) && !(q->id = psv_j_strdup(q->d, id)))
        return fail(q, "out of memory");
    int inputs = psv_j_get(q->d, 0, "inputs");
    if (!psv_j_is(q->d, inputs, PSV_JARR))
        return fail(q, "the request has no \"inputs\" array");
    for (int t = psv_j_first(q->d, inputs); t >= 0; t = psv_j_next(q->d, inputs, t))
        if (read_input(q, t))
            return -1;
    for (size_t i = 0; i < q->m->nin; i++)
        if (!q->in[i])
            return fail(q, "input '%s' is missing (model '%s' takes %zu inputs)", q->m->in[i].name, q->m->name,
                        q->m->nin);
    if (q->bin_used != q->bin_len)
        return fail(q, "%zu bytes of binary data are not claimed by any input's binary_data_size",
                    q->bin_len - q->bin_used);
    if (q->rows * q->m->out_row_bytes > MAX_OUTPUT_BYTES)
        return fail(q, "the outputs of %zu rows would take more than %u MiB", q->rows, MAX_OUTPUT_BYTES >> 20);
    return read_outputs(q);
}

static void write_response(infer_req *q, const psv_version *v, psv_resp *rs) {
    const psv_model *m = q->m;
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pbase_json *j = &o.j;
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "model_name", m->name);
    char vs[24];
    snprintf(vs, sizeof vs, "%lld", (long long)v->number);
    pbase_json_kv_str(j, "model_version", vs);
    if (q->id) {
        pbase_json_kv_str(j, "id", q->id);
    }
    pbase_json_key(j, "outputs");
    pbase_json_begin_array(j);
    bool any_bin = false;
    for (size_t i = 0; i < m->nout; i++) {
        if (!q->want[i])
            continue;
        const psv_tensor_spec *s = &m->out[i];
        size_t n = q->rows * s->elems, es = psv_dtype_size(s->dtype);
        pbase_json_begin_object(j);
        pbase_json_kv_str(j, "name", s->name);
        pbase_json_kv_str(j, "datatype", psv_dtype_name(s->dtype));
        pbase_json_key(j, "shape");
        pbase_json_begin_array(j);
        if (m->max_batch > 0)
            pbase_json_uint(j, q->rows);
        for (int d = 0; d < s->ndims; d++)
            pbase_json_int(j, s->dims[d]);
        pbase_json_end_array(j);
        if (q->bin[i]) {
            any_bin = true;
            pbase_json_key(j, "parameters");
            pbase_json_begin_object(j);
            pbase_json_kv_uint(j, "binary_data_size", n * es);
            pbase_json_end_object(j);
        } else {
            pbase_json_key(j, "data");
            pbase_json_begin_array(j);
            for (size_t e = 0; e < n; e++)
                psv_elem_to_json(j, s->dtype, (const uint8_t *)q->out[i] + e * es);
            pbase_json_end_array(j);
        }
        pbase_json_end_object(j);
    }
    pbase_json_end_array(j);
    pbase_json_end_object(j);
    if (!any_bin) {
        psv_resp_take(rs, 200, "application/json", &o);
        return;
    }
    fflush(o.f);
    size_t json_len = o.len;
    for (size_t i = 0; i < m->nout; i++)
        if (q->want[i] && q->bin[i])
            fwrite(q->out[i], psv_dtype_size(m->out[i].dtype), q->rows * m->out[i].elems, o.f);
    psv_resp_take(rs, 200, "application/octet-stream", &o);
    snprintf(rs->header_name, sizeof rs->header_name, "Inference-Header-Content-Length");
    snprintf(rs->header_value, sizeof rs->header_value, "%zu", json_len);
}

/* The JSON part's length: the whole body, or the binary extension's header. */
static bool json_length(const psv_req *rq, size_t *len, char *err, size_t cap) {
    const char *h = psv_req_header(rq, "Inference-Header-Content-Length");
    *len = rq->len;
    if (!h)
        return true;
    char *end;
    unsigned long long v = strtoull(h, &end, 10);
    if (end == h || *end || h[0] == '-' || v > rq->len) {
        snprintf(err, cap, "Inference-Header-Content-Length '%s' is not a length within the body's %zu bytes", h,
                 rq->len);
        return false;
    }
    *len = (size_t)v;
    return true;
}

static void run_request(psv_server *s, infer_req *q, psv_version *v, psv_resp *rs) {
    char err[700];
    for (size_t i = 0; i < q->m->nout; i++) {
        size_t bytes = q->rows * q->m->out[i].elems * psv_dtype_size(q->m->out[i].dtype);
        q->out[i] = malloc(bytes ? bytes : 1);
        if (!q->out[i]) {
            psv_resp_error(rs, 500, "out of memory");
            return;
        }
    }
    psv_instance *inst = psv_version_acquire(v);
    int rc = psv_model_run(s->repo, (psv_model *)q->m, inst, q->rows, q->in, q->out, err, sizeof err);
    psv_version_release(v, inst);
    if (rc)
        psv_resp_error(rs, 500, "%s", err);
    else
        write_response(q, v, rs);
}

/* The request's per-tensor arrays: in the caller's small block for models
 * with few tensors (most), else allocated. */
#define FEW 8
typedef struct tensor_lists {
    void *in[FEW], *out[FEW];
    bool want[FEW], bin[FEW];
} tensor_lists;

static bool lists_init(infer_req *q, tensor_lists *few) {
    *few = (tensor_lists){0};
    if (q->m->nin <= FEW && q->m->nout <= FEW) {
        q->in = few->in, q->out = few->out, q->want = few->want, q->bin = few->bin;
        return true;
    }
    q->in = calloc(q->m->nin, sizeof *q->in);
    q->out = calloc(q->m->nout, sizeof *q->out);
    q->want = calloc(q->m->nout, sizeof *q->want);
    q->bin = calloc(q->m->nout, sizeof *q->bin);
    return q->in && q->out && q->want && q->bin;
}

static void lists_free(infer_req *q, tensor_lists *few) {
    for (size_t i = 0; q->in && i < q->m->nin; i++)
        free(q->in[i]);
    for (size_t i = 0; q->out && i < q->m->nout; i++)
        free(q->out[i]);
    if (q->in != few->in)
        free(q->in), free(q->out), free(q->want), free(q->bin);
    free(q->id);
}

void psv_infer(psv_server *s, psv_model *m, psv_version *v, const psv_req *rq, psv_resp *rs) {
    uint64_t t0 = pbase_now_ns();
    char err[700];
    size_t jlen;
    psv_jdoc doc = {0};
    tensor_lists few;
    infer_req q = {.m = m, .d = &doc, .err = err, .errcap = sizeof err};
    if (!lists_init(&q, &few)) {
        psv_resp_error(rs, 500, "out of memory");
    } else if (!v->ready) {
        psv_resp_error(rs, 503, "model '%s' version %lld is not ready: %s", m->name, (long long)v->number,
                       v->error ? v->error : "still loading");
    } else if (!json_length(rq, &jlen, err, sizeof err) ||
               psv_parse_body(&doc, rq->body, jlen, err, sizeof err)) {
        psv_resp_error(rs, 400, "%s", err);
    } else {
        q.bin_data = (const uint8_t *)rq->body + jlen;
        q.bin_len = rq->len - jlen;
        if (read_request(&q))
            psv_resp_error(rs, 400, "%s", err);
        else
            run_request(s, &q, v, rs);
    }
    psv_stats_record(&m->stats, pbase_now_ns() - t0, q.rows, rs->status == 200);
    psv_json_free(&doc);
    lists_free(&q, &few);
}
