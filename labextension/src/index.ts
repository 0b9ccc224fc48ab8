/** The jupyter-pipelines JupyterLab extension: its plugins, registered here and built elsewhere. */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { editorPlugin } from './editor/plugin';
import { runsPlugin } from './runs/plugin';

const plugins: JupyterFrontEndPlugin<any>[] = [editorPlugin, runsPlugin];

export default plugins;
