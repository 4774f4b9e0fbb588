#!/usr/bin/env python3
"""Reference pipeline of the LiDAR demonstration (demos/lidar/README.md).

scan() is the synthetic rotating LiDAR (the WasmSensor module), filter_cloud()
the CropBox + VoxelGrid + StatisticalOutlierRemoval filter (the filter
module). The C (../c/lidar.c) and Rust (../rust/lidar.rs) modules compute the
same values bit for bit: every formula below uses only +, -, *, / and sqrt
(correctly rounded in IEEE 754, so identical in C, Rust and Python), in the
same order, without fused multiply-add; sine and cosine are the polynomials
of sincos() below, not libm's.

Usage: lidar_filter.py check OUT.usda SCENE.usda
  re-runs the pipeline of scene lidar_check (the scene's parameters, read
  from SCENE.usda, at the scan times recorded in its output layer OUT.usda)
  and compares the raw cloud and every recorded filtered point with this
  reference, exactly.
       lidar_filter.py check-filter OUT.usda SCENE.usda
  the same for the filter prims of scene lidar_nonfinite, which filter the
  literal cloud of their inputs:points.
"""
import math
import re
import sys

PI = 3.141592653589793
HALF_PI = PI / 2.0
TWO_OVER_PI = 2.0 / PI
TWO_PI = 2.0 * PI
DEG = PI / 180.0
MASK64 = 0xFFFFFFFFFFFFFFFF
# Irwin-Hall sum of four 16-bit uniforms: mean 131070, variance 4/12 * 65536^2
GAUSS_SCALE = 1.7320508075688772 / 65536.0


def sin_poly(x):
    x2 = x * x
    return x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (
        1.0 / 362880.0 + x2 * (-1.0 / 39916800.0 + x2 * (1.0 / 6227020800.0 + x2 * (
            -1.0 / 1307674368000.0 + x2 * (1.0 / 355687428096000.0)))))))))


def cos_poly(x):
    x2 = x * x
    return 1.0 + x2 * (-1.0 / 2.0 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 + x2 * (
        -1.0 / 3628800.0 + x2 * (1.0 / 479001600.0 + x2 * (-1.0 / 87178291200.0 + x2 * (
            1.0 / 20922789888000.0))))))))


def sincos(a):
    """(cos a, sin a) for a >= -pi/4: reduced to |r| <= pi/4 by quarter turns."""
    k = math.floor(a * TWO_OVER_PI + 0.5)
    r = a - k * HALF_PI
    s = sin_poly(r)
    c = cos_poly(r)
    q = k % 4
    if q == 0:
        return c, s
    if q == 1:
        return -s, c
    if q == 2:
        return -c, -s
    return s, -c


class SplitMix64:
    def __init__(self, state):
        self.state = state & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def unit(x):
    """Top 53 bits of a 64-bit draw as a double in [0, 1)."""
    return (x >> 11) * (1.0 / 9007199254740992.0)


def gauss(x):
    """Approximately standard normal (Irwin-Hall, 4 terms; |g| < 3.47)."""
    s = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48)
    return (s - 131070) * GAUSS_SCALE


def time_bits(t):
    return int.from_bytes(__import__("struct").pack("<d", t), "little")


def frame_state(seed, t):
    """RNG state of the scan at time t: the seed and the bits of t."""
    return ((seed & 0xFFFFFFFF) << 32) ^ time_bits(t)


def box_hit(o, d, lo, hi, tmax):
    """Slab test; distance of the entry point, or -1 (no hit in (0, tmax))."""
    t0, t1 = 0.0, tmax
    for a in range(3):
        if d[a] == 0.0:
            if o[a] < lo[a] or o[a] > hi[a]:
                return -1.0
            continue
        u = (lo[a] - o[a]) / d[a]
        v = (hi[a] - o[a]) / d[a]
        if u > v:
            u, v = v, u
        if u > t0:
            t0 = u
        if v < t1:
            t1 = v
        if t0 > t1:
            return -1.0
    return t0 if t0 > 0.0 else -1.0


def pole_hit(o, d, cx, cy, r, h):
    """Vertical cylinder from z = 0 to z = h (side only); distance or -1."""
    fx = o[0] - cx
    fy = o[1] - cy
    a = d[0] * d[0] + d[1] * d[1]
    if a == 0.0:
        return -1.0
    b = fx * d[0] + fy * d[1]
    c = fx * fx + fy * fy - r * r
    disc = b * b - a * c
    if disc < 0.0:
        return -1.0
    t = (-b - math.sqrt(disc)) / a
    if t <= 0.0:
        return -1.0
    z = o[2] + t * d[2]
    if z < 0.0 or z > h:
        return -1.0
    return t


