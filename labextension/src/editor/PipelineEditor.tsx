/** The editor's React view: toolbar, canvas, side panel (Properties / Run), issues, status line. */
import * as React from 'react';
import type { ReactFlowInstance } from '@xyflow/react';

import { DagView } from '../dag/DagView';
import { StepDetails } from '../details/StepDetails';
import { useRunProgress } from '../details/useRunProgress';
import * as ops from '../model/document';
import { setStepType, typeChoices } from '../model/kinds';
import { stepTimes, type UiStatus } from '../model/status';
import { useRunStatus } from '../runs/useRunStatus';
import type { EditorController } from './controller';
import { IssuesList } from './IssuesList';
import { PipelinePanel } from './PipelinePanel';
import { StepProperties, type RunScope } from './PropertiesPanel';

/** What the view asks of its widget. */
export interface EditorActions {
  save(): Promise<void>;
  run(scope?: RunScope): Promise<void>;
  /** Publish the file (a dialog, then POST published). */
  publish(): Promise<void>;
  openRun(runId: string): void;
  openPath(path: string): void;
  openWithTextEditor(): void;
  /** Elyra files: write the edited pipeline as NAME.pipeline.yaml and open it. */
  saveAsYaml(): Promise<void>;
  setFlow(instance: ReactFlowInstance): void;
  fit(): void;
}

function useController(c: EditorController): number {
  return React.useSyncExternalStore(
    React.useCallback(cb => {
      c.changed.connect(cb);
      return () => c.changed.disconnect(cb);
    }, [c]),
    () => c.version
  );
}

