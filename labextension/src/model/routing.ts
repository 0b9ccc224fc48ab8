/**
 * Orthogonal edge routing on the canvas: each edge leaves its output port to the right and
 * enters its input port from the left, going around every other node (a shortest path with
 * few bends on the grid of lines that node boxes make), then edges that would share a line
 * are spread apart ("nudged") so that no two outputs seem to feed the same input.
 *
 * Pure geometry in flow coordinates, no React: routes are recomputed from the nodes' measured
 * boxes and port positions, so they stay right after a drag or with a stored layout.
 */
import type { XY } from './document';

/** A node's box (top-left corner and size). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The side of a node a port is on. */
export type Side = 'left' | 'right' | 'top' | 'bottom';

/** One edge to route. */
export interface EdgeRequest {
  id: string;
  source: string;
  target: string;
  /** The source port's point and side (default: right). */
  from: XY;
  fromSide?: Side;
  /** The target port's point and side (default: left). */
  to: XY;
  toSide?: Side;
  /** Edges of one bundle (one output port) may share their lines; others are spread apart. */
  bundle?: string;
}

export interface RouteOptions {
  /** Clearance kept around nodes (flow px). */
  margin?: number;
  /** How far a route goes straight out of a port before it may turn. */
  stub?: number;
  /** The cost of a bend, in px of length. */
  bend?: number;
  /** Distance between lines that are spread apart. */
  spacing?: number;
  /** Above this many grid points a search gives up (the simple route is used). */
  maxGrid?: number;
}

const DEFAULTS: Required<RouteOptions> = { margin: 10, stub: 14, bend: 40, spacing: 8, maxGrid: 120_000 };

const DIRS: readonly XY[] = [
  { x: 1, y: 0 },
  { x: -1, y: 0 },
  { x: 0, y: 1 },
  { x: 0, y: -1 }
];
const OUTWARD: Record<Side, number> = { right: 0, left: 1, bottom: 2, top: 3 };
const REVERSE = [1, 0, 3, 2];

/** A box as [left, top, right, bottom]. */
type Box = [number, number, number, number];

function toBox(r: Rect, grow = 0): Box {
  return [r.x - grow, r.y - grow, r.x + r.width + grow, r.y + r.height + grow];
}

/** Strictly inside (borders are free: routes may run along a node's clearance line). */
function inside(b: Box, p: XY): boolean {
  return p.x > b[0] + 1e-6 && p.x < b[2] - 1e-6 && p.y > b[1] + 1e-6 && p.y < b[3] - 1e-6;
}

/** True when the axis-parallel segment a-b passes through the interior of box `b`. */
export function segmentHitsBox(a: XY, c: XY, b: Box): boolean {
  const eps = 1e-6;
  if (Math.abs(a.y - c.y) < eps) {
    const [x0, x1] = a.x < c.x ? [a.x, c.x] : [c.x, a.x];
    return a.y > b[1] + eps && a.y < b[3] - eps && x1 > b[0] + eps && x0 < b[2] - eps;
  }
  const [y0, y1] = a.y < c.y ? [a.y, c.y] : [c.y, a.y];
  return a.x > b[0] + eps && a.x < b[2] - eps && y1 > b[1] + eps && y0 < b[3] - eps;
}

function polylineHits(points: XY[], boxes: Box[]): boolean {
  for (let k = 0; k + 1 < points.length; k++) {
    for (const b of boxes) {
      if (segmentHitsBox(points[k], points[k + 1], b)) {
        return true;
      }
    }
  }
  return false;
}

/** Points without repeats and without middle points of straight runs. */
export function simplify(points: XY[]): XY[] {
  const out: XY[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.x - p.x) < 1e-6 && Math.abs(last.y - p.y) < 1e-6) {
      continue;
    }
    const prev = out[out.length - 2];
    if (prev && last) {
      const straight =
        (Math.abs(prev.x - last.x) < 1e-6 && Math.abs(last.x - p.x) < 1e-6) ||
        (Math.abs(prev.y - last.y) < 1e-6 && Math.abs(last.y - p.y) < 1e-6);
      if (straight) {
        out[out.length - 1] = p;
        continue;
      }
    }
    out.push(p);
  }
  return out;
}

