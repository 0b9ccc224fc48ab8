/** The runs plugin: the "Pipelines" sidebar and the run views. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-pipelines:runs',
  description: 'The Pipelines sidebar (experiments and runs) and run views.',
  autoStart: true,
  activate: (_app: JupyterFrontEnd) => {
    /* built in runs/ */
  }
};
