/* Layer data model: prim specs, property specs, metadata, the child index,
 * and the public layer functions. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

void pusd__layer_init(pusd_layer *l, const char *identifier) {
    memset(l, 0, sizeof *l);
    l->identifier = strdup(identifier ? identifier : "anon.usda");
    const char *slash = l->identifier ? strrchr(l->identifier, '/') : NULL;
    if (slash)
        l->dir = strndup(l->identifier, (size_t)(slash - l->identifier));
    else
        l->dir = strdup(".");
    l->root.specifier = 'd';
    l->root.name = "";
}

pusd_layer *pusd_layer_new(const char *identifier) {
    pusd_layer *l = malloc(sizeof *l);
    if (!l) return NULL;
    pusd__layer_init(l, identifier);
    l->header = "#usda 1.0";
    if (!l->identifier || !l->dir) {
        pusd_layer_free(l);
        return NULL;
    }
    return l;
}

void pusd_layer_free(pusd_layer *l) {
    if (!l) return;
    pusd__ar_free_all(&l->arena);
    pusd__interner_free(&l->strings);
    free(l->sublayers);
    free(l->hash);
    free(l->warnings);
    free(l->identifier);
    free(l->dir);
    free(l);
}

const char *pusd_layer_identifier(const pusd_layer *l) { return l->identifier; }
size_t pusd_layer_prim_count(const pusd_layer *l) { return l->nprims; }
size_t pusd_layer_warning_count(const pusd_layer *l) { return l ? l->nwarnings : 0; }
const pusd_error *pusd_layer_warning(const pusd_layer *l, size_t i) {
    return l && i < l->nwarnings ? &l->warnings[i] : NULL;
}

/* ---- child index: open hash keyed by (parent, name) -------------------------------- */

static uint32_t child_hash(const pusd_primspec *parent, uint32_t nh) {
    uintptr_t p = (uintptr_t)parent;
    uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ull ^ nh;
    return (uint32_t)(h ^ (h >> 29));
}

pusd_primspec *pusd__layer_child(const pusd_layer *l, const pusd_primspec *parent, const char *name, size_t n) {
    if (!l->hash_cap) return NULL;
    uint32_t nh = pusd_hash(name, n);
    size_t j = child_hash(parent, nh) & (l->hash_cap - 1);
    for (pusd_primspec *c = l->hash[j]; c; c = c->hnext)
        if (c->parent == parent && c->name_hash == nh && !strncmp(c->name, name, n) && c->name[n] == 0) return c;
    return NULL;
}

static int hash_insert(pusd_layer *l, pusd_primspec *p) {
    if ((l->nprims + 1) > l->hash_cap * 2) { /* chains of ~2 on average */
        size_t nc = l->hash_cap ? l->hash_cap * 2 : 64;
        pusd_primspec **nh = calloc(nc, sizeof *nh);
        if (!nh) return -1;
        for (size_t i = 0; i < l->hash_cap; i++) {
            pusd_primspec *c = l->hash[i];
            while (c) {
                pusd_primspec *nx = c->hnext;
                size_t j = child_hash(c->parent, c->name_hash) & (nc - 1);
                c->hnext = nh[j];
                nh[j] = c;
                c = nx;
            }
        }
        free(l->hash);
        l->hash = nh;
        l->hash_cap = nc;
    }
    size_t j = child_hash(p->parent, p->name_hash) & (l->hash_cap - 1);
    p->hnext = l->hash[j];
    l->hash[j] = p;
    return 0;
}

pusd_primspec *pusd__layer_new_prim(pusd_layer *l, pusd_primspec *parent, const char *name, size_t n, char specifier,
                                    const char *type_name) {
    pusd_primspec *p = pusd__ar_calloc(&l->arena, sizeof *p);
    if (!p) return NULL;
    if (!(p->name = pusd__ar_strndup(&l->arena, name, n))) return NULL;
    p->name_hash = pusd_hash(name, n);
    p->type_name = type_name;
    p->specifier = specifier;
    p->parent = parent;
    if (hash_insert(l, p)) return NULL;
    l->nprims++;
    if (parent->last_child)
        parent->last_child->next = p;
    else
        parent->first_child = p;
    parent->last_child = p;
    l->dirty = true;
    return p;
}

