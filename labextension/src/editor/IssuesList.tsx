/** The validation issues of the pipeline; clicking one selects its step. */
import * as React from 'react';

import type { Issue } from '../api/types';

/** What the issues list says of a pipeline without steps (instead of the server's error). */
export const NO_STEPS_YET = 'This pipeline has no steps yet: drag a notebook (.ipynb) or a script (.py) here from the file browser.';

export function IssuesList(props: { issues: Issue[]; onSelect: (step: string | null) => void; empty?: boolean }): JSX.Element {
  const { issues } = props;
  const errors = issues.filter(i => i.severity === 'error').length;
  if (props.empty) {
    // a new pipeline: nothing is wrong yet, there is only something to do
    return (
      <div className="jp-PipelineIssues" data-testid="issues" data-count={0}>
        <div className="jp-PipelineIssues-title jp-mod-hint" data-testid="no-steps-hint">
          {NO_STEPS_YET}
        </div>
      </div>
    );
  }
  return (
    <div className="jp-PipelineIssues" data-testid="issues" data-count={issues.length}>
      <div className="jp-PipelineIssues-title">
        {issues.length ? `Issues: ${errors} error(s), ${issues.length - errors} warning(s)` : 'No issues'}
      </div>
      <ul>
        {issues.map((i, k) => (
          <li
            key={k}
            data-testid="issue"
            data-step={i.step ?? ''}
            data-field={i.field ?? ''}
            className={`jp-mod-${i.severity}`}
            onClick={() => props.onSelect(i.step)}
          >
            <span className="jp-PipelineIssues-where">
              {i.step ?? 'pipeline'}
              {i.field ? `.${i.field}` : ''}
            </span>{' '}
            {i.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
