/**
 * The run view (a main-area tab): the run's header (ids, status, times, parameters, reuse;
 * cancel / rerun; the Dask dashboard of its target when a step ran on Dask), its DAG with live
 * statuses (a node's tooltip names the worker that ran it), the Gantt timeline and the selected step's
 * details (logs, metrics, outputs).
 */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { LabIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { DagView } from '../dag/DagView';
import { RenderMimeContext } from '../details/NotebookView';
import { StepDetails } from '../details/StepDetails';
import { useRunProgress } from '../details/useRunProgress';
import { dashboards } from '../model/placement';
import { countStatuses, stepTimes, uiStatuses } from '../model/status';
import { elapsed, formatDuration, formatTime, isActive, runLabel } from './format';
import { StatusBadge } from './StatusBadge';
import { Timeline } from './Timeline';
import { useStepPlacements } from './usePlacements';
import { useRunState } from './useRunStatus';

/** What the run view asks its host to do. */
export interface RunViewActions {
  cancelRun: (runId: string) => Promise<unknown>;
  rerunRun: (runId: string) => Promise<unknown>;
  openPath: (path: string) => void;
  /** Called once when a run followed live ends (the sidebar refreshes at once). */
  onRunEnded?: (runId: string) => void;
}

/** The current time (epoch seconds), ticking every `ms` while `live`. */
function useNow(live: boolean, ms = 500): number {
  const [now, setNow] = React.useState(() => Date.now() / 1000);
  React.useEffect(() => {
    setNow(Date.now() / 1000);
    if (!live) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now() / 1000), ms);
    return () => clearInterval(timer);
  }, [live, ms]);
  return now;
}

