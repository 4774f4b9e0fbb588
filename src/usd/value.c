/* Value types: the type table, number formatting and parsing, half floats,
 * deep copies, equality and usda text output of values. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

#define S(n, e)                                                                                                        \
    { n, n "[]", e, 1, 0, 0 }
#define T(n, e, c)                                                                                                     \
    { n, n "[]", e, c, 1, 0 }
static const type_info types[PUSD_T_COUNT_] = {
    [PUSD_T_INVALID] = {"", "", PUSD_E_NONE, 0, 0, 0},
    [PUSD_T_BOOL] = S("bool", PUSD_E_U8),
    [PUSD_T_UCHAR] = S("uchar", PUSD_E_U8),
    [PUSD_T_INT] = S("int", PUSD_E_I32),
    [PUSD_T_UINT] = S("uint", PUSD_E_U32),
    [PUSD_T_INT64] = S("int64", PUSD_E_I64),
    [PUSD_T_UINT64] = S("uint64", PUSD_E_U64),
    [PUSD_T_HALF] = S("half", PUSD_E_HALF),
    [PUSD_T_FLOAT] = S("float", PUSD_E_FLOAT),
    [PUSD_T_DOUBLE] = S("double", PUSD_E_DOUBLE),
    [PUSD_T_TIMECODE] = S("timecode", PUSD_E_DOUBLE),
    [PUSD_T_STRING] = S("string", PUSD_E_STR),
    [PUSD_T_TOKEN] = S("token", PUSD_E_STR),
    [PUSD_T_ASSET] = S("asset", PUSD_E_STR),
    [PUSD_T_INT2] = T("int2", PUSD_E_I32, 2),
    [PUSD_T_INT3] = T("int3", PUSD_E_I32, 3),
    [PUSD_T_INT4] = T("int4", PUSD_E_I32, 4),
    [PUSD_T_HALF2] = T("half2", PUSD_E_HALF, 2),
    [PUSD_T_HALF3] = T("half3", PUSD_E_HALF, 3),
    [PUSD_T_HALF4] = T("half4", PUSD_E_HALF, 4),
    [PUSD_T_FLOAT2] = T("float2", PUSD_E_FLOAT, 2),
    [PUSD_T_FLOAT3] = T("float3", PUSD_E_FLOAT, 3),
    [PUSD_T_FLOAT4] = T("float4", PUSD_E_FLOAT, 4),
    [PUSD_T_DOUBLE2] = T("double2", PUSD_E_DOUBLE, 2),
    [PUSD_T_DOUBLE3] = T("double3", PUSD_E_DOUBLE, 3),
    [PUSD_T_DOUBLE4] = T("double4", PUSD_E_DOUBLE, 4),
    [PUSD_T_POINT3H] = T("point3h", PUSD_E_HALF, 3),
    [PUSD_T_POINT3F] = T("point3f", PUSD_E_FLOAT, 3),
    [PUSD_T_POINT3D] = T("point3d", PUSD_E_DOUBLE, 3),
    [PUSD_T_VECTOR3H] = T("vector3h", PUSD_E_HALF, 3),
    [PUSD_T_VECTOR3F] = T("vector3f", PUSD_E_FLOAT, 3),
    [PUSD_T_VECTOR3D] = T("vector3d", PUSD_E_DOUBLE, 3),
    [PUSD_T_NORMAL3H] = T("normal3h", PUSD_E_HALF, 3),
    [PUSD_T_NORMAL3F] = T("normal3f", PUSD_E_FLOAT, 3),
    [PUSD_T_NORMAL3D] = T("normal3d", PUSD_E_DOUBLE, 3),
    [PUSD_T_COLOR3H] = T("color3h", PUSD_E_HALF, 3),
    [PUSD_T_COLOR3F] = T("color3f", PUSD_E_FLOAT, 3),
    [PUSD_T_COLOR3D] = T("color3d", PUSD_E_DOUBLE, 3),
    [PUSD_T_COLOR4H] = T("color4h", PUSD_E_HALF, 4),
    [PUSD_T_COLOR4F] = T("color4f", PUSD_E_FLOAT, 4),
    [PUSD_T_COLOR4D] = T("color4d", PUSD_E_DOUBLE, 4),
    [PUSD_T_TEXCOORD2H] = T("texCoord2h", PUSD_E_HALF, 2),
    [PUSD_T_TEXCOORD2F] = T("texCoord2f", PUSD_E_FLOAT, 2),
    [PUSD_T_TEXCOORD2D] = T("texCoord2d", PUSD_E_DOUBLE, 2),
    [PUSD_T_TEXCOORD3H] = T("texCoord3h", PUSD_E_HALF, 3),
    [PUSD_T_TEXCOORD3F] = T("texCoord3f", PUSD_E_FLOAT, 3),
    [PUSD_T_TEXCOORD3D] = T("texCoord3d", PUSD_E_DOUBLE, 3),
    [PUSD_T_QUATH] = {"quath", "quath[]", PUSD_E_HALF, 4, 3, 0},
    [PUSD_T_QUATF] = {"quatf", "quatf[]", PUSD_E_FLOAT, 4, 3, 0},
    [PUSD_T_QUATD] = {"quatd", "quatd[]", PUSD_E_DOUBLE, 4, 3, 0},
    [PUSD_T_MATRIX2D] = {"matrix2d", "matrix2d[]", PUSD_E_DOUBLE, 4, 2, 2},
    [PUSD_T_MATRIX3D] = {"matrix3d", "matrix3d[]", PUSD_E_DOUBLE, 9, 2, 3},
    [PUSD_T_MATRIX4D] = {"matrix4d", "matrix4d[]", PUSD_E_DOUBLE, 16, 2, 4},
    [PUSD_T_FRAME4D] = {"frame4d", "frame4d[]", PUSD_E_DOUBLE, 16, 2, 4},
    [PUSD_T_PATHEXPRESSION] = S("pathExpression", PUSD_E_STR),
    [PUSD_T_OPAQUE] = S("opaque", PUSD_E_NONE),
    [PUSD_T_GROUP] = S("group", PUSD_E_NONE),
    [PUSD_T_UNKNOWN] = S("", PUSD_E_STR), /* a value of it: its text as written, like PUSD_T_RAW */
    [PUSD_T_DICTIONARY] = S("dictionary", PUSD_E_OTHER),
    [PUSD_T_TOKEN_LISTOP] = S("token", PUSD_E_OTHER),
    [PUSD_T_STRING_LISTOP] = S("string", PUSD_E_OTHER),
    [PUSD_T_PATH_LISTOP] = S("path", PUSD_E_OTHER),
    [PUSD_T_REFERENCE_LISTOP] = S("reference", PUSD_E_OTHER),
    [PUSD_T_PAYLOAD_LISTOP] = S("payload", PUSD_E_OTHER),
    [PUSD_T_PATH] = S("path", PUSD_E_STR),
    [PUSD_T_RAW] = S("raw", PUSD_E_STR),
};

