import { describe, expect, it } from 'vitest';

import type { PipelineDocument, StepDoc } from '../api/types';
import { autoLayout, LARGE_GRAPH, layoutOptions, NODE_WIDTH, nodeHeight, quickLayout } from './layout';

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
