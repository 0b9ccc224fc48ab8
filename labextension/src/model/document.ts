/**
 * Edit operations on a pipeline document (the JSON form of a `*.pipeline.yaml` file).
 *
 * Every operation is pure: it takes a document and returns a new one (the input is never
 * mutated), which is what undo/redo and React's change detection rely on.
 */
import type { InputDoc, ParameterDoc, PipelineDocument, StepDoc } from '../api/types';
import { fileStem, isIdentifier, relativePath, stepForFile, toIdentifier } from './paths';

/** A position on the canvas. */
export interface XY {
  x: number;
  y: number;
}

/** Which side of a step a port is on. */
export type PortKind = 'input' | 'output';

/** A new, empty pipeline document (what an empty file opens as). */
export function emptyDocument(): PipelineDocument {
  return { version: 1, steps: {} };
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** `base` itself when free, else `base_2`, `base_3`, ... (the first not in `taken`). */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const used = taken instanceof Set ? (taken as Set<string>) : new Set(taken);
  if (!used.has(base)) {
    return base;
  }
  let i = 2;
  while (used.has(`${base}_${i}`)) {
    i++;
  }
  return `${base}_${i}`;
}

export { dirname, fileStem, isIdentifier, relativePath, stepForFile, toIdentifier } from './paths';

function withLayout(doc: PipelineDocument, nodes: Record<string, XY>): PipelineDocument {
  return { ...doc, layout: { ...(doc.layout ?? {}), nodes } };
}

/** The stored positions of the document (empty when it has no layout). */
export function positions(doc: PipelineDocument): Record<string, XY> {
  return doc.layout?.nodes ?? {};
}

/** The document with the given step positions merged into `layout.nodes` (rounded). */
export function setPositions(doc: PipelineDocument, moved: Record<string, XY>): PipelineDocument {
  const nodes = { ...positions(doc) };
  for (const [name, p] of Object.entries(moved)) {
    if (name in doc.steps) {
      nodes[name] = { x: Math.round(p.x), y: Math.round(p.y) };
    }
  }
  return withLayout(doc, nodes);
}

/**
 * Add a step running file `path` (relative to the server root) to a pipeline stored in
 * folder `pipelineDir`; the step's name is the file's stem made unique and a valid identifier.
 */
export function addStepFromFile(
  doc: PipelineDocument,
  path: string,
  pipelineDir: string,
  at: XY = { x: 0, y: 0 }
): { doc: PipelineDocument; name: string } {
  const name = uniqueName(toIdentifier(fileStem(path)), Object.keys(doc.steps));
  return addStep(doc, name, stepForFile(relativePath(path, pipelineDir)), at);
}

/** Add step `name` (which must be free) at a position. */
export function addStep(
  doc: PipelineDocument,
  name: string,
  step: StepDoc,
  at: XY = { x: 0, y: 0 }
): { doc: PipelineDocument; name: string } {
  if (name in doc.steps) {
    throw new Error(`a step named '${name}' exists`);
  }
  const next = { ...doc, steps: { ...doc.steps, [name]: step } };
  return { doc: setPositions(next, { [name]: at }), name };
}

/** Replace one step's document (fields set to undefined are dropped). */
export function updateStep(doc: PipelineDocument, name: string, patch: Partial<StepDoc>): PipelineDocument {
  const step: StepDoc = { ...getStep(doc, name), ...patch };
  for (const key of Object.keys(step)) {
    if (step[key] === undefined) {
      delete step[key];
    }
  }
  return { ...doc, steps: { ...doc.steps, [name]: step } };
}

function getStep(doc: PipelineDocument, name: string): StepDoc {
  const step = doc.steps[name];
  if (!step) {
    throw new Error(`no step named '${name}'`);
  }
  return step;
}

/** Set (or, with undefined/empty, remove) a top-level field such as name or description. */
export function setPipelineField(
  doc: PipelineDocument,
  field: 'name' | 'description',
  value: string | undefined
): PipelineDocument {
  const next = { ...doc };
  if (value === undefined || value === '') {
    delete next[field];
  } else {
    next[field] = value;
  }
  return next;
}