const type_info *pusd_tinfo(int t) {
    if (t < 0 || t >= PUSD_T_COUNT_) return &types[0];
    return &types[t];
}

const char *pusd_type_name(pusd_type t) {
    if (t <= PUSD_T_INVALID || t >= PUSD_T_UNKNOWN) return NULL;
    return types[t].name;
}

pusd_type pusd_type_from_name(const char *name) {
    if (!name) return PUSD_T_INVALID;
    return pusd__type_from_name_n(name, strlen(name));
}

pusd_type pusd_type_parse(const char *name, bool *is_array) {
    bool arr = false;
    size_t n = name ? strlen(name) : 0;
    if (n > 2 && name[n - 2] == '[' && name[n - 1] == ']') {
        arr = true;
        n -= 2;
    }
    pusd_type t = n ? pusd__type_from_name_n(name, n) : PUSD_T_INVALID;
    if (is_array) *is_array = t != PUSD_T_INVALID && arr;
    return t;
}

int pusd__type_from_name_n(const char *name, size_t n) {
    if (!n) return PUSD_T_INVALID;
    for (int t = 1; t < PUSD_T_UNKNOWN; t++) {
        const char *tn = types[t].name;
        if (tn[0] == name[0] && !strncmp(tn, name, n) && !tn[n]) return t;
    }
    /* legacy names Sdf still reads (written back under the current name) */
    static const struct {
        const char *name;
        int type;
    } legacy[] = {{"Vec3f", PUSD_T_FLOAT3},      {"PointFloat", PUSD_T_POINT3F}, {"ColorFloat", PUSD_T_COLOR3F},
                  {"Matrix4d", PUSD_T_MATRIX4D}, {"Transform", PUSD_T_MATRIX4D}, {"PointIndex", PUSD_T_INT},
                  {"EdgeIndex", PUSD_T_INT},     {"FaceIndex", PUSD_T_INT}};
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
        if (strlen(legacy[i].name) == n && !memcmp(name, legacy[i].name, n)) return legacy[i].type;
    return PUSD_T_INVALID;
}

const char *pusd__type_suggest(const char *name) {
    size_t limit = strlen(name) <= 3 ? 1 : 2, best_d = limit + 1;
    const char *best = NULL;
    for (int t = 1; t < PUSD_T_UNKNOWN; t++) {
        size_t d = pusd__edit_distance(name, types[t].name, limit);
        if (d < best_d) {
            best_d = d;
            best = types[t].name;
        }
    }
    return best;
}

