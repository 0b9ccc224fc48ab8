/**
 * A step run's outputs: its named outputs and their paths, its files (opened in a read-only
 * viewer) and its executed notebook (opened in JupyterLab when visible there, else rendered).
 */
import * as React from 'react';

import { requestAPI } from '../api/request';
import type { StepDetail } from '../api/types';
import { FileViewer } from './FileViewer';
import { Notebook, NotebookView } from './NotebookView';

/** True for a path relative to the server root that JupyterLab shows (no hidden part). */
export function isVisiblePath(path: string | null | undefined): path is string {
  return !!path && !path.startsWith('/') && !/^[a-zA-Z]:/.test(path) && !path.split('/').some(p => p.startsWith('.') || p === '');
}

export interface StepOutputsProps {
  runId: string;
  step: string;
  detail: StepDetail | null;
  /** Reload files when this changes (the step's status). */
  version: string;
  openPath?: (path: string) => void;
}

/** The outputs section (`data-testid="step-outputs"`). */
export function StepOutputs(props: StepOutputsProps): JSX.Element {
  const { runId, step, detail, openPath } = props;
  const base = `runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(step)}`;
  const [files, setFiles] = React.useState<string[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [open, setOpen] = React.useState<string | null>(null);
  const [notebook, setNotebook] = React.useState<Notebook | null>(null);
  const [notebookError, setNotebookError] = React.useState<string | null>(null);

  React.useEffect(() => {
    let disposed = false;
    requestAPI<{ files: string[] }>(`${base}/files`)
      .then(answer => !disposed && (setFiles(answer.files), setError(null)))
      .catch(err => !disposed && setError((err as Error).message ?? String(err)));
    return () => {
      disposed = true;
    };
  }, [base, props.version]);

  const notebookPath = (detail?.notebook ?? null) as string | null;
  const isNotebookStep = files?.some(f => f.endsWith('.ipynb')) || !!notebookPath;
  const showNotebook = async () => {
    if (isVisiblePath(notebookPath) && openPath) {
      openPath(notebookPath);
      return;
    }
    setNotebookError(null);
    try {
      setNotebook(await requestAPI<Notebook>(`${base}/notebook`));
    } catch (err) {
      setNotebookError((err as Error).message ?? String(err));
    }
  };

  const outputs = Object.entries(detail?.outputs ?? {});
  return (
    <div className="jp-Pipelines-outputs" data-testid="step-outputs">
      <h4>Outputs</h4>
      {outputs.length === 0 ? (
        <div className="jp-Pipelines-empty">No named outputs.</div>
      ) : (
        <table className="jp-Pipelines-table">
          <tbody>
            {outputs.map(([name, path]) => (
              <tr key={name} data-output={name}>
                <th>{name}</th>
                <td className="jp-Pipelines-mono">
                  {isVisiblePath(path) && openPath ? (
                    <button className="jp-Pipelines-link" onClick={() => openPath(path)}>
                      {path}
                    </button>
                  ) : (
                    path ?? '(not written yet)'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {isNotebookStep && (
        <div className="jp-Pipelines-notebookBar">
          <button className="jp-Button jp-mod-styled" data-testid="open-notebook" onClick={() => void showNotebook()}>
            {isVisiblePath(notebookPath) && openPath ? 'Open executed notebook' : 'Show executed notebook'}
          </button>
          {notebook && (
            <button className="jp-Pipelines-smallButton" onClick={() => setNotebook(null)}>
              Hide
            </button>
          )}
        </div>
      )}
      {notebookError && <div className="jp-Pipelines-error">{notebookError}</div>}
      {notebook && <NotebookView notebook={notebook} />}
      <h4>Files</h4>
      {error && <div className="jp-Pipelines-error">{error}</div>}
      {files && files.length === 0 && <div className="jp-Pipelines-empty">No files.</div>}
      {files && files.length > 0 && (
        <ul className="jp-Pipelines-fileList">
          {files.map(file => (
            <li key={file}>
              <button
                className={`jp-Pipelines-link${open === file ? ' jp-mod-selected' : ''}`}
                data-testid="step-file"
                data-file={file}
                onClick={() => setOpen(open === file ? null : file)}
              >
                {file}
              </button>
            </li>
          ))}
        </ul>
      )}
      {open && <FileViewer runId={runId} step={step} file={open} onClose={() => setOpen(null)} />}
    </div>
  );
}
