/* Values as a flattened layer holds them (UsdStage::Flatten): asset paths
 * anchored to the layer that authored them, dictionaries merged key by key
 * across the composed opinions and kept in key order (a composed dictionary
 * is a VtDictionary, a map ordered by key). */
#include <stdlib.h>

#include "stage_internal.h"

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const pusd_dict_entry *)a)->key, ((const pusd_dict_entry *)b)->key);
}

/* An asset path that is a variable expression, evaluated with vars as UsdStage evaluates it for
 * flattening (None gives ""; an expression that fails stays as written); malloc'ed or NULL. */
static char *eval_asset(const char *asset, const pusd_dict *vars) {
    if (!pusd_is_variable_expression(asset)) return NULL;
    pusd_value v = {PUSD_T_DICTIONARY, 0, 1, vars};
    char *out = NULL, err[8];
    if (pusd_variable_expression_eval(asset, vars ? &v : NULL, &out, err, sizeof err)) return NULL;
    return out ? out : strdup("");
}

/* v is a copy in arena a: its asset paths are evaluated (expressions, with vars) and anchored to
 * layer from (unless NULL), its dictionaries sorted. */
static int anchor_and_sort(pusd_arena *ar, interner *in, pusd_value *v, const pusd_layer *from, const pusd_dict *vars) {
    if (v->type == PUSD_T_ASSET && v->data && from) {
        const char **items = (const char **)(uintptr_t)v->data;
        for (uint32_t i = 0; i < v->count; i++) {
            char *a, *ev = eval_asset(items[i], vars);
            if (ev) {
                items[i] = pusd__intern(in, ar, ev, strlen(ev));
                free(ev);
                if (!items[i]) return -1;
            }
            if (pusd__anchor_asset(from, items[i], &a)) return -1;
            if (!a) continue;
            items[i] = pusd__intern(in, ar, a, strlen(a));
            free(a);
            if (!items[i]) return -1;
        }
    } else if (v->type == PUSD_T_DICTIONARY && v->data) {
        pusd_dict *d = (pusd_dict *)(uintptr_t)v->data;
        for (uint32_t i = 0; i < d->count; i++)
            if (anchor_and_sort(ar, in, &d->entries[i].value, from, vars)) return -1;
        if (d->count > 1) qsort(d->entries, d->count, sizeof *d->entries, cmp_entry);
    }
    return 0;
}

int pusd__flat_copy(pusd_layer *out, pusd_value *dst, const pusd_value *src, const pusd_layer *from,
                    const pusd_dict *vars) {
    return pusd__flat_copy_in(&out->arena, &out->strings, dst, src, from, vars);
}

int pusd__flat_copy_in(pusd_arena *a, interner *in, pusd_value *dst, const pusd_value *src, const pusd_layer *from,
                       const pusd_dict *vars) {
    if (pusd__value_copy(a, in, dst, src)) return -1;
    return anchor_and_sort(a, in, dst, from, vars);
}

/* Merges sorted dictionary b under sorted dictionary a (both in arena ar): a's keys win, keys
 * only b has are added, and a key both hold as dictionaries merges the same way. */
static int merge_under(pusd_arena *ar, pusd_dict *a, const pusd_dict *b) {
    pusd_dict_entry *m = pusd__ar_alloc(ar, (a->count + b->count + 1) * sizeof *m);
    if (!m) return -1;
    uint32_t i = 0, j = 0, n = 0;
    while (i < a->count || j < b->count) {
        int c = i == a->count ? 1 : j == b->count ? -1 : strcmp(a->entries[i].key, b->entries[j].key);
        if (c > 0) {
            m[n++] = b->entries[j++];
            continue;
        }
        m[n] = a->entries[i++];
        if (!c) {
            const pusd_value *bv = &b->entries[j++].value;
            if (m[n].value.type == PUSD_T_DICTIONARY && bv->type == PUSD_T_DICTIONARY && m[n].value.data && bv->data &&
                merge_under(ar, (pusd_dict *)(uintptr_t)m[n].value.data, bv->data))
                return -1;
        }
        n++;
    }
    a->entries = m;
    a->count = n;
    return 0;
}

int pusd__flat_dict_under(pusd_layer *out, pusd_value *dst, const pusd_value *weak, const pusd_layer *from,
                          const pusd_dict *vars) {
    return pusd__dict_under_in(&out->arena, &out->strings, dst, weak, from, vars);
}

int pusd__dict_under_in(pusd_arena *a, interner *in, pusd_value *dst, const pusd_value *weak, const pusd_layer *from,
                        const pusd_dict *vars) {
    if (dst->type != PUSD_T_DICTIONARY || weak->type != PUSD_T_DICTIONARY || !weak->data) return 0;
    pusd_value w;
    if (pusd__flat_copy_in(a, in, &w, weak, from, vars)) return -1;
    if (!dst->data) {
        dst->data = w.data;
        return 0;
    }
    return merge_under(a, (pusd_dict *)(uintptr_t)dst->data, w.data);
}
