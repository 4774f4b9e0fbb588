//! The warehouse fleet in Rust: fleet_step (the WasmRobotics prim
//! /World/Fleet) and robot_view (each robot prim), the same exports and the
//! same trajectories as ../c/fleet*.c and ../python/fleet.py: integer
//! arithmetic, the same orders and tie-breaks (../README.md, "Algorithm").
//! Built with
//!   rustc --target wasm32-unknown-unknown -O --crate-type cdylib -C strip=symbols fleet.rs
//! Module ABI v1, pure functions with bulk arrays (docs/abi.md (b), (c)).

use std::slice::{from_raw_parts, from_raw_parts_mut};

const MAX_CELLS: i64 = 1 << 20;
const MAX_ROBOTS: i32 = 1024;
const IDLE: i32 = 0;
const TO_PICK: i32 = 1;
const TO_DROP: i32 = 2;
const DX: [i32; 4] = [1, 0, -1, 0];
const DY: [i32; 4] = [0, -1, 0, 1];
const HEADING: [f64; 4] = [0.0, 90.0, 180.0, 270.0];

#[derive(Clone, Copy, Default)]
struct Task {
    pick: i32,
    drop: i32,
    created: i32,
}

#[derive(Clone, Default)]
struct Robot {
    pos: i32,
    state: i32,
    load: i32,
    goal: i32,
    k: i32,
    age: i32,
    best: i32,
    stall: i32,
    done: i32,
    replans: i32,
    deadlocks: i32,
    reported: i32,
    heading: f64,
    task: Task,
    path: Vec<i32>,
}

struct Fleet {
    w: i32,
    h: i32,
    free: Vec<u8>,
    picks: Vec<i32>,
    drops: Vec<i32>,
    rng: u64,
    stall_limit: i32,
    t: i32,
    completed: i64,
    open: Vec<Task>,
    r: Vec<Robot>,
    g: Vec<i32>,
    parent: Vec<i32>,
    seen: Vec<u32>,
    closed: Vec<u32>,
    run: u32,
    heap: Vec<u64>,
    blocked: Vec<u32>,
    brun: u32,
    occ_now: Vec<i32>,
    occ_next: Vec<i32>,
    nxt: Vec<i32>,
}

fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == 0x0b || c == 0x0c
}

fn digits(w: &[u8]) -> i64 {
    if w.is_empty() {
        return -1;
    }
    let mut v: i64 = 0;
    for &c in w {
        if !(b'0'..=b'9').contains(&c) {
            return -1;
        }
        v = v * 10 + (c - b'0') as i64;
        if v > 100_000_000 {
            return 100_000_001;
        }
    }
    v
}

/// The .map format (README.md, "Map format"): (width, height, free cells).
fn parse_map(text: &[u8]) -> Result<(i32, i32, Vec<u8>), String> {
    let t: Vec<u8> = text.iter().copied().filter(|&c| c != b'\r').collect();
    let mut lines = t.split(|&c| c == b'\n');
    let (mut h, mut w, mut line) = (-1i64, -1i64, 0);
    loop {
        let l = match lines.next() {
            Some(l) => l,
            None => return Err("no 'map' line".to_string()),
        };
        line += 1;
        let words: Vec<&[u8]> = l.split(|&c| is_space(c)).filter(|x| !x.is_empty()).take(3).collect();
        if words.is_empty() {
            continue;
        }
        if words[0] == b"map" {
            break;
        }
        if words.len() == 2 && words[0] == b"height" {
            h = digits(words[1]);
        } else if words.len() == 2 && words[0] == b"width" {
            w = digits(words[1]);
        } else if !(words.len() == 2 && words[0] == b"type") {
            return Err(format!("line {}: expected 'type T', 'height H', 'width W' or 'map'", line));
        }
    }
    if h < 0 || w < 0 {
        return Err(format!("missing or bad '{}'", if h < 0 { "height" } else { "width" }));
    }
    if w < 1 || h < 1 || w * h > MAX_CELLS {
        return Err(format!("map size {}x{} out of range (1 to {} cells)", w, h, MAX_CELLS));
    }
    let mut free = vec![0u8; (w * h) as usize];
    for y in 0..h {
        let row = lines.next().unwrap_or(&[]);
        if (row.len() as i64) < w {
            return Err(format!("line {}: map row {} shorter than width {}", line + 1 + y as i32, y, w));
        }
        for x in 0..w {
            let c = row[x as usize];
            free[(y * w + x) as usize] = (c == b'.' || c == b'G' || c == b'S') as u8;
        }
    }
    Ok((w as i32, h as i32, free))
}

