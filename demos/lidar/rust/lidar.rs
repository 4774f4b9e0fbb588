//! The LiDAR demonstration in Rust: lidar_scan (the WasmSensor) and
//! lidar_filter (CropBox + VoxelGrid + StatisticalOutlierRemoval), the same
//! exports and bit-identical results as ../c/lidar*.c and
//! ../python/lidar_filter.py (only +, -, *, /, sqrt, floor, in the same
//! order; Rust never contracts into fused multiply-add). Built with
//!   rustc --target wasm32-unknown-unknown -O --crate-type cdylib -C strip=symbols lidar.rs
//! Module ABI v1, bulk arrays (docs/abi.md (c)); see ../README.md.

use std::slice::{from_raw_parts, from_raw_parts_mut};

const PI: f64 = 3.141592653589793;
const HALF_PI: f64 = PI / 2.0;
const TWO_OVER_PI: f64 = 2.0 / PI;
const TWO_PI: f64 = 2.0 * PI;
const DEG: f64 = PI / 180.0;
const GAUSS_SCALE: f64 = 1.7320508075688772 / 65536.0;
const KMAX: usize = 64;

fn sin_poly(x: f64) -> f64 {
    let x2 = x * x;
    x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (
        1.0 / 362880.0 + x2 * (-1.0 / 39916800.0 + x2 * (1.0 / 6227020800.0 + x2 * (
            -1.0 / 1307674368000.0 + x2 * (1.0 / 355687428096000.0)))))))))
}

fn cos_poly(x: f64) -> f64 {
    let x2 = x * x;
    1.0 + x2 * (-1.0 / 2.0 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 + x2 * (
        -1.0 / 3628800.0 + x2 * (1.0 / 479001600.0 + x2 * (-1.0 / 87178291200.0 + x2 * (
            1.0 / 20922789888000.0))))))))
}

/// (cos a, sin a), reduced to |r| <= pi/4 by quarter turns.
fn sincos(a: f64) -> (f64, f64) {
    let k = (a * TWO_OVER_PI + 0.5).floor();
    let r = a - k * HALF_PI;
    let (s, c) = (sin_poly(r), cos_poly(r));
    match ((k as i64) % 4 + 4) % 4 {
        0 => (c, s),
        1 => (-s, c),
        2 => (-c, -s),
        _ => (s, -c),
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E3779B97F4A7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^ (z >> 31)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / 9007199254740992.0)
}

fn gauss(x: u64) -> f64 {
    let s = (x & 0xFFFF) as i64 + ((x >> 16) & 0xFFFF) as i64 + ((x >> 32) & 0xFFFF) as i64 + (x >> 48) as i64;
    (s - 131070) as f64 * GAUSS_SCALE
}

fn box_hit(o: &[f64; 3], d: &[f64; 3], lo: &[f64; 3], hi: &[f64; 3], tmax: f64) -> f64 {
    let (mut t0, mut t1) = (0.0, tmax);
    for a in 0..3 {
        if d[a] == 0.0 {
            if o[a] < lo[a] || o[a] > hi[a] {
                return -1.0;
            }
            continue;
        }
        let mut u = (lo[a] - o[a]) / d[a];
        let mut v = (hi[a] - o[a]) / d[a];
        if u > v {
            std::mem::swap(&mut u, &mut v);
        }
        if u > t0 {
            t0 = u;
        }
        if v < t1 {
            t1 = v;
        }
        if t0 > t1 {
            return -1.0;
        }
    }
    if t0 > 0.0 { t0 } else { -1.0 }
}

fn pole_hit(o: &[f64; 3], d: &[f64; 3], p: &[f64], h: f64) -> f64 {
    let (fx, fy) = (o[0] - p[0], o[1] - p[1]);
    let a = d[0] * d[0] + d[1] * d[1];
    if a == 0.0 {
        return -1.0;
    }
    let b = fx * d[0] + fy * d[1];
    let c = fx * fx + fy * fy - p[2] * p[2];
    let disc = b * b - a * c;
    if disc < 0.0 {
        return -1.0;
    }
    let t = (-b - disc.sqrt()) / a;
    if t <= 0.0 {
        return -1.0;
    }
    let z = o[2] + t * d[2];
    if z < 0.0 || z > h { -1.0 } else { t }
}

