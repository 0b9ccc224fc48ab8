/** The editor's commands and their keybindings (scoped to the editor, the canvas for edits). */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { WidgetTracker } from '@jupyterlab/apputils';

import * as ops from '../model/document';
import { copySteps, parseClipboard, pasteSteps, type StepClipboard } from '../model/clipboard';
import type { PipelineEditorWidget } from './widget';

/** Command ids of the editor. */
export const CommandIDs = {
  create: 'jupyter-pipelines:new-pipeline',
  save: 'jupyter-pipelines:editor-save',
  run: 'jupyter-pipelines:editor-run',
  publish: 'jupyter-pipelines:editor-publish',
  del: 'jupyter-pipelines:editor-delete',
  copy: 'jupyter-pipelines:editor-copy',
  cut: 'jupyter-pipelines:editor-cut',
  paste: 'jupyter-pipelines:editor-paste',
  undo: 'jupyter-pipelines:editor-undo',
  redo: 'jupyter-pipelines:editor-redo',
  layout: 'jupyter-pipelines:editor-layout',
  fit: 'jupyter-pipelines:editor-fit'
} as const;

const EDITOR = '.jp-PipelineEditor';
const CANVAS = '.jp-PipelineEditor .jp-PipelineDag';

/** Steps copied last (kept here too, in case the system clipboard cannot be read). */
let clipboard: StepClipboard | null = null;

/** Register the editing commands acting on the current pipeline editor. */
export function addEditorCommands(app: JupyterFrontEnd, tracker: WidgetTracker<PipelineEditorWidget>): void {
  const { commands } = app;
  const current = (): PipelineEditorWidget | null => tracker.currentWidget;
  const ready = () => !!current()?.controller.doc;
  const targets = (w: PipelineEditorWidget): string[] => {
    const c = w.controller;
    return c.selection.length ? c.selection : c.selected ? [c.selected] : [];
  };

  commands.addCommand(CommandIDs.save, {
    label: 'Save Pipeline',
    isEnabled: ready,
    execute: () => current()?.save()
  });
  commands.addCommand(CommandIDs.run, {
    label: 'Run Pipeline',
    isEnabled: ready,
    execute: () => current()?.run()
  });
  commands.addCommand(CommandIDs.publish, {
    label: 'Publish Pipeline…',
    caption: 'Publish the pipeline: frozen with its code, run by id or URL, optionally in an endpoint',
    isEnabled: ready,
    execute: () => current()?.publish()
  });
  commands.addCommand(CommandIDs.del, {
    label: 'Delete Selected Steps',
    isEnabled: ready,
    execute: () => {
      const w = current();
      if (!w) {
        return;
      }
      const c = w.controller;
      const steps = targets(w);
      const edges = c.selectedEdges;
      c.edit(d => {
        let doc = ops.removeSteps(d, steps);
        for (const e of edges) {
          if (!(e.target in doc.steps)) {
            continue;
          }
          doc = e.input ? ops.disconnect(doc, e.target, e.input) : ops.removeRunAfter(doc, e.target, e.source);
        }
        return doc;
      });
      c.selection = [];
      c.selectedEdges = [];
    }
  });
  const copy = (w: PipelineEditorWidget): boolean => {
    const names = targets(w);
    if (!w.controller.doc || !names.length) {
      return false;
    }
    clipboard = copySteps(w.controller.doc, names);
    void navigator.clipboard?.writeText(JSON.stringify(clipboard)).catch(() => undefined);
    return true;
  };
  commands.addCommand(CommandIDs.copy, {
    label: 'Copy Steps',
    isEnabled: ready,
    execute: () => {
      const w = current();
      if (w) {
        copy(w);
      }
    }
  });
  commands.addCommand(CommandIDs.cut, {
    label: 'Cut Steps',
    isEnabled: ready,
    execute: () => {
      const w = current();
      if (w && copy(w)) {
        const names = targets(w);
        w.controller.edit(d => ops.removeSteps(d, names));
        w.controller.selection = [];
      }
    }
  });
  commands.addCommand(CommandIDs.paste, {
    label: 'Paste Steps',
    isEnabled: ready,
    execute: async () => {
      const w = current();
      if (!w) {
        return;
      }
      let clip = clipboard;
      try {
        const text = await navigator.clipboard?.readText();
        clip = (text && parseClipboard(text)) || clip;
      } catch {
        /* no permission: use the editor's own clipboard */
      }
      if (!clip) {
        return;
      }
      let names: string[] = [];
      const pasted = clip;
      w.controller.edit(d => {
        const r = pasteSteps(d, pasted);
        names = r.names;
        return r.doc;
      });
      if (names.length) {
        w.controller.select(names[names.length - 1]);
      }
    }
  });
  commands.addCommand(CommandIDs.undo, { label: 'Undo', isEnabled: ready, execute: () => current()?.controller.undo() });
  commands.addCommand(CommandIDs.redo, { label: 'Redo', isEnabled: ready, execute: () => current()?.controller.redo() });
  commands.addCommand(CommandIDs.layout, {
    label: 'Automatic Layout',
    isEnabled: ready,
    execute: () => current()?.controller.layout()
  });
  commands.addCommand(CommandIDs.fit, {
    label: 'Fit Pipeline to View',
    isEnabled: ready,
    execute: () => void current()?.content.flow?.fitView({ padding: 0.15, maxZoom: 1 })
  });

  const bind = (command: string, keys: string[], selector = CANVAS) => app.commands.addKeyBinding({ command, keys, selector });
  bind(CommandIDs.save, ['Accel S'], EDITOR);
  bind(CommandIDs.del, ['Delete']);
  bind(CommandIDs.del, ['Backspace']);
  bind(CommandIDs.copy, ['Accel C']);
  bind(CommandIDs.cut, ['Accel X']);
  bind(CommandIDs.paste, ['Accel V']);
  bind(CommandIDs.undo, ['Accel Z']);
  bind(CommandIDs.redo, ['Accel Shift Z']);
  bind(CommandIDs.redo, ['Accel Y']);
}
