/* Protobuf text format (the syntax of Triton's config.pbtxt), read into a
 * tree of fields without a schema: the repository (repo.c) gives the fields
 * their meaning. Field names are not checked here, values are kept as text.
 * Accepted: `name: value`, `name { ... }` / `name: { ... }` / `< ... >`,
 * lists `name: [a, b]` (one field per element), strings in single or double
 * quotes with C escapes (adjacent strings join), `#` comments, `,` or `;`
 * after a field. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

#define PB_MAX_DEPTH 32

typedef struct lexer {
    const char *s, *end;
    int line;
    char *err;
    size_t errcap;
    bool failed;
} lexer;

static void fail(lexer *lx, const char *fmt, ...) {
    if (lx->failed)
        return;
    lx->failed = true;
    int n = snprintf(lx->err, lx->errcap, "line %d: ", lx->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < lx->errcap)
        vsnprintf(lx->err + n, lx->errcap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_space(lexer *lx) {
    while (lx->s < lx->end) {
        char c = *lx->s;
        if (c == '\n')
            lx->line++;
        if (c == '#') {
            while (lx->s < lx->end && *lx->s != '\n')
                lx->s++;
        } else if (isspace((unsigned char)c)) {
            lx->s++;
        } else {
            return;
        }
    }
}

static int peek(lexer *lx) {
    skip_space(lx);
    return lx->s < lx->end ? (unsigned char)*lx->s : -1;
}

static bool is_word_char(int c) { return isalnum(c) || c == '_' || c == '.' || c == '-' || c == '+'; }

static char *take_word(lexer *lx) {
    const char *b = lx->s;
    while (lx->s < lx->end && is_word_char((unsigned char)*lx->s))
        lx->s++;
    if (lx->s == b) {
        fail(lx, "expected a name or a value, found '%c'", *lx->s);
        return NULL;
    }
    return strndup(b, (size_t)(lx->s - b));
}

static int unescape(lexer *lx, char *o) {
    char c = *lx->s++;
    switch (c) {
    case 'n': *o = '\n'; return 0;
    case 't': *o = '\t'; return 0;
    case 'r': *o = '\r'; return 0;
    case '\\':
    case '"':
    case '\'': *o = c; return 0;
    default: fail(lx, "unsupported escape '\\%c' in a string", c); return -1;
    }
}

/* One or more adjacent quoted strings, joined. */
static char *take_string(lexer *lx) {
    size_t cap = (size_t)(lx->end - lx->s) + 1;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    while (!lx->failed && (peek(lx) == '"' || peek(lx) == '\'')) {
        char q = *lx->s++;
        while (lx->s < lx->end && *lx->s != q && *lx->s != '\n') {
            if (*lx->s == '\\' && lx->s + 1 < lx->end) {
                lx->s++;
                if (unescape(lx, o++))
                    break;
            } else {
                *o++ = *lx->s++;
            }
        }
        if (lx->s >= lx->end || *lx->s != q)
            fail(lx, "unterminated string");
        else
            lx->s++;
    }
    *o = 0;
    return out;
}

static psv_pb *new_field(char *name, int line) {
    psv_pb *f = calloc(1, sizeof *f);
    if (!f) {
        free(name);
        return NULL;
    }
    f->name = name;
    f->line = line;
    return f;
}

static psv_pb *parse_fields(lexer *lx, int close, int depth);

/* A value after `name:` (or a list element): a message or a scalar. */
static int parse_value(lexer *lx, psv_pb *f, int depth) {
    int c = peek(lx);
    if (c == '{' || c == '<') {
        lx->s++;
        f->is_message = true;
        f->child = parse_fields(lx, c == '{' ? '}' : '>', depth + 1);
        return lx->failed ? -1 : 0;
    }
    if (c == '"' || c == '\'') {
        f->value = take_string(lx);
        f->is_string = true;
    } else if (c < 0) {
        fail(lx, "expected a value after '%s', found the end of the file", f->name);
        return -1;
    } else {
        f->value = take_word(lx);
    }
    return f->value ? 0 : -1;
}

/* name[:] value  or  name[:] [v, v, ...]: appends the field(s) at *tail. */
static int parse_field(lexer *lx, psv_pb ***tail, int depth) {
    int line = lx->line;
    char *name = take_word(lx);
    if (!name)
        return -1;
    if (peek(lx) == ':')
        lx->s++;
    bool list = peek(lx) == '[';
    if (list)
        lx->s++;
    for (bool first = true; !lx->failed; first = false) {
        if (list && peek(lx) == ']') {
            lx->s++;
            break;
        }
        if (list && !first) {
            if (peek(lx) != ',') {
                fail(lx, "expected ',' or ']' in the list '%s'", name);
                break;
            }
            lx->s++;
        }
        psv_pb *f = new_field(strdup(name), line);
        if (!f || !f->name) {
            fail(lx, "out of memory");
            psv_pb_free(f);
            break;
        }
        **tail = f;
        *tail = &f->next;
        if (parse_value(lx, f, depth) || !list)
            break;
    }
    free(name);
    int c = peek(lx);
    if (c == ',' || c == ';')
        lx->s++;
    return lx->failed ? -1 : 0;
}

static psv_pb *parse_fields(lexer *lx, int close, int depth) {
    psv_pb *head = NULL, **tail = &head;
    if (depth > PB_MAX_DEPTH) {
        fail(lx, "messages nested deeper than %d", PB_MAX_DEPTH);
        return NULL;
    }
    for (;;) {
        int c = peek(lx);
        if (c == close) {
            if (c >= 0)
                lx->s++;
            break;
        }
        if (c < 0) {
            fail(lx, "missing '%c' at the end of the file", close);
            break;
        }
        if (parse_field(lx, &tail, depth))
            break;
    }
    return head;
}

int psv_pb_parse(const char *text, size_t len, psv_pb **out, char *err, size_t errcap) {
    lexer lx = {text, text + len, 1, err, errcap, false};
    psv_pb *root = new_field(strdup(""), 1);
    if (!root || !root->name) {
        psv_pb_free(root);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    root->is_message = true;
    root->child = parse_fields(&lx, -1, 0);
    if (lx.failed) {
        psv_pb_free(root);
        return -1;
    }
    *out = root;
    return 0;
}

void psv_pb_free(psv_pb *f) {
    while (f) {
        psv_pb *next = f->next;
        psv_pb_free(f->child);
        free(f->name);
        free(f->value);
        free(f);
        f = next;
    }
}

const psv_pb *psv_pb_next(const psv_pb *msg, const psv_pb *after, const char *name) {
    for (const psv_pb *f = after ? after->next : msg->child; f; f = f->next)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}
