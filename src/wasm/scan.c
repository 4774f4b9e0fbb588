/* Syntax-only walks over function bodies: stepping over one instruction,
 * the "is this body malformed" scan, and the fuel regions every tier
 * charges (tier.h). None of them validates types. */
#include <stdlib.h>

#include "tier.h"

static bool is_blocktype_byte(uint8_t b) {
    return b == 0x40 || b == WM_I32 || b == WM_I64 || b == WM_F32 || b == WM_F64 || b == WM_V128 ||
           b == WM_FUNCREF || b == WM_EXTERNREF;
}

/* Immediates of the 0xfc-prefixed instructions after the sub-opcode. */
static const char *skip_fc(const uint8_t **pp, const uint8_t *end, uint32_t sub) {
    const char *why = NULL;
    uint32_t u;
#define U32()                                                                                                    \
    if (!wm_read_u32(pp, end, &u, &why))                                                                         \
    return why
#define BYTE0()                                                                                                  \
    do {                                                                                                         \
        if (*pp >= end)                                                                                          \
            return "unexpected end";                                                                             \
        if (*(*pp)++ != 0)                                                                                       \
            return "zero byte expected";                                                                         \
    } while (0)
    switch (sub) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7: break;
    case 8:
        U32();
        BYTE0();
        break;
    case 9:
    case 13:
    case 15:
    case 16:
    case 17: U32(); break;
    case 10:
        BYTE0();
        BYTE0();
        break;
    case 11: BYTE0(); break;
    case 12:
    case 14:
        U32();
        U32();
        break;
    default: return "illegal opcode";
    }
    return NULL;
}

const char *wm_instr_skip(const uint8_t **pp, const uint8_t *end, uint8_t *opcode) {
    const char *why = NULL;
    uint32_t u;
    int32_t i32;
    int64_t i64;
    const uint8_t *p = *pp;
    if (p >= end)
        return "unexpected end of section or function";
    uint8_t op = *p++;
    *opcode = op;
    *pp = p;
    switch (op) {
    case 0x02:
    case 0x03:
    case 0x04:
        if (*pp >= end)
            return "unexpected end";
        if (is_blocktype_byte(**pp))
            (*pp)++;
        else if (!wm_read_s33(pp, end, &i64, &why))
            return why;
        return NULL;
    case 0x0c:
    case 0x0d:
    case 0x10:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0xd2: U32(); return NULL;
    case 0x0e: {
        U32();
        uint32_t n = u;
        for (uint64_t k = 0; k <= n; k++)
            U32();
        return NULL;
    }
    case 0x11:
        U32();
        U32();
        return NULL;
    case 0x1c: {
        U32();
        if (u > (uint64_t)(end - *pp))
            return "unexpected end";
        *pp += u;
        return NULL;
    }
    case 0x3f:
    case 0x40: BYTE0(); return NULL;
    case 0x41: return wm_read_s32(pp, end, &i32, &why) ? NULL : why;
    case 0x42: return wm_read_s64(pp, end, &i64, &why) ? NULL : why;
    case 0x43:
    case 0x44: {
        size_t n = op == 0x43 ? 4 : 8;
        if ((size_t)(end - *pp) < n)
            return "unexpected end";
        *pp += n;
        return NULL;
    }
    case 0xd0:
        if (*pp >= end)
            return "unexpected end";
        (*pp)++;
        return NULL;
    case 0xfc: U32(); return skip_fc(pp, end, u);
    default:
        if (op >= 0x28 && op <= 0x3e) {
            U32();
            U32();
        } else if (!(op <= 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b ||
                     op == 0xd1 || (op >= 0x45 && op <= 0xc4)))
            return "illegal opcode";
        return NULL;
    }
#undef U32
#undef BYTE0
}

const char *wm_scan_syntax(const uint8_t *p, const uint8_t *end) {
    uint32_t depth = 1;
    while (depth > 0) {
        uint8_t op;
        const char *why = wm_instr_skip(&p, end, &op);
        if (why)
            return why;
        if (op >= 0x02 && op <= 0x04)
            depth++;
        else if (op == 0x0b)
            depth--;
    }
    return p == end ? NULL : "section size mismatch";
}

bool pw_fuel_regions_of(const wm_module *m, uint32_t defidx, pw_fuel_regions *out) {
    const wm_code *code = &m->codes[defidx];
    const uint8_t *p = code->body, *end = code->body + code->body_len;
    *out = (pw_fuel_regions){0, 0, NULL};
    /* Per open block, the region its instructions count toward: 0 is the
     * function, k + 1 is loop k. */
    uint32_t *open = NULL, nopen = 0, capopen = 0, caploops = 0;
    uint64_t entry = 0;
    bool ok = false;
    for (;;) {
        if (nopen == capopen) {
            uint32_t nc = capopen ? capopen * 2 : 16;
            uint32_t *o = realloc(open, nc * sizeof *o);
            if (!o)
                goto done;
            open = o;
            capopen = nc;
        }
        if (nopen == 0 && p != code->body)
            break;
        if (nopen == 0)
            open[nopen++] = 0;
        uint32_t at = code->body_offset + (uint32_t)(p - code->body);
        uint8_t op;
        if (wm_instr_skip(&p, end, &op))
            goto done;
        uint32_t region = open[nopen - 1];
        if (region)
            out->loops[region - 1].cost++;
        else
            entry++;
        if (op == 0x02 || op == 0x04) {
            open[nopen] = region;
            nopen++;
        } else if (op == 0x03) {
            if (out->nloops == caploops) {
                uint32_t nc = caploops ? caploops * 2 : 8;
                pw_fuel_loop *l = realloc(out->loops, nc * sizeof *l);
                if (!l)
                    goto done;
                out->loops = l;
                caploops = nc;
            }
            out->loops[out->nloops] = (pw_fuel_loop){at, 0};
            open[nopen++] = ++out->nloops;
        } else if (op == 0x0b)
            nopen--;
    }
    out->entry_cost = entry < UINT32_MAX ? (uint32_t)entry : UINT32_MAX;
    ok = true;
done:
    free(open);
    if (!ok)
        pw_fuel_regions_free(out);
    return ok;
}

void pw_fuel_regions_free(pw_fuel_regions *r) {
    free(r->loops);
    *r = (pw_fuel_regions){0, 0, NULL};
}