const step = (p: XY, dir: number, d: number): XY => ({ x: p.x + DIRS[dir].x * d, y: p.y + DIRS[dir].y * d });

/** The route without obstacles: straight, or a Z (or a detour when the target is behind). */
function simpleRoute(from: XY, s1: XY, t1: XY, to: XY, fromDir: number): XY[] {
  if (fromDir === 0 && s1.x <= t1.x) {
    if (Math.abs(from.y - to.y) < 1) {
      return [from, { x: to.x, y: from.y }]; // (half a pixel apart: rounded positions)
    }
    const xm = (s1.x + t1.x) / 2;
    return simplify([from, { x: xm, y: from.y }, { x: xm, y: to.y }, to]);
  }
  const ym = (s1.y + t1.y) / 2;
  return simplify([from, s1, { x: s1.x, y: ym }, { x: t1.x, y: ym }, t1, to]);
}

/** Sorted unique numbers. */
function uniqueSorted(values: number[]): number[] {
  values.sort((a, b) => a - b);
  const out: number[] = [];
  for (const v of values) {
    if (!out.length || v - out[out.length - 1] > 0.01) {
      out.push(v);
    }
  }
  return out;
}

/** Index of the first value >= v (values sorted). */
function lowerBound(values: number[], v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < v - 0.01) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** A binary min-heap of (priority, state) pairs. */
class Heap {
  private keys: number[] = [];
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(key: number, item: number): void {
    const { keys, items } = this;
    let i = items.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) {
        break;
      }
      keys[i] = keys[parent];
      items[i] = items[parent];
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  pop(): number {
    const { keys, items } = this;
    const top = items[0];
    const lastKey = keys.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) {
          break;
        }
        if (child + 1 < n && keys[child + 1] < keys[child]) {
          child++;
        }
        if (keys[child] >= lastKey) {
          break;
        }
        keys[i] = keys[child];
        items[i] = items[child];
        i = child;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }
}

/**
 * The lines that routes already run on, by axis and coordinate, with their bundles: a later
 * route avoids running along another bundle's line (two outputs would seem to feed one input).
 */
class Occupancy {
  /** Segments as [lo, hi, bundle, at], by orientation, then by Math.floor(at). */
  private lines = [new Map<number, [number, number, string, number][]>(), new Map<number, [number, number, string, number][]>()];

  /** Record a route's segments. */
  add(points: XY[], bundle: string): void {
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      const vertical = Math.abs(a.x - b.x) < 1e-6;
      const at = vertical ? a.x : a.y;
      const lines = this.lines[vertical ? 1 : 0];
      const key = Math.floor(at);
      const range: [number, number, string, number] = vertical
        ? [Math.min(a.y, b.y), Math.max(a.y, b.y), bundle, at]
        : [Math.min(a.x, b.x), Math.max(a.x, b.x), bundle, at];
      const list = lines.get(key);
      list ? list.push(range) : lines.set(key, [range]);
    }
  }

  /**
   * Ranges of other bundles' segments on a line (or less than LINE_GAP px from it), grown
   * by LINE_GAP: lines that only touch would seem joined as well.
   */
  others(vertical: boolean, at: number, bundle: string): [number, number][] {
    const out: [number, number][] = [];
    const lines = this.lines[vertical ? 1 : 0];
    for (let k = Math.floor(at - LINE_GAP); k <= Math.floor(at + LINE_GAP); k++) {
      for (const r of lines.get(k) ?? []) {
        if (r[2] !== bundle && Math.abs(r[3] - at) < LINE_GAP) {
          out.push([r[0] - LINE_GAP, r[1] + LINE_GAP]);
        }
      }
    }
    return out;
  }

  /** How long the points run on other bundles' lines. */
  overlap(points: XY[], bundle: string): number {
    let total = 0;
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      const vertical = Math.abs(a.x - b.x) < 1e-6;
      const [lo, hi] = vertical ? [Math.min(a.y, b.y), Math.max(a.y, b.y)] : [Math.min(a.x, b.x), Math.max(a.x, b.x)];
      for (const [l, h] of this.others(vertical, vertical ? a.x : a.y, bundle)) {
        total += Math.max(0, Math.min(hi, h) - Math.max(lo, l));
      }
    }
    return total;
  }
}

