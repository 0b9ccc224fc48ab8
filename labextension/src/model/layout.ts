/** Automatic layout of a pipeline: elkjs's layered algorithm, left to right. */
import ELK from 'elkjs/lib/elk.bundled.js';

import type { PipelineDocument } from '../api/types';
import type { XY } from './document';
import { toEdges } from './graph';

/** Node size used by the layout (the canvas' step node is this wide). */
export const NODE_WIDTH = 220;
/** Height of a node with `ports` rows of ports. */
export const nodeHeight = (ports: number): number => 56 + Math.max(0, ports) * 20;

let elk: InstanceType<typeof ELK> | null = null;

/** Positions (top-left corners) for every step, edges pointing left to right. */
export async function autoLayout(doc: PipelineDocument): Promise<Record<string, XY>> {
  elk = elk ?? new ELK();
  const names = Object.keys(doc.steps);
  if (!names.length) {
    return {};
  }
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF'
    },
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
