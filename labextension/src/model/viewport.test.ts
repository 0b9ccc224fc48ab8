import { describe, expect, it } from 'vitest';

import { openingViewport } from './viewport';

const box = (x: number, y: number) => ({ position: { x, y }, width: 220, height: 80 });

describe('openingViewport', () => {
  it('fits a small graph, centred, never above the maximum zoom', () => {
    const v = openingViewport([box(0, 0), box(300, 0)], { width: 1000, height: 600 });
    expect(v.zoom).toBe(1);
    // centred: the graph (520 wide) leaves 240 px on each side
    expect(v.x).toBeCloseTo(240);
    expect(v.y).toBeCloseTo(260);
  });

  it('shows the start of a big graph at the minimum readable zoom', () => {
    const nodes = [];
    for (let l = 0; l < 30; l++) {
      for (let w = 0; w < 10; w++) {
        nodes.push(box(l * 300, w * 120 + 1000));
      }
    }
    const pane = { width: 1000, height: 600 };
    const v = openingViewport(nodes, pane, { minZoom: 0.5, padding: 20 });
    expect(v.zoom).toBe(0.5);
    // the first column starts at the left padding
    expect(v.x + 0 * v.zoom).toBeCloseTo(20);
    // the first node is on screen
    const y = 1000 * v.zoom + v.y;
    expect(y).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThan(pane.height);
  });

  it('opens a grid whose first column is taller than the pane at its top', () => {
    const nodes = [];
    for (let row = 0; row < 30; row++) {
      for (let col = 0; col < 10; col++) {
        nodes.push(box(col * 260, row * 140));
      }
    }
    const v = openingViewport(nodes, { width: 700, height: 700 }, { minZoom: 0.8, padding: 30 });
    expect(v.zoom).toBe(0.8);
    expect(v.y).toBeCloseTo(30); // the first row just under the top padding
    expect(v.x).toBeCloseTo(30);
  });

  it('is the identity for no nodes or no pane', () => {
    expect(openingViewport([], { width: 100, height: 100 })).toEqual({ x: 0, y: 0, zoom: 1 });
    expect(openingViewport([box(0, 0)], { width: 0, height: 0 })).toEqual({ x: 0, y: 0, zoom: 1 });
  });
});