fn hungarian(cost: &[i64], n: usize, m: usize) -> Vec<usize> {
    const INF: i64 = 1 << 62;
    let (mut u, mut v) = (vec![0i64; n + 1], vec![0i64; m + 1]);
    let (mut p, mut way) = (vec![0usize; m + 1], vec![0usize; m + 1]);
    let (mut minv, mut used) = (vec![INF; m + 1], vec![false; m + 1]);
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        for j in 0..=m {
            minv[j] = INF;
            used[j] = false;
        }
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = INF;
            let mut j1 = 0;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let cur = cost[(i0 - 1) * m + j - 1] - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut col = vec![0usize; n];
    for j in 1..=m {
        if p[j] != 0 {
            col[p[j] - 1] = j - 1;
        }
    }
    col
}

impl Fleet {
    fn new(text: &[u8], n: i32, starts: &[i32], seed: u64, stall_limit: i32) -> Result<Fleet, String> {
        if n < 1 || n > MAX_ROBOTS {
            return Err(format!("{} robots: between 1 and {}", n, MAX_ROBOTS));
        }
        let (w, h, free) = parse_map(text)?;
        let cells = (w * h) as usize;
        let nodes = free.iter().filter(|&&c| c != 0).count() as i32;
        let mut f = Fleet {
            w,
            h,
            free,
            picks: Vec::new(),
            drops: Vec::new(),
            rng: seed,
            stall_limit: stall_limit.max(1),
            t: 0,
            completed: 0,
            open: Vec::new(),
            r: Vec::new(),
            g: vec![0; cells],
            parent: vec![0; cells],
            seen: vec![0; cells],
            closed: vec![0; cells],
            run: 0,
            heap: Vec::with_capacity(4 * cells + 4),
            blocked: vec![0; cells],
            brun: 0,
            occ_now: vec![-1; cells],
            occ_next: vec![-1; cells],
            nxt: vec![-1; n as usize],
        };
        f.stations()?;
        if n >= nodes {
            return Err(format!("{} robots need more than {} free cells", n, nodes));
        }
        let freecells: Vec<i32> = (0..w * h).filter(|&c| f.free[c as usize] != 0).collect();
        for i in 0..n as usize {
            let mut s = if i < starts.len() { starts[i] } else { -1 };
            if s < 0 || s >= w * h || f.free[s as usize] == 0 || f.occ_now[s as usize] >= 0 {
                loop {
                    s = freecells[f.below(freecells.len() as i32) as usize];
                    if f.occ_now[s as usize] < 0 {
                        break;
                    }
                }
            }
            f.occ_now[s as usize] = i as i32;
            f.r.push(Robot { pos: s, goal: s, path: vec![s], ..Default::default() });
        }
        f.refill();
        Ok(f)
    }

    fn stations(&mut self) -> Result<(), String> {
        let (w, h) = (self.w, self.h);
        let cols: Vec<i32> = (0..w).filter(|&x| (0..h).any(|y| self.free[(y * w + x) as usize] != 0)).collect();
        if cols.is_empty() {
            return Err("the map has no free cell".to_string());
        }
        let (left, right) = (cols[0], cols[cols.len() - 1]);
        for c in 0..w * h {
            if self.free[c as usize] == 0 {
                continue;
            }
            let (x, y) = (c % w, c / w);
            if x == left || x == right {
                self.drops.push(c);
                continue;
            }
            if (y > 0 && self.free[(c - w) as usize] == 0) || (y < h - 1 && self.free[(c + w) as usize] == 0) {
                self.picks.push(c);
            }
        }
        if self.picks.is_empty() || self.drops.is_empty() {
            return Err("the map has no pick-up (shelf face) or no drop-off (edge column) cell".to_string());
        }
        Ok(())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: i32) -> i32 {
        ((self.next_u64() >> 11) % n as u64) as i32
    }

