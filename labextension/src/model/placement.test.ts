import { describe, expect, it } from 'vitest';

import type { StepSummary } from '../api/types';
import { dashboards, httpUrl, nodeTitle, placementsFrom, samePlacements, workerHost } from './placement';

const summary = (name: string, worker: string | null, dashboard_link: string | null): StepSummary => ({
  id: `id-${name}`,
  name,
  status: 'Finished',
  target: 'dask',
  depends_on: [],
  started: 1,
  ended: 2,
  exit_code: 0,
  error: null,
  reused_from: null,
  worker,
  dashboard_link
});

describe('workerHost', () => {
  it('takes the host out of Dask worker addresses', () => {
    expect(workerHost('tcp://127.0.0.1:40123')).toBe('127.0.0.1');
    expect(workerHost('tls://worker-3.cluster.local:8786')).toBe('worker-3.cluster.local');
    expect(workerHost('ucx://10.0.0.7:1234')).toBe('10.0.0.7');
    expect(workerHost('tcp://[::1]:8786')).toBe('::1');
    expect(workerHost('inproc://node-1/123/4')).toBe('node-1');
    expect(workerHost('host:9000')).toBe('host');
    expect(workerHost('fe80::1')).toBe('fe80::1');
  });
  it('is empty for no worker', () => {
    expect(workerHost(null)).toBe('');
    expect(workerHost(undefined)).toBe('');
    expect(workerHost('')).toBe('');
  });
});

describe('httpUrl', () => {
  it('keeps http(s) links only', () => {
    expect(httpUrl('http://127.0.0.1:8787/status')).toBe('http://127.0.0.1:8787/status');
    expect(httpUrl('https://dask.example.org/status')).toBe('https://dask.example.org/status');
    expect(httpUrl('javascript:alert(1)')).toBeNull();
    expect(httpUrl('not a url')).toBeNull();
    expect(httpUrl(null)).toBeNull();
  });
});

describe('placementsFrom', () => {
  it('maps steps to their worker and dashboard, leaving local steps out', () => {
    const placements = placementsFrom([
      summary('a', 'tcp://127.0.0.1:1', 'http://127.0.0.1:8787/status'),
      summary('b', 'tcp://127.0.0.2:2', 'javascript:alert(1)'),
      summary('local', null, null)
    ]);
    expect(placements).toEqual({
      a: { worker: 'tcp://127.0.0.1:1', dashboard: 'http://127.0.0.1:8787/status' },
      b: { worker: 'tcp://127.0.0.2:2', dashboard: null }
    });
    expect(dashboards(placements)).toEqual(['http://127.0.0.1:8787/status']);
  });
  it('reads summaries of servers without the fields', () => {
    const old = summary('a', null, null);
    delete old.worker;
    delete old.dashboard_link;
    expect(placementsFrom([old])).toEqual({});
    expect(placementsFrom(undefined)).toEqual({});
  });
  it('compares placement maps', () => {
    const one = placementsFrom([summary('a', 'tcp://h:1', null)]);
    expect(samePlacements(one, placementsFrom([summary('a', 'tcp://h:1', null)]))).toBe(true);
    expect(samePlacements(one, placementsFrom([summary('a', 'tcp://g:1', null)]))).toBe(false);
    expect(samePlacements(one, {})).toBe(false);
  });
});

describe('nodeTitle', () => {
  it('adds the worker host under the file when known', () => {
    expect(nodeTitle('train.py', 'tcp://10.0.0.7:40123')).toBe('train.py\nran on 10.0.0.7');
    expect(nodeTitle('train.py', null)).toBe('train.py');
  });
});

describe('workers on the DAG nodes', () => {
  it('gives a node the worker that ran its step, and new data when it becomes known', async () => {
    const { toNodes } = await import('./graph');
    const doc = { version: 1 as const, steps: { a: { type: 'python_script' as const, script: 'a.py' }, b: { type: 'python_script' as const, script: 'b.py' } } };
    const cache = new Map();
    const before = toNodes(doc, {}, cache);
    const after = toNodes(doc, { workers: { a: 'tcp://10.0.0.7:1' } }, cache);
    expect(after[0].data.worker).toBe('tcp://10.0.0.7:1');
    expect(after[0].data).not.toBe(before[0].data);
    expect(after[1].data).toBe(before[1].data);
    expect(nodeTitle(after[0].data.file, after[0].data.worker)).toBe('a.py\nran on 10.0.0.7');
  });
});
