/**
 * What each step type runs and the edits that depend on a step's type: the file field, the
 * switch between a script step and a ParallelRunStep, a ParallelRunStep's configuration and
 * side inputs, a DataTransferStep's destination, an input's dataset. Pure, like document.ts.
 */
import type {
  InputDoc,
  Issue,
  ParallelRunConfigDoc,
  PipelineDocument,
  StepDoc,
  StepType
} from '../api/types';
import { removePort, updateStep } from './document';

/** How the canvas and the properties panel name a step type: a short badge and v1's class. */
export const STEP_TYPES: Record<StepType, { badge: string; title: string }> = {
  python_script: { badge: 'PY', title: 'PythonScriptStep' },
  notebook: { badge: 'NB', title: 'NotebookStep' },
  command: { badge: '>_', title: 'CommandStep' },
  parallel_run: { badge: 'BATCH', title: 'ParallelRunStep (batch: mini-batches over many processes)' },
  data_transfer: { badge: 'COPY', title: 'DataTransferStep (copies data between datastores)' }
};

/** The output a ParallelRunStep gets when it has none (its rows are appended there). */
export const DEFAULT_PARALLEL_OUTPUT = 'scores';

function stepOf(doc: PipelineDocument, name: string): StepDoc {
  const step = doc.steps[name];
  if (!step) {
    throw new Error(`no step named '${name}'`);
  }
  return step;
}

/**
 * What a step runs, as text: its script, notebook, command or entry script; for a data
 * transfer, where it copies to ("→ datastore/path").
 */
export function stepFile(step: StepDoc): string {
  switch (step.type) {
    case 'notebook':
      return step.notebook ?? '';
    case 'python_script':
      return step.script ?? '';
    case 'parallel_run':
      return step.parallel_run_config?.entry_script ?? '';
    case 'data_transfer': {
      const d = step.destination;
      const where = !d
        ? 'its output'
        : 'parameter' in d
          ? `\${{parameters.${d.parameter}}}`
          : [d.datastore, d.path].filter(Boolean).join('/');
      return `→ ${where}`;
    }
    default:
      return Array.isArray(step.command) ? step.command.join(' ') : String(step.command ?? '');
  }
}

/** The field holding a step's file, as validation issues name it (null: a data transfer). */
export type FileField = 'notebook' | 'script' | 'command' | 'parallel_run_config.entry_script';

/** The field that holds a step's file for its type. */
export function fileField(step: StepDoc): FileField | null {
  switch (step.type) {
    case 'notebook':
      return 'notebook';
    case 'python_script':
      return 'script';
    case 'parallel_run':
      return 'parallel_run_config.entry_script';
    case 'data_transfer':
      return null;
    default:
      return 'command';
  }
}

/** Set the file a step runs (in the field `fileField` names). */
export function setStepFile(doc: PipelineDocument, name: string, file: string): PipelineDocument {
  const step = stepOf(doc, name);
  const field = fileField(step);
  if (field === null) {
    return doc;
  }
  if (field === 'parallel_run_config.entry_script') {
    return setParallelConfig(doc, name, 'entry_script', file);
  }
  return updateStep(doc, name, { [field]: file === '' ? undefined : file });
}

/** The types a step can be switched to in place (a script runs as either kind). */
export function typeChoices(step: StepDoc): StepType[] {
  return step.type === 'python_script' || step.type === 'parallel_run' ? ['python_script', 'parallel_run'] : [];
}

/**
 * Switch a step between a Python script and a ParallelRunStep of the same script.
 *
 * To parallel_run: the script becomes the entry script (`output_action: append_row`,
 * `error_threshold: -1`, v1's required values); `params` become the environment variables
 * they stand for (`AML_PARAMETER_<name>`); the step keeps its first output (the others go,
 * with the inputs reading them) or gets `scores`. Back to python_script: the entry script
 * becomes the script and the batch settings go.
 */
export function setStepType(doc: PipelineDocument, name: string, type: StepType): PipelineDocument {
  const step = stepOf(doc, name);
  if (step.type === type) {
    return doc;
  }
  if (!typeChoices(step).includes(type)) {
    throw new Error(`a ${step.type} step cannot become a ${type} step`);
  }
  if (type === 'python_script') {
    const { parallel_run_config: config, side_inputs: _sides, ...rest } = step;
    const script = config?.entry_script;
    return { ...doc, steps: { ...doc.steps, [name]: { ...rest, type, ...(script ? { script } : {}) } } };
  }
  const { script, params, ...rest } = step;
  const next: StepDoc = {
    ...rest,
    type,
    parallel_run_config: { entry_script: script ?? '', output_action: 'append_row', error_threshold: -1 }
  };
  if (params && Object.keys(params).length) {
    const vars = Object.fromEntries(Object.entries(params).map(([k, v]) => [`AML_PARAMETER_${k}`, String(v)]));
    next.environment_variables = { ...vars, ...(step.environment_variables ?? {}) };
  }
  let result: PipelineDocument = { ...doc, steps: { ...doc.steps, [name]: next } };
  const outputs = Object.keys(step.outputs ?? {});
  for (const extra of outputs.slice(1)) {
    result = removePort(result, name, 'output', extra);
  }
  if (!outputs.length) {
    result = updateStep(result, name, { outputs: { [DEFAULT_PARALLEL_OUTPUT]: {} } });
  }
  return result;
}