/** Replace every `${{KIND.old}}` by `${{KIND.new}}` in a JSON value (strings, lists, maps). */
export function replaceReference<T>(value: T, kind: string, oldName: string, newName: string): T {
  const pattern = new RegExp(`\\$\\{\\{\\s*${escapeRe(kind)}\\.${escapeRe(oldName)}\\s*\\}\\}`, 'g');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(pattern, `\${{${kind}.${newName}}}`);
    }
    if (Array.isArray(v)) {
      return v.map(walk);
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The fields of a step where `${{...}}` references may appear (nested values included). */
const REFERENCE_FIELDS = [
  'arguments',
  'command',
  'params',
  'parameters',
  'environment_variables',
  'parallel_run_config'
] as const;

function replaceInStep(step: StepDoc, kind: string, oldName: string, newName: string): StepDoc {
  const next = { ...step };
  for (const field of REFERENCE_FIELDS) {
    if (next[field] !== undefined) {
      (next as Record<string, unknown>)[field] = replaceReference(next[field], kind, oldName, newName);
    }
  }
  return next;
}

/** Rename a key of an object keeping its order. */
function renameKey<V>(obj: Record<string, V>, oldKey: string, newKey: string): Record<string, V> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k === oldKey ? newKey : k, v]));
}

/**
 * Connect output `output` of step `source` to step `target`: the target gets an input named
 * like the output (made unique) reading `{step: source, output}`. The output is created on the
 * source when missing. Returns the document unchanged when that connection exists already.
 */
export function connect(
  doc: PipelineDocument,
  source: string,
  output: string,
  target: string,
  inputName?: string
): { doc: PipelineDocument; input: string | null } {
  if (source === target) {
    return { doc, input: null };
  }
  const src = getStep(doc, source);
  const dst = getStep(doc, target);
  const inputs = dst.inputs ?? {};
  for (const [name, input] of Object.entries(inputs)) {
    if (input.step === source && input.output === output) {
      return { doc, input: name };
    }
  }
  let next = doc;
  if (!src.outputs || !(output in src.outputs)) {
    next = addPort(next, source, 'output', output);
  }
  // Dropping onto an existing input (re)wires it; otherwise a new input named like the output.
  const name =
    inputName !== undefined && inputName in inputs ? inputName : uniqueName(inputName ?? output, Object.keys(inputs));
  next = updateStep(next, target, { inputs: { ...inputs, [name]: { step: source, output } } });
  return { doc: next, input: name };
}

/** Remove `before` from the `run_after` of `step`. */
export function removeRunAfter(doc: PipelineDocument, step: string, before: string): PipelineDocument {
  const after = (getStep(doc, step).run_after ?? []).filter(s => s !== before);
  return updateStep(doc, step, { run_after: after.length ? after : undefined });
}

/** Remove the connection feeding input `input` of `target` (the input is deleted). */
export function disconnect(doc: PipelineDocument, target: string, input: string): PipelineDocument {
  return removePort(doc, target, 'input', input);
}

/**
 * Add a port: an output `{kind: output_file_dataset}` (a ParallelRunStep's: `{}`) or an input
 * (unconnected: `{}` until a connection is made). The name is made unique on the step.
 */
export function addPort(doc: PipelineDocument, step: string, kind: PortKind, name: string): PipelineDocument {
  const s = getStep(doc, step);
  if (kind === 'output') {
    const outputs = s.outputs ?? {};
    const unique = uniqueName(name, Object.keys(outputs));
    // A ParallelRunStep's output is a PipelineData (`{}`), as in v1's batch-scoring examples.
    const spec = s.type === 'parallel_run' ? {} : { kind: 'output_file_dataset' };
    return updateStep(doc, step, { outputs: { ...outputs, [unique]: spec } });
  }
  const inputs = s.inputs ?? {};
  const unique = uniqueName(name, Object.keys(inputs));
  return updateStep(doc, step, { inputs: { ...inputs, [unique]: {} } });
}

/**
 * Rename a port. Renaming an output updates the downstream inputs reading it (`output:`) and
 * `${{outputs.X}}` in the step; renaming an input updates `${{inputs.X}}` in the step.
 */
