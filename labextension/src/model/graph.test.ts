import { describe, expect, it } from 'vitest';

import type { PipelineDocument } from '../api/types';
import { newOutputName, nodeHeight, portName, portOrder, portRows, toEdges, toGraph, toNodes, unplaced } from './graph';

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

describe('run_after edges implied by data edges', () => {
  it('draws no run_after where data edges already order the two steps (directly or not)', () => {
    const implied: PipelineDocument = {
      version: 1,
      steps: {
        a: { type: 'python_script', script: 'a.py', outputs: { o: { kind: 'output_file_dataset' } } },
        b: { type: 'python_script', script: 'b.py', inputs: { x: { step: 'a', output: 'o' } }, outputs: { p: { kind: 'output_file_dataset' } }, run_after: ['a'] },
        c: { type: 'python_script', script: 'c.py', inputs: { y: { step: 'b', output: 'p' } }, run_after: ['a'] },
        d: { type: 'command', command: ['echo'], run_after: ['a'] }
      }
    };
    const edges = toEdges(implied);
    expect(edges.filter(e => e.kind === 'data').map(e => `${e.source}->${e.target}`)).toEqual(['a->b', 'b->c']);
    // b and c read (through b) what a wrote; d only has its run_after
    expect(edges.filter(e => e.kind === 'after').map(e => `${e.source}->${e.target}`)).toEqual(['a->d']);
  });

  it('keeps a run_after against the data direction (the validator reports the cycle)', () => {
    const cyc: PipelineDocument = {
      version: 1,
      steps: {
        a: { type: 'python_script', script: 'a.py', outputs: { o: { kind: 'output_file_dataset' } }, run_after: ['b'] },
        b: { type: 'python_script', script: 'b.py', inputs: { x: { step: 'a', output: 'o' } } }
      }
    };
    expect(toEdges(cyc).map(e => e.kind).sort()).toEqual(['after', 'data']);
  });
});

describe('port order', () => {
  // evaluate reads prepare (top) and train (below): its inputs are shown in that order,
  // whatever the file's order, so that the two lines do not cross
  const quick: PipelineDocument = {
    version: 1,
    steps: {
      prepare: { type: 'python_script', script: 'p.py', outputs: { data: { kind: 'output_file_dataset' } } },
      train: { type: 'python_script', script: 't.py', inputs: { d: { step: 'prepare', output: 'data' } }, outputs: { model: { kind: 'output_file_dataset' } } },
      evaluate: {
        type: 'python_script',
        script: 'e.py',
        inputs: { model: { step: 'train', output: 'model' }, extra: { dataset: 'ds' }, prepared_data: { step: 'prepare', output: 'data' } }
      }
    },
    layout: { nodes: { prepare: { x: 0, y: 0 }, train: { x: 300, y: 150 }, evaluate: { x: 600, y: 0 } } }
  };

  it('orders inputs by the height of what feeds them, unconnected ones last', () => {
    const evaluate = toNodes(quick).find(n => n.id === 'evaluate')!;
    expect(evaluate.data.inputs).toEqual(['prepared_data', 'model', 'extra']);
    // train above prepare: the other way round
    const moved = { ...quick, layout: { nodes: { ...quick.layout!.nodes, train: { x: 300, y: -200 } } } };
    expect(toNodes(moved).find(n => n.id === 'evaluate')!.data.inputs).toEqual(['model', 'prepared_data', 'extra']);
  });

  it('orders outputs by the mean height of the inputs they feed', () => {
    const two: PipelineDocument = {
      version: 1,
      steps: {
        src: { type: 'python_script', script: 's.py', outputs: { low: { kind: 'output_file_dataset' }, high: { kind: 'output_file_dataset' }, spare: { kind: 'output_file_dataset' } } },
        up: { type: 'python_script', script: 'u.py', inputs: { i: { step: 'src', output: 'high' } } },
        down: { type: 'python_script', script: 'd.py', inputs: { i: { step: 'src', output: 'low' } } }
      },
      layout: { nodes: { src: { x: 0, y: 100 }, up: { x: 300, y: 0 }, down: { x: 300, y: 300 } } }
    };
    expect(portOrder(two, new Map(Object.entries(two.layout!.nodes))).get('src')!.outputs).toEqual(['high', 'low', 'spare']);
  });
});

describe('node rows', () => {
  it('gives editable nodes a row for "+ input" / "+ output"', () => {
    expect(portRows(0, 0, true)).toBe(1);
    expect(portRows(2, 1, false)).toBe(2);
    expect(portRows(2, 1, true)).toBe(3);
    const [editable] = toNodes({ version: 1, steps: { s: { type: 'python_script', script: 's.py' } } });
    const [shown] = toNodes({ version: 1, steps: { s: { type: 'python_script', script: 's.py' } } }, { readOnly: true });
    expect(editable.initialHeight).toBe(nodeHeight(1));
    expect(shown.initialHeight).toBe(nodeHeight(0));
    expect(newOutputName('load-data.v2')).toBe('load_data_v2_out');
  });

  it('carries the run times of a step', () => {
    const [node] = toNodes(doc, { times: { a: { started: 5, ended: 7 } } });
    expect(node.data).toMatchObject({ started: 5, ended: 7 });
    expect(toNodes(doc)[0].data).toMatchObject({ started: null, ended: null });
  });
});
