/**
 * A read-only view of an executed notebook (nbformat 4 JSON), rendered the way JupyterLab
 * renders a notebook's outputs: each output through JupyterLab's rendermime registry (plots
 * and images, HTML tables sanitized, Markdown, LaTeX, coloured tracebacks), markdown cells as
 * Markdown, code cells with their prompt. The notebook is untrusted: no script runs, and
 * only the safe mime types render. Without a registry (no JupyterLab), a plain fallback.
 */
import * as React from 'react';
import { MimeModel, type IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { joinText, mergeStreams, notebookCells, outputBundle, type MimeOutput, type NbCell, type Notebook } from '../model/notebook';

export type { Notebook };

/** JupyterLab's rendermime registry, given by the plugins (null: the plain fallback). */
export const RenderMimeContext = React.createContext<IRenderMimeRegistry | null>(null);

/** One mime bundle rendered by the registry's preferred safe renderer. */
function Rendered(props: { output: MimeOutput; rendermime: IRenderMimeRegistry; fallback: string }): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const [failed, setFailed] = React.useState(false);
  const { output, rendermime } = props;
  React.useEffect(() => {
    const node = host.current;
    const mime = rendermime.preferredMimeType(output.data as any, 'ensure');
    if (!node || !mime) {
      setFailed(!mime);
      return;
    }
    const renderer = rendermime.createRenderer(mime);
    const model = new MimeModel({ data: output.data as any, metadata: output.metadata as any, trusted: false });
    renderer.renderModel(model).catch(() => setFailed(true));
    Widget.attach(renderer, node);
    return () => renderer.dispose();
  }, [output, rendermime]);
  if (failed) {
    return <pre className="jp-Pipelines-nbResult">{props.fallback}</pre>;
  }
  return <div ref={host} className={`jp-Pipelines-nbOutput jp-OutputArea-output jp-mod-${output.kind}`} data-kind={output.kind} />;
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** One output without a registry: text, images, else its text/plain form. */
function PlainOutput(props: { output: MimeOutput }): JSX.Element | null {
  const data = props.output.data;
  for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
    if (typeof data[mime] === 'string') {
      return <img className="jp-Pipelines-image" src={`data:${mime};base64,${(data[mime] as string).replace(/\n/g, '')}`} alt={mime} />;
    }
  }
  const text = data['application/vnd.jupyter.stdout'] ?? data['application/vnd.jupyter.stderr'] ?? data['text/plain'];
  if (typeof text !== 'string') {
    return null;
  }
  const cls = props.output.kind === 'error' ? 'jp-Pipelines-nbError' : props.output.kind === 'stderr' ? 'jp-Pipelines-nbStream jp-mod-stderr' : 'jp-Pipelines-nbStream';
  return <pre className={cls}>{text.replace(ANSI, '')}</pre>;
}

/** A bundle's text, shown when no renderer takes it. */
function fallbackText(output: MimeOutput): string {
  const d = output.data;
  const text = d['text/plain'] ?? d['application/vnd.jupyter.stdout'] ?? d['application/vnd.jupyter.stderr'];
  return typeof text === 'string' ? text.replace(ANSI, '') : `(${Object.keys(d).join(', ')})`;
}

function Cell(props: { cell: NbCell; rendermime: IRenderMimeRegistry | null }): JSX.Element {
  const { cell, rendermime } = props;
  const source = joinText(cell.source);
  const outputs = React.useMemo(
    () => mergeStreams(cell.outputs ?? []).map(outputBundle).filter((o): o is MimeOutput => o !== null),
    [cell.outputs]
  );
  const markdown = React.useMemo<MimeOutput>(() => ({ data: { 'text/markdown': source }, metadata: {}, kind: 'display' }), [source]);
  if (cell.cell_type === 'markdown') {
    return (
      <div className="jp-Pipelines-nbCell jp-Pipelines-nb-markdown" data-cell="markdown">
        {rendermime ? <Rendered output={markdown} rendermime={rendermime} fallback={source} /> : <pre className="jp-Pipelines-nbMarkdown">{source}</pre>}
      </div>
    );
  }
  if (cell.cell_type !== 'code') {
    return (
      <div className="jp-Pipelines-nbCell jp-Pipelines-nb-raw" data-cell="raw">
        <pre>{source}</pre>
      </div>
    );
  }
  return (
    <div className="jp-Pipelines-nbCell jp-Pipelines-nb-code" data-cell="code">
      <div className="jp-Pipelines-nbInput">
        <span className="jp-Pipelines-nbPrompt">[{cell.execution_count ?? ' '}]:</span>
        <pre>{source}</pre>
      </div>
      {outputs.length > 0 && (
        <div className="jp-Pipelines-nbOutputs">
          {outputs.map((output, j) =>
            rendermime ? <Rendered key={j} output={output} rendermime={rendermime} fallback={fallbackText(output)} /> : <PlainOutput key={j} output={output} />
          )}
        </div>
      )}
    </div>
  );
}

/** The notebook (`data-testid="notebook-view"`). */
export function NotebookView(props: { notebook: Notebook }): JSX.Element {
  const rendermime = React.useContext(RenderMimeContext);
  const cells = notebookCells(props.notebook);
  return (
    <div className="jp-Pipelines-notebook" data-testid="notebook-view" data-rendered={rendermime ? 'jupyterlab' : 'plain'}>
      {cells.map((cell, i) => (
        <Cell key={i} cell={cell} rendermime={rendermime} />
      ))}
    </div>
  );
}
