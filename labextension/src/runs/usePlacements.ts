/**
 * A React hook that knows where a run's steps ran (the Dask worker of each step and its
 * target's dashboard): the run's step summaries when it loads, then, while the run is
 * followed live, GET runs/{id}/steps again when steps start or end (at most every few
 * seconds, less often for big runs) and once when the run ends. Status events do not carry
 * the worker, which a step's executor learns only after the step started.
 */
import * as React from 'react';

import { requestAPI } from '../api/request';
import { TERMINAL, type RunDetail, type StepSummary } from '../api/types';
import { placementsFrom, samePlacements, type Placement } from '../model/placement';
import type { RunState } from '../model/status';

/** The shortest time between two reloads of the step summaries (ms). */
const MIN_INTERVAL_MS = 2000;
/** And how much longer per step of the run (ms): a 10,000-step run reloads every 20 s. */
const PER_STEP_MS = 2;

/** Number of the run's steps that started (or ended) so far. */
function startedCount(state: RunState): number {
  let n = 0;
  for (const step of Object.values(state.steps)) {
    if (step.storeStatus !== null && step.storeStatus !== 'NotStarted' && step.storeStatus !== 'Queued') {
      n++;
    }
  }
  return n;
}

/** The placements of run `run`'s steps by step name, kept up to date while `state` is live. */
export function useStepPlacements(run: RunDetail | null, state: RunState): Record<string, Placement> {
  const [placements, setPlacements] = React.useState<Record<string, Placement>>({});
  const lastLoad = React.useRef(0);
  const runId = run?.id ?? null;
  const current = React.useRef(runId);
  current.current = runId;
  const loadedEnded = run !== null && TERMINAL.has(run.status);
  const started = startedCount(state);
  const total = state.order.length;
  const done = state.done;

  React.useEffect(() => {
    setPlacements(placementsFrom(run?.step_runs));
    lastLoad.current = Date.now();
  }, [run]);

  React.useEffect(() => {
    if (runId === null || loadedEnded || (started === 0 && !done)) {
      return; // nothing ran yet, or the loaded summaries are final
    }
    const interval = Math.max(MIN_INTERVAL_MS, total * PER_STEP_MS);
    const delay = done ? 0 : Math.max(0, lastLoad.current + interval - Date.now());
    const timer = setTimeout(() => {
      lastLoad.current = Date.now();
      requestAPI<{ steps: StepSummary[] }>(`runs/${encodeURIComponent(runId)}/steps`)
        .then(answer => {
          if (current.current === runId) {
            const next = placementsFrom(answer.steps);
            setPlacements(prev => (samePlacements(prev, next) ? prev : next));
          }
        })
        .catch(() => undefined); // the next change (or the run's end) asks again
    }, delay);
    // an answer already asked for still counts when steps change meanwhile (not another run)
    return () => clearTimeout(timer);
  }, [runId, loadedEnded, started, total, done]);

  return placements;
}
