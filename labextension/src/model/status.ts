/**
 * A run's live state, folded from its event stream: the pure reducer behind the run view,
 * the sidebar and the editor's node colors during a run, and the timeline rows of the Gantt
 * chart. No React, no JupyterLab: unit tested in status.test.ts.
 */
import type { PipelineDocument, RunDetail, RunEvent, Status, StepSummary } from '../api/types';

/** A node's status as the canvas shows it (a reused step is Finished with reused_from). */
export type UiStatus =
  | 'none'
  | 'queued'
  | 'running'
  | 'reused'
  | 'finished'
  | 'failed'
  | 'canceled';

/** One step's state in a run. */
export interface StepState {
  status: UiStatus;
  storeStatus: Status | null;
  started: number | null;
  ended: number | null;
  message: string | null;
  reusedFrom: string | null;
}

/** The store status of a step as the canvas shows it. */
export function uiStatus(status: Status | null | undefined, reusedFrom?: string | null): UiStatus {
  switch (status) {
    case 'Queued':
      return 'queued';
    case 'Running':
    case 'CancelRequested':
      return 'running';
    case 'Finished':
      return reusedFrom ? 'reused' : 'finished';
    case 'Failed':
      return 'failed';
    case 'Canceled':
      return 'canceled';
    default:
      return 'none';
  }
}

/** The whole live state of one run: what the reducer folds events into. */
export interface RunState {
  /** The run's status (null until known). */
  status: Status | null;
  /** Each step's state, by name. */
  steps: Record<string, StepState>;
  /** Step names in pipeline order (document order, then any step only events named). */
  order: string[];
  /** When the run started and ended (epoch seconds), as far as known. */
  started: number | null;
  ended: number | null;
  /** The run store's id (`event_id`) of the last status message folded in (0: none). */
  lastEventId: number;
  /** True once the stream's `end` message came. */
  done: boolean;
  /** The run's error, from the snapshot or the `end` message. */
  error: string | null;
}

/** Statuses after which nothing changes. */
const TERMINAL_STATUSES: ReadonlySet<Status> = new Set<Status>(['Finished', 'Failed', 'Canceled']);

/** True for Finished, Failed and Canceled. */
export function isTerminal(status: Status | null | undefined): boolean {
  return !!status && TERMINAL_STATUSES.has(status);
}

/** How far along a status is: a step's status never goes back to a lower rank. */
function rank(status: Status | null | undefined): number {
  switch (status) {
    case 'NotStarted':
      return 0;
    case 'Queued':
      return 1;
    case 'Running':
      return 2;
    case 'CancelRequested':
      return 3;
    case 'Finished':
    case 'Failed':
    case 'Canceled':
      return 4;
    default:
      return -1;
  }
}

/** The prefix of a reused step's status message: "reuses step run ID". */
export const REUSE_PREFIX = 'reuses step run';

/** The step run id a status message says is reused, or null. */
export function reusedFromMessage(message: string | null | undefined): string | null {
  if (!message || !message.startsWith(REUSE_PREFIX)) {
    return null;
  }
  const rest = message.slice(REUSE_PREFIX.length).trim();
  return rest.split(/\s+/)[0] || 'unknown';
}

