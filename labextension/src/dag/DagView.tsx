/** The React Flow canvas of a pipeline (STUB: interface agreed; built by the editor work). */
import * as React from 'react';

import type { Issue, PipelineDocument } from '../api/types';
import type { UiStatus } from '../model/status';

export interface DagViewProps {
  document: PipelineDocument;
  /** Live status of each step (the run view and the editor during a run). */
  statuses?: Record<string, UiStatus>;
  /** Validation issues, shown on the nodes they concern. */
  issues?: Issue[];
  /** No editing: the run view. */
  readOnly?: boolean;
  /** The selected step, if any. */
  selected?: string | null;
  onStepClick?: (step: string) => void;
}

export function DagView(props: DagViewProps): JSX.Element {
  return <div className="jp-PipelineDag">{Object.keys(props.document.steps).length} steps</div>;
}
