/**
 * The properties of the selected step: its type, file, arguments, parameters, ports and
 * resources, and the settings of its type (a ParallelRunStep's mini-batches, a
 * DataTransferStep's destination).
 */
import * as React from 'react';

import type { Issue, StepDoc, StepType } from '../api/types';
import * as ops from '../model/document';
import { fileField, inputSource, setInputDataset, setSideInput, setStepFile, setStepType, STEP_TYPES, stepFile, typeChoices } from '../model/kinds';
import { DataTransferFields, ParallelRunFields, useDatasetNames } from './BatchFields';
import type { EditorController } from './controller';
import { CheckField, FieldIssues, issuesOf, KeyValueField, KVInput, LinesField, NumberField, TextField } from './fields';

/** What the "Run ..." buttons ask for. */
export type RunScope = { steps: string[] } | { from_steps: string[] } | { to_steps: string[] };

export interface StepPropertiesProps {
  controller: EditorController;
  name: string;
  step: StepDoc;
  issues: Issue[];
  onRun: (scope: RunScope) => void;
}

const FILE_LABEL: Record<string, string> = {
  notebook: 'Notebook',
  script: 'Script',
  command: 'Command',
  'parallel_run_config.entry_script': 'Entry script (init() and run(mini_batch))'
};

/** The step's type: a drop-down where it can change in place (a script <-> a ParallelRunStep). */
function TypeField(props: { controller: EditorController; name: string; step: StepDoc }): JSX.Element {
  const { controller: c, name, step } = props;
  const choices = typeChoices(step);
  return (
    <div className="jp-PipelineField">
      <span className="jp-PipelineField-label">Type</span>
      {choices.length ? (
        <select
          data-field="type"
          value={step.type}
          title="A script runs once (PythonScriptStep) or over its inputs in mini-batches (ParallelRunStep)"
          onChange={e => c.edit(d => setStepType(d, name, e.target.value as StepType))}
        >
          {choices.map(t => (
            <option key={t} value={t}>
              {t} ({STEP_TYPES[t].title.split(' ')[0]})
            </option>
          ))}
        </select>
      ) : (
        <span data-field="type" title={STEP_TYPES[step.type]?.title}>
          {step.type}
        </span>
      )}
    </div>
  );
}

/** The form of one step. */
export function StepProperties(props: StepPropertiesProps): JSX.Element {
  const { controller: c, name, step, issues } = props;
  const mine = issues.filter(i => i.step === name);
  const set = (field: string) => (value: unknown) =>
    c.edit(d => ops.updateStep(d, name, { [field]: value === '' ? undefined : value }), `${name}.${field}`);
  const fileKey = fileField(step);
  const batch = step.type === 'parallel_run';
  const transfer = step.type === 'data_transfer';
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
  const fileIssues = mine.map(i => (i.field === fileKey || (fileKey === 'script' && i.field === 'script_name') ? { ...i, field: 'file' } : i));
  return (
    <div className="jp-PipelineProps-step" data-step={name} data-type={step.type}>
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
      <TypeField controller={c} name={name} step={step} />
      {fileKey !== null && (
        <TextField
          field="file"
          label={FILE_LABEL[fileKey]}
          issues={fileIssues}
          value={stepFile(step)}
          onCommit={v => c.edit(d => setStepFile(d, name, v), `${name}.file`)}
        />
      )}
      {!transfer && (
        <TextField field="source_directory" label="Source directory" issues={mine} value={step.source_directory ?? ''} onCommit={set('source_directory')} />
      )}
      {step.type !== 'notebook' && !transfer && (
        <LinesField field="arguments" label="Arguments (one per line)" issues={mine} value={step.arguments} onCommit={set('arguments')} />
      )}
      {step.type === 'notebook' ? (
        <KeyValueField field="parameters" label="Notebook parameters" issues={mine} value={step.parameters} onCommit={set('parameters')} />
      ) : (
        !batch && !transfer && <KeyValueField field="params" label="Parameters (params)" issues={mine} value={step.params} onCommit={set('params')} />
      )}
      <Ports controller={c} name={name} step={step} kind="input" issues={mine} />
      <Ports controller={c} name={name} step={step} kind="output" issues={mine} />
      {batch && <ParallelRunFields controller={c} name={name} step={step} issues={mine} />}
      {transfer && <DataTransferFields controller={c} name={name} step={step} issues={mine} />}
      <TextField field="compute_target" label="Compute target" issues={mine} value={step.compute_target ?? ''} onCommit={set('compute_target')} />
      {!transfer && (
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
      )}
      <CheckField field="allow_reuse" label="Allow reuse" issues={mine} value={step.allow_reuse !== false} onCommit={v => set('allow_reuse')(v ? undefined : false)} />
      {!transfer && (
        <>
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
        </>
      )}
      <NumberField field="timeout" label="Timeout (seconds)" issues={mine} value={step.timeout} onCommit={set('timeout')} />
      {!transfer && (
        <KeyValueField
          field="environment_variables"
          label="Environment variables"
          issues={mine}
          value={step.environment_variables}
          onCommit={v =>
            set('environment_variables')(v && Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])))
          }
        />
      )}
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

