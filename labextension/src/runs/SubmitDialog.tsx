/**
 * The Submit dialog of a published pipeline or endpoint (the Run dialog's style): a value per
 * declared parameter (defaults prefilled), the experiment, and the server's refusal of an
 * earlier try shown under the field it names.
 */
import * as React from 'react';
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';

import type { ParameterDoc } from '../api/types';
import { defaultText, parameterKind } from '../model/publishing';

/** What the dialog answers: each parameter's text and the experiment. */
export interface SubmitValues {
  values: Record<string, string>;
  experiment: string;
}

/** A refusal to show: its message and the field it names (a parameter, `experiment`, or null). */
export interface FormError {
  field: string | null;
  message: string;
}

const HINTS: Record<string, string> = {
  dataset: 'a dataset id, or name[:version]; empty: the default',
  datapath: 'datastore/path; empty: the default'
};

/** One field's error line (under the field). */
export function FieldIssue(props: { error: FormError | null; field: string }): JSX.Element | null {
  if (!props.error || props.error.field !== props.field) {
    return null;
  }
  return (
    <span className="jp-PipelineField-issue jp-mod-refused" data-testid="field-issue" data-field-issue={props.field}>
      {props.error.message}
    </span>
  );
}

/** The dialog's body: a form whose values `getValue` reads. */
class SubmitForm extends ReactWidget implements Dialog.IBodyWidget<SubmitValues> {
  private readonly current: SubmitValues;

  constructor(
    private readonly parameters: Record<string, ParameterDoc>,
    initial: SubmitValues,
    private readonly target: string,
    private readonly error: FormError | null
  ) {
    super();
    this.current = { values: { ...initial.values }, experiment: initial.experiment };
  }

  getValue(): SubmitValues {
    return { values: { ...this.current.values }, experiment: this.current.experiment };
  }

  render(): JSX.Element {
    const error = this.error;
    const params = Object.entries(this.parameters);
    const general = error && (error.field === null || !(error.field in this.parameters || error.field === 'experiment'));
    return (
      <div className="jp-PipelineRunDialog jp-PipelineSubmitDialog" data-testid="submit-dialog">
        <p className="jp-PipelineSubmitDialog-target">
          POST to <code>{this.target}</code>
        </p>
        {general && (
          <div className="jp-Pipelines-error" data-testid="submit-error">
            {error.message}
          </div>
        )}
        {params.length === 0 && <p>This pipeline has no parameters.</p>}
        {params.map(([name, p]) => {
          const kind = parameterKind(p);
          const data = kind in HINTS;
          const bad = error?.field === name;
          return (
            <label key={name} className={`jp-PipelineField${bad ? ' jp-mod-issue' : ''}`}>
              <span className="jp-PipelineField-label">
                {name} <em>{kind}</em>
                {p.description ? ` · ${p.description}` : ''}
              </span>
              <input
                type="text"
                data-param={name}
                defaultValue={this.current.values[name]}
                placeholder={data ? HINTS[kind] : ''}
                title={data ? `default: ${defaultText(p)}` : p.description}
                onChange={e => (this.current.values[name] = e.target.value)}
              />
              <FieldIssue error={error} field={name} />
            </label>
          );
        })}
        <label className={`jp-PipelineField${error?.field === 'experiment' ? ' jp-mod-issue' : ''}`}>
          <span className="jp-PipelineField-label">Experiment</span>
          <input
            type="text"
            data-field="experiment"
            defaultValue={this.current.experiment}
            onChange={e => (this.current.experiment = e.target.value)}
          />
          <FieldIssue error={error} field="experiment" />
        </label>
      </div>
    );
  }
}

/** The values a form starts with: each scalar's default (data parameters empty). */
export function initialValues(parameters: Record<string, ParameterDoc>, experiment: string): SubmitValues {
  const values: Record<string, string> = {};
  for (const [name, p] of Object.entries(parameters)) {
    values[name] = parameterKind(p) in HINTS ? '' : defaultText(p);
  }
  return { values, experiment };
}

/** Ask for the run's values (starting from `initial`, showing `error`); null when canceled. */
export async function askSubmit(
  title: string,
  target: string,
  parameters: Record<string, ParameterDoc>,
  initial: SubmitValues,
  error: FormError | null = null
): Promise<SubmitValues | null> {
  const result = await showDialog<SubmitValues>({
    title,
    body: new SubmitForm(parameters, initial, target, error),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Submit' })],
    focusNodeSelector: error?.field ? `input[data-param="${error.field}"], input[data-field="${error.field}"]` : 'input'
  });
  return result.button.accept ? result.value : null;
}