class Scene:
    """The sensor's parameters (the WasmSensor prim's inputs)."""

    def __init__(self, **kw):
        self.rays = kw.get("rays", 102400)
        self.beams = kw.get("beams", 64)
        self.elevation_min = kw.get("elevation_min", -24.8)
        self.elevation_max = kw.get("elevation_max", 2.0)
        self.max_range = kw.get("max_range", 80.0)
        self.range_noise = kw.get("range_noise", 0.02)
        self.dropout_rate = kw.get("dropout_rate", 0.02)
        self.spurious_rate = kw.get("spurious_rate", 0.005)
        self.seed = kw.get("seed", 7)
        self.origin = kw.get("origin", (0.0, 0.0, 1.8))
        self.boxes = kw.get("boxes", [])        # [(center, size)]
        self.poles = kw.get("poles", [])        # [(x, y, radius)]
        self.pole_height = kw.get("pole_height", 6.0)
        self.vehicle = kw.get("vehicle", ((-20.0, 6.0, 0.8), (4.0, 0.0, 0.0), (4.5, 1.9, 1.6)))


def objects_at(scene, t):
    """Boxes (lo, hi) and poles of the scene at time t; the vehicle last."""
    boxes = []
    for c, s in scene.boxes:
        boxes.append(((c[0] - s[0] / 2.0, c[1] - s[1] / 2.0, c[2] - s[2] / 2.0),
                      (c[0] + s[0] / 2.0, c[1] + s[1] / 2.0, c[2] + s[2] / 2.0)))
    c0, v, s = scene.vehicle
    c = (c0[0] + v[0] * t, c0[1] + v[1] * t, c0[2] + v[2] * t)
    boxes.append(((c[0] - s[0] / 2.0, c[1] - s[1] / 2.0, c[2] - s[2] / 2.0),
                  (c[0] + s[0] / 2.0, c[1] + s[1] / 2.0, c[2] + s[2] / 2.0)))
    return boxes


def column_candidates(o, ca, sa, circles):
    """Indices of the objects whose bounding circle (x, y, r^2) the vertical
    half-plane of azimuth (ca, sa) can meet: conservative culling."""
    out = []
    for i, (cx, cy, r2) in enumerate(circles):
        px = cx - o[0]
        py = cy - o[1]
        along = px * ca + py * sa
        if along < 0.0 and along * along > r2:
            continue
        perp = px * sa - py * ca
        if perp * perp > r2:
            continue
        out.append(i)
    return out


def scan(scene, t):
    """One revolution at time t: rays points (x, y, z) in ray order (azimuth
    step major, beam minor), a no-return ray at the sensor origin; returns
    (points, returns, spurious)."""
    o = scene.origin
    beams = scene.beams
    steps = scene.rays // beams
    boxes = objects_at(scene, t)
    circles = []
    for lo, hi in boxes:
        hx = (hi[0] - lo[0]) / 2.0
        hy = (hi[1] - lo[1]) / 2.0
        circles.append((lo[0] + hx, lo[1] + hy, hx * hx + hy * hy))
    for px, py, pr in scene.poles:
        circles.append((px, py, pr * pr))
    nbox = len(boxes)
    elev = []
    for b in range(beams):
        e = scene.elevation_min + (scene.elevation_max - scene.elevation_min) * b / (beams - 1 if beams > 1 else 1)
        elev.append(sincos(e * DEG))
    rng = SplitMix64(frame_state(scene.seed, t))
    pts = []
    returns = spurious = 0
    for st in range(steps):
        ca, sa = sincos(TWO_PI * st / steps)
        cand = column_candidates(o, ca, sa, circles)
        for b in range(beams):
            ce, se = elev[b]
            d = (ce * ca, ce * sa, se)
            best = scene.max_range
            if d[2] < 0.0:
                tg = -o[2] / d[2]
                if tg < best:
                    best = tg
            for i in cand:
                if i < nbox:
                    th = box_hit(o, d, boxes[i][0], boxes[i][1], best)
                else:
                    px, py, pr = scene.poles[i - nbox]
                    th = pole_hit(o, d, px, py, pr, scene.pole_height)
                if th > 0.0 and th < best:
                    best = th
            x1 = rng.next()
            x2 = rng.next()
            u = unit(x1)
            r = 0.0
            if u < scene.dropout_rate:
                r = 0.0
            elif u < scene.dropout_rate + scene.spurious_rate:
                r = unit(rng.next()) * best
                spurious += 1
            elif best < scene.max_range:
                r = best + scene.range_noise * gauss(x2)
            if r != 0.0:
                returns += 1
            pts.append((o[0] + r * d[0], o[1] + r * d[1], o[2] + r * d[2]))
    pts.extend([tuple(o)] * (scene.rays - steps * beams))
    return pts, returns, spurious


