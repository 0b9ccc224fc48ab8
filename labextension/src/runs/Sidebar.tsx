/**
 * The "Pipelines" left sidebar: the workspace's pipeline files, its published pipelines (by
 * endpoint) and schedules, then its experiments and their runs (status, start, duration,
 * reuse), with open / cancel / rerun / submit / enable / disable actions and a filter.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { RunSummary } from '../api/types';
import { elapsed, formatDuration, formatTime, isActive, runLabel, runUiStatus } from './format';
import { PublishedActions, PublishedSection } from './PublishedSection';
import { ScheduleActions, SchedulesSection } from './SchedulesSection';
import { StatusBadge } from './StatusBadge';
import { usePublishing } from './usePublishing';
import { ExperimentRuns, useRunsList } from './useRunsList';

/** What the sidebar asks its host to do. */
export interface SidebarActions {
  openPipeline: (path: string) => void;
  openRun: (runId: string) => void;
  cancelRun: (runId: string) => Promise<unknown>;
  rerunRun: (runId: string) => Promise<unknown>;
}

/** True when run `run` of `experiment` matches the filter text (any of its words). */
export function matchesFilter(run: RunSummary, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return true;
  }
  const hay = [run.id, run.experiment, run.pipeline_name ?? '', run.pipeline_file ?? '', run.status, run.description ?? '']
    .join(' ')
    .toLowerCase();
  return words.every(word => hay.includes(word));
}

/** One run of the list. */
function RunRow(props: { run: RunSummary; actions: SidebarActions; now: number }): JSX.Element {
  const { run, actions } = props;
  const active = isActive(run.status);
  const duration = formatDuration(elapsed(run.started ?? run.created, run.ended, props.now));
  const total = run.steps?.total ?? 0;
  return (
    <li
      className="jp-Pipelines-runRow"
      data-testid="run-row"
      data-run-id={run.id}
      data-status={run.status}
      data-ui-status={runUiStatus(run.status)}
      title={`${run.id}\n${run.pipeline_file ?? run.pipeline_name ?? ''}${run.error ? `\n${run.error}` : ''}`}
      onDoubleClick={() => actions.openRun(run.id)}
    >
      <div className="jp-Pipelines-runMain">
        <StatusBadge status={run.status} />
        <button
          className="jp-Pipelines-link jp-Pipelines-runId"
          data-testid="run-open"
          title="Open the run view"
          onClick={() => actions.openRun(run.id)}
        >
          {runLabel(run)}
        </button>
        <span className="jp-Pipelines-runActions">
          {active && (
            <button
              className="jp-Pipelines-smallButton"
              data-testid="run-cancel"
              title="Cancel the run"
              onClick={() => void actions.cancelRun(run.id)}
            >
              Cancel
            </button>
          )}
          <button
            className="jp-Pipelines-smallButton"
            data-testid="run-rerun"
            title="Run the pipeline again with the same parameters"
            onClick={() => void actions.rerunRun(run.id)}
          >
            Rerun
          </button>
        </span>
      </div>
      <div className="jp-Pipelines-runMeta">
        <span className="jp-Pipelines-mono">{run.id.slice(0, 8)}</span>
        <span title="started">{formatTime(run.started ?? run.created)}</span>
        {duration && <span title="duration">{duration}</span>}
        {total > 0 && (
          <span title={`${run.reused} of ${total} steps reused`} className="jp-Pipelines-reused">
            ♻ {run.reused}/{total}
          </span>
        )}
      </div>
    </li>
  );
}

