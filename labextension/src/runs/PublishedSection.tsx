/**
 * The sidebar's "Published pipelines" section: endpoints with their versions (the default
 * marked), then published pipelines in no endpoint; each with its URL (copy), enable /
 * disable, and Submit (a parameters dialog, then v1's run request to its URL).
 */
import * as React from 'react';

import type { ParameterDoc, PipelineEndpoint, PublishedPipeline, PublishedStatus } from '../api/types';
import { EndpointGroup, experimentName, groupPublished, submitRefusal, VersionEntry } from '../model/publishing';
import { formatTime } from './format';
import { copyText, setPublishedStatus, submitPublished, updateEndpoint } from './publishedActions';
import type { PublishingState } from './usePublishing';

/** What the section asks of the sidebar. */
export interface PublishedActions {
  /** A run was submitted: show it (open its view, refresh the run lists). */
  submitted: (runId: string) => void;
  /** Reload the publishing data (after a change). */
  reload: () => void;
}

/** An Active / Disabled badge. */
export function ActiveBadge(props: { status: PublishedStatus | null }): JSX.Element {
  const status = props.status ?? 'Active';
  return (
    <span className="jp-Pipelines-badge jp-Pipelines-activeBadge" data-status={status.toLowerCase()}>
      {status}
    </span>
  );
}

/** The small buttons every entry has: Submit, Copy URL, Enable / Disable. */
function EntryButtons(props: {
  url: string | null;
  urlWhat: string;
  refusal: string | null;
  onSubmit: () => void;
  status: PublishedStatus | null;
  onToggle: () => void;
  toggleWhat: string;
  children?: React.ReactNode;
}): JSX.Element {
  const disabled = props.status === 'Disabled';
  return (
    <div className="jp-Pipelines-entryActions">
      <button
        className="jp-Pipelines-smallButton jp-mod-accept"
        data-testid="submit-published"
        disabled={!props.url || props.refusal !== null}
        title={props.refusal ?? 'Submit a run with parameters (v1’s run request to this URL)'}
        onClick={props.onSubmit}
      >
        Submit
      </button>
      <button
        className="jp-Pipelines-smallButton"
        data-testid="copy-url"
        data-url={props.url ?? ''}
        disabled={!props.url}
        title={props.url ? `Copy ${props.url}` : 'No URL'}
        onClick={() => props.url && copyText(props.url, props.urlWhat)}
      >
        Copy URL
      </button>
      <button
        className="jp-Pipelines-smallButton"
        data-testid="toggle-status"
        title={disabled ? `Enable ${props.toggleWhat}` : `Disable ${props.toggleWhat}: it refuses to run until enabled`}
        onClick={props.onToggle}
      >
        {disabled ? 'Enable' : 'Disable'}
      </button>
      {props.children}
    </div>
  );
}

/** The label of a published pipeline: its name and version label. */
function pipelineLabel(name: string, version: string | null | undefined): string {
  return version ? `${name} · ${version}` : name;
}

function flip(status: PublishedStatus | null): PublishedStatus {
  return status === 'Disabled' ? 'Active' : 'Disabled';
}