struct Scene<'a> {
    origin: [f64; 3],
    lo: Vec<[f64; 3]>,
    hi: Vec<[f64; 3]>,
    circle: Vec<[f64; 3]>,
    poles: &'a [f64],
    pole_height: f64,
}

impl<'a> Scene<'a> {
    fn add_box(&mut self, c: &[f64], s: &[f64]) {
        let mut lo = [0.0; 3];
        let mut hi = [0.0; 3];
        for a in 0..3 {
            lo[a] = c[a] - s[a] / 2.0;
            hi[a] = c[a] + s[a] / 2.0;
        }
        let (hx, hy) = ((hi[0] - lo[0]) / 2.0, (hi[1] - lo[1]) / 2.0);
        self.circle.push([lo[0] + hx, lo[1] + hy, hx * hx + hy * hy]);
        self.lo.push(lo);
        self.hi.push(hi);
    }

    fn candidates(&self, ca: f64, sa: f64, out: &mut Vec<usize>) {
        out.clear();
        for (i, c) in self.circle.iter().enumerate() {
            let (px, py, r2) = (c[0] - self.origin[0], c[1] - self.origin[1], c[2]);
            let along = px * ca + py * sa;
            if along < 0.0 && along * along > r2 {
                continue;
            }
            let perp = px * sa - py * ca;
            if perp * perp > r2 {
                continue;
            }
            out.push(i);
        }
    }

    /// The first surface along d, given the ground's distance (or max_range) as best.
    fn cast(&self, cand: &[usize], d: &[f64; 3], mut best: f64) -> f64 {
        let o = &self.origin;
        let nbox = self.lo.len();
        for &i in cand {
            let th = if i < nbox {
                box_hit(o, d, &self.lo[i], &self.hi[i], best)
            } else {
                let k = 3 * (i - nbox);
                pole_hit(o, d, &self.poles[k..k + 3], self.pole_height)
            };
            if th > 0.0 && th < best {
                best = th;
            }
        }
        best
    }
}

static mut SCAN_INFO: [f64; 3] = [0.0; 3];

fn nonneg(n: i32) -> usize {
    if n < 0 { 0 } else { n as usize }
}

/// Returns a pointer to (time, returns, spurious returns).
#[no_mangle]
pub unsafe extern "C" fn lidar_scan(rays: i32, time: f64, beams: i32, elev_min: f64,
                                    elev_max: f64, max_range: f64, range_noise: f64, dropout: f64,
                                    spurious: f64, seed: i32, origin: *const f64, nbox: i32,
                                    box_centers: *const f64, nsize: i32, box_sizes: *const f64, npole: i32,
                                    poles: *const f64, pole_height: f64, vehicle_start: *const f64,
                                    vehicle_velocity: *const f64, vehicle_size: *const f64,
                                    out: *mut f64) -> *const f64 {
    let rays = nonneg(rays);
    let out = from_raw_parts_mut(out, 3 * rays);
    let o = from_raw_parts(origin, 3);
    let nb = nonneg(nbox.min(nsize)).min(127);
    let centers = from_raw_parts(box_centers, 3 * nb);
    let sizes = from_raw_parts(box_sizes, 3 * nb);
    let np = nonneg(npole).min(128);
    let mut sc = Scene {
        origin: [o[0], o[1], o[2]],
        lo: Vec::new(),
        hi: Vec::new(),
        circle: Vec::new(),
        poles: from_raw_parts(poles, 3 * np),
        pole_height,
    };
    for i in 0..nb {
        sc.add_box(&centers[3 * i..3 * i + 3], &sizes[3 * i..3 * i + 3]);
    }
    let (vs, vv) = (from_raw_parts(vehicle_start, 3), from_raw_parts(vehicle_velocity, 3));
    let vc = [vs[0] + vv[0] * time, vs[1] + vv[1] * time, vs[2] + vv[2] * time];
    sc.add_box(&vc, from_raw_parts(vehicle_size, 3));
    for i in 0..np {
        sc.circle.push([sc.poles[3 * i], sc.poles[3 * i + 1], sc.poles[3 * i + 2] * sc.poles[3 * i + 2]]);
    }
    let beams = beams.clamp(1, 1024) as usize;
    let steps = rays / beams;
    let den = if beams > 1 { (beams - 1) as f64 } else { 1.0 };
    let elev: Vec<(f64, f64)> =
        (0..beams).map(|b| sincos((elev_min + (elev_max - elev_min) * b as f64 / den) * DEG)).collect();
    // the ground plane along a beam is as far at every azimuth
    let ground: Vec<f64> = elev
        .iter()
        .map(|e| {
            let tg = if e.1 < 0.0 { -o[2] / e.1 } else { max_range };
            if tg < max_range { tg } else { max_range }
        })
        .collect();
    let mut state = ((seed as u32 as u64) << 32) ^ time.to_bits();
    let (mut nret, mut nspur) = (0i32, 0i32);
    let mut cand = Vec::new();
    for st in 0..steps {
        let (ca, sa) = sincos(TWO_PI * st as f64 / steps as f64);
        sc.candidates(ca, sa, &mut cand);
        for b in 0..beams {
            let i = st * beams + b;
            let d = [elev[b].0 * ca, elev[b].0 * sa, elev[b].1];
            let best = if cand.is_empty() { ground[b] } else { sc.cast(&cand, &d, ground[b]) };
            let (x1, x2) = (splitmix(&mut state), splitmix(&mut state));
            let u = unit(x1);
            let mut r = 0.0;
            if u < dropout {
                r = 0.0;
            } else if u < dropout + spurious {
                r = unit(splitmix(&mut state)) * best;
                nspur += 1;
            } else if best < max_range {
                r = best + range_noise * gauss(x2);
            }
            if r != 0.0 {
                nret += 1;
            }
            out[3 * i] = o[0] + r * d[0];
            out[3 * i + 1] = o[1] + r * d[1];
            out[3 * i + 2] = o[2] + r * d[2];
        }
    }
    for i in steps * beams..rays {
        out[3 * i..3 * i + 3].copy_from_slice(o);
    }
    SCAN_INFO = [time, nret as f64, nspur as f64];
    SCAN_INFO.as_ptr()
}

