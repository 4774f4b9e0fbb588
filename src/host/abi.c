/* The "portalis" import module (docs/abi.md): how tick modules reach their
 * channels, post events, log and read their configuration. */
#include "host_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hmod *hm_of(void *u) { return u; }

/* The channel index of handle hd in *i, or a trap naming the import. */
static pw_error *handle_chan(hmod *m, int32_t hd, const char *fn, int *i) {
    if (hd < 0 || (size_t)hd >= m->h->nch)
        return pw_trap_new("portalis.%s: invalid handle %d", fn, hd);
    *i = hd;
    return NULL;
}

/* The name at (a[0] pointer, a[1] length) in the caller's memory, NUL
 * terminated into name[256]; NULL or a trap naming the import. */
static pw_error *read_name(pw_caller *c, const pw_val *a, char name[256], const char *fn) {
    pw_memory *mem = pw_caller_memory(c);
    uint32_t p = (uint32_t)a[0].of.i32, n = (uint32_t)a[1].of.i32;
    if (!mem || n >= 256 || !pw_memory_read(mem, p, name, n))
        return pw_trap_new("portalis.%s: bad name pointer/length (%u, %u)", fn, p, n);
    name[n] = 0;
    return NULL;
}

static pw_error *imp_attr(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    hmod *m = hm_of(u);
    char name[256];
    pw_error *e = read_name(c, a, name, "attr");
    if (e)
        return e;
    r[0].kind = PW_I32;
    r[0].of.i32 = ph__find_chan(m->h, m->path, name);
    return NULL;
}

static pw_error *imp_get_f64(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    hmod *m = hm_of(u);
    int i = -1;
    pw_error *e = handle_chan(m, a[0].of.i32, "get_f64", &i);
    if (e)
        return e;
    r[0].kind = PW_F64;
    r[0].of.f64 = ph__chan_data(ph__resolve_chan(m->h, i))[0];
    return NULL;
}

static pw_error *imp_get_f32(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    pw_error *e = imp_get_f64(c, u, a, r);
    if (!e) {
        double d = r[0].of.f64;
        r[0].kind = PW_F32;
        r[0].of.f32 = (float)d;
    }
    return e;
}

static pw_error *imp_set(hmod *m, int32_t hd, const double *v, size_t n, const char *fn) {
    int i = -1;
    pw_error *e = handle_chan(m, hd, fn, &i);
    if (e)
        return e;
    chan *c = &m->h->ch[i];
    if (!c->is_output || strcmp(c->prim, m->path))
        return pw_trap_new("portalis.%s: '%s' is not an output of %s (only outputs:* may be set)", fn, c->attr,
                           m->path);
    if (c->is_array || (size_t)c->ncomp < n)
        return pw_trap_new("portalis.%s: '%s' has type %s", fn, c->attr, c->type_name);
    ph__chan_set(c, v, n);
    return NULL;
}

static pw_error *imp_set_f64(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    (void)r;
    double v = a[1].of.f64;
    return imp_set(hm_of(u), a[0].of.i32, &v, 1, "set_f64");
}

static pw_error *imp_set_f32(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    (void)r;
    double v = a[1].of.f32;
    return imp_set(hm_of(u), a[0].of.i32, &v, 1, "set_f32");
}

static pw_error *imp_get_vec3(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)r;
    hmod *m = hm_of(u);
    int i = -1;
    pw_error *e = handle_chan(m, a[0].of.i32, "get_vec3", &i);
    if (e)
        return e;
    chan *ch = ph__resolve_chan(m->h, i);
    double v[3] = {0, 0, 0};
    for (int k = 0; k < 3 && k < ch->ncomp; k++)
        v[k] = ph__chan_data(ch)[k];
    pw_memory *mem = pw_caller_memory(c);
    if (!mem || !pw_memory_write(mem, (uint32_t)a[1].of.i32, v, sizeof v))
        return pw_trap_new("portalis.get_vec3: output pointer %u out of bounds", (uint32_t)a[1].of.i32);
    return NULL;
}

static pw_error *imp_set_vec3(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c;
    (void)r;
    double v[3] = {a[1].of.f64, a[2].of.f64, a[3].of.f64};
    return imp_set(hm_of(u), a[0].of.i32, v, 3, "set_vec3");
}

