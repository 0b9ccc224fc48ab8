/** Small formatting helpers of the runs UI: times, durations, statuses. */
import type { RunSummary, Status } from '../api/types';
import { isTerminal, uiStatus, UiStatus } from '../model/status';

/** An epoch-seconds time as a short local date and time ("" when unknown). */
export function formatTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) {
    return '';
  }
  const date = new Date(ts * 1000);
  const today = new Date();
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (date.toDateString() === today.toDateString()) {
    return time;
  }
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** How far `ts` (epoch seconds) is from `now`: "in 45 s", "in 12 min", "3 h ago", "in 2 days". */
export function formatRelative(ts: number | null | undefined, now: number = Date.now() / 1000): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) {
    return '';
  }
  const delta = ts - now;
  const s = Math.abs(delta);
  const text =
    s < 1
      ? 'now'
      : s < 60
        ? `${Math.round(s)} s`
        : s < 3600
          ? `${Math.round(s / 60)} min`
          : s < 86400 * 2
            ? `${Math.round(s / 3600)} h`
            : `${Math.round(s / 86400)} days`;
  if (text === 'now') {
    return text;
  }
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

/** An ISO 8601 time as epoch seconds (null when absent or unreadable). */
export function isoSeconds(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  // The server's times are UTC; one without a zone is read as UTC too.
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/** A duration in seconds as "850 ms", "12.3 s", "4m 05s" or "2h 03m". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const s = Math.floor(seconds);
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** How long something ran: start to end, or to now while it runs. */
export function elapsed(
  started: number | null | undefined,
  ended: number | null | undefined,
  now: number = Date.now() / 1000
): number | null {
  if (started === null || started === undefined) {
    return null;
  }
  return (ended ?? now) - started;
}

/** The UI status (badge color) of a run's store status. */
export function runUiStatus(status: Status | null | undefined): UiStatus {
  return uiStatus(status);
}

/** True while a run can still change (so the sidebar polls fast and Cancel applies). */
export function isActive(status: Status | null | undefined): boolean {
  return !!status && !isTerminal(status);
}

/** The message of an error of any kind. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A run's name in lists and titles: its pipeline's name or file name, else its short id. */
export function runLabel(run: RunSummary): string {
  if (run.pipeline_name) {
    return run.pipeline_name;
  }
  const file = run.pipeline_file?.split('/').pop()?.replace(/\.pipeline(\.ya?ml)?$/, '');
  return file || run.id.slice(0, 8);
}
