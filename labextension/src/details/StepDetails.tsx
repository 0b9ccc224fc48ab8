/** A step run's details: streaming logs, metrics, outputs, executed notebook (STUB: interface agreed). */
import * as React from 'react';

export interface StepDetailsProps {
  runId: string;
  step: string;
  /** Opens a file path (relative to the server root) in JupyterLab, when given. */
  openPath?: (path: string) => void;
}

export function StepDetails(props: StepDetailsProps): JSX.Element {
  return (
    <div data-testid="step-details">
      {props.runId} / {props.step}
    </div>
  );
}
