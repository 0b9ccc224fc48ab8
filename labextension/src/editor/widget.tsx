/** The pipeline editor document widget, its factory, and drag-and-drop from the file browser. */
import * as React from 'react';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, ReactWidget, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { ABCWidgetFactory, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { Drag } from '@lumino/dragdrop';
import type { ReactFlowInstance } from '@xyflow/react';

import { requestAPI } from '../api/request';
import { RenderMimeContext } from '../details/NotebookView';
import type { RunDetail } from '../api/types';
import { addStepFromFile, type XY } from '../model/document';
import { setStepType } from '../model/kinds';
import type { PublishForm } from '../model/publishing';
import { EditorController } from './controller';
import { PipelineEditor, type EditorActions } from './PipelineEditor';
import type { RunScope } from './PropertiesPanel';
import { publishFile } from './publish';
import { askRun } from './RunDialog';

/** The mime type of the file browser's dragged paths. */
export const CONTENTS_MIME = 'application/x-jupyter-icontents';
const DRAG_EVENTS = ['lm-dragenter', 'lm-dragleave', 'lm-dragover', 'lm-drop'];

/** The content of the editor: the React view, plus drops of files from the file browser. */
export class PipelineEditorContent extends ReactWidget {
  flow: ReactFlowInstance | null = null;

  constructor(
    readonly controller: EditorController,
    private readonly actions: EditorActions,
    private readonly rendermime: IRenderMimeRegistry | null = null
  ) {
    super();
    this.addClass('jp-PipelineEditor');
  }

  protected onAfterAttach(msg: any): void {
    super.onAfterAttach(msg);
    for (const type of DRAG_EVENTS) {
      this.node.addEventListener(type, this);
    }
  }

  protected onBeforeDetach(msg: any): void {
    for (const type of DRAG_EVENTS) {
      this.node.removeEventListener(type, this);
    }
    super.onBeforeDetach(msg);
  }

  /** Lumino drag events from the file browser. */
  handleEvent(event: Event): void {
    const drag = event as Drag.Event;
    if (!drag.mimeData?.hasData(CONTENTS_MIME) || this.controller.doc === null) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (event.type === 'lm-dragleave') {
      this.removeClass('jp-mod-dropTarget');
      return;
    }
    drag.dropAction = drag.proposedAction === 'none' ? 'none' : drag.proposedAction;
    if (event.type !== 'lm-drop') {
      this.addClass('jp-mod-dropTarget');
      return;
    }
    this.removeClass('jp-mod-dropTarget');
    const paths = (drag.mimeData.getData(CONTENTS_MIME) as string[]) ?? [];
    const at: XY = this.flow?.screenToFlowPosition({ x: drag.clientX, y: drag.clientY }) ?? { x: 0, y: 0 };
    // Shift held on the drop: Python scripts become ParallelRunSteps (batch steps).
    this.addFiles(paths, at, drag.shiftKey);
  }

  /**
   * Add a step per file (paths relative to the server root), stacked from `at`; with
   * `parallel`, a `.py` script's step is a ParallelRunStep of it (its entry script).
   */
  addFiles(paths: string[], at: XY, parallel = false): string[] {
    const c = this.controller;
    const names: string[] = [];
    c.edit(doc => {
      let d = doc;
      paths.forEach((p, i) => {
        const r = addStepFromFile(d, p, c.baseDir, { x: at.x + i * 30, y: at.y + i * 120 });
        d = parallel && r.doc.steps[r.name].type === 'python_script' ? setStepType(r.doc, r.name, 'parallel_run') : r.doc;
        names.push(r.name);
      });
      return d;
    });
    if (names.length) {
      c.select(names[names.length - 1]);
    }
    return names;
  }

  render(): JSX.Element {
    return (
      <RenderMimeContext.Provider value={this.rendermime}>
        <PipelineEditor controller={this.controller} actions={this.actions} />
      </RenderMimeContext.Provider>
    );
  }
}

/** The editor of one pipeline file. */
export class PipelineEditorWidget extends DocumentWidget<PipelineEditorContent, DocumentRegistry.ICodeModel> {
  readonly controller: EditorController;

  constructor(
    context: DocumentRegistry.IContext<DocumentRegistry.ICodeModel>,
    private readonly app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry | null = null
  ) {
    const elyra = context.path.endsWith('.pipeline') && !context.path.endsWith('.pipeline.yaml');
    const controller = new EditorController({
      path: () => context.localPath,
      getText: () => context.model.sharedModel.getSource(),
      setText: text => {
        context.model.sharedModel.setSource(text);
        // setSource replaces the text without marking the model dirty: an edit must be.
        context.model.dirty = true;
      },
      elyra
    });
    const actions: EditorActions = {
      save: () => this.save(),
      run: scope => this.run(scope),
      publish: () => this.publish(),
      openRun: runId => {
        if (app.commands.hasCommand('jupyter-pipelines:open-run')) {
          void app.commands.execute('jupyter-pipelines:open-run', { runId });
        } else {
          controller.notify('The run view is not available.');
        }
      },
      openPath: path => void app.commands.execute('docmanager:open', { path }),
      openWithTextEditor: () => void app.commands.execute('docmanager:open', { path: context.path, factory: 'Editor' }),
      saveAsYaml: () => this.saveAsYaml(),
      setFlow: instance => {
        this.content.flow = instance;
      },
      fit: () => void this.content.flow?.fitView({ padding: 0.15, maxZoom: 1, duration: 200 })
    };
    super({ context, content: new PipelineEditorContent(controller, actions, rendermime) });
    this.controller = controller;
    this.addClass('jp-PipelineEditorWidget');
    void context.ready.then(() => {
      // (the canvas sets its own opening viewport once its nodes are measured)
      void controller.load();
      context.model.contentChanged.connect(() => controller.textChanged());
    });
  }

  /** Save the file with the text of the latest edit (waits for the pending format request). */
  async save(): Promise<void> {
    const active = document.activeElement as HTMLElement | null;
    if (active && this.node.contains(active) && active.blur) {
      active.blur(); // commits a field being edited
    }
    if (this.controller.host.elyra) {
      return this.saveAsYaml();
    }
    await this.controller.flush();
    await this.context.save();
  }

  /** The Publish dialog's last values (asked again with them). */
  lastPublish: PublishForm | null = null;

  /** Ask what to publish, save when dirty, publish the file and show its id and URLs. */
  publish(): Promise<void> {
    return publishFile(this, this.app);
  }

  /** Write the edited Elyra pipeline as NAME.pipeline.yaml next to it and open that. */
  async saveAsYaml(): Promise<void> {
    const c = this.controller;
    const target = this.context.localPath.replace(/\.pipeline$/, '.pipeline.yaml');
    try {
      const text = await c.text();
      const contents = this.app.serviceManager.contents;
      const exists = await contents.get(target, { content: false }).then(
        () => true,
        () => false
      );
      if (exists) {
        c.notify(`${target} exists already: not overwritten.`);
        return;
      }
      await contents.save(target, { type: 'file', format: 'text', content: text });
      await this.app.commands.execute('docmanager:open', { path: target });
    } catch (error) {
      void showErrorMessage('Save as .pipeline.yaml', String(error));
    }
  }

  /**
   * Whether to run an Elyra file: yes when it was not edited here (it runs as the CLI runs
   * it); an edited one is never written back in Elyra format, so a dialog offers to run the
   * file as saved, or to save the edits as .pipeline.yaml (and run that one from its editor).
   */
  private async runElyraAsSaved(): Promise<boolean> {
    if (!this.controller.canUndo) {
      return true;
    }
    const yamlName = this.context.localPath.split('/').pop()!.replace(/\.pipeline$/, '.pipeline.yaml');
    const result = await showDialog({
      title: 'Run an edited Elyra pipeline',
      body: `Edits to an Elyra .pipeline file are saved only as a .pipeline.yaml file. Run ${this.context.localPath} as saved (without the edits made here), or save the edits as ${yamlName} and run it from there?`,
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: `Save as ${yamlName}`, displayType: 'default', ariaLabel: 'save-as-yaml' }),
        Dialog.okButton({ label: 'Run as saved', ariaLabel: 'run-as-saved' })
      ]
    });
    if (result.button.ariaLabel === 'save-as-yaml') {
      await this.saveAsYaml();
      return false;
    }
    return result.button.accept && result.button.ariaLabel === 'run-as-saved';
  }

  /** Ask for parameters, save when dirty, submit the run and follow it (not blocking). */
  async run(scope: RunScope = { steps: [] }): Promise<void> {
    const c = this.controller;
    if (!c.doc) {
      return;
    }
    if (c.host.elyra && !(await this.runElyraAsSaved())) {
      return;
    }
    const experiment = (c.doc.name || this.context.localPath.split('/').pop()!.replace(/\.pipeline(\.yaml)?$/, '')).replace(/[^A-Za-z0-9_-]/g, '_');
    const title = 'steps' in scope && scope.steps.length ? `Run step ${scope.steps[0]}` : 'from_steps' in scope ? `Run from ${scope.from_steps[0]}` : 'to_steps' in scope ? `Run up to ${scope.to_steps[0]}` : 'Run pipeline';
    const request = await askRun(c.doc, experiment, title);
    if (!request) {
      return;
    }
    if (!c.host.elyra) {
      await c.flush();
      if (this.context.model.dirty) {
        await this.context.save();
      }
    }
    // (an Elyra .pipeline file runs as it is, as the CLI runs it)
    const body: Record<string, unknown> = { path: this.context.localPath, parameters: request.parameters };
    if (request.experiment) {
      body.experiment = request.experiment;
    }
    if (!('steps' in scope) || scope.steps.length) {
      Object.assign(body, scope);
    }
    c.notify('Submitting the run…');
    try {
      const reply = await requestAPI<{ run: RunDetail }>('runs', { body });
      c.runId = reply.run.id;
      c.notify(null);
    } catch (error) {
      c.notify(`The run was not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Makes pipeline editors for `*.pipeline.yaml` and Elyra `.pipeline` files. */
export class PipelineEditorFactory extends ABCWidgetFactory<PipelineEditorWidget, DocumentRegistry.ICodeModel> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<PipelineEditorWidget>,
    private readonly app: JupyterFrontEnd,
    private readonly rendermime: IRenderMimeRegistry | null = null
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.IContext<DocumentRegistry.ICodeModel>): PipelineEditorWidget {
    return new PipelineEditorWidget(context, this.app, this.rendermime);
  }
}
