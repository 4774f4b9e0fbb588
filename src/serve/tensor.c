/* Tensor element types of the KServe v2 protocol and the conversions
 * between JSON, native storage (little-endian, packed: the binary tensor
 * layout) and WebAssembly value cells. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <portalis/usd.h>

#include "serve_internal.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[PSV_NDTYPES] = {
    [PSV_BOOL] = {"BOOL", 1},     [PSV_UINT8] = {"UINT8", 1},   [PSV_UINT16] = {"UINT16", 2},
    [PSV_UINT32] = {"UINT32", 4}, [PSV_UINT64] = {"UINT64", 8}, [PSV_INT8] = {"INT8", 1},
    [PSV_INT16] = {"INT16", 2},   [PSV_INT32] = {"INT32", 4},   [PSV_INT64] = {"INT64", 8},
    [PSV_FP32] = {"FP32", 4},     [PSV_FP64] = {"FP64", 8},     [PSV_FP16] = {"FP16", 2},
};

const char *psv_dtype_name(psv_dtype t) { return dtypes[t].name; }
size_t psv_dtype_size(psv_dtype t) { return dtypes[t].size; }

bool psv_dtype_parse(const char *s, bool triton, psv_dtype *out) {
    if (triton) {
        if (strncmp(s, "TYPE_", 5))
            return false;
        s += 5;
    }
    for (int i = 0; i < PSV_NDTYPES; i++)
        if (!strcmp(s, dtypes[i].name)) {
            *out = (psv_dtype)i;
            return true;
        }
    return false;
}

static bool is_float(psv_dtype t) { return t == PSV_FP32 || t == PSV_FP64 || t == PSV_FP16; }
static bool is_signed(psv_dtype t) { return t >= PSV_INT8 && t <= PSV_INT64; }

/* The range of an integer type, as doubles (exact for the bounds used). */
static void int_range(psv_dtype t, double *lo, double *hi) {
    size_t bits = dtypes[t].size * 8;
    if (t == PSV_BOOL) {
        *lo = 0, *hi = 1;
    } else if (is_signed(t)) {
        *lo = -ldexp(1, (int)bits - 1), *hi = ldexp(1, (int)bits - 1) - 1;
    } else {
        *lo = 0, *hi = ldexp(1, (int)bits) - 1;
    }
}

static void store_int(psv_dtype t, int64_t i, uint64_t u, void *dst) {
    switch (t) {
    case PSV_BOOL: *(uint8_t *)dst = i != 0; break;
    case PSV_UINT8: *(uint8_t *)dst = (uint8_t)u; break;
    case PSV_UINT16: *(uint16_t *)dst = (uint16_t)u; break;
    case PSV_UINT32: *(uint32_t *)dst = (uint32_t)u; break;
    case PSV_UINT64: *(uint64_t *)dst = u; break;
    case PSV_INT8: *(int8_t *)dst = (int8_t)i; break;
    case PSV_INT16: *(int16_t *)dst = (int16_t)i; break;
    case PSV_INT32: *(int32_t *)dst = (int32_t)i; break;
    default: *(int64_t *)dst = i; break;
    }
}

/* A double to an integer type, saturating (NaN gives 0). */
static void store_double_as_int(psv_dtype t, double d, void *dst) {
    double lo, hi;
    int_range(t, &lo, &hi);
    d = d != d ? 0 : trunc(d);
    if (d < lo)
        d = lo;
    if (d >= hi)
        d = hi;
    if (is_signed(t) || t == PSV_BOOL)
        store_int(t, d >= 0x1p63 ? INT64_MAX : (int64_t)d, 0, dst);
    else
        store_int(t, 0, d >= 0x1p64 ? UINT64_MAX : (uint64_t)d, dst);
}

/* An integer to an integer type, saturating. */
static void store_i64_sat(psv_dtype t, int64_t i, void *dst) {
    if (t == PSV_UINT64 || t == PSV_INT64) {
        store_int(t, i, t == PSV_UINT64 && i < 0 ? 0 : (uint64_t)i, dst);
        return;
    }
    double lo, hi;
    int_range(t, &lo, &hi);
    if ((double)i < lo)
        i = (int64_t)lo;
    else if ((double)i > hi)
        i = (int64_t)hi;
    store_int(t, i, (uint64_t)i, dst);
}

/* FP16 goes through single precision (usd's round-to-nearest-even
 * conversion): a double is first rounded to a float. */
static void store_double(psv_dtype t, double d, void *dst) {
    if (t == PSV_FP64)
        *(double *)dst = d;
    else if (t == PSV_FP32)
        *(float *)dst = (float)d;
    else if (t == PSV_FP16)
        *(uint16_t *)dst = pusd_float_to_half((float)d);
    else
        store_double_as_int(t, d, dst);
}

