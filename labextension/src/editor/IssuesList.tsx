/** The validation issues of the pipeline; clicking one selects its step. */
import * as React from 'react';

import type { Issue } from '../api/types';

export function IssuesList(props: { issues: Issue[]; onSelect: (step: string | null) => void }): JSX.Element {
  const { issues } = props;
  const errors = issues.filter(i => i.severity === 'error').length;
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
