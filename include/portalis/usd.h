/* Portalis USD layer: read, compose and write USD text scenes (.usda).
 *
 * This header is the whole public surface of the `usd` layer (prefix pusd_).
 * It does not depend on the wasm or ef layers.
 *
 * Objects and ownership
 *   pusd_layer   one .usda file's scene description (specs). Created by
 *                pusd_layer_open / pusd_layer_parse / pusd_layer_new, freed
 *                by pusd_layer_free. All strings and values returned from a
 *                layer are owned by the layer and stay valid until it is
 *                freed (edits never free memory; they append).
 *   pusd_stage   a composed view of a root layer with its sublayers,
 *                references, payloads, inherits, specializes and variants.
 *                The stage owns every layer it opened; pusd_stage_free frees
 *                them. Strings and values returned by stage queries stay
 *                valid until pusd_stage_free.
 *   pusd_prim    a handle to a composed prim. Valid until the next
 *                structural edit of the stage (define/over of a prim, arc
 *                edits, pusd_stage_reload) or pusd_stage_free; fetch again
 *                with pusd_stage_prim_at_path after such an edit.
 *   pusd_schema_registry  table of prim schema types (the Wasm schemas are
 *                built in; more can be registered at run time).
 *
 * Errors are values: every fallible call returns 0 on success or a nonzero
 * pusd_status and, when the caller passes a pusd_error, fills it with
 * file:line:column and a message saying what was expected. Malformed input
 * never aborts or crashes the process. There is no global mutable state;
 * distinct objects may be used from distinct threads. A stage composes
 * prims on first access (queries included), so one stage is used by one
 * thread at a time.
 */
#ifndef PORTALIS_USD_H
#define PORTALIS_USD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pusd_layer pusd_layer;
typedef struct pusd_stage pusd_stage;
typedef struct pusd_prim pusd_prim;
typedef struct pusd_primspec pusd_primspec;
typedef struct pusd_schema_registry pusd_schema_registry;

/* ---- errors -------------------------------------------------------------- */

typedef enum {
    PUSD_OK = 0,
    PUSD_ERR_IO,        /* file could not be read or written */
    PUSD_ERR_SYNTAX,    /* malformed .usda text */
    PUSD_ERR_TYPE,      /* value does not match the declared type */
    PUSD_ERR_NOT_FOUND, /* no such prim / property / layer */
    PUSD_ERR_INVALID,   /* bad argument (bad path, bad name...) */
    PUSD_ERR_COMPOSE,   /* composition problem (cycle, unresolved asset) */
    PUSD_ERR_NOMEM,
} pusd_status;

typedef struct pusd_error {
    pusd_status status;
    char file[512];    /* layer identifier, or "" when not file related */
    int line, column;  /* 1-based; 0 when not known */
    char message[512]; /* what was found, what was expected */
} pusd_error;

/* Formats "file:line:column: error: message" into buf (always terminated). */
void pusd_error_format(const pusd_error *err, char *buf, size_t size);

/* ---- value types ---------------------------------------------------------- */

