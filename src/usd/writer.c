/* The .usda writer: deterministic output in the conventional layout (4-space
 * indent, metadata one item per line, properties before child prims, variant
 * sets last), and atomic file replacement. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void pusd__write_listop_items(sbuf *b, int type, const pusd_listop *lo, int k, int indent);

static const char *const op_words[PUSD_LISTOP_NOPS] = {"", "add ", "prepend ", "append ", "delete ", "reorder "};
static const int op_order[] = {PUSD_LISTOP_DELETE, PUSD_LISTOP_ADD, PUSD_LISTOP_PREPEND, PUSD_LISTOP_APPEND,
                               PUSD_LISTOP_ORDER};

static void write_meta_entries(sbuf *b, const meta_list *m, int where, int indent) {
    const meta_entry *c = pusd__meta_find(m, "comment");
    if (c && c->value.type == PUSD_T_STRING && c->value.data) {
        pusd__sb_indent(b, indent);
        pusd__write_quoted(b, ((const char *const *)c->value.data)[0]);
        pusd__sb_putc(b, '\n');
    }
    for (const meta_entry *e = m->head; e; e = e->next) {
        if (e == c && c->value.type == PUSD_T_STRING && c->value.data) continue;
        int t = e->value.type;
        if (t >= PUSD_T_TOKEN_LISTOP && t <= PUSD_T_PAYLOAD_LISTOP) {
            const pusd_listop *lo = e->value.data;
            if (lo->is_explicit) {
                pusd__sb_indent(b, indent);
                pusd__sb_printf(b, "%s = ", e->key);
                pusd__write_listop_items(b, t, lo, PUSD_LISTOP_EXPLICIT, indent);
                pusd__sb_putc(b, '\n');
                continue;
            }
            for (size_t i = 0; i < sizeof op_order / sizeof op_order[0]; i++) {
                int k = op_order[i];
                if (!lo->count[k]) continue;
                pusd__sb_indent(b, indent);
                pusd__sb_printf(b, "%s%s = ", op_words[k], e->key);
                pusd__write_listop_items(b, t, lo, k, indent);
                pusd__sb_putc(b, '\n');
            }
            continue;
        }
        pusd__sb_indent(b, indent);
        if (ME_OP(e)) pusd__sb_puts(b, op_words[ME_OP(e) - 1]);
        pusd__sb_printf(b, "%s = ", e->key);
        bool ident = false;
        pusd__meta_field_type(where, e->key, &ident);
        if (ident && t == PUSD_T_TOKEN && e->value.data && !(e->value.flags & PUSD_VF_ARRAY))
            pusd__sb_puts(b, ((const char *const *)e->value.data)[0]);
        else
            pusd__value_write(b, &e->value, indent);
        pusd__sb_putc(b, '\n');
    }
}

static bool meta_empty(const meta_list *m) { return m->head == NULL; }

static void write_name_list(sbuf *b, const char *const *names, uint32_t n) {
    pusd__sb_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i) pusd__sb_puts(b, ", ");
        pusd__write_quoted(b, names[i]);
    }
    pusd__sb_putc(b, ']');
}

static void write_prop_decl(sbuf *b, const prop_spec *p) {
    if (PS_CUSTOM(p)) pusd__sb_puts(b, "custom ");
    if (PS_IS_REL(p)) {
        if (PS_VARYING_KW(p)) pusd__sb_puts(b, "varying ");
        pusd__sb_printf(b, "rel %s", p->name);
        return;
    }
    if (PS_VARIABILITY(p) == 1)
        pusd__sb_puts(b, "uniform ");
    else if (PS_VARIABILITY(p) == 2)
        pusd__sb_puts(b, "config ");
    else if (PS_VARYING_KW(p))
        pusd__sb_puts(b, "varying ");
    pusd__sb_printf(b, "%s %s", pusd__prop_type_name(p), p->name);
}

static void write_targets(sbuf *b, const prop_spec *p, const pusd_listop *lo, int indent, const char *suffix) {
    for (int i = -1; i < (int)(sizeof op_order / sizeof op_order[0]); i++) {
        int k = i < 0 ? PUSD_LISTOP_EXPLICIT : op_order[i];
        if (k == PUSD_LISTOP_EXPLICIT ? !lo->is_explicit : !lo->count[k]) continue;
        pusd__sb_indent(b, indent);
        pusd__sb_puts(b, op_words[k]);
        write_prop_decl(b, p);
        pusd__sb_printf(b, "%s = ", suffix);
        uint32_t n = lo->count[k];
        const char *const *it = lo->items[k];
        if (n == 0)
            pusd__sb_puts(b, k == PUSD_LISTOP_EXPLICIT ? "None" : "[]");
        else if (n == 1)
            pusd__sb_printf(b, "<%s>", it[0]);
        else {
            pusd__sb_puts(b, "[\n");
            for (uint32_t j = 0; j < n; j++) {
                pusd__sb_indent(b, indent + 1);
                pusd__sb_printf(b, "<%s>,\n", it[j]);
            }
            pusd__sb_indent(b, indent);
            pusd__sb_putc(b, ']');
        }
        pusd__sb_putc(b, '\n');
    }
}

static void write_prop(sbuf *b, const prop_spec *p, int indent) {
    const prop_extra *x = p->x;
    bool has_meta = x && !meta_empty(&x->meta);
    bool has_default = p->dflt.data || (p->dflt.flags & PUSD_VF_BLOCKED);
    bool has_samples = x && x->has_samples;
    bool has_targets = x && x->targets;
    bool decl = has_default || has_meta || (!has_samples && !has_targets && !(x && (x->default_target || x->spline)));
    if (PS_IS_REL(p) && has_targets && !has_meta && !x->targets->is_explicit) decl = false;
    if (PS_IS_REL(p) && has_targets && x->targets->is_explicit && !has_meta) decl = false;
    if (decl) {
        pusd__sb_indent(b, indent);
        write_prop_decl(b, p);
        if (has_default) {
            pusd__sb_puts(b, " = ");
            pusd__value_write(b, &p->dflt, indent);
        }
        if (has_meta) {
            pusd__sb_puts(b, " (\n");
            write_meta_entries(b, &x->meta, META_PROP, indent + 1);
            pusd__sb_indent(b, indent);
            pusd__sb_putc(b, ')');
        }
        pusd__sb_putc(b, '\n');
    }
    if (PS_IS_REL(p)) {
        if (has_targets) write_targets(b, p, x->targets, indent, "");
        if (x && x->default_target) {
            pusd__sb_indent(b, indent);
            write_prop_decl(b, p);
            pusd__sb_printf(b, ".default = <%s>\n", x->default_target);
        }
        return;
    }
    if (has_samples) {
        pusd__sb_indent(b, indent);
        write_prop_decl(b, p);
        pusd__sb_puts(b, ".timeSamples = {\n");
        for (uint32_t i = 0; i < x->nsamples; i++) {
            char t[40];
            pusd_format_double(x->samples[i].time, t);
            pusd__sb_indent(b, indent + 1);
            pusd__sb_printf(b, "%s: ", t);
            pusd__value_write(b, &x->samples[i].value, indent + 1);
            pusd__sb_puts(b, ",\n");
        }
        pusd__sb_indent(b, indent);
        pusd__sb_puts(b, "}\n");
    }
    if (x && x->spline) {
        pusd__sb_indent(b, indent);
        write_prop_decl(b, p);
        pusd__sb_puts(b, ".spline = ");
        pusd__sb_puts(b, x->spline);
        pusd__sb_putc(b, '\n');
    }
    if (has_targets) write_targets(b, p, x->targets, indent, ".connect");
}

static void write_prim(sbuf *b, const pusd_primspec *p, int indent);

static void write_body(sbuf *b, const pusd_primspec *p, int indent) {
    bool any = false;
    const prim_ext *ext = p->ext;
    /* as Sdf writes a prim body: the reorder statements first (properties, then nameChildren),
     * then properties, a blank line only between properties and children */
    if (ext && ext->n_reorder_props) {
        pusd__sb_indent(b, indent);
        pusd__sb_puts(b, "reorder properties = ");
        write_name_list(b, ext->reorder_props, ext->n_reorder_props);
        pusd__sb_putc(b, '\n');
    }
    if (ext && ext->n_reorder_children) {
        pusd__sb_indent(b, indent);
        pusd__sb_puts(b, "reorder nameChildren = ");
        write_name_list(b, ext->reorder_children, ext->n_reorder_children);
        pusd__sb_putc(b, '\n');
    }
    for (const prop_spec *s = p->first_prop; s; s = s->next) {
        write_prop(b, s, indent);
        any = true;
    }
    for (const pusd_primspec *c = p->first_child; c; c = c->next) {
        if (any) pusd__sb_putc(b, '\n');
        write_prim(b, c, indent);
        any = true;
    }
    for (const variant_set_spec *vs = PRIM_VSETS(p); vs; vs = vs->next) {
        if (any) pusd__sb_putc(b, '\n');
        any = true;
        pusd__sb_indent(b, indent);
        pusd__sb_puts(b, "variantSet ");
        pusd__write_quoted(b, vs->name);
        pusd__sb_puts(b, " = {\n");
        for (const pusd_primspec *v = vs->first_variant; v; v = v->next) {
            pusd__sb_indent(b, indent + 1);
            pusd__write_quoted(b, v->name);
            if (!meta_empty(&v->meta)) {
                pusd__sb_puts(b, " (\n");
                write_meta_entries(b, &v->meta, META_PRIM, indent + 2);
                pusd__sb_indent(b, indent + 1);
                pusd__sb_putc(b, ')');
            }
            pusd__sb_puts(b, " {\n");
            write_body(b, v, indent + 2);
            pusd__sb_indent(b, indent + 1);
            pusd__sb_puts(b, "}\n");
        }
        pusd__sb_indent(b, indent);
        pusd__sb_puts(b, "}\n");
    }
}

