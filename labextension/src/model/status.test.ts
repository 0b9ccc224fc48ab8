/** Unit tests of the run-state reducer and the timeline rows (model/status.ts). */
import { describe, expect, it } from 'vitest';

import type { RunEvent, Status, StepSummary } from '../api/types';
import {
  applyEvent,
  applyEvents,
  countStatuses,
  emptyRunState,
  reusedFromMessage,
  stateFromRun,
  timelineRows,
  timelineSpan,
  uiStatus
} from './status';

let nextId = 1;

/** A step status message. */
function stepEvent(step: string, status: Status, ts: number, message: string | null = null, id = nextId++): RunEvent {
  return { id: String(id), run_id: 'r', type: 'status', kind: 'step', step, status, message, ts, event_id: id };
}

/** A run status message. */
function runEvent(status: Status, ts: number, id = nextId++): RunEvent {
  return { id: String(id), run_id: 'r', type: 'status', kind: 'run', step: null, status, message: null, ts, event_id: id };
}

/** The messages of a run of `n` steps, each queued, running and finished in turn. */
function flood(n: number): RunEvent[] {
  nextId = 1;
  const events: RunEvent[] = [runEvent('Running', 1000)];
  for (let i = 0; i < n; i++) {
    events.push(stepEvent(`s${i}`, 'Queued', 1000 + i));
    events.push(stepEvent(`s${i}`, 'Running', 1000 + i + 0.1));
    events.push({ id: `${nextId - 1}.${nextId - 1}o3`, run_id: 'r', type: 'log', step: `s${i}`, stream: 'stdout', lines: ['hi'] });
    events.push(stepEvent(`s${i}`, 'Finished', 1000 + i + 0.5));
  }
  events.push(runEvent('Finished', 2000));
  events.push({ id: `${nextId - 1}.end`, run_id: 'r', type: 'end', status: 'Finished', error: null });
  return events;
}

describe('uiStatus', () => {
  it('maps store statuses, and a Finished step with reused_from to reused', () => {
    expect(uiStatus('Running')).toBe('running');
    expect(uiStatus('CancelRequested')).toBe('running');
    expect(uiStatus('Finished')).toBe('finished');
    expect(uiStatus('Finished', 'abc')).toBe('reused');
    expect(uiStatus('NotStarted')).toBe('none');
    expect(uiStatus(null)).toBe('none');
  });
});