typedef enum {
    PUSD_T_INVALID = 0,
    PUSD_T_BOOL,
    PUSD_T_UCHAR,
    PUSD_T_INT,
    PUSD_T_UINT,
    PUSD_T_INT64,
    PUSD_T_UINT64,
    PUSD_T_HALF,
    PUSD_T_FLOAT,
    PUSD_T_DOUBLE,
    PUSD_T_TIMECODE,
    PUSD_T_STRING,
    PUSD_T_TOKEN,
    PUSD_T_ASSET,
    PUSD_T_INT2,
    PUSD_T_INT3,
    PUSD_T_INT4,
    PUSD_T_HALF2,
    PUSD_T_HALF3,
    PUSD_T_HALF4,
    PUSD_T_FLOAT2,
    PUSD_T_FLOAT3,
    PUSD_T_FLOAT4,
    PUSD_T_DOUBLE2,
    PUSD_T_DOUBLE3,
    PUSD_T_DOUBLE4,
    PUSD_T_POINT3H,
    PUSD_T_POINT3F,
    PUSD_T_POINT3D,
    PUSD_T_VECTOR3H,
    PUSD_T_VECTOR3F,
    PUSD_T_VECTOR3D,
    PUSD_T_NORMAL3H,
    PUSD_T_NORMAL3F,
    PUSD_T_NORMAL3D,
    PUSD_T_COLOR3H,
    PUSD_T_COLOR3F,
    PUSD_T_COLOR3D,
    PUSD_T_COLOR4H,
    PUSD_T_COLOR4F,
    PUSD_T_COLOR4D,
    PUSD_T_TEXCOORD2H,
    PUSD_T_TEXCOORD2F,
    PUSD_T_TEXCOORD2D,
    PUSD_T_TEXCOORD3H,
    PUSD_T_TEXCOORD3F,
    PUSD_T_TEXCOORD3D,
    PUSD_T_QUATH,
    PUSD_T_QUATF,
    PUSD_T_QUATD,
    PUSD_T_MATRIX2D,
    PUSD_T_MATRIX3D,
    PUSD_T_MATRIX4D,
    PUSD_T_FRAME4D,
    PUSD_T_PATHEXPRESSION,
    PUSD_T_OPAQUE,
    PUSD_T_GROUP,
    /* attribute of an unknown type name; a value is its text as written (data: const char *const *) */
    PUSD_T_UNKNOWN,
    /* metadata-only kinds */
    PUSD_T_DICTIONARY,   /* data: const pusd_dict* */
    PUSD_T_TOKEN_LISTOP, /* data: const pusd_listop* of const char* */
    PUSD_T_STRING_LISTOP,
    PUSD_T_PATH_LISTOP,
    PUSD_T_REFERENCE_LISTOP, /* items: pusd_reference */
    PUSD_T_PAYLOAD_LISTOP,   /* items: pusd_reference */
    PUSD_T_PATH,             /* data: const char* const* (one path) */
    PUSD_T_RAW,              /* unregistered metadata kept verbatim: data: const char* const* */
    PUSD_T_COUNT_
} pusd_type;

/* Element storage per component: bool,uchar -> uint8_t; int -> int32_t;
 * uint -> uint32_t; int64/uint64 -> (u)int64_t; half -> uint16_t (IEEE
 * binary16 bits); float -> float; double, timecode, matrices -> double;
 * string, token, asset, pathExpression -> const char* (UTF-8, NUL ended).
 * Quaternions are stored in file order (w, x, y, z): real part first.
 * Matrices are row major (rows as written in the file). */
typedef enum {
    PUSD_E_NONE = 0,
    PUSD_E_U8,
    PUSD_E_I32,
    PUSD_E_U32,
    PUSD_E_I64,
    PUSD_E_U64,
    PUSD_E_HALF,
    PUSD_E_FLOAT,
    PUSD_E_DOUBLE,
    PUSD_E_STR,
    PUSD_E_OTHER
} pusd_elem;

#define PUSD_VF_ARRAY 1u   /* value is an array T[] of `count` elements */
#define PUSD_VF_BLOCKED 2u /* authored `None`: value blocked */

/* A value view. data points to count*components elements (see pusd_elem);
 * for a scalar count is 1. data == NULL and no BLOCKED flag means "no value". */
typedef struct pusd_value {
    uint16_t type;  /* pusd_type */
    uint16_t flags; /* PUSD_VF_* */
    uint32_t count;
    const void *data;
} pusd_value;

const char *pusd_type_name(pusd_type t);         /* "point3f"; NULL if invalid */
pusd_type pusd_type_from_name(const char *name); /* PUSD_T_INVALID if unknown */
/* A value type name with an optional array suffix: "point3f[]" gives
 * PUSD_T_POINT3F and *is_array = true; "double3" PUSD_T_DOUBLE3 and false.
 * PUSD_T_INVALID (and *is_array = false) when the name is not a value type.
 * is_array may be NULL. */
pusd_type pusd_type_parse(const char *name, bool *is_array);
pusd_elem pusd_type_elem(pusd_type t);
/* Bytes one component of element kind e takes in a pusd_value's data (1, 2,
 * 4 or 8; sizeof(const char *) for strings; 0 for PUSD_E_NONE/_OTHER). */
size_t pusd_elem_size(pusd_elem e);
int pusd_type_components(pusd_type t);    /* 1, 2, 3, 4, 9 or 16 */
bool pusd_type_interpolates(pusd_type t); /* floating point types */

/* Component i of element e as a double (numeric types; 0 otherwise). */
double pusd_value_get_double(const pusd_value *v, size_t e, int i);
/* String element e (string/token/asset types; NULL otherwise). */
const char *pusd_value_get_string(const pusd_value *v, size_t e);