pusd_elem pusd_type_elem(pusd_type t) { return (pusd_elem)pusd_tinfo(t)->elem; }
int pusd_type_components(pusd_type t) { return pusd_tinfo(t)->ncomp; }
bool pusd_type_interpolates(pusd_type t) {
    int e = pusd_tinfo(t)->elem;
    return t < PUSD_T_UNKNOWN && t != PUSD_T_TIMECODE && (e == PUSD_E_HALF || e == PUSD_E_FLOAT || e == PUSD_E_DOUBLE);
}

size_t pusd_elem_size(pusd_elem e) {
    switch (e) {
    case PUSD_E_U8: return 1;
    case PUSD_E_HALF: return 2;
    case PUSD_E_I32:
    case PUSD_E_U32:
    case PUSD_E_FLOAT: return 4;
    case PUSD_E_I64:
    case PUSD_E_U64:
    case PUSD_E_DOUBLE: return 8;
    case PUSD_E_STR: return sizeof(const char *);
    default: return 0;
    }
}

/* ---- half floats ---------------------------------------------------------- */

float pusd_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, man = h & 1023;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0)
            bits = sign;
        else {
            float f = ldexpf((float)man, -24);
            return sign ? -f : f;
        }
    } else if (exp == 31)
        bits = sign | 0x7f800000u | (man << 13);
    else
        bits = sign | ((exp + 112) << 23) | (man << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t pusd_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0);
    if (ax >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: inf */
    if (ax < 0x38800000u) {                      /* subnormal half or zero */
        float a;
        memcpy(&a, &ax, 4);
        float scaled = a * 16777216.0f; /* 2^24; exact */
        long m = lrintf(scaled);        /* round to nearest even */
        return sign | (uint16_t)m;
    }
    uint32_t e = (ax >> 23) - 112, m = ax & 0x7fffff;
    uint32_t hm = m >> 13, rest = m & 0x1fff;
    uint32_t h = (e << 10) | hm;
    if (rest > 0x1000 || (rest == 0x1000 && (hm & 1))) h++;
    return sign | (uint16_t)h;
}

/* ---- fast number parsing -------------------------------------------------------- */

static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Scans -?(d+(.d*)?|.d+)([eE][+-]?d+)? ; plus inf/nan. Returns end or NULL.
 * *exact tells whether *out is the correctly rounded double. */
static const char *scan_num(const char *p, const char *end, double *out, int *exact) {
    const char *s = p;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    {
        /* fast path: at most 19 digits in all, no exponent: the general path below would take the
         * same digits into m with dexp = -(fraction digits) and give the same result */
        const char *q = p, *lim = end - p > 20 ? p + 20 : end;
        uint64_t fm = 0;
        unsigned dg;
        while (q < lim && (dg = (unsigned)(*q - '0')) < 10u) {
            fm = fm * 10 + dg;
            q++;
        }
        long nint = (long)(q - p), nfrac = 0;
        if (q < end && *q == '.') {
            const char *f = ++q;
            lim = end - f > 20 - nint ? f + (20 - nint) : end;
            while (q < lim && (dg = (unsigned)(*q - '0')) < 10u) {
                fm = fm * 10 + dg;
                q++;
            }
            nfrac = (long)(q - f);
        }
        if (nint + nfrac > 0 && nint + nfrac <= 19 && nfrac <= 22 && fm < (1ull << 53) &&
            !(q < end && ((unsigned)(*q - '0') < 10u || *q == 'e' || *q == 'E' || *q == '.'))) {
            double d = (double)fm;
            if (nfrac) d /= p10[nfrac];
            *out = neg ? -d : d;
            *exact = 1;
            return q;
        }
    }
    if (end - p >= 3 && !memcmp(p, "inf", 3)) {
        *out = neg ? -INFINITY : INFINITY;
        *exact = 1;
        return p + 3;
    }
    if (end - p >= 3 && !memcmp(p, "nan", 3)) {
        *out = NAN;
        *exact = 1;
        return p + 3;
    }
    uint64_t m = 0;
    int nd = 0, dexp = 0;
    bool any = false, overflow = false;
    while (p < end && *p >= '0' && *p <= '9') {
        any = true;
        if (nd < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            if (m) nd++;
        } else {
            dexp++;
            if (*p != '0') overflow = true;
        }
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            any = true;
            if (nd < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                if (m) nd++;
                dexp--;
            } else if (*p != '0')
                overflow = true;
            p++;
        }
    }
    if (!any) return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        bool eneg = false;
        if (q < end && (*q == '+' || *q == '-')) eneg = *q++ == '-';
        if (q < end && *q >= '0' && *q <= '9') {
            int e = 0;
            while (q < end && *q >= '0' && *q <= '9') {
                if (e < 100000) e = e * 10 + (*q - '0');
                q++;
            }
            dexp += eneg ? -e : e;
            p = q;
        } else
            return NULL;
    }
    if (!overflow && m < (1ull << 53) && dexp >= -22 && dexp <= 22) {
        double d = (double)m;
        d = dexp < 0 ? d / p10[-dexp] : d * p10[dexp];
        *out = neg ? -d : d;
        *exact = 1;
        return p;
    }
    char tmp[128];
    size_t len = (size_t)(p - s);
    char *heap = NULL, *t = tmp;
    if (len >= sizeof tmp) {
        heap = malloc(len + 1);
        if (!heap) return NULL;
        t = heap;
    }
    memcpy(t, s, len);
    t[len] = 0;
    *out = strtod(t, NULL);
    *exact = 2; /* text kept for float reparse */
    free(heap);
    return p;
}

