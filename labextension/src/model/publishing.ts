/**
 * The pure logic of publishing in the UI: published pipelines grouped by endpoint, whether
 * one can be submitted, v1's run request body from a form's values, the publish request,
 * and which form field a server error names.
 */
import type {
  EndpointVersion,
  ParameterDoc,
  PipelineEndpoint,
  PublishedPipeline,
  PublishedStatus
} from '../api/types';

/** One version of an endpoint, with its published pipeline when listed. */
export interface VersionEntry {
  version: string;
  isDefault: boolean;
  /** The URL running this version. */
  url: string | null;
  pipelineId: string;
  pipeline: PublishedPipeline | null;
  name: string;
  status: PublishedStatus | null;
}

/** An endpoint and its versions, newest first. */
export interface EndpointGroup {
  endpoint: PipelineEndpoint;
  versions: VersionEntry[];
  /** The default version (what the endpoint's URL runs). */
  defaultEntry: VersionEntry | null;
}

/** What the sidebar shows: endpoints by name, then published pipelines in no endpoint. */
export interface PublishedGroups {
  endpoints: EndpointGroup[];
  standalone: PublishedPipeline[];
}

/** Compares version labels: numbers numerically ("10" after "9"), else as text. */
export function compareVersions(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) {
    return x - y;
  }
  return a.localeCompare(b);
}

function entry(v: EndpointVersion, byId: Map<string, PublishedPipeline>): VersionEntry {
  const pipeline = byId.get(v.pipeline_id) ?? null;
  return {
    version: v.version,
    isDefault: v.default,
    url: v.endpoint,
    pipelineId: v.pipeline_id,
    pipeline,
    name: pipeline?.name ?? v.pipeline_name ?? v.pipeline_id.slice(0, 8),
    status: pipeline?.status ?? v.pipeline_status
  };
}

/** Group published pipelines under the endpoints that hold them. */
export function groupPublished(published: PublishedPipeline[], endpoints: PipelineEndpoint[]): PublishedGroups {
  const byId = new Map(published.map(p => [p.id, p]));
  const inEndpoint = new Set<string>();
  const groups = [...endpoints]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(endpoint => {
      const versions = endpoint.versions.map(v => entry(v, byId)).sort((a, b) => compareVersions(b.version, a.version));
      versions.forEach(v => inEndpoint.add(v.pipelineId));
      return { endpoint, versions, defaultEntry: versions.find(v => v.isDefault) ?? null };
    });
  const standalone = published
    .filter(p => !inEndpoint.has(p.id))
    .sort((a, b) => b.created - a.created);
  return { endpoints: groups, standalone };
}

/** Why a submit would be refused (a Disabled endpoint or pipeline), or null when it runs. */
export function submitRefusal(
  pipelineStatus: PublishedStatus | null,
  endpoint: PipelineEndpoint | null = null,
  version: string | null = null
): string | null {
  if (endpoint && endpoint.status === 'Disabled') {
    return `The endpoint ${endpoint.name} is Disabled: enable it to submit.`;
  }
  if (pipelineStatus === 'Disabled') {
    const what = endpoint ? `Version ${version ?? endpoint.default_version} of ${endpoint.name}` : 'This published pipeline';
    return `${what} is Disabled: enable it to submit.`;
  }
  return null;
}

/** A parameter's type: declared, else inferred from its default as the SDK does. */
export function parameterKind(param: ParameterDoc | undefined): string {
  const declared = param?.type === 'str' ? 'string' : param?.type;
  if (declared) {
    return declared;
  }
  const value = param?.default;
  if (typeof value === 'boolean') {
    return 'bool';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'int' : 'float';
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as object);
    return keys.some(k => /datastore/i.test(k)) ? 'datapath' : 'dataset';
  }
  return 'string';
}