/* Variable expressions (`"${DIR}/x.usda"`), as OpenUSD's SdfVariableExpression
 * evaluates them: ${VAR} from the dictionary vars (a PUSD_T_DICTIONARY value,
 * e.g. a layer's expressionVariables; may be NULL), quoted strings with
 * substitution, integers, booleans, None, lists, and the functions if, eq,
 * neq, lt, leq, gt, geq, and, or, not, contains, at, len, defined. The result
 * must be a string or None: 0 and *out = the malloc'ed string (NULL for
 * None), or -1 and a message in err. */
bool pusd_is_variable_expression(const char *s); /* text between backticks */
int pusd_variable_expression_eval(const char *expr, const pusd_value *vars, char **out, char *err, size_t errcap);

/* Shortest decimal text that reads back to the same bits ("0.1", "1e-7",
 * "inf", "nan"). Returns the length written (buf must hold 32 bytes). */
int pusd_format_double(double d, char *buf);
int pusd_format_float(float f, char *buf);
int pusd_format_half(uint16_t h, char *buf);
float pusd_half_to_float(uint16_t h);
uint16_t pusd_float_to_half(float f); /* round to nearest even */

/* ---- dictionaries and list ops (metadata values) --------------------------- */

typedef struct pusd_dict_entry {
    const char *key;
    pusd_value value; /* type PUSD_T_DICTIONARY for nested dictionaries */
} pusd_dict_entry;

typedef struct pusd_dict {
    uint32_t count;
    pusd_dict_entry *entries; /* in authored order */
} pusd_dict;

typedef struct pusd_reference {
    const char *asset_path;       /* "" for an internal reference */
    const char *prim_path;        /* "" when the target is the default prim */
    double offset, scale;         /* layer offset; 0 and 1 when not authored */
    const pusd_dict *custom_data; /* may be NULL */
} pusd_reference;

typedef enum {
    PUSD_LISTOP_EXPLICIT = 0,
    PUSD_LISTOP_ADD,
    PUSD_LISTOP_PREPEND,
    PUSD_LISTOP_APPEND,
    PUSD_LISTOP_DELETE,
    PUSD_LISTOP_ORDER,
    PUSD_LISTOP_NOPS
} pusd_listop_kind;

typedef struct pusd_listop {
    bool is_explicit; /* `key = [...]` (or `= None`) was authored */
    uint32_t count[PUSD_LISTOP_NOPS];
    const void *items[PUSD_LISTOP_NOPS]; /* const char*[] or pusd_reference[] */
} pusd_listop;

/* ---- file kinds ------------------------------------------------------------- */

typedef enum {
    PUSD_FILE_NOT_USD = 0,
    PUSD_FILE_USDA, /* text: "#usda 1.0" (or the legacy "#sdf") first, after an optional UTF-8 BOM */
    PUSD_FILE_USDC, /* binary crate: "PXR-USDC" magic (not supported yet; convert with usdcat) */
    PUSD_FILE_USDZ, /* zip package whose first entry is a .usd/.usda/.usdc layer (not supported yet) */
} pusd_file_kind;

/* What kind of USD file data starts with (looks at up to the first ~1 KB). */
pusd_file_kind pusd_sniff(const void *data, size_t len);
/* The same for the file at path, by content whatever its extension. Never
 * blocks: anything but a regular file (a FIFO, a device) and an unreadable
 * file are PUSD_FILE_NOT_USD. */
pusd_file_kind pusd_sniff_file(const char *path);

/* The largest layer file pusd_layer_open reads (2 GiB - 1; positions in
 * errors are int). Bigger files, and anything but a regular file (a FIFO,
 * a device, a directory), are refused with PUSD_ERR_IO before reading. */
#define PUSD_LAYER_MAX_BYTES 0x7fffffffu

/* ---- layers ------------------------------------------------------------- */

/* Reads and parses a .usda file. On success *out is a new layer the caller
 * frees with pusd_layer_free. On failure returns nonzero, *out is NULL and
 * err (if not NULL) says file:line:column and what was expected. */
int pusd_layer_open(const char *path, pusd_layer **out, pusd_error *err);
/* Parses text (need not be NUL terminated); identifier names the layer in
 * errors and anchors relative asset paths. */
int pusd_layer_parse(const char *identifier, const char *text, size_t len, pusd_layer **out, pusd_error *err);
/* A new empty layer ("#usda 1.0", no metadata). Returns NULL only without memory. */
pusd_layer *pusd_layer_new(const char *identifier);
void pusd_layer_free(pusd_layer *layer);