const char *pusd__parse_double_fast(const char *p, const char *end, double *out) {
    int exact;
    return scan_num(p, end, out, &exact);
}

const char *pusd__parse_float_fast(const char *p, const char *end, float *out) {
    double d;
    int exact;
    const char *e = scan_num(p, end, &d, &exact);
    if (!e) return NULL;
    float f = (float)d;
    /* Double rounding can only go wrong when d sits exactly on a float
     * midpoint (or out of the normal float range); then ask strtof. */
    uint64_t bits;
    memcpy(&bits, &d, 8);
    double ad = fabs(d);
    if (exact == 2 || (bits & 0x1fffffffu) == 0x10000000u || (ad != 0 && ad < 1.2e-38) || (ad > 3.4e38 && !isinf(d))) {
        char tmp[128];
        size_t len = (size_t)(e - p);
        if (len < sizeof tmp) {
            memcpy(tmp, p, len);
            tmp[len] = 0;
            f = strtof(tmp, NULL);
        } else {
            char *h = malloc(len + 1);
            if (!h) return NULL;
            memcpy(h, p, len);
            h[len] = 0;
            f = strtof(h, NULL);
            free(h);
        }
    }
    *out = f;
    return e;
}

/* ---- accessors ------------------------------------------------------------------- */

double pusd_value_get_double(const pusd_value *v, size_t e, int i) {
    if (!v || !v->data || e >= v->count) return 0;
    const type_info *ti = pusd_tinfo(v->type);
    if (i < 0 || i >= ti->ncomp) return 0;
    size_t k = e * ti->ncomp + (size_t)i;
    switch (ti->elem) {
    case PUSD_E_U8: return ((const uint8_t *)v->data)[k];
    case PUSD_E_I32: return ((const int32_t *)v->data)[k];
    case PUSD_E_U32: return ((const uint32_t *)v->data)[k];
    case PUSD_E_I64: return (double)((const int64_t *)v->data)[k];
    case PUSD_E_U64: return (double)((const uint64_t *)v->data)[k];
    case PUSD_E_HALF: return pusd_half_to_float(((const uint16_t *)v->data)[k]);
    case PUSD_E_FLOAT: return ((const float *)v->data)[k];
    case PUSD_E_DOUBLE: return ((const double *)v->data)[k];
    default: return 0;
    }
}

const char *pusd_value_get_string(const pusd_value *v, size_t e) {
    if (!v || !v->data || e >= v->count) return NULL;
    if (v->type == PUSD_T_RAW || v->type == PUSD_T_PATH || v->type == PUSD_T_UNKNOWN)
        return e == 0 ? ((const char *const *)v->data)[0] : NULL;
    if (pusd_tinfo(v->type)->elem != PUSD_E_STR) return NULL;
    return ((const char *const *)v->data)[e];
}

pusd_value pusd_val_bool(const uint8_t *b) {
    pusd_value v = {PUSD_T_BOOL, 0, 1, b};
    return v;
}
pusd_value pusd_val_scalar(pusd_type t, const void *data) {
    pusd_value v = {(uint16_t)t, 0, 1, data};
    return v;
}
pusd_value pusd_val_array(pusd_type t, const void *data, size_t count) {
    pusd_value v = {(uint16_t)t, PUSD_VF_ARRAY, (uint32_t)count, data};
    return v;
}

/* ---- deep copy ----------------------------------------------------------------------- */

static int copy_dict(pusd_arena *a, interner *in, const pusd_dict *src, const pusd_dict **out);

static const char *cp_str(pusd_arena *a, interner *in, const char *s, bool tok) {
    if (!s) return NULL;
    return tok ? pusd__intern(in, a, s, strlen(s)) : pusd__ar_strdup(a, s);
}