    fn refill(&mut self) {
        while self.open.len() < self.r.len() {
            let a = self.below(self.picks.len() as i32) as usize;
            let pick = self.picks[a];
            let b = self.below(self.drops.len() as i32) as usize;
            let drop = self.drops[b];
            self.open.push(Task { pick, drop, created: self.t });
        }
    }

    fn neighbours(&self, c: i32, out: &mut [i32; 5]) -> usize {
        let (x, y) = (c % self.w, c / self.w);
        let mut n = 0;
        for d in 0..4 {
            let (nx, ny) = (x + DX[d], y + DY[d]);
            if nx >= 0 && nx < self.w && ny >= 0 && ny < self.h && self.free[(ny * self.w + nx) as usize] != 0 {
                out[n] = ny * self.w + nx;
                n += 1;
            }
        }
        n
    }

    fn manhattan(&self, a: i32, b: i32) -> i32 {
        (a % self.w - b % self.w).abs() + (a / self.w - b / self.w).abs()
    }

    fn heap_push(&mut self, key: u64) {
        let mut i = self.heap.len();
        self.heap.push(key);
        while i > 0 {
            let p = (i - 1) / 2;
            if self.heap[p] <= key {
                break;
            }
            self.heap[i] = self.heap[p];
            i = p;
        }
        self.heap[i] = key;
    }