prim_ext *pusd__prim_x(pusd_layer *l, pusd_primspec *p) {
    if (!p->ext) p->ext = pusd__ar_calloc(&l->arena, sizeof *p->ext);
    return p->ext;
}

const char *pusd__prop_type_name(const prop_spec *p) {
    if (p->x && p->x->type_name) return p->x->type_name;
    const type_info *ti = pusd_tinfo(p->dflt.type);
    return (p->dflt.flags & PUSD_VF_ARRAY) ? ti->arr_name : ti->name;
}

variant_set_spec *pusd__layer_variant_set(pusd_layer *l, pusd_primspec *owner, const char *name, bool create) {
    if (!owner->ext && !create) return NULL;
    prim_ext *ext = pusd__prim_x(l, owner);
    if (!ext) return NULL;
    variant_set_spec **pp = &ext->vsets;
    for (; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->name, name)) return *pp;
    if (!create) return NULL;
    variant_set_spec *vs = pusd__ar_calloc(&l->arena, sizeof *vs);
    if (!vs) return NULL;
    vs->name = pusd__intern(&l->strings, &l->arena, name, strlen(name));
    if (!vs->name) return NULL;
    *pp = vs;
    return vs;
}

pusd_primspec *pusd__layer_new_variant(pusd_layer *l, pusd_primspec *owner, variant_set_spec *vs, const char *name,
                                       size_t n) {
    pusd_primspec *p = pusd__ar_calloc(&l->arena, sizeof *p);
    if (!p) return NULL;
    if (!(p->name = pusd__ar_strndup(&l->arena, name, n))) return NULL;
    p->specifier = 'o';
    p->parent = owner;
    p->is_variant = 1;
    if (vs->last_variant)
        vs->last_variant->next = p;
    else
        vs->first_variant = p;
    vs->last_variant = p;
    l->nprims++;
    return p;
}

prop_spec *pusd__prim_prop(const pusd_primspec *p, const char *name) {
    for (prop_spec *s = p->first_prop; s; s = s->next)
        if (s->name == name || !strcmp(s->name, name)) return s;
    return NULL;
}

prop_spec *pusd__prim_new_prop(pusd_layer *l, pusd_primspec *p, const char *name) {
    prop_spec *s = pusd__ar_calloc(&l->arena, sizeof *s);
    if (!s) return NULL;
    s->name = name;
    prop_spec **pp = &p->first_prop;
    while (*pp) pp = &(*pp)->next;
    *pp = s;
    return s;
}

prop_extra *pusd__prop_x(pusd_layer *l, prop_spec *ps) {
    if (!ps->x) ps->x = pusd__ar_calloc(&l->arena, sizeof *ps->x);
    return ps->x;
}

meta_entry *pusd__meta_find(const meta_list *m, const char *key) {
    for (meta_entry *e = m->head; e; e = e->next)
        if (e->key == key || !strcmp(e->key, key)) return e;
    return NULL;
}

const char *pusd__meta_variant(const meta_list *m, const char *set) {
    const meta_entry *e = pusd__meta_find(m, "variants");
    if (!e || e->value.type != PUSD_T_DICTIONARY || !e->value.data) return NULL;
    const pusd_dict *d = e->value.data;
    for (uint32_t k = 0; k < d->count; k++)
        if (!strcmp(d->entries[k].key, set) && d->entries[k].value.data &&
            pusd_tinfo(d->entries[k].value.type)->elem == PUSD_E_STR)
            return ((const char *const *)d->entries[k].value.data)[0];
    return NULL;
}

