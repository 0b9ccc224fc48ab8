/**
 * Automatic layout of a pipeline: elkjs's layered algorithm, left to right, with each step's
 * inputs as ports on its left side and its outputs on its right (elk places the steps so
 * that the edges between ports have room and cross little; the canvas then routes them,
 * model/routing.ts).
 *
 * elkjs is large (1.6 MB of GWT output) and slow on first use, so it is loaded lazily
 * (`prepareLayout` starts loading it early, e.g. while the file is being parsed), mid-sized
 * graphs use cheaper options (one crossing-minimization pass, linear-segments placement), and
 * big ones (LARGE_GRAPH steps or more) a fast layered layout of our own, `quickLayout`.
 * (elkjs's worker build was tried: the JupyterLab builder bundles `elk-worker.min.js` into a
 * start-up chunk instead of emitting it as a worker script, so layout stays in the page.)
 */
import type { PipelineDocument } from '../api/types';
import type { XY } from './document';
import { NODE_WIDTH, nodeHeight, PORT_ROW, PORT_TOP, portRows, toEdges } from './graph';

export { NODE_WIDTH, nodeHeight };

/** A step's height in the editor (where layouts are made): its ports and the "+" row. */
function stepHeight(step: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }): number {
  return nodeHeight(portRows(Object.keys(step.inputs ?? {}).length, Object.keys(step.outputs ?? {}).length, true));
}

/** From this many steps on, the layout is `quickLayout` (elk takes a second or more). */
export const LARGE_GRAPH = 60;

/** The part of elkjs's API used here. */
interface ElkLike {
  layout(graph: any): Promise<any>;
}

let elkPromise: Promise<ElkLike> | null = null;

/** elk, loaded on first use (its chunk stays out of JupyterLab's start-up). */
async function bundledElk(): Promise<ElkLike> {
  const mod: any = await import('elkjs/lib/elk.bundled.js');
  const ELK = mod.default ?? mod;
  return new ELK();
}

function getElk(): Promise<ElkLike> {
  if (!elkPromise) {
    elkPromise = bundledElk();
    elkPromise.catch(() => {
      elkPromise = null; // try again next time (e.g. a chunk that failed to load)
    });
  }
  return elkPromise;
}

/** Start loading elk now, so that a later `autoLayout` does not wait for it. */
export function prepareLayout(): void {
  void getElk();
}

/** elk's options for a graph of `n` nodes (exported for tests). */
export function layoutOptions(n: number): Record<string, string> {
  const options: Record<string, string> = {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.layered.spacing.nodeNodeBetweenLayers': '60',
    'elk.spacing.nodeNode': '40',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    'elk.edgeRouting': 'ORTHOGONAL',
    // room around the lines that pass between steps (the canvas routes them the same way)
    'elk.spacing.edgeNode': '24',
    'elk.layered.spacing.edgeNodeBetweenLayers': '24',
    'elk.spacing.edgeEdge': '10'
  };
  if (n >= 40) {
    // About 4x faster on 300 steps, and more compact than Brandes-Koepf on wide graphs.
    options['elk.layered.thoroughness'] = '1';
    options['elk.layered.nodePlacement.strategy'] = 'LINEAR_SEGMENTS';
  }
  return options;
}

const LAYER_GAP = 80;
const NODE_GAP = 40;

/**
 * A fast layered layout (linear in steps and edges, a few milliseconds for hundreds of steps),
 * used for big pipelines where elk takes a second or more: longest-path layers left to right,
 * a few barycentre sweeps to reduce crossings, each layer stacked and centred vertically.
 */
export function quickLayout(doc: PipelineDocument): Record<string, XY> {
  const names = Object.keys(doc.steps);
  const index = new Map(names.map((n, i) => [n, i]));
  const preds: number[][] = names.map(() => []);
  const succs: number[][] = names.map(() => []);
  for (const e of toEdges(doc)) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s !== undefined && t !== undefined && s !== t) {
      preds[t].push(s);
      succs[s].push(t);
    }
  }
  // Layers: longest path from the sources, in topological order (Kahn); steps on a cycle
  // (an invalid pipeline) go after their placed predecessors.
  const layer = new Array<number>(names.length).fill(0);
  const indegree = preds.map(p => p.length);
  const queue: number[] = [];
  indegree.forEach((d, i) => d === 0 && queue.push(i));
  const done = new Array<boolean>(names.length).fill(false);
  let placed = 0;
  let next = 0; // lowest index possibly not placed (to break cycles)
  for (let head = 0; placed < names.length; head++) {
    if (head >= queue.length) {
      while (done[next]) {
        next++;
      }
      queue.push(next); // a cycle: start it anywhere
    }
    const v = queue[head];
    if (done[v]) {
      continue;
    }
    done[v] = true;
    placed++;
    for (const w of succs[v]) {
      layer[w] = Math.max(layer[w], layer[v] + 1);
      if (--indegree[w] === 0) {
        queue.push(w);
      }
    }
  }
  const layers: number[][] = [];
  names.forEach((_, i) => (layers[layer[i]] ??= []).push(i));
  const columns = layers.filter(l => l && l.length);
  // Order within layers: barycentre of neighbours' positions, sweeping right then left.
  const pos = new Array<number>(names.length).fill(0);
  const setPos = (col: number[]) => col.forEach((v, k) => (pos[v] = k / Math.max(1, col.length - 1)));
  columns.forEach(setPos);
  const sweep = (col: number[], neighbours: number[][]) => {
    const bary = new Map<number, number>();
    for (const v of col) {
      const ns = neighbours[v];
      bary.set(v, ns.length ? ns.reduce((a, w) => a + pos[w], 0) / ns.length : pos[v]);
    }
    col.sort((a, b) => bary.get(a)! - bary.get(b)! || pos[a] - pos[b]);
    setPos(col);
  };
  for (let pass = 0; pass < 4; pass++) {
    for (let c = 1; c < columns.length; c++) {
      sweep(columns[c], preds);
    }
    for (let c = columns.length - 2; c >= 0; c--) {
      sweep(columns[c], succs);
    }
  }
  const height = (i: number) => stepHeight(doc.steps[names[i]]);
  const out: Record<string, XY> = {};
  columns.forEach((col, c) => {
    const total = col.reduce((a, v) => a + height(v), 0) + NODE_GAP * (col.length - 1);
    let y = -total / 2;
    for (const v of col) {
      out[names[v]] = { x: c * (NODE_WIDTH + LAYER_GAP), y: Math.round(y) };
      y += height(v) + NODE_GAP;
    }
  });
  // Top-left at (0, 0), as elk gives.
  const top = Math.min(...Object.values(out).map(p => p.y));
  for (const p of Object.values(out)) {
    p.y -= top;
  }
  return out;
}