static int copy_listop(pusd_arena *a, interner *in, int type, const pusd_listop *src, const pusd_listop **out) {
    pusd_listop *lo = pusd__ar_calloc(a, sizeof *lo);
    if (!lo) return -1;
    lo->is_explicit = src->is_explicit;
    bool refs = type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP;
    for (int k = 0; k < PUSD_LISTOP_NOPS; k++) {
        uint32_t n = src->count[k];
        lo->count[k] = n;
        if (!n) continue;
        if (refs) {
            pusd_reference *r = pusd__ar_calloc(a, n * sizeof *r);
            if (!r) return -1;
            const pusd_reference *sr = src->items[k];
            for (uint32_t i = 0; i < n; i++) {
                r[i] = sr[i];
                r[i].asset_path = cp_str(a, in, sr[i].asset_path ? sr[i].asset_path : "", false);
                r[i].prim_path = cp_str(a, in, sr[i].prim_path ? sr[i].prim_path : "", false);
                if (sr[i].custom_data && copy_dict(a, in, sr[i].custom_data, &r[i].custom_data)) return -1;
            }
            lo->items[k] = r;
        } else {
            const char **s = pusd__ar_alloc(a, n * sizeof *s);
            if (!s) return -1;
            const char *const *ss = src->items[k];
            for (uint32_t i = 0; i < n; i++) s[i] = cp_str(a, in, ss[i], type == PUSD_T_TOKEN_LISTOP);
            lo->items[k] = s;
        }
    }
    *out = lo;
    return 0;
}

int pusd__value_copy(pusd_arena *a, interner *in, pusd_value *dst, const pusd_value *src) {
    *dst = *src;
    if (!src->data) return 0;
    const type_info *ti = pusd_tinfo(src->type);
    switch (src->type) {
    case PUSD_T_DICTIONARY: return copy_dict(a, in, src->data, (const pusd_dict **)&dst->data);
    case PUSD_T_TOKEN_LISTOP:
    case PUSD_T_STRING_LISTOP:
    case PUSD_T_PATH_LISTOP:
    case PUSD_T_REFERENCE_LISTOP:
    case PUSD_T_PAYLOAD_LISTOP: return copy_listop(a, in, src->type, src->data, (const pusd_listop **)&dst->data);
    default: break;
    }
    size_t n = (size_t)src->count * ti->ncomp;
    if (ti->elem == PUSD_E_STR) {
        const char **s = pusd__ar_alloc(a, (n ? n : 1) * sizeof *s);
        if (!s) return -1;
        const char *const *ss = src->data;
        for (size_t i = 0; i < n; i++) {
            s[i] = cp_str(a, in, ss[i] ? ss[i] : "", src->type == PUSD_T_TOKEN);
            if (!s[i]) return -1;
        }
        dst->data = s;
        return 0;
    }
    size_t bytes = n * pusd_elem_size(ti->elem);
    void *d = pusd__ar_alloc(a, bytes ? bytes : 1);
    if (!d) return -1;
    if (bytes) memcpy(d, src->data, bytes);
    dst->data = d;
    return 0;
}

static int copy_dict(pusd_arena *a, interner *in, const pusd_dict *src, const pusd_dict **out) {
    pusd_dict *d = pusd__ar_calloc(a, sizeof *d);
    if (!d) return -1;
    d->count = src->count;
    if (src->count) {
        d->entries = pusd__ar_calloc(a, src->count * sizeof *d->entries);
        if (!d->entries) return -1;
        for (uint32_t i = 0; i < src->count; i++) {
            d->entries[i].key = pusd__ar_strdup(a, src->entries[i].key);
            if (!d->entries[i].key || pusd__value_copy(a, in, &d->entries[i].value, &src->entries[i].value)) return -1;
        }
    }
    *out = d;
    return 0;
}

bool pusd__value_equal(const pusd_value *a, const pusd_value *b) {
    if (a->type != b->type || a->flags != b->flags || a->count != b->count) return false;
    if (!a->data || !b->data) return a->data == b->data;
    const type_info *ti = pusd_tinfo(a->type);
    if (a->type == PUSD_T_DICTIONARY) {
        const pusd_dict *x = a->data, *y = b->data;
        if (x->count != y->count) return false;
        for (uint32_t i = 0; i < x->count; i++)
            if (strcmp(x->entries[i].key, y->entries[i].key) ||
                !pusd__value_equal(&x->entries[i].value, &y->entries[i].value))
                return false;
        return true;
    }
    if (ti->elem == PUSD_E_OTHER) {
        sbuf s1 = {0}, s2 = {0};
        pusd__value_write(&s1, a, 0);
        pusd__value_write(&s2, b, 0);
        bool eq = s1.len == s2.len && (!s1.len || !memcmp(s1.p, s2.p, s1.len));
        pusd__sb_free(&s1);
        pusd__sb_free(&s2);
        return eq;
    }
    size_t n = (size_t)a->count * ti->ncomp;
    if (ti->elem == PUSD_E_STR) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(((const char *const *)a->data)[i], ((const char *const *)b->data)[i])) return false;
        return true;
    }
    return !memcmp(a->data, b->data, n * pusd_elem_size(ti->elem)); /* bitwise: nan == nan */
}