static pw_error *imp_post_event(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)r;
    hmod *m = hm_of(u);
    char name[256];
    pw_error *e = read_name(c, a, name, "post_event");
    if (e)
        return e;
    ph__events_post(m->h, name);
    return NULL;
}

static pw_error *imp_log(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)r;
    hmod *m = hm_of(u);
    char msg[512];
    uint32_t p = (uint32_t)a[0].of.i32, n = (uint32_t)a[1].of.i32;
    if (n >= sizeof msg)
        n = sizeof msg - 1;
    pw_memory *mem = pw_caller_memory(c);
    if (!mem || !pw_memory_read(mem, p, msg, n))
        return pw_trap_new("portalis.log: bad pointer/length");
    msg[n] = 0;
    ph__diag(m->h, "prim %s: log: %s", m->path, msg);
    return NULL;
}

/* ---- configuration attributes (read once, at load) ------------------------------ */

static config_attr *config_add(hmod *m, const char *name) {
    for (size_t i = 0; i < m->nconfig; i++)
        if (!strcmp(m->config[i].name, name))
            return NULL; /* authored before: the schema fallback does not apply */
    config_attr *c = realloc(m->config, (m->nconfig + 1) * sizeof *c);
    if (!c)
        return NULL;
    m->config = c;
    c = &m->config[m->nconfig++];
    memset(c, 0, sizeof *c);
    c->name = ph__xstrdup(name);
    return c;
}

static int config_from_value(config_attr *c, const pusd_value *v) {
    if (v->type == PUSD_T_STRING || v->type == PUSD_T_TOKEN || v->type == PUSD_T_ASSET) {
        const char *s = v->count ? pusd_value_get_string(v, 0) : "";
        c->str = ph__xstrdup(s ? s : "");
        return 0;
    }
    int nc = pusd_type_components((pusd_type)v->type);
    pusd_elem e = pusd_type_elem((pusd_type)v->type);
    if (e == PUSD_E_STR || e == PUSD_E_NONE || e == PUSD_E_OTHER || nc < 1)
        return 0;
    c->n = (size_t)v->count * (size_t)nc;
    c->v = malloc((c->n ? c->n : 1) * sizeof *c->v);
    if (!c->v)
        return -1;
    for (size_t i = 0; i < v->count; i++)
        for (int k = 0; k < nc; k++)
            c->v[i * (size_t)nc + (size_t)k] = pusd_value_get_double(v, i, k);
    return 0;
}

/* A schema fallback is usda text: "1", "(0, 0, -9.81)", "[]", "\"voxel\"". */
static int config_from_fallback(config_attr *c, const pusd_schema_attr *a) {
    const char *s = a->fallback ? a->fallback : "";
    if (*s == '"') {
        size_t n = strlen(s);
        c->str = strndup(s + 1, n >= 2 ? n - 2 : 0);
        return c->str ? 0 : -1;
    }
    if (!strcmp(a->type_name, "bool")) {
        c->v = malloc(sizeof *c->v);
        if (!c->v)
            return -1;
        c->v[0] = !strcmp(s, "true") || !strcmp(s, "1");
        c->n = 1;
        return 0;
    }
    c->v = malloc((strlen(s) / 2 + 1) * sizeof *c->v);
    if (!c->v)
        return -1;
    /* as an authored value of the declared type would read */
    bool single = !strncmp(a->type_name, "float", 5) || !strncmp(a->type_name, "half", 4);
    while (*s) {
        char *end;
        double d = strtod(s, &end);
        if (end == s) {
            s++;
            continue;
        }
        c->v[c->n++] = single ? (double)(float)d : d;
        s = end;
    }
    return 0;
}

int ph__read_config(hmod *m, pusd_prim *p) {
    size_t np = pusd_prim_property_count(p);
    for (size_t i = 0; i < np; i++) {
        const char *name = pusd_prim_property_name(p, i);
        pusd_value v;
        if (!strncmp(name, "inputs:", 7) || !strncmp(name, "outputs:", 8) || pusd_prim_is_relationship(p, name) ||
            pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v) || !v.data)
            continue;
        config_attr *c = config_add(m, name);
        if (c && config_from_value(c, &v))
            return -1;
    }
    const pusd_schema_registry *reg = m->h->reg;
    for (const pusd_schema_def *d = pusd_schema_find(reg, m->schema); d; d = pusd_schema_find(reg, d->base))
        for (size_t i = 0; i < d->attr_count; i++) {
            config_attr *c = config_add(m, d->attrs[i].name);
            if (c && config_from_fallback(c, &d->attrs[i]))
                return -1;
        }
    return 0;
}

