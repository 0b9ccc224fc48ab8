/** The pipeline's own properties (nothing selected): name, description and parameters. */
import * as React from 'react';

import type { Issue, ParameterDoc, PipelineDocument } from '../api/types';
import * as ops from '../model/document';
import type { EditorController } from './controller';
import { KVInput, TextField, parseScalar } from './fields';

const TYPES = ['string', 'int', 'float', 'bool', 'dataset', 'datapath'];

/** A default value typed for a parameter type. */
export function typedValue(type: string | undefined, text: string): unknown {
  if (type === 'int' || type === 'float') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? (type === 'int' ? Math.trunc(n) : n) : text;
  }
  if (type === 'bool') {
    return /^(true|1|yes)$/i.test(text.trim());
  }
  return type === 'string' || type === undefined ? text : parseScalar(text);
}

/** Text of a parameter value for an input. */
export function valueText(value: unknown): string {
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function PipelinePanel(props: { controller: EditorController; doc: PipelineDocument; issues: Issue[] }): JSX.Element {
  const { controller: c, doc } = props;
  const general = props.issues.filter(i => !i.step);
  return (
    <div className="jp-PipelineProps-pipeline">
      <TextField field="pipeline-name" label="Pipeline name" value={doc.name ?? ''} issues={general} onCommit={v => c.edit(d => ops.setPipelineField(d, 'name', v), 'pipeline.name')} />
      <TextField
        field="description"
        label="Description"
        multiline
        issues={general}
        value={doc.description ?? ''}
        onCommit={v => c.edit(d => ops.setPipelineField(d, 'description', v), 'pipeline.description')}
      />
      <div className="jp-PipelineParams" data-testid="pipeline-parameters">
        <div className="jp-PipelineField-label">Pipeline parameters</div>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Default</th>
              <th>Description</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {Object.entries(doc.parameters ?? {}).map(([name, p]) => (
              <ParameterRow key={name} controller={c} name={name} param={p} />
            ))}
          </tbody>
        </table>
        <button data-testid="add-parameter" onClick={() => c.edit(d => ops.addParameter(d).doc)}>
          + parameter
        </button>
      </div>
    </div>
  );
}

function ParameterRow(props: { controller: EditorController; name: string; param: ParameterDoc }): JSX.Element {
  const { controller: c, name, param } = props;
  return (
    <tr data-testid="parameter-row" data-param={name}>
      <td>
        <KVInput field="param-name" value={name} onCommit={v => c.edit(d => ops.renameParameter(d, name, v.trim()))} />
      </td>
      <td>
        <select
          data-field="param-type"
          value={param.type ?? 'string'}
          onChange={e =>
            c.edit(d =>
              ops.updateParameter(d, name, { type: e.target.value, default: typedValue(e.target.value, valueText(param.default)) })
            )
          }
        >
          {TYPES.map(t => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </td>
      <td>
        <KVInput
          field="param-default"
          value={valueText(param.default)}
          onCommit={v => c.edit(d => ops.updateParameter(d, name, { default: typedValue(param.type, v) }))}
        />
      </td>
      <td>
        <KVInput
          field="param-description"
          value={param.description ?? ''}
          onCommit={v => c.edit(d => ops.updateParameter(d, name, { description: v || undefined }))}
        />
      </td>
      <td>
        <button title="Remove parameter" data-testid="remove-parameter" onClick={() => c.edit(d => ops.removeParameter(d, name))}>
          ×
        </button>
      </td>
    </tr>
  );
}
