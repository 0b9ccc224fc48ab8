/**
 * A React hook polling the sidebar's publishing data: published pipelines, pipeline endpoints
 * and schedules. Like the run lists it polls only while the sidebar is visible, every SLOW_MS
 * (fast enough for a schedule's next fire and last run), and at once when the host asks.
 */
import * as React from 'react';

import { ApiError, requestAPI } from '../api/request';
import type { PipelineEndpoint, PublishedPipeline, Schedule, SchedulerInfo } from '../api/types';
import { errorMessage } from './format';
import { SLOW_MS } from './useRunsList';

/** What the Published pipelines section shows. */
export interface PublishingState {
  published: PublishedPipeline[];
  endpoints: PipelineEndpoint[];
  /** The schedules; null when the server has no schedules route (an older server). */
  schedules: Schedule[] | null;
  /** Which process fires the schedules. */
  scheduler: SchedulerInfo | null;
  /** The last load error, if any (the previous data stays shown). */
  error: string | null;
  /** True until the first load answered. */
  loading: boolean;
}

/** The publishing data, polled while `visible`; `refresh()` (or a new `external`) reloads now. */
export function usePublishing(visible: boolean, external = 0): PublishingState & { refresh: () => void } {
  const [data, setData] = React.useState<PublishingState>({
    published: [],
    endpoints: [],
    schedules: [],
    scheduler: null,
    error: null,
    loading: true
  });
  const [tick, setTick] = React.useState(0);
  const refresh = React.useCallback(() => setTick(t => t + 1), []);

  React.useEffect(() => {
    if (!visible) {
      return;
    }
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = async () => {
      try {
        const [published, endpoints, schedules] = await Promise.all([
          requestAPI<{ published: PublishedPipeline[] }>('published').then(a => a.published),
          requestAPI<{ endpoints: PipelineEndpoint[] }>('pipeline-endpoints').then(a => a.endpoints),
          requestAPI<{ schedules: Schedule[]; scheduler: SchedulerInfo }>('schedules').catch(error => {
            if (error instanceof ApiError && error.status === 404) {
              return null; // a server without schedules
            }
            throw error;
          })
        ]);
        if (!disposed) {
          setData({
            published,
            endpoints,
            schedules: schedules?.schedules ?? null,
            scheduler: schedules?.scheduler ?? null,
            error: null,
            loading: false
          });
        }
      } catch (error) {
        if (!disposed) {
          setData(prev => ({ ...prev, loading: false, error: errorMessage(error) }));
        }
      }
      if (!disposed) {
        timer = setTimeout(load, SLOW_MS);
      }
    };
    void load();
    return () => {
      disposed = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [visible, tick, external]);

  return { ...data, refresh };
}
