import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

/** The jupyter-pipelines front end. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-pipelines:plugin',
  description: 'Pipeline editor, Pipelines sidebar and run views.',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('jupyter-pipelines activated', app.name);
  }
};

export default plugin;