    fn heap_pop(&mut self) -> u64 {
        let top = self.heap[0];
        let last = self.heap.pop().unwrap();
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let mut c = 2 * i + 1;
            if c >= n {
                break;
            }
            if c + 1 < n && self.heap[c + 1] < self.heap[c] {
                c += 1;
            }
            if self.heap[c] >= last {
                break;
            }
            self.heap[i] = self.heap[c];
            i = c;
        }
        if n > 0 {
            self.heap[i] = last;
        }
        top
    }

    /// A* (Manhattan heuristic, open list ordered by (f, h, cell)); the path
    /// start..=goal, or None.
    fn astar(&mut self, start: i32, goal: i32, use_blocked: bool) -> Option<Vec<i32>> {
        self.run = self.run.wrapping_add(1);
        if self.run == 0 {
            self.seen.iter_mut().for_each(|x| *x = 0);
            self.closed.iter_mut().for_each(|x| *x = 0);
            self.run = 1;
        }
        self.heap.clear();
        let run = self.run;
        self.seen[start as usize] = run;
        self.g[start as usize] = 0;
        let h0 = self.manhattan(start, goal) as u64;
        self.heap_push(h0 << 42 | h0 << 21 | start as u64);
        let mut nb = [0i32; 5];
        while !self.heap.is_empty() {
            let c = (self.heap_pop() & 0x1fffff) as i32;
            if self.closed[c as usize] == run {
                continue;
            }
            self.closed[c as usize] = run;
            if c == goal {
                let mut path = vec![goal];
                let mut x = goal;
                while x != start {
                    x = self.parent[x as usize];
                    path.push(x);
                }
                path.reverse();
                return Some(path);
            }
            let nn = self.neighbours(c, &mut nb);
            let ng = self.g[c as usize] + 1;
            for &v in &nb[..nn] {
                if use_blocked && self.blocked[v as usize] == self.brun && v != goal {
                    continue;
                }
                if self.seen[v as usize] != run || ng < self.g[v as usize] {
                    self.seen[v as usize] = run;
                    self.g[v as usize] = ng;
                    self.parent[v as usize] = c;
                    let hv = self.manhattan(v, goal) as u64;
                    self.heap_push((ng as u64 + hv) << 42 | hv << 21 | v as u64);
                }
            }
        }
        None
    }

    fn plan(&mut self, i: usize, use_blocked: bool) -> bool {
        let (pos, goal) = (self.r[i].pos, self.r[i].goal);
        match self.astar(pos, goal, use_blocked) {
            Some(p) => {
                self.r[i].path = p;
                self.r[i].k = 0;
                true
            }
            None => false,
        }
    }

    fn here(&mut self, i: usize) {
        let r = &mut self.r[i];
        r.goal = r.pos;
        r.path.clear();
        r.path.push(r.pos);
        r.k = 0;
    }

    fn release(&mut self, i: usize) {
        self.r[i].reported += 1;
        let t = self.r[i].task;
        self.open.push(t);
        self.r[i].state = IDLE;
        self.r[i].load = 0;
        self.here(i);
    }

    fn set_goal(&mut self, i: usize, goal: i32) {
        self.r[i].goal = goal;
        self.r[i].age = 0;
        self.r[i].stall = 0;
        if !self.plan(i, false) {
            self.release(i);
            return;
        }
        self.r[i].best = self.r[i].path.len() as i32 - 1;
    }

    fn arrive(&mut self, i: usize) {
        if self.r[i].state == TO_PICK && self.r[i].pos == self.r[i].goal {
            self.r[i].load = 1;
            self.r[i].state = TO_DROP;
            let d = self.r[i].task.drop;
            self.set_goal(i, d);
        }
        if self.r[i].state == TO_DROP && self.r[i].pos == self.r[i].goal {
            self.r[i].load = 0;
            self.r[i].state = IDLE;
            self.r[i].done += 1;
            self.completed += 1;
            self.here(i);
        }
    }

    fn allocate(&mut self) {
        let idle: Vec<usize> = (0..self.r.len()).filter(|&i| self.r[i].state == IDLE).collect();
        if idle.is_empty() {
            return;
        }
        let m = self.open.len();
        let mut cost = Vec::with_capacity(idle.len() * m);
        for &i in &idle {
            for j in 0..m {
                let t = self.open[j];
                cost.push(self.manhattan(self.r[i].pos, t.pick) as i64 - (self.t - t.created) as i64);
            }
        }
        let col = hungarian(&cost, idle.len(), m);
        let tasks: Vec<Task> = col.iter().map(|&j| self.open[j]).collect();
        let mut taken = vec![false; m];
        for &j in &col {
            taken[j] = true;
        }
        let mut j = 0;
        self.open.retain(|_| {
            j += 1;
            !taken[j - 1]
        });
        self.refill();
        for (a, &i) in idle.iter().enumerate() {
            self.r[i].task = tasks[a];
            self.r[i].state = TO_PICK;
            self.set_goal(i, tasks[a].pick);
            self.arrive(i);
        }
    }

    fn candidates(&self, i: usize, out: &mut [i32; 5]) -> usize {
        let r = &self.r[i];
        let pref = if ((r.k + 1) as usize) < r.path.len() { r.path[(r.k + 1) as usize] } else { r.pos };
        let mut n = self.neighbours(r.pos, out);
        out[n] = r.pos;
        n += 1;
        let mut key = [0i64; 5];
        for j in 0..n {
            key[j] = ((out[j] != pref) as i64) << 40 | (self.manhattan(out[j], r.goal) as i64) << 8 | j as i64;
        }
        for a in 1..n {
            let mut b = a;
            while b > 0 && key[b] < key[b - 1] {
                key.swap(b, b - 1);
                out.swap(b, b - 1);
                b -= 1;
            }
        }
        n
    }

    fn pibt(&mut self, i: usize, parent: i32) -> bool {
        let mut cs = [0i32; 5];
        let nc = self.candidates(i, &mut cs);
        for &c in &cs[..nc] {
            if self.occ_next[c as usize] >= 0 {
                continue;
            }
            if parent >= 0 && c == self.r[parent as usize].pos {
                continue;
            }
            self.occ_next[c as usize] = i as i32;
            self.nxt[i] = c;
            let k = self.occ_now[c as usize];
            if k >= 0 && k != i as i32 && self.nxt[k as usize] < 0 && !self.pibt(k as usize, i as i32) {
                continue;
            }
            return true;
        }
        let p = self.r[i].pos;
        self.occ_next[p as usize] = i as i32;
        self.nxt[i] = p;
        false
    }

    fn follow(&mut self, i: usize) {
        let r = &self.r[i];
        let k = r.k as usize;
        if k + 1 < r.path.len() && r.pos == r.path[k + 1] {
            self.r[i].k += 1;
        } else if r.pos != r.path[k] {
            self.r[i].replans += 1;
            self.plan(i, false);
        }
    }

    fn watch(&mut self, i: usize) {
        self.r[i].age += 1;
        let left = self.r[i].path.len() as i32 - 1 - self.r[i].k;
        if left < self.r[i].best {
            self.r[i].best = left;
            self.r[i].stall = 0;
            return;
        }
        self.r[i].stall += 1;
        if self.r[i].stall % self.stall_limit == 0 {
            self.r[i].deadlocks += 1;
            self.brun = self.brun.wrapping_add(1);
            if self.brun == 0 {
                self.blocked.iter_mut().for_each(|x| *x = 0);
                self.brun = 1;
            }
            for j in 0..self.r.len() {
                if j != i {
                    self.blocked[self.r[j].pos as usize] = self.brun;
                }
            }
            self.plan(i, true);
        }
        if self.r[i].stall >= 4 * self.stall_limit {
            self.release(i);
        }
    }

    fn step(&mut self) {
        self.allocate();
        let n = self.r.len();
        for i in 0..n {
            self.nxt[i] = -1;
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| ((self.r[i].state == IDLE) as i64, -(self.r[i].age as i64), i));
        for &i in &order {
            if self.nxt[i] < 0 {
                self.pibt(i, -1);
            }
        }
        for i in 0..n {
            let (c, p) = (self.nxt[i], self.r[i].pos);
            let d = c - p;
            if c != p {
                self.r[i].heading = HEADING[if d == 1 { 0 } else if d == -1 { 2 } else if d < 0 { 1 } else { 3 }];
            }
            self.occ_now[p as usize] = -1;
            self.occ_next[c as usize] = -1;
            self.r[i].pos = c;
        }
        for i in 0..n {
            self.occ_now[self.r[i].pos as usize] = i as i32;
        }
        for i in 0..n {
            self.follow(i);
        }
        for i in 0..n {
            if self.r[i].state != IDLE {
                self.arrive(i);
            }
        }
        for i in 0..n {
            if self.r[i].state != IDLE {
                self.watch(i);
            }
        }
        self.t += 1;
    }
}