/** Lines closer than this (px) are one line to the eye. */
const LINE_GAP = 3;

/** The extra cost of a px of route along another bundle's line. */
const OVERLAP_COST = 4;

interface Search {
  bundle: string;
  occupied: Occupancy;
  s1: XY;
  t1: XY;
  fromDir: number;
  /** The direction of travel into the target port. */
  toDir: number;
  region: Box;
  obstacles: Box[];
  bend: number;
  maxGrid: number;
}

/**
 * The cheapest orthogonal path s1 -> t1 inside `region` avoiding the obstacles' interiors
 * (cost: length, plus `bend` per turn, plus a little for running along a node's clearance
 * line rather than in the middle of a channel), or null.
 */
function gridSearch(q: Search): XY[] | null {
  const { s1, t1, region, obstacles } = q;
  const xsRaw = [s1.x, t1.x, region[0], region[2]];
  const ysRaw = [s1.y, t1.y, region[1], region[3]];
  const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  for (const b of obstacles) {
    xsRaw.push(clip(b[0], region[0], region[2]), clip(b[2], region[0], region[2]));
    ysRaw.push(clip(b[1], region[1], region[3]), clip(b[3], region[1], region[3]));
  }
  const borderXs = uniqueSorted(xsRaw);
  const borderYs = uniqueSorted(ysRaw);
  // Channel middles: routes prefer them (lines along a clearance border cost a little more).
  const xs = uniqueSorted([...borderXs, ...borderXs.slice(1).map((v, i) => (v + borderXs[i]) / 2)]);
  const ys = uniqueSorted([...borderYs, ...borderYs.slice(1).map((v, i) => (v + borderYs[i]) / 2)]);
  const nx = xs.length;
  const ny = ys.length;
  if (nx * ny > q.maxGrid) {
    return null;
  }
  const onBorderX = new Uint8Array(nx);
  const onBorderY = new Uint8Array(ny);
  const blocked = new Uint8Array(nx * ny); // point strictly inside an obstacle
  const hBlocked = new Uint8Array(nx * ny); // segment (i,j)-(i+1,j) through an obstacle
  const vBlocked = new Uint8Array(nx * ny); // segment (i,j)-(i,j+1) through an obstacle
  for (const b of obstacles) {
    const i0 = lowerBound(xs, Math.max(b[0], region[0]));
    const i1 = Math.min(nx - 1, lowerBound(xs, Math.min(b[2], region[2])));
    const j0 = lowerBound(ys, Math.max(b[1], region[1]));
    const j1 = Math.min(ny - 1, lowerBound(ys, Math.min(b[3], region[3])));
    // Lines strictly inside the box; a box cut by the region's edge is inside there too.
    const iLo = b[0] < region[0] ? i0 : i0 + 1;
    const iHi = b[2] > region[2] ? i1 : i1 - 1;
    const jLo = b[1] < region[1] ? j0 : j0 + 1;
    const jHi = b[3] > region[3] ? j1 : j1 - 1;
    for (let i = i0; i <= i1; i++) {
      const innerI = i >= iLo && i <= iHi;
      for (let j = j0; j <= j1; j++) {
        const innerJ = j >= jLo && j <= jHi;
        if (innerI && innerJ) {
          blocked[i * ny + j] = 1;
        }
        if (innerJ && i < i1) {
          hBlocked[i * ny + j] = 1;
        }
        if (innerI && j < j1) {
          vBlocked[i * ny + j] = 1;
        }
      }
    }
    onBorderX[i0] = 1;
    onBorderX[i1] = 1;
    onBorderY[j0] = 1;
    onBorderY[j1] = 1;
  }
  // Grid segments on other bundles' lines (costly, not forbidden).
  const hShared = new Uint8Array(nx * ny);
  const vShared = new Uint8Array(nx * ny);
  ys.forEach((y, j) => {
    for (const [l, h] of q.occupied.others(false, y, q.bundle)) {
      for (let i = lowerBound(xs, l); i + 1 < nx && xs[i] < h - 0.5; i++) {
        hShared[i * ny + j] = 1;
      }
    }
  });
  xs.forEach((x, i) => {
    for (const [l, h] of q.occupied.others(true, x, q.bundle)) {
      for (let j = lowerBound(ys, l); j + 1 < ny && ys[j] < h - 0.5; j++) {
        vShared[i * ny + j] = 1;
      }
    }
  });
  const si = lowerBound(xs, s1.x);
  const sj = lowerBound(ys, s1.y);
  const ti = lowerBound(xs, t1.x);
  const tj = lowerBound(ys, t1.y);
  const n = nx * ny * 4;
  const cost = new Float64Array(n).fill(Infinity);
  const prev = new Int32Array(n).fill(-1);
  const heap = new Heap();
  const start = (si * ny + sj) * 4 + q.fromDir;
  cost[start] = 0;
  heap.push(0, start);
  const h = (i: number, j: number) => Math.abs(xs[i] - xs[ti]) + Math.abs(ys[j] - ys[tj]);
  let goal = -1;
  while (heap.size) {
    const state = heap.pop();
    const dir = state & 3;
    const cell = state >> 2;
    const i = Math.floor(cell / ny);
    const j = cell % ny;
    const c = cost[state];
    if (i === ti && j === tj) {
      if (dir === q.toDir) {
        goal = state;
        break;
      }
      // arriving sideways: one more turn into the port
      const turned = (cell << 2) | q.toDir;
      if (dir !== REVERSE[q.toDir] && c + q.bend < cost[turned]) {
        cost[turned] = c + q.bend;
        prev[turned] = state;
        heap.push(c + q.bend, turned);
      }
      continue;
    }
    for (let d = 0; d < 4; d++) {
      if (d === REVERSE[dir]) {
        continue;
      }
      const ni = i + (d === 0 ? 1 : d === 1 ? -1 : 0);
      const nj = j + (d === 2 ? 1 : d === 3 ? -1 : 0);
      if (ni < 0 || nj < 0 || ni >= nx || nj >= ny || blocked[ni * ny + nj]) {
        continue;
      }
      const segBlocked = d < 2 ? hBlocked[Math.min(i, ni) * ny + j] : vBlocked[i * ny + Math.min(j, nj)];
      if (segBlocked) {
        continue;
      }
      const len = d < 2 ? Math.abs(xs[ni] - xs[i]) : Math.abs(ys[nj] - ys[j]);
      const along = d < 2 ? onBorderY[j] : onBorderX[i];
      const shared = d < 2 ? hShared[Math.min(i, ni) * ny + j] : vShared[i * ny + Math.min(j, nj)];
      const nc = c + len * ((along ? 1.3 : 1) + (shared ? OVERLAP_COST : 0)) + (d === dir ? 0 : q.bend);
      const next = ((ni * ny + nj) << 2) | d;
      if (nc < cost[next]) {
        cost[next] = nc;
        prev[next] = state;
        heap.push(nc + h(ni, nj), next);
      }
    }
  }
  if (goal < 0) {
    return null;
  }
  const path: XY[] = [];
  for (let s = goal; s >= 0; s = prev[s]) {
    const cell = s >> 2;
    path.push({ x: xs[Math.floor(cell / ny)], y: ys[cell % ny] });
  }
  path.reverse();
  return path;
}

