/* Status flags: formatting. */
#include "ef_internal.h"

#include <stdio.h>

const char *ef_status_str(ef_status s, char *buf, size_t cap) {
    static const struct {
        ef_status bit;
        const char *name;
    } names[] = {{EF_SUCCESS, "success"},         {EF_SKIP, "skip"},
                 {EF_DEFERRED, "deferred"},       {EF_FAILURE, "failure"},
                 {EF_IN_PROGRESS, "in_progress"}, {EF_CANCELLED, "cancelled"}};
    if (!buf || !cap) return buf;
    buf[0] = 0;
    size_t len = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(s & names[i].bit)) continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? "|" : "", names[i].name);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    if (!len) snprintf(buf, cap, "unknown");
    return buf;
}

char *ef_strdup(const char *s) {
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
