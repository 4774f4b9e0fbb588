/* Internal declarations shared by the files of the usd layer. */
#ifndef PUSD_INTERNAL_H
#define PUSD_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "portalis/base.h"
#include "portalis/usd.h"

/* ---- arena (arena.c): bump allocator; freed all at once ---------------- */
typedef struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(16) char data[];
} arena_block;

typedef struct pusd_arena {
    arena_block *head;
    size_t next_size;
} pusd_arena;

void *pusd__ar_alloc(pusd_arena *a, size_t n);                  /* 8-aligned, uninitialised; NULL on OOM */
void *pusd__ar_calloc(pusd_arena *a, size_t n);                 /* zeroed */
void *pusd__ar_alloc_al(pusd_arena *a, size_t n, size_t align); /* align 1, 2, 4 or 8 */
char *pusd__ar_strndup(pusd_arena *a, const char *s, size_t n);
char *pusd__ar_strdup(pusd_arena *a, const char *s);
void pusd__ar_free_all(pusd_arena *a);

/* ---- string interning (arena.c) ----------------------------------------- */
typedef struct interner {
    const char **slots;
    uint32_t *hashes;
    size_t cap, count;
} interner;
uint32_t pusd_hash(const char *s, size_t n);
const char *pusd__intern(interner *in, pusd_arena *a, const char *s, size_t n); /* NULL on OOM */
void pusd__interner_free(interner *in);

/* ---- growable byte buffer (arena.c) --------------------------------------- */
/* With a sink, the buffer is a write-behind window: once it holds
 * SB_SINK_CHUNK bytes they go to the sink (a file), so writing a layer
 * needs no copy of its whole text. A failed write sets err (an errno). */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
    FILE *sink; /* NULL: everything stays in p */
    int err;
    size_t written, synced; /* bytes sent to the sink; of those, handed to the disk's write-back */
} sbuf;
#define SB_SINK_CHUNK ((size_t)64 << 10)
#define SB_SYNC_STRETCH ((size_t)4 << 20)
/* Room for n more bytes (plus a NUL) at b->p + b->len, or NULL (out of
 * memory). Write at most n bytes there and add their count to b->len. */
char *pusd__sb_room(sbuf *b, size_t n);
/* Sends the buffered bytes to the sink (no-op without one). */
void pusd__sb_flush(sbuf *b);
void pusd__sb_put(sbuf *b, const void *s, size_t n);
void pusd__sb_puts(sbuf *b, const char *s);
void pusd__sb_putc(sbuf *b, char c);
void pusd__sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pusd__sb_indent(sbuf *b, int level);
void pusd__sb_free(sbuf *b);

/* ---- errors ------------------------------------------------------------------ */
#define PUSD_MSG_CRATE                                                                                                 \
    "binary USD (crate) files are not supported yet; convert with usdcat (usdcat -o scene.usda scene.usdc)"
#define PUSD_MSG_USDZ                                                                                                  \
    "USDZ packages are not supported yet; unzip the package and open its root layer (convert a .usdc one with usdcat)"