static meta_entry *meta_append(pusd_layer *l, meta_list *m, const char *key) {
    meta_entry *e = pusd__ar_calloc(&l->arena, sizeof *e);
    if (!e) return NULL;
    e->key = key;
    meta_entry **pp = &m->head;
    while (*pp) pp = &(*pp)->next;
    *pp = e;
    return e;
}

meta_entry *pusd__meta_set(pusd_layer *l, meta_list *m, const char *key) {
    meta_entry *e = pusd__meta_find(m, key);
    return e ? e : meta_append(l, m, key);
}

meta_entry *pusd__meta_set_op(pusd_layer *l, meta_list *m, const char *key, unsigned op) {
    /* as SdfListOp: an explicit list and list edits exclude each other; edits of different kinds
     * are all kept, a repeated kind replaces its items */
    for (meta_entry **pp = &m->head; *pp;) {
        meta_entry *e = *pp;
        if (e->key == key && (ME_OP(e) == op || (ME_OP(e) == 0) != (op == 0))) {
            if (ME_OP(e) == op) return e;
            *pp = e->next; /* dropped: the other mode */
            continue;
        }
        pp = &e->next;
    }
    return meta_append(l, m, key);
}

int pusd__layer_prim_path(const pusd_primspec *p, char *buf, size_t size) {
    const pusd_primspec *chain[256];
    int n = 0;
    for (const pusd_primspec *q = p; q && q->parent && n < 256; q = q->parent) chain[n++] = q;
    size_t len = 0;
    if (size) buf[0] = 0;
    if (!n) return snprintf(buf, size, "/");
    for (int i = n - 1; i >= 0; i--) {
        const pusd_primspec *q = chain[i];
        int w;
        size_t room = len < size ? size - len : 0;
        if (q->is_variant) {
            const char *set = "";
            for (variant_set_spec *vs = PRIM_VSETS(q->parent); vs; vs = vs->next)
                for (pusd_primspec *v = vs->first_variant; v; v = v->next)
                    if (v == q) set = vs->name;
            w = snprintf(buf + (len < size ? len : 0), room, "{%s=%s}", set, q->name);
        } else
            w = snprintf(buf + (len < size ? len : 0), room, "%s%s", (i < n - 1 && chain[i + 1]->is_variant) ? "" : "/",
                         q->name);
        if (w > 0) len += (size_t)w;
    }
    return (int)len;
}

/* dir + "/" + rel ("./" segments dropped, "x/../" folded), malloc'ed; rel alone when absolute. */
static char *join_norm(const char *dir, const char *rel) {
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *r = malloc(n), *copy = malloc(n);
    if (!r || !copy) {
        free(r);
        free(copy);
        return NULL;
    }
    if (rel[0] == '/')
        snprintf(copy, n, "%s", rel);
    else
        snprintf(copy, n, "%s/%s", dir, rel);
    bool abs = copy[0] == '/';
    char *segs[512], *save = NULL;
    int ns = 0;
    for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (!strcmp(tok, ".")) continue;
        if (!strcmp(tok, "..") && ns > 0 && strcmp(segs[ns - 1], "..")) {
            ns--;
            continue;
        }
        if (!strcmp(tok, "..") && abs) continue; /* "/.." is "/" */
        if (ns < 512) segs[ns++] = tok;
    }
    size_t len = 0;
    if (abs) r[len++] = '/';
    for (int i = 0; i < ns; i++) {
        size_t k = strlen(segs[i]);
        memcpy(r + len, segs[i], k);
        len += k;
        if (i < ns - 1) r[len++] = '/';
    }
    if (!len) r[len++] = '.';
    r[len] = 0;
    free(copy);
    return r;
}

char *pusd__layer_resolve_asset(const pusd_layer *l, const char *asset) {
    if (!asset || !asset[0]) return NULL;
    return join_norm(l->dir, asset);
}

