/* Debug output: the text dump of the whole graph and the flattened Graphviz
 * DOT export. Definition ids number definitions in depth-first order of
 * first appearance (top = 0), so output is deterministic and equal ids mean
 * a shared definition. */
#include "ef_internal.h"

#include <stdio.h>

typedef struct {
    const ef_def **defs;
    uint32_t *uses;
    size_t n, cap_defs, cap_uses;
} defids;

static int defid(defids *m, const ef_def *d) {
    for (size_t i = 0; i < m->n; i++)
        if (m->defs[i] == d) return (int)i;
    if (!PBASE_RESERVE(m->defs, m->cap_defs, m->n + 1) || !PBASE_RESERVE(m->uses, m->cap_uses, m->n + 1)) return -1;
    m->defs[m->n] = d;
    m->uses[m->n] = 0;
    return (int)m->n++;
}

/* Assign ids and count instances (every instance expanded). */
static void scan(defids *m, const ef_def *d, int depth) {
    if (depth > EF_PATH_MAX) return;
    ef_topology *t = d->topo;
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (!n || !n->def) continue;
        int id = defid(m, n->def);
        if (id >= 0) m->uses[id]++;
        if (n->def->kind == EF_DEF_GRAPH) scan(m, n->def, depth + 1);
    }
}

static const char *hint_name(ef_hint h) {
    switch (h) {
    case EF_HINT_SERIAL: return "serial";
    case EF_HINT_PARALLEL: return "parallel";
    case EF_HINT_ISOLATE: return "isolate";
    default: return "bypass";
    }
}

static void text_topo(FILE *out, defids *m, const ef_def *d, int depth) {
    if (depth > EF_PATH_MAX) return;
    ef_topology *t = d->topo;
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (!n) continue;
        fprintf(out, "%*s%s(%u) | ", 2 * (depth + 1), "", n->name, n->index);
        if (n->def) {
            int id = defid(m, n->def);
            fprintf(out, "%s(%d) %s%s", n->def->name, id, n->def->kind == EF_DEF_GRAPH ? "graph " : "",
                    hint_name(n->def->hint));
            if (id >= 0 && m->uses[id] > 1) fprintf(out, " shared x%u", m->uses[id]);
        } else {
            fprintf(out, "- bypass");
        }
        if (n->cycle_parents) fprintf(out, " cycle-parents=%u", n->cycle_parents);
        int first = 1;
        for (uint32_t k = 0; k < n->children.n; k++) {
            fprintf(out, "%s%s%s", first ? " -> " : ", ", n->children.v[k].node->name,
                    n->children.v[k].cycle ? "(cycle)" : "");
            first = 0;
        }
        fputc('\n', out);
        if (n->def && n->def->kind == EF_DEF_GRAPH) text_topo(out, m, n->def, depth + 1);
    }
}

int ef_dump_text(ef_graph *g, FILE *out) {
    defids m = {0};
    defid(&m, g->top);
    m.uses[0] = 1;
    scan(&m, g->top, 0);
    fprintf(out, "EXECUTION GRAPH | %s(0)\n", g->top->name);
    text_topo(out, &m, g->top, 0);
    free(m.defs);
    free(m.uses);
    return ferror(out) ? -1 : 0;
}

/* ---- DOT ---- */

static const char *palette[] = {"#e8f1fb", "#fde9d9", "#e4f4e4", "#f3e5f5", "#fff7cc",
                                "#e0f7fa", "#fbe4ec", "#ececec", "#dcedc8", "#ffe0b2"};
#define NPAL (sizeof palette / sizeof palette[0])

static void dot_escape(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', out);
        fputc(*s, out);
    }
}

/* Emits one instance of d (a cluster per graph node) and its edges.
 * anchor[i]: the DOT node standing for node i; cluster[i]: its cluster id
 * or -1. Returns the anchor of the root. */
static int dot_topo(FILE *out, defids *m, const ef_def *d, int depth, int *counter) {
    ef_topology *t = d->topo;
    int *anchor = malloc(t->bound * sizeof *anchor), *cluster = malloc(t->bound * sizeof *cluster);
    if (!anchor || !cluster) {
        free(anchor);
        free(cluster);
        return -1;
    }
    int root = (*counter)++;
    fprintf(out, "%*sn%d [shape=point, label=\"\"];\n", 2 * depth, "", root);
    anchor[0] = root;
    cluster[0] = -1;
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (!n) continue;
        cluster[i] = -1;
        int id = n->def ? defid(m, n->def) : -1;
        const char *col = id >= 0 ? palette[(size_t)id % NPAL] : "#ffffff";
        if (n->def && n->def->kind == EF_DEF_GRAPH && depth < EF_PATH_MAX + 1) {
            int cid = (*counter)++;
            fprintf(out, "%*ssubgraph cluster_%d {\n%*slabel=\"", 2 * depth, "", cid, 2 * depth + 2, "");
            dot_escape(out, n->name);
            fprintf(out, "(%u) | ", n->index);
            dot_escape(out, n->def->name);
            fprintf(out, "(%d)%s\"; style=filled; fillcolor=\"%s\";\n", id, m->uses[id] > 1 ? " shared" : "", col);
            anchor[i] = dot_topo(out, m, n->def, depth + 1, counter);
            cluster[i] = cid;
            fprintf(out, "%*s}\n", 2 * depth, "");
        } else {
            int nid = (*counter)++;
            anchor[i] = nid;
            fprintf(out, "%*sn%d [label=\"", 2 * depth, "", nid);
            dot_escape(out, n->name);
            if (n->def) {
                fprintf(out, "\\n");
                dot_escape(out, n->def->name);
                fprintf(out, "(%d)", id);
            }
            fprintf(out, "\", style=filled, fillcolor=\"%s\"%s];\n", col, n->def ? "" : ", shape=ellipse");
        }
    }
    for (uint32_t i = 0; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (!n) continue;
        for (uint32_t k = 0; k < n->children.n; k++) {
            ef_node *c = n->children.v[k].node;
            fprintf(out, "%*sn%d -> n%d [", 2 * depth, "", anchor[i], anchor[c->index]);
            int sep = 0;
            if (cluster[i] >= 0) fprintf(out, "%sltail=cluster_%d", sep++ ? ", " : "", cluster[i]);
            if (cluster[c->index] >= 0) fprintf(out, "%slhead=cluster_%d", sep++ ? ", " : "", cluster[c->index]);
            if (n->children.v[k].cycle) fprintf(out, "%sstyle=dashed, color=red", sep++ ? ", " : "");
            fprintf(out, "];\n");
        }
    }
    free(anchor);
    free(cluster);
    return root;
}

int ef_dump_dot(ef_graph *g, FILE *out) {
    defids m = {0};
    defid(&m, g->top);
    m.uses[0] = 1;
    scan(&m, g->top, 0);
    int counter = 0;
    fprintf(out, "digraph ExecutionGraph {\n  compound=true;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    fprintf(out, "  subgraph cluster_top {\n    label=\"EXECUTION GRAPH | ");
    dot_escape(out, g->top->name);
    fprintf(out, "(0)\";\n");
    dot_topo(out, &m, g->top, 2, &counter);
    fprintf(out, "  }\n}\n");
    free(m.defs);
    free(m.uses);
    return ferror(out) ? -1 : 0;
}
