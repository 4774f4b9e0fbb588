#!/usr/bin/env python3
"""Warehouse fleet: the reference of the C and Rust modules (demos/warehouse).

Every function of the modules is here, with the same integer arithmetic in
the same order, so the trajectories are identical (README.md, "Algorithm"):

  parse_map      the MAPF benchmark grid format (.map: type/height/width/map)
  stations       pick-up cells (shelf faces) and drop-off cells (edge docks)
  SplitMix64     the seeded generator of tasks and start cells
  hungarian      task allocation: minimum-cost assignment of idle robots to
                 open tasks (cost: Manhattan distance to the pick-up minus
                 the task's waiting time)
  astar          A* on the waypoint graph (4-connected free cells)
  Fleet.step     one step: allocate, plan, PIBT collision avoidance, move,
                 arrivals, deadlock detection and recovery

Usage:
  fleet.py run MAP [--robots N] [--steps K] [--seed S]   summary of a run
  fleet.py trace MAP [...]   one line a step: time, completed, pos:state:load:heading
  fleet.py check MAP [--robots N] [--steps K] [--seed S] independent checks
          (no vertex or swap conflicts, every task completed or reported, each
          A* path as long as a Dijkstra path, throughput)
  fleet.py compare OUT.usda SCENE.usda   the module's recorded trajectories
          equal this reference's, frame by frame
  fleet.py scene MAP --robots N [--module M] [--robot-prims] -o SCENE.usda
          writes a scene (the map embedded verbatim in fleet:map)
"""
import heapq
import re
import sys

M64 = (1 << 64) - 1
PASSABLE = ".GS"  # the format's passable terrain; @ O T W are obstacles
# E, N, W, S: the order of neighbours everywhere (A*, PIBT); dy = -1 is north
DX = (1, 0, -1, 0)
DY = (0, -1, 0, 1)
HEADING = (0.0, 90.0, 180.0, 270.0)
IDLE, TO_PICK, TO_DROP = 0, 1, 2
MAX_CELLS = 1 << 20
MAX_ROBOTS = 1024


class MapError(Exception):
    pass


def parse_map(text):
    """Returns (width, height, free) from a .map text; free[y*w+x] is 1 for
    a passable cell. Raises MapError naming the line."""
    lines = text.replace("\r", "").split("\n")
    head = {}
    i = 0
    while i < len(lines):
        words = lines[i].split()
        i += 1
        if not words:
            continue
        if words[0] == "map":
            break
        if words[0] in ("type", "height", "width") and len(words) == 2:
            head[words[0]] = words[1]
            continue
        raise MapError("line %d: expected 'type T', 'height H', 'width W' or 'map'" % i)
    else:
        raise MapError("no 'map' line")
    for k in ("height", "width"):
        if k not in head or not head[k].isdigit():
            raise MapError("missing or bad '%s'" % k)
    w, h = int(head["width"]), int(head["height"])
    if w < 1 or h < 1 or w * h > MAX_CELLS:
        raise MapError("map size %dx%d out of range (1 to %d cells)" % (w, h, MAX_CELLS))
    free = bytearray(w * h)
    for y in range(h):
        if i + y >= len(lines) or len(lines[i + y]) < w:
            raise MapError("line %d: map row %d shorter than width %d" % (i + y + 1, y, w))
        row = lines[i + y]
        for x in range(w):
            free[y * w + x] = 1 if row[x] in PASSABLE else 0
    return w, h, free


def stations(w, h, free):
    """Pick-up cells: free cells with an obstacle north or south of them (a
    shelf face), outside the dock columns. Drop-off cells: free cells of the
    leftmost and rightmost columns that have any free cell (the docks)."""
    cols = [x for x in range(w) if any(free[y * w + x] for y in range(h))]
    if not cols:
        raise MapError("the map has no free cell")
    left, right = cols[0], cols[-1]
    picks, drops = [], []
    for c in range(w * h):
        if not free[c]:
            continue
        x, y = c % w, c // w
        if x == left or x == right:
            drops.append(c)
            continue
        n = y > 0 and not free[c - w]
        s = y < h - 1 and not free[c + w]
        if n or s:
            picks.append(c)
    if not picks or not drops:
        raise MapError("the map has no pick-up (shelf face) or no drop-off (edge column) cell")
    return picks, drops


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        return (self.next() >> 11) % n


