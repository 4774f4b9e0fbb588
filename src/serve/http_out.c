/* Response bodies: JSON written with the base layer's writer into memory,
 * and the KServe error form. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

/* The stream's bytes go to o->data, grown by doubling (a cookie stream:
 * open_memstream would zero a fresh 8 KiB buffer for every response). */
static ssize_t out_write(void *cookie, const char *buf, size_t n) {
    psv_out *o = cookie;
    if (!PBASE_RESERVE(o->data, o->cap, o->len + n + 1))
        return 0; /* an error for the stream */
    memcpy(o->data + o->len, buf, n);
    o->len += n;
    o->data[o->len] = 0;
    return (ssize_t)n;
}

bool psv_out_open(psv_out *o) {
    memset(o, 0, sizeof *o);
    if (!PBASE_RESERVE(o->data, o->cap, 1024))
        return false;
    o->data[0] = 0;
    o->f = fopencookie(o, "w", (cookie_io_functions_t){.write = out_write});
    if (!o->f) {
        free(o->data);
        return false;
    }
    setvbuf(o->f, o->buf, _IOFBF, sizeof o->buf);
    pbase_json_init(&o->j, o->f);
    return true;
}

bool psv_out_start(psv_out *o, psv_resp *rs) {
    if (psv_out_open(o))
        return true;
    psv_resp_error(rs, 500, "out of memory");
    return false;
}

void psv_resp_take(psv_resp *r, int status, const char *ctype, psv_out *o) {
    fclose(o->f);
    free(r->body);
    r->status = status;
    r->ctype = ctype;
    r->body = o->data;
    r->len = o->len;
    o->data = NULL;
}

void psv_resp_error(psv_resp *r, int status, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    psv_out o;
    if (!psv_out_open(&o)) {
        psv_resp_text(r, status, "application/json", "{\"error\": \"out of memory\"}");
        return;
    }
    pbase_json_begin_object(&o.j);
    pbase_json_key(&o.j, "error");
    pbase_json_str(&o.j, msg);
    pbase_json_end_object(&o.j);
    psv_resp_take(r, status, "application/json", &o);
}

void psv_resp_text(psv_resp *r, int status, const char *ctype, const char *text) {
    free(r->body);
    r->status = status;
    r->ctype = ctype;
    r->body = strdup(text);
    r->len = r->body ? strlen(text) : 0;
}

int psv_parse_body(psv_jdoc *d, const char *text, size_t len, char *err, size_t cap) {
    size_t at;
    if (!psv_json_parse(d, text, len, &at))
        return 0;
    snprintf(err, cap, "malformed JSON in the request, near byte %zu", at);
    psv_json_free(d);
    return -1;
}
