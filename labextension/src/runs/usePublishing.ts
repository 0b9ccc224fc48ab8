/**
 * A React hook polling the sidebar's publishing data: published pipelines and pipeline
 * endpoints. Like the run lists it polls only while the sidebar is visible, every SLOW_MS
 * (these change only by someone's action), and at once when the host asks for a refresh.
 */
import * as React from 'react';

import { requestAPI } from '../api/request';
import type { PipelineEndpoint, PublishedPipeline } from '../api/types';
import { errorMessage } from './format';
import { SLOW_MS } from './useRunsList';

/** What the Published pipelines section shows. */
export interface PublishingState {
  published: PublishedPipeline[];
  endpoints: PipelineEndpoint[];
  /** The last load error, if any (the previous data stays shown). */
  error: string | null;
  /** True until the first load answered. */
  loading: boolean;
}

/** The publishing data, polled while `visible`; `refresh()` (or a new `external`) reloads now. */
export function usePublishing(visible: boolean, external = 0): PublishingState & { refresh: () => void } {
  const [data, setData] = React.useState<PublishingState>({ published: [], endpoints: [], error: null, loading: true });
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
        const [published, endpoints] = await Promise.all([
          requestAPI<{ published: PublishedPipeline[] }>('published').then(a => a.published),
          requestAPI<{ endpoints: PipelineEndpoint[] }>('pipeline-endpoints').then(a => a.endpoints)
        ]);
        if (!disposed) {
          setData({ published, endpoints, error: null, loading: false });
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
