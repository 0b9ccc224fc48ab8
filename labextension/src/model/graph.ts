/**
 * Pipeline document -> canvas graph: one node per step (its ports, issue count, status) and
 * one edge per input that reads another step's output (plus dashed `run_after` edges).
 *
 * The shapes are structurally React Flow's `Node`/`Edge` so the canvas uses them as they are,
 * while this module stays free of React.
 */
import type { Issue, ParallelProgress, PipelineDocument, StepDoc } from '../api/types';
import type { UiStatus } from './status';
import type { XY } from './document';
import { stepFile } from './kinds';
import { sameProgress } from './progress';

/** What a step node shows. */
export interface StepNodeData {
  [key: string]: unknown;
  name: string;
  type: StepDoc['type'];
  /** The file or command the step runs. */
  file: string;
  inputs: string[];
  outputs: string[];
  status: UiStatus;
  /** Number of error/warning issues on the step. */
  errors: number;
  warnings: number;
  readOnly: boolean;
  /** A ParallelRunStep's mini-batch progress in the run shown (absent: none known). */
  progress?: ParallelProgress;
  /** When the step started and ended in the run shown (epoch seconds), as far as known. */
  started?: number | null;
  ended?: number | null;
  /** The Dask worker that ran the step in the run shown (its address), when known. */
  worker?: string | null;
}

/** Node size used by layouts and as a node's size before React Flow measures it (the
 * canvas' step node is this wide; each row of ports adds PORT_ROW px). */
export const NODE_WIDTH = 220;
/** The height of a row of ports on a node. */
export const PORT_ROW = 20;
/** Height of a node with `ports` rows of ports (an editable node has one more: "+ output"),
 * without a run's status line. */
export const nodeHeight = (ports: number): number => 53 + Math.max(0, ports) * PORT_ROW;
/** Where the first row of ports is, from the top of a node (its middle, without a status line). */
export const PORT_TOP = 55.5;
/** Rows of ports a node shows: its inputs or outputs, whichever are more, and in the editor
 * the row of the "+ input" / "+ output" handles. */
export const portRows = (inputs: number, outputs: number, editable: boolean): number =>
  Math.max(inputs, outputs) + (editable ? 1 : 0);
/** The name of the output that dragging from a step's "+ output" handle creates. */
export const newOutputName = (step: string): string => `${step.replace(/[^A-Za-z0-9_]/g, '_')}_out`;
/** The handle ids of the "+ output" and "+ input" handles (a new port on connection). */
export const NEW_OUTPUT = 'new-out';
export const NEW_INPUT = 'new-in';

/** A canvas node (React Flow `Node<StepNodeData>`). */
export interface GraphNode {
  id: string;
  type: 'step';
  position: XY;
  data: StepNodeData;
  selected?: boolean;
  /** The size the node has until measured: React Flow shows (and hit-tests) a node only
   * once it knows a size, so big pipelines are clickable before all nodes are measured. */
  initialWidth: number;
  initialHeight: number;
}

/** A canvas edge (React Flow `Edge`): source output handle -> target input handle. */
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle: string | null;
  targetHandle: string | null;
  /** 'data' for an input reading an output; 'after' for a run_after ordering. */
  kind: 'data' | 'after';
}

/** Options of `toGraph`. */
export interface GraphOptions {
  statuses?: Record<string, UiStatus>;
  issues?: Issue[];
  readOnly?: boolean;
  selected?: string | null;
  /** Positions to use for steps missing from the document's layout. */
  fallback?: Record<string, XY>;
  /** Mini-batch progress of the run's ParallelRunSteps, by step name. */
  progress?: Record<string, ParallelProgress>;
  /** Start and end times of the run's steps (epoch seconds), by step name. */
  times?: Record<string, { started: number | null; ended: number | null }>;
  /** The Dask workers that ran the run's steps (their addresses), by step name. */
  workers?: Record<string, string | null>;
}

/** Handle id of an input/output port on a node. */
export const portId = (kind: 'in' | 'out', name: string): string => `${kind}:${name}`;
/** The port name of a handle id made by `portId` (null for the node's own handles). */
export const portName = (handle: string | null | undefined): string | null =>
  handle && handle.includes(':') ? handle.slice(handle.indexOf(':') + 1) : null;

