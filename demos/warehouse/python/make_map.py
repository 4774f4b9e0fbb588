#!/usr/bin/env python3
"""Writes a warehouse map in the MAPF benchmark grid format (the Moving AI
Lab's .map: "type octile", "height H", "width W", "map", then H rows of W
cells, '.' free and '@' obstacle; see README.md, "Map format").

Layout: free dock columns on the left and right (the drop-off stations),
then rows of shelf blocks (each `depth` rows deep and `length` cells long,
'@'), one cell apart along a row (cross aisles), with `aisle` free rows
between shelf rows and above the first one.

  make_map.py NAME -o FILE     NAME: small (the default scene) or large
  make_map.py --dock D --length L --cols C --rows R --aisle A --depth P -o FILE
"""
import sys

LAYOUTS = {
    # 54 x 30, 1,060 waypoints: the default scene (20 robots)
    "small": dict(dock=5, length=8, cols=5, rows=7, aisle=2, depth=2),
    # 143 x 122, 10,246 waypoints: the 200-robot benchmark
    "large": dict(dock=6, length=10, cols=12, rows=30, aisle=2, depth=2),
    # 1-cell aisles, as in the benchmark sets' warehouse maps (stress case)
    "narrow": dict(dock=6, length=10, cols=10, rows=10, aisle=1, depth=2),
}


def make(dock, length, cols, rows, aisle, depth):
    w = 2 * dock + cols * (length + 1) - 1
    h = aisle + rows * (depth + aisle)
    grid = [["."] * w for _ in range(h)]
    for r in range(rows):
        y0 = aisle + r * (depth + aisle)
        for c in range(cols):
            x0 = dock + c * (length + 1)
            for y in range(y0, y0 + depth):
                for x in range(x0, x0 + length):
                    grid[y][x] = "@"
    return "type octile\nheight %d\nwidth %d\nmap\n%s\n" % (h, w, "\n".join("".join(row) for row in grid))


def main(argv):
    out = None
    params = {}
    name = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-o":
            out = argv[i + 1]
            i += 2
        elif a.startswith("--") and a[2:] in LAYOUTS["small"]:
            params[a[2:]] = int(argv[i + 1])
            i += 2
        elif a in LAYOUTS:
            name = a
            i += 1
        else:
            print(__doc__)
            return 2
    layout = dict(LAYOUTS[name or "small"])
    layout.update(params)
    text = make(**layout)
    if out:
        with open(out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
