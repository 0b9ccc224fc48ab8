/**
 * Where a run's steps ran: the Dask worker of each step (its address, as the REST step
 * summary's `worker` says) and the dashboard of its target's cluster (`dashboard_link`).
 * Pure helpers of the run view's step details and the DAG nodes' tooltips.
 */
import type { StepSummary } from '../api/types';

/** A step's placement: the worker that ran it and its cluster's dashboard (null: unknown). */
export interface Placement {
  worker: string | null;
  dashboard: string | null;
}

/**
 * The host of a Dask worker address: `tcp://127.0.0.1:40123` -> `127.0.0.1`,
 * `tls://[::1]:8786` -> `::1`, `inproc://node-1/123/4` -> `node-1`, `host:9000` -> `host`
 * ("" for no address).
 */
export function workerHost(address: string | null | undefined): string {
  if (!address) {
    return '';
  }
  const rest = address.includes('://') ? address.slice(address.indexOf('://') + 3) : address;
  const hostPort = rest.split('/')[0];
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    return end > 0 ? hostPort.slice(1, end) : hostPort;
  }
  const colons = hostPort.split(':').length - 1;
  // one colon: host:port; more: a bare IPv6 address without a port
  return colons === 1 ? hostPort.slice(0, hostPort.indexOf(':')) : hostPort;
}

/** `url` when it is an http(s) URL (a link the UI may open), else null. */
export function httpUrl(url: string | null | undefined): string | null {
  if (!url) {
    return null;
  }
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** The placements the step summaries tell, by step name (steps with neither left out). */
export function placementsFrom(summaries: readonly StepSummary[] | null | undefined): Record<string, Placement> {
  const out: Record<string, Placement> = {};
  for (const s of summaries ?? []) {
    const dashboard = httpUrl(s.dashboard_link);
    if (s.worker || dashboard) {
      out[s.name] = { worker: s.worker ?? null, dashboard };
    }
  }
  return out;
}

/** True when both placement maps say the same (so a reload changes nothing). */
export function samePlacements(a: Record<string, Placement>, b: Record<string, Placement>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every(k => b[k] !== undefined && a[k].worker === b[k].worker && a[k].dashboard === b[k].dashboard)
  );
}

/** The distinct dashboards of a run's targets, in the order their steps come. */
export function dashboards(placements: Record<string, Placement>): string[] {
  const seen = new Set<string>();
  for (const p of Object.values(placements)) {
    if (p.dashboard) {
      seen.add(p.dashboard);
    }
  }
  return [...seen];
}

/** The tooltip of a DAG node: its file, and the host of the worker that ran it when known. */
export function nodeTitle(file: string, worker: string | null | undefined): string {
  const host = workerHost(worker);
  return host ? `${file}\nran on ${host}` : file;
}
