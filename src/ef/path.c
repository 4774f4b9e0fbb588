/* Execution paths: a compact value type naming one node instance. */
#include "ef_internal.h"

#include <stdio.h>

uint64_t ef_path_mix(uint64_t h, const ef_node *n) {
    uint64_t x = (uint64_t)(uintptr_t)n;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

void ef_path_init(ef_path *p) {
    p->len = 0;
    p->hash = 0x84222325cbf29ce4ULL;
}

int ef_path_push(ef_path *p, const ef_node *n) {
    if (p->len >= EF_PATH_MAX) return -1;
    p->nodes[p->len++] = n;
    p->hash = ef_path_mix(p->hash, n);
    return 0;
}

void ef_path_copy(ef_path *dst, const ef_path *src) {
    dst->len = src->len;
    dst->hash = src->hash;
    memcpy(dst->nodes, src->nodes, sizeof(src->nodes[0]) * src->len);
}

int ef_path_equal(const ef_path *a, const ef_path *b) {
    if (a->len != b->len || a->hash != b->hash) return 0;
    return memcmp(a->nodes, b->nodes, sizeof(a->nodes[0]) * a->len) == 0;
}

size_t ef_path_format(const ef_path *p, char *buf, size_t cap) {
    size_t len = 0;
    if (p->len == 0) {
        if (cap) snprintf(buf, cap, "/");
        return 1;
    }
    for (uint32_t i = 0; i < p->len; i++) {
        const char *name = p->nodes[i]->name;
        size_t nl = strlen(name);
        if (len + 1 < cap) buf[len] = '/';
        for (size_t k = 0; k < nl; k++)
            if (len + 1 + k + 1 < cap) buf[len + 1 + k] = name[k];
        len += 1 + nl;
    }
    if (cap) buf[len < cap ? len : cap - 1] = 0;
    return len;
}

int ef_path_parse(ef_graph *g, const char *str, ef_path *out) {
    ef_path_init(out);
    if (!g || !str || str[0] != '/') return -1;
    ef_def *d = g->top;
    const char *s = str + 1;
    char name[256];
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || n >= sizeof name) return -1;
        memcpy(name, s, n);
        name[n] = 0;
        if (!d || d->kind != EF_DEF_GRAPH) return -1;
        ef_node *node = ef_def_find(d, name);
        if (!node || ef_path_push(out, node)) return -1;
        d = node->def;
        s += n;
        if (*s == '/') s++;
    }
    return 0;
}
