/* Numeric option values shared by every command: one place checks the whole
 * string, the sign, overflow and the allowed range, so no option silently
 * wraps (`--frames 99999999999999999999999`) or ignores trailing text. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    /* strtoull accepts leading blanks and a minus sign (wrapping the value) */
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (!s)
        return false;
    const char *d = s[0] == '-' || s[0] == '+' ? s + 1 : s;
    if (!isdigit((unsigned char)d[0]))
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double min, double max, double *out) {
    if (!s || !*s || isspace((unsigned char)s[0]))
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

bool cli_parse_duration(const char *s, uint64_t *ns) {
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1}, {"m", 60e9}, {"h", 3600e9}};
    if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || isinf(v))
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit))
            continue;
        double t = v * units[i].ns;
        if (t > 100.0 * 365 * 86400 * 1e9)
            return false;
        *ns = (uint64_t)t;
        if (*ns == 0 && v > 0)
            *ns = 1;
        return true;
    }
    return false;
}