class Filter:
    def __init__(self, **kw):
        self.origin = kw.get("origin", (0.0, 0.0, 1.8))
        self.min_range = kw.get("min_range", 1.0)
        self.crop_min = kw.get("crop_min", (-40.0, -40.0, -1.0))
        self.crop_max = kw.get("crop_max", (40.0, 40.0, 6.0))
        self.leaf = kw.get("leaf", 0.25)
        self.mean_k = kw.get("mean_k", 8)
        self.stddev_mul = kw.get("stddev_mul", 1.0)


# Crop bounds are clamped to +-FAR: a kept coordinate is finite and within
# +-FAR, so no squared distance between centroids overflows (README.md).
FAR = 1e150


def crop(f, pts):
    """Range gate (|p - origin|^2 >= min_range^2) then CropBox (inclusive).
    Points with a NaN coordinate fail the gate, infinite ones and those
    beyond +-FAR the box (its bounds clamped to +-FAR; a NaN bound is no
    bound, a NaN min_range no gate)."""
    o = f.origin
    r2min = f.min_range * f.min_range
    if not r2min >= 0.0:
        r2min = 0.0
    lo = [v if v >= -FAR else -FAR for v in f.crop_min]
    hi = [v if v <= FAR else FAR for v in f.crop_max]
    out = []
    for p in pts:
        dx = p[0] - o[0]
        dy = p[1] - o[1]
        dz = p[2] - o[2]
        if not dx * dx + dy * dy + dz * dz >= r2min:
            continue
        if p[0] < lo[0] or p[1] < lo[1] or p[2] < lo[2] or p[0] > hi[0] or p[1] > hi[1] or p[2] > hi[2]:
            continue
        out.append(p)
    return out