int pusd__anchor_asset(const pusd_layer *l, const char *asset, char **out) {
    *out = NULL;
    if (!asset || !asset[0] || asset[0] == '/' || asset[0] == '`' || strstr(asset, "://") || strchr(asset, '['))
        return 0;
    bool file_relative = asset[0] == '.' && (asset[1] == '/' || (asset[1] == '.' && asset[2] == '/'));
    char *dir = NULL;
    if (l->dir[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) return 0; /* no absolute anchor to give: keep as authored */
        if (!(dir = join_norm(cwd, l->dir))) return -1;
    }
    char *r = join_norm(dir ? dir : l->dir, asset);
    free(dir);
    if (!r) return -1;
    if (!file_relative && access(r, F_OK)) { /* a search path stays one unless the layer's folder has it */
        free(r);
        return 0;
    }
    *out = r;
    return 0;
}

/* ---- public: metadata & sublayers ------------------------------------------------------ */

int pusd_layer_get_metadata(const pusd_layer *l, const char *key, pusd_value *out) {
    meta_entry *e = pusd__meta_find(&l->meta, key);
    if (!e) return PUSD_ERR_NOT_FOUND;
    *out = e->value;
    out->flags &= 0xffu;
    return 0;
}

int pusd_layer_set_metadata(pusd_layer *l, const char *key, const pusd_value *v) {
    const char *k = pusd__intern(&l->strings, &l->arena, key, strlen(key));
    if (!k) return PUSD_ERR_NOMEM;
    pusd_value c;
    if (pusd__value_copy(&l->arena, &l->strings, &c, v)) return PUSD_ERR_NOMEM;
    meta_entry *e = pusd__meta_set(l, &l->meta, k);
    if (!e) return PUSD_ERR_NOMEM;
    e->value = c;
    l->dirty = true;
    return 0;
}

size_t pusd_layer_sublayer_count(const pusd_layer *l) { return l->n_sublayers; }

const char *pusd_layer_sublayer(const pusd_layer *l, size_t i, double *offset, double *scale) {
    if (i >= l->n_sublayers) return NULL;
    if (offset) *offset = l->sublayers[i].offset;
    if (scale) *scale = l->sublayers[i].scale;
    return l->sublayers[i].asset;
}

int pusd_layer_add_sublayer(pusd_layer *l, const char *asset, double offset, double scale) {
    if (l->n_sublayers == l->cap_sublayers) {
        uint32_t nc = l->cap_sublayers ? l->cap_sublayers * 2 : 4;
        sublayer_ref *n = realloc(l->sublayers, nc * sizeof *n);
        if (!n) return PUSD_ERR_NOMEM;
        l->sublayers = n;
        l->cap_sublayers = nc;
    }
    sublayer_ref *r = &l->sublayers[l->n_sublayers];
    r->asset = pusd__ar_strdup(&l->arena, asset);
    if (!r->asset) return PUSD_ERR_NOMEM;
    r->offset = offset;
    r->scale = scale;
    r->has_offset = offset != 0;
    r->has_scale = scale != 1;
    l->n_sublayers++;
    l->dirty = true;
    return 0;
}

/* Path lookup, accepting "/A/B" and variant paths "/A{set=sel}B". */
pusd_primspec *pusd_layer_prim(const pusd_layer *l, const char *path) {
    if (!path || path[0] != '/') return NULL;
    const pusd_primspec *cur = &l->root;
    const char *p = path + 1;
    if (!*p) return (pusd_primspec *)cur;
    while (*p) {
        if (*p == '{') {
            const char *eq = strchr(p, '='), *cl = strchr(p, '}');
            if (!eq || !cl || eq > cl) return NULL;
            char set[256], sel[256];
            snprintf(set, sizeof set, "%.*s", (int)(eq - p - 1), p + 1);
            snprintf(sel, sizeof sel, "%.*s", (int)(cl - eq - 1), eq + 1);
            variant_set_spec *vs = pusd__layer_variant_set((pusd_layer *)l, (pusd_primspec *)cur, set, false);
            if (!vs) return NULL;
            const pusd_primspec *v = NULL;
            for (pusd_primspec *q = vs->first_variant; q; q = q->next)
                if (!strcmp(q->name, sel)) v = q;
            if (!v) return NULL;
            cur = v;
            p = cl + 1;
            if (*p == '/') p++;
            continue;
        }
        const char *e = p;
        while (*e && *e != '/' && *e != '{') e++;
        if (e == p) return NULL;
        const pusd_primspec *c = NULL;
        if (cur->is_variant) {
            for (pusd_primspec *q = cur->first_child; q; q = q->next)
                if (!strncmp(q->name, p, (size_t)(e - p)) && !q->name[e - p]) c = q;
        } else
            c = pusd__layer_child(l, cur, p, (size_t)(e - p));
        if (!c) return NULL;
        cur = c;
        p = *e == '/' ? e + 1 : e;
    }
    return (pusd_primspec *)cur;
}

