/**
 * Mini-batch progress of parallel_run steps: reading a runner's `logs/progress.json` and
 * saying it in words and bar widths, for the canvas nodes and the step details.
 */
import type { ParallelProgress } from '../api/types';

/** The file a ParallelRunStep's runner rewrites while it runs (relative to the step's folder). */
export const PROGRESS_FILE = 'logs/progress.json';

const COUNTS = [
  'total',
  'done',
  'from_cache',
  'failed',
  'retried',
  'running',
  'items',
  'failed_items',
  'rows',
  'workers',
  'workers_replaced',
  'elapsed_s',
  'throughput_per_s'
] as const;

/** A progress.json answer as a ParallelProgress, or null when it is not one (no `total`). */
export function parseProgress(data: unknown): ParallelProgress | null {
  if (!data || typeof data !== 'object') {
    return null;
  }
  const raw = data as Record<string, unknown>;
  if (typeof raw.total !== 'number' || !Number.isFinite(raw.total) || raw.total < 0) {
    return null;
  }
  const out: Record<string, unknown> = {};
  for (const key of COUNTS) {
    const v = raw[key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      out[key] = v;
    }
  }
  out.done = out.done ?? 0;
  if (typeof raw.state === 'string') {
    out.state = raw.state;
  }
  if (typeof raw.reason === 'string' && raw.reason) {
    out.reason = raw.reason;
  }
  return out as unknown as ParallelProgress;
}

/** Mini-batches that are over: done (computed or from the cache) or failed for good. */
export function finishedCount(p: ParallelProgress): number {
  return p.done + (p.failed ?? 0);
}

/** Widths (percent, 0-100) of the bar's done and failed parts. */
export function progressBar(p: ParallelProgress): { done: number; failed: number } {
  if (p.total <= 0) {
    // Nothing to cut into mini-batches: a finished step is complete, a running one empty.
    return { done: p.state === 'finished' ? 100 : 0, failed: 0 };
  }
  const pct = (n: number) => Math.max(0, Math.min(100, (100 * n) / p.total));
  const done = pct(p.done);
  return { done, failed: Math.min(100 - done, pct(p.failed ?? 0)) };
}

/** "7/12" (finished of all mini-batches): the number on the bar. */
export function progressCount(p: ParallelProgress): string {
  return `${finishedCount(p)}/${p.total}`;
}

/** A count with thousands separated ("12,345"), without depending on the locale. */
function grouped(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Items per second as short text: "850/s", "12.5/s", "0.42/s". */
export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond) || perSecond <= 0) {
    return '';
  }
  if (perSecond >= 100) {
    return `${grouped(perSecond)}/s`;
  }
  return `${perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2)}/s`;
}

/**
 * The counts in words, for the details panel: "7 of 12 mini-batches done (3 from cache),
 * 1 failed, 2 retried, 2 running; 140 rows; 2 workers; 35.0/s".
 */
export function progressSummary(p: ParallelProgress): string {
  const head = `${p.done} of ${p.total} mini-batch${p.total === 1 ? '' : 'es'} done`;
  const cache = p.from_cache ? ` (${p.from_cache} from cache)` : '';
  const parts = [head + cache];
  if (p.failed) {
    parts.push(`${p.failed} failed`);
  }
  if (p.retried) {
    parts.push(`${p.retried} retried`);
  }
  if (p.running) {
    parts.push(`${p.running} running`);
  }
  const tail: string[] = [];
  if (p.rows !== undefined) {
    tail.push(`${grouped(p.rows)} row${p.rows === 1 ? '' : 's'}`);
  }
  if (p.workers) {
    tail.push(`${p.workers} worker${p.workers === 1 ? '' : 's'}`);
  }
  const rate = formatRate(p.throughput_per_s);
  if (rate) {
    tail.push(rate);
  }
  return tail.length ? `${parts.join(', ')}; ${tail.join('; ')}` : parts.join(', ');
}

/** The node's tooltip and screen-reader text for its bar. */
export function progressTitle(p: ParallelProgress): string {
  const state = p.state && p.state !== 'running' ? ` (${p.state}${p.reason ? `: ${p.reason}` : ''})` : '';
  return `Mini-batches: ${progressSummary(p)}${state}`;
}

/** True when progress `b` says the same as `a` on a node (avoids re-rendering it). */
export function sameProgress(a: ParallelProgress | undefined, b: ParallelProgress | undefined): boolean {
  if (a === b) {
    return true;
  }
  if (!a || !b) {
    return false;
  }
  return (
    a.total === b.total &&
    a.done === b.done &&
    a.failed === b.failed &&
    a.running === b.running &&
    a.state === b.state &&
    a.from_cache === b.from_cache &&
    a.retried === b.retried &&
    a.rows === b.rows
  );
}
