/* Internal declarations shared by the files of the stage: the composed
 * prim and stage records, layer stacks, sites and nodes. */
#ifndef PUSD_STAGE_INTERNAL_H
#define PUSD_STAGE_INTERNAL_H

#include "internal.h"

enum { ARC_LOCAL = 0, ARC_INHERIT, ARC_VARIANT, ARC_REFERENCE, ARC_PAYLOAD, ARC_SPECIALIZE };

typedef struct ls_entry {
    pusd_layer *layer;
    double offset, scale;
} ls_entry;

typedef struct reloc {
    const char *src, *dst;   /* absolute prim paths, stage memory */
    const pusd_layer *layer; /* the layer that authored it */
} reloc;

typedef struct layer_stack {
    ls_entry *e;
    size_t n;
    reloc *reloc; /* the relocates of a layer stack other than the root's (relocate.c) */
    size_t nreloc, capreloc;
    bool reloc_built;
    bool expr_sublayers; /* some sublayer path is a variable expression */
    char *vars_key;      /* a stack built with a referencing stack's variables: their text */
    struct layer_stack *next_variant;
} layer_stack;

typedef struct reg_entry {
    char *path;
    pusd_layer *layer;
    layer_stack *ls; /* lazily built; its variants (other variables) linked from it */
    bool failed;
} reg_entry;

typedef struct site {
    layer_stack *ls;
    const char *path;     /* spec path in the layer stack's namespace */
    const char *map_from; /* namespace mapping to stage paths */
    const char *map_to;
    double offset, scale;
    uint8_t tag;
    uint8_t depth;         /* arcs from the prim's root site to this one */
    uint32_t up;           /* 1 + index of the site whose arc (or ancestral site) led here; 0 for a root site */
    const pusd_dict *vars; /* expression variables of the site's layer stack (composed across arcs) */
    bool inherit;          /* reached through an inherit arc (a class spec here does not make the prim a class) */
} site;

typedef struct node {
    pusd_layer *layer;
    pusd_primspec *spec;
    double offset, scale;
    const site *site;
    uint8_t tag;
} node;

struct pusd_prim { /* pointers, then counts, then flags: no padding holes */
    pusd_stage *stage;
    const char *name, *path;
    pusd_prim *parent, *hnext;
    pusd_prim **children;
    site *sites;
    node *nodes;
    const char *type_name;
    const char **api;
    const char **props;
    const char **kid_names; /* names of the children; children[i] is NULL until composed */
    uint32_t *kidx;         /* hash index into kid_names (large child lists, built on first lookup) */
    uint64_t props_gen;
    uint32_t nchildren, nsites, nnodes, napi, nprops, kidx_cap;
    int depth;
    char specifier;
    bool active;
    bool local;       /* one site: its own path in the root layer stack */
    bool instance;    /* instanceable = true and composition arcs: its descendants are a prototype's */
    bool in_instance; /* below an instance: local (root layer stack) opinions do not apply */
};

struct pusd_stage {
    pusd_layer *root;
    reg_entry *reg;
    size_t nreg, capreg;
    pusd_layer *edit;
    pusd_arena comp;    /* composed prims; rebuilt on structural edits */
    pusd_arena scratch; /* query results; lives until stage free */
    interner scratch_strings;
    pusd_prim *pseudo;
    pusd_prim **hash;
    size_t hash_cap, nprims;
    layer_stack *root_ls;
    pusd_error *diags;
    size_t ndiags, capdiags;
    reloc *reloc; /* the root layer stack's relocates (relocate.c) */
    size_t nreloc, capreloc;
    size_t reloc_depth; /* relocated prims being composed (a source below another target nests) */
    bool dirty;
    bool has_clips; /* some layer authors `clips` (clips.c; valid while clips_gen == gen) */
    uint64_t gen, clips_gen;
};

#define MAX_ARC_DEPTH 64

/* list-op composition over items tagged with the layer that authored them */
typedef struct titem {
    const char *key;
    const void *item;
    pusd_layer *layer;
} titem;
/* The identity of a list-op item (a reference is its asset and prim path); stage memory. */
const char *pusd__item_key(pusd_stage *s, int type, const void *it);
/* Applies op (of list-op value type `type`, authored in layer) to the malloc'ed item list *v. */
void pusd__tl_apply(pusd_stage *s, int type, const pusd_listop *op, pusd_layer *layer, titem **v, size_t *n,
                    size_t *cap);

void pusd__compose(pusd_stage *s);
/* expression variables (stage.c): a layer's expressionVariables dictionary (NULL if none);
 * strong's entries over weak's (VtDictionaryOver, top level), in stage memory; an asset path or
 * variant selection evaluated when it is a variable expression (else itself): stage memory, ""
 * for None, NULL after an error (reported as a diagnostic naming file and what). */
