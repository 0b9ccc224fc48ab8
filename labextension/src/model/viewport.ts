/**
 * The viewport a pipeline opens with: the whole graph when it fits at a readable zoom, else
 * its start (the leftmost column of steps, since edges point left to right) at the smallest
 * readable zoom, so that a big pipeline opens with nodes one can read and click.
 */
import type { XY } from './document';

/** A node's box in flow coordinates. */
export interface NodeBox {
  position: XY;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export interface OpeningOptions {
  /** Margin around the graph, in screen pixels. */
  padding?: number;
  /** Below this zoom node names are unreadable: show the start of the graph instead. */
  minZoom?: number;
  /** Never magnify a small graph beyond this. */
  maxZoom?: number;
}

/** The opening viewport of `nodes` in a pane of `width` x `height` screen pixels. */
export function openingViewport(
  nodes: NodeBox[],
  pane: { width: number; height: number },
  options: OpeningOptions = {}
): Viewport {
  const padding = options.padding ?? 30;
  const minZoom = options.minZoom ?? 0.5;
  const maxZoom = options.maxZoom ?? 1;
  if (!nodes.length || pane.width <= 0 || pane.height <= 0) {
    return { x: 0, y: 0, zoom: 1 };
  }
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + n.width);
    y1 = Math.max(y1, n.position.y + n.height);
  }
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const availW = Math.max(1, pane.width - 2 * padding);
  const availH = Math.max(1, pane.height - 2 * padding);
  const fit = Math.min(maxZoom, availW / w, availH / h);
  if (fit >= minZoom) {
    return { x: (pane.width - w * fit) / 2 - x0 * fit, y: (pane.height - h * fit) / 2 - y0 * fit, zoom: fit };
  }
  const zoom = minZoom;
  // Horizontally: the graph's left edge (or centred when its width fits).
  const x = w * zoom <= availW ? (pane.width - w * zoom) / 2 - x0 * zoom : padding - x0 * zoom;
  // Vertically: centred on the first column of steps (its top when it is taller than the
  // pane), without scrolling past the graph.
  let y: number;
  if (h * zoom <= availH) {
    y = (pane.height - h * zoom) / 2 - y0 * zoom;
  } else {
    let narrowest = Infinity;
    for (const n of nodes) {
      narrowest = Math.min(narrowest, n.width);
    }
    const firstColumn = nodes.filter(n => n.position.x < x0 + Math.max(1, narrowest));
    let c0 = Infinity;
    let c1 = -Infinity;
    for (const n of firstColumn) {
      c0 = Math.min(c0, n.position.y);
      c1 = Math.max(c1, n.position.y + n.height);
    }
    // a first column taller than the pane shows its top (where a grid of steps starts)
    const start = c1 - c0 <= availH / zoom ? (c0 + c1) / 2 - availH / 2 / zoom : c0;
    const top = Math.min(Math.max(start, y0), y1 - availH / zoom);
    y = padding - top * zoom;
  }
  return { x, y, zoom };
}
