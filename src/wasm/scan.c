/* Syntax-only walks over function bodies: stepping over one instruction,
 * the "is this body malformed" scan, and the fuel regions every tier
 * charges (tier.h). None of them validates types. */
#include <stdlib.h>

#include "tier.h"

const char *wm_instr_skip(const uint8_t **pp, const uint8_t *end, uint8_t *opcode) {
    if (*pp >= end)
        return "unexpected end of section or function";
    *opcode = **pp;
    uint32_t id;
    const wm_opinfo *oi = NULL;
    const char *why = wm_read_opcode(pp, end, &id, &oi);
    if (why)
        return why;
    if (!oi)
        return "illegal opcode";
    return wm_skip_immediates(pp, end, oi->imm);
}

const char *wm_scan_syntax(const uint8_t *p, const uint8_t *end) {
    uint32_t depth = 1;
    while (depth > 0) {
        uint8_t op;
        const char *why = wm_instr_skip(&p, end, &op);
        if (why)
            return why;
        if (op == OP_block || op == OP_loop || op == OP_if)
            depth++;
        else if (op == OP_end)
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
    uint32_t *open = NULL;
    size_t nopen = 0, capopen = 0, caploops = 0;
    uint64_t entry = 0;
    bool ok = false;
    for (;;) {
        if (!PBASE_RESERVE(open, capopen, nopen + 1))
            goto done;
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
        if (op == OP_block || op == OP_if) {
            open[nopen] = region;
            nopen++;
        } else if (op == OP_loop) {
            if (!PBASE_RESERVE(out->loops, caploops, (size_t)out->nloops + 1))
                goto done;
            out->loops[out->nloops] = (pw_fuel_loop){at, 0};
            open[nopen++] = ++out->nloops;
        } else if (op == OP_end)
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
