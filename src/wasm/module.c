/* Module objects of the embedding API: decoding, validation and translation
 * on creation, and the import/export/name queries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "portalis/base.h"
#include "tier.h"

pw_error *pw_module_new(pw_engine *engine, const uint8_t *bytes, size_t len, pw_module **out) {
    return pw_module_new_tier(engine, bytes, len, engine ? engine->config.tier : PW_TIER_INTERP, out);
}

pw_error *pw_module_new_tier(pw_engine *engine, const uint8_t *bytes, size_t len, pw_tier_kind tier,
                             pw_module **out) {
    *out = NULL;
    if (!engine || (!bytes && len))
        return pw_error_new(PW_ERR_ARGUMENT, "pw_module_new: engine and bytes are required");
    if (len > PW_LIMIT_MODULE_BYTES)
        return pw_error_new(PW_ERR_LIMIT, "module of %zu bytes is over the engine's limit of %llu bytes", len,
                            (unsigned long long)PW_LIMIT_MODULE_BYTES);
    pw_module *mod = calloc(1, sizeof *mod);
    if (!mod)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    atomic_init(&mod->refs, 1);
    mod->engine = engine;
    mod->tier = &pw_tier_interp;
    aot_input in = pw_aot_input_of(bytes, len);
    if (in.error[0]) {
        free(mod);
        return pw_error_new(PW_ERR_MALFORMED, "%s", in.error);
    }
    char err[256];
    int r = wm_decode(in.wasm, in.len, &mod->m, err, sizeof err);
    if (r != WM_OK) {
        free(mod);
        return pw_error_new(r == WM_MALFORMED ? PW_ERR_MALFORMED
                            : r == WM_LIMIT   ? PW_ERR_LIMIT
                                              : PW_ERR_INVALID,
                            "%s", err);
    }
    mod->sigs = calloc(mod->m.ntypes + 1, sizeof *mod->sigs);
    if (!mod->sigs) {
        pw_module_free(mod);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    }
    for (uint32_t i = 0; i < mod->m.ntypes; i++) {
        const wm_functype *t = &mod->m.types[i];
        mod->sigs[i] = pw_engine_intern_sig(engine, t->types, t->nparams, t->nresults);
        if (!mod->sigs[i]) {
            pw_module_free(mod);
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        }
    }
    /* a cached native module skips validation and translation: its bodies
     * were validated when the entry was made (docs/aot.md, "Cached load") */
    bool cached = !in.so && pw_aot_from_cache(mod, tier);
    pw_error *e = cached ? NULL : pw_compile(mod);
    if (!e && !cached)
        e = pw_aot_choose(mod, &in, tier);
    if (e) {
        pw_module_free(mod);
        return e;
    }
    *out = mod;
    return NULL;
}

pw_error *pw_module_from_file(pw_engine *engine, const char *path, pw_module **out) {
    *out = NULL;
    char *buf = NULL;
    size_t n = 0;
    pbase_error perr;
    /* Refuses FIFOs and devices without blocking, and oversized files. */
    if (pbase_read_file(path, (size_t)PW_LIMIT_MODULE_BYTES, &buf, &n, &perr) != 0)
        return pw_error_new(perr.code == EFBIG ? PW_ERR_LIMIT : PW_ERR_IO, "%s", perr.message);
    pw_error *e = pw_module_new(engine, (const uint8_t *)buf, n, out);
    free(buf);
    return e;
}

pw_module *pw_module_ref(pw_module *m) {
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void pw_module_free(pw_module *m) {
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    if (m->tier && m->tier->module_free)
        m->tier->module_free(m);
    if (m->funcs)
        for (uint32_t i = 0; i < m->m.ncodes; i++)
            pw_cfunc_free(&m->funcs[i]);
    free(m->funcs);
    free(m->sigs);
    wm_module_free(&m->m);
    free(m);
}

static void externtype_of(const pw_module *mod, uint8_t kind, uint32_t index, pw_externtype *t) {
    const wm_module *m = &mod->m;
    memset(t, 0, sizeof *t);
    t->kind = (pw_extern_kind)kind;
    switch (kind) {
    case WM_EXT_FUNC: t->func = pw_functype_of(mod->sigs[m->func_types[index]]); break;
    case WM_EXT_TABLE:
        t->limits = (pw_limits){m->tables[index].limits.min, m->tables[index].limits.max,
                                m->tables[index].limits.has_max};
        t->elem = pw_kind_of(m->tables[index].reftype);
        break;
    case WM_EXT_MEMORY:
        t->limits = (pw_limits){m->memories[index].min, m->memories[index].max, m->memories[index].has_max};
        break;
    default:
        t->valtype = pw_kind_of(m->global_types[index].valtype);
        t->mut = m->global_types[index].mut;
        break;
    }
}

size_t pw_module_import_count(const pw_module *m) { return m->m.nimports; }

bool pw_module_import(const pw_module *mod, size_t i, const char **module, const char **name,
                      pw_externtype *type) {
    if (i >= mod->m.nimports)
        return false;
    const wm_import *im = &mod->m.imports[i];
    if (module)
        *module = im->module;
    if (name)
        *name = im->name;
    if (type) {
        /* The index of this import within its kind's index space. */
        uint32_t idx = 0;
        for (size_t k = 0; k < i; k++)
            if (mod->m.imports[k].kind == im->kind)
                idx++;
        externtype_of(mod, im->kind, idx, type);
    }
    return true;
}

size_t pw_module_export_count(const pw_module *m) { return m->m.nexports; }

bool pw_module_export(const pw_module *mod, size_t i, const char **name, pw_externtype *type) {
    if (i >= mod->m.nexports)
        return false;
    const wm_export *ex = &mod->m.exports[i];
    if (name)
        *name = ex->name;
    if (type)
        externtype_of(mod, ex->kind, ex->index, type);
    return true;
}

size_t pw_module_import_name_len(const pw_module *m, size_t i, size_t *module_len) {
    if (i >= m->m.nimports)
        return 0;
    if (module_len)
        *module_len = m->m.imports[i].module_len;
    return m->m.imports[i].name_len;
}

size_t pw_module_export_name_len(const pw_module *m, size_t i) {
    return i < m->m.nexports ? m->m.exports[i].name_len : 0;
}

const char *pw_module_func_name(const pw_module *m, uint32_t func_index) {
    if (!m->m.func_names || func_index >= m->m.nfuncs)
        return NULL;
    return m->m.func_names[func_index];
}

void pw_module_sizes(const pw_module *m, size_t *nfuncs, size_t *binary_bytes, size_t *code_bytes) {
    if (nfuncs)
        *nfuncs = m->m.ncodes;
    if (binary_bytes)
        *binary_bytes = m->m.nbytes;
    if (code_bytes)
        *code_bytes = m->code_bytes;
}

size_t pw_module_custom_count(const pw_module *m) { return m->m.ncustoms; }

bool pw_module_custom(const pw_module *m, size_t i, const char **name, const uint8_t **data, size_t *len) {
    if (i >= m->m.ncustoms)
        return false;
    if (name)
        *name = m->m.customs[i].name;
    if (data)
        *data = m->m.customs[i].data;
    if (len)
        *len = m->m.customs[i].len;
    return true;
}
