/** The Run dialog: a value per pipeline parameter (defaults prefilled) and the experiment name. */
import * as React from 'react';
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';

import type { PipelineDocument } from '../api/types';
import { typedValue, valueText } from './PipelinePanel';

/** What the dialog answers. */
export interface RunRequest {
  parameters: Record<string, unknown>;
  experiment: string;
}

/** The dialog's body: a form whose values `getValue` reads. */
class RunForm extends ReactWidget implements Dialog.IBodyWidget<RunRequest> {
  private values: Record<string, string>;
  private experiment: string;

  constructor(
    private readonly doc: PipelineDocument,
    experiment: string
  ) {
    super();
    this.experiment = experiment;
    this.values = Object.fromEntries(Object.entries(doc.parameters ?? {}).map(([k, p]) => [k, valueText(p.default)]));
  }

  getValue(): RunRequest {
    const params = this.doc.parameters ?? {};
    const parameters: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.values)) {
      parameters[k] = typedValue(params[k]?.type, v);
    }
    return { parameters, experiment: this.experiment.trim() };
  }

  render(): JSX.Element {
    const params = this.doc.parameters ?? {};
    return (
      <div className="jp-PipelineRunDialog" data-testid="run-dialog">
        {Object.keys(params).length === 0 && <p>This pipeline has no parameters.</p>}
        {Object.entries(params).map(([k, p]) => (
          <label key={k} className="jp-PipelineField">
            <span className="jp-PipelineField-label">
              {k} <em>{p.type ?? ''}</em>
            </span>
            <input
              type="text"
              data-param={k}
              defaultValue={this.values[k]}
              title={p.description}
              onChange={e => (this.values[k] = e.target.value)}
            />
          </label>
        ))}
        <label className="jp-PipelineField">
          <span className="jp-PipelineField-label">Experiment</span>
          <input type="text" data-field="experiment" defaultValue={this.experiment} onChange={e => (this.experiment = e.target.value)} />
        </label>
      </div>
    );
  }
}

/** Ask for the run's parameter values; null when canceled. */
export async function askRun(doc: PipelineDocument, experiment: string, title = 'Run pipeline'): Promise<RunRequest | null> {
  const result = await showDialog<RunRequest>({
    title,
    body: new RunForm(doc, experiment),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? result.value : null;
}
