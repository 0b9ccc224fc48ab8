import { describe, expect, it } from 'vitest';

import type { PipelineDocument } from '../api/types';
import { copySteps, parseClipboard, pasteSteps } from './clipboard';

const doc: PipelineDocument = {
  version: 1,
  steps: {
    a: { type: 'python_script', script: 'a.py', outputs: { o: { kind: 'output_file_dataset' } } },
    b: { type: 'python_script', script: 'b.py', inputs: { o: { step: 'a', output: 'o' } } },
    c: { type: 'python_script', script: 'c.py', inputs: { o: { step: 'a', output: 'o' } } }
  },
  layout: { nodes: { a: { x: 0, y: 0 }, b: { x: 100, y: 0 }, c: { x: 100, y: 100 } } }
};

describe('copy and paste', () => {
  it('keeps connections among pasted steps, unique names, offset positions', () => {
    const clip = copySteps(doc, ['a', 'b']);
    const { doc: next, names } = pasteSteps(doc, clip, { x: 50, y: 20 });
    expect(names).toEqual(['a_2', 'b_2']);
    expect(next.steps.b_2.inputs).toEqual({ o: { step: 'a_2', output: 'o' } });
    expect(next.layout?.nodes?.b_2).toEqual({ x: 150, y: 20 });
    expect(Object.keys(next.steps)).toHaveLength(5);
    // the original is untouched
    expect(doc.steps.b.inputs?.o.step).toBe('a');
  });

  it('keeps inputs reading steps outside the fragment', () => {
    const { doc: next } = pasteSteps(doc, copySteps(doc, ['c']));
    expect(next.steps.c_2.inputs).toEqual({ o: { step: 'a', output: 'o' } });
  });

  it('round-trips through text', () => {
    const clip = copySteps(doc, ['a']);
    expect(parseClipboard(JSON.stringify(clip))).toEqual(clip);
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"kind":"other"}')).toBeNull();
  });
});
