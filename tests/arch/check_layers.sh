#!/bin/sh
# Fails on an #include that runs against the layer graph of layers.txt:
# src/<layer>/ and the layer's public header may include only the public
# headers (<portalis/x.h>) and internal headers ("../x/...") of layers it
# may use. Also fails on a public header that layers.txt does not place.
# usage: check_layers.sh LAYERS_TXT SRC_DIR INCLUDE_DIR
# Prints one line per violation and "N passed, M failed".
table=$1 src=$2 inc=$3
awk -v src="$src" -v inc="$inc" '
FNR == NR {
    if ($1 == "layer") { uses[$2] = " " $2 " "; for (i = 3; i <= NF; i++) uses[$2] = uses[$2] $i " "; layers[$2] = 1 }
    if ($1 == "header") owner[$2] = $3
    next
}
{
    file = FILENAME
    layer = ""
    if (index(file, src "/") == 1) { rest = substr(file, length(src) + 2); layer = substr(rest, 1, index(rest, "/") - 1) }
    else if (index(file, inc "/portalis/") == 1) { h = substr(file, length(inc) + 11); layer = owner[h] }
    if (!(layer in layers)) { if (FNR == 1) { printf "%s: not in any layer of layers.txt\n", file; bad++ }; nextfile }
}
/^[ \t]*#[ \t]*include/ {
    line = $0; target = ""
    if (match(line, /[<"]portalis\/[A-Za-z0-9_\/]+\.h[>"]/)) {
        h = substr(line, RSTART + 10, RLENGTH - 11)
        if (!(h in owner)) { printf "%s:%d: <portalis/%s> is not placed in a layer (tests/arch/layers.txt)\n", file, FNR, h; bad++; next }
        target = owner[h]
    } else if (match(line, /"\.\.\/[A-Za-z0-9_]+\//)) {
        target = substr(line, RSTART + 4, RLENGTH - 5)
        if (!(target in layers)) next
    } else next
    checked++
    if (index(uses[layer], " " target " ") == 0) {
        printf "%s:%d: layer %s includes a header of layer %s, which it may not use (docs/architecture.md)\n", file, FNR, layer, target
        bad++
    }
}
END { printf "%d passed, %d failed\n", checked - bad, bad + 0; exit bad > 0 }
' "$table" $(find "$src" "$inc/portalis" -maxdepth 2 -name '*.[ch]' | sort)