/** The route of one edge through `boxes` (by node id), before nudging. */
function routeOne(e: EdgeRequest, rects: Map<string, Rect>, index: SpatialIndex, occupied: Occupancy, o: Required<RouteOptions>): XY[] {
  const bundle = e.bundle ?? e.id;
  const fromDir = OUTWARD[e.fromSide ?? 'right'];
  const outTo = OUTWARD[e.toSide ?? 'left'];
  const toDir = REVERSE[outTo];
  const s1 = step(e.from, fromDir, o.stub);
  const t1 = step(e.to, outTo, o.stub);
  const simple = simpleRoute(e.from, s1, t1, e.to, fromDir);
  const candidates = (area: Box): Box[] => {
    const out: Box[] = [];
    for (const id of index.query(area)) {
      const r = rects.get(id)!;
      let b = toBox(r, o.margin);
      if (inside(b, s1) || inside(b, t1)) {
        b = toBox(r); // nodes too close for the clearance: keep off the node itself
        if (inside(b, s1) || inside(b, t1)) {
          continue;
        }
      }
      out.push(b);
    }
    return out;
  };
  // (the stubs, inside the end nodes' clearance, are free by construction)
  const clear = !polylineHits([s1, ...simple.slice(1, -1), t1], candidates(bounds(simple, o.margin + 1)));
  if (clear && occupied.overlap(simple, bundle) < 2) {
    return simple;
  }
  for (const pad of [80, 320, Infinity]) {
    const area: Box =
      pad === Infinity
        ? index.extent(o.margin * 4)
        : [Math.min(s1.x, t1.x) - pad, Math.min(s1.y, t1.y) - pad, Math.max(s1.x, t1.x) + pad, Math.max(s1.y, t1.y) + pad];
    area[0] = Math.min(area[0], s1.x, t1.x) - 1;
    area[1] = Math.min(area[1], s1.y, t1.y) - 1;
    area[2] = Math.max(area[2], s1.x, t1.x) + 1;
    area[3] = Math.max(area[3], s1.y, t1.y) + 1;
    const obstacles = candidates(area);
    const found = gridSearch({ bundle, occupied, s1, t1, fromDir, toDir, region: area, obstacles, bend: o.bend, maxGrid: o.maxGrid });
    if (found) {
      const route = simplify([e.from, ...found, e.to]);
      // a clear simple route is kept unless the search found one sharing fewer lines
      return clear && occupied.overlap(route, bundle) >= occupied.overlap(simple, bundle) ? simple : route;
    }
  }
  return simple;
}

