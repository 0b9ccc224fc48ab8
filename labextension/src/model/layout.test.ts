import { describe, expect, it } from 'vitest';

import type { PipelineDocument, StepDoc } from '../api/types';
import { autoLayout } from './layout';

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
