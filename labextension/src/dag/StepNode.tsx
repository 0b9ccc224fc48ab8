/**
 * A step on the canvas: its type, name, file, input ports (left), output ports (right), status
 * (in words, with an icon and the time it has run or took) and issues; its tooltip, the file
 * and, for a step a Dask worker ran, that worker's host; a ParallelRunStep's
 * mini-batch progress bar while a run is shown; in the editor, "+ input" and "+ output"
 * handles that make a new port when a connection is drawn from or to them.
 */
import * as React from 'react';
import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';

import type { ParallelProgress } from '../api/types';
import type { StepNodeData } from '../model/graph';
import { NEW_INPUT, NEW_OUTPUT, PORT_ROW, portId, portRows } from '../model/graph';
import { STEP_TYPES } from '../model/kinds';
import { nodeTitle } from '../model/placement';
import { progressBar, progressCount, progressTitle } from '../model/progress';
import type { UiStatus } from '../model/status';
import { STATUS_ICONS, statusWords } from '../model/statusText';

/** The current time (epoch seconds), ticking every second while `live`. */
function useClock(live: boolean): number {
  const [now, setNow] = React.useState(() => Date.now() / 1000);
  React.useEffect(() => {
    if (!live) {
      return;
    }
    setNow(Date.now() / 1000);
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

/** A node's status line: icon and words ("running 0:12", "reused", ...). */
function NodeStatus(props: { status: UiStatus; started?: number | null; ended?: number | null }): JSX.Element {
  const { status } = props;
  const now = useClock(status === 'running');
  const words = statusWords(status, props.started, props.ended, now);
  return (
    <div className={`jp-PipelineNode-statusLine jp-mod-${status}`} data-testid="node-status" data-status={status}>
      <span className="jp-PipelineNode-statusIcon" aria-hidden="true">
        {STATUS_ICONS[status]}
      </span>
      <span className="jp-PipelineNode-statusText">{words}</span>
    </div>
  );
}

/** A node's mini-batch bar: done (and failed) parts, "done/total" on it. */
function NodeProgress(props: { progress: ParallelProgress }): JSX.Element {
  const p = props.progress;
  const bar = progressBar(p);
  return (
    <div
      className={`jp-PipelineNode-progress jp-mod-${p.state ?? 'running'}`}
      data-testid="node-progress"
      data-done={p.done}
      data-failed={p.failed ?? 0}
      data-total={p.total}
      data-state={p.state ?? ''}
      title={progressTitle(p)}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={p.total}
      aria-valuenow={p.done}
    >
      <div className="jp-PipelineNode-progressDone" style={{ width: `${bar.done}%` }} />
      <div className="jp-PipelineNode-progressFailed" style={{ width: `${bar.failed}%` }} />
      <span className="jp-PipelineNode-progressText">{progressCount(p)}</span>
    </div>
  );
}

/** The React Flow node component of a step (memoized: re-renders only when its data changes). */
function StepNodeImpl(props: NodeProps): JSX.Element {
  const data = props.data as StepNodeData;
  const rows = portRows(data.inputs.length, data.outputs.length, !data.readOnly);
  const issues = data.errors + data.warnings;
  // Ports added or removed: React Flow must measure the node's handles again before its
  // edges can attach to them.
  const updateNodeInternals = useUpdateNodeInternals();
  const ports = `${data.inputs.join('\u0000')}|${data.outputs.join('\u0000')}`;
  const seen = React.useRef(ports);
  React.useEffect(() => {
    if (seen.current !== ports) {
      seen.current = ports; // not on mount: React Flow measures new nodes by itself
      updateNodeInternals(props.id);
    }
  }, [ports, props.id, updateNodeInternals]);
  const cls = [
    'jp-PipelineNode',
    `jp-mod-status-${data.status}`,
    data.errors ? 'jp-mod-error' : data.warnings ? 'jp-mod-warning' : '',
    props.selected ? 'jp-mod-selected' : ''
  ].join(' ');
  return (
    <div
      className={cls}
      data-testid="step-node"
      data-step={data.name}
      data-status={data.status}
      data-issues={issues}
      data-type={data.type}
      data-worker={data.worker ?? undefined}
      title={nodeTitle(data.file, data.worker)}
    >
      <div className="jp-PipelineNode-header">
        <span className={`jp-PipelineNode-type jp-mod-${data.type}`} data-testid="node-type" title={STEP_TYPES[data.type]?.title}>
          {STEP_TYPES[data.type]?.badge ?? '?'}
        </span>
        <span className="jp-PipelineNode-name">{data.name}</span>
        {issues > 0 && (
          <span
            className="jp-PipelineNode-issues"
            data-testid="node-issues"
            title={`${data.errors} error(s), ${data.warnings} warning(s)`}
          >
            {issues}
          </span>
        )}
      </div>
      <div className="jp-PipelineNode-file">{data.file}</div>
      {data.status !== 'none' && <NodeStatus status={data.status} started={data.started} ended={data.ended} />}
      {data.progress && <NodeProgress progress={data.progress} />}
      <div className="jp-PipelineNode-ports" style={{ height: rows * PORT_ROW }}>
        {data.inputs.map((name, i) => (
          <div key={`i-${name}`} className={`jp-PipelineNode-port jp-mod-in${i >= data.outputs.length ? ' jp-mod-wide' : ''}`} style={{ top: i * PORT_ROW }}>
            <Handle
              type="target"
              position={Position.Left}
              id={portId('in', name)}
              data-testid="port-in"
              data-port={name}
              isConnectable={!data.readOnly}
            />
            <span>{name}</span>
          </div>
        ))}
        {data.outputs.map((name, i) => (
          <div key={`o-${name}`} className={`jp-PipelineNode-port jp-mod-out${i >= data.inputs.length ? ' jp-mod-wide' : ''}`} style={{ top: i * PORT_ROW }}>
            <span>{name}</span>
            <Handle
              type="source"
              position={Position.Right}
              id={portId('out', name)}
              data-testid="port-out"
              data-port={name}
              isConnectable={!data.readOnly}
            />
          </div>
        ))}
        {!data.readOnly && (
          <>
            <div className="jp-PipelineNode-port jp-mod-in jp-mod-new" style={{ top: (rows - 1) * PORT_ROW }} title="Drop an output here: a new input reading it">
              <Handle type="target" position={Position.Left} id={NEW_INPUT} data-testid="port-add-in" />
              <span>+ input</span>
            </div>
            <div
              className="jp-PipelineNode-port jp-mod-out jp-mod-new"
              style={{ top: (rows - 1) * PORT_ROW }}
              title="Drag from here to another step: a new output of this step, read by that step"
            >
              <span>+ output</span>
              <Handle type="source" position={Position.Right} id={NEW_OUTPUT} data-testid="port-add-out" />
            </div>
          </>
        )}
      </div>
      {/* ordering (run_after) edges attach to these */}
      <Handle type="target" position={Position.Top} id="after-in" className="jp-PipelineNode-after" isConnectable={false} />
      <Handle type="source" position={Position.Bottom} id="after-out" className="jp-PipelineNode-after" isConnectable={false} />
    </div>
  );
}

export const StepNode = React.memo(StepNodeImpl);
