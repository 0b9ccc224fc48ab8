/**
 * What a step node says of its status in a run: an icon and words ("running 0:12",
 * "finished in 3.2 s", "reused", "failed after 2.0 s", "queued", "canceled"), so that
 * finished and reused steps are told apart at a glance, and colours are not the only cue.
 */
import type { UiStatus } from './status';

/** The icon of each status (glyphs every system font has). */
export const STATUS_ICONS: Record<UiStatus, string> = {
  none: '',
  queued: '◷',
  running: '▶',
  reused: '♻',
  finished: '✓',
  failed: '✗',
  canceled: '⊘'
};

/** A running clock: "0:07", "12:30", "1:02:03". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A finished step's duration: "850 ms", "3.2 s", "4 min 05 s", "2 h 03 min". */
export function took(seconds: number): string {
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const s = Math.round(seconds);
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  }
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The words a node shows for its status (empty for `none`); `now` in epoch seconds. */
export function statusWords(status: UiStatus, started: number | null | undefined, ended: number | null | undefined, now: number): string {
  const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  switch (status) {
    case 'none':
      return '';
    case 'running':
      return known(started) ? `running ${clock(now - started)}` : 'running';
    case 'finished':
      return known(started) && known(ended) ? `finished in ${took(Math.max(0, ended - started))}` : 'finished';
    case 'failed':
      return known(started) && known(ended) ? `failed after ${took(Math.max(0, ended - started))}` : 'failed';
    case 'reused':
      return 'reused';
    default:
      return status;
  }
}
