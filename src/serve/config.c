/* A model's config.pbtxt (Triton's model configuration, protobuf text) read
 * into a psv_model. The keys used are listed in docs/serve.md; keys Triton
 * knows that mean nothing for a WebAssembly model are reported and ignored. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

#define MAX_CONFIG_BYTES (1u << 20)
#define MAX_BATCH (1 << 20)
#define MAX_ELEMS 4096 /* elements of a row per tensor */

typedef struct cfg_ctx {
    const char *file;
    psv_diag_fn diag;
    void *ctx;
    char *err;
    size_t errcap;
} cfg_ctx;

static int bad(cfg_ctx *c, const psv_pb *f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(cfg_ctx *c, const psv_pb *f, const char *fmt, ...) {
    int n = snprintf(c->err, c->errcap, "%s:%d: ", c->file, f ? f->line : 1);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errcap)
        vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void warn_unknown(cfg_ctx *c, const psv_pb *msg, const char *const *known, const char *where) {
    for (const psv_pb *f = msg->child; f; f = f->next) {
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = !strcmp(known[i], f->name);
        if (!ok) {
            char m[512];
            snprintf(m, sizeof m, "%s:%d: '%s' %s is ignored by the wasm backend (docs/serve.md)", c->file,
                     f->line, f->name, where);
            c->diag(c->ctx, m);
        }
    }
}

static bool as_int(const psv_pb *f, int64_t lo, int64_t hi, int64_t *out) {
    if (!f->value || f->is_string || f->is_message)
        return false;
    char *end;
    long long v = strtoll(f->value, &end, 10);
    if (*end || end == f->value || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static const char *scalar(const psv_pb *msg, const char *name) {
    const psv_pb *f = psv_pb_next(msg, NULL, name);
    return f && f->value ? f->value : NULL;
}

static int read_tensor(cfg_ctx *c, const psv_pb *t, psv_tensor_spec *out) {
    static const char *const known[] = {"name", "data_type", "dims", NULL};
    warn_unknown(c, t, known, "in a tensor");
    const char *name = scalar(t, "name"), *dt = scalar(t, "data_type");
    if (!name || !*name)
        return bad(c, t, "%s without a name", t->name);
    if (!dt || !psv_dtype_parse(dt, true, &out->dtype))
        return bad(c, t,
                   "%s '%s': data_type '%s' is not one of TYPE_BOOL, TYPE_UINT8..64, TYPE_INT8..64, TYPE_FP16, "
                   "TYPE_FP32, TYPE_FP64 (TYPE_STRING is not served: docs/serve.md)",
                   t->name, name, dt ? dt : "");
    out->name = strdup(name);
    out->elems = 1;
    for (const psv_pb *d = psv_pb_next(t, NULL, "dims"); d; d = psv_pb_next(t, d, "dims")) {
        int64_t v;
        if (out->ndims == PSV_MAX_DIMS)
            return bad(c, d, "%s '%s' has more than %d dims", t->name, name, PSV_MAX_DIMS);
        if (!as_int(d, 1, MAX_ELEMS, &v))
            return bad(c, d,
                       "%s '%s': dims must be fixed sizes from 1 to %d (a module's function takes a fixed "
                       "number of values), not '%s'",
                       t->name, name, MAX_ELEMS, d->value ? d->value : "{...}");
        out->dims[out->ndims++] = v;
        out->elems *= (size_t)v;
    }
    if (out->elems > MAX_ELEMS)
        return bad(c, t, "%s '%s' has %zu elements per row (at most %d)", t->name, name, out->elems, MAX_ELEMS);
    return 0;
}

static int read_tensors(cfg_ctx *c, const psv_pb *root, const char *kind, psv_tensor_spec **out, size_t *n,
                        size_t *elems) {
    for (const psv_pb *t = psv_pb_next(root, NULL, kind); t; t = psv_pb_next(root, t, kind))
        (*n)++;
    if (*n == 0)
        return bad(c, NULL, "the model has no %s", kind);
    *out = calloc(*n, sizeof **out);
    size_t i = 0;
    for (const psv_pb *t = psv_pb_next(root, NULL, kind); t; t = psv_pb_next(root, t, kind), i++) {
        if (!t->is_message)
            return bad(c, t, "%s must be a message { name: ... data_type: ... dims: [...] }", kind);
        if (read_tensor(c, t, &(*out)[i]))
            return -1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp((*out)[k].name, (*out)[i].name))
                return bad(c, t, "two %ss are called '%s'", kind, (*out)[i].name);
        *elems += (*out)[i].elems;
    }
    return 0;
}

/* parameters: { key: "entry_function" value: { string_value: "f" } } */
static int read_parameters(cfg_ctx *c, const psv_pb *root, psv_model *m) {
    for (const psv_pb *p = psv_pb_next(root, NULL, "parameters"); p; p = psv_pb_next(root, p, "parameters")) {
        const char *key = p->is_message ? scalar(p, "key") : NULL;
        const psv_pb *val = key ? psv_pb_next(p, NULL, "value") : NULL;
        const char *s = val && val->is_message ? scalar(val, "string_value") : NULL;
        if (!s)
            return bad(c, p, "parameters must be { key: \"...\" value: { string_value: \"...\" } }");
        if (!strcmp(key, "entry_function")) {
            free(m->entry);
            m->entry = strdup(s);
        } else if (!strcmp(key, "batch_function")) {
            free(m->batch_entry);
            m->batch_entry = *s ? strdup(s) : NULL;
        } else {
            char msg[512];
            snprintf(msg, sizeof msg, "%s:%d: parameter '%s' is ignored (known: entry_function, batch_function)",
                     c->file, p->line, key);
            c->diag(c->ctx, msg);
        }
    }
    if (!m->entry)
        return bad(c, NULL, "no parameters { key: \"entry_function\" ... } naming the module's function to call");
    return 0;
}

static int read_config(cfg_ctx *c, const psv_pb *root, psv_model *m) {
    static const char *const known[] = {"name",  "backend", "platform",   "max_batch_size",
                                        "input", "output",  "parameters", "default_model_filename",
                                        NULL};
    warn_unknown(c, root, known, "");
    const char *name = scalar(root, "name");
    if (name && strcmp(name, m->name))
        return bad(c, psv_pb_next(root, NULL, "name"), "name \"%s\" differs from the model's folder name '%s'",
                   name, m->name);
    const char *backend = scalar(root, "backend"), *platform = scalar(root, "platform");
    const char *b = backend ? backend : platform;
    if (!b || strcmp(b, "wasm"))
        return bad(c, NULL, "backend \"%s\" is not served here: this server runs backend: \"wasm\"", b ? b : "");
    const psv_pb *mb = psv_pb_next(root, NULL, "max_batch_size");
    if (mb && !as_int(mb, 0, MAX_BATCH, &m->max_batch))
        return bad(c, mb, "max_batch_size must be an integer from 0 to %d", MAX_BATCH);
    if (read_tensors(c, root, "input", &m->in, &m->nin, &m->in_elems) ||
        read_tensors(c, root, "output", &m->out, &m->nout, &m->out_elems))
        return -1;
    for (size_t i = 0; i < m->nout; i++)
        m->out_row_bytes += m->out[i].elems * psv_dtype_size(m->out[i].dtype);
    return read_parameters(c, root, m);
}

int psv_config_read(const char *path, psv_model *m, char **model_file, psv_diag_fn diag, void *ctx, char *err,
                    size_t errcap) {
    cfg_ctx c = {path, diag, ctx, err, errcap};
    pbase_error pe;
    char *text = NULL;
    size_t len = 0;
    if (pbase_read_file(path, MAX_CONFIG_BYTES, &text, &len, &pe)) {
        snprintf(err, errcap, "%s", pe.message);
        return -1;
    }
    psv_pb *root = NULL;
    char perr[400];
    int rc = psv_pb_parse(text, len, &root, perr, sizeof perr);
    free(text);
    if (rc) {
        snprintf(err, errcap, "%s:%s", path, perr + 4); /* "line N: why" -> "path:N: why" */
        return -1;
    }
    rc = read_config(&c, root, m);
    const char *file = rc ? NULL : scalar(root, "default_model_filename");
    if (file && (!*file || strchr(file, '/') || file[0] == '.')) {
        rc = bad(&c, psv_pb_next(root, NULL, "default_model_filename"),
                 "default_model_filename must be a plain file name in the version folder, not '%s'", file);
        file = NULL;
    }
    *model_file = strdup(file ? file : "model.wasm");
    psv_pb_free(root);
    return rc;
}
