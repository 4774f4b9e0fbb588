/* Recording channels as time samples, one compact block per frame, with
 * the spill file that bounds memory (see recbuf in host_internal.h). */
#include "host_internal.h"

#include <portalis/base.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Converts n doubles to the recorded element type (what the attribute
 * stores; the output file holds the same values). */
static void rec_convert(const recbuf *r, void *dst, const double *src, size_t n) {
    if (n == 0) /* an empty sample: src may be NULL, which memcpy must not see */
        return;
    switch (r->elem) {
    case PUSD_E_FLOAT:
        for (size_t k = 0; k < n; k++)
            ((float *)dst)[k] = (float)src[k];
        break;
    case PUSD_E_HALF:
        for (size_t k = 0; k < n; k++)
            ((uint16_t *)dst)[k] = pusd_float_to_half((float)src[k]);
        break;
    case PUSD_E_I32:
        for (size_t k = 0; k < n; k++)
            ((int32_t *)dst)[k] = ph__sat_i32(src[k]);
        break;
    case PUSD_E_U32:
        for (size_t k = 0; k < n; k++)
            ((uint32_t *)dst)[k] = ph__sat_u32(src[k]);
        break;
    case PUSD_E_U8:
        for (size_t k = 0; k < n; k++)
            ((uint8_t *)dst)[k] = r->type == PUSD_T_BOOL
                                      ? src[k] != 0
                                      : (uint8_t)(ph__sat_u32(src[k]) > 255 ? 255 : ph__sat_u32(src[k]));
        break;
    case PUSD_E_I64:
        for (size_t k = 0; k < n; k++)
            ((int64_t *)dst)[k] = ph__sat_i64(src[k]);
        break;
    case PUSD_E_U64:
        for (size_t k = 0; k < n; k++)
            ((uint64_t *)dst)[k] = ph__sat_u64(src[k]);
        break;
    default: memcpy(dst, src, n * sizeof(double)); break;
    }
}

static void rec_init(recbuf *r, const chan *c) {
    r->type = c->type;
    r->elem = pusd_type_elem(r->type);
    r->esz = pusd_elem_size(r->elem);
}

/* Bytes of the record at off (header + values, padded to 8). */
size_t ph__rec_size(const recbuf *r, const unsigned char *rec) {
    uint64_t w;
    memcpy(&w, rec, sizeof w);
    return REC_HEADER + (((size_t)w * r->esz + 7) & ~(size_t)7);
}

/* Appends the oldest in-memory records of r, about REC_CHUNK_BYTES (at
 * least one), to the spill file; on failure they stay in memory (the
 * buffer keeps growing). Returns 0 or -1. */
static int rec_spill(ph_host *h, recbuf *r) {
    if (h->spill_failed)
        return -1;
    if (h->spill_fd < 0) {
        FILE *t = tmpfile();
        h->spill_fd = t ? dup(fileno(t)) : -1;
        if (t)
            fclose(t);
        if (h->spill_fd < 0) {
            h->spill_failed = true;
            ph__diag(h, "host: cannot create a temporary file for recorded samples (%s); keeping them in memory",
                     strerror(errno));
            return -1;
        }
    }
    if (!PBASE_RESERVE(r->chunks, r->capchunks, r->nchunks + 1))
        return -1;
    size_t bytes = 0, n = 0;
    while (r->head + bytes < r->used && (bytes < REC_CHUNK_BYTES || !n)) {
        bytes += ph__rec_size(r, r->data + r->head + bytes);
        n++;
    }
    const unsigned char *src = r->data + r->head;
    for (size_t done = 0; done < bytes;) {
        ssize_t k = pwrite(h->spill_fd, src + done, bytes - done, h->spill_end + (off_t)done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            h->spill_failed = true;
            ph__diag(h, "host: cannot write recorded samples to the temporary file (%s); keeping them in memory",
                     strerror(errno));
            return -1;
        }
        done += (size_t)k;
    }
    r->chunks[r->nchunks++] = (recchunk){h->spill_end, bytes, n};
    h->spill_end += (off_t)bytes;
    r->spilled += n;
    r->head += bytes;
    if (r->head == r->used) {
        r->head = r->used = 0; /* drained: reuse the buffer from its start */
    } else if (r->head > r->used - r->head) {
        /* what is left is smaller than what was spilled: move it to the front */
        memmove(r->data, r->data + r->head, r->used - r->head);
        r->used -= r->head;
        r->head = 0;
    }
    return 0;
}

/* Appends one record of w values of channel s to r; false when out of memory. */
static bool rec_append(recbuf *r, const chan *s, size_t w) {
    size_t need = REC_HEADER + ((w * r->esz + 7) & ~(size_t)7);
    if (r->used + need > r->cap) {
        /* grow by half: large blocks are mremap'ed by realloc, so this
         * neither copies nor touches the new pages before they are used */
        size_t nc = r->cap ? r->cap + r->cap / 2 : 4096;
        if (nc < r->used + need)
            nc = r->used + need;
        void *p = realloc(r->data, nc);
        if (!p)
            return false;
        r->data = p;
        r->cap = nc;
    }
    uint64_t w64 = w;
    memcpy(r->data + r->used, &w64, sizeof w64);
    rec_convert(r, r->data + r->used + REC_HEADER, ph__chan_data(s), w);
    r->used += need;
    r->frames++;
    return true;
}

/* Extent of a 3-component channel over the run (every element of an
 * array), for the report's account of what the simulation did. */
static void track_motion(chan *c, const chan *s) {
    if (c->ncomp != 3)
        return;
    const double *d = ph__chan_data(s);
    size_t n = c->is_array ? s->count : 1;
    motion *m = &c->motion;
    if (!m->frames && n)
        for (int k = 0; k < 3; k++)
            m->first[k] = m->lo[k] = m->hi[k] = d[k];
    /* per-component bounds in locals: the loop runs every frame over every
     * element, and without the first-frame test inside it compiles to
     * branch-free min/max */
    double lo[3] = {m->lo[0], m->lo[1], m->lo[2]}, hi[3] = {m->hi[0], m->hi[1], m->hi[2]};
    for (size_t e = 0; e < n; e++)
        for (int k = 0; k < 3; k++) {
            double v = d[e * 3 + (size_t)k];
            lo[k] = v < lo[k] ? v : lo[k];
            hi[k] = v > hi[k] ? v : hi[k];
        }
    for (int k = 0; k < 3; k++) {
        m->lo[k] = lo[k];
        m->hi[k] = hi[k];
    }
    for (int k = 0; k < 3 && n; k++)
        m->last[k] = d[k];
    m->elements = n;
    m->frames++;
}

void ph__record_frame(ph_host *h) {
    size_t inmem_bytes = 0;
    for (size_t i = 0; i < h->nch; i++) {
        chan *c = &h->ch[i];
        if (!c->record)
            continue;
        recbuf *r = &c->rec;
        chan *s = ph__resolve_chan(h, (int)i);
        if (!r->esz)
            rec_init(r, c);
        if (!rec_append(r, s, ph__chan_width(s)))
            continue;
        track_motion(c, s);
        inmem_bytes += r->used - r->head;
    }
    h->rec_frames++;
    if (!h->spilling && inmem_bytes >= h->cfg.record_memory_bytes)
        h->spilling = true;
    if (!h->spilling || h->spill_failed)
        return;
    for (size_t i = 0; i < h->nch; i++) {
        recbuf *r = &h->ch[i].rec;
        for (int k = 0; k < 2 && r->used - r->head >= REC_CHUNK_BYTES; k++)
            if (rec_spill(h, r))
                return;
    }
}
