import { describe, expect, it } from 'vitest';

import type { PipelineDocument } from '../api/types';
import {
  addParameter,
  addPort,
  addStepFromFile,
  connect,
  emptyDocument,
  relativePath,
  removeParameter,
  removePort,
  removeSteps,
  renameParameter,
  renamePort,
  renameStep,
  setPositions,
  toIdentifier,
  updateParameter
} from './document';

/** prepare -> train (notebook) -> evaluate, like the quickstart example. */
function sample(): PipelineDocument {
  return {
    version: 1,
    parameters: { rows: { type: 'int', default: 100 } },
    steps: {
      prepare: {
        type: 'python_script',
        script: 'prepare.py',
        arguments: ['--rows', '${{parameters.rows}}', '--out', '${{outputs.data}}'],
        outputs: { data: { kind: 'output_file_dataset' } }
      },
      train: {
        type: 'notebook',
        notebook: 'train.ipynb',
        parameters: { rows: '${{parameters.rows}}' },
        inputs: { data: { step: 'prepare', output: 'data' } },
        outputs: { model: { kind: 'output_file_dataset' } }
      },
      evaluate: {
        type: 'command',
        command: 'cat ${{inputs.model}}/m.json',
        inputs: { model: { step: 'train', output: 'model' }, data: { step: 'prepare', output: 'data' } },
        run_after: ['prepare']
      }
    },
    layout: { nodes: { prepare: { x: 0, y: 0 }, train: { x: 300, y: 0 }, evaluate: { x: 600, y: 0 } } }
  };
}

describe('add from file', () => {
  it('makes a notebook step with a path relative to the pipeline folder', () => {
    const { doc, name } = addStepFromFile(emptyDocument(), 'proj/nb/Train Model.ipynb', 'proj', { x: 5, y: 6 });
    expect(name).toBe('Train_Model');
    expect(doc.steps[name]).toEqual({ type: 'notebook', notebook: 'nb/Train Model.ipynb' });
    expect(doc.layout?.nodes?.[name]).toEqual({ x: 5, y: 6 });
  });

  it('makes python_script for .py and a command for other files, with unique names', () => {
    let doc = sample();
    const a = addStepFromFile(doc, 'prepare.py', '');
    doc = a.doc;
    expect(a.name).toBe('prepare_2');
    expect(doc.steps.prepare_2).toEqual({ type: 'python_script', script: 'prepare.py' });
    const b = addStepFromFile(doc, 'tools/1run.sh', 'proj');
    expect(b.name).toBe('_1run');
    expect(b.doc.steps._1run).toEqual({ type: 'command', command: 'bash ../tools/1run.sh' });
    const c = addStepFromFile(doc, 'data.R', '');
    expect(c.doc.steps.data.type).toBe('command');
    expect(c.doc.steps.data.command).toBe('./data.R');
  });

  it('computes relative paths and identifiers', () => {
    expect(relativePath('a/b/c.py', 'a')).toBe('b/c.py');
    expect(relativePath('x/c.py', 'a/b')).toBe('../../x/c.py');
    expect(relativePath('c.py', '')).toBe('c.py');
    expect(toIdentifier('my-step.v2')).toBe('my_step_v2');
  });
});

describe('connect', () => {
  it('creates an input named like the output on the target', () => {
    const { doc, input } = connect(sample(), 'prepare', 'data', 'evaluate');
    expect(input).toBe('data');
    // already connected: unchanged
    expect(doc).toEqual(sample());
    const r = connect(sample(), 'train', 'model', 'prepare');
    expect(r.input).toBe('model');
    expect(r.doc.steps.prepare.inputs).toEqual({ model: { step: 'train', output: 'model' } });
  });

  it('makes the input name unique and creates a missing output', () => {
    const r = connect(sample(), 'evaluate', 'data', 'train');
    expect(r.input).toBe('data_2');
    expect(r.doc.steps.evaluate.outputs).toEqual({ data: { kind: 'output_file_dataset' } });
    expect(r.doc.steps.train.inputs?.data_2).toEqual({ step: 'evaluate', output: 'data' });
  });

  it("fills or rewires the input it is dropped on", () => {
    const withInput = addPort(sample(), 'prepare', 'input', 'raw');
    expect(withInput.steps.prepare.inputs).toEqual({ raw: {} });
    const r = connect(withInput, 'train', 'model', 'prepare', 'raw');
    expect(r.doc.steps.prepare.inputs).toEqual({ raw: { step: 'train', output: 'model' } });
  });

  it('never connects a step to itself', () => {
    expect(connect(sample(), 'train', 'model', 'train').input).toBeNull();
  });
});

