import { describe, expect, it } from 'vitest';

import type { PipelineDocument } from '../api/types';
import { portName, toGraph, unplaced } from './graph';

const doc: PipelineDocument = {
  version: 1,
  steps: {
    a: { type: 'python_script', script: 'a.py', outputs: { o: { kind: 'output_file_dataset' } } },
    b: { type: 'notebook', notebook: 'b.ipynb', inputs: { x: { step: 'a', output: 'o' }, d: { dataset: 'ds' } } },
    c: { type: 'command', command: ['echo', 'hi'], run_after: ['b'] }
  },
  layout: { nodes: { a: { x: 10, y: 20 } } }
};

describe('toGraph', () => {
  it('makes a node per step with ports, status and issue counts', () => {
    const { nodes } = toGraph(doc, {
      statuses: { a: 'running' },
      issues: [
        { severity: 'error', step: 'b', field: 'notebook', message: 'missing' },
        { severity: 'warning', step: 'b', field: null, message: 'w' },
        { severity: 'error', step: null, field: null, message: 'global' }
      ],
      selected: 'c'
    });
    expect(nodes.map(n => n.id)).toEqual(['a', 'b', 'c']);
    expect(nodes[0].position).toEqual({ x: 10, y: 20 });
    expect(nodes[0].data.status).toBe('running');
    expect(nodes[0].data.outputs).toEqual(['o']);
    expect(nodes[1].data.inputs).toEqual(['x', 'd']);
    expect(nodes[1].data).toMatchObject({ errors: 1, warnings: 1, status: 'none', file: 'b.ipynb' });
    expect(nodes[2].data.file).toBe('echo hi');
    expect(nodes[2].selected).toBe(true);
    expect(nodes[0].selected).toBe(false);
  });

  it('makes data edges between ports and ordering edges for run_after', () => {
    const { edges } = toGraph(doc);
    expect(edges).toHaveLength(2);
    const data = edges.find(e => e.kind === 'data')!;
    expect(data).toMatchObject({ source: 'a', target: 'b', sourceHandle: 'out:o', targetHandle: 'in:x' });
    expect(portName(data.sourceHandle)).toBe('o');
    expect(edges.find(e => e.kind === 'after')).toMatchObject({ source: 'b', target: 'c' });
  });

  it('lists the steps without a stored position', () => {
    expect(unplaced(doc)).toEqual(['b', 'c']);
  });
});

describe('node data cache', () => {
  it('reuses the data of unchanged steps only', async () => {
    const { toNodes } = await import('./graph');
    const cache = new Map();
    const first = toNodes(doc, {}, cache);
    const changed = { ...doc, steps: { ...doc.steps, a: { ...doc.steps.a, script: 'z.py' } } };
    const second = toNodes(changed, { statuses: { c: 'failed' } }, cache);
    expect(second[1].data).toBe(first[1].data);
    expect(second[0].data).not.toBe(first[0].data);
    expect(second[0].data.file).toBe('z.py');
    expect(second[2].data).not.toBe(first[2].data);
    expect(second[2].data.status).toBe('failed');
  });
});
