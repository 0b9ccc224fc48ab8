/**
 * The sidebar's "Schedules" section: each schedule's trigger in words (the server's), the
 * next fire time, the last run (click: its run view) and enable / disable.
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { requestAPI } from '../api/request';
import type { PublishedStatus, Schedule, SchedulerInfo } from '../api/types';
import { errorMessage, formatRelative, formatTime, isoSeconds } from './format';
import { ActiveBadge } from './PublishedSection';
import { StatusBadge } from './StatusBadge';

/** What the section asks of the sidebar. */
export interface ScheduleActions {
  openRun: (runId: string) => void;
  /** Reload the schedules (after a change). */
  reload: () => void;
}

/** PATCH a schedule's status; true when done (else the error was notified). */
async function setScheduleStatus(schedule: Schedule, status: PublishedStatus): Promise<boolean> {
  try {
    await requestAPI(`schedules/${encodeURIComponent(schedule.id)}`, { method: 'PATCH', body: { status } });
    Notification.info(`Schedule ${schedule.name} is ${status}`, { autoClose: 3000 });
    return true;
  } catch (error) {
    Notification.error(`Cannot set schedule ${schedule.name} ${status}: ${errorMessage(error)}`, { autoClose: 8000 });
    return false;
  }
}

/** The next fire: absolute and relative ("09:00:00 (in 12 min)"), or why there is none. */
function nextFire(schedule: Schedule, now: number): string {
  if (schedule.status === 'Disabled') {
    return 'none while disabled';
  }
  const ts = schedule.next_fire_ts ?? isoSeconds(schedule.next_fire);
  if (ts === null) {
    return schedule.kind === 'datastore' || schedule.datastore_name ? 'when data changes' : 'none';
  }
  return `${formatTime(ts)} (${formatRelative(ts, now)})`;
}

/** One schedule. */
function ScheduleRow(props: { schedule: Schedule; actions: ScheduleActions; now: number }): JSX.Element {
  const { schedule: s, actions } = props;
  const last = s.last_run;
  const lastAt = isoSeconds(last?.fired ?? last?.due);
  const onToggle = async () => {
    if (await setScheduleStatus(s, s.status === 'Disabled' ? 'Active' : 'Disabled')) {
      actions.reload();
    }
  };
  return (
    <li className="jp-Pipelines-entry" data-testid="schedule-row" data-schedule-id={s.id} data-status={s.status}>
      <div className="jp-Pipelines-runMain">
        <span className="jp-Pipelines-entryName" title={`${s.name}${s.description ? `\n${s.description}` : ''}\n${s.id}`}>
          {s.name}
        </span>
        <ActiveBadge status={s.status} />
      </div>
      <div className="jp-Pipelines-recurrence" data-testid="schedule-recurrence" title="When it fires">
        {s.trigger_text}
      </div>
      <div className="jp-Pipelines-runMeta">
        <span title={`runs ${s.pipeline_endpoint_id ? 'endpoint' : 'published pipeline'} ${s.pipeline_endpoint_id ?? s.pipeline_id ?? ''}`}>
          runs {s.pipeline_name ?? (s.pipeline_endpoint_id ?? s.pipeline_id ?? '').slice(0, 8)} into {s.experiment_name}
        </span>
      </div>
      <div className="jp-Pipelines-runMeta">
        <span data-testid="schedule-next" title={s.next_fire ? `next fire: ${s.next_fire}` : 'next fire'}>
          next: {nextFire(s, props.now)}
        </span>
      </div>
      <div className="jp-Pipelines-runMeta jp-Pipelines-lastRun">
        last run:{' '}
        {last?.run_id ? (
          <>
            <StatusBadge status={last.run_status} />
            <button
              className="jp-Pipelines-link"
              data-testid="schedule-last-run"
              data-run-id={last.run_id}
              title={`Open run ${last.run_id} (due ${last.due}${last.changed_path ? `; ${last.changed_path} changed` : ''})`}
              onClick={() => actions.openRun(last.run_id as string)}
            >
              {last.run_id.slice(0, 8)}
            </button>
            <span>{lastAt !== null ? formatRelative(lastAt, props.now) : ''}</span>
          </>
        ) : last?.error ? (
          <span className="jp-Pipelines-lastError" title={last.error}>
            failed to start: {last.error}
          </span>
        ) : (
          <span>none yet</span>
        )}
      </div>
      <div className="jp-Pipelines-entryActions">
        <button
          className="jp-Pipelines-smallButton"
          data-testid="toggle-status"
          title={s.status === 'Disabled' ? 'Enable the schedule' : 'Disable the schedule: it stops firing until enabled'}
          onClick={() => void onToggle()}
        >
          {s.status === 'Disabled' ? 'Enable' : 'Disable'}
        </button>
      </div>
    </li>
  );
}

/** A line saying who fires the schedules, when no live scheduler does. */
function SchedulerHint(props: { scheduler: SchedulerInfo | null; count: number }): JSX.Element | null {
  if (!props.count || !props.scheduler || props.scheduler.live) {
    return null;
  }
  return (
    <div className="jp-Pipelines-hint" data-testid="scheduler-hint">
      No scheduler is running for this workspace: schedules fire while a Jupyter server with the extension runs.
    </div>
  );
}

/** The section (`data-testid="schedules-section"`); absent when the server has no schedules. */
export function SchedulesSection(props: {
  schedules: Schedule[] | null;
  scheduler: SchedulerInfo | null;
  loading: boolean;
  filter: string;
  actions: ScheduleActions;
  now: number;
}): JSX.Element | null {
  const [open, setOpen] = React.useState(true);
  if (props.schedules === null) {
    return null;
  }
  const words = props.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = props.schedules.filter(s => {
    const hay = [s.name, s.description, s.pipeline_name, s.experiment_name, s.trigger_text, s.status, s.id].join(' ').toLowerCase();
    return words.every(w => hay.includes(w));
  });
  const count = props.schedules.length;
  return (
    <section className="jp-Pipelines-section" data-testid="schedules-section">
      <h3>
        <button className="jp-Pipelines-sectionToggle" onClick={() => setOpen(!open)} aria-expanded={open}>
          <span className="jp-Pipelines-caret">{open ? '▾' : '▸'}</span>
          Schedules
          {count > 0 && <span className="jp-Pipelines-count">{count}</span>}
        </button>
      </h3>
      {open && <SchedulerHint scheduler={props.scheduler} count={count} />}
      {open &&
        (shown.length === 0 ? (
          <div className="jp-Pipelines-empty">
            {props.loading
              ? 'Loading…'
              : count
                ? 'No schedule matches the filter.'
                : 'No schedules: make one with Schedule.create or jupyter-pipelines schedule create.'}
          </div>
        ) : (
          <ul className="jp-Pipelines-scheduleList">
            {shown.map(s => (
              <ScheduleRow key={s.id} schedule={s} actions={props.actions} now={props.now} />
            ))}
          </ul>
        ))}
    </section>
  );
}