describe('applyEvents', () => {
  it('folds a 100-step flood in order: every step finished', () => {
    const events = flood(100);
    const state = applyEvents(emptyRunState(), events);
    expect(state.order).toHaveLength(100);
    expect(countStatuses(state.steps).finished).toBe(100);
    expect(state.status).toBe('Finished');
    expect(state.done).toBe(true);
    expect(state.lastEventId).toBe(nextId - 1); // the run's Finished event
    expect(state.steps.s42.started).toBeCloseTo(1042.1);
    expect(state.steps.s42.ended).toBeCloseTo(1042.5);
  });

  it('folds the same flood one message at a time, in small batches and with duplicates', () => {
    const events = flood(100);
    let one = emptyRunState();
    for (const event of events) {
      one = applyEvent(one, event);
    }
    let batched = emptyRunState();
    for (let i = 0; i < events.length; i += 7) {
      batched = applyEvents(batched, events.slice(i, i + 7));
    }
    // a resume that repeats everything from the start, and a replay of the whole stream
    let resumed = applyEvents(emptyRunState(), events.slice(0, 150));
    resumed = applyEvents(resumed, events.slice(100));
    resumed = applyEvents(resumed, events);
    for (const state of [one, batched, resumed]) {
      expect(countStatuses(state.steps).finished).toBe(100);
      expect(state.done).toBe(true);
    }
    expect(resumed).toEqual(one);
    expect(batched).toEqual(one);
  });

  it('ignores duplicate and out-of-order ids, returning the same object', () => {
    nextId = 1;
    const queued = stepEvent('a', 'Queued', 1);
    const running = stepEvent('a', 'Running', 2);
    let state = applyEvents(emptyRunState(), [queued, running]);
    expect(state.steps.a.status).toBe('running');
    const same = applyEvents(state, [queued, running]);
    expect(same).toBe(state);
    // an old id carrying another status changes nothing
    state = applyEvent(state, stepEvent('a', 'Failed', 3, null, 1));
    expect(state.steps.a.status).toBe('running');
  });

  it('does not mutate its input state', () => {
    const before = emptyRunState();
    const frozen = JSON.stringify(before);
    applyEvents(before, flood(3));
    expect(JSON.stringify(before)).toBe(frozen);
  });

  it('detects a reused step from its status message', () => {
    nextId = 1;
    const state = applyEvents(emptyRunState(), [
      stepEvent('prep', 'Finished', 5, 'reuses step run abc-123'),
      stepEvent('train', 'Running', 6)
    ]);
    expect(state.steps.prep.status).toBe('reused');
    expect(state.steps.prep.reusedFrom).toBe('abc-123');
    expect(state.steps.prep.started).toBe(5);
    expect(state.steps.train.status).toBe('running');
    expect(countStatuses(state.steps).reused).toBe(1);
    expect(reusedFromMessage('failed: boom')).toBeNull();
  });

  it('keeps a snapshot newer than the replayed stream, and marks failures', () => {
    nextId = 1;
    const summary: StepSummary = {
      id: 'x',
      name: 'a',
      status: 'Finished',
      target: 'local',
      depends_on: [],
      started: 10,
      ended: 12,
      exit_code: 0,
      error: null,
      reused_from: null
    };
    const snapshot = stateFromRun({
      status: 'Running',
      started: 9,
      ended: null,
      error: null,
      document: { version: 1, steps: { a: { type: 'command' }, b: { type: 'command' } } },
      step_runs: [summary]
    });
    expect(snapshot.order).toEqual(['a', 'b']);
    expect(snapshot.steps.b.status).toBe('none');
    const state = applyEvents(snapshot, [
      stepEvent('a', 'Queued', 9.5),
      stepEvent('a', 'Running', 10),
      stepEvent('b', 'Running', 12.5),
      stepEvent('b', 'Failed', 13, 'exit code 1'),
      { id: `${nextId - 1}.end`, run_id: 'r', type: 'end', status: 'Failed', error: 'step b failed' }
    ]);
    expect(state.steps.a.status).toBe('finished');
    expect(state.steps.a.ended).toBe(12);
    expect(state.steps.b.status).toBe('failed');
    expect(state.steps.b.message).toBe('exit code 1');
    expect(state.status).toBe('Failed');
    expect(state.error).toBe('step b failed');
    expect(state.done).toBe(true);
  });

  it('accepts ISO timestamps', () => {
    nextId = 1;
    const state = applyEvent(emptyRunState(), {
      ...(stepEvent('a', 'Running', 0) as any),
      ts: '2024-01-01T00:00:00Z'
    });
    expect(state.steps.a.started).toBe(Date.parse('2024-01-01T00:00:00Z') / 1000);
  });
});

describe('timelineRows', () => {
  it('gives bars from start to end, a running bar growing to now, none before start', () => {
    nextId = 1;
    const state = applyEvents(emptyRunState(), [
      stepEvent('a', 'Running', 100),
      stepEvent('a', 'Finished', 103),
      stepEvent('b', 'Running', 103),
      stepEvent('c', 'Queued', 103),
      stepEvent('d', 'Finished', 100, 'reuses step run zz')
    ]);
    const rows = timelineRows(state, 110);
    expect(rows.map(r => r.step)).toEqual(['a', 'b', 'c', 'd']);
    expect(rows[0]).toMatchObject({ start: 100, end: 103, status: 'finished', running: false });
    expect(rows[1]).toMatchObject({ start: 103, end: 110, running: true });
    expect(timelineRows(state, 120)[1].end).toBe(120);
    expect(rows[2]).toMatchObject({ start: null, end: null, status: 'queued' });
    expect(rows[3]).toMatchObject({ reused: true, status: 'reused' });
    expect(timelineSpan(rows, 99, 110)).toEqual({ start: 99, end: 110 });
    expect(timelineSpan([], null, 50)).toEqual({ start: 50, end: 51 });
  });
});
