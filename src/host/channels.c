/* Channels: every inputs:* / outputs:* attribute of a module prim and every
 * attribute fed by a connection; their current values, connections and
 * reading from the stage. */
#include "host_internal.h"

#include <portalis/base.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ph__find_chan(const ph_host *h, const char *prim, const char *attr) {
    for (size_t i = 0; i < h->nch; i++)
        if (!strcmp(h->ch[i].prim, prim) && !strcmp(h->ch[i].attr, attr))
            return (int)i;
    return -1;
}

/* The value type of a numeric attribute type name ("double3", "point3f[]"),
 * or PUSD_T_INVALID for what the ABI cannot pass (strings, > 16 components). */
pusd_type ph__type_info(const char *type_name, int *ncomp, bool *is_array) {
    pusd_type t = pusd_type_parse(type_name ? type_name : "", is_array);
    pusd_elem e = pusd_type_elem(t);
    if (t == PUSD_T_INVALID || e == PUSD_E_STR || e == PUSD_E_NONE || e == PUSD_E_OTHER)
        return PUSD_T_INVALID;
    *ncomp = pusd_type_components(t);
    return *ncomp > 16 ? PUSD_T_INVALID : t;
}

/* Makes room for n elements of array channel c; 0 or -1. */
static int chan_reserve(chan *c, size_t n) {
    if (n * (size_t)c->ncomp <= c->cap)
        return 0;
    double *a = realloc(c->arr, n * (size_t)c->ncomp * sizeof *a + 8);
    if (!a)
        return -1;
    c->arr = a;
    c->cap = n * (size_t)c->ncomp;
    return 0;
}

/* Appends the elements of v to array channel c (after its first `at`). */
static int chan_append(chan *c, size_t at, const pusd_value *v) {
    size_t n = v->count;
    if (chan_reserve(c, at + n))
        return -1;
    for (size_t e = 0; e < n; e++)
        for (int i = 0; i < c->ncomp; i++)
            c->arr[(at + e) * (size_t)c->ncomp + (size_t)i] = pusd_value_get_double(v, e, i);
    c->count = at + n;
    return 0;
}

/* A module input fed by other prims' attributes: their values one after
 * the other. 0 or -1. */
static int read_feeds(ph_host *h, chan *c, double time) {
    size_t at = 0;
    for (size_t k = 0; k < c->nfeeds; k++) {
        feed *f = &c->feeds[k];
        pusd_prim *p = f->sprim ? f->sprim : (f->sprim = pusd_stage_prim_at_path(h->stage, f->prim));
        pusd_value v;
        if (!p || pusd_prim_get_attr(p, f->attr, time, &v) || !v.data)
            return -1;
        if (!c->is_array) {
            for (int i = 0; i < c->ncomp; i++)
                c->v[i] = pusd_value_get_double(&v, 0, i);
        } else if (chan_append(c, at, &v)) {
            return -1;
        }
        at = c->count;
    }
    c->version++;
    return 0;
}

/* Reads the attribute's value (at time) into the channel; 0 or -1. */
int ph__chan_read_stage(ph_host *h, chan *c, double time) {
    if (c->nfeeds)
        return read_feeds(h, c, time);
    pusd_prim *p = c->sprim ? c->sprim : (c->sprim = pusd_stage_prim_at_path(h->stage, c->prim));
    pusd_value v;
    if (!p || pusd_prim_get_attr(p, c->attr, time, &v) || !v.data)
        return -1;
    if (c->is_array) {
        if (chan_append(c, 0, &v))
            return -1;
    } else {
        for (int i = 0; i < c->ncomp; i++)
            c->v[i] = pusd_value_get_double(&v, 0, i);
        c->count = 1;
    }
    c->version++;
    return 0;
}

int ph__add_chan(ph_host *h, const char *prim, const char *attr, const char *type_name) {
    int i = ph__find_chan(h, prim, attr);
    if (i >= 0)
        return i;
    int ncomp;
    bool arr;
    pusd_type t = ph__type_info(type_name, &ncomp, &arr);
    if (t == PUSD_T_INVALID)
        return -1;
    if (!PBASE_RESERVE(h->ch, h->capch, h->nch + 1))
        return -1;
    chan *c = &h->ch[h->nch];
    memset(c, 0, sizeof *c);
    c->prim = ph__xstrdup(prim);
    c->attr = ph__xstrdup(attr);
    snprintf(c->type_name, sizeof c->type_name, "%s", type_name);
    c->type = t;
    c->ncomp = ncomp;
    c->is_array = arr;
    c->src = -1;
    c->count = arr ? 0 : 1;
    return (int)h->nch++;
}

