/* The writer's number text (num_format.c) against a printf/strtod search:
 * every value tested reads back to the same bits (through strtod/strtof and
 * through our own reader), has the fewest significant digits of any decimal
 * that does (no decimal with one digit fewer reads back), and among those
 * is the closest to the value (it equals the correctly rounded "%.*e" text
 * whenever that reads back). Millions of doubles (random bit patterns,
 * short decimals, powers of two and ten and their neighbours), contiguous
 * runs of floats (subnormals, the normal boundary, around 1, 1e10 and the
 * largest float), random floats, and every half; each text is also checked
 * against the documented layout (positional or exponent form). */
#include <float.h>
#include <stdint.h>

#include "tu.h"

const char *pusd__parse_double_fast(const char *p, const char *end, double *out);
const char *pusd__parse_float_fast(const char *p, const char *end, float *out);
int pusd__fmt_u64(uint64_t x, char *buf);
int pusd__fmt_i64(int64_t x, char *buf);

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* One binary format: how to print it, read it back both ways, and its value. */
typedef struct kind {
    const char *name;
    int (*fmt)(const void *v, char *buf);
    bool (*rt_libc)(const char *text, const void *v);
    bool (*rt_ours)(const char *text, const void *v);
    double (*value)(const void *v);
} kind;

static int fmt_d(const void *v, char *b) { return pusd_format_double(*(const double *)v, b); }
static int fmt_f(const void *v, char *b) { return pusd_format_float(*(const float *)v, b); }
static int fmt_h(const void *v, char *b) { return pusd_format_half(*(const uint16_t *)v, b); }
static bool same_d(double a, double b) { return !memcmp(&a, &b, 8); }
static bool same_f(float a, float b) { return !memcmp(&a, &b, 4); }
static bool rtl_d(const char *t, const void *v) { return same_d(strtod(t, NULL), *(const double *)v); }
static bool rtl_f(const char *t, const void *v) { return same_f(strtof(t, NULL), *(const float *)v); }
static bool rtl_h(const char *t, const void *v) {
    return pusd_float_to_half(strtof(t, NULL)) == *(const uint16_t *)v;
}
static bool rto_d(const char *t, const void *v) {
    double d = 0;
    const char *e = pusd__parse_double_fast(t, t + strlen(t), &d);
    return e && !*e && same_d(d, *(const double *)v);
}
static bool rto_f(const char *t, const void *v) {
    float f = 0;
    const char *e = pusd__parse_float_fast(t, t + strlen(t), &f);
    return e && !*e && same_f(f, *(const float *)v);
}
static bool rto_h(const char *t, const void *v) {
    float f = 0;
    const char *e = pusd__parse_float_fast(t, t + strlen(t), &f);
    return e && !*e && pusd_float_to_half(f) == *(const uint16_t *)v;
}
static double val_d(const void *v) { return *(const double *)v; }
static double val_f(const void *v) { return *(const float *)v; }
static double val_h(const void *v) { return pusd_half_to_float(*(const uint16_t *)v); }

static const kind K_DOUBLE = {"double", fmt_d, rtl_d, rto_d, val_d};
static const kind K_FLOAT = {"float", fmt_f, rtl_f, rto_f, val_f};
static const kind K_HALF = {"half", fmt_h, rtl_h, rto_h, val_h};

/* Significant digits of decimal text (leading and trailing zeros dropped)
 * and e10 with value = 0.d1d2... * 10^e10. */