/** Count issues by step in one pass. */
export function issuesByStep(issues: Issue[] = []): Map<string, { errors: number; warnings: number }> {
  const counts = new Map<string, { errors: number; warnings: number }>();
  for (const issue of issues) {
    if (!issue.step) {
      continue;
    }
    const c = counts.get(issue.step) ?? { errors: 0, warnings: 0 };
    if (issue.severity === 'error') {
      c.errors++;
    } else {
      c.warnings++;
    }
    counts.set(issue.step, c);
  }
  return counts;
}

/**
 * Node data kept between renders: a step whose document, status and issue counts did not
 * change keeps its data object, so memoized node components do not re-render.
 */
export type NodeDataCache = Map<string, { step: StepDoc; data: StepNodeData }>;

const sameList = (a: string[], b: string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function sameData(a: StepNodeData, b: Omit<StepNodeData, 'file'> & { inputs: string[]; outputs: string[] }): boolean {
  return (
    sameProgress(a.progress, b.progress as ParallelProgress | undefined) &&
    sameList(a.inputs, b.inputs) &&
    sameList(a.outputs, b.outputs) &&
    a.started === b.started &&
    a.ended === b.ended &&
    a.worker === b.worker &&
    a.status === b.status &&
    a.errors === b.errors &&
    a.warnings === b.warnings &&
    a.readOnly === b.readOnly &&
    a.name === b.name &&
    a.type === b.type
  );
}

/** Where each step is drawn: its stored position, else `fallback`, else a grid. */
function placements(doc: PipelineDocument, fallback?: Record<string, XY>): Map<string, XY> {
  const layout = doc.layout?.nodes ?? {};
  const out = new Map<string, XY>();
  let i = 0;
  for (const name of Object.keys(doc.steps)) {
    out.set(name, layout[name] ?? fallback?.[name] ?? { x: (i % 6) * 260, y: Math.floor(i / 6) * 140 });
    i++;
  }
  return out;
}

/** Ports sorted by a key, ports without one (unconnected) last, each group in file order. */
function sortPorts(names: string[], key: (name: string) => number | undefined): string[] {
  const keyed = names.map((name, i) => ({ name, i, k: key(name) }));
  keyed.sort((a, b) => {
    if (a.k === undefined || b.k === undefined) {
      return a.k === b.k ? a.i - b.i : a.k === undefined ? 1 : -1;
    }
    return a.k - b.k || a.i - b.i;
  });
  return keyed.map(p => p.name);
}

/**
 * The order in which each step shows its ports, so that edges cross as little as they can:
 * an input by the height of the output feeding it, an output by the mean height of the
 * inputs it feeds; unconnected ports last, in the file's order. (The file's order is kept in
 * the file; only the drawing changes.)
 */
export function portOrder(doc: PipelineDocument, at: Map<string, XY>): Map<string, { inputs: string[]; outputs: string[] }> {
  const feeds = new Map<string, number[]>(); // "step\0output" -> heights of the inputs it feeds
  const order = new Map<string, { inputs: string[]; outputs: string[] }>();
  for (const [name, step] of Object.entries(doc.steps)) {
    const inputs = Object.keys(step.inputs ?? {});
    inputs.forEach((input, row) => {
      const spec = step.inputs![input];
      if (typeof spec.step === 'string' && spec.step in doc.steps) {
        const key = `${spec.step}\u0000${spec.output}`;
        const list = feeds.get(key) ?? [];
        list.push((at.get(name)?.y ?? 0) + row * PORT_ROW);
        feeds.set(key, list);
      }
    });
  }
  for (const [name, step] of Object.entries(doc.steps)) {
    const outputs = Object.keys(step.outputs ?? {});
    const sortedOut = sortPorts(outputs, output => {
      const ys = feeds.get(`${name}\u0000${output}`);
      return ys ? ys.reduce((a, b) => a + b, 0) / ys.length : undefined;
    });
    order.set(name, { inputs: Object.keys(step.inputs ?? {}), outputs: sortedOut });
  }
  for (const [name, step] of Object.entries(doc.steps)) {
    const entry = order.get(name)!;
    const here = at.get(name)?.x ?? 0;
    entry.inputs = sortPorts(entry.inputs, input => {
      const spec = step.inputs![input];
      if (typeof spec.step !== 'string' || !(spec.step in doc.steps)) {
        return undefined;
      }
      const row = order.get(spec.step)!.outputs.indexOf(String(spec.output));
      const source = at.get(spec.step) ?? { x: 0, y: 0 };
      // level sources: the farther one's line comes in lower (it goes around the nearer one)
      return source.y + Math.max(0, row) * PORT_ROW + Math.min(1, Math.max(0, here - source.x) / 1e5);
    });
  }
  return order;
}

/** The nodes of a document (linear in the number of steps and issues). */
export function toNodes(doc: PipelineDocument, options: GraphOptions = {}, cache?: NodeDataCache): GraphNode[] {
  const at = placements(doc, options.fallback);
  const ports = portOrder(doc, at);
  const counts = issuesByStep(options.issues);
  const editable = !options.readOnly;
  const nodes: GraphNode[] = [];
  for (const [name, step] of Object.entries(doc.steps)) {
    const c = counts.get(name);
    const times = options.times?.[name];
    const base = {
      name,
      type: step.type,
      status: options.statuses?.[name] ?? ('none' as UiStatus),
      errors: c?.errors ?? 0,
      warnings: c?.warnings ?? 0,
      readOnly: !!options.readOnly,
      progress: options.progress?.[name],
      started: times?.started ?? null,
      ended: times?.ended ?? null,
      worker: options.workers?.[name] ?? null,
      inputs: ports.get(name)!.inputs,
      outputs: ports.get(name)!.outputs
    };
    const cached = cache?.get(name);
    const data: StepNodeData =
      cached && cached.step === step && sameData(cached.data, base) ? cached.data : { ...base, file: stepFile(step) };
    cache?.set(name, { step, data });
    nodes.push({
      id: name,
      type: 'step',
      position: at.get(name)!,
      selected: options.selected === name,
      data,
      initialWidth: NODE_WIDTH,
      initialHeight: nodeHeight(portRows(data.inputs.length, data.outputs.length, editable))
    });
  }
  return nodes;
}

/**
 * A test of "step `a` runs before step `b` through data edges alone" (a path of inputs
 * reading outputs from `a` to `b`), memoized per `a`.
 */
function dataOrder(doc: PipelineDocument): (a: string, b: string) => boolean {
  const next = new Map<string, string[]>();
  for (const [name, step] of Object.entries(doc.steps)) {
    for (const spec of Object.values(step.inputs ?? {})) {
      if (typeof spec.step === 'string' && spec.step in doc.steps) {
        const list = next.get(spec.step) ?? [];
        list.push(name);
        next.set(spec.step, list);
      }
    }
  }
  const reach = new Map<string, Set<string>>();
  return (a, b) => {
    let seen = reach.get(a);
    if (!seen) {
      seen = new Set();
      const stack = [...(next.get(a) ?? [])];
      while (stack.length) {
        const v = stack.pop()!;
        if (!seen.has(v)) {
          seen.add(v);
          stack.push(...(next.get(v) ?? []));
        }
      }
      reach.set(a, seen);
    }
    return seen.has(b);
  };
}

/**
 * The edges of a document: data edges for step inputs, ordering edges for run_after. A
 * run_after already implied by data edges (the step reads, directly or not, what the other
 * wrote) is not drawn: it would only double a data edge.
 */
export function toEdges(doc: PipelineDocument): GraphEdge[] {
  const edges: GraphEdge[] = [];
  const ordered = dataOrder(doc);
  for (const [name, step] of Object.entries(doc.steps)) {
    for (const [input, spec] of Object.entries(step.inputs ?? {})) {
      if (typeof spec.step === 'string' && spec.step in doc.steps) {
        edges.push({
          id: `${spec.step}.${spec.output}->${name}.${input}`,
          source: spec.step,
          target: name,
          sourceHandle: portId('out', String(spec.output)),
          targetHandle: portId('in', input),
          kind: 'data'
        });
      }
    }
    for (const before of step.run_after ?? []) {
      if (before in doc.steps && !ordered(before, name)) {
        edges.push({
          id: `${before}->${name}:after`,
          source: before,
          target: name,
          sourceHandle: null,
          targetHandle: null,
          kind: 'after'
        });
      }
    }
  }
  return edges;
}

/** Nodes and edges of a document. */
export function toGraph(
  doc: PipelineDocument,
  options: GraphOptions = {}
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return { nodes: toNodes(doc, options), edges: toEdges(doc) };
}

/** Steps without a stored position in the document's layout. */
export function unplaced(doc: PipelineDocument): string[] {
  const layout = doc.layout?.nodes ?? {};
  return Object.keys(doc.steps).filter(name => !layout[name]);
}