/** The bounding box of points, grown by `grow`. */
function bounds(points: XY[], grow: number): Box {
  let b: Box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    b = [Math.min(b[0], p.x), Math.min(b[1], p.y), Math.max(b[2], p.x), Math.max(b[3], p.y)];
  }
  return [b[0] - grow, b[1] - grow, b[2] + grow, b[3] + grow];
}

/** A uniform grid of node ids, to find the nodes near an edge quickly in big pipelines. */
class SpatialIndex {
  private cells = new Map<string, string[]>();
  private all: Box = [Infinity, Infinity, -Infinity, -Infinity];

  constructor(
    rects: Map<string, Rect>,
    private readonly size = 400
  ) {
    for (const [id, r] of rects) {
      const b = toBox(r);
      this.all = [Math.min(this.all[0], b[0]), Math.min(this.all[1], b[1]), Math.max(this.all[2], b[2]), Math.max(this.all[3], b[3])];
      this.forCells(toBox(r, 40), key => {
        const list = this.cells.get(key);
        list ? list.push(id) : this.cells.set(key, [id]);
      });
    }
  }

  private forCells(b: Box, fn: (key: string) => void): void {
    const s = this.size;
    for (let cx = Math.floor(b[0] / s); cx <= Math.floor(b[2] / s); cx++) {
      for (let cy = Math.floor(b[1] / s); cy <= Math.floor(b[3] / s); cy++) {
        fn(`${cx},${cy}`);
      }
    }
  }

  /** Ids of the nodes whose (slightly grown) box may meet `area`. */
  query(area: Box): Set<string> {
    const found = new Set<string>();
    const clipped: Box = [
      Math.max(area[0], this.all[0] - 100),
      Math.max(area[1], this.all[1] - 100),
      Math.min(area[2], this.all[2] + 100),
      Math.min(area[3], this.all[3] + 100)
    ];
    if (clipped[0] > clipped[2] || clipped[1] > clipped[3]) {
      return found;
    }
    this.forCells(clipped, key => this.cells.get(key)?.forEach(id => found.add(id)));
    return found;
  }

  /** The box of all nodes, grown by `grow`. */
  extent(grow: number): Box {
    return [this.all[0] - grow, this.all[1] - grow, this.all[2] + grow, this.all[3] + grow];
  }
}