static int sig_digits(const char *s, char *dig, int *e10) {
    int nd = 0, ip = 0;
    bool point = false, lead = true;
    for (; *s && *s != 'e'; s++) {
        if (*s == '.') {
            point = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            continue;
        if (lead && *s == '0') {
            if (point)
                ip--;
            continue;
        }
        lead = false;
        dig[nd++] = *s;
        if (!point)
            ip++;
    }
    while (nd > 0 && dig[nd - 1] == '0')
        nd--;
    dig[nd] = 0;
    *e10 = ip + (*s == 'e' ? atoi(s + 1) : 0);
    return nd;
}

static long checked, failures;

static void fail(const kind *k, double x, const char *text, const char *why) {
    if (failures++ < 20)
        fprintf(stderr, "%s %.17g: wrote '%s': %s\n", k->name, x, text, why);
}

/* The p-digit decimals nearest x (the correctly rounded one and its two
 * neighbours in the last digit): if any p-digit decimal reads back to v,
 * one of these does, since x lies inside its rounding interval. */
static bool p_digits_read_back(const kind *k, const void *v, double x, int p) {
    char ref[64], dig[40];
    int e10;
    snprintf(ref, sizeof ref, "%.*e", p - 1, fabs(x));
    int nd = sig_digits(ref, dig, &e10);
    unsigned long long d = strtoull(dig, NULL, 10);
    for (int i = nd; i < p; i++)
        d *= 10; /* back to p digits */
    for (int delta = -1; delta <= 1; delta++) {
        char t[64];
        snprintf(t, sizeof t, "%s%llue%d", x < 0 ? "-" : "", d + (unsigned long long)(long long)delta, e10 - p);
        if (k->rt_libc(t, v))
            return true;
    }
    return false;
}

/* The text the documented layout gives for digits dig (nd of them) and e10: positional for
 * -6 < e10 <= 21, else d.ddde[+-]x. */
static void layout_text(char *t, size_t cap, bool neg, const char *dig, int nd, int e10) {
    const char *sg = neg ? "-" : "";
    if (e10 > 0 && e10 <= 21 && nd <= e10)
        snprintf(t, cap, "%s%s%.*s", sg, dig, e10 - nd, "000000000000000000000");
    else if (e10 > 0 && e10 <= 21)
        snprintf(t, cap, "%s%.*s.%s", sg, e10, dig, dig + e10);
    else if (e10 <= 0 && e10 > -6)
        snprintf(t, cap, "%s0.%.*s%s", sg, -e10, "000000", dig);
    else
        snprintf(t, cap, "%s%c%s%se%c%d", sg, dig[0], nd > 1 ? "." : "", dig + 1, e10 - 1 < 0 ? '-' : '+',
                 abs(e10 - 1));
}

static void check(const kind *k, const void *v) {
    char buf[48], dig[40], ref[64], rdig[40];
    double x = k->value(v);
    if (isnan(x) || isinf(x) || x == 0)
        return;
    checked++;
    int n = k->fmt(v, buf);
    if (n != (int)strlen(buf))
        return fail(k, x, buf, "length returned differs");
    if (!k->rt_libc(buf, v))
        return fail(k, x, buf, "strtod/strtof reads back another value");
    if (!k->rt_ours(buf, v))
        return fail(k, x, buf, "our reader reads back another value");
    int e10, re10, nd = sig_digits(buf, dig, &e10);
    char lay[64];
    layout_text(lay, sizeof lay, x < 0, dig, nd, e10);
    if (strcmp(lay, buf))
        return fail(k, x, buf, "not in the documented layout");
    if (nd > 1 && p_digits_read_back(k, v, x, nd - 1))
        return fail(k, x, buf, "a shorter decimal reads back");
    snprintf(ref, sizeof ref, "%.*e", nd - 1, x);
    if (k->rt_libc(ref, v)) {
        sig_digits(ref, rdig, &re10);
        if (strcmp(rdig, dig) || re10 != e10)
            return fail(k, x, buf, "not the closest shortest decimal");
    }
}

static void check_double_bits(uint64_t bits) {
    double d;
    memcpy(&d, &bits, 8);
    check(&K_DOUBLE, &d);
}

static void check_float_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    check(&K_FLOAT, &f);
}

static void doubles(void) {
    for (int i = 0; i < 1000000; i++)
        check_double_bits(rnd());
    for (int i = 0; i < 500000; i++) { /* short decimals, as scenes hold */
        char t[48];
        snprintf(t, sizeof t, "%llue%d", (unsigned long long)(rnd() % 1000000000ull), (int)(rnd() % 80) - 40);
        double d = strtod(t, NULL);
        check(&K_DOUBLE, &d);
    }
    for (uint64_t e = 0; e < 2047; e++) /* powers of two (the irregular gap) and neighbours */
        for (int64_t dt = -2; dt <= 2; dt++)
            check_double_bits((e << 52) + (uint64_t)dt);
    for (int p = -325; p <= 308; p++) {
        char t[16];
        snprintf(t, sizeof t, "1e%d", p);
        double d = strtod(t, NULL);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        for (int64_t dt = -2; dt <= 2; dt++)
            check_double_bits(bits + (uint64_t)dt);
    }
    for (uint64_t b = 1; b < 100000; b++)
        check_double_bits(b); /* smallest subnormals */
    check_double_bits(0x7fefffffffffffffull);
}