/* ---- text output --------------------------------------------------------------------- */

void pusd__write_quoted(sbuf *b, const char *s) {
    bool has_dq = strchr(s, '"') != NULL, has_sq = strchr(s, '\'') != NULL;
    bool nl = strchr(s, '\n') != NULL;
    const char *end = s + strlen(s);
    char q = (has_dq && !has_sq) ? '\'' : '"';
    if (nl) {
        pusd__sb_putc(b, q);
        pusd__sb_putc(b, q);
    }
    pusd__sb_putc(b, q);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c == '\\')
            pusd__sb_puts(b, "\\\\");
        else if (c == '\n' && nl)
            pusd__sb_putc(b, '\n');
        else if (c == '\n')
            pusd__sb_puts(b, "\\n");
        else if (c == '\r')
            pusd__sb_puts(b, "\\r");
        else if (c == '\t')
            pusd__sb_puts(b, "\\t");
        else if (c == (unsigned)q) {
            /* in triple-quoted strings escape every quote char so no run of 3 appears */
            pusd__sb_putc(b, '\\');
            pusd__sb_putc(b, (char)c);
        } else if (c < 0x20 || c == 0x7f)
            pusd__sb_printf(b, "\\x%02x", c);
        else if (c < 0x80)
            pusd__sb_putc(b, (char)c);
        else {
            /* valid UTF-8 as it is; any other byte as \xNN, as OpenUSD writes it (raw, the file
             * would not be UTF-8 and usdcat rejects it) */
            uint32_t cp;
            int n = pusd__utf8_decode((const char *)p, end, &cp);
            if (n) {
                pusd__sb_put(b, p, (size_t)n);
                p += n - 1;
            } else
                pusd__sb_printf(b, "\\x%02x", c);
        }
    }
    pusd__sb_putc(b, q);
    if (nl) {
        pusd__sb_putc(b, q);
        pusd__sb_putc(b, q);
    }
}

void pusd__write_asset(sbuf *b, const char *s) {
    if (strchr(s, '@')) {
        pusd__sb_puts(b, "@@@");
        for (const char *p = s; *p; p++) {
            if (!strncmp(p, "@@@", 3)) {
                pusd__sb_puts(b, "\\@@@");
                p += 2;
            } else
                pusd__sb_putc(b, *p);
        }
        pusd__sb_puts(b, "@@@");
    } else {
        pusd__sb_putc(b, '@');
        pusd__sb_puts(b, s);
        pusd__sb_putc(b, '@');
    }
}

/* Number text of component k straight into o (PUSD_NUM_ROOM bytes of room). */
static int write_num(char *o, int elem, const void *data, size_t k) {
    switch (elem) {
    case PUSD_E_U8: return pusd__fmt_u64(((const uint8_t *)data)[k], o);
    case PUSD_E_I32: return pusd__fmt_i64(((const int32_t *)data)[k], o);
    case PUSD_E_U32: return pusd__fmt_u64(((const uint32_t *)data)[k], o);
    case PUSD_E_I64: return pusd__fmt_i64(((const int64_t *)data)[k], o);
    case PUSD_E_U64: return pusd__fmt_u64(((const uint64_t *)data)[k], o);
    case PUSD_E_HALF: return pusd__fmt_half(((const uint16_t *)data)[k], o);
    case PUSD_E_FLOAT: return pusd__fmt_float(((const float *)data)[k], o);
    case PUSD_E_DOUBLE: return pusd__fmt_double(((const double *)data)[k], o);
    default: *o = 0; return 0;
    }
}

static void write_elem(sbuf *b, int type, int elem, const void *data, size_t k) {
    if (elem != PUSD_E_STR) {
        char *o = pusd__sb_room(b, PUSD_NUM_ROOM);
        if (o) b->len += (size_t)write_num(o, elem, data, k);
        return;
    }
    const char *s = ((const char *const *)data)[k];
    if (type == PUSD_T_ASSET)
        pusd__write_asset(b, s);
    else
        pusd__write_quoted(b, s);
}

/* A numeric tuple "(a, b, c)" in one reservation: the hot loop of writing
 * point and normal arrays. */
static void write_num_tuple(sbuf *b, int elem, int ncomp, const void *data, size_t base) {
    char *o0 = pusd__sb_room(b, 2 + (size_t)ncomp * (PUSD_NUM_ROOM + 2)), *o = o0;
    if (!o) return;
    *o++ = '(';
    for (int c = 0; c < ncomp; c++) {
        if (c) {
            memcpy(o, ", ", 2);
            o += 2;
        }
        o += write_num(o, elem, data, base + (size_t)c);
    }
    *o++ = ')';
    *o = 0;
    b->len += (size_t)(o - o0);
}

