/* Instantiation: import checks, allocation of the module's own objects,
 * segment initialisation, the start function; export lookup. */
#include <stdlib.h>
#include <string.h>

#include "tier.h"

const char *pw_extern_kind_name(pw_extern_kind k) {
    static const char *const n[] = {"function", "table", "memory", "global"};
    return (unsigned)k < 4 ? n[k] : "?";
}

static bool limits_match(pw_limits actual, uint32_t actual_size, wm_limits want) {
    if (actual_size < want.min)
        return false;
    if (want.has_max) {
        if (!actual.has_max || actual.max > want.max)
            return false;
    }
    return true;
}

static pw_slot eval_const(pw_instance *inst, const wm_constexpr *e) {
    pw_slot s;
    s.u64 = 0;
    switch (e->op) {
    case WM_CONST_GLOBAL_GET: s = inst->globals[e->value]->val; break;
    case WM_CONST_REF_NULL: s.ref = NULL; break;
    case WM_CONST_REF_FUNC: s.ref = inst->funcs[e->value]; break;
    default: s.u64 = e->value; break;
    }
    return s;
}

static pw_error *link_error(const wm_import *im, const char *why) {
    return pw_error_new(PW_ERR_LINK, "incompatible import type for %s '%s'.'%s': %s",
                        pw_extern_kind_name((pw_extern_kind)im->kind), im->module, im->name, why);
}

static pw_error *check_imports(const pw_module *mod, const pw_extern *imports) {
    const wm_module *m = &mod->m;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wm_import *im = &m->imports[i];
        const pw_extern *ex = &imports[i];
        if ((int)ex->kind != im->kind || !ex->of.func)
            return pw_error_new(PW_ERR_LINK, "incompatible import type for '%s'.'%s': expected a %s", im->module,
                                im->name, pw_extern_kind_name((pw_extern_kind)im->kind));
        switch (im->kind) {
        case WM_EXT_FUNC:
            if (ex->of.func->sig != mod->sigs[im->desc.type_index])
                return link_error(im, "function signature differs");
            break;
        case WM_EXT_TABLE: {
            const pw_table *t = ex->of.table;
            if (t->elem != pw_kind_of(im->desc.table.reftype))
                return link_error(im, "element type differs");
            if (!limits_match(t->limits, t->size, im->desc.table.limits))
                return link_error(im, "table limits do not match");
            break;
        }
        case WM_EXT_MEMORY: {
            const pw_memory *mm = ex->of.memory;
            if (!limits_match(mm->limits, mm->pages, im->desc.memory))
                return link_error(im, "memory limits do not match");
            break;
        }
        default: {
            const pw_global *g = ex->of.global;
            if (g->type != pw_kind_of(im->desc.global.valtype) || g->mut != im->desc.global.mut)
                return link_error(im, "global type or mutability differs");
            break;
        }
        }
    }
    return NULL;
}

/* Segment initialisation in the spec's order; a failure leaves the writes
 * already done in place (they may be visible through imports). */
static pw_error *init_segments(pw_instance *inst) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *el = &m->elems[i];
        if (el->mode == WM_SEG_ACTIVE) {
            pw_table *t = inst->tables[el->table];
            uint64_t off = eval_const(inst, &el->offset).u32;
            if (off + el->count > t->size)
                return pw_error_trap_new(PW_TRAP_TABLE_OOB);
            if (el->count)
                memcpy(t->elems + off, inst->elem_items[i], el->count * sizeof(void *));
        }
        if (el->mode != WM_SEG_PASSIVE) {
            free(inst->elem_items[i]);
            inst->elem_items[i] = NULL;
            inst->elem_sizes[i] = 0;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode != WM_SEG_ACTIVE)
            continue;
        pw_memory *mm = inst->mem0;
        uint64_t off = eval_const(inst, &d->offset).u32;
        if (off + d->len > mm->size)
            return pw_error_trap_new(PW_TRAP_MEMORY_OOB);
        if (d->len)
            memcpy(mm->data + off, d->bytes, d->len);
        inst->data_dropped[i] = true;
    }
    return NULL;
}

