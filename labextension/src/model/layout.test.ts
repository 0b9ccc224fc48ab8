import { describe, expect, it } from 'vitest';

import type { PipelineDocument, StepDoc } from '../api/types';
import { PORT_ROW, PORT_TOP, portRows, toEdges, toNodes } from './graph';
import { autoLayout, LARGE_GRAPH, layoutOptions, NODE_WIDTH, nodeHeight, quickLayout } from './layout';
import { routeEdges, segmentHitsBox, type EdgeRequest, type Rect } from './routing';

function chainDoc(): PipelineDocument {
  const s = (inputs?: Record<string, { step: string; output: string }>): StepDoc => ({
    type: 'python_script',
    script: 'x.py',
    outputs: { o: { kind: 'output_file_dataset' } },
    ...(inputs ? { inputs } : {})
  });
  // declared out of order on purpose: d <- c <- b <- a, and e <- a
  return {
    version: 1,
    steps: {
      d: s({ o: { step: 'c', output: 'o' } }),
      c: s({ o: { step: 'b', output: 'o' } }),
      b: s({ o: { step: 'a', output: 'o' } }),
      a: s(),
      e: s({ o: { step: 'a', output: 'o' } })
    }
  };
}

function quickstartDoc(): PipelineDocument {
  const out = (name: string) => ({ [name]: { kind: 'output_file_dataset' } });
  const from = (step: string, output: string) => ({ step, output });
  return {
    version: 1,
    steps: {
      prepare: { type: 'python_script', script: 'prepare.py', outputs: out('prepared_data') },
      train: { type: 'notebook', notebook: 'train.ipynb', inputs: { prepared_data: from('prepare', 'prepared_data') }, outputs: out('model') },
      evaluate: {
        type: 'python_script',
        script: 'evaluate.py',
        inputs: { prepared_data: from('prepare', 'prepared_data'), model: from('train', 'model') },
        outputs: out('evaluation')
      },
      report: {
        type: 'command',
        command: 'cat',
        inputs: { prepared_data: from('prepare', 'prepared_data'), model: from('train', 'model'), evaluation: from('evaluate', 'evaluation') }
      }
    }
  };
}

describe('autoLayout', () => {
  it('places every step', async () => {
    const pos = await autoLayout(chainDoc());
    expect(Object.keys(pos).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const p of Object.values(pos)) {
      expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    }
  });

  it('orders steps left to right along edges', async () => {
    const pos = await autoLayout(chainDoc());
    expect(pos.a.x).toBeLessThan(pos.b.x);
    expect(pos.b.x).toBeLessThan(pos.c.x);
    expect(pos.c.x).toBeLessThan(pos.d.x);
    expect(pos.a.x).toBeLessThan(pos.e.x);
  });

  it('places the quickstart so that its routed edges pass around every step', async () => {
    const doc = quickstartDoc();
    const pos = await autoLayout(doc);
    const placed = { ...doc, layout: { nodes: pos } };
    const nodes = toNodes(placed);
    const rects = new Map<string, Rect>();
    for (const n of nodes) {
      rects.set(n.id, { ...n.position, width: NODE_WIDTH, height: nodeHeight(portRows(n.data.inputs.length, n.data.outputs.length, true)) });
    }
    // ports where the canvas draws them, in the order it shows them
    const port = (step: string, side: 'in' | 'out', name: string) => {
      const n = nodes.find(m => m.id === step)!;
      const row = (side === 'in' ? n.data.inputs : n.data.outputs).indexOf(name);
      const r = rects.get(step)!;
      return { x: side === 'in' ? r.x : r.x + r.width, y: r.y + PORT_TOP + row * PORT_ROW };
    };
    const requests: EdgeRequest[] = toEdges(placed).map(e => ({
      id: e.id,
      source: e.source,
      target: e.target,
      from: port(e.source, 'out', e.sourceHandle!.slice(4)),
      to: port(e.target, 'in', e.targetHandle!.slice(3)),
      bundle: e.sourceHandle!
    }));
    expect(requests).toHaveLength(6);
    const routes = routeEdges(rects, requests);
    for (const e of requests) {
      const route = routes.get(e.id)!;
      for (const [id, r] of rects) {
        if (id === e.source || id === e.target) {
          continue;
        }
        const box: [number, number, number, number] = [r.x, r.y, r.x + r.width, r.y + r.height];
        const hits = route.some((p, k) => k > 0 && segmentHitsBox(route[k - 1], p, box));
        expect(hits, `${e.id} passes through ${id}`).toBe(false);
      }
    }
    // no two steps overlap, and every step is right of what it reads
    expect(pos.prepare.x).toBeLessThan(pos.train.x);
    expect(pos.train.x).toBeLessThan(pos.evaluate.x);
    expect(pos.evaluate.x).toBeLessThan(pos.report.x);
  });

  it('gives nothing for an empty pipeline', async () => {
    expect(await autoLayout({ version: 1, steps: {} })).toEqual({});
  });
});

function layeredDoc(layers: number, width: number): PipelineDocument {
  const steps: Record<string, StepDoc> = {};
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      steps[`s${l}_${w}`] = {
        type: 'command',
        command: ['echo'],
        outputs: { out: { kind: 'output_file_dataset' } },
        ...(l
          ? {
              inputs: {
                a: { step: `s${l - 1}_${w}`, output: 'out' },
                b: { step: `s${l - 1}_${(w + 3) % width}`, output: 'out' }
              }
            }
          : {})
      };
    }
  }
  return { version: 1, steps };
}

describe('quickLayout', () => {
  it('places big pipelines in layers, left to right, without overlaps', () => {
    const doc = layeredDoc(30, 10);
    const t = performance.now();
    const pos = quickLayout(doc);
    expect(performance.now() - t).toBeLessThan(200);
    expect(Object.keys(pos)).toHaveLength(300);
    for (const [name, step] of Object.entries(doc.steps)) {
      for (const spec of Object.values(step.inputs ?? {})) {
        expect(pos[(spec as { step: string }).step].x).toBeLessThan(pos[name].x);
      }
    }
    const boxes = Object.values(pos);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const overlap = Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < nodeHeight(2);
        expect(overlap).toBe(false);
      }
    }
    expect(Math.min(...boxes.map(p => p.y))).toBe(0);
    expect(Math.min(...boxes.map(p => p.x))).toBe(0);
  });

  it('survives a cycle (an invalid pipeline)', () => {
    const doc = chainDoc();
    doc.steps.a = { ...doc.steps.a, inputs: { o: { step: 'd', output: 'o' } } };
    expect(Object.keys(quickLayout(doc)).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('is what autoLayout uses for big pipelines', async () => {
    const doc = layeredDoc(LARGE_GRAPH, 1);
    expect(await autoLayout(doc)).toEqual(quickLayout(doc));
  });
});

describe('layoutOptions', () => {
  it('uses cheaper elk options for bigger graphs', () => {
    expect(layoutOptions(5)['elk.layered.thoroughness']).toBeUndefined();
    expect(layoutOptions(50)['elk.layered.thoroughness']).toBe('1');
  });
});