/* ---- list ops ----------------------------------------------------------------------------- */

static int list_find(const char **list, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s)) return (int)i;
    return -1;
}

static int list_push(const char ***list, size_t *n, size_t *cap, const char *s) {
    if (!PBASE_RESERVE(*list, *cap, *n + 1)) return -1;
    (*list)[(*n)++] = s;
    return 0;
}

/* SdfListOp::ApplyOperations semantics, for string items. */
int pusd__listop_apply_strings(const pusd_listop *op, const char ***list, size_t *n, size_t *cap) {
    const char *const *it;
    if (op->is_explicit) {
        *n = 0;
        it = op->items[PUSD_LISTOP_EXPLICIT];
        for (uint32_t i = 0; i < op->count[PUSD_LISTOP_EXPLICIT]; i++)
            if (list_find(*list, *n, it[i]) < 0 && list_push(list, n, cap, it[i])) return -1;
        return 0;
    }
    /* delete */
    it = op->items[PUSD_LISTOP_DELETE];
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_DELETE]; i++) {
        int k = list_find(*list, *n, it[i]);
        if (k >= 0) {
            memmove(*list + k, *list + k + 1, (*n - (size_t)k - 1) * sizeof **list);
            (*n)--;
        }
    }
    /* add: append if missing */
    it = op->items[PUSD_LISTOP_ADD];
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_ADD]; i++)
        if (list_find(*list, *n, it[i]) < 0 && list_push(list, n, cap, it[i])) return -1;
    /* prepend: remove existing, insert at front in order */
    it = op->items[PUSD_LISTOP_PREPEND];
    uint32_t np = op->count[PUSD_LISTOP_PREPEND];
    for (uint32_t i = np; i-- > 0;) {
        int k = list_find(*list, *n, it[i]);
        if (k >= 0) {
            memmove(*list + k, *list + k + 1, (*n - (size_t)k - 1) * sizeof **list);
            (*n)--;
        }
        if (list_push(list, n, cap, it[i])) return -1;
        memmove(*list + 1, *list, (*n - 1) * sizeof **list);
        (*list)[0] = it[i];
    }
    /* append: remove existing, add at end */
    it = op->items[PUSD_LISTOP_APPEND];
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_APPEND]; i++) {
        int k = list_find(*list, *n, it[i]);
        if (k >= 0) {
            memmove(*list + k, *list + k + 1, (*n - (size_t)k - 1) * sizeof **list);
            (*n)--;
        }
        if (list_push(list, n, cap, it[i])) return -1;
    }
    return pusd__apply_ordering(*list, *n, op->items[PUSD_LISTOP_ORDER], op->count[PUSD_LISTOP_ORDER]);
}

