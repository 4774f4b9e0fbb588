# Sourced by the demos' benchmarks: the steady-state CPU cost of one frame.
#
#   per_frame LABEL RUNS N CMD...
#
# runs `CMD... 1` and `CMD... N` alternately, RUNS times each, and prints
# (CPU of N frames - CPU of 1 frame) / (N - 1), user + system, from the
# minimum and from the median of the runs. Subtracting the 1-frame run
# leaves out start-up (loading, translating, building the state); the
# repetition is there because this shared host alternates between a fast
# and a slow phase (the same binary's time can differ by half): the minimum
# is the program's cost, the median what a user here sees.
per_frame() {
    local label=$1 runs=$2 n=$3 t i k
    shift 3
    t=$(mktemp)
    for ((i = 0; i < runs; i++)); do
        for k in 1 "$n"; do
            /usr/bin/time -f "$k %U %S" -o "$t.1" "$@" "$k" > /dev/null 2>&1 ||
                { echo "$label: '$* $k' failed"; rm -f "$t" "$t.1"; return 1; }
            cat "$t.1" >> "$t"
        done
    done
    python3 - "$label" "$n" "$t" << 'PY'
import statistics, sys
label, n = sys.argv[1], int(sys.argv[2])
one, many = [], []
for line in open(sys.argv[3]):
    k, user, system = line.split()
    (one if k == "1" else many).append(float(user) + float(system))
def ms(a, b):
    return 1000 * (a - b) / (n - 1)
lo, med = ms(min(many), min(one)), ms(statistics.median(many), statistics.median(one))
print(f"{label}: {lo:.1f} ms CPU/frame min, {med:.1f} median ({1000 / med:.1f} FPS), "
      f"frames 2-{n}, {len(many)} runs ({n} frames: {min(many):.2f}-{max(many):.2f} s)")
PY
    rm -f "$t" "$t.1"
}