struct Filter {
    origin: [f64; 3],
    min_range: f64,
    lo: [f64; 3],
    hi: [f64; 3],
    leaf: f64,
    k: usize,
    stddev_mul: f64,
}

fn crop(f: &Filter, pts: &[f64], out: &mut Vec<f64>) {
    out.clear();
    let r2min = f.min_range * f.min_range;
    let (o, lo, hi) = (&f.origin, &f.lo, &f.hi);
    for p in pts.chunks_exact(3) {
        let (dx, dy, dz) = (p[0] - o[0], p[1] - o[1], p[2] - o[2]);
        if dx * dx + dy * dy + dz * dz < r2min {
            continue;
        }
        if p[0] < lo[0] || p[1] < lo[1] || p[2] < lo[2] || p[0] > hi[0] || p[1] > hi[1] || p[2] > hi[2] {
            continue;
        }
        out.extend_from_slice(p);
    }
}

fn voxel_grid(f: &Filter, pts: &[f64], keys: &mut Vec<u64>, out: &mut Vec<f64>) {
    out.clear();
    let n = pts.len() / 3;
    if n == 0 {
        return;
    }
    let inv = 1.0 / f.leaf;
    let (mut mn, mut mx) = ([pts[0], pts[1], pts[2]], [pts[0], pts[1], pts[2]]);
    for p in pts.chunks_exact(3) {
        for a in 0..3 {
            if p[a] < mn[a] {
                mn[a] = p[a];
            }
            if p[a] > mx[a] {
                mx[a] = p[a];
            }
        }
    }
    let minb: Vec<i64> = (0..3).map(|a| (mn[a] * inv).floor() as i64).collect();
    let div: Vec<i64> = (0..3).map(|a| (mx[a] * inv).floor() as i64 - minb[a] + 1).collect();
    keys.clear();
    for (i, p) in pts.chunks_exact(3).enumerate() {
        let ix = (p[0] * inv).floor() as i64 - minb[0];
        let iy = (p[1] * inv).floor() as i64 - minb[1];
        let iz = (p[2] * inv).floor() as i64 - minb[2];
        keys.push(((ix + iy * div[0] + iz * div[0] * div[1]) as u64) << 20 | i as u64);
    }
    keys.sort_unstable(); // keys are distinct
    let mut j = 0;
    while j < n {
        let v = keys[j] >> 20;
        let (mut sx, mut sy, mut sz, mut c) = (0.0, 0.0, 0.0, 0usize);
        while j < n && keys[j] >> 20 == v {
            let p = 3 * (keys[j] & 0xFFFFF) as usize;
            sx += pts[p];
            sy += pts[p + 1];
            sz += pts[p + 2];
            c += 1;
            j += 1;
        }
        out.extend_from_slice(&[sx / c as f64, sy / c as f64, sz / c as f64]);
    }
}