/* Elements e0..e1 of a numeric array of scalars or tuples ("(a, b, c)"), written at o. Inlined
 * with constant elem/nc/tuple for the common kinds, so the loop has no per-number switch. */
static inline __attribute__((always_inline)) char *put_elems(char *o, int elem, int nc, bool tuple, const void *data,
                                                             uint32_t e0, uint32_t e1) {
    for (uint32_t e = e0; e < e1; e++) {
        if (e) {
            memcpy(o, ", ", 2);
            o += 2;
        }
        size_t base = (size_t)e * (size_t)nc;
        if (!tuple) {
            o += write_num(o, elem, data, base);
            continue;
        }
        *o++ = '(';
        for (int c = 0; c < nc; c++) {
            if (c) {
                memcpy(o, ", ", 2);
                o += 2;
            }
            o += write_num(o, elem, data, base + (size_t)c);
        }
        *o++ = ')';
    }
    return o;
}

/* A numeric array of scalars, tuples or quaternions (points, normals, widths...): the hot loop of
 * writing large layers. Room for a batch of elements is reserved at once. */
static void write_num_array(sbuf *b, const type_info *ti, const void *data, uint32_t count) {
    enum { BATCH = 256 };
    const int nc = ti->ncomp, elem = ti->elem;
    const bool tuple = ti->shape != 0;
    const size_t per = 4 + (size_t)nc * (PUSD_NUM_ROOM + 2);
    for (uint32_t e0 = 0; e0 < count; e0 += BATCH) {
        uint32_t e1 = count - e0 < BATCH ? count : e0 + BATCH;
        char *o0 = pusd__sb_room(b, per * (e1 - e0)), *o;
        if (!o0) return;
        if (elem == PUSD_E_FLOAT && tuple && nc == 3)
            o = put_elems(o0, PUSD_E_FLOAT, 3, true, data, e0, e1);
        else if (elem == PUSD_E_FLOAT && !tuple)
            o = put_elems(o0, PUSD_E_FLOAT, 1, false, data, e0, e1);
        else if (elem == PUSD_E_DOUBLE && tuple && nc == 3)
            o = put_elems(o0, PUSD_E_DOUBLE, 3, true, data, e0, e1);
        else if (elem == PUSD_E_I32 && !tuple)
            o = put_elems(o0, PUSD_E_I32, 1, false, data, e0, e1);
        else
            o = put_elems(o0, elem, nc, tuple, data, e0, e1);
        *o = 0;
        b->len += (size_t)(o - o0);
    }
}

static void write_one(sbuf *b, int type, const void *data, size_t e) {
    const type_info *ti = pusd_tinfo(type);
    size_t base = e * ti->ncomp;
    if (ti->shape == 0) {
        write_elem(b, type, ti->elem, data, base);
    } else if (ti->shape == 2) {
        pusd__sb_puts(b, "( ");
        for (int r = 0; r < ti->dim; r++) {
            if (r) pusd__sb_puts(b, ", ");
            write_num_tuple(b, ti->elem, ti->dim, data, base + (size_t)(r * ti->dim));
        }
        pusd__sb_puts(b, " )");
    } else if (ti->elem != PUSD_E_STR) {
        write_num_tuple(b, ti->elem, ti->ncomp, data, base);
    } else {
        pusd__sb_putc(b, '(');
        for (int c = 0; c < ti->ncomp; c++) {
            if (c) pusd__sb_puts(b, ", ");
            write_elem(b, type, ti->elem, data, base + (size_t)c);
        }
        pusd__sb_putc(b, ')');
    }
}

static void write_dict(sbuf *b, const pusd_dict *d, int indent) {
    pusd__sb_puts(b, "{\n");
    for (uint32_t i = 0; i < d->count; i++) {
        const pusd_dict_entry *e = &d->entries[i];
        pusd__sb_indent(b, indent + 1);
        if (e->value.type == PUSD_T_DICTIONARY)
            pusd__sb_puts(b, "dictionary ");
        else {
            pusd__sb_puts(b, pusd_tinfo(e->value.type)->name);
            if (e->value.flags & PUSD_VF_ARRAY) pusd__sb_puts(b, "[]");
            pusd__sb_putc(b, ' ');
        }
        /* key: identifier if possible, else quoted */
        bool ident = e->key[0] && !(e->key[0] >= '0' && e->key[0] <= '9');
        for (const unsigned char *p = (const unsigned char *)e->key; *p && ident; p++)
            if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  *p >= 0x80))
                ident = false;
        if (ident)
            pusd__sb_puts(b, e->key);
        else
            pusd__write_quoted(b, e->key);
        pusd__sb_puts(b, " = ");
        pusd__value_write(b, &e->value, indent + 1);
        pusd__sb_putc(b, '\n');
    }
    pusd__sb_indent(b, indent);
    pusd__sb_putc(b, '}');
}

