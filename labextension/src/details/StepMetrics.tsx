/** A step run's metrics: scalars in a table, series (lists, rows, tables) as line charts. */
import * as React from 'react';

import { requestAPI } from '../api/request';
import { LineChart } from './LineChart';
import { classifyMetrics } from './metrics';

/** The metrics section (`data-testid="step-metrics"`), reloaded every few seconds while live. */
export function StepMetrics(props: { runId: string; step: string; live: boolean }): JSX.Element {
  const [metrics, setMetrics] = React.useState<Record<string, unknown> | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const path = `runs/${encodeURIComponent(props.runId)}/steps/${encodeURIComponent(props.step)}/metrics`;

  React.useEffect(() => {
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = async () => {
      try {
        const answer = await requestAPI<{ metrics: Record<string, unknown> }>(path);
        if (!disposed) {
          setMetrics(answer.metrics ?? {});
          setError(null);
        }
      } catch (err) {
        if (!disposed) {
          setError((err as Error).message ?? String(err));
        }
      }
      if (!disposed && props.live) {
        timer = setTimeout(load, 3000);
      }
    };
    void load();
    return () => {
      disposed = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [path, props.live]);

  const view = React.useMemo(() => classifyMetrics(metrics ?? {}), [metrics]);
  return (
    <div className="jp-Pipelines-metrics" data-testid="step-metrics">
      {error && <div className="jp-Pipelines-error">{error}</div>}
      {metrics === null && !error && <div className="jp-Pipelines-empty">Loading…</div>}
      {metrics !== null && view.scalars.length === 0 && view.charts.length === 0 && (
        <div className="jp-Pipelines-empty">No metrics logged.</div>
      )}
      {view.scalars.length > 0 && (
        <table className="jp-Pipelines-table">
          <tbody>
            {view.scalars.map(([name, value]) => (
              <tr key={name} data-metric={name}>
                <th>{name}</th>
                <td>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="jp-Pipelines-charts">
        {view.charts.map(chart => (
          <LineChart key={chart.name} title={chart.name} series={chart.series} xLabel={chart.xLabel} />
        ))}
      </div>
    </div>
  );
}