def hungarian(cost, n, m):
    """Minimum-cost assignment of n rows to m >= n columns (shortest
    augmenting paths with potentials, O(n^2 m)). cost[i][j] integers.
    Returns col_of_row. Ties go to the lowest column index (strict <)."""
    INF = 1 << 62
    u = [0] * (n + 1)
    v = [0] * (m + 1)
    p = [0] * (m + 1)  # p[j]: row (1-based) matched to column j, 0 = none
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [INF] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = INF
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    col = [-1] * n
    for j in range(1, m + 1):
        if p[j]:
            col[p[j] - 1] = j - 1
    return col


class Grid:
    def __init__(self, text):
        self.w, self.h, self.free = parse_map(text)
        self.picks, self.drops = stations(self.w, self.h, self.free)
        self.nodes = sum(self.free)

    def neighbours(self, c):
        """Free 4-neighbours of cell c in E, N, W, S order."""
        w, x, y = self.w, c % self.w, c // self.w
        out = []
        for d in range(4):
            nx, ny = x + DX[d], y + DY[d]
            if 0 <= nx < w and 0 <= ny < self.h and self.free[ny * w + nx]:
                out.append(ny * w + nx)
        return out

    def manhattan(self, a, b):
        return abs(a % self.w - b % self.w) + abs(a // self.w - b // self.w)


def astar(grid, start, goal, blocked=None):
    """A* with the Manhattan heuristic (consistent on the 4-connected grid,
    so the first time the goal is popped its path is shortest). The open
    list is ordered by (f, h, cell): a total order, so any correct heap pops
    the same sequence. Cells in `blocked` (other than the goal) are not
    entered. Returns [start, ..., goal] or None."""
    g = {start: 0}
    parent = {start: -1}
    closed = set()
    h0 = grid.manhattan(start, goal)
    heap = [(h0, h0, start)]
    while heap:
        _, _, c = heapq.heappop(heap)
        if c in closed:
            continue
        closed.add(c)
        if c == goal:
            path = [c]
            while parent[c] >= 0:
                c = parent[c]
                path.append(c)
            path.reverse()
            return path
        ng = g[c] + 1
        for v in grid.neighbours(c):
            if blocked is not None and v in blocked and v != goal:
                continue
            if ng < g.get(v, 1 << 30):
                g[v] = ng
                parent[v] = c
                hv = grid.manhattan(v, goal)
                heapq.heappush(heap, (ng + hv, hv, v))
    return None


class Robot:
    __slots__ = ("pos", "heading", "state", "load", "task", "goal", "path", "k", "age", "best", "stall",
                 "done", "replans", "deadlocks", "reported")

    def __init__(self, pos):
        self.pos = pos
        self.heading = 0.0
        self.state = IDLE
        self.load = 0
        self.task = None  # (id, pick, drop, created)
        self.goal = pos
        self.path = [pos]
        self.k = 0
        self.age = 0
        self.best = 0
        self.stall = 0
        self.done = 0
        self.replans = 0
        self.deadlocks = 0
        self.reported = 0


class Fleet:
    """The simulation. `starts[i]` is robot i's start cell, or -1 for a
    seeded random free cell. One step = every robot moves at most one cell."""

    def __init__(self, text, n, seed=1, stall_limit=24, starts=None, record=None):
        if n < 1 or n > MAX_ROBOTS:
            raise MapError("%d robots: between 1 and %d" % (n, MAX_ROBOTS))
        self.g = Grid(text)
        if n >= self.g.nodes:
            raise MapError("%d robots need more than %d free cells" % (n, self.g.nodes))
        self.rng = SplitMix64(seed)
        self.stall_limit = max(1, stall_limit)
        self.t = 0
        self.next_id = 0
        self.open = []  # open tasks, in creation order
        self.completed = 0
        self.assigned = 0
        self.record = record  # list receiving (start, goal, path) of every A* plan, or None
        occupied = set()
        self.robots = []
        freecells = [c for c in range(len(self.g.free)) if self.g.free[c]]
        for i in range(n):
            s = starts[i] if starts and i < len(starts) else -1
            if s < 0 or s >= len(self.g.free) or not self.g.free[s] or s in occupied:
                s = freecells[self.rng.below(len(freecells))]
                while s in occupied:
                    s = freecells[self.rng.below(len(freecells))]
            occupied.add(s)
            self.robots.append(Robot(s))
        self.refill()

    def refill(self):
        while len(self.open) < len(self.robots):
            pick = self.g.picks[self.rng.below(len(self.g.picks))]
            drop = self.g.drops[self.rng.below(len(self.g.drops))]
            self.open.append((self.next_id, pick, drop, self.t))
            self.next_id += 1

    def plan(self, r, blocked=None):
        path = astar(self.g, r.pos, r.goal, blocked)
        if self.record is not None and blocked is None:
            self.record.append((r.pos, r.goal, path))
        if path is None:
            return False
        r.path = path
        r.k = 0
        return True

    def set_goal(self, r, goal):
        r.goal = goal
        r.age = 0
        r.stall = 0
        if not self.plan(r):
            self.release(r)  # unreachable: reported
            return
        r.best = len(r.path) - 1

    def release(self, r):
        """Gives the robot's task up: reported, back to the open tasks."""
        r.reported += 1
        self.open.append(r.task)
        r.task = None
        r.state = IDLE
        r.load = 0
        r.goal = r.pos
        r.path = [r.pos]
        r.k = 0

    def allocate(self):
        idle = [i for i, r in enumerate(self.robots) if r.state == IDLE]
        if not idle:
            return
        m = len(self.open)
        cost = [[self.g.manhattan(self.robots[i].pos, t[1]) - (self.t - t[3]) for t in self.open] for i in idle]
        col = hungarian(cost, len(idle), m)
        tasks = [self.open[j] for j in col]
        taken = set(col)
        self.open = [t for j, t in enumerate(self.open) if j not in taken]
        self.refill()
        for i, task in zip(idle, tasks):
            r = self.robots[i]
            r.task = task
            r.state = TO_PICK
            self.assigned += 1
            self.set_goal(r, task[1])
            self.arrive(r)

    def arrive(self, r):
        """Pick-up and drop-off take no time: a robot on its goal changes state
        in the same step (a drop-off at its own pick-up cell cannot happen:
        pick-ups are never in the dock columns)."""
        if r.state == TO_PICK and r.pos == r.goal:
            r.load = 1
            r.state = TO_DROP
            self.set_goal(r, r.task[2])
        if r.state == TO_DROP and r.pos == r.goal:
            r.load = 0
            r.state = IDLE
            r.done += 1
            self.completed += 1
            r.task = None
            r.goal = r.pos
            r.path = [r.pos]
            r.k = 0

    def candidates(self, r):
        """PIBT preference: the next cell of the A* path first, then the
        others by Manhattan distance to the goal, ties in E, N, W, S, stay
        order."""
        pref = r.path[r.k + 1] if r.k + 1 < len(r.path) else r.pos
        cs = self.g.neighbours(r.pos) + [r.pos]
        keyed = [(0 if c == pref else 1, self.g.manhattan(c, r.goal), j, c) for j, c in enumerate(cs)]
        keyed.sort()
        return [c for _, _, _, c in keyed]

    def pibt(self, i, parent, nxt, occ_now, occ_next):
        r = self.robots[i]
        for c in self.candidates(r):
            if c in occ_next:
                continue
            if parent >= 0 and c == self.robots[parent].pos:
                continue
            occ_next[c] = i
            nxt[i] = c
            k = occ_now.get(c, -1)
            if k >= 0 and k != i and nxt[k] < 0:
                if not self.pibt(k, i, nxt, occ_now, occ_next):
                    continue
            return True
        occ_next[r.pos] = i
        nxt[i] = r.pos
        return False

    def order(self):
        """Priority: robots with a task before idle ones, longer since the goal
        was set first, then lower index."""
        return sorted(range(len(self.robots)),
                      key=lambda i: (0 if self.robots[i].state != IDLE else 1, -self.robots[i].age, i))

    def step(self):
        self.allocate()
        n = len(self.robots)
        nxt = [-1] * n
        occ_now = {r.pos: i for i, r in enumerate(self.robots)}
        occ_next = {}
        for i in self.order():
            if nxt[i] < 0:
                self.pibt(i, -1, nxt, occ_now, occ_next)
        for i, r in enumerate(self.robots):
            c = nxt[i]
            if c != r.pos:
                d = c - r.pos
                r.heading = HEADING[0 if d == 1 else 2 if d == -1 else 1 if d < 0 else 3]
            r.pos = c
        for r in self.robots:
            self.follow(r)
        for r in self.robots:
            if r.state != IDLE:
                self.arrive(r)
        for r in self.robots:
            if r.state != IDLE:
                self.watch(r)
        self.t += 1

    def follow(self, r):
        """Keeps the robot's position on its path: a step along it advances,
        a wait keeps it, a sidestep (pushed by PIBT) re-plans with A*."""
        if r.k + 1 < len(r.path) and r.pos == r.path[r.k + 1]:
            r.k += 1
        elif r.pos != r.path[r.k]:
            r.replans += 1
            self.plan(r)

    def watch(self, r):
        """Deadlock detection: no new best distance to the goal for
        stall_limit steps is a deadlock. Recovery: re-plan around the cells
        the other robots stand on (a detour); after 4 stall limits the task
        is reported and released."""
        r.age += 1
        left = len(r.path) - 1 - r.k
        if left < r.best:
            r.best = left
            r.stall = 0
            return
        r.stall += 1
        if r.stall % self.stall_limit == 0:
            r.deadlocks += 1
            blocked = set(o.pos for o in self.robots if o is not r)
            self.plan(r, blocked)
        if r.stall >= 4 * self.stall_limit:
            self.release(r)


# ---------------------------------------------------------------- checks

def dijkstra(grid, start):
    """Distances from start over the free cells, unit edges, written apart
    from astar() (no heuristic, plain adjacency scan) as the independent
    reference of the A* lengths."""
    w, h, free = grid.w, grid.h, grid.free
    dist = {start: 0}
    heap = [(0, start)]
    while heap:
        d, c = heapq.heappop(heap)
        if d > dist[c]:
            continue
        x, y = c % w, c // w
        for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if 0 <= nx < w and 0 <= ny < h and free[ny * w + nx]:
                v = ny * w + nx
                if d + 1 < dist.get(v, 1 << 30):
                    dist[v] = d + 1
                    heapq.heappush(heap, (d + 1, v))
    return dist


def check_path(grid, path, start, goal):
    if path[0] != start or path[-1] != goal:
        return "path does not join start and goal"
    for a, b in zip(path, path[1:]):
        if not grid.free[b] or grid.manhattan(a, b) != 1:
            return "path step %d -> %d is not an edge" % (a, b)
    return None


def conflicts(prev, cur):
    """Vertex conflicts (two robots on one cell) and swap conflicts (two
    robots exchanging cells) between two consecutive position lists."""
    vertex = len(cur) - len(set(cur))
    at = {c: i for i, c in enumerate(prev)}
    swaps = 0
    for i, c in enumerate(cur):
        j = at.get(c)
        if j is not None and j != i and cur[j] == prev[i] and prev[i] != c:
            swaps += 1
    return vertex, swaps // 2


def cmd_check(text, robots, steps, seed, quiet=False):
    plans = []
    f = Fleet(text, robots, seed, record=plans)
    prev = [r.pos for r in f.robots]
    vertex = swaps = jumps = 0
    vertex += len(prev) - len(set(prev))
    for _ in range(steps):
        f.step()
        cur = [r.pos for r in f.robots]
        v, s = conflicts(prev, cur)
        vertex += v
        swaps += s
        jumps += sum(1 for a, b in zip(prev, cur) if a != b and f.g.manhattan(a, b) != 1 or not f.g.free[b])
        prev = cur
    cache = {}
    bad = []
    for start, goal, path in plans:
        if goal not in cache:
            cache[goal] = dijkstra(f.g, goal)
        want = cache[goal].get(start)
        got = None if path is None else len(path) - 1
        if want != got:
            bad.append("A* %d -> %d: %s steps, Dijkstra %s" % (start, goal, got, want))
        elif path is not None:
            e = check_path(f.g, path, start, goal)
            if e:
                bad.append(e)
    busy = sum(1 for r in f.robots if r.state != IDLE)
    reported = sum(r.reported for r in f.robots)
    hours = steps / 3600.0
    print("map %dx%d, %d waypoints, %d pick-up and %d drop-off cells; %d robots, %d steps, seed %d" %
          (f.g.w, f.g.h, f.g.nodes, len(f.g.picks), len(f.g.drops), robots, steps, seed))
    print("conflicts: vertex %d, swap %d, invalid moves %d" % (vertex, swaps, jumps))
    print("A* plans %d, all %s Dijkstra's length (%d goals)" %
          (len(plans), "equal to" if not bad else "NOT equal to", len(cache)))
    print("tasks: allocated %d = completed %d + reported %d + in progress %d" %
          (f.assigned, f.completed, reported, busy))
    print("replans %d, deadlocks detected %d; throughput %.0f tasks per simulated hour (1 step = 1 s)" %
          (sum(r.replans for r in f.robots), sum(r.deadlocks for r in f.robots), f.completed / hours))
    ok = not bad and vertex == 0 and swaps == 0 and jumps == 0 and \
        f.assigned == f.completed + reported + busy and f.completed > 0
    for b in bad[:5]:
        print("  " + b)
    print("check: %s" % ("OK" if ok else "FAILED"))
    return 0 if ok else 1


# ------------------------------------------------- scene and output layers

def _attr_samples(layer, prim, name):
    """{frame: text} of the time samples of attribute `name` of the prim
    named `prim` (the first def of that name) in a usda layer."""
    start = re.search(r'\b(?:def\s+\w+|over)\s+"%s"' % re.escape(prim), layer)
    if not start:
        raise SystemExit("fleet.py: no prim %s in the layer" % prim)
    m = re.compile(re.escape(name) + r"\.timeSamples\s*=\s*\{").search(layer, start.start())
    if not m:
        raise SystemExit("fleet.py: no time samples of %s" % name)
    i, depth, out = m.end(), 0, {}
    while True:
        m2 = re.compile(r"\s*(-?[0-9.e+]+)\s*:\s*").match(layer, i)
        if not m2:
            break
        j = m2.end()
        if layer[j] == "[":
            e = layer.index("]", j)
        else:
            e = j
            while layer[e] not in ",\n}":
                e += 1
            e -= 1
        out[float(m2.group(1))] = layer[j:e + 1]
        i = e + 1
        while layer[i] in ", \n":
            i += 1
        if layer[i] == "}":
            break
    del depth
    return out


def _nums(text):
    return [float(x) for x in re.findall(r"-?[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?", text)]


def scene_config(scene):
    m = re.search(r'string fleet:map = """\n?(.*?)"""', scene, re.S)
    if not m:
        raise SystemExit("fleet.py: the scene has no fleet:map")
    def num(name, default):
        v = re.search(r"\b%s\s*=\s*(-?[0-9.]+)" % re.escape(name), scene)
        return float(v.group(1)) if v else default
    robots = re.search(r"int\[\] inputs:robots = \[([^\]]*)\]", scene)
    starts = [int(x) for x in robots.group(1).split(",")]
    return m.group(1), starts, int(num("fleet:seed", 1)), int(num("fleet:stallLimit", 24)), num("fleet:cellSize", 1.0)


def cmd_compare(out_path, scene_path):
    """The recorded fleet (positions, headings, loads, task states, counters)
    equals this reference's, frame by frame."""
    layer = open(out_path).read()
    text, starts, seed, stall, cell = scene_config(open(scene_path).read())
    f = Fleet(text, len(starts), seed, stall, starts)
    pos = _attr_samples(layer, "Fleet", "double3[] outputs:positions")
    names = [("double[] outputs:headings", lambda r: r.heading), ("int[] outputs:loads", lambda r: r.load),
             ("int[] outputs:taskStates", lambda r: r.state), ("int[] outputs:tasksDone", lambda r: r.done),
             ("int[] outputs:replans", lambda r: r.replans), ("int[] outputs:deadlocks", lambda r: r.deadlocks),
             ("int[] outputs:reported", lambda r: r.reported)]
    other = [(n, g, _attr_samples(layer, "Fleet", n)) for n, g in names]
    frames = sorted(pos)
    h = f.g.h
    steps = 0
    for fr in frames:
        while steps < int(fr):
            f.step()
            steps += 1
        want = []
        for r in f.robots:
            want += [(r.pos % f.g.w) * cell, (h - 1 - r.pos // f.g.w) * cell, 0.0]
        if _nums(pos[fr]) != want:
            print("FAIL: frame %g: positions differ from the reference" % fr)
            return 1
        for n, g, s in other:
            if _nums(s[fr]) != [float(g(r)) for r in f.robots]:
                print("FAIL: frame %g: %s differs from the reference" % (fr, n))
                return 1
    print("recorded fleet = reference: %d robots, %d frames, %d tasks completed" %
          (len(starts), len(frames), f.completed))
    return 0


def cmd_scene(text, robots, module, robot_prims, out, seed, frames):
    g = Grid(text)
    cell = 1.0
    shelves = ", ".join("(%d, %d, 0.5)" % (c % g.w, g.h - 1 - c // g.w)
                        for c in range(g.w * g.h) if not g.free[c])
    picks = ", ".join("(%d, %d, 0.02)" % (c % g.w, g.h - 1 - c // g.w) for c in g.picks)
    drops = ", ".join("(%d, %d, 0.02)" % (c % g.w, g.h - 1 - c // g.w) for c in g.drops)
    ints = ", ".join(["-1"] * robots)
    s = ['#usda 1.0\n(\n    doc = """Warehouse fleet (demos/warehouse/README.md): %d robots on a %dx%d MAPF-format map\n'
         '    with %d waypoints. Written by demos/warehouse/python/fleet.py scene."""\n'
         '    startTimeCode = 0\n    endTimeCode = %d\n    timeCodesPerSecond = 1\n    upAxis = "Z"\n'
         '    metersPerUnit = 1\n)\n\n' % (robots, g.w, g.h, g.nodes, frames),
         'def Xform "World"\n{\n',
         '    def WasmRobotics "Fleet" (\n        doc = "The fleet: one call a frame advances the simulation to the frame"\n'
         '        customData = { string wasmAbiVersion = "1" }\n    )\n    {\n'
         '        uniform asset wasm:path = @./modules/%s@\n' % module,
         '        uniform token wasm:entryFunction = "fleet_step"\n'
         '        uniform float wasm:updateRate = 0\n'
         '        uniform double wasm:callBudgetMs = 10000\n'
         '        uniform token[] wasm:params = ["frame", "count:inputs:robots", "inputs:robots", "outputs:positions",'
         ' "outputs:headings", "outputs:loads", "outputs:taskStates", "outputs:tasksDone", "outputs:replans",'
         ' "outputs:deadlocks", "outputs:reported"]\n'
         '        uniform token[] wasm:results = ["outputs:tasksCompleted"]\n'
         '        uniform token wasm:robotType = "mobile"\n'
         '        int fleet:seed = %d\n        int fleet:stallLimit = 24\n        double fleet:cellSize = %g\n'
         % (seed, cell),
         '        string fleet:map = """%s"""\n' % text,
         '        int[] inputs:robots = [%s]\n' % ints,
         '        double3[] outputs:positions = []\n        double[] outputs:headings = []\n'
         '        int[] outputs:loads = []\n        int[] outputs:taskStates = []\n        int[] outputs:tasksDone = []\n'
         '        int[] outputs:replans = []\n        int[] outputs:deadlocks = []\n        int[] outputs:reported = []\n'
         '        int outputs:tasksCompleted = 0\n    }\n\n',
         '    def Points "RobotMarkers" (doc = "One point a robot, at the fleet\'s positions")\n    {\n'
         '        point3f[] points.connect = </World/Fleet.outputs:positions>\n'
         '        float[] widths = [%s]\n        color3f[] primvars:displayColor = [(1, 0.5, 0)]\n    }\n\n'
         % ", ".join(["0.8"] * robots),
         '    def Points "Shelves"\n    {\n        point3f[] points = [%s]\n        float[] widths = [1]\n'
         '        color3f[] primvars:displayColor = [(0.35, 0.35, 0.4)]\n    }\n\n' % shelves,
         '    def Points "PickStations"\n    {\n        point3f[] points = [%s]\n        float[] widths = [0.3]\n'
         '        color3f[] primvars:displayColor = [(0.2, 0.7, 0.2)]\n    }\n\n' % picks,
         '    def Points "DropStations"\n    {\n        point3f[] points = [%s]\n        float[] widths = [0.6]\n'
         '        color3f[] primvars:displayColor = [(0.2, 0.3, 0.9)]\n    }\n' % drops]
    if robot_prims:
        s.append('\n    def Xform "Robots"\n    {\n')
        for i in range(robots):
            s.append(ROBOT_PRIM % {"i": i, "module": robot_prims})
        s.append('    }\n')
    s.append('}\n')
    data = "".join(s)
    if out == "-":
        sys.stdout.write(data)
    else:
        with open(out, "w") as fh:
            fh.write(data)
    return 0


ROBOT_PRIM = '''        def WasmRobotics "Robot_%(i)03d" (
            doc = "Robot %(i)d: its pose, load and task state, selected from the fleet's arrays"
            customData = { string wasmAbiVersion = "1" }
        )
        {
            uniform asset wasm:path = @./modules/%(module)s@
            uniform token wasm:entryFunction = "robot_view"
            uniform float wasm:updateRate = 0
            uniform token[] wasm:params = ["inputs:index", "count:inputs:headings", "inputs:positions", "inputs:headings", "inputs:loads", "inputs:taskStates", "outputs:position", "outputs:heading", "outputs:load", "outputs:taskState"]
            uniform token[] wasm:results = ["outputs:transform"]
            uniform token wasm:robotType = "mobile"
            int[] inputs:index = [%(i)d]
            double3[] inputs:positions.connect = </World/Fleet.outputs:positions>
            double[] inputs:headings.connect = </World/Fleet.outputs:headings>
            int[] inputs:loads.connect = </World/Fleet.outputs:loads>
            int[] inputs:taskStates.connect = </World/Fleet.outputs:taskStates>
            double3[] outputs:position = []
            double[] outputs:heading = []
            int[] outputs:load = []
            int[] outputs:taskState = []
            matrix4d outputs:transform = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))
            matrix4d xformOp:transform.connect = </World/Robots/Robot_%(i)03d.outputs:transform>
            uniform token[] xformOpOrder = ["xformOp:transform"]

            def Cube "Body"
            {
                double size = 0.8
                double3 xformOp:translate = (0, 0, 0.4)
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }

            def Cube "Nose"
            {
                double size = 0.2
                double3 xformOp:translate = (0.45, 0, 0.4)
                uniform token[] xformOpOrder = ["xformOp:translate"]
            }
        }
'''


def main(argv):
    if len(argv) < 2 or argv[0] not in ("run", "trace", "check", "compare", "scene"):
        print(__doc__)
        return 2
    cmd = argv[0]
    if cmd == "compare":
        return cmd_compare(argv[1], argv[2])
    text = open(argv[1]).read()
    opts = {"--robots": "20", "--steps": "1000", "--seed": "1", "--module": "fleet_c.wasm", "-o": "-",
            "--robot-prims": "", "--frames": "600"}
    i = 2
    while i < len(argv):
        if argv[i] not in opts or i + 1 >= len(argv):
            print("fleet.py: unknown or incomplete option %s" % argv[i])
            return 2
        opts[argv[i]] = argv[i + 1]
        i += 2
    robots, steps, seed = int(opts["--robots"]), int(opts["--steps"]), int(opts["--seed"])
    try:
        if cmd == "check":
            return cmd_check(text, robots, steps, seed)
        if cmd == "scene":
            return cmd_scene(text, robots, opts["--module"], opts["--robot-prims"], opts["-o"], seed,
                             int(opts["--frames"]))
        f = Fleet(text, robots, seed)
        for _ in range(steps):
            f.step()
            if cmd == "trace":
                print("%d %d %s" % (f.t, f.completed, " ".join("%d:%d:%d:%g" % (r.pos, r.state, r.load, r.heading)
                                                              for r in f.robots)))
        if cmd == "run":
            print("%d steps: %d tasks completed, positions %s" % (steps, f.completed, [r.pos for r in f.robots][:8]))
        return 0
    except MapError as e:
        print("fleet.py: %s: %s" % (argv[1], e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
