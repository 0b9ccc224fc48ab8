/** The pipeline editor plugin: file types, widget factory, "New Pipeline" launcher and menu. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';

import { addEditorCommands, CommandIDs } from './commands';
import { PipelineEditorFactory, type PipelineEditorWidget } from './widget';

/** The name of the editor's widget factory. */
export const FACTORY = 'Pipeline Editor';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161"><rect x="2" y="3" width="7" height="6" rx="1"/><rect x="15" y="3" width="7" height="6" rx="1"/>
<rect x="8.5" y="15" width="7" height="6" rx="1"/><path d="M9 6h6v1.4H9zM5 9h1.4v4.3H12V15h-1.4v-.3H5zM18 9h1.4v5.7H13.4V13.3H18z"/></g></svg>`;

/** The pipeline icon. */
export const pipelineIcon = new LabIcon({ name: 'jupyter-pipelines:pipeline', svgstr: ICON_SVG });

export const editorPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-pipelines:editor',
  description: 'The visual pipeline (DAG) editor for *.pipeline.yaml and Elyra .pipeline files.',
  autoStart: true,
  optional: [ILauncher, IMainMenu, IDefaultFileBrowser, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    browser: IDefaultFileBrowser | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const registry = app.docRegistry;
    registry.addFileType({
      name: 'pipeline-yaml',
      displayName: 'Pipeline',
      extensions: ['.pipeline.yaml'],
      mimeTypes: ['text/x-yaml'],
      contentType: 'file',
      fileFormat: 'text',
      icon: pipelineIcon
    });
    registry.addFileType({
      name: 'elyra-pipeline',
      displayName: 'Elyra Pipeline',
      extensions: ['.pipeline'],
      mimeTypes: ['application/json'],
      contentType: 'file',
      fileFormat: 'text',
      icon: pipelineIcon
    });
    const factory = new PipelineEditorFactory(
      {
        name: FACTORY,
        label: 'Pipeline Editor',
        fileTypes: ['pipeline-yaml', 'elyra-pipeline'],
        defaultFor: ['pipeline-yaml', 'elyra-pipeline']
      },
      app,
      rendermime
    );
    const tracker = new WidgetTracker<PipelineEditorWidget>({ namespace: 'jupyter-pipelines-editor' });
    factory.widgetCreated.connect((_, widget) => {
      widget.title.icon = pipelineIcon;
      void tracker.add(widget);
    });
    registry.addWidgetFactory(factory);

    app.commands.addCommand(CommandIDs.create, {
      label: args => (args.isLauncher ? 'New Pipeline' : 'Pipeline'),
      caption: 'Create a new pipeline (untitled.pipeline.yaml) and open it in the editor',
      icon: args => (args.isPalette ? undefined : pipelineIcon),
      execute: async args => {
        const cwd = (args.cwd as string) ?? browser?.model.path ?? '';
        const contents = app.serviceManager.contents;
        let path = '';
        for (let i = 0; ; i++) {
          path = `${cwd ? cwd + '/' : ''}untitled${i ? i : ''}.pipeline.yaml`;
          const exists = await contents.get(path, { content: false }).then(
            () => true,
            () => false
          );
          if (!exists) {
            break;
          }
        }
        await contents.save(path, { type: 'file', format: 'text', content: '' });
        return app.commands.execute('docmanager:open', { path, factory: FACTORY });
      }
    });
    launcher?.add({ command: CommandIDs.create, category: 'Other', rank: 1, args: { isLauncher: true } });
    mainMenu?.fileMenu.newMenu.addGroup([{ command: CommandIDs.create }], 30);
    addEditorCommands(app, tracker);
  }
};
