/**
 * Classifying a step's metrics (GET .../metrics, shaped as v1's `Run.get_metrics()`) into
 * scalars shown in a table and numeric series drawn as line charts.
 */
import type { Series } from './LineChart';

/** One chart: a list metric (one series) or a table / row metric (a series per numeric column). */
export interface MetricChart {
  name: string;
  series: Series[];
  xLabel: string;
}

/** The metrics split for display. */
export interface MetricsView {
  /** Name and shown value of every metric that is not a chart. */
  scalars: Array<[string, string]>;
  charts: MetricChart[];
}

/** True for an array whose items are all finite numbers. */
function isNumbers(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every(v => typeof v === 'number' && Number.isFinite(v));
}

/** A value as table text. */
function show(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Names that make a good x axis for a table's other columns. */
const X_NAMES = ['epoch', 'step', 'iteration', 'iter', 'x', 'index', 'batch'];

/** Split metrics into scalars and charts. */
export function classifyMetrics(metrics: Record<string, unknown>): MetricsView {
  const view: MetricsView = { scalars: [], charts: [] };
  for (const [name, value] of Object.entries(metrics)) {
    if (isNumbers(value) && value.length > 1) {
      view.charts.push({ name, series: [{ name, y: value }], xLabel: 'index' });
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const columns = Object.entries(value as Record<string, unknown>).filter(([, col]) => isNumbers(col)) as Array<
        [string, number[]]
      >;
      const xCol = columns.find(([col]) => X_NAMES.includes(col.toLowerCase()));
      const ys = columns.filter(c => c !== xCol);
      if (ys.length > 0 && ys[0][1].length > 1) {
        view.charts.push({
          name,
          series: ys.map(([col, y]) => ({ name: col, y, x: xCol?.[1] })),
          xLabel: xCol?.[0] ?? 'row'
        });
      } else {
        view.scalars.push([name, show(value)]);
      }
    } else {
      view.scalars.push([name, show(value)]);
    }
  }
  return view;
}
