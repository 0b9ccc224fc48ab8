/** A step run's streaming logs (stdout and stderr), following while the step runs. */
import * as React from 'react';

import { useStepLog } from './useStepLog';

/** Escape codes (colors) that logs may hold, removed for display. */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** One stream's panel, scrolled to its end as text arrives unless the reader scrolled up. */
function LogPanel(props: { runId: string; step: string; stream: 'stdout' | 'stderr'; live: boolean }): JSX.Element | null {
  const log = useStepLog(props.runId, props.step, props.stream, props.live);
  const ref = React.useRef<HTMLPreElement>(null);
  const stick = React.useRef(true);

  React.useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [log.text]);

  if (props.stream === 'stderr' && !log.text && !log.error) {
    return null;
  }
  return (
    <div className="jp-Pipelines-logPanel" data-stream={props.stream}>
      <div className="jp-Pipelines-logHeader">
        {props.stream}
        {log.truncated && <span className="jp-Pipelines-hint"> (earlier output not shown)</span>}
      </div>
      {log.error && <div className="jp-Pipelines-error">{log.error}</div>}
      <pre
        ref={ref}
        className="jp-Pipelines-log"
        data-testid={`step-log-${props.stream}`}
        onScroll={e => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {log.text ? log.text.replace(ANSI, '') : log.loaded ? '(no output yet)' : 'Loading…'}
      </pre>
    </div>
  );
}

/** The logs section (`data-testid="step-logs"`): stdout, then stderr when it has text. */
export function StepLogs(props: { runId: string; step: string; live: boolean }): JSX.Element {
  return (
    <div className="jp-Pipelines-logs" data-testid="step-logs">
      <LogPanel runId={props.runId} step={props.step} stream="stdout" live={props.live} />
      <LogPanel runId={props.runId} step={props.step} stream="stderr" live={props.live} />
    </div>
  );
}