const char *pusd_layer_identifier(const pusd_layer *layer);
/* Number of prim specs in the layer (all depths, variants included). */
size_t pusd_layer_prim_count(const pusd_layer *layer);
/* Warnings from reading the layer: things OpenUSD accepts that look like
 * mistakes, e.g. an attribute of an unknown value type ('flaot'), which is
 * kept with its value as written. Each has file:line:column (status
 * PUSD_OK); the first 100 are kept. */
size_t pusd_layer_warning_count(const pusd_layer *layer);
const pusd_error *pusd_layer_warning(const pusd_layer *layer, size_t i);

/* Writes the layer as canonical .usda text. The result is malloc'ed and
 * owned by the caller (free()); *len_out receives its length. NULL on OOM. */
char *pusd_layer_to_string(const pusd_layer *layer, size_t *len_out);
/* Writes the layer to path atomically: a temporary file in the same
 * directory is written, flushed and renamed over path, so a failed write
 * leaves any previous file untouched. Text only: a path ending in .usdc or
 * .usdz is refused (PUSD_ERR_INVALID) rather than given text under a binary
 * name; .usda and .usd get text. */
int pusd_layer_save(const pusd_layer *layer, const char *path, pusd_error *err);

/* Streaming time-sample writer (for long recordings): writes a layer made of
 * `over` prims holding only time samples straight to path, without building
 * it in memory. The header (metadata, sublayers) is written from `header`
 * (its prims, if any, too); then, in canonical order (a prim's samples
 * before its children), begin_over/end_prim nest prims and
 * begin_samples/sample/end_samples write one attribute's samples. The text
 * is byte-identical to pusd_layer_to_string of the same layer. The file is
 * replaced atomically by close (an existing device or FIFO is written in
 * place; a FIFO without a reader is an error, never a wait). Errors are
 * reported by close; abort discards everything. */
typedef struct pusd_sample_writer pusd_sample_writer;
int pusd_sample_writer_open(const char *path, const pusd_layer *header, pusd_sample_writer **out,
                            pusd_error *err);
void pusd_sample_writer_begin_over(pusd_sample_writer *w, const char *name, size_t len);
void pusd_sample_writer_end_prim(pusd_sample_writer *w);
/* type_name as authored ("point3f[]"), attr the property name. */
void pusd_sample_writer_begin_samples(pusd_sample_writer *w, const char *type_name, const char *attr);
/* v: the value at time (type without [], PUSD_VF_ARRAY and count for arrays). */
void pusd_sample_writer_sample(pusd_sample_writer *w, double time, const pusd_value *v);
void pusd_sample_writer_end_samples(pusd_sample_writer *w);
int pusd_sample_writer_close(pusd_sample_writer *w, pusd_error *err);
void pusd_sample_writer_abort(pusd_sample_writer *w);

/* Layer metadata. Setting replaces an existing key, keeping its position. */
int pusd_layer_get_metadata(const pusd_layer *layer, const char *key, pusd_value *out);
int pusd_layer_set_metadata(pusd_layer *layer, const char *key, const pusd_value *v);
/* Sublayers, strongest first. */
size_t pusd_layer_sublayer_count(const pusd_layer *layer);
const char *pusd_layer_sublayer(const pusd_layer *layer, size_t i, double *offset, double *scale);
int pusd_layer_add_sublayer(pusd_layer *layer, const char *asset_path, double offset, double scale);

/* Spec access by path ("/World/Cube"; variant paths "/A{set=sel}B" accepted). */
pusd_primspec *pusd_layer_prim(const pusd_layer *layer, const char *path);

/* ---- stage ---------------------------------------------------------------- */

/* Opens path as the root layer and composes it. Problems that do not stop
 * composition (unresolved assets, arc cycles) are kept as diagnostics. */
int pusd_stage_open(const char *path, pusd_stage **out, pusd_error *err);
/* Composes a stage over an existing layer; the stage takes ownership of it. */
int pusd_stage_from_layer(pusd_layer *root, pusd_stage **out, pusd_error *err);
/* A new stage over a new empty in-memory root layer named identifier. */
pusd_stage *pusd_stage_new(const char *identifier);
void pusd_stage_free(pusd_stage *stage);

pusd_layer *pusd_stage_root_layer(pusd_stage *stage);
/* Files of the layers the stage has opened so far (root, sublayers,
 * references, payloads), as absolute paths; NULL for one that failed. */
