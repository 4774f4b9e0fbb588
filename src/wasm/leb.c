/* LEB128 readers for the WebAssembly binary format.
 *
 * The spec bounds every integer by its bit width N: at most ceil(N/7) bytes,
 * and in the last permitted byte the bits above N must be a zero extension
 * (unsigned) or a sign extension (signed) of the value. Shorter padded
 * encodings ("\80\00" for 0) are legal and must be accepted. These rules are
 * what binary-leb128.wast exercises, so the two readers below implement them
 * generically and the public wrappers only fix N.
 */
#include "module.h"

static const char eof_msg[] = "unexpected end";
static const char long_msg[] = "integer representation too long";
static const char large_msg[] = "integer too large";

static inline bool fail(const char **why, const char *msg) {
    if (why)
        *why = msg;
    return false;
}

static inline bool read_uleb(const uint8_t **p, const uint8_t *end, unsigned bits, uint64_t *out,
                             const char **why) {
    const uint8_t *q = *p;
    /* Almost every integer in a real module fits in one byte. */
    if (q < end && *q < 0x80) {
        *out = *q;
        *p = q + 1;
        return true;
    }
    const unsigned last = (bits + 6) / 7 - 1;
    uint64_t v = 0;
    for (unsigned i = 0;; i++) {
        if (q >= end)
            return fail(why, eof_msg);
        uint8_t b = *q++;
        if (i == last) {
            if (b & 0x80)
                return fail(why, long_msg);
            /* Bits of the last byte beyond the N-bit value must be zero. */
            if (b >> (bits - 7 * i))
                return fail(why, large_msg);
            v |= (uint64_t)b << (7 * i);
            break;
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    *out = v;
    *p = q;
    return true;
}

static inline bool read_sleb(const uint8_t **p, const uint8_t *end, unsigned bits, int64_t *out,
                             const char **why) {
    const uint8_t *q = *p;
    if (q < end && *q < 0x80) {
        /* Single byte: bit 6 is the sign. */
        *out = (int64_t)(*q ^ 0x40) - 0x40;
        *p = q + 1;
        return true;
    }
    const unsigned last = (bits + 6) / 7 - 1;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    for (unsigned i = 0;; i++) {
        if (q >= end)
            return fail(why, eof_msg);
        b = *q++;
        if (i == last) {
            if (b & 0x80)
                return fail(why, long_msg);
            /* The value's top bit and every unused bit above it (up to bit 6)
             * must agree: all zeros or all ones. */
            unsigned used = bits - 7 * i;
            uint8_t mask = (uint8_t)((0x7f >> (used - 1)) << (used - 1));
            if ((b & mask) != 0 && (b & mask) != mask)
                return fail(why, large_msg);
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    *out = (int64_t)v;
    *p = q;
    return true;
}

bool wm_read_u32(const uint8_t **p, const uint8_t *end, uint32_t *out, const char **why) {
    uint64_t v;
    if (!read_uleb(p, end, 32, &v, why))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool wm_read_s32(const uint8_t **p, const uint8_t *end, int32_t *out, const char **why) {
    int64_t v;
    if (!read_sleb(p, end, 32, &v, why))
        return false;
    *out = (int32_t)v;
    return true;
}

bool wm_read_s33(const uint8_t **p, const uint8_t *end, int64_t *out, const char **why) {
    return read_sleb(p, end, 33, out, why);
}

bool wm_read_s64(const uint8_t **p, const uint8_t *end, int64_t *out, const char **why) {
    return read_sleb(p, end, 64, out, why);
}
