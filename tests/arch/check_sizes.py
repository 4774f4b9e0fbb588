#!/usr/bin/env python3
"""Sizes the developers' guide sets (docs/architecture.md): no C file in src/
over 1,500 lines and no function over 150 lines, except those listed in
sizes_allowed.txt (the interpreter's dispatch loop and the translator: one
case an opcode family, kept together on purpose).

    check_sizes.py SRC_DIR ALLOWED_FILE
    check_sizes.py --self-test    (the measure on made-up files)

Prints one line a violation and the runner's closing line; exits 1 on any.
A function is measured from the first line of its signature to its closing
brace, in clang-formatted code (comments and string literals set aside)."""
import os
import re
import sys

MAX_FILE_LINES = 1500
MAX_FUNCTION_LINES = 150


def strip(text):
    """Comments, string and character literals and preprocessor lines become
    blanks; newlines stay, so line numbers hold."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c in ' \t':
            out.append(c)
            i += 1
            continue
        if at_line_start and c == '#':  # a directive, with its continuations
            while i < n and text[i] != '\n':
                if text[i] == '\\' and i + 1 < n and text[i + 1] == '\n':
                    out.append('\n')
                    i += 2
                    continue
                i += 1
            continue
        at_line_start = False
        if text.startswith('//', i):
            while i < n and text[i] != '\n':
                i += 1
            continue
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(''.join('\n' if ch == '\n' else ' ' for ch in text[i:j]))
            i = j
            continue
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            out.append(' ' * (min(j + 1, n) - i))
            i = j + 1
            continue
        if c == '\n':
            at_line_start = True
        out.append(c)
        i += 1
    return ''.join(out)


def functions(text):
    """(name, first line, last line) of each function definition."""
    s = strip(text)
    found = []
    depth = 0
    region_start = 0  # where the text before a top-level '{' begins
    open_at = None
    for i, c in enumerate(s):
        if c == '{':
            if depth == 0:
                head = s[region_start:i]
                m = re.search(r'([A-Za-z_]\w*)\s*\(', head)
                if m and head.rstrip().endswith(')') and '=' not in head[:m.start()]:
                    first = region_start + len(head) - len(head.lstrip())
                    open_at = (m.group(1), s.count('\n', 0, first) + 1)
                else:
                    open_at = None
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                if open_at:
                    found.append((open_at[0], open_at[1], s.count('\n', 0, i) + 1))
                open_at = None
                region_start = i + 1
        elif c == ';' and depth == 0:
            region_start = i + 1
    return found


def self_test():
    """The measure on made-up code: exactly at a limit passes, one over fails,
    and braces in comments, strings, characters and macros are not counted."""
    def fn(name, body_lines):  # a function of body_lines + 3 lines
        return f'static int {name}(int a,\n                int b) {{\n' + '    a++; /* { */\n' * body_lines + '}\n'
    text = ('#define M(x) \\\n    { x }\n' + 'static const char *s = "}{";\nstatic char c = \'{\';\n' +
            'static int t[] = {1, 2};\n' + fn('ok', 147) + fn('over', 148))
    got = [(n, b - a + 1) for n, a, b in functions(text)]
    want = [('ok', 150), ('over', 151)]
    ok = got == want
    print(f'{"ok" if ok else "FAIL"} functions measured: {got} (want {want})')
    return 0 if ok else 1


def main():
    if sys.argv[1:] == ['--self-test']:
        rc = self_test()
        print(f'{1 - rc} passed, {rc} failed')
        return rc
    src, allowed_file = sys.argv[1], sys.argv[2]
    allowed = set()
    with open(allowed_file) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                allowed.add(line)
    bad = checked = 0
    for root, _, files in sorted(os.walk(src)):
        for fn in sorted(files):
            if not fn.endswith(('.c', '.h')):
                continue
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, os.path.dirname(os.path.normpath(src)))
            with open(path, encoding='utf-8', errors='replace') as f:
                text = f.read()
            lines = text.count('\n')
            checked += 1
            if lines > MAX_FILE_LINES and rel not in allowed:
                print(f'{rel}: {lines} lines (at most {MAX_FILE_LINES}): split it by job')
                bad += 1
            for name, first, last in functions(text):
                length = last - first + 1
                if length > MAX_FUNCTION_LINES and f'{rel}:{name}' not in allowed:
                    print(f'{rel}:{first}: {name} is {length} lines (at most {MAX_FUNCTION_LINES})')
                    bad += 1
    print(f'{checked} files in {src}: {bad} over the limits')
    print(f'{0 if bad else 1} passed, {1 if bad else 0} failed')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