static void write_prim(sbuf *b, const pusd_primspec *p, int indent) {
    pusd__sb_indent(b, indent);
    pusd__sb_puts(b, p->specifier == 'd' ? "def " : p->specifier == 'o' ? "over " : "class ");
    if (p->type_name) pusd__sb_printf(b, "%s ", p->type_name);
    pusd__write_quoted(b, p->name);
    if (!meta_empty(&p->meta)) {
        pusd__sb_puts(b, " (\n");
        write_meta_entries(b, &p->meta, META_PRIM, indent + 1);
        pusd__sb_indent(b, indent);
        pusd__sb_putc(b, ')');
    }
    pusd__sb_putc(b, '\n');
    pusd__sb_indent(b, indent);
    pusd__sb_puts(b, "{\n");
    write_body(b, p, indent + 1);
    pusd__sb_indent(b, indent);
    pusd__sb_puts(b, "}\n");
}

void pusd__write_layer(sbuf *b, const pusd_layer *l) {
    pusd__sb_puts(b, "#usda 1.0\n");
    if (!meta_empty(&l->meta) || l->n_sublayers) {
        pusd__sb_puts(b, "(\n");
        write_meta_entries(b, &l->meta, META_LAYER, 1);
        if (l->n_sublayers) {
            pusd__sb_puts(b, "    subLayers = [\n");
            for (uint32_t i = 0; i < l->n_sublayers; i++) {
                const sublayer_ref *r = &l->sublayers[i];
                pusd__sb_indent(b, 2);
                pusd__write_asset(b, r->asset);
                if (r->offset != 0 || r->scale != 1) {
                    char t1[40], t2[40];
                    pusd_format_double(r->offset, t1);
                    pusd_format_double(r->scale, t2);
                    if (r->offset != 0 && r->scale != 1)
                        pusd__sb_printf(b, " (offset = %s; scale = %s)", t1, t2);
                    else if (r->offset != 0)
                        pusd__sb_printf(b, " (offset = %s)", t1);
                    else
                        pusd__sb_printf(b, " (scale = %s)", t2);
                }
                pusd__sb_puts(b, i + 1 < l->n_sublayers ? ",\n" : "\n");
            }
            pusd__sb_puts(b, "    ]\n");
        }
        pusd__sb_puts(b, ")\n");
    }
    if (l->n_reorder_root) {
        pusd__sb_puts(b, "\nreorder rootPrims = ");
        write_name_list(b, l->reorder_root, l->n_reorder_root);
        pusd__sb_putc(b, '\n');
    }
    for (const pusd_primspec *c = l->root.first_child; c; c = c->next) {
        pusd__sb_putc(b, '\n');
        write_prim(b, c, 0);
    }
}

/* Writes data to an existing device or FIFO (such as /dev/null, /dev/stdout)
 * in place: renaming a temporary file over it would
 * replace the device node itself. */
int pusd__write_file_atomic(const char *path, const char *data, size_t len, pusd_error *err) {
    pbase_error be;
    int e = pbase_write_file_atomic(path, data, len, &be);
    if (!e) return 0;
    pusd_status st = e == ENOMEM ? PUSD_ERR_NOMEM : PUSD_ERR_IO;
    pusd_set_error(err, st, path, 0, 0, "%s", be.message);
    return st;
}