/** One version of an endpoint. */
function VersionRow(props: { group: EndpointGroup; entry: VersionEntry; actions: PublishedActions; submit: Submit }): JSX.Element {
  const { group, entry, actions } = props;
  const endpoint = group.endpoint;
  const refusal = submitRefusal(entry.status, endpoint, entry.version);
  const onToggle = async () => {
    if (await setPublishedStatus(entry.pipelineId, `version ${entry.version} of ${endpoint.name}`, flip(entry.status))) {
      actions.reload();
    }
  };
  const onDefault = async () => {
    if (await updateEndpoint(endpoint.id, endpoint.name, { default_version: entry.version })) {
      actions.reload();
    }
  };
  return (
    <li
      className="jp-Pipelines-entry jp-Pipelines-version"
      data-testid="endpoint-version"
      data-version={entry.version}
      data-pipeline-id={entry.pipelineId}
      data-default={entry.isDefault ? 'true' : 'false'}
      data-status={entry.status ?? ''}
    >
      <div className="jp-Pipelines-runMain">
        <span className="jp-Pipelines-versionTag" title={`version ${entry.version} of ${endpoint.name}`}>
          v{entry.version}
        </span>
        <span className="jp-Pipelines-entryName" title={`${entry.name}\n${entry.pipelineId}`}>
          {pipelineLabel(entry.name, entry.pipeline?.version)}
        </span>
        <ActiveBadge status={entry.status} />
      </div>
      <div className="jp-Pipelines-runMeta">
        {entry.isDefault && (
          <span className="jp-Pipelines-default" data-testid="default-mark" title="The endpoint’s URL runs this version">
            ★ default
          </span>
        )}
        <span
          className="jp-Pipelines-mono"
          title={`published pipeline ${entry.pipelineId}${entry.pipeline ? `, published ${formatTime(entry.pipeline.created)}` : ''}`}
        >
          {entry.pipelineId.slice(0, 8)}
        </span>
      </div>
      <EntryButtons
        url={entry.url}
        urlWhat={`the URL of version ${entry.version} of ${endpoint.name}`}
        refusal={refusal}
        status={entry.status}
        toggleWhat="this published pipeline"
        onToggle={() => void onToggle()}
        onSubmit={() =>
          props.submit(`Submit ${endpoint.name} version ${entry.version}`, entry.url, entry.pipeline?.parameters ?? {}, endpoint.name)
        }
      >
        {!entry.isDefault && (
          <button
            className="jp-Pipelines-smallButton"
            data-testid="set-default"
            title={`Make version ${entry.version} the one ${endpoint.name}’s URL runs`}
            onClick={() => void onDefault()}
          >
            Make default
          </button>
        )}
      </EntryButtons>
    </li>
  );
}

