/**
 * A React hook following the mini-batch progress of a run's ParallelRunSteps: while such a
 * step runs, its `logs/progress.json` is read every second; once it has ended, once more for
 * the final counts. Used by the run view and by the editor while it shows a run.
 */
import * as React from 'react';

import { ApiError, requestAPI } from '../api/request';
import type { ParallelProgress, PipelineDocument } from '../api/types';
import { parseProgress, PROGRESS_FILE, sameProgress } from '../model/progress';
import type { UiStatus } from '../model/status';
import { stepFilePath } from './files';

/** How often a running ParallelRunStep's progress is read (ms). */
export const PROGRESS_POLL_MS = 1000;

/** The parallel_run steps of a document. */
export function parallelSteps(doc: PipelineDocument | null | undefined): string[] {
  return doc ? Object.entries(doc.steps).filter(([, s]) => s.type === 'parallel_run').map(([n]) => n) : [];
}

/**
 * The progress of each ParallelRunStep of run `runId` (by step name), read while `statuses`
 * says it runs and once after it ended. `doc` is the run's pipeline document (step types).
 */
export function useRunProgress(
  runId: string | null,
  doc: PipelineDocument | null | undefined,
  statuses: Record<string, UiStatus> | undefined
): Record<string, ParallelProgress> {
  const [progress, setProgress] = React.useState<Record<string, ParallelProgress>>({});
  const statusRef = React.useRef(statuses);
  statusRef.current = statuses;
  const steps = parallelSteps(doc);
  const key = steps.join('\u0000');

  React.useEffect(() => {
    setProgress({});
    const names = key ? key.split('\u0000') : [];
    if (!runId || !names.length) {
      return;
    }
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const final = new Set<string>(); // steps whose counts after their end were read

    const read = async (step: string, ended: boolean) => {
      try {
        const p = parseProgress(await requestAPI<unknown>(stepFilePath(runId, step, PROGRESS_FILE)));
        if (p && !disposed) {
          setProgress(prev => (sameProgress(prev[step], p) ? prev : { ...prev, [step]: p }));
        }
        if (ended) {
          final.add(step);
        }
      } catch (error) {
        // Not there yet (the runner is starting), or never (the step failed before it):
        // an ended step without the file is given up; other errors are tried again.
        if (ended && error instanceof ApiError && (error.status === 404 || error.status === 403)) {
          final.add(step);
        }
      }
    };
    const tick = async () => {
      const now = statusRef.current ?? {};
      const due = names.filter(n => !final.has(n) && now[n] && now[n] !== 'none' && now[n] !== 'queued');
      await Promise.all(due.map(n => read(n, now[n] !== 'running')));
      if (!disposed && final.size < names.length) {
        timer = setTimeout(() => void tick(), PROGRESS_POLL_MS);
      }
    };
    void tick();
    return () => {
      disposed = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [runId, key]);

  return progress;
}