fn keep_best(best: &mut [f64; KMAX], nb: &mut usize, k: usize, d2: f64) {
    if *nb == k && d2 >= best[k - 1] {
        return;
    }
    let mut m = if *nb < k {
        *nb += 1;
        *nb - 1
    } else {
        k - 1
    };
    while m > 0 && best[m - 1] > d2 {
        best[m] = best[m - 1];
        m -= 1;
    }
    best[m] = d2;
}

/// The uniform grid of the k-nearest-neighbour search (see
/// ../c/lidar_filter.c): cells of `cell` metres (twice the leaf, coarser
/// when the box would need more than about 8 cells a point) from org, the
/// points sorted by cell (pts, and idx their input index), cstart[c] the
/// first point of cell c. margin keeps the distance bounds conservative
/// whatever floor() rounded to.
struct Grid {
    org: [f64; 3],
    cell: f64,
    margin: f64,
    dim: [i64; 3],
    pts: Vec<f64>,
    idx: Vec<u32>,
    cstart: Vec<i32>,
    gsq: Vec<f64>, // squared gaps of the shell search: 3 axes x (2 gmax + 1)
    gmax: i64,
}

impl Grid {
    fn cell_of(&self, p: &[f64], a: usize) -> i64 {
        let c = ((p[a] - self.org[a]) / self.cell).floor() as i64;
        if c < 0 { 0 } else if c >= self.dim[a] { self.dim[a] - 1 } else { c }
    }

    fn cell_index(&self, c: &[i64; 3]) -> usize {
        (c[0] + self.dim[0] * (c[1] + self.dim[1] * c[2])) as usize
    }

    fn build(pts: &[f64], leaf: f64, cells: &mut Vec<u32>) -> Grid {
        let n = pts.len() / 3;
        let (mut mn, mut mx) = ([pts[0], pts[1], pts[2]], [pts[0], pts[1], pts[2]]);
        for p in pts.chunks_exact(3) {
            for a in 0..3 {
                mn[a] = mn[a].min(p[a]);
                mx[a] = mx[a].max(p[a]);
            }
        }
        let mut big: f64 = 0.0;
        for a in 0..3 {
            big = big.max(mn[a].abs().max(mx[a].abs()));
        }
        let mut g = Grid { org: mn, cell: 2.0 * leaf, margin: 0.0, dim: [0; 3], pts: Vec::new(), idx: Vec::new(),
                           cstart: Vec::new(), gsq: Vec::new(), gmax: 0 };
        loop {
            let mut total = 1.0;
            for a in 0..3 {
                g.dim[a] = ((mx[a] - mn[a]) / g.cell).floor() as i64 + 1;
                total *= g.dim[a] as f64;
            }
            if total <= 8.0 * n as f64 + 65536.0 {
                break;
            }
            g.cell *= 2.0;
        }
        g.margin = (big + g.cell) * 1e-9;
        g.gmax = g.dim[0].max(g.dim[1]).max(g.dim[2]);
        g.gsq = vec![0.0; 3 * (2 * g.gmax as usize + 1)];
        let nc = (g.dim[0] * g.dim[1] * g.dim[2]) as usize;
        g.cstart = vec![0; nc + 1];
        cells.clear();
        for p in pts.chunks_exact(3) {
            let c = [g.cell_of(p, 0), g.cell_of(p, 1), g.cell_of(p, 2)];
            let ci = g.cell_index(&c);
            cells.push(ci as u32);
            g.cstart[ci + 1] += 1;
        }
        for c in 0..nc {
            g.cstart[c + 1] += g.cstart[c];
        }
        g.pts = vec![0.0; 3 * n];
        g.idx = vec![0; n];
        for (i, &ci) in cells.iter().enumerate() {
            // counting sort; cstart[c] ends at the next cell's start
            let t = g.cstart[ci as usize] as usize;
            g.cstart[ci as usize] += 1;
            g.idx[t] = i as u32;
            g.pts[3 * t..3 * t + 3].copy_from_slice(&pts[3 * i..3 * i + 3]);
        }
        for c in (0..nc).rev() {
            g.cstart[c + 1] = g.cstart[c];
        }
        g.cstart[0] = 0;
        g
    }
}

