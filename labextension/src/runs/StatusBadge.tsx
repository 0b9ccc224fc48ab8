/** A colored badge showing a run's or step's status. */
import * as React from 'react';

import type { Status } from '../api/types';
import { uiStatus } from '../model/status';

export interface StatusBadgeProps {
  status: Status | null | undefined;
  /** A reused step (Finished with reused_from) shows as "Reused". */
  reusedFrom?: string | null;
}

/** The badge: `jp-Pipelines-badge` colored by its `data-status` (the UI status). */
export function StatusBadge(props: StatusBadgeProps): JSX.Element {
  const ui = uiStatus(props.status, props.reusedFrom);
  const label = ui === 'reused' ? 'Reused' : props.status ?? 'Unknown';
  return (
    <span className="jp-Pipelines-badge" data-status={ui} title={props.status ?? ''}>
      {label}
    </span>
  );
}
