/* The output layer: over specs with the recorded time samples, written
 * through the usd layer's streaming sample writer. */
#include "host_internal.h"

#include <portalis/base.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void rel_path(const char *from_file, const char *to_file, char *out, size_t cap) {
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(to_file, b)) {
        snprintf(out, cap, "%s", to_file);
        return;
    }
    /* directory of from_file (which may not exist yet) */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", from_file);
    char *sl = strrchr(dir, '/');
    if (sl)
        *sl = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, a)) {
        snprintf(out, cap, "%s", b);
        return;
    }
    /* common prefix by components */
    size_t i = 0, last = 0;
    while (a[i] && b[i] && a[i] == b[i]) {
        if (a[i] == '/')
            last = i;
        i++;
    }
    if (!a[i] && b[i] == '/')
        last = i;
    size_t o = 0;
    out[0] = 0;
    for (const char *p = a + last; *p; p++)
        if (*p == '/' && o + 4 < cap)
            o += (size_t)snprintf(out + o, cap - o, "../");
    if (o == 0)
        o += (size_t)snprintf(out, cap, "./");
    snprintf(out + o, cap - o, "%s", b + last + 1);
}

/* The prim tree of the recorded channels: prims and properties in
 * first-recorded order (as a usd layer would have kept them). */
typedef struct onode {
    const char *name; /* points into a channel's prim path */
    size_t namelen;
    int first_child, last_child, next;
    int first_chan; /* recorded channels of this prim, in channel order */
} onode;

typedef struct otree {
    onode *n;
    size_t nn, capn;
    int *chan_next; /* per channel: next recorded channel of the same prim */
} otree;

/* Child `name` of node parent (node 0 is the pseudo root), created if needed. */
static int onode_child(otree *t, int parent, const char *name, size_t len) {
    for (int c = t->n[parent].first_child; c >= 0; c = t->n[c].next)
        if (t->n[c].namelen == len && !memcmp(t->n[c].name, name, len))
            return c;
    if (!PBASE_RESERVE(t->n, t->capn, t->nn + 1))
        return -1;
    int i = (int)t->nn++;
    t->n[i] = (onode){name, len, -1, -1, -1, -1};
    if (t->n[parent].last_child >= 0)
        t->n[t->n[parent].last_child].next = i;
    else
        t->n[parent].first_child = i;
    t->n[parent].last_child = i;
    return i;
}

static int build_tree(otree *t, const ph_host *h) {
    t->chan_next = malloc((h->nch ? h->nch : 1) * sizeof *t->chan_next);
    t->n = malloc(16 * sizeof *t->n);
    if (!t->chan_next || !t->n)
        return -1;
    t->capn = 16;
    t->nn = 1;
    t->n[0] = (onode){"", 0, -1, -1, -1, -1};
    for (size_t i = 0; i < h->nch; i++) {
        const chan *c = &h->ch[i];
        t->chan_next[i] = -1;
        if (!c->rec.frames || c->prim[0] != '/')
            continue;
        int node = 0;
        for (const char *p = c->prim + 1; *p && node >= 0;) {
            const char *e = strchr(p, '/');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            node = onode_child(t, node, p, len);
            p += len + (e ? 1 : 0);
        }
        if (node < 0)
            return -1;
        if (!node)
            continue;
        int *link = &t->n[node].first_chan;
        while (*link >= 0)
            link = &t->chan_next[*link];
        *link = (int)i;
    }
    return 0;
}

typedef struct saver {
    const ph_host *h;
    pusd_sample_writer *w;
    otree t;
    void *buf; /* a spilled chunk read back */
    size_t bufcap;
} saver;

/* Writes the record at rec (one frame) as the sample of frame fr; returns
 * the record's size. */
static size_t put_frame(saver *s, const chan *c, size_t fr, const unsigned char *rec) {
    const recbuf *r = &c->rec;
    uint64_t w;
    memcpy(&w, rec, sizeof w);
    pusd_value v = {
        .type = (uint16_t)r->type, .flags = c->is_array ? PUSD_VF_ARRAY : 0, .data = rec + REC_HEADER};
    v.count = c->is_array ? (uint32_t)(c->ncomp ? w / (uint64_t)c->ncomp : 0) : 1;
    pusd_sample_writer_sample(s->w, ph_host_time_code(s->h, fr), &v);
    return ph__rec_size(r, rec);
}

/* The channel's time samples: the spilled chunks (read back one at a time),
 * then the records still in memory. Returns 0 or an errno. */