// ------------------------------------------------------------ the module

#[link(wasm_import_module = "portalis")]
extern "C" {
    fn log(ptr: *const u8, len: i32);
    fn config_count(name_ptr: *const u8, name_len: i32) -> i32;
    fn config_f64(name_ptr: *const u8, name_len: i32, i: i32) -> f64;
    fn config_str(name_ptr: *const u8, name_len: i32, buf: *mut u8, cap: i32) -> i32;
}

struct State {
    fleet: Option<Fleet>,
    starts: Vec<i32>,
    cell: f64,
    /// Set during a call: still set at the next one means the host
    /// interrupted that call in the middle of a step (../c/fleet.c).
    busy: bool,
}

static mut STATE: State = State { fleet: None, starts: Vec::new(), cell: 1.0, busy: false };
static mut MATRIX: [f64; 16] = [0.0; 16];

fn fail(msg: &str) -> ! {
    unsafe { log(msg.as_ptr(), msg.len() as i32) };
    std::process::abort()
}

fn config_num(name: &str, fallback: f64) -> f64 {
    unsafe {
        if config_count(name.as_ptr(), name.len() as i32) > 0 {
            config_f64(name.as_ptr(), name.len() as i32, 0)
        } else {
            fallback
        }
    }
}

fn start_cell(v: f64) -> i32 {
    if v >= 0.0 && v < MAX_CELLS as f64 {
        v as i32
    } else {
        -1
    }
}

fn start(st: &mut State, robots: &[f64]) {
    st.starts = robots.iter().map(|&v| start_cell(v)).collect();
    let name = "fleet:map";
    let len = unsafe { config_str(name.as_ptr(), name.len() as i32, std::ptr::null_mut(), 0) };
    if len < 0 {
        fail("fleet: the prim has no string fleet:map (the .map text, README.md)");
    }
    let mut text = vec![0u8; len as usize];
    unsafe { config_str(name.as_ptr(), name.len() as i32, text.as_mut_ptr(), len) };
    let seed = config_num("fleet:seed", 1.0);
    let stall = config_num("fleet:stallLimit", 24.0);
    st.cell = config_num("fleet:cellSize", 1.0);
    st.fleet = None;
    match Fleet::new(&text, robots.len() as i32, &st.starts, seed as i64 as u64, stall as i32) {
        Ok(f) => st.fleet = Some(f),
        Err(e) => fail(&format!("fleet:map: {}", e)),
    }
}

