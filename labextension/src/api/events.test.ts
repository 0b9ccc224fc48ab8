/** Unit tests of the run-event WebSocket client (api/events.ts) against a fake socket. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { RunEventStream } from './events';
import type { RunEvent } from './types';

/** A stand-in WebSocket the test drives by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  open(): void {
    this.onopen?.({});
  }
  send(event: Partial<RunEvent> & { id: string; type: string }): void {
    this.onmessage?.({ data: JSON.stringify({ run_id: 'r', ...event }) });
  }
  drop(): void {
    this.onclose?.({ code: 1006, reason: '' });
  }
  close(): void {
    this.closed = true;
  }
}

/** A stream over fake sockets, recording what it delivers. */
function open(after = '0') {
  const got: string[] = [];
  const ends: string[] = [];
  const stream = new RunEventStream('r', {
    after,
    url: (path, query) => `ws://x/${path}?after=${query.after}`,
    socket: url => new FakeSocket(url) as unknown as WebSocket,
    onEvent: e => got.push(e.id),
    onEnd: e => ends.push(e.id),
    minDelay: 100,
    maxDelay: 1000
  });
  return { stream, got, ends };
}

describe('RunEventStream', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('delivers messages in order, resumes after the last id on reconnect, stops on end', () => {
    const { stream, got, ends } = open();
    const first = FakeSocket.all[0];
    expect(first.url).toBe('ws://x/runs/r/events?after=0');
    first.open();
    first.send({ id: '1', type: 'status' });
    first.send({ id: '1.1o120', type: 'log' });
    first.send({ id: '1.1o120', type: 'log' }); // the same id again
    first.send({ id: 7 as unknown as string, type: 'status' }); // not a cursor
    first.drop();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(100);
    const second = FakeSocket.all[1];
    // ids are cursors: sent back as they came (URL-encoded by the real url builder)
    expect(second.url).toBe('ws://x/runs/r/events?after=1.1o120');
    second.open();
    second.send({ id: '2.1o300', type: 'status' });
    second.send({ id: '2.1o300.end', type: 'end' });
    second.send({ id: '3', type: 'status' }); // after end: ignored
    expect(got).toEqual(['1', '1.1o120', '2.1o300', '2.1o300.end']);
    expect(ends).toEqual(['2.1o300.end']);
    expect(stream.isClosed).toBe(true);
    expect(second.closed).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('backs off between failed reconnects and resets once connected', () => {
    const { stream } = open('7.3e12');
    expect(FakeSocket.all[0].url).toContain('after=7.3e12');
    FakeSocket.all[0].drop();
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].drop();
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.all[2].open();
    FakeSocket.all[2].drop();
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(4);
    stream.close();
  });

  it('close() stops for good: no reconnect, no more messages', () => {
    const { stream, got } = open();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.close();
    expect(socket.closed).toBe(true);
    socket.send({ id: '1', type: 'status' });
    socket.drop();
    vi.advanceTimersByTime(10000);
    expect(got).toEqual([]);
    expect(FakeSocket.all).toHaveLength(1);
  });
});
