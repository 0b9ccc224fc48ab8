/** A React hook: a run's detail and live step states (STUB: interface agreed; built by the runs work). */
import type { RunDetail, Status } from '../api/types';
import type { StepState } from '../model/status';

export interface RunStatusState {
  /** The run as GET runs/{id} answered (document, step_runs, ...), once loaded. */
  run: RunDetail | null;
  /** The run's current status (live). */
  status: Status | null;
  /** Each step's live state, by step name. */
  steps: Record<string, StepState>;
  /** True once the stream's `end` message came. */
  ended: boolean;
  /** A load or connection error to show, if any. */
  error: string | null;
}

/** Follow run `runId` (null: nothing) and re-render on each change. */
export function useRunStatus(_runId: string | null): RunStatusState {
  return { run: null, status: null, steps: {}, ended: false, error: null };
}