/// One query: point t of the grid's order, its cell and offsets in it, the
/// k nearest squared distances so far (sorted), and lim, above which no
/// k-th nearest lies.
struct Query {
    t: usize,
    p: [f64; 3],
    c: [i64; 3],
    off: [f64; 3],
    best: [f64; KMAX],
    nb: usize,
    k: usize,
    lim: f64,
}

impl Query {
    fn threshold(&self) -> f64 {
        if self.nb < self.k { self.lim } else { self.best[self.k - 1] }
    }

    /// Lower bound of the distance along axis a to cells c + d.
    fn gap(&self, g: &Grid, a: usize, d: i64) -> f64 {
        if d == 0 {
            return 0.0;
        }
        let v = if d > 0 { d as f64 * g.cell - self.off[a] } else { self.off[a] + (-d - 1) as f64 * g.cell };
        let v = v - g.margin;
        if v > 0.0 { v } else { 0.0 }
    }

    /// The points of g.pts[lo..hi) nearer than the k-th so far (or lim).
    fn visit_range(&mut self, g: &Grid, lo: usize, hi: usize) {
        let mut thr = self.threshold();
        for j in lo..hi {
            let r = &g.pts[3 * j..3 * j + 3];
            let (ex, ey, ez) = (self.p[0] - r[0], self.p[1] - r[1], self.p[2] - r[2]);
            let d2 = ex * ex + ey * ey + ez * ez;
            if d2 <= thr && j != self.t {
                keep_best(&mut self.best, &mut self.nb, self.k, d2);
                thr = self.threshold();
            }
        }
    }

    /// A lower bound of the distance to any point outside the (2R + 1)^3
    /// cells around the query's; infinity when there are no such cells.
    fn outside_bound(&self, g: &Grid, r: i64) -> f64 {
        let mut b = f64::INFINITY;
        for a in 0..3 {
            let lo = if self.c[a] - r > 0 { self.gap(g, a, -r - 1) } else { f64::INFINITY };
            let hi = if self.c[a] + r < g.dim[a] - 1 { self.gap(g, a, r + 1) } else { f64::INFINITY };
            b = if lo < b { lo } else { b };
            b = if hi < b { hi } else { b };
        }
        b
    }

    fn done(&self, g: &Grid, r: i64) -> bool {
        let b = self.outside_bound(g, r);
        b == f64::INFINITY || (self.nb == self.k && b * b >= self.best[self.k - 1])
    }

    /// Row (dy, dz) of cells dx in [xlo, xhi] (clipped to the grid), less the
    /// end cells beyond the k-th so far; gsq[x0 + dx]: squared gap along x.
    fn visit_row(&mut self, g: &Grid, dy: i64, dz: i64, mut xlo: i64, mut xhi: i64, x0: usize, g2: f64) {
        while xlo <= xhi && g2 + g.gsq[(x0 as i64 + xlo) as usize] > self.threshold() {
            xlo += 1;
        }
        while xhi >= xlo && g2 + g.gsq[(x0 as i64 + xhi) as usize] > self.threshold() {
            xhi -= 1;
        }
        if xlo > xhi {
            return;
        }
        let row = g.dim[0] * (self.c[1] + dy + g.dim[1] * (self.c[2] + dz)) + self.c[0];
        self.visit_range(g, g.cstart[(row + xlo) as usize] as usize, g.cstart[(row + xhi + 1) as usize] as usize);
    }

