/**
 * The one helper that talks to the jupyter_pipelines REST API
 * (`<base_url>/jupyter-pipelines/api/...`, described in jupyter_pipelines/server/openapi.yaml).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { Issue } from './types';

export const API_PREFIX = 'jupyter-pipelines/api';

/**
 * An error answer of the API: its HTTP status, message, (for 400) validation issues, and (for
 * v1's run requests) the `target` field the server named as wrong.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Issue[] = [],
    readonly target: string | null = null
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The ApiError of an error answer's JSON: the API's `{message, error, issues}` or v1's
 * `{"error": {"message", "target", ...}}` (the run requests of published pipelines).
 */
export function errorFromAnswer(status: number, data: unknown, fallback: string): ApiError {
  if (data && typeof data === 'object') {
    const body = data as Record<string, any>;
    if (body.error && typeof body.error === 'object') {
      const v1 = body.error as Record<string, any>;
      return new ApiError(status, String(v1.message ?? fallback), [], v1.target ? String(v1.target) : null);
    }
    if (body.message) {
      return new ApiError(status, String(body.message), Array.isArray(body.issues) ? body.issues : []);
    }
  }
  return new ApiError(status, fallback);
}

/** The full URL of an API path such as `runs/abc/steps`. */
export function apiUrl(
  path: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return URLExt.join(settings.baseUrl, API_PREFIX, path);
}

/** The WebSocket URL of an API path (token included when the settings carry one). */
export function apiWsUrl(
  path: string,
  query: Record<string, string | number> = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    params.set(key, String(value));
  }
  if (settings.token) {
    params.set('token', settings.token);
  }
  const qs = params.toString();
  return URLExt.join(settings.wsUrl, API_PREFIX, path) + (qs ? `?${qs}` : '');
}

/**
 * Call the API and return its JSON answer. `body` is sent as JSON; a non-2xx answer
 * throws an ApiError carrying the server's message and issues.
 */
export async function requestAPI<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: Record<string, string | number | undefined> } = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  let url = apiUrl(path, settings);
  if (init.query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(init.query)) {
      if (value !== undefined && value !== '') {
        params.set(key, String(value));
      }
    }
    const qs = params.toString();
    if (qs) {
      url += `?${qs}`;
    }
  }
  return requestURL<T>(url, init, settings, path);
}

/**
 * Call a URL of this Jupyter server (under its base URL: a published pipeline's `endpoint`)
 * and return its JSON answer; errors as requestAPI's.
 */
export async function requestURL<T>(
  url: string,
  init: { method?: string; body?: unknown } = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  label: string = url
): Promise<T> {
  const request: RequestInit = { method: init.method ?? (init.body === undefined ? 'GET' : 'POST') };
  if (init.body !== undefined) {
    request.body = JSON.stringify(init.body);
    request.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new ApiError(0, `cannot reach the Jupyter server: ${String(error)}`);
  }
  const text = await response.text();
  let data: any = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    throw errorFromAnswer(response.status, data, `${response.status} ${response.statusText} from ${label}`);
  }
  return data as T;
}

/** The raw text of an API path (a step's file), or an ApiError. */
export async function requestText(
  path: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<string> {
  const response = await ServerConnection.makeRequest(apiUrl(path, settings), {}, settings);
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText} from ${path}`;
    try {
      message = JSON.parse(text).message ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, message);
  }
  return text;
}
