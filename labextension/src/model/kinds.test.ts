import { describe, expect, it } from 'vitest';

import type { PipelineDocument } from '../api/types';
import { addPort, connect, disconnect, removeSteps, renameParameter, renamePort } from './document';
import { toNodes } from './graph';
import {
  fileField,
  inputSource,
  issueField,
  parseCount,
  setDestination,
  setInputDataset,
  setParallelConfig,
  setSideInput,
  setStepFile,
  setStepType,
  stepFile,
  typeChoices
} from './kinds';

/** make (script) -> score (ParallelRunStep, with a side input) -> copy (DataTransferStep). */
function batch(): PipelineDocument {
  return {
    version: 1,
    parameters: { bs: { type: 'int', default: 4 }, target: { type: 'string', default: 'x' } },
    steps: {
      make: {
        type: 'python_script',
        script: 'make.py',
        outputs: { files: { kind: 'output_file_dataset' }, model: { kind: 'output_file_dataset' } }
      },
      score: {
        type: 'parallel_run',
        inputs: { files: { step: 'make', output: 'files' }, model: { step: 'make', output: 'model' } },
        side_inputs: ['model'],
        outputs: { scores: {} },
        arguments: ['--model', '${{inputs.model}}'],
        parallel_run_config: {
          entry_script: 'score.py',
          mini_batch_size: '${{parameters.bs}}',
          process_count_per_node: 2,
          output_action: 'append_row',
          error_threshold: -1
        }
      },
      copy: {
        type: 'data_transfer',
        inputs: { scores: { step: 'score', output: 'scores' } },
        destination: { parameter: 'target' },
        destination_reference_type: 'directory'
      }
    }
  };
}

describe('step types', () => {
  it('says what each type runs and where its file lives', () => {
    const doc = batch();
    expect(stepFile(doc.steps.score)).toBe('score.py');
    expect(fileField(doc.steps.score)).toBe('parallel_run_config.entry_script');
    expect(stepFile(doc.steps.copy)).toBe('→ ${{parameters.target}}');
    expect(fileField(doc.steps.copy)).toBeNull();
    expect(stepFile({ type: 'data_transfer', destination: { datastore: 'lake', path: 'in' } })).toBe('→ lake/in');
    expect(stepFile({ type: 'data_transfer' })).toBe('→ its output');
    expect(stepFile(doc.steps.make)).toBe('make.py');
    expect(stepFile({ type: 'command', command: ['echo', 'hi'] })).toBe('echo hi');
  });

  it('sets the entry script inside parallel_run_config, keeping the other keys', () => {
    const doc = setStepFile(batch(), 'score', 'batch/score_v2.py');
    expect(doc.steps.score.parallel_run_config).toEqual({ ...batch().steps.score.parallel_run_config, entry_script: 'batch/score_v2.py' });
    expect(doc.steps.score.script).toBeUndefined();
    expect(setStepFile(doc, 'score', '').steps.score.parallel_run_config?.entry_script).toBe('');
    expect(setStepFile(batch(), 'make', 'other.py').steps.make.script).toBe('other.py');
    expect(setStepFile(batch(), 'copy', 'x.py')).toEqual(batch());
  });

  it('offers the script/ParallelRunStep switch only to script steps', () => {
    const doc = batch();
    expect(typeChoices(doc.steps.make)).toEqual(['python_script', 'parallel_run']);
    expect(typeChoices(doc.steps.score)).toEqual(['python_script', 'parallel_run']);
    expect(typeChoices(doc.steps.copy)).toEqual([]);
    expect(typeChoices({ type: 'notebook', notebook: 'a.ipynb' })).toEqual([]);
    expect(() => setStepType(doc, 'copy', 'parallel_run')).toThrow(/cannot become/);
  });

  it('makes a dropped script a minimal valid ParallelRunStep with an output for its rows', () => {
    const doc: PipelineDocument = {
      version: 1,
      steps: { score: { type: 'python_script', script: 'score.py', source_directory: 'src', arguments: ['--k', 3], params: { alpha: 0.5 } } }
    };
    const next = setStepType(doc, 'score', 'parallel_run');
    expect(next.steps.score).toEqual({
      type: 'parallel_run',
      source_directory: 'src',
      arguments: ['--k', 3],
      environment_variables: { AML_PARAMETER_alpha: '0.5' },
      outputs: { scores: {} },
      parallel_run_config: { entry_script: 'score.py', output_action: 'append_row', error_threshold: -1 }
    });
    expect(doc.steps.score.type).toBe('python_script'); // not mutated
    // and back: the entry script is the script again, the batch settings go
    const back = setStepType(next, 'score', 'python_script');
    expect(back.steps.score.script).toBe('score.py');
    expect(back.steps.score.parallel_run_config).toBeUndefined();
    expect(back.steps.score.side_inputs).toBeUndefined();
    expect(back.steps.score.outputs).toEqual({ scores: {} });
  });

  it('keeps only the first output of a script that becomes a ParallelRunStep (with its readers)', () => {
    const doc = setStepType(batch(), 'make', 'parallel_run');
    expect(Object.keys(doc.steps.make.outputs ?? {})).toEqual(['files']);
    // the input reading the dropped output goes, and with it its side_inputs entry
    expect(Object.keys(doc.steps.score.inputs ?? {})).toEqual(['files']);
    expect(doc.steps.score.side_inputs).toBeUndefined();
  });
});

