import { describe, expect, it } from 'vitest';

import { formatRelative, isoSeconds } from './format';

describe('formatRelative', () => {
  const now = 1_700_000_000;
  it('says how far ahead or behind a time is, in the largest fitting unit', () => {
    expect(formatRelative(now + 45, now)).toBe('in 45 s');
    expect(formatRelative(now + 12 * 60 + 10, now)).toBe('in 12 min');
    expect(formatRelative(now - 3 * 3600, now)).toBe('3 h ago');
    expect(formatRelative(now + 30 * 3600, now)).toBe('in 30 h');
    expect(formatRelative(now + 3 * 86400, now)).toBe('in 3 days');
    expect(formatRelative(now + 0.2, now)).toBe('now');
  });
  it('is empty for no time', () => {
    expect(formatRelative(null, now)).toBe('');
    expect(formatRelative(undefined, now)).toBe('');
  });
});

describe('isoSeconds', () => {
  it('reads the server ISO times (UTC, with or without a zone)', () => {
    expect(isoSeconds('2024-01-02T03:04:05+00:00')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
    expect(isoSeconds('2024-01-02T03:04:05')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
    expect(isoSeconds('2024-01-02T05:04:05+02:00')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
    expect(isoSeconds('2024-01-02T03:04:05Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
  });
  it('is null for nothing or garbage', () => {
    expect(isoSeconds(null)).toBeNull();
    expect(isoSeconds('soon')).toBeNull();
  });
});
