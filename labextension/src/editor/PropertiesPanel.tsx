/** The properties of the selected step: its file, arguments, parameters, ports and resources. */
import * as React from 'react';

import type { Issue, StepDoc } from '../api/types';
import * as ops from '../model/document';
import type { EditorController } from './controller';
import { CheckField, KeyValueField, KVInput, LinesField, NumberField, TextField } from './fields';

/** What the "Run ..." buttons ask for. */
export type RunScope = { steps: string[] } | { from_steps: string[] } | { to_steps: string[] };

export interface StepPropertiesProps {
  controller: EditorController;
  name: string;
  step: StepDoc;
  issues: Issue[];
  onRun: (scope: RunScope) => void;
}

/** The form of one step. */
export function StepProperties(props: StepPropertiesProps): JSX.Element {
  const { controller: c, name, step, issues } = props;
  const mine = issues.filter(i => i.step === name);
  const set = (field: string) => (value: unknown) =>
    c.edit(d => ops.updateStep(d, name, { [field]: value === '' ? undefined : value }), `${name}.${field}`);
  const fileKey = ops.fileField(step);
  const resources = step.resources ?? {};
  const setResource = (key: 'cpu' | 'gpu' | 'memory') => (value: unknown) =>
    c.edit(d => {
      const r: Record<string, unknown> = { ...(d.steps[name].resources ?? {}), [key]: value === '' ? undefined : value };
      for (const k of Object.keys(r)) {
        if (r[k] === undefined) {
          delete r[k];
        }
      }
      return ops.updateStep(d, name, { resources: Object.keys(r).length ? r : undefined });
    }, `${name}.resources.${key}`);
  return (
    <div className="jp-PipelineProps-step" data-step={name}>
      <TextField
        field="name"
        label="Name"
        issues={mine}
        value={name}
        onBlurOnly
        onCommit={v => {
          if (c.edit(d => ops.renameStep(d, name, v.trim()))) {
            c.select(v.trim());
          }
        }}
      />
      <div className="jp-PipelineField">
        <span className="jp-PipelineField-label">Type</span>
        <span data-field="type">{step.type}</span>
      </div>
      <TextField
        field="file"
        label={fileKey === 'command' ? 'Command' : fileKey === 'notebook' ? 'Notebook' : 'Script'}
        issues={mine.map(i => (i.field === fileKey ? { ...i, field: 'file' } : i))}
        value={ops.stepFile(step)}
        onCommit={set(fileKey)}
      />
      <TextField field="source_directory" label="Source directory" issues={mine} value={step.source_directory ?? ''} onCommit={set('source_directory')} />
      {step.type !== 'notebook' && (
        <LinesField field="arguments" label="Arguments (one per line)" issues={mine} value={step.arguments} onCommit={set('arguments')} />
      )}
      {step.type === 'notebook' ? (
        <KeyValueField field="parameters" label="Notebook parameters" issues={mine} value={step.parameters} onCommit={set('parameters')} />
      ) : (
        <KeyValueField field="params" label="Parameters (params)" issues={mine} value={step.params} onCommit={set('params')} />
      )}
      <Ports controller={c} name={name} step={step} kind="input" />
      <Ports controller={c} name={name} step={step} kind="output" />
      <TextField field="compute_target" label="Compute target" issues={mine} value={step.compute_target ?? ''} onCommit={set('compute_target')} />
      <TextField
        field="environment"
        label="Environment (name)"
        issues={mine}
        value={String(step.environment?.name ?? '')}
        onCommit={v =>
          c.edit(
            d => ops.updateStep(d, name, { environment: v ? { ...(d.steps[name].environment ?? {}), name: v } : undefined }),
            `${name}.environment`
          )
        }
      />
      <CheckField field="allow_reuse" label="Allow reuse" issues={mine} value={step.allow_reuse !== false} onCommit={v => set('allow_reuse')(v ? undefined : false)} />
      <LinesField field="hash_paths" label="Hash paths (one per line)" issues={mine} value={step.hash_paths} onCommit={set('hash_paths')} />
      <NumberField field="cpu" label="CPUs" issues={mine} value={resources.cpu} onCommit={setResource('cpu')} />
      <TextField
        field="memory"
        label="Memory (e.g. 4GB)"
        issues={mine}
        value={resources.memory === undefined ? '' : String(resources.memory)}
        onCommit={v => setResource('memory')(/^\d+$/.test(v) ? Number(v) : v)}
      />
      <NumberField field="gpu" label="GPUs" issues={mine} value={resources.gpu} onCommit={setResource('gpu')} />
      <NumberField field="timeout" label="Timeout (seconds)" issues={mine} value={step.timeout} onCommit={set('timeout')} />
      <KeyValueField
        field="environment_variables"
        label="Environment variables"
        issues={mine}
        value={step.environment_variables}
        onCommit={v =>
          set('environment_variables')(v && Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])))
        }
      />
      <div className="jp-PipelineProps-actions">
        <button data-testid="run-step" onClick={() => props.onRun({ steps: [name] })}>Run this step</button>
        <button data-testid="run-from" onClick={() => props.onRun({ from_steps: [name] })}>Run from here</button>
        <button data-testid="run-to" onClick={() => props.onRun({ to_steps: [name] })}>Run up to here</button>
        <button data-testid="delete-step" className="jp-mod-danger" onClick={() => c.edit(d => ops.removeSteps(d, [name]))}>
          Delete step
        </button>
      </div>
    </div>
  );
}

/** The inputs or outputs of a step: rename, remove, add. */
function Ports(props: { controller: EditorController; name: string; step: StepDoc; kind: ops.PortKind }): JSX.Element {
  const { controller: c, name, step, kind } = props;
  const ports = (kind === 'input' ? step.inputs : step.outputs) ?? {};
  return (
    <div className="jp-PipelineField jp-PipelinePorts" data-field={`${kind}s`}>
      <span className="jp-PipelineField-label">{kind === 'input' ? 'Inputs' : 'Outputs'}</span>
      {Object.entries(ports).map(([port, spec]) => (
        <div className="jp-PipelinePorts-row" key={port} data-testid={`${kind}-row`} data-port={port}>
          <KVInput
            value={port}
            field={`${kind}-name`}
            onCommit={v => c.edit(d => ops.renamePort(d, name, kind, port, v.trim()))}
          />
          <span className="jp-PipelinePorts-source">
            {kind === 'input'
              ? 'step' in spec && spec.step
                ? `← ${spec.step}.${(spec as { output?: string }).output}`
                : (spec as Record<string, unknown>).dataset
                  ? `dataset ${(spec as Record<string, unknown>).dataset}`
                  : 'not connected'
              : String((spec as { kind?: string }).kind ?? '')}
          </span>
          <button title={`Remove ${kind}`} onClick={() => c.edit(d => ops.removePort(d, name, kind, port))}>
            ×
          </button>
        </div>
      ))}
      <button
        data-testid={`add-${kind}`}
        onClick={() => c.edit(d => ops.addPort(d, name, kind, kind === 'input' ? 'input' : 'output'))}
      >
        + {kind}
      </button>
    </div>
  );
}