static void floats(void) {
    static const uint32_t starts[] = {0x00000001u, 0x00780000u, 0x3f780000u, 0x50140000u, 0x7f780000u};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++)
        for (uint32_t i = 0; i < (1u << 19); i++)
            check_float_bits(starts[s] + i);
    for (int i = 0; i < 1000000; i++)
        check_float_bits((uint32_t)rnd());
    for (uint32_t e = 0; e < 255; e++)
        for (int dt = -2; dt <= 2; dt++)
            check_float_bits((e << 23) + (uint32_t)dt);
}

static void halves(void) {
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t v = (uint16_t)h;
        check(&K_HALF, &v);
    }
}

static void fixed(void) {
    char b[48];
    pusd_format_double(5e-324, b);
    CHECK_STR(b, "5e-324");
    pusd_format_double(DBL_MAX, b);
    CHECK_STR(b, "1.7976931348623157e+308");
    pusd_format_double(DBL_MIN, b);
    CHECK_STR(b, "2.2250738585072014e-308");
    pusd_format_double(9007199254740993.0, b); /* 2^53 + 1 rounds to 2^53 */
    CHECK_STR(b, "9007199254740992");
    pusd_format_double(1e23, b);
    CHECK_STR(b, "1e+23");
    pusd_format_double(123456.0, b);
    CHECK_STR(b, "123456");
    pusd_format_double(-0.0, b);
    CHECK_STR(b, "-0");
    pusd_format_float(FLT_MAX, b);
    CHECK_STR(b, "3.4028235e+38");
    pusd_format_float(1e-45f, b);
    CHECK_STR(b, "1e-45");
    pusd_format_float(16777216.0f, b);
    CHECK_STR(b, "16777216");
    pusd_format_float(0.3f, b);
    CHECK_STR(b, "0.3");
    pusd_format_half(0x7bff, b); /* 65504: 65500 reads back too */
    CHECK_STR(b, "65500");
    pusd_format_half(0x0001, b); /* 2^-24 */
    CHECK_STR(b, "6e-8");
    pusd_format_half(0x7c00, b);
    CHECK_STR(b, "inf");
    pusd_format_half(0xfe00, b);
    CHECK_STR(b, "nan");
}

static void integers(void) {
    char a[32], b[32];
    static const int64_t edge[] = {0, 1, -1, 9, 10, 99, 100, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};
    int bad = 0;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        pusd__fmt_i64(edge[i], a);
        snprintf(b, sizeof b, "%lld", (long long)edge[i]);
        bad += strcmp(a, b) != 0;
    }
    for (int i = 0; i < 200000; i++) {
        uint64_t x = rnd() >> (rnd() % 64);
        int n = pusd__fmt_u64(x, a);
        snprintf(b, sizeof b, "%llu", (unsigned long long)x);
        bad += strcmp(a, b) != 0 || n != (int)strlen(b);
        pusd__fmt_i64((int64_t)x, a);
        snprintf(b, sizeof b, "%lld", (long long)(int64_t)x);
        bad += strcmp(a, b) != 0;
    }
    pusd__fmt_u64(UINT64_MAX, a);
    CHECK_STR(a, "18446744073709551615");
    CHECK(bad == 0);
}

/* Integer-valued doubles and floats below 10^9 (the short path's register digits: every value up
 * to 2 000 000, then a stride through 10^9), and the lane divisions it relies on, over their whole
 * ranges: v / 100 as (v * 10486) >> 20 for v < 10^4, v / 10 as (v * 103) >> 10 for v < 100. */
static void short_integers(void) {
    int bad = 0;
    for (uint32_t v = 0; v < 10000; v++)
        bad += (v * 10486) >> 20 != v / 100;
    for (uint32_t v = 0; v < 100; v++)
        bad += (v * 103) >> 10 != v / 10;
    char a[48], b[48];
    for (uint64_t x = 1; x < 1000000000; x += x < 2000000 ? 1 : 997) {
        pusd_format_double((double)x, a);
        snprintf(b, sizeof b, "%llu", (unsigned long long)x);
        bad += strcmp(a, b) != 0;
        if (x < (1u << 24)) {
            pusd_format_float((float)x, a);
            bad += strcmp(a, b) != 0;
        }
    }
    CHECK(bad == 0);
}

int main(void) {
    short_integers();
    fixed();
    integers();
    doubles();
    long nd = checked;
    floats();
    long nf = checked - nd;
    halves();
    printf("checked %ld doubles, %ld floats, %ld halves; %ld failures\n", nd, nf, checked - nd - nf, failures);
    CHECK(failures == 0);
    CHECK(nd > 1500000 && nf > 3500000);
    TU_END();
}
