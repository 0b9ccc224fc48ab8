import { describe, expect, it } from 'vitest';

import { clock, STATUS_ICONS, statusWords, took } from './statusText';

describe('statusWords', () => {
  it('says how long a step has been running', () => {
    expect(statusWords('running', 100, null, 112.6)).toBe('running 0:12');
    expect(statusWords('running', 100, null, 100 + 3723)).toBe('running 1:02:03');
    expect(statusWords('running', null, null, 5)).toBe('running');
  });

  it('tells finished and reused steps apart', () => {
    expect(statusWords('finished', 10, 13.2, 99)).toBe('finished in 3.2 s');
    expect(statusWords('reused', 10, 10, 99)).toBe('reused');
    expect(STATUS_ICONS.finished).not.toBe(STATUS_ICONS.reused);
  });

  it('names the other statuses', () => {
    expect(statusWords('failed', 0, 2, 9)).toBe('failed after 2.0 s');
    expect(statusWords('queued', null, null, 9)).toBe('queued');
    expect(statusWords('canceled', 1, 2, 9)).toBe('canceled');
    expect(statusWords('none', null, null, 9)).toBe('');
  });

  it('formats clocks and durations', () => {
    expect(clock(-3)).toBe('0:00');
    expect(clock(65)).toBe('1:05');
    expect(took(0.25)).toBe('250 ms');
    expect(took(245)).toBe('4 min 05 s');
    expect(took(7380)).toBe('2 h 03 min');
  });
});