/** One movable (inner) segment of a route. */
interface Segment {
  route: XY[];
  k: number; // points k and k+1
  vertical: boolean;
  at: number; // its x (vertical) or y
  lo: number;
  hi: number;
  bundle: string;
  /** Where the route comes from along the segment's axis: sorts lines to avoid crossings. */
  entry: number;
  exit: number;
}

/** The inner segments of routes (not the first or last: those stay on their ports). */
function innerSegments(routes: Map<string, { points: XY[]; bundle: string }>): Segment[] {
  const out: Segment[] = [];
  for (const { points, bundle } of routes.values()) {
    for (let k = 1; k + 2 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      const vertical = Math.abs(a.x - b.x) < 1e-6;
      out.push({
        route: points,
        k,
        vertical,
        at: vertical ? a.x : a.y,
        lo: vertical ? Math.min(a.y, b.y) : Math.min(a.x, b.x),
        hi: vertical ? Math.max(a.y, b.y) : Math.max(a.x, b.x),
        bundle,
        entry: vertical ? a.y : a.x,
        exit: vertical ? b.y : b.x
      });
    }
  }
  return out;
}

/** The free interval around a segment's line: between the nearest node boxes (and the
 * segment's neighbours, which must not turn back). */
function corridor(seg: Segment, boxes: Box[], clearance: number): [number, number] {
  let lo = -Infinity;
  let hi = Infinity;
  for (const b of boxes) {
    const [a0, a1, across0, across1] = seg.vertical ? [b[1], b[3], b[0], b[2]] : [b[0], b[2], b[1], b[3]];
    if (a1 <= seg.lo || a0 >= seg.hi) {
      continue;
    }
    if (across1 <= seg.at) {
      lo = Math.max(lo, across1 + clearance);
    } else if (across0 >= seg.at) {
      hi = Math.min(hi, across0 - clearance);
    }
  }
  const p = seg.route;
  for (const q of [p[seg.k - 1], p[seg.k + 2]]) {
    const v = seg.vertical ? q.x : q.y;
    if (v < seg.at) {
      lo = Math.max(lo, v + 6);
    } else if (v > seg.at) {
      hi = Math.min(hi, v - 6);
    }
  }
  return [Math.min(lo, seg.at), Math.max(hi, seg.at)];
}

/** Spread apart the inner segments of different bundles that share a line. */
function nudge(routes: Map<string, { points: XY[]; bundle: string }>, boxes: Box[], spacing: number): void {
  // Segments on (nearly) one line: sorted by position, split where lines are LINE_GAP apart.
  const groups: Segment[][] = [];
  for (const vertical of [true, false]) {
    const segs = innerSegments(routes).filter(s => s.vertical === vertical);
    segs.sort((a, b) => a.at - b.at);
    let group: Segment[] = [];
    for (const seg of segs) {
      if (group.length && seg.at - group[group.length - 1].at >= LINE_GAP) {
        groups.push(group);
        group = [];
      }
      group.push(seg);
    }
    groups.push(group);
  }
  for (const segs of groups) {
    if (segs.length < 2) {
      continue;
    }
    segs.sort((a, b) => a.lo - b.lo);
    // clusters of segments overlapping (or touching) along the line
    let cluster: Segment[] = [];
    let end = -Infinity;
    const flush = () => {
      if (cluster.length > 1) {
        spread(cluster, boxes, spacing);
      }
      cluster = [];
    };
    for (const s of segs) {
      if (s.lo > end + LINE_GAP) {
        flush();
        end = -Infinity;
      }
      cluster.push(s);
      end = Math.max(end, s.hi);
    }
    flush();
  }
}