chan *ph__resolve_chan(ph_host *h, int i) {
    int guard = 0;
    while (h->ch[i].src >= 0 && guard++ < 64)
        i = h->ch[i].src;
    return &h->ch[i];
}

size_t ph__chan_width(const chan *c) { return c->is_array ? c->count * (size_t)c->ncomp : (size_t)c->ncomp; }

const double *ph__chan_data(const chan *c) { return c->is_array ? c->arr : c->v; }

/* Sets a module output (scalar/vector); bumps the version if it changed. */
void ph__chan_set(chan *c, const double *v, size_t n) {
    if (n > 16)
        n = 16;
    if (memcmp(c->v, v, n * sizeof *v)) {
        memcpy(c->v, v, n * sizeof *v);
        c->version++;
    }
}

/* double -> integer conversions that saturate (NaN -> 0) instead of being
 * undefined behaviour out of range. */
int64_t ph__sat_i64(double d) {
    if (!(d == d))
        return 0;
    if (d >= 9223372036854775808.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

uint64_t ph__sat_u64(double d) {
    if (!(d > 0))
        return 0;
    return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
}

int32_t ph__sat_i32(double d) {
    int64_t v = ph__sat_i64(d);
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

uint32_t ph__sat_u32(double d) {
    uint64_t v = ph__sat_u64(d);
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int ph__read_tokens(pusd_prim *p, const char *name, char ***out, size_t *n) {
    pusd_value v;
    *out = NULL;
    *n = 0;
    if (pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v) || !v.data)
        return 0;
    char **a = calloc(v.count ? v.count : 1, sizeof *a);
    if (!a)
        return -1;
    for (size_t i = 0; i < v.count; i++) {
        const char *s = pusd_value_get_string(&v, i);
        a[i] = ph__xstrdup(s);
    }
    *out = a;
    *n = v.count;
    return 1;
}

void ph__chan_free_fields(chan *c) {
    free(c->prim);
    free(c->attr);
    free(c->arr);
    free(c->rec.data);
    free(c->rec.chunks);
    for (size_t k = 0; k < c->nfeeds; k++) {
        free(c->feeds[k].prim);
        free(c->feeds[k].attr);
    }
    free(c->feeds);
}

/* Whether target (PRIM.ATTR) names an attribute that can feed input c; else
 * a diagnostic saying why not. */
static bool feed_ok(ph_host *h, const chan *c, const char *target, size_t n) {
    const char *dot = strrchr(target, '.');
    char prim[512];
    snprintf(prim, sizeof prim, "%.*s", dot ? (int)(dot - target) : 0, target);
    pusd_prim *p = dot ? pusd_stage_prim_at_path(h->stage, prim) : NULL;
    const char *tn = p ? pusd_prim_attr_type_name(p, dot + 1) : NULL;
    int ncomp = 0;
    bool arr = false;
    const char *why = NULL;
    if (!tn)
        why = "no such attribute";
    else if (ph__find_chan(h, prim, dot + 1) >= 0)
        why = "module outputs and other attributes cannot feed one input together";
    else if (ph__type_info(tn, &ncomp, &arr) == PUSD_T_INVALID || ncomp != c->ncomp ||
             (!c->is_array && (arr || n > 1)))
        why = "types do not match";
    if (why)
        ph__diag(h, "prim %s: %s (%s) is connected to <%s> (%s): %s; connection ignored", c->prim, c->attr,
                 c->type_name, target, tn ? tn : "?", why);
    return !why;
}

void ph__connect_feeds(ph_host *h, chan *c, const char *const *targets, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (!feed_ok(h, c, targets[k], n))
            return;
    feed *f = calloc(n, sizeof *f);
    if (!f)
        return;
    bool animated = false;
    for (size_t k = 0; k < n; k++) {
        const char *dot = strrchr(targets[k], '.');
        f[k].prim = strndup(targets[k], (size_t)(dot - targets[k]));
        f[k].attr = ph__xstrdup(dot + 1);
        pusd_prim *p = pusd_stage_prim_at_path(h->stage, f[k].prim);
        const double *times;
        animated = animated || (p && pusd_prim_attr_sample_times(p, f[k].attr, &times) > 0);
    }
    c->feeds = f;
    c->nfeeds = n;
    c->animated = animated;
    if (ph__chan_read_stage(h, c, animated ? h->time.start_time_code : PUSD_TIME_DEFAULT))
        ph__diag(h, "prim %s: %s: cannot read the attributes connected to it", c->prim, c->attr);
}

void ph__free_chans(ph_host *h) {
    for (size_t i = 0; i < h->nch; i++)
        ph__chan_free_fields(&h->ch[i]);
    free(h->ch);
    h->ch = NULL;
    h->nch = h->capch = 0;
}