static int put_samples(saver *s, const chan *c) {
    const recbuf *r = &c->rec;
    size_t fr = 0;
    pusd_sample_writer_begin_samples(s->w, c->type_name, c->attr);
    for (size_t k = 0; k < r->nchunks; k++) {
        size_t bytes = r->chunks[k].bytes;
        if (bytes > s->bufcap) {
            void *p = realloc(s->buf, bytes);
            if (!p)
                return ENOMEM;
            s->buf = p;
            s->bufcap = bytes;
        }
        for (size_t done = 0; done < bytes;) {
            ssize_t n =
                pread(s->h->spill_fd, (char *)s->buf + done, bytes - done, r->chunks[k].off + (off_t)done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? errno : EIO;
            done += (size_t)n;
        }
        for (size_t i = 0, off = 0; i < r->chunks[k].frames; i++, fr++)
            off += put_frame(s, c, fr, (const unsigned char *)s->buf + off);
    }
    for (size_t off = r->head; off < r->used; fr++)
        off += put_frame(s, c, fr, r->data + off);
    pusd_sample_writer_end_samples(s->w);
    return 0;
}

static int put_prim(saver *s, int i) {
    const onode *n = &s->t.n[i];
    int e = 0;
    pusd_sample_writer_begin_over(s->w, n->name, n->namelen);
    for (int c = n->first_chan; c >= 0 && !e; c = s->t.chan_next[c])
        e = put_samples(s, &s->h->ch[c]);
    for (int c = n->first_child; c >= 0 && !e; c = s->t.n[c].next)
        e = put_prim(s, c);
    pusd_sample_writer_end_prim(s->w);
    return e;
}

/* The header: the metadata (time settings, a few copied from the scene) and
 * the scene as a sublayer. */
static pusd_layer *header_layer(const ph_host *h, const char *out_path) {
    pusd_layer *root = pusd_layer_new(out_path);
    if (!root)
        return NULL;
    char rel[PATH_MAX];
    rel_path(out_path, h->scene_path, rel, sizeof rel);
    int rc = pusd_layer_add_sublayer(root, rel, 0, 1);
    double md[4] = {h->time.start_time_code, ph_host_time_code(h, h->rec_frames ? h->rec_frames - 1 : 0),
                    h->time.time_codes_per_second, h->time.fps};
    static const char *const keys[4] = {"startTimeCode", "endTimeCode", "timeCodesPerSecond", "framesPerSecond"};
    for (int i = 0; i < 4 && !rc; i++) {
        pusd_value v = pusd_val_scalar(PUSD_T_DOUBLE, &md[i]);
        rc = pusd_layer_set_metadata(root, keys[i], &v);
    }
    pusd_layer *in = pusd_stage_root_layer(h->stage);
    static const char *const copy[] = {"defaultPrim", "upAxis", "metersPerUnit"};
    for (size_t i = 0; i < 3 && !rc; i++) {
        pusd_value v;
        if (!pusd_layer_get_metadata(in, copy[i], &v))
            rc = pusd_layer_set_metadata(root, copy[i], &v);
    }
    if (rc) {
        pusd_layer_free(root);
        return NULL;
    }
    return root;
}

int ph_host_save(ph_host *h, const char *out_path, char *err, size_t errcap) {
    saver s = {.h = h};
    pusd_layer *header = header_layer(h, out_path);
    if (!header || build_tree(&s.t, h)) {
        pusd_layer_free(header);
        free(s.t.n);
        free(s.t.chan_next);
        snprintf(err, errcap, "%s: out of memory building the output layer", out_path);
        return -1;
    }
    pusd_error ue = {0};
    int rc = pusd_sample_writer_open(out_path, header, &s.w, &ue);
    pusd_layer_free(header);
    int e = 0;
    if (!rc) {
        for (int c = s.t.n[0].first_child; c >= 0 && !e; c = s.t.n[c].next)
            e = put_prim(&s, c);
        if (e) {
            pusd_sample_writer_abort(s.w);
            snprintf(err, errcap, "%s: write failed (previous file left untouched): %s", out_path, strerror(e));
        } else if ((rc = pusd_sample_writer_close(s.w, &ue)) != 0) {
            pusd_error_format(&ue, err, errcap);
        }
    } else {
        pusd_error_format(&ue, err, errcap);
    }
    free(s.t.n);
    free(s.t.chan_next);
    free(s.buf);
    return rc || e ? -1 : 0;
}

/* Whether path names the same file as other (symlinks, "..", hard links:
 * the same device and inode). */
static bool same_file(const char *path, const struct stat *ps, const char *other) {
    struct stat os;
    (void)path;
    return other && stat(other, &os) == 0 && os.st_dev == ps->st_dev && os.st_ino == ps->st_ino;
}

int ph_host_check_output_path(const ph_host *h, const char *path, char *err, size_t errcap) {
    struct stat ps;
    if (stat(path, &ps) != 0)
        return 0; /* does not exist yet: cannot be an input */
    if (S_ISDIR(ps.st_mode)) {
        snprintf(err, errcap, "%s is a directory", path);
        return -1;
    }
    if (S_ISCHR(ps.st_mode) || S_ISBLK(ps.st_mode) || S_ISFIFO(ps.st_mode))
        return 0; /* written in place, never replaced */
    if (same_file(path, &ps, h->scene_path)) {
        snprintf(err, errcap, "refusing to write %s: it is the scene itself (%s); choose another output path",
                 path, h->scene_path);
        return -1;
    }
    for (size_t i = 0; h->stage && i < pusd_stage_layer_file_count(h->stage); i++) {
        const char *l = pusd_stage_layer_file(h->stage, i);
        if (same_file(path, &ps, l)) {
            snprintf(err, errcap, "refusing to write %s: it is the layer %s, which the scene uses", path, l);
            return -1;
        }
    }
    for (size_t i = 0; i < h->nmods; i++)
        if (h->mods[i]->wasm_path[0] && same_file(path, &ps, h->mods[i]->wasm_path)) {
            snprintf(err, errcap, "refusing to write %s: it is the module %s of prim %s", path,
                     h->mods[i]->wasm_path, h->mods[i]->path);
            return -1;
        }
    return 0;
}
