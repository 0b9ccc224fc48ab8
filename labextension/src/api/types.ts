/** Shapes of the JSON the REST API answers (see docs/server.md and server/openapi.yaml). */

/** A validation problem: `step` and `field` say where, when known. */
export interface Issue {
  severity: 'error' | 'warning';
  step: string | null;
  field: string | null;
  message: string;
}

/** The store's statuses of runs and step runs. */
export type Status =
  | 'NotStarted'
  | 'Queued'
  | 'Running'
  | 'CancelRequested'
  | 'Finished'
  | 'Failed'
  | 'Canceled';

export const TERMINAL: ReadonlySet<string> = new Set(['Finished', 'Failed', 'Canceled']);

export interface RunSummary {
  id: string;
  experiment: string;
  status: Status;
  created: number | null;
  started: number | null;
  ended: number | null;
  description: string | null;
  pipeline_name: string | null;
  pipeline_file: string | null;
  parameters: Record<string, unknown>;
  tags: Record<string, string>;
  error: string | null;
  steps: { total: number } & Partial<Record<Status, number>>;
  reused: number;
}

export interface RunDetail extends RunSummary {
  options: Record<string, unknown>;
  /** The pipeline document the run ran (its steps, inputs and layout). */
  document: PipelineDocument;
  step_runs?: StepSummary[];
}

export interface StepSummary {
  id: string;
  name: string;
  status: Status;
  target: string | null;
  depends_on: string[];
  started: number | null;
  ended: number | null;
  exit_code: number | null;
  error: string | null;
  reused_from: string | null;
  /** The Dask worker that ran the step (`tcp://host:port`); null for local steps. */
  worker?: string | null;
  /** The Dask dashboard of the step's target (an http URL), or null. */
  dashboard_link?: string | null;
}

export interface StepDetail extends StepSummary {
  duration: number | null;
  outputs: Record<string, string | null>;
  reuse: Record<string, unknown> | null;
  /** The executed notebook's path (relative to the root when inside it), when the server gives it. */
  notebook?: string | null;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  offset: number;
  next_offset: number;
  size: number;
  /** True when the log goes on after next_offset (an answer holds at most 1 MiB by default). */
  truncated?: boolean;
  text: string;
}

/** One message of a run's event stream (`runs/{id}/events`). */
export type RunEvent =
  | {
      id: string;
      run_id: string;
      type: 'status';
      kind: 'run' | 'step';
      step: string | null;
      status: Status;
      message: string | null;
      ts: number | string;
      event_id: number;
    }
  | { id: string; run_id: string; type: 'log'; step: string; stream: 'stdout' | 'stderr'; lines: string[] }
  | { id: string; run_id: string; type: 'end'; status: Status; error: string | null };

/** A pipeline file's document: what `*.pipeline.yaml` holds (see the JSON Schema). */
export interface PipelineDocument {
  version: 1;
  name?: string;
  description?: string;
  parameters?: Record<string, ParameterDoc>;
  steps: Record<string, StepDoc>;
  layout?: { nodes?: Record<string, { x: number; y: number }> };
  [key: string]: unknown;
}

export interface ParameterDoc {
  type?: 'int' | 'float' | 'bool' | 'str' | 'string' | string;
  default?: unknown;
  description?: string;
  [key: string]: unknown;
}

/** A step's input: another step's output, a dataset, a datastore path or a parameter. */
export interface InputDoc {
  step?: string;
  output?: string;
  dataset?: string;
  version?: number | 'latest';
  datastore?: string;
  path?: string;
  parameter?: string;
  [key: string]: unknown;
}

export interface OutputDoc {
  kind?: string;
  [key: string]: unknown;
}

/** The kinds of step a pipeline file holds (`type`). */
export type StepType = 'python_script' | 'notebook' | 'command' | 'parallel_run' | 'data_transfer';

/** A value that may be a pipeline parameter instead: `${{parameters.NAME}}`. */
export type OrParameter<T> = T | string;

/**
 * A parallel_run step's `parallel_run_config` (v1's ParallelRunConfig; the step's
 * source_directory, compute_target, environment and environment_variables are its other
 * fields). See `$defs/parallelRunConfig` in the pipeline schema.
 */
export interface ParallelRunConfigDoc {
  entry_script: string;
  /** Files per mini-batch (a count), or bytes of table per mini-batch ("1MB"). */
  mini_batch_size?: OrParameter<number>;
  partition_keys?: string[] | string;
  error_threshold?: number;
  allowed_failed_count?: number;
  allowed_failed_percent?: number;
  output_action?: 'append_row' | 'summary_only';
  append_row_file_name?: string;
  node_count?: OrParameter<number>;
  process_count_per_node?: OrParameter<number>;
  run_invocation_timeout?: OrParameter<number>;
  run_max_try?: OrParameter<number>;
  logging_level?: string;
  description?: string;
  [key: string]: unknown;
}

/** A data_transfer step's `destination`: a datastore path, or a DataPath parameter. */
export type DestinationDoc = { datastore: string; path?: string } | { parameter: string };