    /// Shells r0, r0 + 1, ... around the query's cell (r0 >= 1) until no
    /// point outside them can be nearer than the k-th found.
    fn shells(&mut self, g: &mut Grid, r0: i64) {
        let gm = g.gmax as usize;
        let centre = move |a: usize| a * (2 * gm + 1) + gm; // gsq[centre(a) + d], d in -gmax..gmax
        for a in 0..3 {
            for d in 0..r0 {
                let (lo, hi) = (self.gap(g, a, -d), self.gap(g, a, d));
                g.gsq[centre(a) - d as usize] = lo * lo;
                g.gsq[centre(a) + d as usize] = hi * hi;
            }
        }
        let mut r = r0;
        while !self.done(g, r - 1) {
            for a in 0..3 {
                let (lo, hi) = (self.gap(g, a, -r), self.gap(g, a, r));
                g.gsq[centre(a) - r as usize] = lo * lo;
                g.gsq[centre(a) + r as usize] = hi * hi;
            }
            let (mut lo, mut hi) = ([0i64; 3], [0i64; 3]);
            for a in 0..3 {
                lo[a] = if self.c[a] - r < 0 { -self.c[a] } else { -r };
                hi[a] = if self.c[a] + r >= g.dim[a] { g.dim[a] - 1 - self.c[a] } else { r };
            }
            let g: &Grid = g;
            for dz in lo[2]..=hi[2] {
                let gz = g.gsq[(centre(2) as i64 + dz) as usize];
                if gz > self.threshold() {
                    continue;
                }
                for dy in lo[1]..=hi[1] {
                    let g2 = gz + g.gsq[(centre(1) as i64 + dy) as usize];
                    if g2 > self.threshold() {
                        continue;
                    }
                    if dz > -r && dz < r && dy > -r && dy < r {
                        // inner row: its two new cells
                        if lo[0] == -r {
                            self.visit_row(g, dy, dz, -r, -r, centre(0), g2);
                        }
                        if hi[0] == r {
                            self.visit_row(g, dy, dz, r, r, centre(0), g2);
                        }
                    } else {
                        self.visit_row(g, dy, dz, lo[0], hi[0], centre(0), g2);
                    }
                }
            }
            r += 1;
        }
    }
}

/// The k nearest of point t are within r + |t - u| of it, r the k-th
/// distance of point u: a bound for the search, widened far beyond rounding.
fn next_limit(g: &Grid, t: usize, u: usize, kth: f64) -> f64 {
    let (a, b) = (&g.pts[3 * t..3 * t + 3], &g.pts[3 * u..3 * u + 3]);
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    let r = kth.sqrt() + (dx * dx + dy * dy + dz * dz).sqrt();
    r * r * (1.0 + 1e-9) + 1e-300
}

/// Mean distance from point t to its k nearest others: the 3 x 3 x 3 cells
/// around its cell (ranges, found once a cell) with points beyond lim
/// skipped, then shells from distance 2 while a point outside could be
/// nearer. The k distances are summed in ascending order (exact k nearest:
/// equal distances are equal values). Also returns the k-th (squared).
fn mean_knn(g: &mut Grid, t: usize, k: usize, lim: f64, ranges: &[(usize, usize)]) -> (f64, f64) {
    let p = [g.pts[3 * t], g.pts[3 * t + 1], g.pts[3 * t + 2]];
    let mut q = Query { t, p, c: [0; 3], off: [0.0; 3], best: [0.0; KMAX], nb: 0, k, lim };
    for &(lo, hi) in ranges {
        q.visit_range(g, lo, hi);
    }
    for a in 0..3 {
        q.c[a] = g.cell_of(&p, a);
        q.off[a] = p[a] - (g.org[a] + q.c[a] as f64 * g.cell);
    }
    if !q.done(g, 1) {
        q.shells(g, 2);
    }
    let mut s = 0.0;
    for m in 0..q.nb {
        s += q.best[m].sqrt();
    }
    (s / k as f64, q.best[k - 1])
}

/// The ranges of g.pts in the 3 x 3 x 3 cells around cell c (a row's three
/// cells are adjacent), its own row first.
fn block_ranges(g: &Grid, c: &[i64; 3], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let xlo = if c[0] > 0 { c[0] - 1 } else { 0 };
    let xhi = if c[0] + 1 < g.dim[0] { c[0] + 1 } else { c[0] };
    for r in 0..9 {
        let (y, z) = (c[1] + (r + 1) % 3 - 1, c[2] + (r / 3 + 1) % 3 - 1);
        if y < 0 || z < 0 || y >= g.dim[1] || z >= g.dim[2] {
            continue;
        }
        let row = g.dim[0] * (y + g.dim[1] * z);
        let (lo, hi) = (g.cstart[(row + xlo) as usize] as usize, g.cstart[(row + xhi + 1) as usize] as usize);
        if hi > lo {
            out.push((lo, hi));
        }
    }
}