/** An endpoint: header (name, status, URL, Submit the default) and its versions. */
function EndpointItem(props: { group: EndpointGroup; actions: PublishedActions; submit: Submit }): JSX.Element {
  const [open, setOpen] = React.useState(true);
  const { group, actions } = props;
  const endpoint: PipelineEndpoint = group.endpoint;
  const refusal = submitRefusal(group.defaultEntry?.status ?? null, endpoint, endpoint.default_version);
  const onToggle = async () => {
    if (await updateEndpoint(endpoint.id, endpoint.name, { status: flip(endpoint.status) })) {
      actions.reload();
    }
  };
  return (
    <li className="jp-Pipelines-endpoint" data-testid="endpoint" data-endpoint={endpoint.name} data-status={endpoint.status}>
      <div className="jp-Pipelines-endpointHeader">
        <button className="jp-Pipelines-groupHeader" onClick={() => setOpen(!open)} aria-expanded={open} title={endpoint.description || endpoint.name}>
          <span className="jp-Pipelines-caret">{open ? '▾' : '▸'}</span>
          <span className="jp-Pipelines-entryName">{endpoint.name}</span>
          <ActiveBadge status={endpoint.status} />
          <span className="jp-Pipelines-count">
            {group.versions.length} version{group.versions.length === 1 ? '' : 's'}
          </span>
        </button>
      </div>
      <div className="jp-Pipelines-url jp-Pipelines-mono" data-testid="endpoint-url" title={endpoint.endpoint ?? ''}>
        {endpoint.endpoint}
      </div>
      <EntryButtons
        url={endpoint.endpoint}
        urlWhat={`the URL of endpoint ${endpoint.name}`}
        refusal={refusal}
        status={endpoint.status}
        toggleWhat="this endpoint"
        onToggle={() => void onToggle()}
        onSubmit={() =>
          props.submit(
            `Submit ${endpoint.name} (default: version ${endpoint.default_version})`,
            endpoint.endpoint,
            group.defaultEntry?.pipeline?.parameters ?? {},
            endpoint.name
          )
        }
      />
      {open && (
        <ul className="jp-Pipelines-versionList">
          {group.versions.map(entry => (
            <VersionRow key={entry.version} group={group} entry={entry} actions={actions} submit={props.submit} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** A published pipeline in no endpoint. */
function PublishedRow(props: { pipeline: PublishedPipeline; actions: PublishedActions; submit: Submit }): JSX.Element {
  const { pipeline: p, actions } = props;
  const onToggle = async () => {
    if (await setPublishedStatus(p.id, p.name, flip(p.status))) {
      actions.reload();
    }
  };
  return (
    <li className="jp-Pipelines-entry" data-testid="published-row" data-pipeline-id={p.id} data-status={p.status}>
      <div className="jp-Pipelines-runMain">
        <span className="jp-Pipelines-entryName" title={`${p.name}\n${p.description}\n${p.id}`}>
          {pipelineLabel(p.name, p.version)}
        </span>
        <ActiveBadge status={p.status} />
      </div>
      <div className="jp-Pipelines-runMeta">
        <span className="jp-Pipelines-mono" title={p.id}>
          {p.id.slice(0, 8)}
        </span>
        <span title="published">{formatTime(p.created)}</span>
        <span title="steps">{p.total_run_steps} steps</span>
      </div>
      <div className="jp-Pipelines-url jp-Pipelines-mono" data-testid="published-url" title={p.endpoint ?? ''}>
        {p.endpoint}
      </div>
      <EntryButtons
        url={p.endpoint}
        urlWhat={`the URL of ${p.name}`}
        refusal={submitRefusal(p.status)}
        status={p.status}
        toggleWhat="this published pipeline"
        onToggle={() => void onToggle()}
        onSubmit={() => props.submit(`Submit ${pipelineLabel(p.name, p.version)}`, p.endpoint, p.parameters, p.name)}
      />
    </li>
  );
}

type Submit = (title: string, url: string | null, parameters: Record<string, ParameterDoc>, name: string) => void;

/** True when an endpoint group or published pipeline matches the filter's words. */
function matches(words: string[], ...texts: (string | null | undefined)[]): boolean {
  const hay = texts.join(' ').toLowerCase();
  return words.every(word => hay.includes(word));
}

/** The section (`data-testid="published-section"`). */
export function PublishedSection(props: { data: PublishingState; filter: string; actions: PublishedActions }): JSX.Element {
  const { data, actions } = props;
  const [open, setOpen] = React.useState(true);
  const words = props.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const groups = React.useMemo(() => groupPublished(data.published, data.endpoints), [data.published, data.endpoints]);
  const endpoints = groups.endpoints.filter(g =>
    matches(words, g.endpoint.name, g.endpoint.description, ...g.versions.map(v => v.name))
  );
  const standalone = groups.standalone.filter(p => matches(words, p.name, p.description, p.id, p.version));
  const submit: Submit = (title, url, parameters, name) => {
    if (!url) {
      return;
    }
    void submitPublished({ title, url, parameters, experiment: experimentName(name) }).then(runId => {
      if (runId) {
        actions.submitted(runId);
      }
    });
  };
  const count = data.published.length;
  return (
    <section className="jp-Pipelines-section" data-testid="published-section">
      <h3>
        <button className="jp-Pipelines-sectionToggle" onClick={() => setOpen(!open)} aria-expanded={open}>
          <span className="jp-Pipelines-caret">{open ? '▾' : '▸'}</span>
          Published pipelines
          {count > 0 && <span className="jp-Pipelines-count">{count}</span>}
        </button>
      </h3>
      {open && data.error && <div className="jp-Pipelines-error">{data.error}</div>}
      {open &&
        (endpoints.length === 0 && standalone.length === 0 ? (
          <div className="jp-Pipelines-empty">
            {data.loading
              ? 'Loading…'
              : words.length && count
                ? 'No published pipeline matches the filter.'
                : 'Nothing published yet: use Publish in a pipeline’s editor.'}
          </div>
        ) : (
          <ul className="jp-Pipelines-publishedList">
            {endpoints.map(g => (
              <EndpointItem key={g.endpoint.id} group={g} actions={actions} submit={submit} />
            ))}
            {standalone.length > 0 && (
              <li className="jp-Pipelines-standalone" data-testid="standalone">
                {endpoints.length > 0 && <div className="jp-Pipelines-subhead">Not in an endpoint</div>}
                <ul>
                  {standalone.map(p => (
                    <PublishedRow key={p.id} pipeline={p} actions={actions} submit={submit} />
                  ))}
                </ul>
              </li>
            )}
          </ul>
        ))}
    </section>
  );
}
