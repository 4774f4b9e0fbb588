/* Arena allocator, string interning, growable buffers and error helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

void *pusd__ar_alloc(pusd_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    arena_block *b = a->head;
    if (b) {
        size_t at = (b->used + 7) & ~(size_t)7;
        if (at <= b->size && b->size - at >= n) {
            b->used = at + n;
            return b->data + at;
        }
    }
    size_t want = a->next_size ? a->next_size : 16384;
    if (n > want / 4) {
        /* big allocation: own block, inserted after head so head keeps its free space */
        arena_block *nb = malloc(sizeof *nb + n);
        if (!nb) return NULL;
        nb->size = nb->used = n;
        if (b) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = NULL;
            a->head = nb;
        }
        return nb->data;
    }
    arena_block *nb = malloc(sizeof *nb + want);
    if (!nb) return NULL;
    nb->size = want;
    nb->used = n;
    nb->next = b;
    a->head = nb;
    if (want < (1u << 20)) a->next_size = want * 2;
    return nb->data;
}

void *pusd__ar_alloc_al(pusd_arena *a, size_t n, size_t align) {
    arena_block *b = a->head;
    if (b && align < 8) {
        size_t at = (b->used + align - 1) & ~(align - 1);
        if (at <= b->size && b->size - at >= n) {
            b->used = at + n;
            return b->data + at;
        }
    }
    return pusd__ar_alloc(a, n);
}

void *pusd__ar_calloc(pusd_arena *a, size_t n) {
    void *p = pusd__ar_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

char *pusd__ar_strndup(pusd_arena *a, const char *s, size_t n) {
    char *p = pusd__ar_alloc_al(a, n + 1, 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *pusd__ar_strdup(pusd_arena *a, const char *s) { return pusd__ar_strndup(a, s, strlen(s)); }

void pusd__ar_free_all(pusd_arena *a) {
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->next_size = 0;
}

uint32_t pusd_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int interner_grow(interner *in) {
    size_t ncap = in->cap ? in->cap * 2 : 256;
    const char **ns = calloc(ncap, sizeof *ns);
    uint32_t *nh = calloc(ncap, sizeof *nh);
    if (!ns || !nh) {
        free(ns);
        free(nh);
        return -1;
    }
    for (size_t i = 0; i < in->cap; i++) {
        if (!in->slots[i]) continue;
        size_t j = in->hashes[i] & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = in->slots[i];
        nh[j] = in->hashes[i];
    }
    free(in->slots);
    free(in->hashes);
    in->slots = ns;
    in->hashes = nh;
    in->cap = ncap;
    return 0;
}

const char *pusd__intern(interner *in, pusd_arena *a, const char *s, size_t n) {
    if ((in->count + 1) * 2 > in->cap && interner_grow(in)) return NULL;
    uint32_t h = pusd_hash(s, n);
    size_t j = h & (in->cap - 1);
    while (in->slots[j]) {
        if (in->hashes[j] == h && !strncmp(in->slots[j], s, n) && in->slots[j][n] == 0) return in->slots[j];
        j = (j + 1) & (in->cap - 1);
    }
    char *p = pusd__ar_strndup(a, s, n);
    if (!p) return NULL;
    in->slots[j] = p;
    in->hashes[j] = h;
    in->count++;
    return p;
}

void pusd__interner_free(interner *in) {
    free(in->slots);
    free(in->hashes);
    memset(in, 0, sizeof *in);
}

/* Straight to the descriptor: the sink's FILE buffer is never used (only the sbuf writes to it),
 * so stdio's extra copy of every byte is saved. */
void pusd__sb_flush(sbuf *b) {
    if (!b->sink || !b->len) return;
    int fd = fileno(b->sink);
    for (size_t off = 0; !b->err && off < b->len;) {
        ssize_t w = write(fd, b->p + off, b->len - off);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno != EINTR)
            b->err = errno;
        else if (w == 0)
            b->err = EIO;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    /* start the disk write-back of each finished stretch now, so the fsync of the atomic
     * replacement waits for the last stretch only instead of the whole file */
    if (!b->err && (b->written += b->len) - b->synced >= SB_SYNC_STRETCH) {
        sync_file_range(fd, (off64_t)b->synced, (off64_t)(b->written - b->synced), SYNC_FILE_RANGE_WRITE);
        b->synced = b->written;
    }
#endif
    b->len = 0;
}

static int sb_reserve(sbuf *b, size_t n) {
    if (b->oom) return -1;
    if (b->sink && b->len >= SB_SINK_CHUNK) pusd__sb_flush(b);
    if (b->len + n + 1 <= b->cap) return 0;
    if (!PBASE_RESERVE(b->p, b->cap, b->len + n + 1)) {
        b->oom = 1;
        return -1;
    }
    return 0;
}

char *pusd__sb_room(sbuf *b, size_t n) { return sb_reserve(b, n) ? NULL : b->p + b->len; }

void pusd__sb_put(sbuf *b, const void *s, size_t n) {
    if (sb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void pusd__sb_puts(sbuf *b, const char *s) { pusd__sb_put(b, s, strlen(s)); }

void pusd__sb_putc(sbuf *b, char c) {
    if (sb_reserve(b, 1)) return;
    b->p[b->len++] = c;
    b->p[b->len] = 0;
}

void pusd__sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        pusd__sb_put(b, tmp, (size_t)n);
        return;
    }
    if (sb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pusd__sb_indent(sbuf *b, int level) {
    for (int i = 0; i < level; i++) pusd__sb_put(b, "    ", 4);
}

void pusd__sb_free(sbuf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

void pusd_set_error(pusd_error *err, pusd_status st, const char *file, int line, int col, const char *fmt, ...) {
    if (!err) return;
    err->status = st;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->column = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void pusd_error_format(const pusd_error *err, char *buf, size_t size) {
    if (!buf || !size) return;
    if (!err) {
        buf[0] = 0;
        return;
    }
    if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d:%d: error: %s", err->file, err->line, err->column, err->message);
    else if (err->file[0])
        snprintf(buf, size, "%s: error: %s", err->file, err->message);
    else
        snprintf(buf, size, "error: %s", err->message);
}
