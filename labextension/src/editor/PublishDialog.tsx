/**
 * The Publish dialog of the editor (name, description, version; no endpoint, an existing
 * endpoint or a new one, made default or not; the server's refusal of an earlier try under
 * the field it names) and the dialog that shows what was published, with copy buttons.
 */
import * as React from 'react';
import { Clipboard, Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';

import type { Issue, PipelineEndpoint, PublishAnswer } from '../api/types';
import type { EndpointMode, PublishForm } from '../model/publishing';

/** A refusal to show: message, the field it names (or null), validation issues. */
export interface PublishError {
  field: string | null;
  message: string;
  issues: Issue[];
}

/** The form a pipeline file starts with. */
export function initialPublishForm(name: string, description: string, endpoints: PipelineEndpoint[]): PublishForm {
  return {
    name,
    description,
    version: '',
    mode: 'none',
    existing: endpoints[0]?.name ?? '',
    newName: '',
    makeDefault: true
  };
}

function Issue(props: { error: PublishError | null; fields: string[] }): JSX.Element | null {
  const { error } = props;
  if (!error || error.field === null || !props.fields.includes(error.field)) {
    return null;
  }
  return (
    <span className="jp-PipelineField-issue jp-mod-refused" data-testid="field-issue" data-field-issue={error.field}>
      {error.message}
    </span>
  );
}

const FORM_FIELDS = ['name', 'description', 'version', 'endpoint', 'endpoint-new', 'endpoint-existing'];

/** The form's React view; every change is reported to `onChange`. */
function PublishFormView(props: {
  initial: PublishForm;
  endpoints: PipelineEndpoint[];
  endpointsError: string | null;
  error: PublishError | null;
  path: string;
  onChange: (form: PublishForm) => void;
}): JSX.Element {
  const [form, setForm] = React.useState(props.initial);
  const { error, endpoints } = props;
  const set = (patch: Partial<PublishForm>) => {
    const next = { ...form, ...patch };
    setForm(next);
    props.onChange(next);
  };
  const bad = (...fields: string[]) => (error?.field && fields.includes(error.field) ? ' jp-mod-issue' : '');
  const general = error && (error.field === null || !FORM_FIELDS.includes(error.field));
  const mode = (value: EndpointMode, label: string, disabled = false) => (
    <input
      type="radio"
      name="jp-publish-endpoint-mode"
      data-field="endpoint-mode"
      value={value}
      checked={form.mode === value}
      disabled={disabled}
      aria-label={label}
      onChange={() => set({ mode: value })}
    />
  );
  return (
    <div className="jp-PipelineRunDialog jp-PipelinePublishDialog" data-testid="publish-dialog">
      <p className="jp-Pipelines-hint">
        Publishes <code>{props.path}</code> as saved (unsaved edits are saved first), with its steps’ code frozen.
      </p>
      {general && (
        <div className="jp-Pipelines-error" data-testid="publish-error">
          {error.message}
          {error.issues.length > 0 && (
            <ul>
              {error.issues.map((issue, i) => (
                <li key={i}>
                  {issue.step ? `${issue.step}: ` : ''}
                  {issue.field ? `${issue.field}: ` : ''}
                  {issue.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <label className={`jp-PipelineField${bad('name')}`}>
        <span className="jp-PipelineField-label">Name</span>
        <input type="text" data-field="name" value={form.name} onChange={e => set({ name: e.target.value })} />
        <Issue error={error} fields={['name']} />
      </label>
      <label className={`jp-PipelineField${bad('description')}`}>
        <span className="jp-PipelineField-label">Description</span>
        <textarea data-field="description" rows={2} value={form.description} onChange={e => set({ description: e.target.value })} />
        <Issue error={error} fields={['description']} />
      </label>
      <label className={`jp-PipelineField${bad('version')}`}>
        <span className="jp-PipelineField-label">Version (free text, optional)</span>
        <input type="text" data-field="version" placeholder="e.g. 1.0" value={form.version} onChange={e => set({ version: e.target.value })} />
        <Issue error={error} fields={['version']} />
      </label>
      <fieldset className={bad('endpoint', 'endpoint-new', 'endpoint-existing')}>
        <legend>Pipeline endpoint</legend>
        <label className="jp-PipelineChoice">
          {mode('none', 'No endpoint')}
          No endpoint: the published pipeline’s own URL only
        </label>
        <label className="jp-PipelineChoice">
          {mode('existing', 'Existing endpoint', endpoints.length === 0)}
          Add a version to
          <select
            data-field="endpoint-existing"
            value={form.existing}
            disabled={endpoints.length === 0}
            onChange={e => set({ existing: e.target.value, mode: 'existing' })}
          >
            {endpoints.length === 0 && <option value="">(no endpoint yet)</option>}
            {endpoints.map(e => (
              <option key={e.id} value={e.name}>
                {e.name} ({e.versions.length} version{e.versions.length === 1 ? '' : 's'}, default v{e.default_version}
                {e.status === 'Disabled' ? ', Disabled' : ''})
              </option>
            ))}
          </select>
        </label>
        <label className="jp-PipelineChoice">
          {mode('new', 'New endpoint')}
          New endpoint
          <input
            type="text"
            data-field="endpoint-new"
            placeholder="endpoint name"
            value={form.newName}
            onFocus={() => form.mode !== 'new' && set({ mode: 'new' })}
            onChange={e => set({ newName: e.target.value, mode: 'new' })}
          />
        </label>
        <label className="jp-PipelineChoice">
          <input
            type="checkbox"
            data-field="default"
            checked={form.mode === 'new' || form.makeDefault}
            disabled={form.mode !== 'existing'}
            onChange={e => set({ makeDefault: e.target.checked })}
          />
          Make it the endpoint’s default version (what the endpoint’s URL runs)
        </label>
        {props.endpointsError && <div className="jp-Pipelines-hint">Cannot list the endpoints: {props.endpointsError}</div>}
        <Issue error={error} fields={['endpoint', 'endpoint-new', 'endpoint-existing']} />
      </fieldset>
    </div>
  );
}

/** The dialog's body: the form, whose latest values `getValue` reads. */
class PublishFormWidget extends ReactWidget implements Dialog.IBodyWidget<PublishForm> {
  private form: PublishForm;

  constructor(private readonly options: Omit<React.ComponentProps<typeof PublishFormView>, 'onChange'>) {
    super();
    this.form = options.initial;
  }

  getValue(): PublishForm {
    return this.form;
  }

  render(): JSX.Element {
    return <PublishFormView {...this.options} onChange={form => (this.form = form)} />;
  }
}

/** Ask what to publish (starting from `initial`, showing `error`); null when canceled. */
export async function askPublish(
  path: string,
  initial: PublishForm,
  endpoints: PipelineEndpoint[],
  endpointsError: string | null,
  error: PublishError | null
): Promise<PublishForm | null> {
  const focus = error?.field && ['name', 'description', 'version', 'endpoint-new'].includes(error.field) ? error.field : 'name';
  const result = await showDialog<PublishForm>({
    title: 'Publish pipeline',
    body: new PublishFormWidget({ initial, endpoints, endpointsError, error, path }),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Publish' })],
    focusNodeSelector: `[data-field="${focus}"]`
  });
  return result.button.accept ? result.value : null;
}

/** A value with a copy button that says "Copied" for a moment. */
function CopyValue(props: { value: string; testid: string }): JSX.Element {
  const [copied, setCopied] = React.useState(false);
  return (
    <>
      <dd>
        <code data-testid={props.testid}>{props.value}</code>
      </dd>
      <button
        className="jp-Pipelines-smallButton"
        data-testid="copy-value"
        data-copy={props.value}
        onClick={() => {
          Clipboard.copyToSystem(props.value);
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? 'Copied ✓' : 'Copy'}
      </button>
    </>
  );
}

/** What was published: ids and URLs, each with a copy button. */
function PublishedView(props: { answer: PublishAnswer }): JSX.Element {
  const { answer } = props;
  const endpoint = answer.endpoint_added;
  const version = endpoint?.versions.find(v => v.pipeline_id === answer.id);
  return (
    <div className="jp-PipelinePublished" data-testid="publish-result" data-pipeline-id={answer.id}>
      <dl>
        <dt>Published pipeline</dt>
        <CopyValue value={answer.id} testid="published-id" />
        <dt>Its URL</dt>
        <CopyValue value={answer.endpoint ?? ''} testid="published-url" />
        {endpoint && (
          <>
            <dt>Endpoint</dt>
            <dd data-testid="published-endpoint">
              {endpoint.name}, version {version?.version ?? '?'}
              {version?.default ? ' (default)' : ` (default stays v${endpoint.default_version})`}
            </dd>
            <span />
            <dt>Endpoint URL</dt>
            <CopyValue value={endpoint.endpoint ?? ''} testid="endpoint-url" />
          </>
        )}
      </dl>
      <p className="jp-Pipelines-hint">POST v1’s run request (ExperimentName, ParameterAssignments) to a URL to run it; the Pipelines sidebar lists it.</p>
    </div>
  );
}

/** Show what was published; true when the user asked to see it in the sidebar. */
export async function showPublished(answer: PublishAnswer): Promise<boolean> {
  const body = ReactWidget.create(<PublishedView answer={answer} />);
  const result = await showDialog({
    title: `Published ${answer.name}${answer.version ? ` ${answer.version}` : ''}`,
    body,
    buttons: [Dialog.cancelButton({ label: 'Show in sidebar' }), Dialog.okButton({ label: 'Close' })]
  });
  return !result.button.accept && result.button.label === 'Show in sidebar';
}