size_t pusd_stage_layer_file_count(const pusd_stage *stage);
const char *pusd_stage_layer_file(const pusd_stage *stage, size_t i);
/* Composition diagnostics (cycles, missing files, bad targets). */
size_t pusd_stage_diagnostic_count(pusd_stage *stage);
const pusd_error *pusd_stage_diagnostic(pusd_stage *stage, size_t i);

/* Layer that edits go to: the root layer by default, or any layer of the
 * root layer stack (e.g. an output sublayer). */
int pusd_stage_set_edit_target(pusd_stage *stage, pusd_layer *layer);
pusd_layer *pusd_stage_edit_target(pusd_stage *stage);
/* Creates (or reuses) an empty layer file at asset_path (relative to the
 * root layer), inserts it as the strongest sublayer and returns it. */
pusd_layer *pusd_stage_add_output_sublayer(pusd_stage *stage, const char *asset_path, pusd_error *err);

pusd_prim *pusd_stage_pseudo_root(pusd_stage *stage);
pusd_prim *pusd_stage_prim_at_path(pusd_stage *stage, const char *path);
pusd_prim *pusd_stage_default_prim(pusd_stage *stage);

/* Traversal filter: type_name (exact composed type name, or NULL = any),
 * api_schema (must be in composed apiSchemas, or NULL), and flags. */
#define PUSD_TRAVERSE_ALL 1u /* include inactive, undefined (over-only) and abstract (class) prims */
/* Also enter the descendants of instances (instance proxies). Without it a
 * traversal visits an instance but not what is below it, as UsdStage::Traverse
 * and TraverseAll do (UsdTraverseInstanceProxies is the OpenUSD counterpart). */
#define PUSD_TRAVERSE_INSTANCE_PROXIES 2u
typedef struct pusd_filter {
    const char *type_name;
    const char *api_schema;
    unsigned flags;
} pusd_filter;
/* Depth-first pre-order traversal below the pseudo root. Calls fn for each
 * matching prim; fn returns false to stop. Returns the number of calls. */
size_t pusd_stage_traverse(pusd_stage *stage, const pusd_filter *filter, bool (*fn)(pusd_prim *prim, void *ctx),
                           void *ctx);

/* Composed prim queries. */
const char *pusd_prim_path(const pusd_prim *prim);
const char *pusd_prim_name(const pusd_prim *prim);
const char *pusd_prim_type_name(const pusd_prim *prim); /* "" when typeless */
char pusd_prim_specifier(const pusd_prim *prim);        /* 'd' def, 'o' over, 'c' class */
bool pusd_prim_is_active(const pusd_prim *prim);
bool pusd_prim_is_defined(const pusd_prim *prim);
/* An instance: composed instanceable = true on a prim with composition arcs
 * (UsdPrim::IsInstance); its descendants are instance proxies. */
bool pusd_prim_is_instance(const pusd_prim *prim);
bool pusd_prim_is_instance_proxy(const pusd_prim *prim); /* below an instance */
pusd_prim *pusd_prim_parent(const pusd_prim *prim);
size_t pusd_prim_child_count(const pusd_prim *prim);
pusd_prim *pusd_prim_child(const pusd_prim *prim, size_t i);
/* Composed apiSchemas (list ops applied weakest to strongest). */
size_t pusd_prim_api_schema_count(const pusd_prim *prim);
const char *pusd_prim_api_schema(const pusd_prim *prim, size_t i);
bool pusd_prim_has_api(const pusd_prim *prim, const char *api_schema);
/* Keys of the metadata authored on any of the prim's specs (arcs such as
 * references and apiSchemas included; not the specifier or type name),
 * each once, sorted. *keys is owned by the stage. */
size_t pusd_prim_metadata_keys(pusd_prim *prim, const char ***keys);
/* Strongest authored metadata value for key ("kind", "customData"...). */
int pusd_prim_get_metadata(const pusd_prim *prim, const char *key, pusd_value *out);
/* Composed property names (sorted as in the strongest spec, then others). */
size_t pusd_prim_property_count(const pusd_prim *prim);
const char *pusd_prim_property_name(const pusd_prim *prim, size_t i);
bool pusd_prim_is_relationship(const pusd_prim *prim, const char *name);
/* Variant selection for set on the prim ("" if none). */
const char *pusd_prim_variant_selection(const pusd_prim *prim, const char *set);

