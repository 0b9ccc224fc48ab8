/**
 * The Gantt chart of a run (an SVG React component): one row per step, a bar from its start to
 * its end colored by status; a running bar grows with `now`; reused steps are marked ♻.
 */
import * as React from 'react';

import { timelineRows, timelineSpan, RunState } from '../model/status';
import { formatDuration } from './format';

export interface TimelineProps {
  state: Pick<RunState, 'steps' | 'order'>;
  /** The run's start (the axis origin), epoch seconds. */
  runStarted: number | null;
  /** The current time, epoch seconds (running bars end there). */
  now: number;
  selected?: string | null;
  onStepClick?: (step: string) => void;
}

/** Row and bar heights: compact when a run has many steps. */
function rowSize(count: number): { ROW: number; BAR: number } {
  return count > 40 ? { ROW: 14, BAR: 10 } : { ROW: 22, BAR: 14 };
}
const LABEL = 150;
const AXIS = 20;
const PAD = 8;

/** The width of an element, following its resizes. */
function useWidth(ref: React.RefObject<HTMLElement>, fallback: number): number {
  const [width, setWidth] = React.useState(fallback);
  React.useEffect(() => {
    const el = ref.current;
    if (!el) {
      return;
    }
    setWidth(el.clientWidth || fallback);
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(() => setWidth(el.clientWidth || fallback));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, fallback]);
  return width;
}

/** Round tick steps (seconds) for an axis of `span` seconds. */
function tickStep(span: number): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
  return steps.find(s => span / s <= 8) ?? 28800;
}

/** The timeline chart (`data-testid="timeline"`, bars `timeline-bar` with `data-step`). */
export function Timeline(props: TimelineProps): JSX.Element {
  const ref = React.useRef<HTMLDivElement>(null);
  const width = Math.max(300, useWidth(ref, 600));
  const rows = timelineRows(props.state, props.now);
  const { ROW, BAR } = rowSize(rows.length);
  const span = timelineSpan(rows, props.runStarted, props.now);
  const plot = width - LABEL - PAD * 2;
  const x = (t: number) => LABEL + PAD + ((t - span.start) / (span.end - span.start)) * plot;
  const height = AXIS + rows.length * ROW + PAD;
  const step = tickStep(span.end - span.start);
  const ticks: number[] = [];
  for (let t = 0; t <= span.end - span.start + 1e-9; t += step) {
    ticks.push(t);
  }

  return (
    <div className="jp-Pipelines-timeline" data-testid="timeline" ref={ref}>
      {rows.length === 0 ? (
        <div className="jp-Pipelines-empty">No steps.</div>
      ) : (
        <svg width={width} height={height} role="img" aria-label="Timeline of the run's steps">
          {ticks.map(t => (
            <g key={t} className="jp-Pipelines-tick">
              <line x1={x(span.start + t)} x2={x(span.start + t)} y1={AXIS - 4} y2={height - PAD} />
              <text x={x(span.start + t)} y={AXIS - 8} textAnchor="middle">
                {formatDuration(t) || '0'}
              </text>
            </g>
          ))}
          {rows.map((row, i) => {
            const y = AXIS + i * ROW;
            const selected = props.selected === row.step;
            const hasBar = row.start !== null;
            const x0 = hasBar ? x(row.start!) : 0;
            const w = hasBar ? Math.max(3, x(row.end ?? row.start!) - x0) : 0;
            const duration = hasBar ? (row.end ?? row.start!) - row.start! : null;
            const tip = `${row.step}: ${row.status}${row.reused ? ' (reused)' : ''}${
              duration !== null && !row.reused ? `, ${formatDuration(duration)}` : ''
            }`;
            return (
              <g
                key={row.step}
                className={`jp-Pipelines-timelineRow${selected ? ' jp-mod-selected' : ''}`}
                onClick={() => props.onStepClick?.(row.step)}
              >
                <title>{tip}</title>
                <rect className="jp-Pipelines-rowHit" x={0} y={y} width={width} height={ROW} />
                <text className="jp-Pipelines-timelineLabel" x={PAD} y={y + ROW / 2 + 4}>
                  {row.step.length > 20 ? `${row.step.slice(0, 19)}…` : row.step}
                </text>
                {hasBar && (
                  <rect
                    className="jp-Pipelines-bar"
                    data-testid="timeline-bar"
                    data-step={row.step}
                    data-status={row.status}
                    x={x0}
                    y={y + (ROW - BAR) / 2}
                    width={w}
                    height={BAR}
                    rx={2}
                  />
                )}
                {hasBar && row.reused && (
                  <text className="jp-Pipelines-reusedMark" x={x0 + w + 4} y={y + ROW / 2 + 4}>
                    ♻ reused
                  </text>
                )}
                {!hasBar && (
                  <text className="jp-Pipelines-pending" x={LABEL + PAD} y={y + ROW / 2 + 4}>
                    {row.status === 'none' ? 'not started' : row.status}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
    </div>
  );
}
