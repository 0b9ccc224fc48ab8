/** A ParallelRunStep's mini-batch progress in its details: a bar and the counts in words. */
import * as React from 'react';

import type { ParallelProgress } from '../api/types';
import { progressBar, progressCount, progressSummary } from '../model/progress';

/** The bar (`data-testid="step-progress"`, with `data-done`, `data-total`, `data-state`). */
export function StepProgress(props: { progress: ParallelProgress }): JSX.Element {
  const p = props.progress;
  const bar = progressBar(p);
  const state = p.state ?? 'running';
  return (
    <div
      className={`jp-Pipelines-progress jp-mod-${state}`}
      data-testid="step-progress"
      data-done={p.done}
      data-failed={p.failed ?? 0}
      data-total={p.total}
      data-state={state}
    >
      <div className="jp-Pipelines-progressHead">
        <span>Mini-batches</span>
        <span className="jp-Pipelines-progressCount" data-testid="step-progress-count">
          {progressCount(p)}
        </span>
        {state !== 'running' && <span className={`jp-Pipelines-progressState jp-mod-${state}`}>{state}</span>}
      </div>
      <div className="jp-Pipelines-progressBar" role="progressbar" aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={p.done}>
        <div className="jp-Pipelines-progressDone" style={{ width: `${bar.done}%` }} />
        <div className="jp-Pipelines-progressFailed" style={{ width: `${bar.failed}%` }} />
      </div>
      <div className="jp-Pipelines-progressText" data-testid="step-progress-text">
        {progressSummary(p)}
        {p.elapsed_s !== undefined && ` in ${p.elapsed_s.toFixed(1)} s`}
      </div>
      {p.reason && <div className="jp-Pipelines-progressReason">{p.reason}</div>}
    </div>
  );
}