#[no_mangle]
pub extern "C" fn portalis_alloc(bytes: i32) -> *mut u8 {
    let mut v: Vec<u64> = Vec::with_capacity((bytes.max(0) as usize + 7) / 8);
    let p = v.as_mut_ptr() as *mut u8;
    std::mem::forget(v);
    p
}

/// Advances the simulation to `frame` steps (from the start again when the
/// frame goes back, the robots change or the last call was interrupted) and
/// writes every robot's state.
#[no_mangle]
pub unsafe extern "C" fn fleet_step(frame: i32, n: i32, robots: *const f64, pos: *mut f64, heading: *mut f64,
                                    load: *mut f64, state: *mut f64, done: *mut f64, replans: *mut f64,
                                    deadlocks: *mut f64, reported: *mut f64) -> f64 {
    let n = n.max(0) as usize;
    let st = &mut *std::ptr::addr_of_mut!(STATE);
    let robots = from_raw_parts(robots, n);
    let same = match &st.fleet {
        Some(f) => f.r.len() == n && robots.iter().zip(&st.starts).all(|(&v, &s)| start_cell(v) == s) && frame >= f.t,
        None => false,
    };
    st.busy = st.busy || !same;
    if st.busy {
        start(st, robots);
    }
    st.busy = true;
    let cell = st.cell;
    let f = st.fleet.as_mut().unwrap();
    while f.t < frame {
        f.step();
    }
    st.busy = false;
    let (pos, heading, load, state) = (from_raw_parts_mut(pos, 3 * n), from_raw_parts_mut(heading, n),
                                       from_raw_parts_mut(load, n), from_raw_parts_mut(state, n));
    let (done, replans, deadlocks, reported) = (from_raw_parts_mut(done, n), from_raw_parts_mut(replans, n),
                                                from_raw_parts_mut(deadlocks, n), from_raw_parts_mut(reported, n));
    for (i, r) in f.r.iter().enumerate() {
        pos[3 * i] = (r.pos % f.w) as f64 * cell;
        pos[3 * i + 1] = (f.h - 1 - r.pos / f.w) as f64 * cell;
        pos[3 * i + 2] = 0.0;
        heading[i] = r.heading;
        load[i] = r.load as f64;
        state[i] = r.state as f64;
        done[i] = r.done as f64;
        replans[i] = r.replans as f64;
        deadlocks[i] = r.deadlocks as f64;
        reported[i] = r.reported as f64;
    }
    f.completed as f64
}

/// One robot's view (../c/fleet.c's robot_view): its position, heading,
/// load and task state as one-element arrays, and its transform.
#[no_mangle]
pub unsafe extern "C" fn robot_view(index: *const f64, n: i32, positions: *const f64, headings: *const f64,
                                    loads: *const f64, states: *const f64, pos: *mut f64, heading: *mut f64,
                                    load: *mut f64, state: *mut f64) -> *const f64 {
    let i = *index as i32;
    if i < 0 || i >= n {
        fail("robot_view: inputs:index is not the index of a robot of the fleet");
    }
    let i = i as usize;
    let p = from_raw_parts(positions.add(3 * i), 3);
    from_raw_parts_mut(pos, 3).copy_from_slice(p);
    *heading = *headings.add(i);
    *load = *loads.add(i);
    *state = *states.add(i);
    let q = ((*headings.add(i) / 90.0) as i32 & 3) as usize;
    let (c, s) = ([1.0, 0.0, -1.0, 0.0][q], [0.0, 1.0, 0.0, -1.0][q]);
    let m = &mut *std::ptr::addr_of_mut!(MATRIX);
    *m = [c, s, 0.0, 0.0, -s, c, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, p[0], p[1], p[2], 1.0];
    m.as_ptr()
}