export function renamePort(
  doc: PipelineDocument,
  step: string,
  kind: PortKind,
  oldName: string,
  newName: string
): PipelineDocument {
  if (oldName === newName) {
    return doc;
  }
  const s = getStep(doc, step);
  const ports = (kind === 'output' ? s.outputs : s.inputs) ?? {};
  if (!(oldName in ports)) {
    throw new Error(`step '${step}' has no ${kind} '${oldName}'`);
  }
  if (newName in ports) {
    throw new Error(`step '${step}' has an ${kind} '${newName}' already`);
  }
  if (!isIdentifier(newName)) {
    throw new Error(`'${newName}' is not a valid name`);
  }
  const refKind = kind === 'output' ? 'outputs' : 'inputs';
  const renamed = replaceInStep(s, refKind, oldName, newName);
  if (kind === 'input' && renamed.side_inputs?.includes(oldName)) {
    renamed.side_inputs = renamed.side_inputs.map(n => (n === oldName ? newName : n));
  }
  const steps: Record<string, StepDoc> = { ...doc.steps };
  steps[step] = { ...renamed, [refKind]: renameKey(ports, oldName, newName) };
  if (kind === 'output') {
    for (const [name, other] of Object.entries(steps)) {
      const inputs = other.inputs;
      if (!inputs || !Object.values(inputs).some(i => i.step === step && i.output === oldName)) {
        continue;
      }
      const fixed: Record<string, InputDoc> = {};
      for (const [k, i] of Object.entries(inputs)) {
        fixed[k] = i.step === step && i.output === oldName ? { ...i, output: newName } : i;
      }
      steps[name] = { ...other, inputs: fixed };
    }
  }
  return { ...doc, steps };
}

/** Remove a port; removing an output also removes the downstream inputs that read it. */
export function removePort(doc: PipelineDocument, step: string, kind: PortKind, name: string): PipelineDocument {
  const s = getStep(doc, step);
  const key = kind === 'output' ? 'outputs' : 'inputs';
  const ports = { ...((s[key] as Record<string, unknown>) ?? {}) };
  delete ports[name];
  const patch: Partial<StepDoc> = { [key]: Object.keys(ports).length ? ports : undefined };
  if (kind === 'input' && s.side_inputs) {
    patch.side_inputs = withoutSideInputs(s.side_inputs, [name]);
  }
  let next = updateStep(doc, step, patch);
  if (kind === 'output') {
    next = dropInputs(next, i => i.step === step && i.output === name);
  }
  return next;
}

/** `side_inputs` without `names` (undefined when none is left). */
function withoutSideInputs(sides: string[], names: string[]): string[] | undefined {
  const kept = sides.filter(n => !names.includes(n));
  return kept.length ? kept : undefined;
}

/** Remove, in every step, the inputs matching `drop`. */
function dropInputs(doc: PipelineDocument, drop: (input: InputDoc) => boolean): PipelineDocument {
  let steps: Record<string, StepDoc> | null = null;
  for (const [name, step] of Object.entries(doc.steps)) {
    if (!step.inputs || !Object.values(step.inputs).some(drop)) {
      continue;
    }
    const kept = Object.fromEntries(Object.entries(step.inputs).filter(([, i]) => !drop(i)));
    const next: StepDoc = { ...step, inputs: kept };
    if (!Object.keys(kept).length) {
      delete next.inputs;
    }
    if (step.side_inputs) {
      const gone = Object.keys(step.inputs).filter(k => !(k in kept));
      next.side_inputs = withoutSideInputs(step.side_inputs, gone);
      if (!next.side_inputs) {
        delete next.side_inputs;
      }
    }
    steps = steps ?? { ...doc.steps };
    steps[name] = next;
  }
  return steps ? { ...doc, steps } : doc;
}

/** Delete steps; inputs reading them, `run_after` entries and their layout go with them. */
export function removeSteps(doc: PipelineDocument, names: Iterable<string>): PipelineDocument {
  const gone = new Set(names);
  if (!gone.size) {
    return doc;
  }
  const steps: Record<string, StepDoc> = {};
  for (const [name, step] of Object.entries(doc.steps)) {
    if (gone.has(name)) {
      continue;
    }
    let next = step;
    if (step.run_after?.some(s => gone.has(s))) {
      const after = step.run_after.filter(s => !gone.has(s));
      next = { ...next, run_after: after };
      if (!after.length) {
        delete next.run_after;
      }
    }
    steps[name] = next;
  }
  let result: PipelineDocument = { ...doc, steps };
  result = dropInputs(result, i => typeof i.step === 'string' && gone.has(i.step));
  if (doc.layout?.nodes) {
    const nodes = Object.fromEntries(Object.entries(doc.layout.nodes).filter(([k]) => !gone.has(k)));
    result = withLayout(result, nodes);
  }
  return result;
}

