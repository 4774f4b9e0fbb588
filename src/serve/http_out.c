/* Response bodies: JSON written with the base layer's writer into memory,
 * and the KServe error form. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

bool psv_out_open(psv_out *o) {
    memset(o, 0, sizeof *o);
    o->f = open_memstream(&o->data, &o->len);
    if (!o->f)
        return false;
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

/* cJSON records the last error in a global: parses are serialised so
 * that the position read back is this request's (and threads do not race). */
cJSON *psv_parse_json(psv_server *s, const char *text, size_t len, char *err, size_t cap) {
    const char *end = NULL;
    pthread_mutex_lock(&s->json_mu);
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    pthread_mutex_unlock(&s->json_mu);
    if (!root)
        snprintf(err, cap, "malformed JSON in the request, near byte %zu",
                 end && end >= text && end <= text + len ? (size_t)(end - text) : (size_t)0);
    return root;
}
