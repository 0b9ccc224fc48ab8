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
  text: string;
}

/** One message of a run's event stream (`runs/{id}/events`). */
export type RunEvent =
  | {
      id: number;
      run_id: string;
      type: 'status';
      kind: 'run' | 'step';
      step: string | null;
      status: Status;
      message: string | null;
      ts: number | string;
      event_id: number;
    }
  | { id: number; run_id: string; type: 'log'; step: string; stream: 'stdout' | 'stderr'; lines: string[] }
  | { id: number; run_id: string; type: 'end'; status: Status; error: string | null };

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

export interface InputDoc {
  step?: string;
  output?: string;
  [key: string]: unknown;
}

export interface OutputDoc {
  kind?: string;
  [key: string]: unknown;
}

export interface StepDoc {
  type: 'python_script' | 'notebook' | 'command';
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
  [key: string]: unknown;
}