/* Attribute value at time (use PUSD_TIME_DEFAULT for the default value).
 * Time samples win over defaults of the same layer; the strongest layer
 * with any opinion wins. Between samples floating point values are
 * interpolated linearly (quaternions by slerp); others are held.
 * Returns PUSD_ERR_NOT_FOUND if no value is authored. A blocked value
 * returns 0 with out->flags & PUSD_VF_BLOCKED. Interpolated results live
 * in stage memory until pusd_stage_free. */
#define PUSD_TIME_DEFAULT (-1.0e308)
int pusd_prim_get_attr(pusd_prim *prim, const char *name, double time, pusd_value *out);
const char *pusd_prim_attr_type_name(const pusd_prim *prim, const char *name);
/* Composed time sample times (stage time); *times owned by the stage. */
size_t pusd_prim_attr_sample_times(pusd_prim *prim, const char *name, const double **times);
/* Composed relationship targets / attribute connections (absolute paths). */
size_t pusd_prim_targets(pusd_prim *prim, const char *name, bool connections, const char ***paths);
/* Resolved absolute file path for an asset-valued attribute, relative to
 * the layer that authored the strongest opinion. NULL if not an asset. */
const char *pusd_prim_resolve_asset(pusd_prim *prim, const char *name);

/* ---- authoring (in the edit target) ------------------------------------- */

/* def / over a prim at path; ancestors that have no spec get `over` (for
 * pusd_stage_over_prim) or typeless `def` specs. type_name may be NULL. */
int pusd_stage_define_prim(pusd_stage *stage, const char *path, const char *type_name, pusd_error *err);
int pusd_stage_over_prim(pusd_stage *stage, const char *path, pusd_error *err);
/* Sets the default value (time == PUSD_TIME_DEFAULT) or one time sample of
 * attribute name on the prim at path, declaring it with type_name if
 * needed; `uniform` when uniform is true. v is copied. */
int pusd_stage_set_attr(pusd_stage *stage, const char *path, const char *name, const char *type_name,
                        bool uniform, double time, const pusd_value *v, pusd_error *err);
/* Sets (explicitly) relationship targets or attribute connections. */
int pusd_stage_set_targets(pusd_stage *stage, const char *path, const char *name, bool connections,
                           const char *const *targets, size_t n, pusd_error *err);
/* Prim metadata (kind, customData...); v is copied. */
int pusd_stage_set_prim_metadata(pusd_stage *stage, const char *path, const char *key, const pusd_value *v,
                                 pusd_error *err);
/* Prepends api_schema to the prim's apiSchemas list op in the edit target. */
int pusd_stage_apply_api(pusd_stage *stage, const char *path, const char *api_schema, pusd_error *err);
/* Adds a reference (asset may be "" for internal; prim_path may be ""). */
int pusd_stage_add_reference(pusd_stage *stage, const char *path, const char *asset, const char *prim_path,
                             pusd_error *err);
/* Saves every layer of the root layer stack that was edited (atomically). */
int pusd_stage_save(pusd_stage *stage, pusd_error *err);
/* A new layer holding the composed stage flattened into one layer (no
 * arcs, no variants, time samples mapped to stage time). Caller frees. */
pusd_layer *pusd_stage_flatten(pusd_stage *stage, pusd_error *err);
int pusd_stage_export(pusd_stage *stage, const char *path, pusd_error *err);
/* A new layer holding the root layer stack (the root layer and its
 * sublayers) merged into one, as OpenUSD's UsdUtilsFlattenLayerStack:
 * composition arcs and variants are kept, not composed; per field the
 * strongest opinion wins, list ops authored in several layers combine into
 * one (prepend/append/delete edits stay edits; an explicit or add/reorder
 * op gives the composed items explicitly), time samples are mapped through
 * the sublayer offsets, and relative asset paths become absolute (anchored
 * to the layer that authored them). Caller frees. */
pusd_layer *pusd_stage_flatten_layer_stack(pusd_stage *stage, pusd_error *err);

/* Short helpers to build values for authoring (views on caller memory). */
pusd_value pusd_val_bool(const uint8_t *b);
pusd_value pusd_val_scalar(pusd_type t, const void *data);
pusd_value pusd_val_array(pusd_type t, const void *data, size_t count);

/* ---- schemas (Wasm module prims) ----------------------------------------- */