/** Positions (top-left corners) for every step, edges pointing left to right. */
export async function autoLayout(doc: PipelineDocument): Promise<Record<string, XY>> {
  const names = Object.keys(doc.steps);
  if (!names.length) {
    return {};
  }
  if (names.length >= LARGE_GRAPH) {
    return quickLayout(doc);
  }
  const elk = await getElk();
  const graph = elkGraph(doc, names);
  let result = await elk.layout(graph);
  if (names.length < TWO_PASSES_BELOW) {
    // Again with each port where the canvas draws it, in the order elk chose: steps are
    // placed so that lines between ports run straight where they can.
    result = await elk.layout(fixPorts(graph, result));
  }
  const out: Record<string, XY> = {};
  for (const child of result.children ?? []) {
    out[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  }
  return out;
}

/** Below this many steps, elk lays out twice (a few tens of milliseconds more). */
const TWO_PASSES_BELOW = 40;

const portOf = (step: string, kind: 'in' | 'out', name: string) => `${step}\u0000${kind}\u0000${name}`;

/** The elk graph of a pipeline: steps with their ports on their sides, edges between ports. */
function elkGraph(doc: PipelineDocument, names: string[]): any {
  return {
    id: 'root',
    layoutOptions: layoutOptions(names.length),
    children: names.map(name => {
      const step = doc.steps[name];
      const port = (kind: 'in' | 'out') => (p: string) => ({
        id: portOf(name, kind, p),
        width: 1,
        height: 1,
        layoutOptions: { 'elk.port.side': kind === 'in' ? 'WEST' : 'EAST' }
      });
      return {
        id: name,
        width: NODE_WIDTH,
        height: stepHeight(step),
        // ports stay on their side; elk orders them to avoid crossings
        layoutOptions: { 'elk.portConstraints': 'FIXED_SIDE' },
        ports: [...Object.keys(step.inputs ?? {}).map(port('in')), ...Object.keys(step.outputs ?? {}).map(port('out'))]
      };
    }),
    edges: toEdges(doc).map(e => {
      const out = e.kind === 'data' ? e.sourceHandle?.slice(e.sourceHandle.indexOf(':') + 1) : null;
      const inp = e.kind === 'data' ? e.targetHandle?.slice(e.targetHandle.indexOf(':') + 1) : null;
      return {
        id: e.id,
        sources: [out ? portOf(e.source, 'out', out) : e.source],
        targets: [inp ? portOf(e.target, 'in', inp) : e.target]
      };
    })
  };
}

/** `graph` with every port fixed where the canvas draws it, in the order of `laid` (elk's). */
function fixPorts(graph: any, laid: any): any {
  const placed = new Map<string, any>((laid.children ?? []).map((c: any) => [c.id, c]));
  return {
    ...graph,
    children: graph.children.map((child: any) => {
      const done = placed.get(child.id);
      const rank = new Map<string, number>();
      for (const side of ['WEST', 'EAST']) {
        const ports = (done?.ports ?? []).filter((p: any) => child.ports.find((q: any) => q.id === p.id)?.layoutOptions['elk.port.side'] === side);
        ports.sort((a: any, b: any) => (a.y ?? 0) - (b.y ?? 0));
        ports.forEach((p: any, i: number) => rank.set(p.id, i));
      }
      return {
        ...child,
        layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
        ports: child.ports.map((p: any) => ({
          ...p,
          x: p.layoutOptions['elk.port.side'] === 'WEST' ? -1 : NODE_WIDTH,
          y: PORT_TOP - 0.5 + (rank.get(p.id) ?? 0) * PORT_ROW
        }))
      };
    })
  };
}
