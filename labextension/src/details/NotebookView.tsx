/**
 * A read-only, simple HTML view of an executed notebook (nbformat 4 JSON): code cells with
 * their text, image and error outputs; markdown shown as text. HTML outputs are not rendered
 * (their text/plain form is shown), so nothing from the notebook runs in the page.
 */
import * as React from 'react';

/** The parts of nbformat 4 this view reads. */
interface NbOutput {
  output_type: 'stream' | 'execute_result' | 'display_data' | 'error' | string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

interface NbCell {
  cell_type: 'code' | 'markdown' | 'raw' | string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: NbOutput[];
}

export interface Notebook {
  cells: NbCell[];
  [key: string]: unknown;
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** A multiline nbformat string. */
function join(text: string | string[] | undefined): string {
  return Array.isArray(text) ? text.join('') : text ?? '';
}

/** One output of a code cell. */
function Output(props: { output: NbOutput }): JSX.Element | null {
  const o = props.output;
  if (o.output_type === 'stream') {
    return <pre className={`jp-Pipelines-nbStream${o.name === 'stderr' ? ' jp-mod-stderr' : ''}`}>{join(o.text)}</pre>;
  }
  if (o.output_type === 'error') {
    return <pre className="jp-Pipelines-nbError">{(o.traceback ?? [`${o.ename}: ${o.evalue}`]).join('\n').replace(ANSI, '')}</pre>;
  }
  const data = o.data ?? {};
  for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
    if (data[mime]) {
      return <img className="jp-Pipelines-image" src={`data:${mime};base64,${join(data[mime]).replace(/\n/g, '')}`} alt={mime} />;
    }
  }
  if (data['image/svg+xml']) {
    const svg = join(data['image/svg+xml']);
    return <img className="jp-Pipelines-image" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} alt="svg" />;
  }
  if (data['text/plain']) {
    return <pre className="jp-Pipelines-nbResult">{join(data['text/plain'])}</pre>;
  }
  return null;
}

/** The notebook (`data-testid="notebook-view"`). */
export function NotebookView(props: { notebook: Notebook }): JSX.Element {
  const cells = Array.isArray(props.notebook.cells) ? props.notebook.cells : [];
  return (
    <div className="jp-Pipelines-notebook" data-testid="notebook-view">
      {cells.map((cell, i) => (
        <div key={i} className={`jp-Pipelines-nbCell jp-Pipelines-nb-${cell.cell_type}`}>
          {cell.cell_type === 'code' ? (
            <>
              <div className="jp-Pipelines-nbInput">
                <span className="jp-Pipelines-nbPrompt">[{cell.execution_count ?? ' '}]</span>
                <pre>{join(cell.source)}</pre>
              </div>
              {(cell.outputs ?? []).map((output, j) => (
                <Output key={j} output={output} />
              ))}
            </>
          ) : (
            <pre className="jp-Pipelines-nbMarkdown">{join(cell.source)}</pre>
          )}
        </div>
      ))}
    </div>
  );
}
