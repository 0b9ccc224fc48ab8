/**
 * The properties of batch steps: a ParallelRunStep's `parallel_run_config` (mini-batches,
 * processes, nodes, output, failures) and a DataTransferStep's destination and reference types.
 * Each field shows the validation issues of its `parallel_run_config.X` (or own) key.
 */
import * as React from 'react';

import { requestAPI } from '../api/request';
import type { Issue, StepDoc } from '../api/types';
import { parseCount, setDestination, setParallelConfig, type ParallelKey } from '../model/kinds';
import * as ops from '../model/document';
import type { EditorController } from './controller';
import { LinesField, SelectField, TextField } from './fields';

interface BatchProps {
  controller: EditorController;
  name: string;
  step: StepDoc;
  issues: Issue[];
}

/** A value of the configuration as the text of its field. */
function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** The `parallel_run_config` fields of a ParallelRunStep (the entry script is the step's file). */
export function ParallelRunFields(props: BatchProps): JSX.Element {
  const { controller: c, name, step, issues } = props;
  const config = step.parallel_run_config ?? { entry_script: '' };
  const set = (key: ParallelKey) => (value: unknown) =>
    c.edit(d => setParallelConfig(d, name, key, value), `${name}.parallel_run_config.${key}`);
  const count = (key: ParallelKey, label: string, placeholder: string, title?: string) => (
    <TextField
      field={key}
      issueField={`parallel_run_config.${key}`}
      label={label}
      title={title}
      placeholder={placeholder}
      issues={issues}
      value={text(config[key])}
      onCommit={v => set(key)(parseCount(v))}
    />
  );
  const appendRow = (config.output_action ?? 'append_row') === 'append_row';
  return (
    <fieldset className="jp-PipelineProps-group" data-testid="parallel-run-config">
      <legend>Mini-batches (ParallelRunStep)</legend>
      {count(
        'mini_batch_size',
        'Mini-batch size (files, or e.g. 1MB of a table)',
        '10 files / 1MB',
        'Files per mini-batch for file inputs; bytes of table per mini-batch (1MB, 512KB) for tabular inputs; or ${{parameters.NAME}}'
      )}
      <LinesField
        field="partition_keys"
        issueField="parallel_run_config.partition_keys"
        label="Partition keys (instead of a size; one per line)"
        issues={issues}
        value={typeof config.partition_keys === 'string' ? [config.partition_keys] : config.partition_keys}
        // one line that is a parameter stays a parameter (a list of keys otherwise)
        onCommit={v => set('partition_keys')(v?.length === 1 && /^\$\{\{/.test(String(v[0])) ? String(v[0]).trim() : v)}
      />
      {count('process_count_per_node', 'Processes per node', 'one per CPU', 'Worker processes on each node (never more than the target has slots)')}
      {count('node_count', 'Nodes', '1', 'Nodes of the compute target (on this machine: processes here too)')}
      <SelectField
        field="output_action"
        issueField="parallel_run_config.output_action"
        label="Output action"
        issues={issues}
        value={config.output_action ?? ''}
        empty="(append_row)"
        choices={['append_row', 'summary_only']}
        onCommit={set('output_action')}
      />
      {appendRow && (
        <TextField
          field="append_row_file_name"
          issueField="parallel_run_config.append_row_file_name"
          label="Rows appended to (file in the output)"
          placeholder="parallel_run_step.txt"
          issues={issues}
          value={text(config.append_row_file_name)}
          onCommit={set('append_row_file_name')}
        />
      )}
      {count('error_threshold', 'Error threshold (failed items; -1: no limit)', '-1')}
      {count('allowed_failed_count', 'Allowed failed mini-batches (-1: no limit)', 'no limit')}
      <TextField
        field="allowed_failed_percent"
        issueField="parallel_run_config.allowed_failed_percent"
        label="Allowed failed mini-batches (%)"
        placeholder="100"
        issues={issues}
        value={text(config.allowed_failed_percent)}
        onCommit={v => set('allowed_failed_percent')(v.trim() === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : v)}
      />
      {count('run_max_try', 'Attempts per mini-batch (run_max_try)', '3')}
      {count('run_invocation_timeout', 'Timeout of one run() call (seconds)', '60')}
      <SelectField
        field="logging_level"
        issueField="parallel_run_config.logging_level"
        label="Logging level"
        issues={issues}
        value={text(config.logging_level)}
        empty="(INFO)"
        choices={['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']}
        onCommit={set('logging_level')}
      />
    </fieldset>
  );
}

/** A DataTransferStep's destination (datastore and path) and reference types. */
export function DataTransferFields(props: BatchProps): JSX.Element {
  const { controller: c, name, step, issues } = props;
  const dest = step.destination;
  const parameter = dest && 'parameter' in dest ? dest.parameter : null;
  const where = dest && 'datastore' in dest ? dest : { datastore: '', path: '' };
  const set = (field: 'source_reference_type' | 'destination_reference_type') => (value: string) =>
    c.edit(d => ops.updateStep(d, name, { [field]: value || undefined }), `${name}.${field}`);
  return (
    <fieldset className="jp-PipelineProps-group" data-testid="data-transfer-config">
      <legend>Copy (DataTransferStep)</legend>
      {parameter !== null ? (
        <TextField
          field="destination"
          label="Destination (a DataPath parameter)"
          issues={issues}
          value={parameter}
          onBlurOnly
          onCommit={v => c.edit(d => ops.updateStep(d, name, { destination: v.trim() ? { parameter: v.trim() } : undefined }))}
        />
      ) : (
        <>
          <TextField
            field="destination-datastore"
            issueField="destination"
            label="Destination datastore (empty: the step's output)"
            issues={issues}
            value={where.datastore ?? ''}
            onCommit={v => c.edit(d => setDestination(d, name, { datastore: v }), `${name}.destination`)}
          />
          <TextField
            field="destination-path"
            issueField="destination.path"
            label="Destination path"
            issues={issues}
            value={where.path ?? ''}
            onCommit={v => c.edit(d => setDestination(d, name, { path: v }), `${name}.destination`)}
          />
        </>
      )}
      <SelectField
        field="source_reference_type"
        label="Source is a"
        issues={issues}
        value={step.source_reference_type ?? ''}
        empty="(what it is)"
        choices={['file', 'directory']}
        onCommit={set('source_reference_type')}
      />
      <SelectField
        field="destination_reference_type"
        label="Destination is a"
        issues={issues}
        value={step.destination_reference_type ?? ''}
        empty="(what is there, else the source's type)"
        choices={['file', 'directory']}
        onCommit={set('destination_reference_type')}
      />
    </fieldset>
  );
}

/** The registered datasets' names (GET datasets), for the inputs' dataset field. */
export function useDatasetNames(enabled: boolean): string[] {
  const [names, setNames] = React.useState<string[]>([]);
  React.useEffect(() => {
    if (!enabled) {
      return;
    }
    let disposed = false;
    requestAPI<{ datasets: { name: string }[] }>('datasets')
      .then(answer => {
        if (!disposed) {
          setNames([...new Set(answer.datasets.map(d => d.name))].sort());
        }
      })
      .catch(() => undefined); // no list: the name is typed
    return () => {
      disposed = true;
    };
  }, [enabled]);
  return names;
}
