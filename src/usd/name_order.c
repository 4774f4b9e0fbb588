/* Name orders Usd uses for properties: dictionary order (TfDictionaryLessThan's rules, from its
 * documentation and behaviour) and propertyOrder applied as UsdPrim applies it. */
#include <stdlib.h>

#include "internal.h"

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Compares the digit runs starting at *pa and *pb by value (leading zeros ignored) and moves both
 * past their runs: <0, 0 or >0. */
static int digit_run_cmp(const char **pa, const char **pb) {
    const char *a = *pa, *b = *pb;
    while (*a == '0') a++;
    while (*b == '0') b++;
    const char *ea = a, *eb = b;
    while (is_digit((unsigned char)*ea)) ea++;
    while (is_digit((unsigned char)*eb)) eb++;
    int r = (ea - a > eb - b) - (ea - a < eb - b); /* more significant digits: larger */
    for (; !r && a < ea; a++, b++) r = (*a > *b) - (*a < *b);
    *pa = ea;
    *pb = eb;
    return r;
}

/* Dictionary order: letters ignore case ('_' and the other punctuation of the letter range sort
 * before letters), digit runs compare as numbers, a digit sorts before a non-digit; names that
 * differ only in case or leading zeros are ordered by their first differing byte (upper case
 * first, fewer leading zeros first). */
static bool dict_less(const char *l, const char *r) {
    const char *a = l, *b = r;
    while (*a && *b) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (is_digit(x) && is_digit(y)) {
            int c = digit_run_cmp(&a, &b);
            if (c) return c < 0;
            continue;
        }
        if (x == y) {
            a++, b++;
            continue;
        }
        if (x < 0x80 && y < 0x80 && x >= 0x40 && y >= 0x40 && (x & ~0x20) != (y & ~0x20))
            return ((x + 5) & 31) < ((y + 5) & 31);
        if (is_digit(x) || is_digit(y)) return a == l ? x < y : is_digit(x);
        if (!is_alpha(x) || !is_alpha(y)) return x < y;
        a++, b++; /* the same letter in another case: decided at the end */
    }
    if (*a || *b) return !*a;
    for (a = l, b = r; *a && *a == *b; a++, b++) {}
    return *b == '0' || (*a != '0' && (unsigned char)*a < (unsigned char)*b);
}

static int dict_cmp(const void *pa, const void *pb) {
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    return dict_less(a, b) ? -1 : dict_less(b, a) ? 1 : 0;
}

void pusd__sort_names(const char **names, size_t n) {
    if (n > 1) qsort(names, n, sizeof *names, dict_cmp);
}

void pusd__order_front(const char **names, size_t n, const char *const *order, size_t no) {
    size_t rest = 0; /* names[0..rest) are placed */
    for (size_t i = 0; i < no; i++)
        for (size_t k = rest; k < n; k++)
            if (!strcmp(names[k], order[i])) {
                const char *t = names[k];
                memmove(names + rest + 1, names + rest, (k - rest) * sizeof *names);
                names[rest++] = t;
                break;
            }
}