/** How many ports of a kind a step type takes (a ParallelRunStep one output, a copy one input). */
function maxPorts(step: StepDoc, kind: ops.PortKind): number {
  if (kind === 'output' && step.type === 'parallel_run') {
    return 1;
  }
  return kind === 'input' && step.type === 'data_transfer' ? 1 : Infinity;
}

/**
 * The inputs or outputs of a step: rename, remove, add; an unconnected input takes a
 * registered dataset; a ParallelRunStep's input can be a side input (read whole by every
 * worker). The issues of the ports (`inputs.X`, `outputs`, `side_inputs`) show under them.
 */
function Ports(props: { controller: EditorController; name: string; step: StepDoc; kind: ops.PortKind; issues: Issue[] }): JSX.Element {
  const { controller: c, name, step, kind } = props;
  const ports = (kind === 'input' ? step.inputs : step.outputs) ?? {};
  const batch = step.type === 'parallel_run' && kind === 'input';
  const sides = new Set(step.side_inputs ?? []);
  const open = kind === 'input' && Object.values(ports).some(p => !('step' in p && p.step));
  const datasets = useDatasetNames(open);
  const listId = `jp-pipelines-datasets-${name}`;
  const mine = [...issuesOf(props.issues, `${kind}s`), ...(batch ? issuesOf(props.issues, 'side_inputs') : [])];
  const full = Object.keys(ports).length >= maxPorts(step, kind);
  return (
    <div className={`jp-PipelineField jp-PipelinePorts${mine.length ? ' jp-mod-issue' : ''}`} data-field={`${kind}s`}>
      <span className="jp-PipelineField-label">
        {kind === 'input' ? (batch ? 'Inputs (cut into mini-batches unless "side")' : 'Inputs') : step.type === 'parallel_run' ? 'Output (the rows go here)' : 'Outputs'}
      </span>
      {Object.entries(ports).map(([port, spec]) => {
        const linked = kind === 'input' && 'step' in spec && !!spec.step;
        return (
          <div className="jp-PipelinePorts-row" key={port} data-testid={`${kind}-row`} data-port={port}>
            <KVInput value={port} field={`${kind}-name`} onCommit={v => c.edit(d => ops.renamePort(d, name, kind, port, v.trim()))} />
            {kind === 'input' && !linked && !spec.datastore && !spec.parameter && !spec.definition ? (
              <KVInput
                value={String(spec.dataset ?? '')}
                field="input-dataset"
                placeholder="dataset name"
                list={listId}
                title="A registered dataset (its latest version), or connect another step's output"
                onCommit={v => c.edit(d => setInputDataset(d, name, port, v))}
              />
            ) : (
              <span className="jp-PipelinePorts-source">
                {kind === 'input' ? inputSource(spec) : String((spec as { kind?: string }).kind ?? 'pipeline_data')}
              </span>
            )}
            {batch && (
              <label className="jp-PipelinePorts-side" title="Side input: every worker reads it whole (not cut into mini-batches)">
                <input
                  type="checkbox"
                  data-field="side-input"
                  checked={sides.has(port)}
                  onChange={e => c.edit(d => setSideInput(d, name, port, e.target.checked))}
                />
                side
              </label>
            )}
            <button title={`Remove ${kind}`} onClick={() => c.edit(d => ops.removePort(d, name, kind, port))}>
              ×
            </button>
          </div>
        );
      })}
      {open && (
        <datalist id={listId}>
          {datasets.map(d => (
            <option key={d} value={d} />
          ))}
        </datalist>
      )}
      {!full && (
        <button
          data-testid={`add-${kind}`}
          onClick={() => c.edit(d => ops.addPort(d, name, kind, kind === 'input' ? 'input' : step.type === 'parallel_run' ? 'scores' : 'output'))}
        >
          + {kind}
        </button>
      )}
      <FieldIssues issues={mine} />
    </div>
  );
}