void pusd_set_error(pusd_error *err, pusd_status st, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* ---- types (value.c) ------------------------------------------------------ */
typedef struct type_info {
    const char *name;
    const char *arr_name; /* "name[]" */
    uint8_t elem;         /* pusd_elem */
    uint8_t ncomp;        /* 1..16 */
    uint8_t shape;        /* 0 scalar, 1 tuple, 2 matrix, 3 quat */
    uint8_t dim;          /* matrix rows */
} type_info;
const type_info *pusd_tinfo(int t);
int pusd__type_from_name_n(const char *name, size_t n); /* pusd_type_from_name on n bytes */
/* Deep copy of a value (and dictionaries / list ops) into arena. */
int pusd__value_copy(pusd_arena *a, interner *in, pusd_value *dst, const pusd_value *src);
/* Writes value text (usda syntax). indent is the current line indent level. */
void pusd__value_write(sbuf *b, const pusd_value *v, int indent);
void pusd__write_quoted(sbuf *b, const char *s);
void pusd__write_asset(sbuf *b, const char *s);
bool pusd__value_equal(const pusd_value *a, const pusd_value *b);
/* Number text without printf (num_format.c), NUL ended; returns the length.
 * buf must have PUSD_NUM_ROOM bytes of room (fixed-size copies). */
#define PUSD_NUM_ROOM 64
int pusd__fmt_u64(uint64_t x, char *buf);
int pusd__fmt_i64(int64_t x, char *buf);
int pusd__fmt_double(double d, char *buf); /* shortest round trip, as pusd_format_double */
int pusd__fmt_float(float f, char *buf);
int pusd__fmt_half(uint16_t h, char *buf);
/* unicode.c: one strictly valid UTF-8 sequence at s (no overlongs,
 * surrogates or code points past U+10FFFF): its length and *cp, or 0. */
int pusd__utf8_decode(const char *s, const char *e, uint32_t *cp);
/* s[0..n) is an identifier: '_' or XID_Start, then XID_Continue (OpenUSD's rule). */
bool pusd__is_identifier(const char *s, size_t n);
bool pusd__xid_start(uint32_t cp);    /* Unicode XID_Start (ASCII letters; '_' is not) */
bool pusd__xid_continue(uint32_t cp); /* Unicode XID_Continue (letters, digits, '_', ...) */
/* Levenshtein distance (schema.c), or limit + 1 once over limit. */
size_t pusd__edit_distance(const char *a, const char *b, size_t limit);
/* The value type name closest to a misspelt one (2 edits at most), or NULL. */
const char *pusd__type_suggest(const char *name);
/* Fast number parsing: returns end or NULL. */
const char *pusd__parse_double_fast(const char *p, const char *end, double *out);
const char *pusd__parse_float_fast(const char *p, const char *end, float *out);

/* ---- data model (layer.c) ---------------------------------------------------- */
typedef struct meta_entry {
    const char *key; /* interned */
    struct meta_entry *next;
    pusd_value value; /* flags bits 8..15: list operator of an unknown key (pusd_listop_kind + 1) */
} meta_entry;
#define ME_OP(e) ((e)->value.flags >> 8)
#define ME_SET_OP(e, op) ((e)->value.flags = (uint16_t)(((e)->value.flags & 0xffu) | ((unsigned)(op) << 8)))

typedef struct meta_list {
    meta_entry *head;
} meta_list;

typedef struct time_sample {
    double time;
    pusd_value value; /* flags BLOCKED for None */
} time_sample;

typedef struct prop_extra {
    uint32_t nsamples;
    bool has_samples;
    time_sample *samples; /* sorted by time */
    pusd_listop *targets; /* rel targets or .connect, NULL if none */
    meta_list meta;
    const char *default_target; /* legacy rel x.default = <p> */
    const char *type_name;      /* only for unknown type names (interned) */
    const char *spline;         /* `.spline` value text as written (kept, not evaluated), or NULL */
} prop_extra;

/* A property spec is 40 bytes: its kind bits live in the high byte of
 * dflt.flags (never visible through the public API). */
#define PB_REL 0x100u
#define PB_CUSTOM 0x200u
#define PB_UNIFORM 0x400u
#define PB_CONFIG 0x800u
#define PB_VARYING 0x1000u
typedef struct prop_spec {
    const char *name; /* interned */
    struct prop_spec *next;
    pusd_value dflt; /* type = declared type; data NULL & !BLOCKED: no default */
    prop_extra *x;
} prop_spec;
#define PS_IS_REL(p) (((p)->dflt.flags & PB_REL) != 0)
#define PS_CUSTOM(p) (((p)->dflt.flags & PB_CUSTOM) != 0)
#define PS_VARIABILITY(p) (((p)->dflt.flags & PB_UNIFORM) ? 1 : ((p)->dflt.flags & PB_CONFIG) ? 2 : 0)
#define PS_VARYING_KW(p) (((p)->dflt.flags & PB_VARYING) != 0)
#define PS_SET(p, bit, on) ((p)->dflt.flags = (uint16_t)((on) ? ((p)->dflt.flags | (bit)) : ((p)->dflt.flags & ~(bit))))
#define PS_VALFLAGS(p) ((uint16_t)((p)->dflt.flags & 0xffu))
const char *pusd__prop_type_name(const prop_spec *p); /* "point3f[]", or the unknown name */

typedef struct variant_set_spec variant_set_spec;

typedef struct prim_ext {
    variant_set_spec *vsets;
    const char **reorder_children;
    uint32_t n_reorder_children;
    const char **reorder_props;
    uint32_t n_reorder_props;
} prim_ext;

struct pusd_primspec {
    const char *name;
    const char *type_name; /* interned; NULL typeless */
    struct pusd_primspec *parent, *first_child, *last_child, *next, *hnext;
    prop_spec *first_prop;
    meta_list meta;
    prim_ext *ext; /* rarely used parts; NULL when empty */
    uint32_t name_hash;
    char specifier;     /* 'd', 'o', 'c' */
    uint8_t is_variant; /* spec is the body of a variant */
    uint8_t arcs;       /* stage.c, set when a stage composes: SPEC_ARCS_SELF / SPEC_ARCS_SUBTREE */
};
#define SPEC_ARCS_SELF 1u    /* the spec authors composition arcs (or variant selections) */
#define SPEC_ARCS_SUBTREE 2u /* the spec or one of its descendants (variant bodies included) does */

struct variant_set_spec {
    const char *name;
    variant_set_spec *next;
    pusd_primspec *first_variant, *last_variant; /* variant bodies (name = variant name) */
};

typedef struct sublayer_ref {
    const char *asset;
    double offset, scale;
    bool has_offset, has_scale;
} sublayer_ref;

struct pusd_layer {
    pusd_arena arena;
    interner strings;
    char *identifier;   /* malloc'ed */
    char *dir;          /* directory for relative asset paths (malloc'ed) */
    const char *header; /* "#usda 1.0" */
    meta_list meta;
    sublayer_ref *sublayers;
    uint32_t n_sublayers, cap_sublayers;
    pusd_primspec root; /* pseudo root */
    const char **reorder_root;
    uint32_t n_reorder_root;
    pusd_primspec **hash;
    size_t hash_cap, nprims;
    bool dirty;
    pusd_error *warnings; /* reader warnings (malloc'ed), at most PUSD_MAX_WARNINGS */
    size_t nwarnings, capwarnings;
};
#define PUSD_MAX_WARNINGS 100

/* Layer helpers (layer.c). */
void pusd__layer_init(pusd_layer *l, const char *identifier);
pusd_primspec *pusd__layer_child(const pusd_layer *l, const pusd_primspec *parent, const char *name, size_t n);
pusd_primspec *pusd__layer_new_prim(pusd_layer *l, pusd_primspec *parent, const char *name, size_t n, char specifier,
                                    const char *type_name);
pusd_primspec *pusd__layer_new_variant(pusd_layer *l, pusd_primspec *owner, variant_set_spec *vs, const char *name,
                                       size_t n);
variant_set_spec *pusd__layer_variant_set(pusd_layer *l, pusd_primspec *owner, const char *name, bool create);
prop_spec *pusd__prim_prop(const pusd_primspec *p, const char *name);
prop_spec *pusd__prim_new_prop(pusd_layer *l, pusd_primspec *p, const char *name);
prop_extra *pusd__prop_x(pusd_layer *l, prop_spec *ps);
prim_ext *pusd__prim_x(pusd_layer *l, pusd_primspec *p); /* NULL on OOM */
#define PRIM_VSETS(p) ((p)->ext ? (p)->ext->vsets : NULL)
meta_entry *pusd__meta_find(const meta_list *m, const char *key);
/* The variant selected for set in one spec's `variants` metadata; NULL when it selects none. */
const char *pusd__meta_variant(const meta_list *m, const char *set);
meta_entry *pusd__meta_set(pusd_layer *l, meta_list *m, const char *key); /* find or append */
/* Unregistered metadata written with list operator op (pusd_listop_kind + 1; 0 explicit): one entry
 * per operator, so every operation of a key is kept. key must be interned. */
meta_entry *pusd__meta_set_op(pusd_layer *l, meta_list *m, const char *key, unsigned op);
int pusd__layer_prim_path(const pusd_primspec *p, char *buf, size_t size);
char *pusd__layer_resolve_asset(const pusd_layer *l, const char *asset); /* malloc'ed abs path */
/* The asset path a flattened layer writes for `asset` authored in l, as OpenUSD's default resolver
 * anchors it: "./x" and "../x" relative to l's folder, made absolute; a search path ("tex/a.png")
 * the same when that file exists there, else kept; absolute paths, URIs, package paths and
 * variable expressions kept. 0 with *out malloc'ed (NULL: keep as authored); -1 out of memory. */
int pusd__anchor_asset(const pusd_layer *l, const char *asset, char **out);

/* core_schemas.c: whether the prim type (or one of its applied API schemas) declares attribute
 * attr, and its declared value type name ("point3f[]") and variability. */
bool pusd__declared_attr(const char *prim_type, const char *const *api, size_t napi, const char *attr,
                         const char **type, bool *uniform);
/* Every attribute name the prim type and its applied API schemas declare (their bases' included),
 * each once: a malloc'ed array (NULL when none). */
size_t pusd__declared_attr_names(const char *prim_type, const char *const *api, size_t napi, const char ***out);
/* schema.c: attribute attr of a built-in Wasm schema type (or its bases), or NULL; the built-in
 * Wasm schema type_name (its own attributes), or NULL. */
const pusd_schema_attr *pusd__builtin_schema_attr(const char *type_name, const char *attr);
const pusd_schema_def *pusd__builtin_schema_def(const char *type_name);

/* Known metadata field types (fields.c); PUSD_T_RAW if unknown; 0x100 set for arrays. */
enum { META_LAYER = 0, META_PRIM = 1, META_PROP = 2 };
int pusd__meta_field_type(int where, const char *key, bool *ident_form);

pusd_stage *pusd__prim_stage(pusd_prim *p);
const char *pusd__stage_intern(pusd_stage *s, const char *str);

/* Writer (writer.c). */
void pusd__write_layer(sbuf *b, const pusd_layer *l);

/* List op helpers (layer.c). */
/* Applies op to list (of const char*) in place; list is malloc'ed array. */
int pusd__listop_apply_strings(const pusd_listop *op, const char ***list, size_t *n, size_t *cap);

/* One step of Pcp's child-name composition (weakest spec first): appends the children of sp
 * (of layer l) not named yet, then applies sp's `reorder nameChildren` (l's `reorder rootPrims`
 * for a pseudo root). */
int pusd__spec_add_children(const pusd_primspec *sp, const pusd_layer *l, const char ***names, size_t *n, size_t *cap);
/* Reorders list in place as a `reorder` statement does (layer.c). */
int pusd__apply_ordering(const char **list, size_t n, const char *const *order, size_t no);
/* name_order.c: sorts names in Usd's dictionary order (TfDictionaryLessThan), as UsdPrim lists
 * properties; moves the names listed in order to the front, in that order, the others keeping
 * theirs (how UsdPrim applies propertyOrder; unlike SdfListOp's reorder). */
void pusd__sort_names(const char **names, size_t n);
void pusd__order_front(const char **names, size_t n, const char *const *order, size_t no);

/* Atomic file write (writer.c). */
int pusd__write_file_atomic(const char *path, const char *data, size_t len, pusd_error *err);

#endif
