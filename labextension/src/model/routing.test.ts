import { describe, expect, it } from 'vitest';

import type { XY } from './document';
import { roundedPath, routeEdges, segmentHitsBox, simplify, type EdgeRequest, type Rect } from './routing';

const W = 220;
const H = 96;

/** A route's points never pass through a node other than its ends (boxes as drawn). */
function crossings(route: XY[], nodes: Record<string, Rect>, ends: string[]): string[] {
  const hit: string[] = [];
  for (const [id, r] of Object.entries(nodes)) {
    if (ends.includes(id)) {
      continue;
    }
    const box: [number, number, number, number] = [r.x, r.y, r.x + r.width, r.y + r.height];
    for (let k = 0; k + 1 < route.length; k++) {
      if (segmentHitsBox(route[k], route[k + 1], box)) {
        hit.push(id);
        break;
      }
    }
  }
  return hit;
}

/** How long two routes run along the same line (px). */
function shared(a: XY[], b: XY[]): number {
  let total = 0;
  for (let i = 0; i + 1 < a.length; i++) {
    for (let j = 0; j + 1 < b.length; j++) {
      const [p, q, r, t] = [a[i], a[i + 1], b[j], b[j + 1]];
      if (p.x === q.x && r.x === t.x && Math.abs(p.x - r.x) < 1) {
        total += Math.max(0, Math.min(Math.max(p.y, q.y), Math.max(r.y, t.y)) - Math.max(Math.min(p.y, q.y), Math.min(r.y, t.y)));
      } else if (p.y === q.y && r.y === t.y && Math.abs(p.y - r.y) < 1) {
        total += Math.max(0, Math.min(Math.max(p.x, q.x), Math.max(r.x, t.x)) - Math.max(Math.min(p.x, q.x), Math.min(r.x, t.x)));
      }
    }
  }
  return total;
}

const out = (r: Rect, row = 0): XY => ({ x: r.x + r.width, y: r.y + 60 + row * 20 });
const inn = (r: Rect, row = 0): XY => ({ x: r.x, y: r.y + 60 + row * 20 });

function isOrthogonal(points: XY[]): boolean {
  return points.every((p, k) => k === 0 || p.x === points[k - 1].x || p.y === points[k - 1].y);
}