export interface StepDoc {
  type: StepType;
  script?: string;
  notebook?: string;
  command?: string | unknown[];
  source_directory?: string;
  arguments?: unknown[];
  params?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  inputs?: Record<string, InputDoc>;
  outputs?: Record<string, OutputDoc>;
  run_after?: string[];
  compute_target?: string;
  allow_reuse?: boolean;
  hash_paths?: string[];
  timeout?: number;
  resources?: { cpu?: number; gpu?: number; memory?: string | number };
  environment_variables?: Record<string, string>;
  environment?: Record<string, unknown>;
  /** parallel_run: the mini-batch runner's configuration. */
  parallel_run_config?: ParallelRunConfigDoc;
  /** parallel_run: the inputs every worker reads whole (the others are cut into mini-batches). */
  side_inputs?: string[];
  /** data_transfer: where the source is copied (absent: into the step's output). */
  destination?: DestinationDoc;
  source_reference_type?: 'file' | 'directory';
  destination_reference_type?: 'file' | 'directory';
  [key: string]: unknown;
}

/**
 * A parallel_run step's `logs/progress.json` (rewritten by its runner while it runs):
 * mini-batch counts, rows, workers and throughput. See docs/batch-scoring.md.
 */
export interface ParallelProgress {
  total: number;
  done: number;
  from_cache?: number;
  failed?: number;
  retried?: number;
  running?: number;
  items?: number;
  failed_items?: number;
  rows?: number;
  workers?: number;
  workers_replaced?: number;
  /** `running`, `finished` or `failed`. */
  state?: string;
  reason?: string | null;
  elapsed_s?: number;
  /** Items (files or rows) per second. */
  throughput_per_s?: number;
}

/** A published pipeline's or endpoint's status: a Disabled one refuses to run (409). */
export type PublishedStatus = 'Active' | 'Disabled';

/** A published pipeline (`published`, `published/{id}`): frozen document and code, run by id. */
export interface PublishedPipeline {
  id: string;
  name: string;
  description: string;
  version: string | null;
  status: PublishedStatus;
  graph_id: string;
  total_run_steps: number;
  continue_on_step_failure: boolean | null;
  /** Epoch seconds. */
  created: number;
  /** The frozen document's declared parameters. */
  parameters: Record<string, ParameterDoc>;
  /** The URL to POST v1's run request to (on the server that answered). */
  endpoint: string | null;
  /** The endpoint versions that run it. */
  endpoints: { id: string; version: string }[];
}

/** One version of a pipeline endpoint. */
export interface EndpointVersion {
  version: string;
  pipeline_id: string;
  pipeline_name: string | null;
  pipeline_status: PublishedStatus | null;
  default: boolean;
  /** The URL running this version. */
  endpoint: string | null;
}

/** A pipeline endpoint (`pipeline-endpoints`): one name and URL over published versions. */
export interface PipelineEndpoint {
  id: string;
  name: string;
  description: string;
  status: PublishedStatus;
  default_version: string;
  /** The URL running the default version. */
  endpoint: string | null;
  versions: EndpointVersion[];
  created: number;
}

/** The answer of `POST published`: the published pipeline, and the endpoint it joined. */
export interface PublishAnswer extends PublishedPipeline {
  endpoint_added?: PipelineEndpoint;
}

/** v1's answer to a run request (`PipelineRunEntity`): `Id` is the new run's id. */
export interface V1RunAnswer {
  Id: string;
  RunHistoryExperimentName?: string;
  PipelineId?: string;
  Status?: { StatusCode?: string };
  [key: string]: unknown;
}

/** One fire of a schedule: when it was due, what triggered it, the run it started. */
export interface ScheduleFire {
  /** ISO 8601 times (UTC). */
  due: string;
  fired: string;
  missed_since: string | null;
  trigger: string;
  changed_path: string | null;
  run_id: string | null;
  experiment: string | null;
  /** The run's status now (null when it is gone or none started). */
  run_status: Status | null;
  error: string | null;
}

/** A schedule (`schedules`): a recurrence or a datastore trigger that submits a published pipeline. */
export interface Schedule {
  id: string;
  name: string;
  description: string | null;
  status: PublishedStatus;
  kind: string;
  pipeline_id: string | null;
  pipeline_endpoint_id: string | null;
  /** The published pipeline's or endpoint's name. */
  pipeline_name: string | null;
  experiment_name: string;
  pipeline_parameters: Record<string, unknown> | null;
  recurrence: Record<string, unknown> | null;
  datastore_name: string | null;
  path_on_datastore: string | null;
  polling_interval: number | null;
  data_path_parameter_name: string | null;
  /** When it fires, in words ("every day at 09:00 (UTC)"). */
  trigger_text: string;
  /** The next fire time: ISO 8601 and epoch seconds (null: none, e.g. Disabled). */
  next_fire: string | null;
  next_fire_ts: number | null;
  last_run: ScheduleFire | null;
  created: string;
  updated: string;
}

/** Which process fires the workspace's schedules (`schedules` answers it beside them). */
export interface SchedulerInfo {
  holder: string | null;
  live: boolean;
  this_server: boolean;
  pid?: number;
  host?: string;
}