static void write_ref(sbuf *b, const pusd_reference *r, bool refs, int indent) {
    if (r->asset_path && r->asset_path[0]) pusd__write_asset(b, r->asset_path);
    if (r->prim_path && r->prim_path[0]) pusd__sb_printf(b, "<%s>", r->prim_path);
    if (!(r->asset_path && r->asset_path[0]) && !(r->prim_path && r->prim_path[0])) pusd__sb_puts(b, "<>");
    bool off = r->offset != 0, sc = r->scale != 1, cd = refs && r->custom_data && r->custom_data->count;
    if (off || sc || cd) {
        char t[40];
        pusd__sb_puts(b, " (");
        bool first = true;
        if (off) {
            pusd_format_double(r->offset, t);
            pusd__sb_printf(b, "offset = %s", t);
            first = false;
        }
        if (sc) {
            pusd_format_double(r->scale, t);
            pusd__sb_printf(b, "%sscale = %s", first ? "" : "; ", t);
            first = false;
        }
        if (cd) {
            pusd__sb_printf(b, "%scustomData = ", first ? "" : "; ");
            write_dict(b, r->custom_data, indent);
        }
        pusd__sb_putc(b, ')');
    }
}

/* Writes one op's item list (listop value bodies; used by the layer writer). */
void pusd__write_listop_items(sbuf *b, int type, const pusd_listop *lo, int k, int indent);
void pusd__write_listop_items(sbuf *b, int type, const pusd_listop *lo, int k, int indent) {
    uint32_t n = lo->count[k];
    bool refs = type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP;
    if (n == 0) {
        pusd__sb_puts(b, k == PUSD_LISTOP_EXPLICIT ? "None" : "[]");
        return;
    }
    bool brackets = !(type == PUSD_T_PATH_LISTOP || refs) || n > 1;
    if (type == PUSD_T_PATH_LISTOP && indent < 0) brackets = true;
    if (brackets) pusd__sb_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i) pusd__sb_puts(b, ", ");
        if (refs)
            write_ref(b, &((const pusd_reference *)lo->items[k])[i], type == PUSD_T_REFERENCE_LISTOP,
                      indent < 0 ? 0 : indent);
        else if (type == PUSD_T_PATH_LISTOP)
            pusd__sb_printf(b, "<%s>", ((const char *const *)lo->items[k])[i]);
        else
            pusd__write_quoted(b, ((const char *const *)lo->items[k])[i]);
    }
    if (brackets) pusd__sb_putc(b, ']');
}

void pusd__value_write(sbuf *b, const pusd_value *v, int indent) {
    if (v->flags & PUSD_VF_BLOCKED) {
        pusd__sb_puts(b, "None");
        return;
    }
    switch (v->type) {
    case PUSD_T_DICTIONARY: write_dict(b, v->data, indent); return;
    case PUSD_T_RAW:
    case PUSD_T_UNKNOWN:
        if (v->data) pusd__sb_puts(b, ((const char *const *)v->data)[0]);
        return;
    case PUSD_T_PATH: pusd__sb_printf(b, "<%s>", ((const char *const *)v->data)[0]); return;
    case PUSD_T_TOKEN_LISTOP:
    case PUSD_T_STRING_LISTOP:
    case PUSD_T_PATH_LISTOP:
    case PUSD_T_REFERENCE_LISTOP:
    case PUSD_T_PAYLOAD_LISTOP: {
        const pusd_listop *lo = v->data;
        for (int k = 0; k < PUSD_LISTOP_NOPS; k++)
            if (lo->count[k] || (k == 0 && lo->is_explicit)) {
                pusd__write_listop_items(b, v->type, lo, k, indent);
                return;
            }
        pusd__sb_puts(b, "[]");
        return;
    }
    default: break;
    }
    if (!v->data) {
        pusd__sb_puts(b, "None");
        return;
    }
    if (v->flags & PUSD_VF_ARRAY) {
        pusd__sb_putc(b, '[');
        const type_info *ti = pusd_tinfo(v->type);
        if (ti->elem != PUSD_E_STR && ti->shape != 2)
            write_num_array(b, ti, v->data, v->count);
        else
            for (uint32_t e = 0; e < v->count; e++) {
                if (e) pusd__sb_puts(b, ", ");
                write_one(b, v->type, v->data, e);
            }
        pusd__sb_putc(b, ']');
    } else {
        if (v->type == PUSD_T_BOOL) {
            pusd__sb_puts(b, ((const uint8_t *)v->data)[0] ? "true" : "false");
            return;
        }
        write_one(b, v->type, v->data, 0);
    }
}
