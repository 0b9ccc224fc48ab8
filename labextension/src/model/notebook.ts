/**
 * An executed notebook (nbformat 4 JSON) as what JupyterLab's renderers take: each cell's
 * source, and each output as a mime bundle (streams and errors as JupyterLab's own
 * `application/vnd.jupyter.stdout` / `stderr` types, as its output area does).
 */

/** The parts of nbformat 4 read here. */
export interface NbOutput {
  output_type: 'stream' | 'execute_result' | 'display_data' | 'error' | string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  execution_count?: number | null;
}

export interface NbCell {
  cell_type: 'code' | 'markdown' | 'raw' | string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: NbOutput[];
}

export interface Notebook {
  cells: NbCell[];
  [key: string]: unknown;
}

/** A mime bundle and its metadata (what a rendermime renderer renders). */
export interface MimeOutput {
  data: Record<string, string | object>;
  metadata: Record<string, unknown>;
  /** A stream, error or result: the class the output gets (`jp-mod-stderr`, ...). */
  kind: 'stdout' | 'stderr' | 'error' | 'result' | 'display';
}

/** A multiline nbformat string. */
export function joinText(text: unknown): string {
  return Array.isArray(text) ? text.join('') : typeof text === 'string' ? text : '';
}

/** One output as a mime bundle (null for an output with nothing to show). */
export function outputBundle(o: NbOutput): MimeOutput | null {
  if (o.output_type === 'stream') {
    const stderr = o.name === 'stderr';
    const mime = stderr ? 'application/vnd.jupyter.stderr' : 'application/vnd.jupyter.stdout';
    return { data: { [mime]: joinText(o.text) }, metadata: {}, kind: stderr ? 'stderr' : 'stdout' };
  }
  if (o.output_type === 'error') {
    const text = (o.traceback?.length ? o.traceback : [`${o.ename ?? 'Error'}: ${o.evalue ?? ''}`]).join('\n');
    return { data: { 'application/vnd.jupyter.stderr': text }, metadata: {}, kind: 'error' };
  }
  if (o.output_type === 'execute_result' || o.output_type === 'display_data') {
    const data: Record<string, string | object> = {};
    for (const [mime, value] of Object.entries(o.data ?? {})) {
      // JSON types (application/json, vnd.*+json) stay objects; the others are text
      data[mime] = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as object) : joinText(value);
    }
    if (!Object.keys(data).length) {
      return null;
    }
    return { data, metadata: o.metadata ?? {}, kind: o.output_type === 'execute_result' ? 'result' : 'display' };
  }
  return null;
}

/** Consecutive stream outputs of one name merged (as a notebook shows them). */
export function mergeStreams(outputs: NbOutput[]): NbOutput[] {
  const out: NbOutput[] = [];
  for (const o of outputs) {
    const last = out[out.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) {
      out[out.length - 1] = { ...last, text: joinText(last.text) + joinText(o.text) };
    } else {
      out.push(o);
    }
  }
  return out;
}

/** The cells of a notebook JSON value (none when it is not one). */
export function notebookCells(nb: unknown): NbCell[] {
  const cells = (nb as Notebook | null)?.cells;
  return Array.isArray(cells) ? cells : [];
}
