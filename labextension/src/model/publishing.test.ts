import { describe, expect, it } from 'vitest';

import type { PipelineEndpoint, PublishedPipeline } from '../api/types';
import {
  compareVersions,
  endpointTarget,
  experimentName,
  groupPublished,
  parameterKind,
  publishBody,
  publishErrorField,
  publishFormProblem,
  submissionBody,
  submitErrorField,
  submitRefusal,
  type PublishForm
} from './publishing';

const API = 'http://127.0.0.1:8888/jupyter-pipelines/api';

function published(id: string, name: string, created: number, extra: Partial<PublishedPipeline> = {}): PublishedPipeline {
  return {
    id,
    name,
    description: '',
    version: null,
    status: 'Active',
    graph_id: 'g',
    total_run_steps: 2,
    continue_on_step_failure: null,
    created,
    parameters: {},
    endpoint: `${API}/PipelineRuns/PipelineSubmit/${id}`,
    endpoints: [],
    ...extra
  };
}

function endpoint(name: string, versions: [string, string][], defaultVersion: string): PipelineEndpoint {
  return {
    id: `e-${name}`,
    name,
    description: '',
    status: 'Active',
    default_version: defaultVersion,
    endpoint: `${API}/PipelineRuns/PipelineEndpointSubmit/Id/e-${name}`,
    versions: versions.map(([version, pipelineId]) => ({
      version,
      pipeline_id: pipelineId,
      pipeline_name: `name-of-${pipelineId}`,
      pipeline_status: 'Active',
      default: version === defaultVersion,
      endpoint: `${API}/PipelineRuns/PipelineEndpointSubmit/Id/e-${name}/${version}`
    })),
    created: 1
  };
}

describe('groupPublished', () => {
  const a = published('a', 'train', 10, { endpoints: [{ id: 'e-scoring', version: '0' }] });
  const b = published('b', 'train', 20, { status: 'Disabled', endpoints: [{ id: 'e-scoring', version: '10' }] });
  const c = published('c', 'loose', 30);
  const d = published('d', 'older', 5);
  const groups = groupPublished(
    [a, b, c, d],
    [endpoint('scoring', [['0', 'a'], ['2', 'x'], ['10', 'b']], '0'), endpoint('alpha', [['0', 'c']], '0')]
  );

  it('sorts endpoints by name and their versions newest first, numerically', () => {
    expect(groups.endpoints.map(g => g.endpoint.name)).toEqual(['alpha', 'scoring']);
    expect(groups.endpoints[1].versions.map(v => v.version)).toEqual(['10', '2', '0']);
  });

  it('marks the default and joins each version with its published pipeline', () => {
    const scoring = groups.endpoints[1];
    expect(scoring.defaultEntry?.version).toBe('0');
    expect(scoring.defaultEntry?.pipeline?.id).toBe('a');
    expect(scoring.versions[0]).toMatchObject({ pipelineId: 'b', status: 'Disabled', name: 'train', isDefault: false });
  });

  it('keeps what the endpoint says of a version whose pipeline is not listed', () => {
    const missing = groups.endpoints[1].versions[1];
    expect(missing).toMatchObject({ pipeline: null, name: 'name-of-x', status: 'Active' });
  });

  it('lists pipelines in no endpoint apart, newest first', () => {
    expect(groups.standalone.map(p => p.id)).toEqual(['d']);
    const none = groupPublished([c, d], []);
    expect(none.standalone.map(p => p.id)).toEqual(['c', 'd']);
  });
});

describe('compareVersions', () => {
  it('compares numbers as numbers and text as text', () => {
    expect(['10', '9', '1'].sort(compareVersions)).toEqual(['1', '9', '10']);
    expect(['b', 'a'].sort(compareVersions)).toEqual(['a', 'b']);
  });
});

describe('submitRefusal', () => {
  const e = endpoint('scoring', [['0', 'a']], '0');
  it('allows an active pipeline', () => {
    expect(submitRefusal('Active')).toBeNull();
    expect(submitRefusal('Active', e, '0')).toBeNull();
  });
  it('names a disabled pipeline, version or endpoint', () => {
    expect(submitRefusal('Disabled')).toMatch(/This published pipeline is Disabled/);
    expect(submitRefusal('Disabled', e, '0')).toMatch(/Version 0 of scoring is Disabled/);
    expect(submitRefusal('Active', { ...e, status: 'Disabled' })).toMatch(/endpoint scoring is Disabled/);
  });
});

describe('parameterKind', () => {
  it('takes the declared type, else infers it from the default', () => {
    expect(parameterKind({ type: 'int', default: '3' })).toBe('int');
    expect(parameterKind({ type: 'str' })).toBe('string');
    expect(parameterKind({ default: 3 })).toBe('int');
    expect(parameterKind({ default: 0.5 })).toBe('float');
    expect(parameterKind({ default: true })).toBe('bool');
    expect(parameterKind({ default: 'x' })).toBe('string');
    expect(parameterKind({ default: { datastore: 'd', path: 'p' } })).toBe('datapath');
    expect(parameterKind({ default: { name: 'ds' } })).toBe('dataset');
  });
});

