/* Strict UTF-8 decoding and the Unicode identifier classes (XID_Start,
 * XID_Continue) that OpenUSD applies to names: used by the reader to reject
 * identifiers OpenUSD rejects, and by the writer to escape bytes that are
 * not UTF-8 (OpenUSD writes them as \xNN). */
#include "internal.h"
#include "xid_table.h"

int pusd__utf8_decode(const char *s, const char *e, uint32_t *cp) {
    const unsigned char *p = (const unsigned char *)s;
    ptrdiff_t avail = e - s;
    if (avail <= 0) return 0;
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int n;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else
        return 0; /* a continuation byte, an overlong lead (C0, C1) or F5..FF */
    if (avail < n) return 0;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0; /* overlong, too big, surrogate */
    *cp = v;
    return n;
}

static bool in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool pusd__is_identifier(const char *s, size_t n) {
    const char *e = s + n;
    for (const char *p = s; p < e;) {
        uint32_t cp;
        int k = pusd__utf8_decode(p, e, &cp);
        if (!k || !(p == s ? cp == '_' || pusd__xid_start(cp) : pusd__xid_continue(cp))) return false;
        p += k;
    }
    return n > 0;
}

bool pusd__xid_start(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return in_ranges(pusd_xid_start, sizeof pusd_xid_start / sizeof pusd_xid_start[0], cp);
}

bool pusd__xid_continue(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
    return in_ranges(pusd_xid_continue, sizeof pusd_xid_continue / sizeof pusd_xid_continue[0], cp);
}