typedef struct pusd_schema_attr {
    const char *name;      /* "wasm:path" */
    const char *type_name; /* "asset", "float3", "float[]"... */
    bool uniform;
    const char *fallback;       /* usda value text ("1", "\"continuous\"") or NULL */
    const char *allowed_tokens; /* comma separated, or NULL */
    const char *doc;
} pusd_schema_attr;

typedef struct pusd_schema_def {
    const char *type_name;     /* "WasmModule" */
    const char *base;          /* base schema type name ("Typed" for WasmModule) */
    const char *fallback_type; /* prim type for tools without the plugin ("Scope") */
    const char *doc;
    size_t attr_count;
    const pusd_schema_attr *attrs; /* own attributes (not the base's) */
} pusd_schema_def;

/* A registry with WasmModule, WasmPhysics, WasmRobotics, WasmSensor and
 * WasmFluid. Free with pusd_schema_registry_free. */
pusd_schema_registry *pusd_schema_registry_new(void);
void pusd_schema_registry_free(pusd_schema_registry *reg);
/* Registers a type; def (and the strings it points to) must outlive reg.
 * Fails if the name exists or the base is unknown. */
int pusd_schema_register(pusd_schema_registry *reg, const pusd_schema_def *def, pusd_error *err);
const pusd_schema_def *pusd_schema_find(const pusd_schema_registry *reg, const char *type_name);
/* True if type_name is schema or derives from it (e.g. WasmPhysics isa WasmModule). */
bool pusd_schema_isa(const pusd_schema_registry *reg, const char *type_name, const char *schema);
/* Attribute spec by name, searching the base chain. */
const pusd_schema_attr *pusd_schema_attr_find(const pusd_schema_registry *reg, const char *type_name,
                                              const char *attr_name);

/* Typo hints. For a type name that is not registered but close to one (at
 * most 2 edits and fewer than a third of its length, or differing only in
 * case), the registered name ("WasmPhysic" -> "WasmPhysics"); otherwise
 * (registered, or close to nothing, like "Mesh") NULL. */
const char *pusd_schema_suggest(const pusd_schema_registry *reg, const char *type_name);
/* Calls fn for every prim of the stage (all prims, inactive and classes
 * included) whose type name has a suggestion, so callers can warn
 * "<path>: unknown prim type 'WasmPhysic'; did you mean 'WasmPhysics'?".
 * fn may be NULL. Returns the number of such prims. */
size_t pusd_schema_check_types(pusd_stage *stage, const pusd_schema_registry *reg,
                               void (*fn)(const char *path, const char *type_name, const char *suggestion,
                                          void *ctx),
                               void *ctx);

/* Defines a prim of schema type at path, authors every schema attribute
 * with its fallback value, and records fallbackPrimTypes in the root layer. */
int pusd_schema_define(pusd_stage *stage, const pusd_schema_registry *reg, const char *type_name,
                       const char *path, pusd_error *err);

/* create_wasm_module_prim: defines schema_type (NULL = "WasmModule") at
 * path and authors wasm:path (asset), wasm:moduleId, wasm:entryFunction. */
int pusd_create_wasm_module_prim(pusd_stage *stage, const pusd_schema_registry *reg, const char *path,
                                 const char *wasm_path, const char *module_id, const char *entry_function,
                                 const char *schema_type, pusd_error *err);

/* The WasmModule base attributes as read from a composed prim (schema
 * fallbacks where unauthored). Strings are owned by the stage. */
typedef struct pusd_wasm_module {
    const char *type_name;
    const char *wasm_path;          /* as authored */
    const char *wasm_path_resolved; /* absolute, relative to the authoring layer */
    const char *module_id;
    const char *entry_function;
    bool enabled;
    const char *execution_mode; /* continuous | on_demand | event_driven */
    float update_rate;          /* Hz */
} pusd_wasm_module;
int pusd_wasm_module_read(pusd_prim *prim, const pusd_schema_registry *reg, pusd_wasm_module *out,
                          pusd_error *err);
/* Reads a scalar float/double/int/bool attribute with schema fallback. */
double pusd_schema_get_number(pusd_prim *prim, const pusd_schema_registry *reg, const char *attr_name,
                              double time);

/* Writes generatedSchema.usda and plugInfo.json (codeless schema) for all
 * registered types into dir. */
int pusd_schema_write_plugin(const pusd_schema_registry *reg, const char *dir, pusd_error *err);

#ifdef __cplusplus
}
#endif
#endif
