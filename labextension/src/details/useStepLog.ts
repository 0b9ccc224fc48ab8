/**
 * A React hook following one log stream of a step run: the last TAIL bytes first
 * (GET .../logs?stream=S&tail=N), then the new bytes (GET .../logs?stream=S&offset=next_offset)
 * every POLL_MS while `live`, and once more when it stops being live. An answer holds at most
 * 1 MiB (`truncated`: more follows): the rest is asked for at once, or, when more than KEEP
 * bytes behind (text that would be dropped anyway), the tail again.
 */
import * as React from 'react';

import { ApiError, requestAPI } from '../api/request';
import type { LogChunk } from '../api/types';

/** How much of a log is loaded first (bytes). */
export const TAIL = 65536;
/** The follow interval while the step runs (ms). */
export const POLL_MS = 750;
/** The most text kept in memory per stream (characters); older text is dropped. */
const KEEP = 2_000_000;

/** One log stream's text as loaded so far. */
export interface StepLogState {
  text: string;
  /** True when the beginning of the log was not loaded (tail, or trimmed). */
  truncated: boolean;
  /** True once the first answer came. */
  loaded: boolean;
  error: string | null;
}

/** Follow `stream` of step `step` of run `runId`, polling while `live`. */
export function useStepLog(runId: string, step: string, stream: 'stdout' | 'stderr', live: boolean): StepLogState {
  const [state, setState] = React.useState<StepLogState>({ text: '', truncated: false, loaded: false, error: null });
  const offset = React.useRef<number | null>(null);
  const path = `runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(step)}/logs`;

  React.useEffect(() => {
    offset.current = null;
    setState({ text: '', truncated: false, loaded: false, error: null });
  }, [path, stream]);

  React.useEffect(() => {
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    /** True when the log goes on after what came (ask again at once). */
    const fetchOnce = async (): Promise<boolean> => {
      const query = offset.current === null ? { stream, tail: TAIL } : { stream, offset: offset.current };
      try {
        const chunk = await requestAPI<LogChunk>(path, { query });
        if (disposed) {
          return false;
        }
        const first = offset.current === null;
        const behind = chunk.truncated ? chunk.size - chunk.next_offset : 0;
        offset.current = behind > KEEP ? null : chunk.next_offset;
        setState(prev => {
          let text = first ? chunk.text : prev.text + chunk.text;
          let truncated = first ? chunk.offset > 0 : prev.truncated;
          if (text.length > KEEP) {
            text = text.slice(text.length - KEEP);
            truncated = true;
          }
          if (!first && chunk.text === '' && prev.loaded && !prev.error) {
            return prev;
          }
          return { text, truncated, loaded: true, error: null };
        });
        return behind > 0;
      } catch (error) {
        if (disposed) {
          return false;
        }
        // 404 before the step run exists (or its log): nothing to show yet.
        const message = error instanceof ApiError && error.status === 404 ? null : String((error as Error).message ?? error);
        setState(prev => ({ ...prev, loaded: true, error: message }));
        return false;
      }
    };
    const loop = async () => {
      const more = await fetchOnce();
      if (!disposed && (live || more)) {
        timer = setTimeout(loop, more ? 0 : POLL_MS);
      }
    };
    void loop();
    return () => {
      disposed = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [path, stream, live]);

  return state;
}