describe('ports', () => {
  it('renaming an output updates downstream inputs and ${{outputs.X}}', () => {
    const doc = renamePort(sample(), 'prepare', 'output', 'data', 'table');
    expect(Object.keys(doc.steps.prepare.outputs ?? {})).toEqual(['table']);
    expect(doc.steps.prepare.arguments).toEqual(['--rows', '${{parameters.rows}}', '--out', '${{outputs.table}}']);
    expect(doc.steps.train.inputs?.data).toEqual({ step: 'prepare', output: 'table' });
    expect(doc.steps.evaluate.inputs?.data).toEqual({ step: 'prepare', output: 'table' });
    expect(sample().steps.train.inputs?.data.output).toBe('data');
  });

  it('renaming an input updates ${{inputs.X}} in the command', () => {
    const doc = renamePort(sample(), 'evaluate', 'input', 'model', 'weights');
    expect(doc.steps.evaluate.command).toBe('cat ${{inputs.weights}}/m.json');
    expect(Object.keys(doc.steps.evaluate.inputs ?? {})).toEqual(['weights', 'data']);
  });

  it('refuses a taken or invalid name', () => {
    expect(() => renamePort(sample(), 'evaluate', 'input', 'model', 'data')).toThrow(/already/);
    expect(() => renamePort(sample(), 'evaluate', 'input', 'model', '1x')).toThrow(/valid/);
  });

  it('removing an output removes the inputs reading it', () => {
    const doc = removePort(sample(), 'prepare', 'output', 'data');
    expect(doc.steps.prepare.outputs).toBeUndefined();
    expect(doc.steps.train.inputs).toBeUndefined();
    expect(doc.steps.evaluate.inputs).toEqual({ model: { step: 'train', output: 'model' } });
  });

  it('adds unique outputs', () => {
    const doc = addPort(sample(), 'prepare', 'output', 'data');
    expect(Object.keys(doc.steps.prepare.outputs ?? {})).toEqual(['data', 'data_2']);
  });
});

describe('steps', () => {
  it('deleting a step cleans inputs, run_after and layout', () => {
    const doc = removeSteps(sample(), ['prepare']);
    expect(Object.keys(doc.steps)).toEqual(['train', 'evaluate']);
    expect(doc.steps.train.inputs).toBeUndefined();
    expect(doc.steps.evaluate.inputs).toEqual({ model: { step: 'train', output: 'model' } });
    expect(doc.steps.evaluate.run_after).toBeUndefined();
    expect(doc.layout?.nodes?.prepare).toBeUndefined();
  });

  it('renaming a step updates references and layout', () => {
    const doc = renameStep(sample(), 'prepare', 'load');
    expect(Object.keys(doc.steps)).toEqual(['load', 'train', 'evaluate']);
    expect(doc.steps.train.inputs?.data.step).toBe('load');
    expect(doc.steps.evaluate.run_after).toEqual(['load']);
    expect(doc.layout?.nodes?.load).toEqual({ x: 0, y: 0 });
    expect(() => renameStep(sample(), 'prepare', 'train')).toThrow();
  });

  it('stores rounded positions of known steps only', () => {
    const doc = setPositions(sample(), { train: { x: 1.6, y: 2.2 }, ghost: { x: 1, y: 1 } });
    expect(doc.layout?.nodes?.train).toEqual({ x: 2, y: 2 });
    expect(doc.layout?.nodes?.ghost).toBeUndefined();
  });
});

describe('parameters', () => {
  it('adds, updates, renames (with references) and removes', () => {
    let { doc, name } = addParameter(sample(), 'rows', { type: 'int', default: 1 });
    expect(name).toBe('rows_2');
    doc = updateParameter(doc, 'rows_2', { default: 5, description: 'd' });
    expect(doc.parameters?.rows_2).toEqual({ type: 'int', default: 5, description: 'd' });
    doc = renameParameter(doc, 'rows', 'n');
    expect(doc.steps.prepare.arguments?.[1]).toBe('${{parameters.n}}');
    expect(doc.steps.train.parameters).toEqual({ rows: '${{parameters.n}}' });
    expect(Object.keys(doc.parameters ?? {})).toEqual(['n', 'rows_2']);
    doc = removeParameter(removeParameter(doc, 'n'), 'rows_2');
    expect(doc.parameters).toBeUndefined();
  });
});