/** The keys of `parallel_run_config` the properties panel edits. */
export type ParallelKey = keyof ParallelRunConfigDoc & string;

/**
 * Set one key of a ParallelRunStep's `parallel_run_config`; undefined or '' removes it (the
 * runner's default applies), except `entry_script`, which stays (empty, for validation to
 * report under its field).
 */
export function setParallelConfig(doc: PipelineDocument, name: string, key: ParallelKey, value: unknown): PipelineDocument {
  const step = stepOf(doc, name);
  const config: ParallelRunConfigDoc = { entry_script: '', ...(step.parallel_run_config ?? {}) };
  if (key !== 'entry_script' && (value === undefined || value === '')) {
    delete config[key];
  } else {
    config[key] = value ?? '';
  }
  return updateStep(doc, name, { parallel_run_config: config });
}

/**
 * A count typed in a field: digits become a number, anything else stays text for validation
 * to judge (`${{parameters.NAME}}`, or a size such as "1MB" for `mini_batch_size`); empty: unset.
 */
export function parseCount(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') {
    return undefined;
  }
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/** Mark input `input` of a ParallelRunStep as read whole by every worker (`on`) or cut into
 * mini-batches; `side_inputs` keeps the inputs' order and goes when empty. */
export function setSideInput(doc: PipelineDocument, name: string, input: string, on: boolean): PipelineDocument {
  const step = stepOf(doc, name);
  const sides = new Set(step.side_inputs ?? []);
  if (on) {
    sides.add(input);
  } else {
    sides.delete(input);
  }
  const order = Object.keys(step.inputs ?? {});
  const listed = [...order.filter(n => sides.has(n)), ...[...sides].filter(n => !order.includes(n))];
  return updateStep(doc, name, { side_inputs: listed.length ? listed : undefined });
}

/** Set a DataTransferStep's destination datastore and path (no datastore: into its output). */
export function setDestination(
  doc: PipelineDocument,
  name: string,
  patch: { datastore?: string; path?: string }
): PipelineDocument {
  const current = stepOf(doc, name).destination;
  const was = current && 'datastore' in current ? current : { datastore: '', path: '' };
  const datastore = (patch.datastore ?? was.datastore ?? '').trim();
  const path = (patch.path ?? was.path ?? '').trim();
  if (!datastore && !path) {
    return updateStep(doc, name, { destination: undefined });
  }
  return updateStep(doc, name, { destination: path ? { datastore, path } : { datastore } });
}

/**
 * Make input `input` read registered dataset `dataset` (its latest version unless one is
 * set); '' leaves the input unconnected. An input fed by a step is not changed here: remove
 * its connection first.
 */
export function setInputDataset(doc: PipelineDocument, name: string, input: string, dataset: string): PipelineDocument {
  const step = stepOf(doc, name);
  const inputs = step.inputs ?? {};
  if (!(input in inputs)) {
    throw new Error(`step '${name}' has no input '${input}'`);
  }
  const old = inputs[input];
  if (old.step) {
    throw new Error(`input '${input}' reads step '${old.step}': disconnect it first`);
  }
  const ds = dataset.trim();
  const next: InputDoc = {};
  if (ds) {
    next.dataset = ds;
    for (const key of ['version', 'mode', 'path_on_compute']) {
      if (old.dataset !== undefined && old[key] !== undefined) {
        (next as Record<string, unknown>)[key] = old[key];
      }
    }
  }
  return updateStep(doc, name, { inputs: { ...inputs, [input]: next } });
}

/** What an input reads, in words: "← step.output", "dataset name", "datastore/path", ... */
export function inputSource(spec: InputDoc): string {
  if (spec.step) {
    return `← ${spec.step}.${spec.output ?? ''}`;
  }
  if (spec.dataset) {
    return `dataset ${spec.dataset}${spec.version !== undefined && spec.version !== 'latest' ? `:${spec.version}` : ''}`;
  }
  if (spec.datastore) {
    return `datastore ${[spec.datastore, spec.path].filter(Boolean).join('/')}`;
  }
  if (spec.parameter) {
    return `parameter ${spec.parameter}`;
  }
  if (spec.definition) {
    return 'dataset (unregistered)';
  }
  return 'not connected';
}

/**
 * The field an issue is about. Schema errors of a missing key come without one ("'inputs'
 * is a required property"): the key they name is the field, so they show under it.
 */
export function issueField(issue: Issue): string | null {
  if (issue.field) {
    return issue.field;
  }
  const missing = /^'([A-Za-z_][A-Za-z0-9_]*)' is a required property$/.exec(issue.message);
  return missing && issue.step ? missing[1] : null;
}