describe('routeEdges', () => {
  it('draws a straight line between ports facing each other', () => {
    const nodes = { a: { x: 0, y: 0, width: W, height: H }, b: { x: 300, y: 0, width: W, height: H } };
    const routes = routeEdges(nodes, [{ id: 'e', source: 'a', target: 'b', from: out(nodes.a), to: inn(nodes.b) }]);
    expect(routes.get('e')).toEqual([out(nodes.a), inn(nodes.b)]);
  });

  it('goes around a node in the way, orthogonally', () => {
    const nodes = {
      a: { x: 0, y: 0, width: W, height: H },
      mid: { x: 300, y: -20, width: W, height: H + 40 },
      b: { x: 600, y: 0, width: W, height: H }
    };
    const edge: EdgeRequest = { id: 'e', source: 'a', target: 'b', from: out(nodes.a), to: inn(nodes.b) };
    const route = routeEdges(nodes, [edge]).get('e')!;
    expect(route[0]).toEqual(edge.from);
    expect(route[route.length - 1]).toEqual(edge.to);
    expect(isOrthogonal(route)).toBe(true);
    expect(crossings(route, nodes, ['a', 'b'])).toEqual([]);
    // it leaves the port to the right and enters the target from the left
    expect(route[1].y).toBe(edge.from.y);
    expect(route[route.length - 2].y).toBe(edge.to.y);
    expect(route[1].x).toBeGreaterThan(edge.from.x);
    expect(route[route.length - 2].x).toBeLessThan(edge.to.x);
  });

  it('reaches a target behind its source without crossing either', () => {
    const nodes = { a: { x: 400, y: 0, width: W, height: H }, b: { x: 0, y: 20, width: W, height: H } };
    const route = routeEdges(nodes, [{ id: 'e', source: 'a', target: 'b', from: out(nodes.a), to: inn(nodes.b) }]).get('e')!;
    expect(isOrthogonal(route)).toBe(true);
    // the route's inner part keeps clear of both end nodes
    expect(crossings(route.slice(1, -1), nodes, [])).toEqual([]);
  });

  it('spreads lines of different outputs that would share a channel', () => {
    // two sources on the left, two targets on the right, crossing over the same gap
    const nodes = {
      a: { x: 0, y: 0, width: W, height: H },
      b: { x: 0, y: 200, width: W, height: H },
      c: { x: 400, y: 100, width: W, height: H },
      d: { x: 400, y: 300, width: W, height: H }
    };
    const routes = routeEdges(nodes, [
      { id: 'ac', source: 'a', target: 'c', from: out(nodes.a), to: inn(nodes.c), bundle: 'a' },
      { id: 'bd', source: 'b', target: 'd', from: out(nodes.b), to: inn(nodes.d), bundle: 'b' },
      { id: 'ad', source: 'a', target: 'd', from: out(nodes.a), to: inn(nodes.d, 1), bundle: 'a' }
    ]);
    // no line of one output runs along a line of another output
    expect(shared(routes.get('ac')!, routes.get('bd')!)).toBe(0);
    expect(shared(routes.get('ad')!, routes.get('bd')!)).toBe(0);
    for (const [id, route] of routes) {
      expect(crossings(route, nodes, [id[0], id[1]])).toEqual([]);
    }
  });

  it('never crosses a node in layered pipelines with long edges (random)', () => {
    let seed = 7;
    let sharedTotal = 0;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const nodes: Record<string, Rect> = {};
      const layers = 3 + Math.floor(rand() * 4);
      const names: string[][] = [];
      for (let l = 0; l < layers; l++) {
        names.push([]);
        const count = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < count; k++) {
          const id = `n${l}_${k}`;
          nodes[id] = { x: l * 300, y: k * 150 + Math.floor(rand() * 40), width: W, height: 76 + Math.floor(rand() * 3) * 20 };
          names[l].push(id);
        }
      }
      const edges: EdgeRequest[] = [];
      for (let l = 1; l < layers; l++) {
        for (const t of names[l]) {
          const from = Math.floor(rand() * l);
          const s = names[from][Math.floor(rand() * names[from].length)];
          edges.push({ id: `${s}->${t}`, source: s, target: t, from: out(nodes[s]), to: inn(nodes[t]), bundle: s });
        }
      }
      const routes = routeEdges(nodes, edges);
      for (const e of edges) {
        const route = routes.get(e.id)!;
        expect(isOrthogonal(route)).toBe(true);
        expect(crossings(route, nodes, [e.source, e.target]), `${e.id} in trial ${trial}`).toEqual([]);
        for (const f of edges) {
          if (f.bundle !== e.bundle) {
            sharedTotal += shared(route, routes.get(f.id)!);
          }
        }
      }
    }
    console.log(`lines shared by different outputs, 20 random pipelines: ${sharedTotal.toFixed(0)} px`);
  });

  it('routes a 300-step grid pipeline quickly', () => {
    const nodes: Record<string, Rect> = {};
    const edges: EdgeRequest[] = [];
    for (let layer = 0; layer < 30; layer++) {
      for (let col = 0; col < 10; col++) {
        const id = `s${layer}_${col}`;
        nodes[id] = { x: 40 + col * 260, y: 40 + layer * 140, width: W, height: H };
        if (layer) {
          for (const c of new Set([col % 10, (col + 1) % 10])) {
            const s = `s${layer - 1}_${c}`;
            edges.push({ id: `${s}->${id}`, source: s, target: id, from: out(nodes[s]), to: inn(nodes[id], c === col ? 0 : 1), bundle: s });
          }
        }
      }
    }
    const t = performance.now();
    const routes = routeEdges(nodes, edges);
    const ms = performance.now() - t;
    expect(routes.size).toBe(edges.length);
    console.log(`300 steps, ${edges.length} edges routed in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1500);
    let bad = 0;
    for (const e of edges) {
      bad += crossings(routes.get(e.id)!, nodes, [e.source, e.target]).length ? 1 : 0;
    }
    expect(bad).toBe(0);
  });
});

describe('path helpers', () => {
  it('simplifies straight runs and repeats', () => {
    expect(
      simplify([
        { x: 0, y: 0 },
        { x: 5, y: 0 },
        { x: 5, y: 0 },
        { x: 10, y: 0 },
        { x: 10, y: 5 }
      ])
    ).toEqual([
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 5 }
    ]);
  });

  it('rounds corners', () => {
    const d = roundedPath([
      { x: 0, y: 0 },
      { x: 20, y: 0 },
      { x: 20, y: 20 }
    ]);
    expect(d).toBe('M0 0 L12 0 Q20 0 20 8 L20 20');
  });
});