describe('ParallelRunStep configuration', () => {
  it('sets and removes keys of parallel_run_config', () => {
    let doc = setParallelConfig(batch(), 'score', 'mini_batch_size', parseCount('5'));
    expect(doc.steps.score.parallel_run_config?.mini_batch_size).toBe(5);
    doc = setParallelConfig(doc, 'score', 'mini_batch_size', parseCount(' 1MB '));
    expect(doc.steps.score.parallel_run_config?.mini_batch_size).toBe('1MB');
    doc = setParallelConfig(doc, 'score', 'process_count_per_node', parseCount(''));
    expect('process_count_per_node' in (doc.steps.score.parallel_run_config ?? {})).toBe(false);
    doc = setParallelConfig(doc, 'score', 'output_action', 'summary_only');
    expect(doc.steps.score.parallel_run_config?.output_action).toBe('summary_only');
    expect(doc.steps.score.parallel_run_config?.entry_script).toBe('score.py');
  });

  it('reads typed counts: digits are numbers, the rest is left for validation', () => {
    expect(parseCount('12')).toBe(12);
    expect(parseCount('-1')).toBe(-1);
    expect(parseCount('')).toBeUndefined();
    expect(parseCount('${{parameters.n}}')).toBe('${{parameters.n}}');
    expect(parseCount('abc')).toBe('abc');
  });

  it('marks side inputs in the order of the inputs', () => {
    let doc = setSideInput(batch(), 'score', 'files', true);
    expect(doc.steps.score.side_inputs).toEqual(['files', 'model']);
    doc = setSideInput(doc, 'score', 'files', false);
    doc = setSideInput(doc, 'score', 'model', false);
    expect(doc.steps.score.side_inputs).toBeUndefined();
  });

  it('keeps side_inputs right when inputs are renamed, removed or lose their step', () => {
    const renamed = renamePort(batch(), 'score', 'input', 'model', 'weights');
    expect(renamed.steps.score.side_inputs).toEqual(['weights']);
    expect(renamed.steps.score.arguments).toEqual(['--model', '${{inputs.weights}}']);
    expect(disconnect(batch(), 'score', 'model').steps.score.side_inputs).toBeUndefined();
    const withoutMake = removeSteps(batch(), ['make']);
    expect(withoutMake.steps.score.inputs).toBeUndefined();
    expect(withoutMake.steps.score.side_inputs).toBeUndefined();
  });

  it('follows parameter renames into parallel_run_config and parameter-bound destinations', () => {
    const doc = renameParameter(renameParameter(batch(), 'bs', 'batch_size'), 'target', 'where');
    expect(doc.steps.score.parallel_run_config?.mini_batch_size).toBe('${{parameters.batch_size}}');
    expect(doc.steps.copy.destination).toEqual({ parameter: 'where' });
    const bound: PipelineDocument = { version: 1, parameters: { p: {} }, steps: { s: { type: 'command', command: 'ls', inputs: { d: { parameter: 'p', mode: 'mount' } } } } };
    expect(renameParameter(bound, 'p', 'q').steps.s.inputs).toEqual({ d: { parameter: 'q', mode: 'mount' } });
  });

  it('gives a ParallelRunStep PipelineData outputs and connects to it like any step', () => {
    const doc = addPort(removeSteps(batch(), ['copy']), 'score', 'output', 'more');
    expect(doc.steps.score.outputs?.more).toEqual({});
    expect(addPort(batch(), 'make', 'output', 'x').steps.make.outputs?.x).toEqual({ kind: 'output_file_dataset' });
    const wired = connect(batch(), 'score', 'scores', 'make');
    expect(wired.doc.steps.make.inputs).toEqual({ scores: { step: 'score', output: 'scores' } });
  });
});

