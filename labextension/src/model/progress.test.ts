import { describe, expect, it } from 'vitest';

import {
  finishedCount,
  formatRate,
  parseProgress,
  progressBar,
  progressCount,
  progressSummary,
  progressTitle,
  sameProgress
} from './progress';

/** What a runner writes to logs/progress.json mid-run (runtime/parallel/report.py). */
const RUNNING = {
  total: 12,
  done: 5,
  from_cache: 2,
  failed: 1,
  retried: 2,
  running: 2,
  items: 20,
  failed_items: 4,
  rows: 20,
  workers: 2,
  workers_replaced: 0,
  state: 'running',
  reason: '',
  started: 1767225600.0,
  updated: 1767225604.0,
  elapsed_s: 4.0,
  throughput_per_s: 5.0,
  step: 'score'
};

describe('progress.json', () => {
  it('reads the counts and drops what the UI does not use', () => {
    const p = parseProgress(RUNNING)!;
    expect(p.total).toBe(12);
    expect(p.done).toBe(5);
    expect(p.state).toBe('running');
    expect(p.reason).toBeUndefined(); // empty reason
    expect('step' in p).toBe(false);
    expect(parseProgress({ ...RUNNING, state: 'failed', reason: 'error_threshold exceeded' })!.reason).toBe(
      'error_threshold exceeded'
    );
  });

  it('refuses what is not a progress file', () => {
    expect(parseProgress(null)).toBeNull();
    expect(parseProgress('text')).toBeNull();
    expect(parseProgress({ done: 1 })).toBeNull();
    expect(parseProgress({ total: -1, done: 0 })).toBeNull();
    expect(parseProgress({ total: 3 })!.done).toBe(0);
  });

  it('draws done and failed parts of the bar', () => {
    const p = parseProgress(RUNNING)!;
    expect(finishedCount(p)).toBe(6);
    const bar = progressBar(p);
    expect(bar.done).toBeCloseTo(41.667, 2);
    expect(bar.failed).toBeCloseTo(8.333, 2);
    expect(progressBar({ total: 4, done: 4, state: 'finished' })).toEqual({ done: 100, failed: 0 });
    expect(progressBar({ total: 4, done: 9 })).toEqual({ done: 100, failed: 0 });
    expect(progressBar({ total: 0, done: 0, state: 'finished' })).toEqual({ done: 100, failed: 0 });
    expect(progressBar({ total: 0, done: 0, state: 'running' })).toEqual({ done: 0, failed: 0 });
  });

  it('says the counts in words', () => {
    const p = parseProgress(RUNNING)!;
    expect(progressCount(p)).toBe('6/12');
    expect(progressSummary(p)).toBe(
      '5 of 12 mini-batches done (2 from cache), 1 failed, 2 retried, 2 running; 20 rows; 2 workers; 5.00/s'
    );
    expect(progressSummary({ total: 1, done: 1, rows: 1, workers: 1 })).toBe('1 of 1 mini-batch done; 1 row; 1 worker');
    expect(progressSummary({ total: 3, done: 0 })).toBe('0 of 3 mini-batches done');
    expect(progressSummary({ total: 3, done: 3, rows: 1234567 })).toBe('3 of 3 mini-batches done; 1,234,567 rows');
    expect(progressTitle({ total: 3, done: 1, failed: 2, state: 'failed', reason: 'too many failures' })).toBe(
      'Mini-batches: 1 of 3 mini-batches done, 2 failed (failed: too many failures)'
    );
    expect(progressTitle({ total: 3, done: 1, state: 'running' })).toBe('Mini-batches: 1 of 3 mini-batches done');
  });

  it('formats throughput', () => {
    expect(formatRate(undefined)).toBe('');
    expect(formatRate(0)).toBe('');
    expect(formatRate(0.4234)).toBe('0.42/s');
    expect(formatRate(12.34)).toBe('12.3/s');
    expect(formatRate(12345.6)).toBe('12,346/s');
  });

  it('compares what a node shows', () => {
    const a = parseProgress(RUNNING)!;
    expect(sameProgress(a, parseProgress(RUNNING)!)).toBe(true);
    expect(sameProgress(a, { ...a, done: 6 })).toBe(false);
    expect(sameProgress(a, { ...a, state: 'finished' })).toBe(false);
    expect(sameProgress(a, undefined)).toBe(false);
    expect(sameProgress(undefined, undefined)).toBe(true);
  });
});