fn outlier_removal(f: &Filter, pts: &mut Vec<f64>, mean: &mut Vec<f64>, cells: &mut Vec<u32>) {
    let n = pts.len() / 3;
    let k = f.k;
    if n <= k || k < 1 {
        return;
    }
    let mut g = Grid::build(pts, f.leaf, cells);
    mean.clear();
    mean.resize(n, 0.0);
    // queries cell by cell, each bounded by the previous one; results in input order
    let mut ranges = Vec::with_capacity(9);
    let (mut t, mut kth) = (0usize, 0.0);
    while t < n {
        let p = [g.pts[3 * t], g.pts[3 * t + 1], g.pts[3 * t + 2]];
        let c = [g.cell_of(&p, 0), g.cell_of(&p, 1), g.cell_of(&p, 2)];
        block_ranges(&g, &c, &mut ranges);
        let end = g.cstart[g.cell_index(&c) + 1] as usize;
        while t < end {
            let lim = if t > 0 { next_limit(&g, t, t - 1, kth) } else { f64::INFINITY };
            let (m, kt) = mean_knn(&mut g, t, k, lim, &ranges);
            mean[g.idx[t] as usize] = m;
            kth = kt;
            t += 1;
        }
    }
    let (mut s, mut sq) = (0.0, 0.0);
    for &v in mean.iter() {
        s += v;
        sq += v * v;
    }
    let nf = n as f64;
    let var = (sq - s * s / nf) / (nf - 1.0);
    let thr = s / nf + f.stddev_mul * (if var > 0.0 { var } else { 0.0 }).sqrt();
    let mut m = 0;
    for i in 0..n {
        if mean[i] <= thr {
            pts.copy_within(3 * i..3 * i + 3, 3 * m);
            m += 1;
        }
    }
    pts.truncate(3 * m);
}

struct Scratch {
    cropped: Vec<f64>,
    vox: Vec<f64>,
    keys: Vec<u64>,
    mean: Vec<f64>,
    cells: Vec<u32>,
}

static mut SCRATCH: Scratch =
    Scratch { cropped: Vec::new(), vox: Vec::new(), keys: Vec::new(), mean: Vec::new(), cells: Vec::new() };

/// Filters n points into out (room for cap points); returns the number of
/// filtered points written (the host's "count:outputs:points" result).
#[no_mangle]
pub unsafe extern "C" fn lidar_filter(n: i32, pts: *const f64, origin: *const f64, min_range: f64,
                                      crop_box: *const f64, leaf: f64, mean_k: i32, stddev_mul: f64, cap: i32,
                                      out: *mut f64) -> i32 {
    let (n, cap) = (nonneg(n), nonneg(cap));
    if n >= 1 << 20 || mean_k > KMAX as i32 || !(leaf > 0.0) {
        return -1;
    }
    let o = from_raw_parts(origin, 3);
    let cb = from_raw_parts(crop_box, 6);
    let f = Filter {
        origin: [o[0], o[1], o[2]],
        min_range,
        lo: [cb[0], cb[1], cb[2]],
        hi: [cb[3], cb[4], cb[5]],
        leaf,
        k: nonneg(mean_k),
        stddev_mul,
    };
    let s = &mut SCRATCH;
    crop(&f, from_raw_parts(pts, 3 * n), &mut s.cropped);
    voxel_grid(&f, &s.cropped, &mut s.keys, &mut s.vox);
    outlier_removal(&f, &mut s.vox, &mut s.mean, &mut s.cells);
    let w = (s.vox.len() / 3).min(cap);
    from_raw_parts_mut(out, 3 * w).copy_from_slice(&s.vox[..3 * w]);
    w as i32
}

/// Host buffers for the bulk arrays (never freed: the host keeps them).
#[no_mangle]
pub extern "C" fn portalis_alloc(bytes: i32) -> *mut u8 {
    let mut v: Vec<u64> = Vec::with_capacity((nonneg(bytes) + 7) / 8);
    let p = v.as_mut_ptr() as *mut u8;
    std::mem::forget(v);
    p
}