/* An exact integer (sign and magnitude) as integer type t, if within its range. */
static bool store_exact_int(psv_dtype t, bool neg, uint64_t mag, void *dst) {
    unsigned bits = (unsigned)dtypes[t].size * 8;
    uint64_t hi = t == PSV_BOOL ? 1 : is_signed(t) ? (UINT64_C(1) << (bits - 1)) - 1 : UINT64_MAX >> (64 - bits);
    if (neg && mag) {
        if (!is_signed(t) || mag > hi + 1)
            return false;
        store_int(t, mag == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)mag, 0, dst);
        return true;
    }
    if (mag > hi)
        return false;
    store_int(t, (int64_t)mag, mag, dst);
    return true;
}

bool psv_elem_from_json(psv_dtype t, const psv_jdoc *d, int i, void *dst, const char **why) {
    if (t == PSV_BOOL && (psv_j_is(d, i, PSV_JTRUE) || psv_j_is(d, i, PSV_JFALSE))) {
        *(uint8_t *)dst = psv_j_is(d, i, PSV_JTRUE);
        return true;
    }
    double v;
    if (!psv_j_is(d, i, PSV_JNUM) || !psv_j_double(d, i, &v)) {
        *why = t == PSV_BOOL ? "expected true or false" : "expected a number";
        return false;
    }
    if (is_float(t)) {
        store_double(t, v, dst);
        return true;
    }
    *why = "expected an integer within the range of the datatype";
    bool neg;
    uint64_t mag;
    int plain = psv_j_integer(d, i, &neg, &mag); /* digits only: exact, whatever the size */
    if (plain)
        return plain > 0 && store_exact_int(t, neg, mag, dst);
    double lo, hi;
    int_range(t, &lo, &hi);
    if (v != trunc(v) || v < lo || v > hi)
        return false;
    store_double_as_int(t, v, dst);
    return true;
}

static int64_t load_int(psv_dtype t, const void *src) {
    switch (t) {
    case PSV_BOOL:
    case PSV_UINT8: return *(const uint8_t *)src;
    case PSV_UINT16: return *(const uint16_t *)src;
    case PSV_UINT32: return *(const uint32_t *)src;
    case PSV_UINT64: return (int64_t) * (const uint64_t *)src;
    case PSV_INT8: return *(const int8_t *)src;
    case PSV_INT16: return *(const int16_t *)src;
    case PSV_INT32: return *(const int32_t *)src;
    default: return *(const int64_t *)src;
    }
}

static double load_double(psv_dtype t, const void *src) {
    if (t == PSV_FP64)
        return *(const double *)src;
    if (t == PSV_FP32)
        return *(const float *)src;
    if (t == PSV_FP16)
        return pusd_half_to_float(*(const uint16_t *)src);
    if (t == PSV_UINT64)
        return (double)*(const uint64_t *)src;
    return (double)load_int(t, src);
}

/* The shortest decimal that reads back as the same double (usd's Schubfach
 * formatter: a few hundred instructions where %.15g, strtod and %.17g took
 * thousands); NaN and infinities, which JSON has not, as null. */
static void write_double(pbase_json *j, double d) {
    char text[32];
    if (isfinite(d)) {
        pusd_format_double(d, text);
        pbase_json_number_text(j, text);
    } else {
        pbase_json_null(j);
    }
}

void psv_elem_to_json(pbase_json *j, psv_dtype t, const void *src) {
    if (t == PSV_BOOL)
        pbase_json_bool(j, *(const uint8_t *)src != 0);
    else if (is_float(t))
        write_double(j, load_double(t, src));
    else if (t == PSV_UINT64)
        pbase_json_uint(j, *(const uint64_t *)src);
    else
        pbase_json_int(j, load_int(t, src));
}

uint64_t psv_elem_to_cell(psv_dtype t, const void *src, pw_valkind k) {
    uint64_t cell = 0;
    if (k == PW_F64) {
        double d = load_double(t, src);
        memcpy(&cell, &d, 8);
    } else if (k == PW_F32) {
        float f = (float)load_double(t, src);
        memcpy(&cell, &f, 4);
    } else if (is_float(t)) {
        int64_t i;
        store_double_as_int(k == PW_I32 ? PSV_INT32 : PSV_INT64, load_double(t, src), &i);
        cell = k == PW_I32 ? (uint32_t)(int32_t)i : (uint64_t)i;
    } else {
        int64_t i = load_int(t, src);
        cell = k == PW_I32 ? (uint32_t)(int32_t)i : (uint64_t)i;
    }
    return cell;
}

void psv_elem_from_cell(psv_dtype t, uint64_t cell, pw_valkind k, void *dst) {
    if (k == PW_F64 || k == PW_F32) {
        double d;
        if (k == PW_F64) {
            memcpy(&d, &cell, 8);
        } else {
            float f;
            memcpy(&f, &cell, 4);
            d = f;
        }
        store_double(t, d, dst);
        return;
    }
    int64_t i = k == PW_I32 ? (int64_t)(int32_t)(uint32_t)cell : (int64_t)cell;
    if ((t == PSV_UINT64 && k == PW_I64) || (t == PSV_UINT32 && k == PW_I32)) {
        store_int(t, 0, cell, dst); /* same width: the bits, as C converts to unsigned */
        return;
    }
    if (is_float(t))
        store_double(t, (double)i, dst);
    else
        store_i64_sat(t, i, dst);
}
