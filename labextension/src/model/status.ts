/**
 * A run's live state, folded from its event stream (STUB: interface agreed; built by the runs work).
 */
import type { RunEvent, Status } from '../api/types';

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

export type { RunEvent };
