/** A small labeled SVG line chart of one or more numeric series (the metrics charts). */
import * as React from 'react';

/** One line: its name, y values and (optionally) x values of the same length. */
export interface Series {
  name: string;
  y: number[];
  x?: number[];
}

export interface LineChartProps {
  title: string;
  series: Series[];
  /** The x axis' label (default: "index"). */
  xLabel?: string;
  width?: number;
  height?: number;
}

/** A number as short text for an axis. */
function short(n: number): string {
  if (n === 0) {
    return '0';
  }
  const abs = Math.abs(n);
  if (abs >= 1e5 || abs < 1e-3) {
    return n.toExponential(1);
  }
  return String(Number(n.toPrecision(3)));
}

const COLORS = ['#1976d2', '#e65100', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#5d4037', '#ad1457'];

/** The chart (`data-testid="metric-chart"`, `data-metric` its title). */
export function LineChart(props: LineChartProps): JSX.Element {
  const width = props.width ?? 320;
  const height = props.height ?? 170;
  const m = { left: 44, right: 10, top: 22, bottom: 30 };
  const points = props.series.map(s => s.y.map((y, i) => [s.x?.[i] ?? i, y] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const all = points.flat();
  let [x0, x1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  let [y0, y1] = [Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[1]))];
  if (!all.length) {
    [x0, x1, y0, y1] = [0, 1, 0, 1];
  }
  if (x1 === x0) {
    x1 = x0 + 1;
  }
  if (y1 === y0) {
    y0 -= 1;
    y1 += 1;
  }
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);

  return (
    <svg
      className="jp-Pipelines-chart"
      data-testid="metric-chart"
      data-metric={props.title}
      width={width}
      height={height}
      role="img"
      aria-label={`Chart of ${props.title}`}
    >
      <text className="jp-Pipelines-chartTitle" x={m.left} y={14}>
        {props.title}
      </text>
      <line className="jp-Pipelines-axis" x1={m.left} x2={width - m.right} y1={height - m.bottom} y2={height - m.bottom} />
      <line className="jp-Pipelines-axis" x1={m.left} x2={m.left} y1={m.top} y2={height - m.bottom} />
      <text className="jp-Pipelines-axisLabel" x={m.left - 4} y={sy(y1) + 4} textAnchor="end">
        {short(y1)}
      </text>
      <text className="jp-Pipelines-axisLabel" x={m.left - 4} y={sy(y0)} textAnchor="end">
        {short(y0)}
      </text>
      <text className="jp-Pipelines-axisLabel" x={m.left} y={height - m.bottom + 12} textAnchor="start">
        {short(x0)}
      </text>
      <text className="jp-Pipelines-axisLabel" x={width - m.right} y={height - m.bottom + 12} textAnchor="end">
        {short(x1)}
      </text>
      <text className="jp-Pipelines-axisLabel" x={(width + m.left) / 2} y={height - 4} textAnchor="middle">
        {props.xLabel ?? 'index'}
      </text>
      {points.map((pts, i) => (
        <g key={props.series[i].name} style={{ stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length] }}>
          <polyline className="jp-Pipelines-line" points={pts.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')} />
          {pts.length <= 40 && pts.map(([x, y], j) => <circle key={j} cx={sx(x)} cy={sy(y)} r={2} />)}
          {props.series.length > 1 && (
            <text
              className="jp-Pipelines-legend"
              x={width - m.right}
              y={m.top + 10 + i * 12}
              textAnchor="end"
              style={{ stroke: 'none', fill: COLORS[i % COLORS.length] }}
            >
              {props.series[i].name}
            </text>
          )}
        </g>
      ))}
    </svg>
  );
}
