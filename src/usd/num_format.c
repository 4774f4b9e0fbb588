/* Number text for the writer: the shortest decimal that reads back to the
 * same binary64 / binary32 / binary16 value, and integers, without printf or
 * strtod.
 *
 * Shortest digits come from Giulietti's Schubfach algorithm ("The Schubfach
 * way to render doubles", 2020), written here from the paper: for v = c*2^q
 * pick k = floor(log10(2^q)) so that 10^k is no wider than v's rounding
 * interval, compute the interval's ends scaled by 10^-k with a 126-bit power
 * of ten (pow10_table.h, generated exactly by gen/pow10_table.py) and
 * round-to-odd products, which decide every comparison exactly; then the one
 * multiple of 10^(k+1) in the interval, if any, is the shortest, else the
 * closer of the two multiples of 10^k around v. Unlike Java's Double.toString
 * we never force a second digit, so 5e-324 stays "5e-324" (OpenUSD's
 * double-conversion ToShortest gives the same). Exhaustively checked against
 * a printf/strtod search in tests/usd/test_usd_numfmt.c.
 *
 * Layout follows double-conversion's shortest mode as used by OpenUSD:
 * positional for decimal exponents -6 < e <= 21, else d.ddde[+-]x. */
#include <math.h>

#include "internal.h"
#include "pow10_table.h"

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;
static inline uint64_t mulhi(uint64_t a, uint64_t b) { return (uint64_t)(((u128)a * b) >> 64); }
#else
static inline uint64_t mulhi(uint64_t a, uint64_t b) {
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
#endif

#define M63 0x7fffffffffffffffull
#define M32 0xffffffffull

/* floor(log10(2^e)), floor(log10(3/4 * 2^e)), floor(log2(10^e)) for the
 * exponents used here (gen/pow10_table.py checks them exactly over
 * |e| < 1200 and 400). The shifts of negative values are arithmetic on
 * every compiler we build with. */
static inline int flog10pow2(int e) { return (int)(((int64_t)e * 661971961083LL) >> 41); }
static inline int flog10_3q_pow2(int e) { return (int)(((int64_t)e * 661971961083LL - 274743187321LL) >> 41); }
static inline int flog2pow10(int e) { return (int)(((int64_t)e * 913124641741LL) >> 38); }

/* g*cp / 2^127 rounded to odd (g = g1*2^63 + g0): the sticky low bit keeps
 * "exactly an integer" apart from "a little above it". */
static inline uint64_t rop64(uint64_t g1, uint64_t g0, uint64_t cp) {
    uint64_t x1 = mulhi(g0, cp), y0 = g1 * cp, y1 = mulhi(g1, cp);
    uint64_t z = (y0 >> 1) + x1;
    return (y1 + (z >> 63)) | (((z & M63) + M63) >> 63);
}

/* g*cp / 2^95 rounded to odd (64-bit g): enough for significands < 2^25. */
static inline uint64_t rop32(uint64_t g, uint64_t cp) {
    uint64_t x1 = mulhi(g, cp);
    return (x1 >> 31) | (((x1 & M32) + M32) >> 32);
}

/* Chooses among the scaled interval ends vbl..vbr (4x units of 10^k, `out`
 * = 1 when the ends are excluded) and the scaled value vb. */
static uint64_t choose(uint64_t vb, uint64_t vbl, uint64_t vbr, uint64_t out) {
    uint64_t s = vb >> 2;
    uint64_t sp10 = s / 10 * 10, tp10 = sp10 + 10;
    bool upin = vbl + out <= sp10 << 2, wpin = (tp10 << 2) + out <= vbr;
    if (upin != wpin) return upin ? sp10 : tp10;
    uint64_t t = s + 1;
    bool uin = vbl + out <= s << 2, win = (t << 2) + out <= vbr;
    if (uin != win) return uin ? s : t;
    uint64_t mid = (s + t) << 1; /* v against the midpoint of s and t; ties to even */
    return (vb < mid || (vb == mid && !(s & 1))) ? s : t;
}

/* Shortest decimal f*10^e for v = c*2^q. irregular: c is the smallest
 * normal significand above the subnormals, so the gap below v is half the
 * gap above. wide: c needs the 126-bit table (binary64). */
static uint64_t to_decimal(uint64_t c, int q, bool irregular, bool wide, int *e) {
    uint64_t out = c & 1, cb = c << 2, cbr = cb + 2, cbl;
    int k;
    if (!irregular) {
        cbl = cb - 2;
        k = flog10pow2(q);
    } else {
        cbl = cb - 1;
        k = flog10_3q_pow2(q);
    }
    const uint64_t *g = pusd_pow10_g[k - PUSD_POW10_KMIN];
    *e = k;
    if (wide) {
        int h = q + flog2pow10(-k) + 2;
        return choose(rop64(g[0], g[1], cb << h), rop64(g[0], g[1], cbl << h), rop64(g[0], g[1], cbr << h), out);
    }
    int h = q + flog2pow10(-k) + 33;
    uint64_t g1 = g[0] + 1;
    return choose(rop32(g1, cb << h), rop32(g1, cbl << h), rop32(g1, cbr << h), out);
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

static const uint64_t pow10u[20] = {1ull,
                                    10ull,
                                    100ull,
                                    1000ull,
                                    10000ull,
                                    100000ull,
                                    1000000ull,
                                    10000000ull,
                                    100000000ull,
                                    1000000000ull,
                                    10000000000ull,
                                    100000000000ull,
                                    1000000000000ull,
                                    10000000000000ull,
                                    100000000000000ull,
                                    1000000000000000ull,
                                    10000000000000000ull,
                                    100000000000000000ull,
                                    1000000000000000000ull,
                                    10000000000000000000ull};

static int ndigits(uint64_t x) { /* branch-free: log10 from the bit length, then one correction */
    int t = ((64 - __builtin_clzll(x | 1)) * 1233) >> 12;
    return t + (x >= pow10u[t]) + (x == 0);
}

/* Exactly n decimal digits of x (leading zeros kept) ending at end. Digits
 * go straight to their place: building them elsewhere and copying them in
 * one wide move stalls on store forwarding. */
static void put_digits(uint64_t x, char *end, int n) {
    char *p = end;
    for (; n > 9; n -= 2) {
        unsigned r = (unsigned)(x % 100);
        x /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    uint32_t y = (uint32_t)x; /* at most 9 digits left: cheaper 32-bit steps */
    for (; n >= 2; n -= 2) {
        uint32_t r = y % 100;
        y /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (n) *--p = (char)('0' + y % 10);
}

int pusd__fmt_u64(uint64_t x, char *o) {
    int n = ndigits(x);
    put_digits(x, o + n, n);
    o[n] = 0;
    return n;
}

int pusd__fmt_i64(int64_t x, char *o) {
    if (x >= 0) return pusd__fmt_u64((uint64_t)x, o);
    o[0] = '-';
    return 1 + pusd__fmt_u64(0 - (uint64_t)x, o + 1);
}

/* Drops f's trailing zeros into *e. In 32-bit steps of 4, 2 and 1 digits
 * (conditional moves, no data-dependent loop) for the common f < 2^32. */
static uint64_t strip_zeros(uint64_t f, int *e) {
    while (f > UINT32_MAX && f % 10 == 0) {
        f /= 10;
        ++*e;
    }
    if (f > UINT32_MAX) return f;
    uint32_t x = (uint32_t)f;
    while (x % 10000 == 0) {
        x /= 10000;
        *e += 4;
    }
    bool z2 = x % 100 == 0;
    x = z2 ? x / 100 : x;
    bool z1 = x % 10 == 0;
    x = z1 ? x / 10 : x;
    *e += 2 * z2 + z1;
    return x;
}

static const char zeros[24] = "000000000000000000000000";

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PUSD_SWAR_DIGITS 1
/* The 8 decimal digits of x < 10^8 as byte values 0..9, the most significant
 * in the lowest byte (string order once stored little-endian): the two halves
 * of 4 digits, then pairs, then digits, split in parallel lanes with
 * multiply-shift divisions exact for these ranges (checked exhaustively in
 * test_usd_numfmt). */
static inline uint64_t swar8(uint32_t x) {
    uint64_t v = (x / 10000) | ((uint64_t)(x % 10000) << 32);
    uint64_t q = ((v * 10486) >> 20) & 0x0000007f0000007full;
    v = q | ((v - q * 100) << 16);
    q = ((v * 103) >> 10) & 0x000f000f000f000full;
    return q | ((v - q * 10) << 8);
}

static inline void store8(char *o, uint64_t w) { memcpy(o, &w, 8); }

/* layout() for f < 10^9 (every float and half, short doubles): the digits stay
 * in a register, trailing zeros are counted from its top bytes instead of
 * divided out, and the decimal point goes in by two overlapping stores. */
static int layout_short(char *o0, bool neg, uint32_t f, int e) {
    char *o = o0;
    *o = '-';
    o += neg;
    uint64_t w, d9 = 0; /* digits 1..8, and the 9th */
    int n;
    if (f >= 100000000) {
        uint32_t c0 = f / 100000000;
        uint64_t r = swar8(f - c0 * 100000000);
        int tz = r ? __builtin_clzll(r) >> 3 : 8;
        n = 9 - tz;
        e += tz;
        w = c0 | (r << 8);
        d9 = r >> 56;
    } else {
        uint64_t r = swar8(f);
        int lz = __builtin_ctzll(r) >> 3, tz = __builtin_clzll(r) >> 3;
        n = 8 - lz - tz;
        e += tz;
        w = r >> (8 * lz);
    }
    const uint64_t ascii = w | 0x3030303030303030ull;
    const char c9 = (char)('0' + d9);
    int e10 = n + e, k; /* value = 0.d1d2... * 10^e10; k: digits before the point */
    if (e10 > 0 && e10 <= 21) {
        store8(o, ascii);
        o[8] = c9;
        if (n <= e10) { /* an integer: its zeros after the digits */
            memcpy(o + 9, zeros, 16);
            o[e10] = 0;
            return (int)(o + e10 - o0);
        }
        k = e10;
    } else if (e10 <= 0 && e10 > -6) {
        memcpy(o, "0.000000", 8);
        o += 2 - e10;
        store8(o, ascii);
        o[8] = c9;
        o[n] = 0;
        return (int)(o + n - o0);
    } else {
        store8(o, ascii);
        o[8] = c9;
        k = 1;
    }
    int len = n;
    if (n > k) { /* the digits after the point one place right, then the point */
        uint64_t tail = (k < 8 ? ascii >> (8 * k) : 0) | ((uint64_t)(unsigned char)c9 << (8 * (8 - k)));
        store8(o + k + 1, tail);
        o[k] = '.';
        len = n + 1;
    }
    o += len;
    if (k == e10) {
        *o = 0;
        return (int)(o - o0);
    }
    int x = e10 - 1;
    o[0] = 'e';
    o[1] = x < 0 ? '-' : '+';
    o += 2 + pusd__fmt_u64((uint64_t)(x < 0 ? -x : x), o + 2);
    return (int)(o - o0);
}
#endif

/* Writes f*10^e (f > 0) in the layout described at the top; o has
 * PUSD_NUM_ROOM bytes of room (zeros come from fixed-size copies). */
static int layout(char *o0, bool neg, uint64_t f, int e) {
#ifdef PUSD_SWAR_DIGITS
    if (f < 1000000000) return layout_short(o0, neg, (uint32_t)f, e);
#endif
    f = strip_zeros(f, &e);
    int nd = ndigits(f), e10 = nd + e; /* value = 0.d1d2... * 10^e10 */
    char *o = o0;
    *o = '-';
    o += neg;
    if (e10 > 0 && e10 <= 21) {
        if (nd <= e10) {
            put_digits(f, o + nd, nd);
            memcpy(o + nd, zeros, 24);
            o += e10;
        } else {
            /* all digits one place right, then the integer part back over the gap */
            put_digits(f, o + 1 + nd, nd);
            for (int i = 0; i < e10; i++) o[i] = o[i + 1];
            o[e10] = '.';
            o += nd + 1;
        }
    } else if (e10 <= 0 && e10 > -6) {
        memcpy(o, "0.000000", 8);
        o += 2 - e10;
        put_digits(f, o + nd, nd);
        o += nd;
    } else {
        put_digits(f, o + 1 + nd, nd);
        o[0] = o[1];
        o[1] = '.';
        o += nd > 1 ? nd + 1 : 1;
        int x = e10 - 1;
        o[0] = 'e';
        o[1] = x < 0 ? '-' : '+';
        o += 2 + pusd__fmt_u64((uint64_t)(x < 0 ? -x : x), o + 2);
    }
    *o = 0;
    return (int)(o - o0);
}

/* Floats and halves have at most 9 significant digits. */
#ifdef PUSD_SWAR_DIGITS
#define layout9(o, neg, f, e) layout_short(o, neg, (uint32_t)(f), e)
#else
#define layout9 layout
#endif

static int special(bool neg, bool nan, bool zero, char *buf) {
    const char *s = nan ? "nan" : zero ? (neg ? "-0" : "0") : (neg ? "-inf" : "inf");
    size_t n = strlen(s);
    memcpy(buf, s, n + 1);
    return (int)n;
}

int pusd__fmt_double(double d, char *buf) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    bool neg = bits >> 63;
    uint64_t t = bits & ((1ull << 52) - 1);
    int be = (int)((bits >> 52) & 0x7ff);
    if (be == 0x7ff) return special(neg, t != 0, false, buf);
    if (be == 0 && t == 0) return special(neg, false, true, buf);
    uint64_t c = be ? t | (1ull << 52) : t;
    int q = be ? be - 1075 : -1074, e = 0;
    if (be && q < 0 && q > -53 && !(c & ((1ull << -q) - 1))) /* an integer below 2^53: its own digits */
        return layout(buf, neg, c >> -q, 0);
    uint64_t f = to_decimal(c, q, be > 1 && t == 0, true, &e);
    return layout(buf, neg, f, e);
}

int pusd__fmt_float(float x, char *buf) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    bool neg = bits >> 31;
    uint32_t t = bits & ((1u << 23) - 1);
    int be = (int)((bits >> 23) & 0xff);
    if (be == 0xff) return special(neg, t != 0, false, buf);
    if (be == 0 && t == 0) return special(neg, false, true, buf);
    uint64_t c = be ? t | (1u << 23) : t;
    int q = be ? be - 150 : -149, e = 0;
    if (be && q < 0 && q > -24 && !(c & ((1ull << -q) - 1))) return layout9(buf, neg, c >> -q, 0);
    uint64_t f = to_decimal(c, q, be > 1 && t == 0, false, &e);
    return layout9(buf, neg, f, e);
}

int pusd__fmt_half(uint16_t h, char *buf) {
    bool neg = h >> 15;
    unsigned t = h & 1023u;
    int be = (h >> 10) & 31;
    if (be == 31) return special(neg, t != 0, false, buf);
    if (be == 0 && t == 0) return special(neg, false, true, buf);
    uint64_t c = be ? t | 1024u : t;
    int q = be ? be - 25 : -24, e = 0;
    if (be && q < 0 && q > -11 && !(c & ((1ull << -q) - 1))) return layout9(buf, neg, c >> -q, 0);
    uint64_t f = to_decimal(c, q, be > 1 && t == 0, false, &e);
    return layout9(buf, neg, f, e);
}

/* The public forms fill a caller's 32 bytes exactly. */
int pusd_format_double(double d, char *buf) {
    char tmp[PUSD_NUM_ROOM];
    int n = pusd__fmt_double(d, tmp);
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

int pusd_format_float(float f, char *buf) {
    char tmp[PUSD_NUM_ROOM];
    int n = pusd__fmt_float(f, tmp);
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

int pusd_format_half(uint16_t h, char *buf) {
    char tmp[PUSD_NUM_ROOM];
    int n = pusd__fmt_half(h, tmp);
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}
