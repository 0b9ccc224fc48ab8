/** The editor's Publish action: ask, save unsaved edits, POST published, show the result. */
import type { JupyterFrontEnd } from '@jupyterlab/application';

import { ApiError, requestAPI } from '../api/request';
import type { PipelineEndpoint, PublishAnswer } from '../api/types';
import { publishBody, publishErrorField, publishFormProblem, type PublishForm } from '../model/publishing';
import { askPublish, initialPublishForm, showPublished, type PublishError } from './PublishDialog';
import type { PipelineEditorWidget } from './widget';

/** The commands of the runs plugin the editor calls when they exist. */
const SHOW_SIDEBAR = 'jupyter-pipelines:show-runs';
const REFRESH_SIDEBAR = 'jupyter-pipelines:refresh-sidebar';

/** Publish the editor's file: ask (again after a refusal), save, POST published, show it. */
export async function publishFile(widget: PipelineEditorWidget, app: JupyterFrontEnd): Promise<void> {
  const c = widget.controller;
  const context = widget.context;
  if (!c.doc) {
    return;
  }
  if (c.host.elyra) {
    c.notify('Save as .pipeline.yaml first: a pipeline is published from a .pipeline.yaml file.');
    return;
  }
  const active = document.activeElement as HTMLElement | null;
  if (active && widget.node.contains(active) && active.blur) {
    active.blur(); // commits a field being edited, as Save does
  }
  let endpoints: PipelineEndpoint[] = [];
  let endpointsError: string | null = null;
  try {
    endpoints = (await requestAPI<{ endpoints: PipelineEndpoint[] }>('pipeline-endpoints')).endpoints;
  } catch (error) {
    endpointsError = error instanceof Error ? error.message : String(error);
  }
  const path = context.localPath;
  const stem = path.split('/').pop()!.replace(/\.pipeline\.ya?ml$/, '');
  let form: PublishForm = widget.lastPublish ?? initialPublishForm(c.doc.name || stem, c.doc.description ?? '', endpoints);
  let error: PublishError | null = null;
  let answer: PublishAnswer | null = null;
  while (!answer) {
    const asked = await askPublish(path, form, endpoints, endpointsError, error);
    if (!asked) {
      return;
    }
    form = widget.lastPublish = asked;
    const problem = publishFormProblem(form, endpoints.map(e => e.name));
    if (problem) {
      error = { ...problem, issues: [] };
      continue;
    }
    await c.flush();
    if (context.model.dirty) {
      await context.save();
    }
    c.notify('Publishing…');
    try {
      answer = await requestAPI<PublishAnswer>('published', { body: publishBody(path, form) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      error = { field: publishErrorField(message), message, issues: err instanceof ApiError ? err.issues : [] };
      c.notify(null);
    }
  }
  const added = answer.endpoint_added;
  c.notify(`Published ${answer.name} (${answer.id.slice(0, 8)})${added ? ` to ${added.name}` : ''}`);
  if (added) {
    // The next publish adds a version to the endpoint this one made or joined.
    widget.lastPublish = { ...form, mode: 'existing', existing: added.name, newName: '' };
  }
  if (app.commands.hasCommand(REFRESH_SIDEBAR)) {
    void app.commands.execute(REFRESH_SIDEBAR);
  }
  if ((await showPublished(answer)) && app.commands.hasCommand(SHOW_SIDEBAR)) {
    void app.commands.execute(SHOW_SIDEBAR);
  }
}
