/**
 * The actions on published pipelines and endpoints: copy a URL, enable / disable, move an
 * endpoint's default, and submit (v1's run request posted to the entry's URL).
 */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, requestAPI, requestURL } from '../api/request';
import type { ParameterDoc, PublishedStatus, V1RunAnswer } from '../api/types';
import { endpointTarget, submissionBody, submitErrorField } from '../model/publishing';
import { errorMessage } from './format';
import { askSubmit, FormError, initialValues } from './SubmitDialog';

/** Put `text` on the system clipboard and say so. */
export function copyText(text: string, what: string): void {
  Clipboard.copyToSystem(text);
  Notification.info(`Copied ${what}: ${text}`, { autoClose: 3000 });
}

/** PATCH a published pipeline's status; true when done (else the error was notified). */
export async function setPublishedStatus(id: string, name: string, status: PublishedStatus): Promise<boolean> {
  try {
    await requestAPI(`published/${encodeURIComponent(id)}`, { method: 'PATCH', body: { status } });
    Notification.info(`${name} is ${status}`, { autoClose: 3000 });
    return true;
  } catch (error) {
    Notification.error(`Cannot set ${name} ${status}: ${errorMessage(error)}`, { autoClose: 8000 });
    return false;
  }
}

/** PATCH an endpoint (`status`, `default_version`); true when done. */
export async function updateEndpoint(
  id: string,
  name: string,
  change: { status?: PublishedStatus; default_version?: string }
): Promise<boolean> {
  const what = change.status ? `${name} is ${change.status}` : `${name} runs version ${change.default_version} by default`;
  try {
    await requestAPI(`pipeline-endpoints/${encodeURIComponent(id)}`, { method: 'PATCH', body: change });
    Notification.info(what, { autoClose: 3000 });
    return true;
  } catch (error) {
    Notification.error(`Cannot change endpoint ${name}: ${errorMessage(error)}`, { autoClose: 8000 });
    return false;
  }
}

/** What a Submit button runs: a URL that takes v1's run request, and its parameters. */
export interface SubmitTarget {
  /** The dialog's title ("Submit nightly (version 2.0)"). */
  title: string;
  url: string;
  parameters: Record<string, ParameterDoc>;
  experiment: string;
}

/** POST v1's body to `url` (on this server); v1's answer, or an ApiError with v1's target. */
export async function postRunRequest(url: string, body: Record<string, unknown>): Promise<V1RunAnswer> {
  const settings = ServerConnection.makeSettings();
  const target = endpointTarget(url, settings.baseUrl);
  return 'url' in target
    ? requestURL<V1RunAnswer>(target.url, { body }, settings)
    : requestAPI<V1RunAnswer>(target.path, { body }, settings);
}

/**
 * Ask for the parameters, post v1's run request, and answer the new run's id; a refusal
 * opens the dialog again with the server's message under the field it names. Null when
 * canceled.
 */
export async function submitPublished(target: SubmitTarget): Promise<string | null> {
  let values = initialValues(target.parameters, target.experiment);
  let error: FormError | null = null;
  for (;;) {
    const asked = await askSubmit(target.title, target.url, target.parameters, values, error);
    if (!asked) {
      return null;
    }
    values = asked;
    try {
      const answer = await postRunRequest(target.url, submissionBody(asked.experiment, target.parameters, asked.values));
      Notification.success(`Submitted run ${answer.Id.slice(0, 8)} to ${answer.RunHistoryExperimentName ?? asked.experiment}`, {
        autoClose: 3000
      });
      return answer.Id;
    } catch (err) {
      const field = err instanceof ApiError ? submitErrorField(err.target) : null;
      const status = err instanceof ApiError && err.status ? ` (${err.status})` : '';
      error = { field, message: `The server refused the run${status}: ${errorMessage(err)}` };
    }
  }
}
