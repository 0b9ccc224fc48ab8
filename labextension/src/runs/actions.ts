/** The run actions shared by the sidebar and the run view: cancel and rerun through the API. */
import { Notification } from '@jupyterlab/apputils';

import { requestAPI } from '../api/request';
import type { RunDetail, RunSummary } from '../api/types';
import { errorMessage } from './format';

/** POST runs/{id}/cancel; the run as it now is, or null after notifying the error. */
export async function cancelRun(runId: string): Promise<RunDetail | null> {
  try {
    const run = await requestAPI<RunDetail>(`runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST', body: {} });
    Notification.info(`Cancel requested for run ${runId.slice(0, 8)}`, { autoClose: 3000 });
    return run;
  } catch (error) {
    Notification.error(`Cannot cancel run ${runId.slice(0, 8)}: ${errorMessage(error)}`, { autoClose: 8000 });
    return null;
  }
}

/** POST runs/{id}/rerun; the new run, or null after notifying the error. */
export async function rerunRun(runId: string): Promise<RunSummary | null> {
  try {
    const answer = await requestAPI<{ run: RunSummary }>(`runs/${encodeURIComponent(runId)}/rerun`, {
      method: 'POST',
      body: {}
    });
    Notification.success(`Submitted run ${answer.run.id.slice(0, 8)} (rerun of ${runId.slice(0, 8)})`, {
      autoClose: 3000
    });
    return answer.run;
  } catch (error) {
    Notification.error(`Cannot rerun ${runId.slice(0, 8)}: ${errorMessage(error)}`, { autoClose: 8000 });
    return null;
  }
}