/** Rename a step: inputs reading it, `run_after` and the layout follow. */
export function renameStep(doc: PipelineDocument, oldName: string, newName: string): PipelineDocument {
  if (oldName === newName) {
    return doc;
  }
  getStep(doc, oldName);
  if (newName in doc.steps) {
    throw new Error(`a step named '${newName}' exists`);
  }
  if (!newName || /[/\\]/.test(newName)) {
    throw new Error(`'${newName}' is not a valid step name`);
  }
  const steps: Record<string, StepDoc> = {};
  for (const [name, step] of Object.entries(doc.steps)) {
    let next = step;
    if (step.inputs && Object.values(step.inputs).some(i => i.step === oldName)) {
      const inputs: Record<string, InputDoc> = {};
      for (const [k, i] of Object.entries(step.inputs)) {
        inputs[k] = i.step === oldName ? { ...i, step: newName } : i;
      }
      next = { ...next, inputs };
    }
    if (step.run_after?.includes(oldName)) {
      next = { ...next, run_after: step.run_after.map(s => (s === oldName ? newName : s)) };
    }
    steps[name === oldName ? newName : name] = next;
  }
  let result: PipelineDocument = { ...doc, steps };
  if (doc.layout?.nodes) {
    result = withLayout(result, renameKey(doc.layout.nodes, oldName, newName));
  }
  return result;
}

/** Add a pipeline parameter (name made unique) with a default value. */
export function addParameter(
  doc: PipelineDocument,
  name = 'param',
  param: ParameterDoc = { type: 'string', default: '' }
): { doc: PipelineDocument; name: string } {
  const params = doc.parameters ?? {};
  const unique = uniqueName(name, Object.keys(params));
  return { doc: { ...doc, parameters: { ...params, [unique]: param } }, name: unique };
}

/** Change a pipeline parameter's type, default or description. */
export function updateParameter(doc: PipelineDocument, name: string, patch: Partial<ParameterDoc>): PipelineDocument {
  const params = doc.parameters ?? {};
  if (!(name in params)) {
    throw new Error(`no parameter named '${name}'`);
  }
  const next: ParameterDoc = { ...params[name], ...patch };
  for (const key of Object.keys(next)) {
    if (next[key] === undefined) {
      delete next[key];
    }
  }
  return { ...doc, parameters: { ...params, [name]: next } };
}

/** Rename a pipeline parameter and every `${{parameters.X}}` reference to it. */
export function renameParameter(doc: PipelineDocument, oldName: string, newName: string): PipelineDocument {
  if (oldName === newName) {
    return doc;
  }
  const params = doc.parameters ?? {};
  if (!(oldName in params)) {
    throw new Error(`no parameter named '${oldName}'`);
  }
  if (newName in params) {
    throw new Error(`a parameter named '${newName}' exists`);
  }
  if (!isIdentifier(newName)) {
    throw new Error(`'${newName}' is not a valid name`);
  }
  const steps = Object.fromEntries(
    Object.entries(doc.steps).map(([k, s]) => {
      const renamed = replaceInStep(s, 'parameters', oldName, newName);
      return [k, renameParameterIn(renamed, oldName, newName)];
    })
  );
  return { ...doc, steps, parameters: renameKey(params, oldName, newName) };
}

/** A step whose inputs and destination bound to parameter `oldName` (`{parameter: ...}`)
 * are bound to `newName`. */
function renameParameterIn(step: StepDoc, oldName: string, newName: string): StepDoc {
  let next = step;
  if (step.inputs && Object.values(step.inputs).some(i => i.parameter === oldName)) {
    const inputs: Record<string, InputDoc> = {};
    for (const [k, i] of Object.entries(step.inputs)) {
      inputs[k] = i.parameter === oldName ? { ...i, parameter: newName } : i;
    }
    next = { ...next, inputs };
  }
  const dest = step.destination;
  if (dest && 'parameter' in dest && dest.parameter === oldName) {
    next = { ...next, destination: { parameter: newName } };
  }
  return next;
}

/** Remove a pipeline parameter (references to it are left for validation to report). */
export function removeParameter(doc: PipelineDocument, name: string): PipelineDocument {
  const params = { ...(doc.parameters ?? {}) };
  delete params[name];
  const next: PipelineDocument = { ...doc, parameters: params };
  if (!Object.keys(params).length) {
    delete next.parameters;
  }
  return next;
}