void ph__free_config(hmod *m) {
    for (size_t i = 0; i < m->nconfig; i++) {
        free(m->config[i].name);
        free(m->config[i].v);
        free(m->config[i].str);
    }
    free(m->config);
    m->config = NULL;
    m->nconfig = 0;
}

static const config_attr *config_of(hmod *m, pw_caller *c, const pw_val *a, const char *fn, pw_error **e) {
    char name[256];
    if ((*e = read_name(c, a, name, fn)) != NULL)
        return NULL;
    for (size_t i = 0; i < m->nconfig; i++)
        if (!strcmp(m->config[i].name, name))
            return &m->config[i];
    return NULL;
}

/* config_count(name) -> numeric values of the attribute, or -1 */
static pw_error *imp_config_count(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    pw_error *e;
    const config_attr *ca = config_of(hm_of(u), c, a, "config_count", &e);
    r[0].kind = PW_I32;
    r[0].of.i32 = ca && !ca->str ? (int32_t)(ca->n > INT32_MAX ? INT32_MAX : ca->n) : -1;
    return e;
}

/* config_f64(name, i) -> value i (0 when absent or out of range) */
static pw_error *imp_config_f64(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    pw_error *e;
    const config_attr *ca = config_of(hm_of(u), c, a, "config_f64", &e);
    uint32_t i = (uint32_t)a[2].of.i32;
    r[0].kind = PW_F64;
    r[0].of.f64 = ca && i < ca->n ? ca->v[i] : 0;
    return e;
}

/* config_str(name, buf, cap) -> length of the token/string value (copied up
 * to cap bytes), or -1 */
static pw_error *imp_config_str(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    pw_error *e;
    const config_attr *ca = config_of(hm_of(u), c, a, "config_str", &e);
    r[0].kind = PW_I32;
    r[0].of.i32 = -1;
    if (e || !ca || !ca->str)
        return e;
    size_t len = strlen(ca->str), cap = (uint32_t)a[3].of.i32, n = len < cap ? len : cap;
    pw_memory *mem = pw_caller_memory(c);
    if (n && (!mem || !pw_memory_write(mem, (uint32_t)a[2].of.i32, ca->str, n)))
        return pw_trap_new("portalis.config_str: buffer %u out of bounds", (uint32_t)a[2].of.i32);
    r[0].of.i32 = (int32_t)len;
    return NULL;
}

static const pw_valkind K_I[] = {PW_I32}, K_II[] = {PW_I32, PW_I32}, K_III[] = {PW_I32, PW_I32, PW_I32},
                        K_IIII[] = {PW_I32, PW_I32, PW_I32, PW_I32}, K_D[] = {PW_F64}, K_F[] = {PW_F32},
                        K_ID[] = {PW_I32, PW_F64}, K_IF[] = {PW_I32, PW_F32},
                        K_IDDD[] = {PW_I32, PW_F64, PW_F64, PW_F64};

size_t ph__make_imports(hmod *m, pb_import *im) {
    size_t n = 0;
#define IMP(nm, p, np, r, nr, f) im[n++] = (pb_import){"portalis", nm, p, np, r, nr, f, m}
    IMP("attr", K_II, 2, K_I, 1, imp_attr);
    IMP("get_f64", K_I, 1, K_D, 1, imp_get_f64);
    IMP("set_f64", K_ID, 2, NULL, 0, imp_set_f64);
    IMP("get_f32", K_I, 1, K_F, 1, imp_get_f32);
    IMP("set_f32", K_IF, 2, NULL, 0, imp_set_f32);
    IMP("get_vec3", K_II, 2, NULL, 0, imp_get_vec3);
    IMP("set_vec3", K_IDDD, 4, NULL, 0, imp_set_vec3);
    IMP("post_event", K_II, 2, NULL, 0, imp_post_event);
    IMP("log", K_II, 2, NULL, 0, imp_log);
    IMP("config_count", K_II, 2, K_I, 1, imp_config_count);
    IMP("config_f64", K_III, 3, K_D, 1, imp_config_f64);
    IMP("config_str", K_IIII, 4, K_I, 1, imp_config_str);
#undef IMP
    return n;
}