export function PipelineEditor(props: { controller: EditorController; actions: EditorActions }): JSX.Element {
  const { controller: c, actions } = props;
  useController(c);
  const run = useRunStatus(c.runId);
  const [tab, setTab] = React.useState<'properties' | 'run'>('properties');
  const [menu, setMenu] = React.useState<{ step: string; x: number; y: number } | null>(null);
  // The node menu opens at the pointer, moved up or left when it would leave the editor
  // (below it, JupyterLab's status bar would cover its last items).
  const menuRef = React.useRef<HTMLUListElement>(null);
  React.useLayoutEffect(() => {
    const el = menuRef.current;
    if (!el || !menu) {
      return;
    }
    // A fixed element is placed in its containing block, which JupyterLab's panels make the
    // editor itself: measure where that block starts on the screen.
    el.style.top = `${menu.y}px`;
    el.style.left = `${menu.x}px`;
    const box = el.getBoundingClientRect();
    const dy = box.top - menu.y;
    const dx = box.left - menu.x;
    const area = el.parentElement?.getBoundingClientRect();
    const bottom = Math.min(window.innerHeight, area?.bottom ?? Infinity);
    const right = Math.min(window.innerWidth, area?.right ?? Infinity);
    el.style.top = `${Math.max(area?.top ?? 0, Math.min(menu.y, bottom - box.height - 4)) - dy}px`;
    el.style.left = `${Math.max(area?.left ?? 0, Math.min(menu.x, right - box.width - 4)) - dx}px`;
  }, [menu]);
  const statuses = React.useMemo(() => {
    if (!c.runId) {
      return undefined;
    }
    const out: Record<string, UiStatus> = {};
    for (const [k, s] of Object.entries(run.steps)) {
      out[k] = s.status;
    }
    return out;
  }, [c.runId, run.steps]);
  const times = React.useMemo(() => (c.runId ? stepTimes(run.steps) : undefined), [c.runId, run.steps]);
  // The run's own document says which steps are ParallelRunSteps (the file may have changed).
  const progress = useRunProgress(c.runId, run.run?.document ?? c.doc, statuses);

  const onStepClick = React.useCallback(
    (step: string) => {
      c.select(step);
      setMenu(null);
      if (c.runId) {
        setTab('run');
      }
    },
    [c]
  );
  const onPaneClick = React.useCallback(() => {
    c.select(null);
    setMenu(null);
  }, [c]);
  const onNodesMoved = React.useCallback(
    (moved: Record<string, ops.XY>) => c.edit(d => ops.setPositions(d, moved)),
    [c]
  );
  const onConnect = React.useCallback(
    (source: string, output: string, target: string, input: string | null) =>
      c.edit(d => ops.connect(d, source, output, target, input ?? undefined).doc),
    [c]
  );
  const onSelectionChange = React.useCallback(
    (steps: string[], edges: { source: string; target: string; input: string | null }[]) => {
      c.selection = steps;
      c.selectedEdges = edges;
      if (steps.length === 1 && steps[0] !== c.selected) {
        c.select(steps[0]);
      }
    },
    [c]
  );
  const onContextMenu = React.useCallback(
    (step: string, e: React.MouseEvent) => {
      e.preventDefault();
      c.select(step);
      setMenu({ step, x: e.clientX, y: e.clientY });
    },
    [c]
  );

  if (c.loadError) {
    return (
      <div className="jp-PipelineEditor-error" data-testid="load-error">
        <h3>This file is not a valid pipeline file</h3>
        <pre>{c.loadError}</pre>
        <p>Fix the line or field named above in the text editor, save, and open the file here again.</p>
        <button className="jp-mod-styled jp-mod-accept" onClick={actions.openWithTextEditor}>
          Open with the text editor
        </button>
      </div>
    );
  }
  if (!c.doc) {
    return <div className="jp-PipelineEditor-loading">Loading pipeline…</div>;
  }
  const doc = c.doc;
  const step = c.selected ? doc.steps[c.selected] : undefined;
  const runScope = (scope: RunScope) => {
    setMenu(null);
    void actions.run(scope);
  };
  return (
    <div className="jp-PipelineEditor-body" onClick={() => menu && setMenu(null)}>
      <div className="jp-PipelineEditor-toolbar" role="toolbar">
        <button data-testid="tb-save" title="Save (Ctrl+S)" onClick={() => void actions.save()}>
          {c.host.elyra ? 'Save as .pipeline.yaml' : 'Save'}
        </button>
        <button data-testid="tb-undo" title="Undo (Ctrl+Z)" disabled={!c.canUndo} onClick={() => c.undo()}>
          Undo
        </button>
        <button data-testid="tb-redo" title="Redo (Ctrl+Shift+Z)" disabled={!c.canRedo} onClick={() => c.redo()}>
          Redo
        </button>
        <button data-testid="tb-layout" title="Automatic layout" onClick={() => void c.layout().then(() => setTimeout(actions.fit, 50))}>
          Layout
        </button>
        <button data-testid="tb-fit" title="Fit to view" onClick={actions.fit}>
          Fit
        </button>
        <button data-testid="tb-validate" title="Validate" onClick={() => void c.validate()}>
          Validate
        </button>
        <button data-testid="tb-run" className="jp-mod-run" title="Run the pipeline" onClick={() => void actions.run()}>
          ▶ Run
        </button>
        <button data-testid="tb-publish" title="Publish the pipeline (frozen, with a URL to run it; optionally to an endpoint)" onClick={() => void actions.publish()}>
          Publish…
        </button>
        <span className="jp-PipelineEditor-hint" title="A script's Type (in its properties) switches it between a PythonScriptStep and a ParallelRunStep; dropping .py files with Shift held adds ParallelRunSteps.">
          Drag notebooks and scripts from the file browser onto the canvas (Shift: as batch steps).
        </span>
      </div>
      {c.host.elyra && (
        <div className="jp-PipelineEditor-banner" data-testid="elyra-banner">
          Converted from an Elyra .pipeline file; it is never written back in Elyra format.{' '}
          <button data-testid="save-as-yaml" onClick={() => void actions.saveAsYaml()}>
            Save as .pipeline.yaml
          </button>
        </div>
      )}
      <div className="jp-PipelineEditor-main">
        <div className="jp-PipelineEditor-canvas">
          <DagView
            document={doc}
            statuses={statuses}
            times={times}
            progress={c.runId ? progress : undefined}
            issues={c.issues}
            selected={c.selected}
            onStepClick={onStepClick}
            onPaneClick={onPaneClick}
            onNodesMoved={onNodesMoved}
            onConnect={onConnect}
            onSelectionChange={onSelectionChange}
            onNodeContextMenu={onContextMenu}
            onInit={actions.setFlow}
          />
          {Object.keys(doc.steps).length === 0 && (
            <div className="jp-PipelineEditor-empty">
              Drag notebooks (.ipynb), scripts (.py) or other files here from the file browser to add steps,
              then drag from a step's “+ output” to another step to connect them.
            </div>
          )}
        </div>
        <div className="jp-PipelineEditor-side">
          <div className="jp-PipelineEditor-tabs">
            <button className={tab === 'properties' ? 'jp-mod-active' : ''} data-testid="tab-properties" onClick={() => setTab('properties')}>
              Properties
            </button>
            {c.runId && (
              <button className={tab === 'run' ? 'jp-mod-active' : ''} data-testid="tab-run" onClick={() => setTab('run')}>
                Run
              </button>
            )}
          </div>
          {tab === 'run' && c.runId ? (
            <div className="jp-PipelineEditor-run">
              {c.selected ? (
                <StepDetails runId={c.runId} step={c.selected} openPath={actions.openPath} progress={progress[c.selected]} />
              ) : (
                <p>Click a step to see its logs, metrics and outputs.</p>
              )}
            </div>
          ) : (
            <div className="jp-PipelineProps" data-testid="properties">
              {step && c.selected ? (
                <StepProperties key={c.selected} controller={c} name={c.selected} step={step} issues={c.issues} onRun={runScope} />
              ) : (
                <PipelinePanel controller={c} doc={doc} issues={c.issues} />
              )}
            </div>
          )}
          <IssuesList issues={c.issues} empty={Object.keys(doc.steps).length === 0} onSelect={s => s && s in doc.steps && onStepClick(s)} />
        </div>
      </div>
      <div className="jp-PipelineEditor-status" data-testid="status-line">
        {c.runId ? (
          <>
            <span data-testid="run-status" data-run-id={c.runId} data-status={run.status ?? ''}>
              Run {c.runId}: {run.status ?? 'submitted'}
              {run.error ? ` (${run.error})` : ''}
            </span>
            <button data-testid="open-run" onClick={() => actions.openRun(c.runId as string)}>
              Open run view
            </button>
            <button data-testid="clear-run" onClick={() => c.runId && ((c.runId = null), c.emit())}>
              Hide status
            </button>
          </>
        ) : null}
        {c.message && <span className="jp-PipelineEditor-message">{c.message}</span>}
      </div>
      {menu && (
        <ul className="jp-PipelineEditor-menu" ref={menuRef} style={{ left: menu.x, top: menu.y }} data-testid="node-menu">
          <li onClick={() => runScope({ steps: [menu.step] })}>Run this step</li>
          <li onClick={() => runScope({ from_steps: [menu.step] })}>Run from here</li>
          <li onClick={() => runScope({ to_steps: [menu.step] })}>Run up to here</li>
          {doc.steps[menu.step] && typeChoices(doc.steps[menu.step]).length > 0 && (
            <li
              data-testid="toggle-parallel"
              onClick={() => {
                const to = doc.steps[menu.step].type === 'parallel_run' ? 'python_script' : 'parallel_run';
                setMenu(null);
                c.edit(d => setStepType(d, menu.step, to));
              }}
            >
              {doc.steps[menu.step].type === 'parallel_run' ? 'Make a PythonScriptStep' : 'Make a ParallelRunStep (batch)'}
            </li>
          )}
          <li onClick={() => (setMenu(null), c.edit(d => ops.removeSteps(d, [menu.step])))}>Delete</li>
        </ul>
      )}
    </div>
  );
}
