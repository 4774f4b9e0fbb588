/* The model repository: <dir>/<model>/config.pbtxt and
 * <dir>/<model>/<version>/model.wasm (Triton's layout). Each version is
 * loaded `instances` times through one bridge, so that many requests run at
 * once (a module's store is single-threaded); a request borrows a free
 * instance. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "serve_internal.h"

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool all_digits(const char *s) {
    if (!*s || strlen(s) > 18)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static bool all_numbers(const pw_valkind *k, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (k[i] != PW_I32 && k[i] != PW_I64 && k[i] != PW_F32 && k[i] != PW_F64)
            return false;
    return true;
}

static int check_entry(const psv_model *m, const pb_func *f, psv_instance *inst, char *err, size_t cap) {
    if (!all_numbers(f->params, f->nparams) || !all_numbers(f->results, f->nresults)) {
        snprintf(err, cap,
                 "'%s' takes or returns a v128 or a reference: each tensor element is an i32, i64, f32 or f64",
                 m->entry);
        return -1;
    }
    if (f->nparams != m->in_elems) {
        snprintf(err, cap,
                 "'%s' takes %u parameters, but the inputs have %zu elements per row (one parameter each)",
                 m->entry, f->nparams, m->in_elems);
        return -1;
    }
    if (f->nresults == m->out_elems)
        inst->by_pointer = false;
    else if (f->nresults == 1 && f->results[0] == PW_I32)
        inst->by_pointer = true;
    else {
        snprintf(
            err, cap,
            "'%s' returns %u values, but the outputs have %zu elements per row (return one value each, or an "
            "i32 pointer to them)",
            m->entry, f->nresults, m->out_elems);
        return -1;
    }
    size_t cells = f->nparams > f->nresults ? f->nparams : f->nresults;
    inst->slots = calloc(cells ? cells : 1, sizeof *inst->slots);
    return inst->slots ? 0 : -1;
}

static int check_batch(const psv_model *m, psv_instance *inst, char *err, size_t cap) {
    const pb_func *f = &inst->batch;
    bool ok = f->nparams == 1 + m->nin + m->nout && f->nresults <= 1;
    for (uint32_t i = 0; ok && i < f->nparams; i++)
        ok = f->params[i] == PW_I32;
    if (ok && f->nresults == 1)
        ok = f->results[0] == PW_I32;
    if (!ok) {
        snprintf(err, cap,
                 "batch_function '%s' must take (i32 rows, %zu i32 pointers) and return nothing or an i32",
                 m->batch_entry, m->nin + m->nout);
        return -1;
    }
    if (inst->alloc.nparams != 1 || inst->alloc.nresults != 1 || inst->alloc.params[0] != PW_I32 ||
        inst->alloc.results[0] != PW_I32) {
        snprintf(err, cap, "portalis_alloc must take an i32 and return an i32");
        return -1;
    }
    inst->bufs = calloc(m->nin + m->nout, sizeof *inst->bufs);
    inst->has_batch = inst->bufs != NULL;
    return inst->has_batch ? 0 : -1;
}

static int load_instance(psv_repo *r, psv_model *m, psv_version *v, psv_instance *inst, char *err, size_t cap) {
    char name[300];
    snprintf(name, sizeof name, "%s/%lld", m->name, (long long)v->number);
    pb_load_options lo = {.name = name, .run_initialize = true};
    pb_error pe = {0};
    if (pb_load_module_file(r->bridge, v->wasm_path, &lo, &inst->id, &pe) ||
        pb_func_lookup(r->bridge, inst->id, m->entry, &inst->entry, &pe)) {
        snprintf(err, cap, "%s", pe.message);
        return -1;
    }
    inst->mem = pb_module_memory(r->bridge, inst->id);
    if (check_entry(m, &inst->entry, inst, err, cap))
        return -1;
    if (m->batch_entry) {
        if (pb_func_lookup(r->bridge, inst->id, m->batch_entry, &inst->batch, &pe) ||
            pb_func_lookup(r->bridge, inst->id, "portalis_alloc", &inst->alloc, &pe)) {
            snprintf(err, cap, "batch_function: %s", pe.message);
            return -1;
        }
        if (check_batch(m, inst, err, cap))
            return -1;
    }
    if ((inst->by_pointer || inst->has_batch) && !inst->mem) {
        snprintf(err, cap, "the module exports no memory, which its outputs need");
        return -1;
    }
    return 0;
}

static void load_version(psv_repo *r, psv_model *m, psv_version *v, unsigned n, psv_diag_fn diag, void *ctx) {
    char err[600] = "";
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    v->inst = calloc(n, sizeof *v->inst);
    v->ninst = v->inst ? n : 0;
    bool ok = m->error == NULL && v->inst;
    for (size_t i = 0; ok && i < v->ninst; i++)
        ok = load_instance(r, m, v, &v->inst[i], err, sizeof err) == 0;
    v->ready = ok;
    if (!ok) {
        char msg[1200];
        snprintf(msg, sizeof msg, "model '%s' version %lld: %s", m->name, (long long)v->number,
                 m->error ? m->error : err);
        v->error = strdup(m->error ? m->error : err);
        diag(ctx, msg);
    }
}

static int cmp_version(const void *a, const void *b) {
    const psv_version *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static void scan_versions(psv_repo *r, psv_model *m, const char *model_file, const psv_options *o,
                          psv_diag_fn diag, void *ctx) {
    struct dirent **ents = NULL;
    int n = scandir(m->dir, &ents, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s", m->dir, ents[i]->d_name, model_file);
        struct stat st;
        if (all_digits(ents[i]->d_name) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            psv_version *nv = realloc(m->v, (m->nv + 1) * sizeof *nv);
            if (nv) {
                m->v = nv;
                memset(&m->v[m->nv], 0, sizeof *nv);
                m->v[m->nv].number = strtoll(ents[i]->d_name, NULL, 10);
                m->v[m->nv++].wasm_path = strdup(path);
            }
        }
        free(ents[i]);
    }
    free(ents);
    qsort(m->v, m->nv, sizeof *m->v, cmp_version);
    if (m->nv == 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "model '%s': no version folder holds %s (expected %s/1/%s)", m->name,
                 model_file, m->dir, model_file);
        diag(ctx, msg);
    }
    for (size_t i = 0; i < m->nv; i++)
        load_version(r, m, &m->v[i], o->instances ? o->instances : 1, diag, ctx);
}

static void add_model(psv_repo *r, const char *name, const psv_options *o, psv_diag_fn diag, void *ctx) {
    char dir[4096], cfg[4200], err[700];
    snprintf(dir, sizeof dir, "%s/%s", r->dir, name);
    snprintf(cfg, sizeof cfg, "%s/config.pbtxt", dir);
    if (name[0] == '.' || !is_dir(dir))
        return;
    psv_model *nm = realloc(r->m, (r->n + 1) * sizeof *nm);
    if (!nm)
        return;
    r->m = nm;
    psv_model *m = &r->m[r->n++];
    memset(m, 0, sizeof *m);
    m->name = strdup(name);
    m->dir = strdup(dir);
    pthread_mutex_init(&m->stats.mu, NULL);
    char *model_file = NULL;
    if (psv_config_read(cfg, m, &model_file, diag, ctx, err, sizeof err)) {
        m->error = strdup(err);
        char msg[800];
        snprintf(msg, sizeof msg, "model '%s': %s", name, err);
        diag(ctx, msg);
    }
    scan_versions(r, m, model_file ? model_file : "model.wasm", o, diag, ctx);
    free(model_file);
}

int psv_repo_open(const char *dir, const psv_options *o, psv_diag_fn diag, void *ctx, psv_repo **out, char *err,
                  size_t errcap) {
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        snprintf(err, errcap, "cannot read the model repository '%s': %s", dir, strerror(errno));
        return -1;
    }
    psv_repo *r = calloc(1, sizeof *r);
    pb_config bc = pb_config_default();
    bc.call_deadline_ns = o->call_budget_ns;
    bc.enable_wasi = true;
    if (r) {
        r->bridge = pb_bridge_new(&bc);
        r->dir = strdup(dir);
    }
    for (int i = 0; i < n; i++) {
        if (r && r->bridge && r->dir)
            add_model(r, ents[i]->d_name, o, diag, ctx);
        free(ents[i]);
    }
    free(ents);
    if (!r || !r->bridge || !r->dir) {
        psv_repo_free(r);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    *out = r;
    return 0;
}

static void free_tensors(psv_tensor_spec *t, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(t[i].name);
    free(t);
}

void psv_repo_free(psv_repo *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        psv_model *m = &r->m[i];
        for (size_t k = 0; k < m->nv; k++) {
            for (size_t j = 0; j < m->v[k].ninst; j++) {
                free(m->v[k].inst[j].slots);
                free(m->v[k].inst[j].bufs);
            }
            free(m->v[k].inst);
            free(m->v[k].wasm_path);
            free(m->v[k].error);
            pthread_mutex_destroy(&m->v[k].mu);
            pthread_cond_destroy(&m->v[k].cv);
        }
        free(m->v);
        free_tensors(m->in, m->nin);
        free_tensors(m->out, m->nout);
        free(m->name), free(m->dir), free(m->error), free(m->entry), free(m->batch_entry);
        pthread_mutex_destroy(&m->stats.mu);
    }
    free(r->m);
    pb_bridge_free(r->bridge);
    free(r->dir);
    free(r);
}

psv_model *psv_repo_model(psv_repo *r, const char *name) {
    for (size_t i = 0; r && i < r->n; i++)
        if (!strcmp(r->m[i].name, name))
            return &r->m[i];
    return NULL;
}

psv_version *psv_model_version(psv_model *m, const char *version) {
    if (version && *version) {
        for (size_t i = 0; i < m->nv; i++) {
            char s[24];
            snprintf(s, sizeof s, "%lld", (long long)m->v[i].number);
            if (!strcmp(s, version))
                return &m->v[i];
        }
        return NULL;
    }
    for (size_t i = m->nv; i-- > 0;)
        if (m->v[i].ready)
            return &m->v[i];
    return m->nv ? &m->v[m->nv - 1] : NULL;
}

bool psv_model_ready(const psv_model *m) {
    for (size_t i = 0; i < m->nv; i++)
        if (m->v[i].ready)
            return true;
    return false;
}

psv_instance *psv_version_acquire(psv_version *v) {
    pthread_mutex_lock(&v->mu);
    for (;;) {
        for (size_t i = 0; i < v->ninst; i++)
            if (!v->inst[i].busy) {
                v->inst[i].busy = true;
                pthread_mutex_unlock(&v->mu);
                return &v->inst[i];
            }
        pthread_cond_wait(&v->cv, &v->mu);
    }
}

void psv_version_release(psv_version *v, psv_instance *i) {
    pthread_mutex_lock(&v->mu);
    i->busy = false;
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
}