function spread(cluster: Segment[], boxes: Box[], spacing: number): void {
  const bundles = new Map<string, Segment[]>();
  for (const s of cluster) {
    const list = bundles.get(s.bundle);
    list ? list.push(s) : bundles.set(s.bundle, [s]);
  }
  if (bundles.size < 2) {
    return;
  }
  // Lines going "down" (entry < exit): the one coming from further up goes outside (right/
  // below); lines going "up" mirror that. This is what keeps Z-shaped lines from crossing.
  const key = (segs: Segment[]) => {
    const s = segs[0];
    return s.entry < s.exit ? -s.entry : s.entry - 1e6;
  };
  const ordered = [...bundles.values()].sort((a, b) => key(a) - key(b));
  const at = cluster.reduce((sum, s) => sum + s.at, 0) / cluster.length;
  let lo = -Infinity;
  let hi = Infinity;
  for (const s of cluster) {
    const [l, h] = corridor(s, boxes, 4);
    lo = Math.max(lo, l);
    hi = Math.min(hi, h);
  }
  const m = ordered.length;
  const gap = Math.max(1, Math.min(spacing, (hi - lo) / (m + 1)));
  let first = at - ((m - 1) / 2) * gap;
  first = Math.max(first, lo + gap / 2);
  first = Math.min(first, hi - gap / 2 - (m - 1) * gap);
  ordered.forEach((segs, n) => {
    for (const s of segs) {
      const [l, h] = corridor(s, boxes, 2);
      const v = Math.min(h, Math.max(l, first + n * gap));
      const p = s.route;
      if (s.vertical) {
        p[s.k] = { x: v, y: p[s.k].y };
        p[s.k + 1] = { x: v, y: p[s.k + 1].y };
      } else {
        p[s.k] = { x: p[s.k].x, y: v };
        p[s.k + 1] = { x: p[s.k + 1].x, y: v };
      }
    }
  });
}

/** Routes for every edge (by id): orthogonal polylines from `from` to `to`, around the nodes. */
export function routeEdges(
  nodes: Map<string, Rect> | Record<string, Rect>,
  edges: EdgeRequest[],
  options: RouteOptions = {}
): Map<string, XY[]> {
  const o = { ...DEFAULTS, ...options };
  const rects = nodes instanceof Map ? nodes : new Map(Object.entries(nodes));
  const index = new SpatialIndex(rects);
  const occupied = new Occupancy();
  const routes = new Map<string, { points: XY[]; bundle: string }>();
  // Short edges first: they keep their direct lines, longer ones go around them.
  const span = (e: EdgeRequest) => Math.abs(e.to.x - e.from.x) + Math.abs(e.to.y - e.from.y);
  const ordered = [...edges].sort((a, b) => span(a) - span(b));
  for (const e of ordered) {
    const points = routeOne(e, rects, index, occupied, o);
    occupied.add(points, e.bundle ?? e.id);
    routes.set(e.id, { points, bundle: e.bundle ?? e.id });
  }
  nudge(routes, [...rects.values()].map(r => toBox(r)), o.spacing);
  const out = new Map<string, XY[]>();
  for (const [id, r] of routes) {
    out.set(id, r.points);
  }
  return out;
}

/** An SVG path through orthogonal points, with rounded corners. */
export function roundedPath(points: XY[], radius = 8): string {
  if (!points.length) {
    return '';
  }
  const f = (v: number) => Math.round(v * 10) / 10;
  let d = `M${f(points[0].x)} ${f(points[0].y)}`;
  for (let k = 1; k < points.length - 1; k++) {
    const a = points[k - 1];
    const p = points[k];
    const b = points[k + 1];
    const lenIn = Math.hypot(p.x - a.x, p.y - a.y);
    const lenOut = Math.hypot(b.x - p.x, b.y - p.y);
    const r = Math.min(radius, lenIn / 2, lenOut / 2);
    if (r < 0.5) {
      d += ` L${f(p.x)} ${f(p.y)}`;
      continue;
    }
    const p0 = { x: p.x - ((p.x - a.x) / lenIn) * r, y: p.y - ((p.y - a.y) / lenIn) * r };
    const p1 = { x: p.x + ((b.x - p.x) / lenOut) * r, y: p.y + ((b.y - p.y) / lenOut) * r };
    d += ` L${f(p0.x)} ${f(p0.y)} Q${f(p.x)} ${f(p.y)} ${f(p1.x)} ${f(p1.y)}`;
  }
  const last = points[points.length - 1];
  return `${d} L${f(last.x)} ${f(last.y)}`;
}
