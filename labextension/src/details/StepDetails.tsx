/**
 * A step run's details (`data-testid="step-details"`): status, times, compute (and the Dask
 * worker that ran it, with its cluster's dashboard), exit code, error and reuse info (GET runs/{id}/steps/{step}, polled while the step is unfinished), a
 * ParallelRunStep's mini-batch progress, then its streaming logs, its metrics and its outputs
 * (files, executed notebook).
 */
import * as React from 'react';

import { ApiError, requestAPI } from '../api/request';
import { ParallelProgress, StepDetail, TERMINAL } from '../api/types';
import { httpUrl } from '../model/placement';
import { uiStatus } from '../model/status';
import { StepLogs } from './StepLogs';
import { StepMetrics } from './StepMetrics';
import { StepOutputs } from './StepOutputs';
import { StepProgress } from './StepProgress';

export interface StepDetailsProps {
  runId: string;
  step: string;
  /** Opens a file path (relative to the server root) in JupyterLab, when given. */
  openPath?: (path: string) => void;
  /** A ParallelRunStep's mini-batch progress (useRunProgress), shown above its logs. */
  progress?: ParallelProgress;
}

/** How often the step's detail is reloaded while it is unfinished (ms). */
const DETAIL_POLL_MS = 1000;

/** Epoch seconds as a local date and time. */
function when(ts: number | null): string {
  return ts === null ? '' : new Date(ts * 1000).toLocaleString();
}

/** Seconds as a short duration. */
function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) {
    return '';
  }
  return s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
}

/** The step's detail, reloaded while it is unfinished. */
function useStepDetail(runId: string, step: string): { detail: StepDetail | null; error: string | null } {
  const [detail, setDetail] = React.useState<StepDetail | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    setDetail(null);
    setError(null);
    const load = async () => {
      let done = false;
      try {
        const answer = await requestAPI<StepDetail>(`runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(step)}`);
        if (disposed) {
          return;
        }
        setDetail(answer);
        setError(null);
        done = TERMINAL.has(answer.status);
      } catch (err) {
        if (disposed) {
          return;
        }
        const notYet = err instanceof ApiError && err.status === 404;
        setError(notYet ? `step ${step} has not started yet (${(err as Error).message})` : (err as Error).message ?? String(err));
        done = err instanceof ApiError && err.status !== 404 && err.status !== 0;
      }
      if (!disposed && !done) {
        timer = setTimeout(load, DETAIL_POLL_MS);
      }
    };
    void load();
    return () => {
      disposed = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [runId, step]);
  return { detail, error };
}

/** The reuse information (why the step was or was not reused), folded. */
function ReuseInfo(props: { reuse: Record<string, unknown> }): JSX.Element {
  return (
    <details className="jp-Pipelines-reuseInfo">
      <summary>Reuse information</summary>
      <pre>{JSON.stringify(props.reuse, null, 2)}</pre>
    </details>
  );
}

/** Where a step ran on Dask: "ran on <worker>" and a link to its cluster's dashboard. */
function Placement(props: { detail: StepDetail }): JSX.Element {
  const { worker } = props.detail;
  const dashboard = httpUrl(props.detail.dashboard_link);
  return (
    <>
      {worker && (
        <>
          <dt>Worker</dt>
          <dd className="jp-Pipelines-mono" data-testid="step-worker">
            ran on {worker}
          </dd>
        </>
      )}
      {dashboard && (
        <>
          <dt>Dask</dt>
          <dd>
            <a
              className="jp-Pipelines-link"
              data-testid="step-dashboard"
              href={dashboard}
              target="_blank"
              rel="noopener noreferrer"
              title={dashboard}
            >
              Dask dashboard
            </a>
          </dd>
        </>
      )}
    </>
  );
}

/** The details panel of step `step` of run `runId`. */
export function StepDetails(props: StepDetailsProps): JSX.Element {
  const { runId, step } = props;
  const { detail, error } = useStepDetail(runId, step);
  const live = detail === null || !TERMINAL.has(detail.status);
  const ui = uiStatus(detail?.status, detail?.reused_from);

  return (
    <div className="jp-Pipelines-stepDetails" data-testid="step-details" data-step={step} data-status={ui}>
      <div className="jp-Pipelines-stepHeader">
        <h3>{step}</h3>
        {detail && (
          <span className="jp-Pipelines-badge" data-status={ui}>
            {ui === 'reused' ? 'Reused' : detail.status}
          </span>
        )}
      </div>
      {error && <div className="jp-Pipelines-error" data-testid="step-error-message">{error}</div>}
      {detail && (
        <dl className="jp-Pipelines-facts">
          <dt>Started</dt>
          <dd>{when(detail.started)}</dd>
          <dt>Ended</dt>
          <dd>{when(detail.ended)}</dd>
          <dt>Duration</dt>
          <dd>{seconds(detail.duration ?? (detail.started !== null && detail.ended !== null ? detail.ended - detail.started : null))}</dd>
          {detail.target && (
            <>
              <dt>Compute</dt>
              <dd>{detail.target}</dd>
            </>
          )}
          {(detail.worker || httpUrl(detail.dashboard_link)) && <Placement detail={detail} />}
          {detail.exit_code !== null && (
            <>
              <dt>Exit code</dt>
              <dd data-testid="step-exit-code">{detail.exit_code}</dd>
            </>
          )}
          {detail.reused_from && (
            <>
              <dt>Reused</dt>
              <dd className="jp-Pipelines-mono" data-testid="step-reused-from">
                from step run {detail.reused_from}
              </dd>
            </>
          )}
          <dt>Step run</dt>
          <dd className="jp-Pipelines-mono">{detail.id}</dd>
        </dl>
      )}
      {detail?.error && (
        <pre className="jp-Pipelines-error jp-Pipelines-stepError" data-testid="step-error">
          {detail.error}
        </pre>
      )}
      {detail?.reuse && <ReuseInfo reuse={detail.reuse} />}
      {props.progress && <StepProgress progress={props.progress} />}
      <h4>Logs</h4>
      <StepLogs runId={runId} step={step} live={live} />
      <h4>Metrics</h4>
      <StepMetrics runId={runId} step={step} live={live} />
      <StepOutputs
        runId={runId}
        step={step}
        detail={detail}
        version={detail?.status ?? ''}
        openPath={props.openPath}
      />
    </div>
  );
}