const pusd_dict *pusd__layer_vars(const pusd_layer *l);
const pusd_dict *pusd__vars_over(pusd_stage *s, const pusd_dict *strong, const pusd_dict *weak);
const char *pusd__eval_expr(pusd_stage *s, const char *text, const pusd_dict *vars, const char *file, const char *what);
void pusd__diag(pusd_stage *s, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pusd__free_layer_stacks(pusd_stage *s);
pusd_prim *pusd__kid(pusd_prim *p, uint32_t i);
long pusd__kid_find(pusd_prim *p, const char *name, size_t n);
layer_stack *pusd__layer_stack_of(pusd_stage *s, reg_entry *e);
/* The layer stack of e's layer with its sublayer expressions evaluated with vars (the referenced
 * stack's variables overridden by the referencing stack's, as Pcp overrides them): e's own stack
 * when vars give the same sublayers (no expression sublayer, or the root layer's own variables). */
layer_stack *pusd__layer_stack_vars(pusd_stage *s, reg_entry *e, const pusd_dict *vars);
reg_entry *pusd__open_layer(pusd_stage *s, const char *abs_path, const char *from);
reg_entry *pusd__reg_of_layer(pusd_stage *s, pusd_layer *l);
void pusd__ensure(pusd_stage *s);
bool pusd__has_reorder(const node *n);
size_t pusd__kid_names(const node *nodes, uint32_t nn, const char ***out);
uint32_t pusd__local_kid_nodes(const node *pn, uint32_t npn, const char *name, node *out);
const char *pusd__strip_variants(pusd_stage *s, const char *p);
const prop_spec *pusd__strongest_prop(const pusd_prim *p, const char *name, uint32_t *node_idx);
/* flatten_values.c: a value copied into a flattened layer out (or arena a), its asset paths
 * evaluated (variable expressions, with vars) and anchored to layer from (not when NULL) and its dictionaries in key
 * order; a weaker dictionary merged under a stronger one (stronger keys win, nested dictionaries merge). */
int pusd__flat_copy(pusd_layer *out, pusd_value *dst, const pusd_value *src, const pusd_layer *from,
                    const pusd_dict *vars);
int pusd__flat_copy_in(pusd_arena *a, interner *in, pusd_value *dst, const pusd_value *src, const pusd_layer *from,
                       const pusd_dict *vars);
int pusd__flat_dict_under(pusd_layer *out, pusd_value *dst, const pusd_value *weak, const pusd_layer *from,
                          const pusd_dict *vars);
int pusd__dict_under_in(pusd_arena *a, interner *in, pusd_value *dst, const pusd_value *weak, const pusd_layer *from,
                        const pusd_dict *vars);
/* relocate.c: the root layer stack's relocates, read when composing; a layer stack's relocates
 * (the root's, or read on first use); in relocates r: the source of child name of parent when
 * that child is a relocation target (else NULL); whether it is a relocation source; Pcp's
 * relocation step on the child names of parent; a stage path with a relocated prefix moved to
 * its target by the root's relocates (scratch memory); a path mapped to the stage from site st
 * (of prim sites) mapped by the relocates of every other layer stack its arc chain crossed (Pcp
 * applies a layer stack's relocates to the arcs leaving it), then by the root's. */
void pusd__relocs_build(pusd_stage *s);
const reloc *pusd__ls_relocs(pusd_stage *s, layer_stack *ls, size_t *n);
const char *pusd__reloc_source(const reloc *r, size_t nr, const char *parent, const char *name);
bool pusd__reloc_is_source(const reloc *r, size_t nr, const char *parent, const char *name);
size_t pusd__reloc_child_names(const reloc *r, size_t nr, const char *parent, const char ***names, size_t n,
                               size_t *cap);
const char *pusd__reloc_map(pusd_stage *s, const char *path);
const char *pusd__reloc_map_chain(pusd_stage *s, const site *sites, const site *st, const char *path);
/* stage_query.c: property names v put in UsdPrim::GetPropertyNames order: dictionary order, then
 * the strongest `reorder properties` (propertyOrder) moves the names it lists to the front. */
void pusd__order_props(const pusd_prim *p, const char **v, size_t n);
/* stage_query.c: the value of time samples x at layer time t (held outside, interpolated between). */
int pusd__samples_at(pusd_stage *s, const prop_extra *x, double t, pusd_value *out);
/* a + (b - a) * t for interpolating types (slerp for quaternions), else a (stage_query.c). */
int pusd__interpolate(pusd_stage *s, const pusd_value *a, const pusd_value *b, double t, pusd_value *out);
/* clips.c: the value-clip set that gives attribute name of p time samples (NULL: none), *pos the
 * index of p's first node weaker than the clips; its value at stage time t; its time samples
 * (sorted, malloc'ed). */
typedef struct clip_src clip_src;
clip_src *pusd__clips_find(pusd_prim *p, const char *name, uint32_t *pos);
int pusd__clips_value(pusd_stage *s, const clip_src *c, const char *name, double t, pusd_value *out);
size_t pusd__clips_times(const clip_src *c, const char *name, double **out);
void pusd__clips_free(clip_src *c);
/* Whether any layer the stage opened authors `clips`. */
bool pusd__stage_has_clips(pusd_stage *s);
#endif
