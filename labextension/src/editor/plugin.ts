/** The pipeline editor plugin: file types, widget factory, "New Pipeline" launcher and menu. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

export const editorPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-pipelines:editor',
  description: 'The visual pipeline (DAG) editor for *.pipeline.yaml and Elyra .pipeline files.',
  autoStart: true,
  activate: (_app: JupyterFrontEnd) => {
    /* built in editor/ */
  }
};
