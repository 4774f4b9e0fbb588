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

/// The least integer m such that m 2^-53 >= p: unit(x) < p exactly when
/// (x >> 11) < it (see ../c/lidar_scan.c).
fn unit_below(p: f64) -> u64 {
    let d = p * 9007199254740992.0;
    if !(d > 0.0) {
        0
    } else if d >= 9007199254740992.0 {
        1 << 53
    } else {
        d.ceil() as u64
    }
}

fn gauss(x: u64) -> f64 {
    // the four 16-bit lanes summed, two at a time
    let pairs = (x & 0x0000FFFF0000FFFF) + ((x >> 16) & 0x0000FFFF0000FFFF);
    let s = ((pairs & 0xFFFFFFFF) + (pairs >> 32)) as i64;
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
    zrange: Vec<(f64, f64)>,
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
        self.zrange.push((lo[2], hi[2]));
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

    /// The beams b0..=b1 that can meet candidate i at the azimuth (ca, sa),
    /// by the slopes of the beams (ascending, or None: every beam); None
    /// when no beam can (see beam_range in ../c/lidar_scan.c).
    fn beam_range(&self, i: usize, ca: f64, sa: f64, slope: Option<&[f64]>) -> Option<(usize, usize)> {
        let c = &self.circle[i];
        let (px, py, r2) = (c[0] - self.origin[0], c[1] - self.origin[1], c[2]);
        let (along, perp) = (px * ca + py * sa, px * sa - py * ca);
        let w2 = r2 - perp * perp;
        let w = (if w2 > 0.0 { w2 } else { 0.0 }).sqrt();
        let eps = 1e-6 * (1.0 + along.abs() + w);
        let (hmin, hmax) = (along - w - eps, along + w + eps);
        let slope = match slope {
            Some(sl) if hmin > 0.0 => sl,
            _ => return Some((0, usize::MAX)),
        };
        let (dlo, dhi) = (self.zrange[i].0 - self.origin[2], self.zrange[i].1 - self.origin[2]);
        let mut smin = dlo / if dlo < 0.0 { hmin } else { hmax };
        let mut smax = dhi / if dhi > 0.0 { hmin } else { hmax };
        smin -= 1e-6 * (1.0 + smin.abs());
        smax += 1e-6 * (1.0 + smax.abs());
        let b0 = slope.partition_point(|&m| m < smin);
        let b1 = slope.partition_point(|&m| m <= smax);
        if b0 < b1 { Some((b0, b1 - 1)) } else { None }
    }

    /// The first surface along d for beam b, given the ground's distance (or
    /// max_range) as best: the candidates whose beam range holds b.
    fn cast(&self, cand: &[(usize, usize, usize)], b: usize, d: &[f64; 3], mut best: f64) -> f64 {
        let o = &self.origin;
        let nbox = self.lo.len();
        for &(i, b0, b1) in cand {
            if b < b0 || b > b1 {
                continue;
            }
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
        zrange: Vec::new(),
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
        sc.zrange.push((0.0, pole_height));
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
    // the beams' slopes, for culling when they ascend
    let slope: Vec<f64> = elev.iter().map(|e| e.1 / e.0).collect();
    let sorted = elev.iter().all(|e| e.0 > 0.0) && slope.windows(2).all(|w| w[1] >= w[0]);
    let sl = if sorted { Some(&slope[..]) } else { None };
    let mut state = ((seed as u32 as u64) << 32) ^ time.to_bits();
    let (tdrop, tgate) = (unit_below(dropout), unit_below(dropout + spurious));
    let (mut nret, mut nspur) = (0i32, 0i32);
    let mut cols = Vec::new();
    let mut cand = Vec::new();
    for st in 0..steps {
        let (ca, sa) = sincos(TWO_PI * st as f64 / steps as f64);
        sc.candidates(ca, sa, &mut cols);
        cand.clear();
        for &i in &cols {
            if let Some((b0, b1)) = sc.beam_range(i, ca, sa, sl) {
                cand.push((i, b0, b1));
            }
        }
        for b in 0..beams {
            let i = st * beams + b;
            let d = [elev[b].0 * ca, elev[b].0 * sa, elev[b].1];
            let best = if cand.is_empty() { ground[b] } else { sc.cast(&cand, b, &d, ground[b]) };
            let (x1, x2) = (splitmix(&mut state), splitmix(&mut state));
            let u = x1 >> 11; // unit(x1) < p: u < unit_below(p)
            let mut r = 0.0;
            if u < tdrop {
                r = 0.0;
            } else if u < tgate {
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

/// Crop bounds are clamped to +-FAR: a kept coordinate is finite and within
/// +-FAR, so no squared distance between centroids overflows (../README.md).
const FAR: f64 = 1e150;

/// Range gate + CropBox: a NaN coordinate fails the gate (its squared
/// distance is NaN), an infinite one or one beyond +-FAR the box (a NaN
/// bound is no bound, a NaN min_range no gate).
fn crop(f: &Filter, pts: &[f64], out: &mut Vec<f64>) {
    out.clear();
    let r2 = f.min_range * f.min_range;
    let r2min = if r2 >= 0.0 { r2 } else { 0.0 };
    let o = &f.origin;
    let lo: Vec<f64> = f.lo.iter().map(|&v| if v >= -FAR { v } else { -FAR }).collect();
    let hi: Vec<f64> = f.hi.iter().map(|&v| if v <= FAR { v } else { FAR }).collect();
    for p in pts.chunks_exact(3) {
        let (dx, dy, dz) = (p[0] - o[0], p[1] - o[1], p[2] - o[2]);
        if !(dx * dx + dy * dy + dz * dz >= r2min) {
            continue;
        }
        if p[0] < lo[0] || p[1] < lo[1] || p[2] < lo[2] || p[0] > hi[0] || p[1] > hi[1] || p[2] > hi[2] {
            continue;
        }
        out.extend_from_slice(p);
    }
}

/// The centroids of the occupied voxels (out) in ascending linear voxel
/// index, and those indices (vkey, then a sentinel above them all); returns
/// the strides of the index in y and z, or None when the cloud spans more
/// voxels than the key holds (the leaf is too small for it). The grid has an
/// empty voxel more on each side (see ../c/lidar_filter.c).
fn voxel_grid(f: &Filter, pts: &[f64], keys: &mut Vec<u64>, out: &mut Vec<f64>, vkey: &mut Vec<i64>)
              -> Option<(i64, i64)> {
    out.clear();
    vkey.clear();
    let n = pts.len() / 3;
    if n == 0 {
        vkey.push(i64::MAX);
        return Some((1, 1));
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
    // the key (index << 20 | point) must fit: refuse a cloud spanning more
    // voxels than that, or whose voxel indices are not exact in a double
    let mut cells = 1.0;
    for a in 0..3 {
        let (l, h) = ((mn[a] * inv).floor(), (mx[a] * inv).floor());
        if !(l.abs() < 4503599627370496.0 && h.abs() < 4503599627370496.0) {
            return None;
        }
        cells *= h - l + 3.0;
    }
    if !(cells < 8796093022208.0) {
        return None;
    }
    let minb: Vec<i64> = (0..3).map(|a| (mn[a] * inv).floor() as i64 - 1).collect();
    let div: Vec<i64> = (0..3).map(|a| (mx[a] * inv).floor() as i64 - minb[a] + 2).collect();
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
        vkey.push(v as i64);
    }
    vkey.push(i64::MAX);
    Some((div[0], div[0] * div[1]))
}

/// The largest crop-box grid indexed directly (as ../c/lidar_filter.c).
const GRID_MAX: f64 = 8388608.0;

/// The grid over the crop box (its bounds clamped as crop's), with an
/// empty voxel more on each side: per axis the voxel index of its low bound
/// minus one and its number of voxels, when it has at most GRID_MAX voxels.
fn crop_grid(f: &Filter, inv: f64) -> Option<([i64; 3], [i64; 3])> {
    let (mut minb, mut div, mut cells) = ([0i64; 3], [0i64; 3], 1.0);
    for a in 0..3 {
        let lo = if f.lo[a] >= -FAR { f.lo[a] } else { -FAR };
        let hi = if f.hi[a] <= FAR { f.hi[a] } else { FAR };
        let (l, h) = ((lo * inv).floor(), (hi * inv).floor());
        if !(l.abs() < 4503599627370496.0 && h.abs() < 4503599627370496.0 && h >= l) {
            return None;
        }
        cells *= h - l + 3.0;
        minb[a] = l as i64 - 1;
        div[a] = h as i64 - minb[a] + 2;
    }
    if cells <= GRID_MAX { Some((minb, div)) } else { None }
}

/// VoxelGrid through a table of the crop box's grid (cell, one u32 a voxel,
/// all 0 between calls): each cropped point is added to its voxel's sums
/// (acc, 4 a voxel, from slot 1) in input order, then only the occupied
/// voxels are sorted: the same centroids, keys and order as voxel_grid. The
/// table is left holding 1 + the centroid's index for each centroid's voxel
/// (cell_means; release_cells clears it).
fn grid_direct(pts: &[f64], inv: f64, minb: &[i64; 3], div: &[i64; 3], cell: &mut Vec<u32>, acc: &mut Vec<f64>,
               ids: &mut Vec<u64>, out: &mut Vec<f64>, vkey: &mut Vec<i64>) {
    let ncell = (div[0] * div[1] * div[2]) as usize;
    if cell.len() < ncell {
        cell.resize(ncell, 0);
    }
    out.clear();
    vkey.clear();
    acc.clear();
    acc.extend_from_slice(&[0.0; 4]);
    ids.clear();
    for p in pts.chunks_exact(3) {
        // a cropped point lies in the crop box, so its indices in the grid
        let ix = (p[0] * inv).floor() as i64 - minb[0];
        let iy = (p[1] * inv).floor() as i64 - minb[1];
        let iz = (p[2] * inv).floor() as i64 - minb[2];
        let v = (ix + iy * div[0] + iz * div[0] * div[1]) as usize;
        let s = cell[v] as usize;
        if s == 0 {
            cell[v] = (acc.len() / 4) as u32;
            acc.extend_from_slice(&[0.0 + p[0], 0.0 + p[1], 0.0 + p[2], 1.0]);
            ids.push(v as u64);
        } else {
            let a = &mut acc[4 * s..4 * s + 4];
            a[0] += p[0];
            a[1] += p[1];
            a[2] += p[2];
            a[3] += 1.0;
        }
    }
    ids.sort_unstable(); // distinct
    for (m, &v) in ids.iter().enumerate() {
        let s = 4 * cell[v as usize] as usize;
        let a = &acc[s..s + 4];
        out.extend_from_slice(&[a[0] / a[3], a[1] / a[3], a[2] / a[3]]);
        vkey.push(v as i64);
        cell[v as usize] = m as u32 + 1;
    }
    vkey.push(i64::MAX);
}

fn release_cells(cell: &mut [u32], vkey: &[i64]) {
    for &v in &vkey[..vkey.len() - 1] {
        cell[v as usize] = 0;
    }
}

/// In leaves: what a neighbour missing from the 3 x 3 x 3 voxels counts as,
/// and the statistic of a centroid without any neighbour there (../README.md,
/// "where we differ from PCL").
const MISS_LEAVES: f64 = 3.0;
const ALONE_LEAVES: f64 = 8.0;

/// Inserts d2 into the k smallest squared distances so far, best[..nb],
/// ascending (finite, >= +0); returns the new nb.
fn insert(best: &mut [f64; KMAX], mut nb: usize, k: usize, d2: f64) -> usize {
    if nb < k || d2 < best[k - 1] {
        let mut m = if nb < k {
            nb += 1;
            nb - 1
        } else {
            k - 1
        };
        while m > 0 && best[m - 1] > d2 {
            best[m] = best[m - 1];
            m -= 1;
        }
        best[m] = d2;
    }
    nb
}

/// The statistic of the nb (at most k) smallest squared distances: their
/// square roots summed in ascending order, each missing one counting as
/// miss, divided by k; `alone` without any.
fn mean_of(best: &[f64; KMAX], nb: usize, k: usize, miss: f64, alone: f64) -> f64 {
    let mut s = 0.0;
    for m in 0..nb {
        s += best[m].sqrt();
    }
    if nb > 0 { (s + (k - nb) as f64 * miss) / k as f64 } else { alone }
}

fn dist2(p: &[f64], q: &[f64]) -> f64 {
    let (ex, ey, ez) = (p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    ex * ex + ey * ey + ez * ez
}

/// Mean distance from centroid i to its k nearest others among the
/// centroids of the 26 voxels around its own (v: the voxel keys, ascending,
/// then a sentinel; off: the key offsets of the block's 9 rows; at: per
/// row, the first centroid at or above that row's lowest key for the
/// previous query, which only advances); see mean_of.
fn block_mean(pts: &[f64], v: &[i64], i: usize, off: &[i64; 9], at: &mut [usize; 9], k: usize, miss: f64,
              alone: f64) -> f64 {
    let mut best = [0.0f64; KMAX];
    let mut nb = 0usize;
    let p = &pts[3 * i..3 * i + 3];
    for r in 0..9 {
        let lo = v[i] + off[r] - 1;
        let mut j = at[r];
        while v[j] < lo {
            j += 1;
        }
        at[r] = j;
        while v[j] <= lo + 2 {
            if j != i {
                nb = insert(&mut best, nb, k, dist2(p, &pts[3 * j..3 * j + 3]));
            }
            j += 1;
        }
    }
    mean_of(&best, nb, k, miss, alone)
}

/// The 26 voxels around a centroid's, (dx, dy, dz), in ../c/lidar_filter.c's
/// order (nearest first, z first): the order does not change the k
/// smallest distances, but the nearer come first, the more of the others
/// are beyond the k-th and skipped.
const NEIGHBOURS: [(i64, i64, i64); 26] = [
    (0, 0, -1), (0, 0, 1), (-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), (-1, 0, -1), (1, 0, -1), (-1, 0, 1),
    (1, 0, 1), (0, -1, -1), (0, 1, -1), (0, -1, 1), (0, 1, 1), (-1, -1, 0), (1, -1, 0), (-1, 1, 0), (1, 1, 0),
    (-1, -1, -1), (1, -1, -1), (-1, 1, -1), (1, 1, -1), (-1, -1, 1), (1, -1, 1), (-1, 1, 1), (1, 1, 1),
];

/// block_mean of centroid i through grid_direct's table (cell[v] = 1 + the
/// centroid of voxel v, 0 for an empty one; the grid's empty border keeps
/// every neighbour inside it; off: the key offsets of NEIGHBOURS).
fn cell_mean(pts: &[f64], cell: &[u32], v: i64, i: usize, off: &[i64; 26], k: usize, miss: f64, alone: f64)
             -> f64 {
    let mut best = [0.0f64; KMAX];
    let mut nb = 0usize;
    let p = &pts[3 * i..3 * i + 3];
    for &o in off {
        let j = cell[(v + o) as usize] as usize;
        if j != 0 {
            nb = insert(&mut best, nb, k, dist2(p, &pts[3 * (j - 1)..3 * j]));
        }
    }
    mean_of(&best, nb, k, miss, alone)
}

/// StatisticalOutlierRemoval over the centroids pts (keys v): the kept
/// ones, in order. cell: grid_direct's table when it made them.
fn outlier_removal(f: &Filter, pts: &mut Vec<f64>, v: &[i64], strides: (i64, i64), cell: Option<&[u32]>,
                   mean: &mut Vec<f64>) {
    let n = pts.len() / 3;
    let k = f.k;
    if n <= k || k < 1 {
        return;
    }
    let (miss, alone) = (MISS_LEAVES * f.leaf, ALONE_LEAVES * f.leaf);
    mean.clear();
    match cell {
        Some(cell) => {
            let mut off = [0i64; 26];
            for (o, &(dx, dy, dz)) in off.iter_mut().zip(NEIGHBOURS.iter()) {
                *o = dx + dy * strides.0 + dz * strides.1;
            }
            for i in 0..n {
                mean.push(cell_mean(pts, cell, v[i], i, &off, k, miss, alone));
            }
        }
        None => {
            let mut off = [0i64; 9];
            for r in 0..9 {
                off[r] = (r as i64 % 3 - 1) * strides.0 + (r as i64 / 3 - 1) * strides.1;
            }
            let mut at = [0usize; 9];
            for i in 0..n {
                mean.push(block_mean(pts, v, i, &off, &mut at, k, miss, alone));
            }
        }
    }
    let (mut s, mut sq) = (0.0, 0.0);
    for &m in mean.iter() {
        s += m;
        sq += m * m;
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
    vkey: Vec<i64>,
    cell: Vec<u32>, // grid_direct's table, all 0 between calls
    acc: Vec<f64>,
}

static mut SCRATCH: Scratch = Scratch {
    cropped: Vec::new(),
    vox: Vec::new(),
    keys: Vec::new(),
    mean: Vec::new(),
    vkey: Vec::new(),
    cell: Vec::new(),
    acc: Vec::new(),
};

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
    let inv = 1.0 / f.leaf;
    if let Some((minb, div)) = crop_grid(&f, inv) {
        // the crop box's voxels, indexed directly (the same centroids and
        // order as the kept points' bounding box gives)
        grid_direct(&s.cropped, inv, &minb, &div, &mut s.cell, &mut s.acc, &mut s.keys, &mut s.vox, &mut s.vkey);
        outlier_removal(&f, &mut s.vox, &s.vkey, (div[0], div[0] * div[1]), Some(&s.cell), &mut s.mean);
        release_cells(&mut s.cell, &s.vkey);
    } else {
        let strides = match voxel_grid(&f, &s.cropped, &mut s.keys, &mut s.vox, &mut s.vkey) {
            Some(st) => st,
            None => return -1,
        };
        outlier_removal(&f, &mut s.vox, &s.vkey, strides, None, &mut s.mean);
    }
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
