/**
 * A React hook polling the sidebar's data: the workspace's pipeline files, its experiments and
 * each experiment's latest runs. While visible it polls every FAST_MS when a run is unfinished
 * (the list route answers in milliseconds), else every SLOW_MS; while hidden, not at all.
 */
import * as React from 'react';

import { requestAPI } from '../api/request';
import type { RunSummary } from '../api/types';
import { errorMessage, isActive } from './format';

/** Poll delay while a run is unfinished. */
export const FAST_MS = 1500;
/** Poll delay when every run is over. */
export const SLOW_MS = 5000;
/** The pipeline files are listed again at most this often (it walks the root folder). */
const PIPELINES_MS = 15000;

/** One experiment and its newest runs. */
export interface ExperimentRuns {
  name: string;
  runs: RunSummary[];
  /** How many runs the experiment has in all. */
  total: number;
}

/** What the sidebar shows. */
export interface RunsListState {
  pipelines: string[];
  experiments: ExperimentRuns[];
  /** The last load error, if any (the previous data stays shown). */
  error: string | null;
  /** True until the first load answered. */
  loading: boolean;
  /** When the data was last loaded (ms). */
  updated: number | null;
}

/** The sidebar data, polled while `visible`; `refresh()` reloads at once (pipelines too). */
export function useRunsList(
  visible: boolean,
  limit: number,
  /** Changing it reloads at once (the host's refresh, e.g. after a run was submitted). */
  external = 0
): RunsListState & { refresh: () => void } {
  const [data, setData] = React.useState<RunsListState>({
    pipelines: [],
    experiments: [],
    error: null,
    loading: true,
    updated: null
  });
  const [tick, setTick] = React.useState(0);
  const refresh = React.useCallback(() => setTick(t => t + 1), []);
  const pipelinesAt = React.useRef(0);
  const forcePipelines = React.useRef(true);

  React.useEffect(() => {
    forcePipelines.current = true;
  }, [tick, external]);

  React.useEffect(() => {
    if (!visible) {
      return;
    }
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const load = async () => {
      let active = false;
      try {
        const wantPipelines = forcePipelines.current || Date.now() - pipelinesAt.current > PIPELINES_MS;
        const [pipelines, experiments] = await Promise.all([
          wantPipelines
            ? requestAPI<{ pipelines: string[] }>('pipelines').then(a => a.pipelines)
            : Promise.resolve(null),
          requestAPI<{ experiments: string[] }>('experiments').then(a => a.experiments)
        ]);
        const lists = await Promise.all(
          [...experiments].reverse().map(async name => {
            const answer = await requestAPI<{ runs: RunSummary[]; total: number }>('runs', {
              query: { experiment: name, limit }
            });
            return { name, runs: answer.runs, total: answer.total };
          })
        );
        if (wantPipelines) {
          forcePipelines.current = false;
          pipelinesAt.current = Date.now();
        }
        active = lists.some(e => e.runs.some(r => isActive(r.status)));
        if (!disposed) {
          setData(prev => ({
            pipelines: pipelines ?? prev.pipelines,
            experiments: lists,
            error: null,
            loading: false,
            updated: Date.now()
          }));
        }
      } catch (error) {
        if (!disposed) {
          setData(prev => ({ ...prev, loading: false, error: errorMessage(error) }));
        }
      }
      if (!disposed) {
        timer = setTimeout(load, active ? FAST_MS : SLOW_MS);
      }
    };
    void load();
    return () => {
      disposed = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [visible, limit, tick, external]);

  return { ...data, refresh };
}
