/**
 * A React hook following one run: GET runs/{id} for its detail, then its event stream,
 * folding the messages into a RunState with the pure reducer (model/status.ts). Messages are
 * queued and folded once per animation frame, so a flood of events (a 100-step run) costs one
 * render a frame and no status change is dropped.
 */
import * as React from 'react';

import { RunEventStream } from '../api/events';
import { requestAPI } from '../api/request';
import type { RunDetail, RunEvent, Status } from '../api/types';
import { applyEvents, emptyRunState, RunState, stateFromRun, StepState } from '../model/status';

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

/** What useRunState answers: the hook's state plus the whole folded RunState. */
export interface RunStateResult extends RunStatusState {
  state: RunState;
  /** The run's error (Failed), as opposed to `error` (loading / connection). */
  runError: string | null;
  /** Load the run's detail again (after a cancel, say). */
  reload: () => void;
}

/** Schedules `fn` for the next animation frame (or soon, where there are no frames). */
function nextFrame(fn: () => void): () => void {
  if (typeof requestAnimationFrame === 'function') {
    const handle = requestAnimationFrame(fn);
    return () => cancelAnimationFrame(handle);
  }
  const handle = setTimeout(fn, 16);
  return () => clearTimeout(handle);
}

/** Follow run `runId` (null: nothing), with the full RunState; see useRunStatus. */
export function useRunState(runId: string | null): RunStateResult {
  const [run, setRun] = React.useState<RunDetail | null>(null);
  const [state, setState] = React.useState<RunState>(emptyRunState);
  const [error, setError] = React.useState<string | null>(null);
  const [generation, setGeneration] = React.useState(0);
  const reload = React.useCallback(() => setGeneration(g => g + 1), []);

  React.useEffect(() => {
    setRun(null);
    setState(emptyRunState());
    setError(null);
    if (!runId) {
      return;
    }
    let disposed = false;
    let stream: RunEventStream | null = null;
    let queue: RunEvent[] = [];
    let cancelFrame: (() => void) | null = null;

    const flush = () => {
      cancelFrame = null;
      if (disposed || queue.length === 0) {
        return;
      }
      const batch = queue;
      queue = [];
      setState(prev => applyEvents(prev, batch));
    };

    requestAPI<RunDetail>(`runs/${encodeURIComponent(runId)}`)
      .then(detail => {
        if (disposed) {
          return;
        }
        setRun(detail);
        const snapshot = stateFromRun(detail);
        setState(snapshot);
        if (snapshot.done) {
          return; // an ended run's detail is final: no stream to follow
        }
        // The snapshot carries no event id: replay the stream from its start; the reducer
        // never moves a step back, so older messages cannot undo the snapshot.
        stream = new RunEventStream(detail.id, {
          after: '0',
          onEvent: event => {
            queue.push(event);
            if (cancelFrame === null) {
              cancelFrame = nextFrame(flush);
            }
          },
          onConnection: (_connected, message) => {
            if (!disposed) {
              setError(message ? `live updates interrupted: ${message}; reconnecting` : null);
            }
          },
          onEnd: () => {
            if (!disposed) {
              setError(null);
            }
          }
        });
      })
      .catch(err => {
        if (!disposed) {
          setError(`cannot load run ${runId}: ${err instanceof Error ? err.message : String(err)}`);
        }
      });

    return () => {
      disposed = true;
      stream?.close();
      cancelFrame?.();
    };
  }, [runId, generation]);

  return {
    run,
    state,
    status: state.status,
    steps: state.steps,
    ended: state.done,
    error,
    runError: state.error,
    reload
  };
}

/** Follow run `runId` (null: nothing) and re-render on each change. */
export function useRunStatus(runId: string | null): RunStatusState {
  const { run, status, steps, ended, error } = useRunState(runId);
  return React.useMemo(() => ({ run, status, steps, ended, error }), [run, status, steps, ended, error]);
}
