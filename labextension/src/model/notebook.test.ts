import { describe, expect, it } from 'vitest';

import { mergeStreams, notebookCells, outputBundle } from './notebook';

describe('outputBundle', () => {
  it('turns streams and errors into JupyterLab text types', () => {
    expect(outputBundle({ output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] })).toEqual({
      data: { 'application/vnd.jupyter.stdout': 'a\nb\n' },
      metadata: {},
      kind: 'stdout'
    });
    expect(outputBundle({ output_type: 'stream', name: 'stderr', text: 'oops' })?.kind).toBe('stderr');
    const error = outputBundle({ output_type: 'error', ename: 'ValueError', evalue: 'x', traceback: ['\u001b[31mline 1', 'ValueError: x'] });
    expect(error?.data['application/vnd.jupyter.stderr']).toBe('\u001b[31mline 1\nValueError: x');
    expect(outputBundle({ output_type: 'error', ename: 'E', evalue: 'v' })?.data['application/vnd.jupyter.stderr']).toBe('E: v');
  });

  it('keeps every mime type of a result, joined, JSON as objects', () => {
    const b = outputBundle({
      output_type: 'display_data',
      data: { 'image/png': ['iVBOR', 'w0KGgo=\n'], 'text/plain': '<Image>', 'application/json': { a: 1 } },
      metadata: { 'image/png': { width: 10 } }
    });
    expect(b).toEqual({
      data: { 'image/png': 'iVBORw0KGgo=\n', 'text/plain': '<Image>', 'application/json': { a: 1 } },
      metadata: { 'image/png': { width: 10 } },
      kind: 'display'
    });
    expect(outputBundle({ output_type: 'execute_result', data: {} })).toBeNull();
    expect(outputBundle({ output_type: 'something' })).toBeNull();
  });
});

describe('notebook helpers', () => {
  it('merges consecutive streams of one name', () => {
    const merged = mergeStreams([
      { output_type: 'stream', name: 'stdout', text: 'a' },
      { output_type: 'stream', name: 'stdout', text: ['b'] },
      { output_type: 'stream', name: 'stderr', text: 'c' },
      { output_type: 'stream', name: 'stdout', text: 'd' }
    ]);
    expect(merged.map(o => o.text)).toEqual(['ab', 'c', 'd']);
  });

  it('reads cells only from a notebook', () => {
    expect(notebookCells({ cells: [{ cell_type: 'code', source: 'x' }] })).toHaveLength(1);
    expect(notebookCells({ nbformat: 4 })).toEqual([]);
    expect(notebookCells(null)).toEqual([]);
  });
});
