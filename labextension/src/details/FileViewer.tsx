/** A read-only view of one file of a step run: text in a panel, images inline. */
import * as React from 'react';

import { requestText } from '../api/request';
import { fetchFileBlob, fileKind, stepFilePath } from './files';

/** The most text shown of a file (characters). */
const MAX_TEXT = 500_000;

/** The viewer (`data-testid="file-view"`, `data-file` the file name). */
export function FileViewer(props: { runId: string; step: string; file: string; onClose: () => void }): JSX.Element {
  const kind = fileKind(props.file);
  const [text, setText] = React.useState<string | null>(null);
  const [url, setUrl] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const path = stepFilePath(props.runId, props.step, props.file);

  React.useEffect(() => {
    let disposed = false;
    let objectUrl: string | null = null;
    setText(null);
    setUrl(null);
    setError(null);
    const load = async () => {
      try {
        if (kind === 'text') {
          const body = await requestText(path);
          if (!disposed) {
            setText(body.length > MAX_TEXT ? `${body.slice(0, MAX_TEXT)}\n… (truncated)` : body);
          }
        } else {
          const blob = await fetchFileBlob(path);
          if (!disposed) {
            objectUrl = URL.createObjectURL(blob);
            setUrl(objectUrl);
          }
        }
      } catch (err) {
        if (!disposed) {
          setError((err as Error).message ?? String(err));
        }
      }
    };
    void load();
    return () => {
      disposed = true;
      if (objectUrl) {
        URL.revokeObjectURL(objectUrl);
      }
    };
  }, [path, kind]);

  return (
    <div className="jp-Pipelines-fileView" data-testid="file-view" data-file={props.file}>
      <div className="jp-Pipelines-fileViewHeader">
        <span className="jp-Pipelines-mono">{props.file}</span>
        {url && (
          <a className="jp-Pipelines-link" href={url} download={props.file.split('/').pop()}>
            download
          </a>
        )}
        <button className="jp-Pipelines-smallButton" onClick={props.onClose} title="Close">
          ✕
        </button>
      </div>
      {error && <div className="jp-Pipelines-error">{error}</div>}
      {!error && text === null && url === null && <div className="jp-Pipelines-empty">Loading…</div>}
      {text !== null && <pre className="jp-Pipelines-fileText">{text}</pre>}
      {url && kind === 'image' && <img className="jp-Pipelines-image" src={url} alt={props.file} />}
      {url && kind === 'binary' && <div className="jp-Pipelines-empty">A binary file: use download.</div>}
    </div>
  );
}