/** A parameter value as short text. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The run view's React content (`data-testid="run-view"`, `data-run-id`). */
export function RunView(props: { runId: string; actions: RunViewActions; onTitle?: (title: string) => void }): JSX.Element {
  const { run, state, error, runError } = useRunState(props.runId);
  const [selected, setSelected] = React.useState<string | null>(null);
  const live = run !== null && !state.done;
  const now = useNow(live);
  const statuses = React.useMemo(() => uiStatuses(state.steps), [state.steps]);
  const counts = React.useMemo(() => countStatuses(state.steps), [state.steps]);
  const times = React.useMemo(() => stepTimes(state.steps), [state.steps]);
  const progress = useRunProgress(run?.id ?? null, run?.document, statuses);
  const placements = useStepPlacements(run, state);
  const workers = React.useMemo(
    () => Object.fromEntries(Object.entries(placements).map(([name, p]) => [name, p.worker])),
    [placements]
  );
  const links = React.useMemo(() => dashboards(placements), [placements]);
  const { onTitle } = props;

  const wasLive = React.useRef(false);
  const { onRunEnded } = props.actions;
  React.useEffect(() => {
    if (live) {
      wasLive.current = true;
    } else if (wasLive.current && state.done && run) {
      wasLive.current = false;
      onRunEnded?.(run.id);
    }
  }, [live, state.done, run, onRunEnded]);

  React.useEffect(() => {
    if (run && onTitle) {
      onTitle(`${runLabel(run)} ${run.id.slice(0, 8)}`);
    }
  }, [run, onTitle]);

  const runId = run?.id ?? props.runId;
  const total = state.order.length;
  const params = Object.entries(run?.parameters ?? {});
  const duration = formatDuration(elapsed(state.started ?? run?.started ?? run?.created, state.ended ?? run?.ended, now));

  return (
    <div className="jp-Pipelines-runView" data-testid="run-view" data-run-id={runId} data-status={state.status ?? ''}>
      <header className="jp-Pipelines-runHeader">
        <div className="jp-Pipelines-runTitle">
          <h2>{run ? runLabel(run) : 'Pipeline run'}</h2>
          <StatusBadge status={state.status} />
          <span className="jp-Pipelines-runButtons">
            {isActive(state.status) && (
              <button
                className="jp-Button jp-mod-styled jp-mod-warn"
                data-testid="run-view-cancel"
                onClick={() => void props.actions.cancelRun(runId)}
              >
                Cancel
              </button>
            )}
            <button
              className="jp-Button jp-mod-styled jp-mod-accept"
              data-testid="run-view-rerun"
              disabled={!run}
              onClick={() => void props.actions.rerunRun(runId)}
            >
              Rerun
            </button>
          </span>
        </div>
        <dl className="jp-Pipelines-facts">
          <dt>Run</dt>
          <dd className="jp-Pipelines-mono" data-testid="run-id">
            {runId}
          </dd>
          <dt>Experiment</dt>
          <dd>{run?.experiment ?? ''}</dd>
          {run?.pipeline_file && (
            <>
              <dt>Pipeline</dt>
              <dd>
                <button className="jp-Pipelines-link" onClick={() => props.actions.openPath(run.pipeline_file!)}>
                  {run.pipeline_file}
                </button>
              </dd>
            </>
          )}
          <dt>Started</dt>
          <dd>{formatTime(state.started ?? run?.started ?? run?.created)}</dd>
          <dt>Duration</dt>
          <dd data-testid="run-duration">{duration}</dd>
          <dt>Steps</dt>
          <dd data-testid="run-step-counts">
            {counts.finished + counts.reused} of {total} done
            {counts.running > 0 && `, ${counts.running} running`}
            {counts.failed > 0 && `, ${counts.failed} failed`}
            {counts.canceled > 0 && `, ${counts.canceled} canceled`}
            {`; ♻ ${counts.reused} reused`}
          </dd>
          {links.length > 0 && (
            <>
              <dt>Dask</dt>
              <dd data-testid="run-dashboards">
                {links.map(link => (
                  <a key={link} className="jp-Pipelines-link" href={link} target="_blank" rel="noopener noreferrer" title={link}>
                    Dask dashboard
                  </a>
                ))}
              </dd>
            </>
          )}
          {params.length > 0 && (
            <>
              <dt>Parameters</dt>
              <dd className="jp-Pipelines-params">
                {params.map(([k, v]) => (
                  <code key={k}>
                    {k}={show(v)}
                  </code>
                ))}
              </dd>
            </>
          )}
        </dl>
        {runError && <div className="jp-Pipelines-error">{runError}</div>}
        {error && (
          <div className="jp-Pipelines-error" data-testid="run-view-error">
            {error}
          </div>
        )}
      </header>
      {run ? (
        <div className="jp-Pipelines-runBody">
          <div className="jp-Pipelines-runLeft">
            <div className="jp-Pipelines-runDag">
              <DagView
                document={run.document}
                statuses={statuses}
                times={times}
                workers={workers}
                progress={progress}
                readOnly={true}
                selected={selected}
                onStepClick={setSelected}
              />
            </div>
            <h3>Timeline</h3>
            <Timeline
              state={state}
              runStarted={state.started ?? run.started}
              now={now}
              selected={selected}
              onStepClick={setSelected}
            />
          </div>
          <div className="jp-Pipelines-runRight">
            {selected ? (
              <StepDetails
                key={`${runId}/${selected}`}
                runId={runId}
                step={selected}
                openPath={props.actions.openPath}
                progress={progress[selected]}
              />
            ) : (
              <div className="jp-Pipelines-empty">Select a step (in the graph or the timeline) to see its logs, metrics and outputs.</div>
            )}
          </div>
        </div>
      ) : (
        !error && <div className="jp-Pipelines-empty">Loading run…</div>
      )}
    </div>
  );
}

/** The run view's content widget: a ReactWidget holding one run. */
export class RunViewContent extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly actions: RunViewActions,
    private readonly rendermime: IRenderMimeRegistry | null = null
  ) {
    super();
    this.addClass('jp-Pipelines-runViewContent');
  }

  render(): JSX.Element {
    return (
      <RenderMimeContext.Provider value={this.rendermime}>
        <RunView runId={this.runId} actions={this.actions} onTitle={this._onTitle} />
      </RenderMimeContext.Provider>
    );
  }

  private _onTitle = (label: string) => {
    const parent = this.parent;
    if (parent) {
      parent.title.label = label;
    }
  };
}

/** The run view's main-area widget (id `jp-pipelines-run-ID`). */
export function createRunView(
  runId: string,
  actions: RunViewActions,
  icon: LabIcon,
  rendermime: IRenderMimeRegistry | null = null
): MainAreaWidget<RunViewContent> {
  const content = new RunViewContent(runId, actions, rendermime);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-pipelines-run-${runId}`;
  widget.title.label = `Run ${runId.slice(0, 8)}`;
  widget.title.caption = `Pipeline run ${runId}`;
  widget.title.icon = icon;
  widget.title.closable = true;
  widget.addClass('jp-Pipelines-runViewWidget');
  return widget;
}
