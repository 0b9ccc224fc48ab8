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
}

/** Node size used by layouts and as a node's size before React Flow measures it (the
 * canvas' step node is this wide; each row of ports adds 20 px). */
export const NODE_WIDTH = 220;
/** Height of a node with `ports` rows of ports. */
export const nodeHeight = (ports: number): number => 56 + Math.max(0, ports) * 20;

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

function sameData(a: StepNodeData, b: Omit<StepNodeData, 'inputs' | 'outputs' | 'file'>): boolean {
  return (
    sameProgress(a.progress, b.progress as ParallelProgress | undefined) &&
    a.status === b.status &&
    a.errors === b.errors &&
    a.warnings === b.warnings &&
    a.readOnly === b.readOnly &&
    a.name === b.name &&
    a.type === b.type
  );
}

/** The nodes of a document (linear in the number of steps and issues). */
export function toNodes(doc: PipelineDocument, options: GraphOptions = {}, cache?: NodeDataCache): GraphNode[] {
  const layout = doc.layout?.nodes ?? {};
  const counts = issuesByStep(options.issues);
  const nodes: GraphNode[] = [];
  let i = 0;
  for (const [name, step] of Object.entries(doc.steps)) {
    const c = counts.get(name);
    const base = {
      name,
      type: step.type,
      status: options.statuses?.[name] ?? ('none' as UiStatus),
      errors: c?.errors ?? 0,
      warnings: c?.warnings ?? 0,
      readOnly: !!options.readOnly,
      progress: options.progress?.[name]
    };
    const cached = cache?.get(name);
    const data: StepNodeData =
      cached && cached.step === step && sameData(cached.data, base)
        ? cached.data
        : {
            ...base,
            file: stepFile(step),
            inputs: Object.keys(step.inputs ?? {}),
            outputs: Object.keys(step.outputs ?? {})
          };
    cache?.set(name, { step, data });
    nodes.push({
      id: name,
      type: 'step',
      position: layout[name] ?? options.fallback?.[name] ?? { x: (i % 6) * 260, y: Math.floor(i / 6) * 140 },
      selected: options.selected === name,
      data,
      initialWidth: NODE_WIDTH,
      initialHeight: nodeHeight(Math.max(data.inputs.length, data.outputs.length))
    });
    i++;
  }
  return nodes;
}

/** The edges of a document: data edges for step inputs, ordering edges for run_after. */
export function toEdges(doc: PipelineDocument): GraphEdge[] {
  const edges: GraphEdge[] = [];
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
      if (before in doc.steps) {
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
