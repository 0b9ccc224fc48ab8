/** Fetching a step run's files (GET runs/{id}/steps/{step}/files/{path}) as text or images. */
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, apiUrl } from '../api/request';

/** The API path of file `file` of a step run (each path segment encoded). */
export function stepFilePath(runId: string, step: string, file: string): string {
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(step)}/files/${encoded}`;
}

const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
const TEXT = /\.(txt|log|csv|tsv|json|jsonl|ya?ml|md|py|r|sh|ini|cfg|toml|xml|html?|out|err)$|(^|\/)[^.]+$/i;

/** How a file is shown: an image inline, text in a panel, else only offered for download. */
export function fileKind(name: string): 'image' | 'text' | 'binary' {
  if (IMAGE.test(name)) {
    return 'image';
  }
  return TEXT.test(name) ? 'text' : 'binary';
}

/** A file's bytes as a Blob, or an ApiError. */
export async function fetchFileBlob(path: string): Promise<Blob> {
  const settings = ServerConnection.makeSettings();
  const response = await ServerConnection.makeRequest(apiUrl(path, settings), {}, settings);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).message ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, message);
  }
  return response.blob();
}