/** An experiment: a collapsible header and its runs. */
function ExperimentGroup(props: {
  experiment: ExperimentRuns;
  runs: RunSummary[];
  actions: SidebarActions;
  now: number;
}): JSX.Element {
  const [open, setOpen] = React.useState(true);
  const { experiment, runs } = props;
  return (
    <li className="jp-Pipelines-experiment" data-testid="experiment" data-experiment={experiment.name}>
      <button className="jp-Pipelines-groupHeader" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="jp-Pipelines-caret">{open ? '▾' : '▸'}</span>
        {experiment.name}
        <span className="jp-Pipelines-count">
          {runs.length}
          {experiment.total > experiment.runs.length ? ` of ${experiment.total}` : ''}
        </span>
      </button>
      {open && (
        <ul className="jp-Pipelines-runList">
          {runs.map(run => (
            <RunRow key={run.id} run={run} actions={props.actions} now={props.now} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** The sidebar's content; `visible` gates the polling (a hidden sidebar polls nothing). */
export function PipelinesSidebar(props: {
  actions: SidebarActions;
  visible: boolean;
  /** Bumped by the host to reload at once. */
  refreshToken?: number;
}): JSX.Element {
  const [filter, setFilter] = React.useState('');
  const [limit, setLimit] = React.useState(25);
  const data = useRunsList(props.visible, limit, props.refreshToken ?? 0);
  const publishing = usePublishing(props.visible, props.refreshToken ?? 0);
  const { openRun } = props.actions;
  const { refresh: refreshRuns } = data;
  const { refresh: refreshPublishing } = publishing;
  const publishedActions: PublishedActions = React.useMemo(
    () => ({
      submitted: (runId: string) => {
        refreshRuns();
        openRun(runId);
      },
      reload: refreshPublishing
    }),
    [openRun, refreshRuns, refreshPublishing]
  );
  const scheduleActions: ScheduleActions = React.useMemo(
    () => ({ openRun, reload: refreshPublishing }),
    [openRun, refreshPublishing]
  );
  const now = (data.updated ?? Date.now()) / 1000;
  const lower = filter.trim().toLowerCase();
  const pipelines = data.pipelines.filter(p => !lower || p.toLowerCase().includes(lower));
  const groups = data.experiments
    .map(experiment => ({ experiment, runs: experiment.runs.filter(r => matchesFilter(r, filter)) }))
    .filter(g => g.runs.length > 0 || (!lower && g.experiment.runs.length === 0));
  const more = data.experiments.some(e => e.total > e.runs.length);

  return (
    <div className="jp-Pipelines-sidebarBody">
      <div className="jp-Pipelines-sidebarHeader">
        <h2>Pipelines</h2>
        <button
          className="jp-Pipelines-iconButton"
          data-testid="runs-refresh"
          title="Refresh"
          onClick={() => {
            data.refresh();
            publishing.refresh();
          }}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <input
        className="jp-Pipelines-filter jp-mod-styled"
        data-testid="runs-filter"
        type="search"
        placeholder="Filter by experiment, pipeline, endpoint, status, run id"
        value={filter}
        onChange={e => setFilter(e.target.value)}
      />
      {data.error && (
        <div className="jp-Pipelines-error" data-testid="runs-error">
          {data.error}
        </div>
      )}
      <section className="jp-Pipelines-section">
        <h3>Pipeline files</h3>
        {pipelines.length === 0 ? (
          <div className="jp-Pipelines-empty">{data.loading ? 'Loading…' : 'No pipeline files.'}</div>
        ) : (
          <ul className="jp-Pipelines-fileList">
            {pipelines.map(path => (
              <li key={path}>
                <button
                  className="jp-Pipelines-link"
                  data-testid="pipeline-file"
                  data-path={path}
                  title={`Open ${path}`}
                  onClick={() => props.actions.openPipeline(path)}
                >
                  {path}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <PublishedSection data={publishing} filter={filter} actions={publishedActions} />
      <SchedulesSection
        schedules={publishing.schedules}
        scheduler={publishing.scheduler}
        loading={publishing.loading}
        filter={filter}
        actions={scheduleActions}
        now={now}
      />
      <section className="jp-Pipelines-section">
        <h3>Experiments</h3>
        {groups.length === 0 ? (
          <div className="jp-Pipelines-empty">
            {data.loading ? 'Loading…' : lower ? 'No run matches the filter.' : 'No runs yet.'}
          </div>
        ) : (
          <ul className="jp-Pipelines-experimentList">
            {groups.map(g => (
              <ExperimentGroup
                key={g.experiment.name}
                experiment={g.experiment}
                runs={g.runs}
                actions={props.actions}
                now={now}
              />
            ))}
          </ul>
        )}
        {more && (
          <button className="jp-Pipelines-link jp-Pipelines-more" onClick={() => setLimit(limit * 2)}>
            Show more runs
          </button>
        )}
      </section>
    </div>
  );
}

/** The sidebar widget (id `jp-pipelines-sidebar`): re-renders when shown or hidden. */
export class PipelinesSidebarWidget extends ReactWidget {
  constructor(private readonly actions: SidebarActions) {
    super();
    this.id = 'jp-pipelines-sidebar';
    this.addClass('jp-Pipelines-sidebar');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.update();
  }

  /** Reload the lists now (a run was submitted, canceled or opened). */
  refresh(): void {
    this._refreshToken += 1;
    this.update();
  }

  render(): JSX.Element {
    return <PipelinesSidebar actions={this.actions} visible={this.isVisible} refreshToken={this._refreshToken} />;
  }

  private _refreshToken = 0;
}