describe('inputs and DataTransferStep', () => {
  it('binds an unconnected input to a registered dataset', () => {
    let doc = addPort(batch(), 'score', 'input', 'images');
    doc = setInputDataset(doc, 'score', 'images', ' input_images ');
    expect(doc.steps.score.inputs?.images).toEqual({ dataset: 'input_images' });
    expect(inputSource(doc.steps.score.inputs!.images)).toBe('dataset input_images');
    expect(setInputDataset(doc, 'score', 'images', '').steps.score.inputs?.images).toEqual({});
    expect(() => setInputDataset(doc, 'score', 'files', 'x')).toThrow(/disconnect it first/);
    expect(inputSource({ step: 'make', output: 'files' })).toBe('← make.files');
    expect(inputSource({ dataset: 'd', version: 3 })).toBe('dataset d:3');
    expect(inputSource({})).toBe('not connected');
  });

  it('edits a DataTransferStep destination', () => {
    let doc = setDestination(batch(), 'copy', { datastore: 'archive' });
    expect(doc.steps.copy.destination).toEqual({ datastore: 'archive' });
    doc = setDestination(doc, 'copy', { path: 'scores/' });
    expect(doc.steps.copy.destination).toEqual({ datastore: 'archive', path: 'scores/' });
    expect(setDestination(doc, 'copy', { datastore: '', path: '' }).steps.copy.destination).toBeUndefined();
    expect(doc.steps.copy.destination_reference_type).toBe('directory');
  });
});

describe('nodes and issues', () => {
  it('shows the entry script and the progress on a ParallelRunStep node', () => {
    const progress = { score: { total: 12, done: 5, state: 'running' } };
    const nodes = toNodes(batch(), { progress });
    const score = nodes.find(n => n.id === 'score')!;
    expect(score.data.type).toBe('parallel_run');
    expect(score.data.file).toBe('score.py');
    expect(score.data.progress).toEqual(progress.score);
    expect(nodes.find(n => n.id === 'make')!.data.progress).toBeUndefined();
  });

  it('re-renders a node only when its progress says something new', () => {
    const cache = new Map();
    const doc = batch();
    const first = toNodes(doc, { progress: { score: { total: 12, done: 5 } } }, cache);
    const same = toNodes(doc, { progress: { score: { total: 12, done: 5 } } }, cache);
    const moved = toNodes(doc, { progress: { score: { total: 12, done: 6 } } }, cache);
    const data = (ns: typeof first) => ns.find(n => n.id === 'score')!.data;
    expect(data(same)).toBe(data(first));
    expect(data(moved)).not.toBe(data(first));
    expect(data(moved).progress?.done).toBe(6);
  });

  it('puts a missing key under the field it names', () => {
    const base = { severity: 'error' as const, step: 'score' };
    expect(issueField({ ...base, field: null, message: "'inputs' is a required property" })).toBe('inputs');
    expect(issueField({ ...base, field: 'parallel_run_config.entry_script', message: 'x' })).toBe('parallel_run_config.entry_script');
    expect(issueField({ ...base, field: null, message: 'something else' })).toBeNull();
    expect(issueField({ ...base, step: null, field: null, message: "'steps' is a required property" })).toBeNull();
  });
});