pw_error *pw_instance_new(pw_store *s, pw_module *mod, const pw_extern *imports, size_t nimports,
                          pw_instance **out) {
    *out = NULL;
    const wm_module *m = &mod->m;
    if (nimports != m->nimports)
        return pw_error_new(PW_ERR_ARGUMENT, "module expects %u imports, %zu given", m->nimports, nimports);
    /* Check every import before allocating anything. */
    pw_error *lerr = check_imports(mod, imports);
    if (lerr)
        return lerr;
    for (uint32_t i = m->nmemories > m->nmemory_imports ? m->nmemory_imports : m->nmemories; i < m->nmemories;
         i++)
        if ((uint64_t)m->memories[i].min * PW_PAGE > s->memory_limit)
            return pw_error_new(
                PW_ERR_RESOURCE,
                "memory %u needs %u pages (%llu bytes), more than the store's limit of %llu bytes", i,
                m->memories[i].min, (unsigned long long)m->memories[i].min * PW_PAGE,
                (unsigned long long)s->memory_limit);

    pw_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    inst->store = s;
    inst->module = pw_module_ref(mod);
    if (!pw_store_own(s, inst, PW_OBJ_INSTANCE)) {
        pw_instance_free(inst);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    }
    inst->funcs = calloc(m->nfuncs + 1, sizeof *inst->funcs);
    inst->tables = calloc(m->ntables + 1, sizeof *inst->tables);
    inst->globals = calloc(m->nglobals + 1, sizeof *inst->globals);
    inst->exports = calloc(m->nexports + 1, sizeof *inst->exports);
    inst->elem_items = calloc(m->nelems + 1, sizeof *inst->elem_items);
    inst->elem_sizes = calloc(m->nelems + 1, sizeof *inst->elem_sizes);
    inst->data_dropped = calloc(m->ndatas + 1, sizeof *inst->data_dropped);
    if (!inst->funcs || !inst->tables || !inst->globals || !inst->exports || !inst->elem_items ||
        !inst->elem_sizes || !inst->data_dropped)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    inst->mem0 = &s->empty_memory;

    uint32_t fi = 0, ti = 0, mi = 0, gi = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        switch (m->imports[i].kind) {
        case WM_EXT_FUNC: inst->funcs[fi++] = imports[i].of.func; break;
        case WM_EXT_TABLE: inst->tables[ti++] = imports[i].of.table; break;
        case WM_EXT_MEMORY:
            if (mi++ == 0)
                inst->mem0 = imports[i].of.memory;
            break;
        default: inst->globals[gi++] = imports[i].of.global; break;
        }
    }
    for (uint32_t i = 0; i < m->ncodes; i++) {
        pw_func *f = calloc(1, sizeof *f);
        if (!f || !pw_store_own(s, f, PW_OBJ_FUNC)) {
            free(f);
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        }
        f->sig = mod->sigs[m->func_types[fi]];
        f->inst = inst;
        f->tier = mod->tier;
        mod->tier->bind(f, i);
        inst->funcs[fi++] = f;
    }
    for (; ti < m->ntables; ti++) {
        const wm_tabletype *tt = &m->tables[ti];
        inst->tables[ti] = pw_table_alloc(s, pw_kind_of(tt->reftype),
                                          (pw_limits){tt->limits.min, tt->limits.max, tt->limits.has_max}, NULL);
        if (!inst->tables[ti])
            return pw_error_new(PW_ERR_RESOURCE, "cannot allocate table %u of %u elements", ti, tt->limits.min);
    }
    for (; mi < m->nmemories; mi++) {
        const wm_limits *ml = &m->memories[mi];
        pw_memory *mm = pw_memory_alloc(s, (pw_limits){ml->min, ml->max, ml->has_max});
        if (!mm)
            return pw_error_new(PW_ERR_RESOURCE, "cannot allocate memory %u of %u pages", mi, ml->min);
        if (mi == 0)
            inst->mem0 = mm;
    }
    for (; gi < m->nglobals; gi++) {
        const wm_global *g = &m->globals[gi - m->nglobal_imports];
        pw_global *pg = calloc(1, sizeof *pg);
        if (!pg || !pw_store_own(s, pg, PW_OBJ_GLOBAL)) {
            free(pg);
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        }
        pg->type = pw_kind_of(g->type.valtype);
        pg->mut = g->type.mut;
        inst->globals[gi] = pg;
        pg->val = eval_const(inst, &g->init);
        if (g->init.op == WM_CONST_V128)
            pg->val_hi.u64 = g->init.value_hi;
        else if (g->init.op == WM_CONST_GLOBAL_GET)
            pg->val_hi = inst->globals[g->init.value]->val_hi;
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *ex = &m->exports[i];
        pw_extern *e = &inst->exports[i];
        e->kind = (pw_extern_kind)ex->kind;
        switch (ex->kind) {
        case WM_EXT_FUNC: e->of.func = inst->funcs[ex->index]; break;
        case WM_EXT_TABLE: e->of.table = inst->tables[ex->index]; break;
        case WM_EXT_MEMORY: e->of.memory = inst->mem0; break;
        default: e->of.global = inst->globals[ex->index]; break;
        }
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *el = &m->elems[i];
        inst->elem_items[i] = calloc(el->count ? el->count : 1, sizeof(void *));
        if (!inst->elem_items[i])
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        for (uint32_t k = 0; k < el->count; k++)
            inst->elem_items[i][k] = eval_const(inst, &el->items[k]).ref;
        inst->elem_sizes[i] = el->count;
    }
    pw_error *serr = init_segments(inst);
    if (serr)
        return serr;
    if (m->has_start) {
        pw_slot slots[1];
        pw_error *e = pw_call(s, inst->funcs[m->start], slots);
        if (e)
            return e;
    }
    *out = inst;
    return NULL;
}

void pw_instance_free(pw_instance *inst) {
    const wm_module *m = &inst->module->m;
    if (inst->elem_items)
        for (uint32_t i = 0; i < m->nelems; i++)
            free(inst->elem_items[i]);
    free(inst->elem_items);
    free(inst->elem_sizes);
    free(inst->data_dropped);
    free(inst->funcs);
    free(inst->tables);
    free(inst->globals);
    free(inst->exports);
    pw_module_free(inst->module);
    free(inst);
}

bool pw_instance_export(pw_instance *inst, const char *name, pw_extern *out) {
    return pw_instance_export_n(inst, name, strlen(name), out);
}

bool pw_instance_export_n(pw_instance *inst, const char *name, size_t len, pw_extern *out) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].name_len == len && !memcmp(m->exports[i].name, name, len)) {
            *out = inst->exports[i];
            return true;
        }
    return false;
}

pw_func *pw_instance_func(pw_instance *inst, const char *name) {
    pw_extern e;
    if (!pw_instance_export(inst, name, &e) || e.kind != PW_EXTERN_FUNC)
        return NULL;
    return e.of.func;
}

pw_module *pw_instance_module(pw_instance *inst) { return inst->module; }
size_t pw_instance_export_count(pw_instance *inst) { return inst->module->m.nexports; }
bool pw_instance_export_at(pw_instance *inst, size_t i, const char **name, pw_extern *out) {
    if (i >= inst->module->m.nexports)
        return false;
    if (name)
        *name = inst->module->m.exports[i].name;
    if (out)
        *out = inst->exports[i];
    return true;
}