describe('submissionBody', () => {
  const params = {
    rows: { type: 'int', default: 5 },
    label: { type: 'string', default: 'a b' },
    data: { type: 'dataset', default: { name: 'iris' } },
    where: { type: 'datapath', default: { datastore: 'workspaceblobstore', path: 'x' } }
  };

  it('sends only the scalars that changed, as text, with the experiment', () => {
    const body = submissionBody(' nightly ', params, { rows: '7', label: 'a b', data: '', where: '' });
    expect(body).toEqual({ ExperimentName: 'nightly', RunSource: 'JupyterLab', ParameterAssignments: { rows: '7' } });
  });

  it('keeps a string value as typed (spaces included)', () => {
    const body = submissionBody('e', params, { label: ' padded ' });
    expect(body.ParameterAssignments).toEqual({ label: ' padded ' });
  });

  it('sends a dataset by id or by name and version, and a datapath by datastore/path', () => {
    const id = '0b9f6c0e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
    expect(submissionBody('e', params, { data: id }).DataSetDefinitionValueAssignments).toEqual({
      data: { SavedDataSetReference: { Id: id } }
    });
    expect(submissionBody('e', params, { data: 'iris:2' }).DataSetDefinitionValueAssignments).toEqual({
      data: { DataSetReference: { Name: 'iris', Version: '2' } }
    });
    expect(submissionBody('e', params, { data: 'iris' }).DataSetDefinitionValueAssignments).toEqual({
      data: { DataSetReference: { Name: 'iris', Version: 'latest' } }
    });
    expect(submissionBody('e', params, { where: 'store/a/b.csv' }).DataPathAssignments).toEqual({
      where: { DataStoreName: 'store', RelativePath: 'a/b.csv' }
    });
  });
});

describe('submitErrorField', () => {
  it('finds the parameter or experiment a v1 target names', () => {
    expect(submitErrorField('ParameterAssignments.rows')).toBe('rows');
    expect(submitErrorField('DataPathAssignments.where.DataStoreName')).toBe('where');
    expect(submitErrorField('DataSetDefinitionValueAssignments.data')).toBe('data');
    expect(submitErrorField('ExperimentName')).toBe('experiment');
    expect(submitErrorField('body')).toBeNull();
    expect(submitErrorField(null)).toBeNull();
  });
});

describe('publishing a file', () => {
  const form: PublishForm = {
    name: ' nightly ',
    description: 'd',
    version: '',
    mode: 'none',
    existing: '',
    newName: '',
    makeDefault: true
  };

  it('builds the body of POST published', () => {
    expect(publishBody('p/f.pipeline.yaml', form)).toEqual({ path: 'p/f.pipeline.yaml', name: 'nightly', description: 'd' });
    expect(publishBody('f', { ...form, version: ' 2.0 ', mode: 'existing', existing: 'scoring', makeDefault: false })).toEqual({
      path: 'f',
      name: 'nightly',
      description: 'd',
      version: '2.0',
      endpoint: 'scoring',
      default: false
    });
    expect(publishBody('f', { ...form, mode: 'new', newName: 'fresh', makeDefault: false })).toMatchObject({
      endpoint: 'fresh',
      default: true
    });
  });

  it('asks for an endpoint name and refuses a new one that exists', () => {
    expect(publishFormProblem(form, [])).toBeNull();
    expect(publishFormProblem({ ...form, mode: 'new' }, [])?.field).toBe('endpoint-new');
    expect(publishFormProblem({ ...form, mode: 'existing' }, ['a'])?.field).toBe('endpoint-existing');
    expect(publishFormProblem({ ...form, mode: 'new', newName: 'a' }, ['a'])?.message).toMatch(/exists already/);
  });

  it('finds the field a server message names', () => {
    expect(publishErrorField("'name' must be the published pipeline's name (a string)")).toBe('name');
    expect(publishErrorField("'description' must be a string")).toBe('description');
    expect(publishErrorField('a pipeline endpoint named x already exists')).toBe('endpoint');
    expect(publishErrorField('step train: file missing')).toBeNull();
  });
});

describe('endpointTarget', () => {
  it('posts to the URL itself when it is on this server, else to its API path here', () => {
    const url = `${API}/PipelineRuns/PipelineSubmit/abc`;
    expect(endpointTarget(url, 'http://127.0.0.1:8888/')).toEqual({ url });
    expect(endpointTarget(url, 'https://hub.example/user/me/')).toEqual({ path: 'PipelineRuns/PipelineSubmit/abc' });
    expect(() => endpointTarget('http://x/other', 'https://y/')).toThrow(/not a URL of the jupyter-pipelines API/);
  });
});

describe('experimentName', () => {
  it('replaces characters an experiment name cannot hold', () => {
    expect(experimentName('my pipeline.v2')).toBe('my_pipeline_v2');
    expect(experimentName('')).toBe('published');
  });
});
