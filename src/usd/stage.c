/* The stage: its lifetime, composition diagnostics, the layer registry and
 * layer stacks (sublayers with offsets), the edit target. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "stage_internal.h"

/* ---- diagnostics --------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) void pusd__diag(pusd_stage *s, const char *file, const char *fmt, ...) {
    if (!PBASE_RESERVE(s->diags, s->capdiags, s->ndiags + 1)) return;
    pusd_error *e = &s->diags[s->ndiags++];
    memset(e, 0, sizeof *e);
    e->status = PUSD_ERR_COMPOSE;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

size_t pusd_stage_diagnostic_count(pusd_stage *s) { return s->ndiags; }
const pusd_error *pusd_stage_diagnostic(pusd_stage *s, size_t i) { return i < s->ndiags ? &s->diags[i] : NULL; }

/* ---- layer registry and layer stacks ------------------------------------------------------------ */

static reg_entry *reg_find(pusd_stage *s, const char *path) {
    for (size_t i = 0; i < s->nreg; i++)
        if (!strcmp(s->reg[i].path, path)) return &s->reg[i];
    return NULL;
}

static reg_entry *reg_add(pusd_stage *s, const char *path, pusd_layer *l) {
    if (!PBASE_RESERVE(s->reg, s->capreg, s->nreg + 1)) return NULL;
    reg_entry *e = &s->reg[s->nreg];
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    if (!e->path) return NULL;
    e->layer = l;
    e->failed = l == NULL;
    s->nreg++;
    return e;
}

size_t pusd_stage_layer_file_count(const pusd_stage *s) { return s->nreg; }

const char *pusd_stage_layer_file(const pusd_stage *s, size_t i) {
    return i < s->nreg && !s->reg[i].failed ? s->reg[i].path : NULL;
}

reg_entry *pusd__open_layer(pusd_stage *s, const char *abs_path, const char *from) {
    reg_entry *e = reg_find(s, abs_path);
    if (e) return e->failed ? NULL : e;
    pusd_layer *l = NULL;
    pusd_error err;
    if (pusd_layer_open(abs_path, &l, &err)) {
        if (err.line)
            pusd__diag(s, err.file, "%d:%d: %s (layer used by %s)", err.line, err.column, err.message, from);
        else
            pusd__diag(s, from, "cannot open layer '%s': %s", abs_path, err.message);
        reg_add(s, abs_path, NULL);
        return NULL;
    }
    e = reg_add(s, abs_path, l);
    if (!e) pusd_layer_free(l);
    return e;
}

reg_entry *pusd__reg_of_layer(pusd_stage *s, pusd_layer *l) {
    for (size_t i = 0; i < s->nreg; i++)
        if (s->reg[i].layer == l) return &s->reg[i];
    return NULL;
}

static int ls_push(layer_stack *ls, size_t *cap, pusd_layer *l, double off, double sc) {
    if (!PBASE_RESERVE(ls->e, *cap, ls->n + 1)) return -1;
    ls->e[ls->n++] = (ls_entry){l, off, sc};
    return 0;
}

const pusd_dict *pusd__layer_vars(const pusd_layer *l) {
    pusd_value v;
    if (pusd_layer_get_metadata(l, "expressionVariables", &v) || v.type != PUSD_T_DICTIONARY) return NULL;
    return v.data;
}

const pusd_dict *pusd__vars_over(pusd_stage *s, const pusd_dict *strong, const pusd_dict *weak) {
    if (!weak || !weak->count) return strong;
    if (!strong || !strong->count) return weak;
    pusd_dict *d = pusd__ar_alloc(&s->comp, sizeof *d);
    pusd_dict_entry *e = d ? pusd__ar_alloc(&s->comp, (strong->count + weak->count) * sizeof *e) : NULL;
    if (!e) return strong;
    memcpy(e, strong->entries, strong->count * sizeof *e);
    uint32_t n = strong->count;
    for (uint32_t i = 0; i < weak->count; i++) {
        bool dup = false;
        for (uint32_t k = 0; k < strong->count && !dup; k++)
            dup = !strcmp(strong->entries[k].key, weak->entries[i].key);
        if (!dup) e[n++] = weak->entries[i];
    }
    *d = (pusd_dict){n, e};
    return d;
}