int pusd__spec_add_children(const pusd_primspec *sp, const pusd_layer *l, const char ***names, size_t *n, size_t *cap) {
    size_t before = *n;
    for (const pusd_primspec *c = sp->first_child; c; c = c->next) {
        bool seen = false; /* a spec's children are unique: only names from other specs can repeat */
        for (size_t k = 0; k < before && !seen; k++) seen = !strcmp((*names)[k], c->name);
        if (seen) continue;
        if (!PBASE_RESERVE(*names, *cap, *n + 1)) return -1;
        (*names)[(*n)++] = c->name;
    }
    const char *const *ord = sp->parent ? (sp->ext ? sp->ext->reorder_children : NULL) : l->reorder_root;
    uint32_t no = sp->parent ? (sp->ext ? sp->ext->n_reorder_children : 0) : l->n_reorder_root;
    return no ? pusd__apply_ordering(*names, *n, ord, no) : 0;
}

/* SdfListOp's reorder (and Pcp's nameChildren/propertyOrder): items before
 * the first ordered item stay in front; then each ordered item, in the
 * given order, followed by the unordered items that followed it. */
int pusd__apply_ordering(const char **list, size_t n, const char *const *order, size_t no) {
    if (!no || n < 2) return 0;
    const char **out = malloc(n * sizeof *out);
    bool *ordered = calloc(n, sizeof *ordered);
    if (!out || !ordered) {
        free(out);
        free(ordered);
        return -1;
    }
    for (size_t i = 0; i < no; i++) {
        int k = list_find(list, n, order[i]);
        if (k >= 0) ordered[k] = true;
    }
    size_t m = 0, first = 0;
    while (first < n && !ordered[first]) out[m++] = list[first++];
    for (size_t i = 0; i < no; i++) {
        int k = list_find(list, n, order[i]);
        if (k < 0 || list_find(out, m, order[i]) >= 0) continue;
        out[m++] = list[k];
        for (size_t j = (size_t)k + 1; j < n && !ordered[j]; j++) out[m++] = list[j];
    }
    memcpy(list, out, m * sizeof *out);
    free(out);
    free(ordered);
    return 0;
}

/* ---- text output / save ------------------------------------------------------------------- */

char *pusd_layer_to_string(const pusd_layer *l, size_t *len_out) {
    sbuf b = {0};
    pusd__write_layer(&b, l);
    if (b.oom) {
        pusd__sb_free(&b);
        return NULL;
    }
    if (len_out) *len_out = b.len;
    if (!b.p) return strdup("");
    return b.p;
}

/* Text under a binary name would be misread by every tool that trusts the
 * extension (OpenUSD picks the crate reader for .usdc). */
static bool binary_extension(const char *path) {
    size_t n = strlen(path);
    return n >= 5 && (!strcmp(path + n - 5, ".usdc") || !strcmp(path + n - 5, ".usdz"));
}

int pusd_layer_save(const pusd_layer *l, const char *path, pusd_error *err) {
    if (binary_extension(path)) {
        pusd_set_error(
            err, PUSD_ERR_INVALID, path, 0, 0,
            "writing binary USD (%s) is not supported; write a .usda (or .usd) file and convert it with usdcat",
            path[strlen(path) - 1] == 'z' ? "usdz" : "crate");
        return PUSD_ERR_INVALID;
    }
    /* streamed through a 64 KB window: a layer's text is never held whole */
    pbase_afile af;
    pbase_error be;
    if (pbase_afile_open(&af, path, &be)) {
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "%s", be.message);
        return PUSD_ERR_IO;
    }
    sbuf b = {0};
    b.sink = af.f;
    pusd__write_layer(&b, l);
    pusd__sb_flush(&b);
    int e = b.oom ? ENOMEM : b.err;
    pusd__sb_free(&b);
    if (e) {
        pbase_afile_abort(&af);
        pusd_set_error(err, e == ENOMEM ? PUSD_ERR_NOMEM : PUSD_ERR_IO, path, 0, 0, "cannot write the layer: %s",
                       strerror(e));
        return e == ENOMEM ? PUSD_ERR_NOMEM : PUSD_ERR_IO;
    }
    if (pbase_afile_commit(&af, &be)) {
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "%s", be.message);
        return PUSD_ERR_IO;
    }
    ((pusd_layer *)l)->dirty = false;
    return 0;
}