/** An event timestamp (epoch seconds, or an ISO / numeric string) as epoch seconds. */
export function toEpochSeconds(ts: number | string | null | undefined): number | null {
  if (ts === null || ts === undefined || ts === '') {
    return null;
  }
  if (typeof ts === 'number') {
    return Number.isFinite(ts) ? ts : null;
  }
  const asNumber = Number(ts);
  if (Number.isFinite(asNumber)) {
    return asNumber;
  }
  const ms = Date.parse(ts);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/** A step that nothing is known of yet. */
export function emptyStep(): StepState {
  return {
    status: 'none',
    storeStatus: null,
    started: null,
    ended: null,
    message: null,
    reusedFrom: null
  };
}

/** The state of a run nothing is known of yet. */
export function emptyRunState(): RunState {
  return {
    status: null,
    steps: {},
    order: [],
    started: null,
    ended: null,
    lastEventId: 0,
    done: false,
    error: null
  };
}

/** A step's state from a step run summary of the REST API. */
export function stepFromSummary(summary: StepSummary): StepState {
  return {
    status: uiStatus(summary.status, summary.reused_from),
    storeStatus: summary.status,
    started: summary.started,
    ended: summary.ended,
    message: summary.error,
    reusedFrom: summary.reused_from
  };
}

/**
 * The state of a run from its GET runs/{id} answer: every step of its document (status
 * `none` until a step run says more), then the step runs' statuses and times.
 */
export function stateFromRun(
  run: Pick<RunDetail, 'status' | 'started' | 'ended' | 'error'> & {
    document?: PipelineDocument | null;
    step_runs?: StepSummary[];
  },
  stepRuns: StepSummary[] | undefined = run.step_runs
): RunState {
  const state = emptyRunState();
  for (const name of Object.keys(run.document?.steps ?? {})) {
    state.order.push(name);
    state.steps[name] = emptyStep();
  }
  for (const summary of stepRuns ?? []) {
    if (!(summary.name in state.steps)) {
      state.order.push(summary.name);
    }
    state.steps[summary.name] = stepFromSummary(summary);
  }
  state.status = run.status;
  state.started = run.started;
  state.ended = run.ended;
  state.error = run.error;
  state.done = isTerminal(run.status);
  return state;
}

/** Fold one status event into a (mutable, already copied) step. */
function applyStepStatus(
  step: StepState,
  status: Status,
  message: string | null,
  ts: number | null
): StepState {
  if (rank(status) < rank(step.storeStatus)) {
    return step; // an older event than what is known (a snapshot, then the replayed stream)
  }
  const reusedFrom = reusedFromMessage(message) ?? step.reusedFrom;
  const next: StepState = { ...step, storeStatus: status, message: message ?? step.message, reusedFrom };
  if (status === 'Running' && next.started === null) {
    next.started = ts;
  }
  if (isTerminal(status)) {
    if (next.ended === null) {
      next.ended = ts;
    }
    if (next.started === null) {
      next.started = reusedFrom ? next.ended : ts;
    }
  }
  next.status = uiStatus(status, reusedFrom);
  return next;
}

/**
 * Fold a batch of stream messages into a run state, returning a new state (the same object
 * when nothing changed). A status message whose `event_id` is not above the last one folded
 * in (a replay over a snapshot, or out of order) is ignored, as is an `end` after the end;
 * `log` messages change nothing here.
 */
export function applyEvents(state: RunState, events: readonly RunEvent[]): RunState {
  let next: RunState | null = null;
  let steps: Record<string, StepState> | null = null;
  for (const event of events) {
    const current: RunState = next ?? state;
    const old = event.type === 'status' ? !(event.event_id > current.lastEventId) : event.type !== 'end' || current.done;
    if (old) {
      continue;
    }
    if (next === null) {
      next = { ...state };
    }
    if (event.type === 'status') {
      next.lastEventId = event.event_id;
      const ts = toEpochSeconds(event.ts);
      if (event.kind === 'step' && event.step) {
        if (steps === null) {
          steps = { ...next.steps };
          next.steps = steps;
        }
        if (!(event.step in steps)) {
          next.order = [...next.order, event.step];
        }
        steps[event.step] = applyStepStatus(steps[event.step] ?? emptyStep(), event.status, event.message, ts);
      } else if (event.kind === 'run' && rank(event.status) >= rank(next.status)) {
        next.status = event.status;
        if (event.status === 'Running' && next.started === null) {
          next.started = ts;
        }
        if (isTerminal(event.status) && next.ended === null) {
          next.ended = ts;
        }
      }
    } else if (event.type === 'end') {
      next.status = event.status;
      next.error = event.error ?? next.error;
      next.done = true;
    }
  }
  return next ?? state;
}

/** Fold one message (see applyEvents). */
export function applyEvent(state: RunState, event: RunEvent): RunState {
  return applyEvents(state, [event]);
}

/** Each step's canvas status, as DagView's `statuses` prop wants it. */
export function uiStatuses(steps: Record<string, StepState>): Record<string, UiStatus> {
  const out: Record<string, UiStatus> = {};
  for (const [name, step] of Object.entries(steps)) {
    out[name] = step.status;
  }
  return out;
}

/** Each step's start and end times, as DagView's `times` prop wants them. */
export function stepTimes(steps: Record<string, StepState>): Record<string, { started: number | null; ended: number | null }> {
  const out: Record<string, { started: number | null; ended: number | null }> = {};
  for (const [name, step] of Object.entries(steps)) {
    out[name] = { started: step.started, ended: step.ended };
  }
  return out;
}

/** How many steps are in each UI status. */
export function countStatuses(steps: Record<string, StepState>): Record<UiStatus, number> {
  const counts: Record<UiStatus, number> = {
    none: 0,
    queued: 0,
    running: 0,
    reused: 0,
    finished: 0,
    failed: 0,
    canceled: 0
  };
  for (const step of Object.values(steps)) {
    counts[step.status] += 1;
  }
  return counts;
}

/** One bar of the Gantt chart. */
export interface TimelineRow {
  step: string;
  status: UiStatus;
  /** Epoch seconds; null when the step has not started (no bar). */
  start: number | null;
  /** Epoch seconds; `now` for a running step (the bar grows). */
  end: number | null;
  /** True while the step runs. */
  running: boolean;
  reused: boolean;
}

/** The time span of a timeline (epoch seconds); start < end always. */
export interface TimelineSpan {
  start: number;
  end: number;
}

/**
 * The Gantt chart rows of a run, in pipeline order: each step from its start to its end
 * (to `now` while it runs), with its status.
 */
export function timelineRows(state: Pick<RunState, 'steps' | 'order'>, now: number): TimelineRow[] {
  const names = [...state.order];
  for (const name of Object.keys(state.steps)) {
    if (!names.includes(name)) {
      names.push(name);
    }
  }
  return names.map(name => {
    const step = state.steps[name] ?? emptyStep();
    const running = step.status === 'running';
    const start = step.started;
    let end = step.ended;
    if (start !== null && end === null) {
      end = running ? Math.max(now, start) : start;
    }
    return { step: name, status: step.status, start, end, running, reused: step.status === 'reused' };
  });
}

/** The span the timeline's axis covers: the run's start (or first bar) to the last end. */
export function timelineSpan(rows: readonly TimelineRow[], runStarted: number | null, now: number): TimelineSpan {
  let start = runStarted ?? Infinity;
  let end = -Infinity;
  for (const row of rows) {
    if (row.start !== null) {
      start = Math.min(start, row.start);
      end = Math.max(end, row.end ?? row.start);
    }
  }
  if (!Number.isFinite(start)) {
    start = now;
  }
  if (!Number.isFinite(end) || end < start) {
    end = start;
  }
  if (end - start < 1) {
    end = start + 1;
  }
  return { start, end };
}

export type { RunEvent };