const char *pusd__eval_expr(pusd_stage *s, const char *text, const pusd_dict *vars, const char *file,
                            const char *what) {
    if (!pusd_is_variable_expression(text)) return text;
    pusd_value v = {PUSD_T_DICTIONARY, 0, 1, vars};
    char *out = NULL, err[300];
    if (pusd_variable_expression_eval(text, vars ? &v : NULL, &out, err, sizeof err)) {
        pusd__diag(s, file, "%s %s: %s; ignored", what, text, err);
        return NULL;
    }
    const char *r = pusd__ar_strdup(&s->comp, out ? out : "");
    free(out);
    return r;
}

static void ls_collect(pusd_stage *s, layer_stack *ls, size_t *cap, pusd_layer *l, double off, double sc,
                       pusd_layer **chain, int depth, const pusd_dict *vars) {
    for (int i = 0; i < depth; i++)
        if (chain[i] == l) {
            pusd__diag(s, l->identifier,
                       "sublayer cycle: '%s' includes itself (directly or through its sublayers); ignored",
                       l->identifier);
            return;
        }
    if (depth >= MAX_ARC_DEPTH) return;
    if (ls_push(ls, cap, l, off, sc)) return;
    chain[depth] = l;
    for (uint32_t i = 0; i < l->n_sublayers; i++) {
        /* an expression uses the layer stack's variables: its root layer's (they do not compose
         * across sublayers); one that gives None or fails adds no layer */
        if (pusd_is_variable_expression(l->sublayers[i].asset)) ls->expr_sublayers = true;
        const char *asset = pusd__eval_expr(s, l->sublayers[i].asset, vars, l->identifier, "sublayer");
        char *abs = asset ? pusd__layer_resolve_asset(l, asset) : NULL;
        if (!abs) continue;
        reg_entry *e = pusd__open_layer(s, abs, l->identifier);
        free(abs);
        if (!e) continue;
        ls_collect(s, ls, cap, e->layer, off + sc * l->sublayers[i].offset, sc * l->sublayers[i].scale, chain,
                   depth + 1, vars);
    }
}

layer_stack *pusd__layer_stack_of(pusd_stage *s, reg_entry *e) {
    if (e->ls) return e->ls;
    layer_stack *ls = calloc(1, sizeof *ls);
    if (!ls) return NULL;
    size_t cap = 0;
    pusd_layer *chain[MAX_ARC_DEPTH];
    pusd_layer *l = e->layer;
    ls_collect(s, ls, &cap, l, 0, 1, chain, 0, pusd__layer_vars(l));
    /* the registry may have moved while collecting */
    e = pusd__reg_of_layer(s, l);
    e->ls = ls;
    return ls;
}

/* The canonical text of a variables dictionary (NULL: out of memory). */
static char *vars_text(const pusd_dict *vars) {
    sbuf b = {0};
    pusd_value v = {PUSD_T_DICTIONARY, 0, 1, vars};
    if (vars) pusd__value_write(&b, &v, 0);
    if (b.oom) {
        pusd__sb_free(&b);
        return NULL;
    }
    return b.p ? b.p : strdup("");
}

layer_stack *pusd__layer_stack_vars(pusd_stage *s, reg_entry *e, const pusd_dict *vars) {
    layer_stack *base = pusd__layer_stack_of(s, e);
    pusd_layer *l = e->layer;
    if (!base || !base->expr_sublayers || vars == pusd__layer_vars(l)) return base;
    char *key = vars_text(vars), *own = vars_text(pusd__layer_vars(l));
    bool same = !key || !own || !strcmp(key, own);
    free(own);
    if (same) return free(key), base;
    for (layer_stack *v = base->next_variant; v; v = v->next_variant)
        if (!strcmp(v->vars_key, key)) return free(key), v;
    layer_stack *ls = calloc(1, sizeof *ls);
    if (!ls) return free(key), base;
    size_t cap = 0;
    pusd_layer *chain[MAX_ARC_DEPTH];
    ls_collect(s, ls, &cap, l, 0, 1, chain, 0, vars);
    ls->vars_key = key;
    base = pusd__reg_of_layer(s, l)->ls; /* the registry may have moved while collecting */
    ls->next_variant = base->next_variant;
    base->next_variant = ls;
    return ls;
}

void pusd__free_layer_stacks(pusd_stage *s) {
    for (size_t i = 0; i < s->nreg; i++)
        for (layer_stack *ls = s->reg[i].ls, *next; ls; ls = next) {
            next = ls->next_variant;
            free(ls->e);
            free(ls->reloc);
            free(ls->vars_key);
            free(ls);
            s->reg[i].ls = NULL;
        }
}