def voxel_grid(f, pts):
    """Centroid per occupied voxel, voxels in ascending linear index
    (x fastest), each centroid summed in input order; returns the centroids
    and their voxels' (x, y, z) indices."""
    if not pts:
        return [], []
    inv = 1.0 / f.leaf
    mn = [pts[0][0], pts[0][1], pts[0][2]]
    mx = list(mn)
    for p in pts:
        for a in range(3):
            if p[a] < mn[a]:
                mn[a] = p[a]
            if p[a] > mx[a]:
                mx[a] = p[a]
    minb = [math.floor(mn[a] * inv) for a in range(3)]
    maxb = [math.floor(mx[a] * inv) for a in range(3)]
    dx = maxb[0] - minb[0] + 1
    dy = maxb[1] - minb[1] + 1
    keys = []
    for i, p in enumerate(pts):
        ix = math.floor(p[0] * inv) - minb[0]
        iy = math.floor(p[1] * inv) - minb[1]
        iz = math.floor(p[2] * inv) - minb[2]
        keys.append(((ix + iy * dx + iz * dx * dy) << 20) | i)
    keys.sort()
    out = []
    cells = []
    j = 0
    n = len(keys)
    while j < n:
        v = keys[j] >> 20
        sx = sy = sz = 0.0
        c = 0
        while j < n and keys[j] >> 20 == v:
            p = pts[keys[j] & 0xFFFFF]
            sx += p[0]
            sy += p[1]
            sz += p[2]
            c += 1
            j += 1
        out.append((sx / c, sy / c, sz / c))
        cells.append((v % dx, v // dx % dy, v // (dx * dy)))
    return out, cells


# In leaves: what a neighbour missing from the 3 x 3 x 3 voxels counts as, and
# the statistic of a centroid without any neighbour there (README.md, "where
# we differ from PCL").
MISS_LEAVES = 3.0
ALONE_LEAVES = 8.0


def block_mean_distances(pts, cells, k, miss, alone):
    """Mean distance of every centroid to its k nearest others among the
    centroids of the 26 voxels around its own (the k smallest distances,
    summed in ascending order, each missing one counting as miss; alone
    without any)."""
    at = {c: i for i, c in enumerate(cells)}
    means = []
    for i, p in enumerate(pts):
        cx, cy, cz = cells[i]
        d = []
        for z in (cz - 1, cz, cz + 1):
            for y in (cy - 1, cy, cy + 1):
                for x in (cx - 1, cx, cx + 1):
                    j = at.get((x, y, z))
                    if j is None or j == i:
                        continue
                    q = pts[j]
                    ddx = p[0] - q[0]
                    ddy = p[1] - q[1]
                    ddz = p[2] - q[2]
                    d.append(ddx * ddx + ddy * ddy + ddz * ddz)
        d.sort()
        s = 0.0
        for d2 in d[:k]:
            s += math.sqrt(d2)
        means.append((s + (k - len(d[:k])) * miss) / k if d else alone)
    return means


def outlier_removal(f, pts, cells):
    """StatisticalOutlierRemoval: keep points whose mean distance to their k
    nearest neighbours in the 3 x 3 x 3 voxels is <= mean + stddev_mul *
    stddev (sample standard deviation), input order."""
    k = f.mean_k
    if len(pts) <= k or k < 1:
        return list(pts)
    d = block_mean_distances(pts, cells, k, MISS_LEAVES * f.leaf, ALONE_LEAVES * f.leaf)
    s = 0.0
    sq = 0.0
    for v in d:
        s += v
        sq += v * v
    n = len(d)
    mean = s / n
    var = (sq - s * s / n) / (n - 1)
    thr = mean + f.stddev_mul * math.sqrt(var if var > 0.0 else 0.0)
    return [p for p, v in zip(pts, d) if v <= thr]


def filter_cloud(f, pts):
    return outlier_removal(f, *voxel_grid(f, crop(f, pts)))


# ---- check against an output layer --------------------------------------------------

def _floats(text):
    return [float(x) for x in re.findall(r"[-+0-9.eEinfa]+", text) if x not in ("e", "E")]


def _attr_samples(layer, prim, name):
    """{timecode: text of the value} of `name.timeSamples` on the prim named
    `prim` in a usda layer."""
    start = layer.find('"%s"' % prim)
    m = re.compile(re.escape(name) + r"\.timeSamples\s*=\s*\{").search(layer, start if start >= 0 else 0)
    if not m:
        raise SystemExit("lidar_filter.py: no time samples of %s in the layer" % name)
    i = m.end()
    out = {}
    while True:
        m = re.compile(r"\s*(-?[0-9.e+]+)\s*:\s*").match(layer, i)
        if not m:
            break
        tc = float(m.group(1))
        j = m.end()
        depth = 0
        k = j
        while True:
            ch = layer[k]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif ch == "," and depth == 0:
                break
            elif ch == "}" and depth == 0:
                break
            k += 1
        out[tc] = layer[j:k]
        i = k + 1 if layer[k] == "," else k
    return out


def _scene_arrays(scene_text, name):
    m = re.search(r"\b" + re.escape(name) + r"\s*=\s*(\[[^\]]*\]|[-+0-9.e]+)", scene_text)
    if not m:
        raise SystemExit("lidar_filter.py: the scene has no %s" % name)
    v = _floats(m.group(1))
    return v


def check(out_path, scene_path):
    """Compares the filtered clouds of an output layer with the reference."""
    layer = open(out_path).read()
    text = open(scene_path).read()
    g = lambda n: _scene_arrays(text, n)
    trip = lambda v: [tuple(v[i:i + 3]) for i in range(0, len(v), 3)]
    # the sensor's box inputs are connected to the Box prims' translates and scales
    boxes = re.findall(r'def Cube "Box\d+"\s*\{[^}]*?double3 xformOp:translate = (\([^)]*\))'
                       r'[^}]*?double3 xformOp:scale = (\([^)]*\))', text)
    if not boxes:
        raise SystemExit("lidar_filter.py: the scene has no Box prims")
    centers = [tuple(_floats(c)) for c, _ in boxes]
    sizes = [tuple(_floats(z)) for _, z in boxes]
    vs, vv, vz = trip(g("inputs:vehicleStart"))[0], trip(g("inputs:vehicleVelocity"))[0], \
        trip(g("inputs:vehicleSize"))[0]
    sc = Scene(rays=int(g("wasm:outputs:points:capacity")[0]), beams=int(g("inputs:beams")[0]),
               elevation_min=g("inputs:elevationMin")[0], elevation_max=g("inputs:elevationMax")[0],
               max_range=g("inputs:maxRange")[0], range_noise=g("inputs:rangeNoise")[0],
               dropout_rate=g("inputs:dropoutRate")[0], spurious_rate=g("inputs:spuriousRate")[0],
               seed=int(g("inputs:seed")[0]), origin=trip(g("inputs:origin"))[0],
               boxes=list(zip(centers, sizes)), poles=trip(g("inputs:poles")),
               pole_height=g("inputs:poleHeight")[0], vehicle=(vs, vv, vz))
    cb = trip(g("inputs:cropBox"))
    fl = Filter(origin=sc.origin, min_range=g("inputs:minRange")[0], crop_min=cb[0], crop_max=cb[1],
                leaf=g("inputs:leafSize")[0], mean_k=int(g("inputs:meanK")[0]),
                stddev_mul=g("inputs:stddevMul")[0])
    info = _attr_samples(layer, "Lidar", "double3 outputs:scanInfo")
    raws = _attr_samples(layer, "Lidar", "double3[] outputs:points")
    pts = _attr_samples(layer, "Filter", "double3[] outputs:points")
    frames = 0
    for tc in sorted(info):
        t, nret, nspur = _floats(info[tc])
        raw, r, s = scan(sc, t)
        ref = filter_cloud(fl, raw)
        got = trip(_floats(pts[tc]))
        if (r, s) != (int(nret), int(nspur)):
            raise SystemExit("time code %g: returns/spurious %d/%d, reference %d/%d" % (tc, nret, nspur, r, s))
        if trip(_floats(raws[tc])) != raw:
            raise SystemExit("time code %g: the raw cloud differs from the reference's" % tc)
        if len(got) != len(ref):
            raise SystemExit("time code %g: %d filtered points, reference %d" % (tc, len(got), len(ref)))
        for i in range(len(ref)):
            if got[i] != ref[i]:
                raise SystemExit("time code %g: point %d is %r, reference %r" % (tc, i, got[i], ref[i]))
        n = len(ref)
        frames += 1
        print("time code %g: t=%r, %d returns (%d spurious), %d filtered points: identical" % (tc, t, r, s, n))
    if not frames:
        raise SystemExit("lidar_filter.py: no frames in %s" % out_path)
    print("lidar reference: %d frames identical" % frames)


def _prim_text(text, name):
    """The body of prim `name` in a usda text (up to its closing brace)."""
    m = re.search(r'def \w+ "%s"' % re.escape(name), text)
    if not m:
        raise SystemExit("lidar_filter.py: the scene has no prim %s" % name)
    i = m.end()
    while text[i].isspace():
        i += 1
    if text[i] == "(":  # the prim's metadata
        depth = 0
        for i in range(i, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                break
    i = text.index("{", i)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j + 1]
    raise SystemExit("lidar_filter.py: prim %s is not closed" % name)


def check_filter(out_path, scene_path):
    """Compares the outputs of the scene's lidar_filter prims, which filter
    the literal cloud of their inputs:points, with filter_cloud()."""
    layer = open(out_path).read()
    text = open(scene_path).read()
    trip = lambda v: [tuple(v[i:i + 3]) for i in range(0, len(v), 3)]
    names = re.findall(r'def WasmModule "(\w+)"', text)
    if not names:
        raise SystemExit("lidar_filter.py: no filter prims in %s" % scene_path)
    for name in names:
        body = _prim_text(text, name)
        g = lambda n: _scene_arrays(body, n)
        cb = trip(g("inputs:cropBox"))
        fl = Filter(origin=trip(g("inputs:origin"))[0], min_range=g("inputs:minRange")[0], crop_min=cb[0],
                    crop_max=cb[1], leaf=g("inputs:leafSize")[0], mean_k=int(g("inputs:meanK")[0]),
                    stddev_mul=g("inputs:stddevMul")[0])
        raw = trip(g("inputs:points"))
        ref = filter_cloud(fl, raw)
        samples = _attr_samples(layer, name, "double3[] outputs:points")
        if not samples:
            raise SystemExit("lidar_filter.py: no samples of %s.outputs:points" % name)
        for tc in sorted(samples):
            got = trip(_floats(samples[tc]))
            if got != ref:
                raise SystemExit("%s, time code %g: %d points %r, reference %d points %r" %
                                 (name, tc, len(got), got[:4], len(ref), ref[:4]))
        bad = sum(1 for p in raw if not all(math.isfinite(c) and abs(c) <= FAR for c in p))
        print("%s: %d points (%d non-finite or beyond 1e150) -> %d filtered points, identical in %d frames" %
              (name, len(raw), bad, len(ref), len(samples)))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "check-filter":
        check_filter(sys.argv[2], sys.argv[3])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
