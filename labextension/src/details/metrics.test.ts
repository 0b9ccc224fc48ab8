/** Unit tests of the metrics classification (details/metrics.ts). */
import { describe, expect, it } from 'vitest';

import { classifyMetrics } from './metrics';

describe('classifyMetrics', () => {
  it('puts scalars in the table and lists and tables of numbers in charts', () => {
    const view = classifyMetrics({
      accuracy: 0.9,
      name: 'model',
      loss: [1, 0.5, 0.25],
      single: [3],
      curve: { epoch: [1, 2, 3], train: [3, 2, 1], val: [4, 3, 2] },
      labels: { a: ['x', 'y'] }
    });
    expect(view.scalars.map(s => s[0])).toEqual(['accuracy', 'name', 'single', 'labels']);
    expect(view.charts.map(c => c.name)).toEqual(['loss', 'curve']);
    const curve = view.charts[1];
    expect(curve.xLabel).toBe('epoch');
    expect(curve.series.map(s => s.name)).toEqual(['train', 'val']);
    expect(curve.series[0].x).toEqual([1, 2, 3]);
  });
});
