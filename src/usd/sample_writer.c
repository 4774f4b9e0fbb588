/* Streaming time-sample writer: a layer of `over` specs holding time samples
 * written straight to its file, in the same canonical layout and through the
 * same value formatter as the layer writer (writer.c), so the bytes equal
 * what pusd_layer_to_string would give for the same layer, without holding
 * the layer or its text in memory. The file is replaced atomically
 * (pbase_afile: a device or FIFO is written in place). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <portalis/base.h>

#include "internal.h"

#define SW_MAX_DEPTH 64

struct pusd_sample_writer {
    pbase_afile file;
    int err; /* first errno of a failed write */
    sbuf b;
    int depth;                  /* open prims */
    bool any[SW_MAX_DEPTH + 1]; /* the open prim at this depth has content */
    int indent;                 /* indent of the open timeSamples block, or -1 */
};

/* The first error of the text buffer (out of memory, a failed write to the file). */
static void sw_flush(pusd_sample_writer *w) {
    pusd__sb_flush(&w->b);
    if (!w->err) w->err = w->b.oom ? ENOMEM : w->b.err;
}

int pusd_sample_writer_open(const char *path, const pusd_layer *header, pusd_sample_writer **out, pusd_error *err) {
    *out = NULL;
    pusd_sample_writer *w = calloc(1, sizeof *w);
    if (!w) {
        pusd_set_error(err, PUSD_ERR_NOMEM, path, 0, 0, "out of memory");
        return PUSD_ERR_NOMEM;
    }
    pbase_error be;
    if (pbase_afile_open(&w->file, path, &be)) {
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "%s", be.message);
        free(w);
        return PUSD_ERR_IO;
    }
    w->indent = -1;
    w->b.sink = w->file.f; /* the buffer writes itself out every SB_SINK_CHUNK bytes */
    pusd__write_layer(&w->b, header);
    *out = w;
    return 0;
}

void pusd_sample_writer_begin_over(pusd_sample_writer *w, const char *name, size_t len) {
    if (w->depth >= SW_MAX_DEPTH) {
        w->err = w->err ? w->err : EINVAL;
        return;
    }
    /* a blank line before every root prim and before a child prim that
     * follows other content of its parent (the layer writer's layout) */
    if (w->depth == 0 || w->any[w->depth]) pusd__sb_putc(&w->b, '\n');
    w->any[w->depth] = true;
    char *nm = strndup(name, len);
    pusd__sb_indent(&w->b, w->depth);
    pusd__sb_puts(&w->b, "over ");
    if (nm)
        pusd__write_quoted(&w->b, nm);
    else
        w->b.oom = 1;
    free(nm);
    pusd__sb_putc(&w->b, '\n');
    pusd__sb_indent(&w->b, w->depth);
    pusd__sb_puts(&w->b, "{\n");
    w->depth++;
    w->any[w->depth] = false;
}

void pusd_sample_writer_end_prim(pusd_sample_writer *w) {
    if (w->depth <= 0) return;
    w->depth--;
    pusd__sb_indent(&w->b, w->depth);
    pusd__sb_puts(&w->b, "}\n");
}

void pusd_sample_writer_begin_samples(pusd_sample_writer *w, const char *type_name, const char *attr) {
    w->any[w->depth] = true;
    w->indent = w->depth;
    pusd__sb_indent(&w->b, w->indent);
    pusd__sb_printf(&w->b, "%s %s.timeSamples = {\n", type_name, attr);
}

void pusd_sample_writer_sample(pusd_sample_writer *w, double time, const pusd_value *v) {
    char t[40];
    pusd_format_double(time, t);
    pusd__sb_indent(&w->b, w->indent + 1);
    pusd__sb_puts(&w->b, t);
    pusd__sb_puts(&w->b, ": ");
    pusd__value_write(&w->b, v, w->indent + 1);
    pusd__sb_puts(&w->b, ",\n");
}

void pusd_sample_writer_end_samples(pusd_sample_writer *w) {
    pusd__sb_indent(&w->b, w->indent);
    pusd__sb_puts(&w->b, "}\n");
    w->indent = -1;
}

int pusd_sample_writer_close(pusd_sample_writer *w, pusd_error *err) {
    while (w->depth > 0) pusd_sample_writer_end_prim(w);
    sw_flush(w);
    int rc = 0;
    if (w->err) {
        pusd_set_error(err, PUSD_ERR_IO, w->file.path, 0, 0, "write failed (previous file left untouched): %s",
                       strerror(w->err));
        pbase_afile_abort(&w->file);
        rc = PUSD_ERR_IO;
    } else {
        pbase_error be;
        if (pbase_afile_commit(&w->file, &be)) {
            pusd_set_error(err, PUSD_ERR_IO, "", 0, 0, "%s", be.message);
            rc = PUSD_ERR_IO;
        }
    }
    pusd__sb_free(&w->b);
    free(w);
    return rc;
}

void pusd_sample_writer_abort(pusd_sample_writer *w) {
    if (!w) return;
    pbase_afile_abort(&w->file);
    pusd__sb_free(&w->b);
    free(w);
}
