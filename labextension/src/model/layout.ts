/**
 * Automatic layout of a pipeline: elkjs's layered algorithm, left to right.
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
import { NODE_WIDTH, nodeHeight, toEdges } from './graph';

export { NODE_WIDTH, nodeHeight };

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
    'elk.layered.spacing.nodeNodeBetweenLayers': '80',
    'elk.spacing.nodeNode': '40',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF'
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
  const height = (i: number) => {
    const step = doc.steps[names[i]];
    return nodeHeight(Math.max(Object.keys(step.inputs ?? {}).length, Object.keys(step.outputs ?? {}).length));
  };
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
  const graph = {
    id: 'root',
    layoutOptions: layoutOptions(names.length),
    children: names.map(name => {
      const step = doc.steps[name];
      const ports = Math.max(Object.keys(step.inputs ?? {}).length, Object.keys(step.outputs ?? {}).length);
      return { id: name, width: NODE_WIDTH, height: nodeHeight(ports) };
    }),
    edges: toEdges(doc).map(e => ({ id: e.id, sources: [e.source], targets: [e.target] }))
  };
  const result = await elk.layout(graph);
  const out: Record<string, XY> = {};
  for (const child of result.children ?? []) {
    out[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  }
  return out;
}