/** The text a form shows for a parameter's default (data references shown as JSON). */
export function defaultText(param: ParameterDoc | undefined): string {
  const value = param?.default;
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * v1's run request body (`PipelineSubmissionInfo`) for a submit form: `values` holds the text
 * of each parameter's input. A scalar is sent only when its text differs from the default's
 * (as text, as v1 clients send them: the server converts it to the parameter's type). A
 * dataset parameter takes a dataset id or `name[:version]`; a datapath `datastore/path`;
 * empty ones keep their default.
 */
export function submissionBody(
  experiment: string,
  parameters: Record<string, ParameterDoc>,
  values: Record<string, string>
): Record<string, unknown> {
  const body: Record<string, unknown> = { ExperimentName: experiment.trim(), RunSource: 'JupyterLab' };
  const scalars: Record<string, string> = {};
  const datasets: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(values)) {
    const param = parameters[name];
    const kind = parameterKind(param);
    const value = text.trim();
    if (kind === 'dataset') {
      if (value) {
        const [dsName, version] = value.split(':');
        datasets[name] = UUID.test(value)
          ? { SavedDataSetReference: { Id: value } }
          : { DataSetReference: { Name: dsName, Version: version || 'latest' } };
      }
    } else if (kind === 'datapath') {
      if (value) {
        const slash = value.indexOf('/');
        paths[name] = {
          DataStoreName: slash < 0 ? value : value.slice(0, slash),
          RelativePath: slash < 0 ? '' : value.slice(slash + 1)
        };
      }
    } else if (text !== defaultText(param)) {
      scalars[name] = kind === 'string' ? text : value;
    }
  }
  if (Object.keys(scalars).length) {
    body.ParameterAssignments = scalars;
  }
  if (Object.keys(datasets).length) {
    body.DataSetDefinitionValueAssignments = datasets;
  }
  if (Object.keys(paths).length) {
    body.DataPathAssignments = paths;
  }
  return body;
}

/**
 * The form field a v1 error `target` names: a parameter (`ParameterAssignments.alpha`,
 * `DataPathAssignments.p.DataStoreName` -> `alpha`, `p`), `experiment` for `ExperimentName`,
 * else null (the message is shown above the fields).
 */
export function submitErrorField(target: string | null): string | null {
  if (!target) {
    return null;
  }
  const m = /^(?:ParameterAssignments|DataPathAssignments|DataSetDefinitionValueAssignments)\.([^.]+)/.exec(target);
  if (m) {
    return m[1];
  }
  return target === 'ExperimentName' ? 'experiment' : null;
}

/** Where a published pipeline goes: no endpoint, an existing one, or a new one. */
export type EndpointMode = 'none' | 'existing' | 'new';

/** The Publish dialog's values. */
export interface PublishForm {
  name: string;
  description: string;
  version: string;
  mode: EndpointMode;
  /** The existing endpoint's name (mode `existing`). */
  existing: string;
  /** The new endpoint's name (mode `new`). */
  newName: string;
  /** Make it the endpoint's default version (an existing endpoint; a new one's first is). */
  makeDefault: boolean;
}

/** The endpoint's name a form publishes into, or null. */
export function formEndpoint(form: PublishForm): string | null {
  const name = form.mode === 'existing' ? form.existing : form.mode === 'new' ? form.newName : '';
  return form.mode === 'none' ? null : name.trim();
}

/** The body of `POST published` for a pipeline file and the dialog's values. */
export function publishBody(path: string, form: PublishForm): Record<string, unknown> {
  const body: Record<string, unknown> = { path, name: form.name.trim(), description: form.description };
  if (form.version.trim()) {
    body.version = form.version.trim();
  }
  const endpoint = formEndpoint(form);
  if (endpoint !== null) {
    body.endpoint = endpoint;
    body.default = form.mode === 'new' ? true : form.makeDefault;
  }
  return body;
}

/** A form's problem found before asking the server (the server checks the rest). */
export function publishFormProblem(form: PublishForm, endpoints: string[]): { field: string; message: string } | null {
  const endpoint = formEndpoint(form);
  if (endpoint === '') {
    return {
      field: form.mode === 'new' ? 'endpoint-new' : 'endpoint-existing',
      message: form.mode === 'new' ? 'Type the new endpoint’s name.' : 'Choose an endpoint.'
    };
  }
  if (form.mode === 'new' && endpoint && endpoints.includes(endpoint)) {
    return {
      field: 'endpoint-new',
      message: `An endpoint named ${endpoint} exists already: choose it under “existing endpoint” to add a version.`
    };
  }
  return null;
}

const PUBLISH_FIELDS: Record<string, string> = {
  name: 'name',
  description: 'description',
  version: 'version',
  endpoint: 'endpoint',
  endpoint_description: 'endpoint',
  default: 'endpoint',
  path: 'name'
};

/**
 * The Publish dialog field a server message names (`'name' must be ...`: `name`), or null
 * when it names none (the message is then shown above the fields).
 */
export function publishErrorField(message: string): string | null {
  for (const m of message.matchAll(/'([a-z_]+)'/g)) {
    if (m[1] in PUBLISH_FIELDS) {
      return PUBLISH_FIELDS[m[1]];
    }
  }
  return /\bendpoint\b/i.test(message) ? 'endpoint' : null;
}

/**
 * How to reach a URL the server gave (an `endpoint`): as it is when it is under this page's
 * server base URL, else (a proxy rewrote the host) by its path under the API prefix, on the
 * server this page talks to.
 */
export function endpointTarget(
  url: string,
  baseUrl: string,
  prefix = 'jupyter-pipelines/api/'
): { url: string } | { path: string } {
  if (url.startsWith(baseUrl)) {
    return { url };
  }
  const at = url.indexOf(`/${prefix}`);
  if (at < 0) {
    throw new Error(`${url} is not a URL of the jupyter-pipelines API`);
  }
  return { path: url.slice(at + prefix.length + 1) };
}

/** An experiment name made from a pipeline's name (what the SDK accepts). */
export function experimentName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_') || 'published';
}