void pusd__ensure(pusd_stage *s) {
    if (s->dirty || !s->pseudo) pusd__compose(s);
}

/* ---- stage lifetime ------------------------------------------------------------------------------- */

static pusd_stage *stage_alloc(pusd_layer *root) {
    pusd_stage *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->root = root;
    s->edit = root;
    if (!reg_add(s, root->identifier, root)) {
        free(s);
        return NULL;
    }
    return s;
}

int pusd_stage_from_layer(pusd_layer *root, pusd_stage **out, pusd_error *err) {
    *out = stage_alloc(root);
    if (!*out) {
        pusd_set_error(err, PUSD_ERR_NOMEM, root->identifier, 0, 0, "out of memory");
        pusd_layer_free(root);
        return PUSD_ERR_NOMEM;
    }
    pusd__compose(*out);
    return 0;
}

int pusd_stage_open(const char *path, pusd_stage **out, pusd_error *err) {
    *out = NULL;
    pusd_layer *l;
    int rc = pusd_layer_open(path, &l, err);
    if (rc) return rc;
    return pusd_stage_from_layer(l, out, err);
}

pusd_stage *pusd_stage_new(const char *identifier) {
    pusd_layer *l = pusd_layer_new(identifier);
    if (!l) return NULL;
    pusd_stage *s;
    if (pusd_stage_from_layer(l, &s, NULL)) return NULL;
    return s;
}

void pusd_stage_free(pusd_stage *s) {
    if (!s) return;
    pusd__free_layer_stacks(s);
    for (size_t i = 0; i < s->nreg; i++) {
        pusd_layer_free(s->reg[i].layer);
        free(s->reg[i].path);
    }
    free(s->reg);
    pusd__ar_free_all(&s->comp);
    pusd__ar_free_all(&s->scratch);
    pusd__interner_free(&s->scratch_strings);
    free(s->hash);
    free(s->diags);
    free(s->reloc);
    free(s);
}

pusd_layer *pusd_stage_root_layer(pusd_stage *s) { return s->root; }

int pusd_stage_set_edit_target(pusd_stage *s, pusd_layer *l) {
    pusd__ensure(s);
    reg_entry *re = pusd__reg_of_layer(s, s->root);
    layer_stack *ls = re ? pusd__layer_stack_of(s, re) : NULL;
    for (size_t i = 0; ls && i < ls->n; i++)
        if (ls->e[i].layer == l) {
            s->edit = l;
            return 0;
        }
    return PUSD_ERR_INVALID;
}

pusd_layer *pusd_stage_edit_target(pusd_stage *s) { return s->edit; }

pusd_layer *pusd_stage_add_output_sublayer(pusd_stage *s, const char *asset, pusd_error *err) {
    char *abs = pusd__layer_resolve_asset(s->root, asset);
    if (!abs) {
        pusd_set_error(err, PUSD_ERR_INVALID, s->root->identifier, 0, 0, "empty sublayer path");
        return NULL;
    }
    reg_entry *e = reg_find(s, abs);
    pusd_layer *l = e ? e->layer : NULL;
    if (!l) {
        if (access(abs, F_OK) == 0) {
            if (pusd_layer_open(abs, &l, err)) {
                free(abs);
                return NULL;
            }
        } else
            l = pusd_layer_new(abs);
        if (!l || (e ? (e->layer = l, e->failed = false, 0) : !reg_add(s, abs, l))) {
            if (!e) pusd_layer_free(l);
            free(abs);
            pusd_set_error(err, PUSD_ERR_NOMEM, s->root->identifier, 0, 0, "out of memory");
            return NULL;
        }
        l->dirty = true;
    }
    free(abs);
    bool present = false;
    for (uint32_t i = 0; i < s->root->n_sublayers; i++)
        if (!strcmp(s->root->sublayers[i].asset, asset)) present = true;
    if (!present) {
        if (pusd_layer_add_sublayer(s->root, asset, 0, 1)) return NULL;
        sublayer_ref last = s->root->sublayers[s->root->n_sublayers - 1];
        memmove(s->root->sublayers + 1, s->root->sublayers, (s->root->n_sublayers - 1) * sizeof last);
        s->root->sublayers[0] = last;
    }
    s->dirty = true;
    return l;
}

pusd_stage *pusd__prim_stage(pusd_prim *p) { return p->stage; }
const char *pusd__stage_intern(pusd_stage *s, const char *str) {
    return pusd__intern(&s->scratch_strings, &s->scratch, str, strlen(str));
}
