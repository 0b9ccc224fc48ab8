/**
 * The runs plugin: the "Pipelines" left sidebar (restored by the layout restorer), the run
 * views (main-area tabs tracked and restored), and the commands:
 * `jupyter-pipelines:open-run` {runId}, `jupyter-pipelines:cancel-run` {runId},
 * `jupyter-pipelines:rerun` {runId}, `jupyter-pipelines:show-runs`,
 * `jupyter-pipelines:refresh-sidebar` (the editor calls it after publishing).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { cancelRun, rerunRun } from './actions';
import { pipelinesRunsIcon } from './icons';
import { createRunView, RunViewActions, RunViewContent } from './RunView';
import { PipelinesSidebarWidget } from './Sidebar';

/** The command ids of the runs plugin. */
export const RunCommandIDs = {
  openRun: 'jupyter-pipelines:open-run',
  cancelRun: 'jupyter-pipelines:cancel-run',
  rerun: 'jupyter-pipelines:rerun',
  showRuns: 'jupyter-pipelines:show-runs',
  refreshSidebar: 'jupyter-pipelines:refresh-sidebar'
} as const;

const SIDEBAR_ID = 'jp-pipelines-sidebar';

export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-pipelines:runs',
  description: 'The Pipelines sidebar (experiments and runs) and run views.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const { commands, shell } = app;
    const tracker = new WidgetTracker<MainAreaWidget<RunViewContent>>({ namespace: 'jupyter-pipelines-runs' });

    const openPath = (path: string) => void commands.execute('docmanager:open', { path });
    const openRun = (runId: string) => void commands.execute(RunCommandIDs.openRun, { runId });
    let sidebar: PipelinesSidebarWidget | null = null;
    const rerunAndOpen = async (runId: string) => {
      const run = await rerunRun(runId);
      if (run) {
        sidebar?.refresh();
        openRun(run.id);
      }
      return run;
    };
    const cancelAndRefresh = async (runId: string) => {
      const run = await cancelRun(runId);
      sidebar?.refresh();
      return run;
    };
    const viewActions: RunViewActions = {
      cancelRun: cancelAndRefresh,
      rerunRun: rerunAndOpen,
      openPath,
      onRunEnded: () => sidebar?.refresh()
    };

    commands.addCommand(RunCommandIDs.openRun, {
      label: args => (args.runId ? `Open Pipeline Run ${String(args.runId).slice(0, 8)}` : 'Open Pipeline Run'),
      caption: 'Open the view of a pipeline run (graph, timeline, logs)',
      icon: pipelinesRunsIcon,
      execute: async args => {
        const runId = String(args.runId ?? '');
        if (!runId) {
          throw new Error(`${RunCommandIDs.openRun} needs a runId`);
        }
        const open = tracker.find(w => w.content.runId === runId || w.content.runId.startsWith(runId));
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        sidebar?.refresh(); // a run opened by the editor right after submitting it shows at once
        const widget = createRunView(runId, viewActions, pipelinesRunsIcon, rendermime);
        await tracker.add(widget);
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });
    commands.addCommand(RunCommandIDs.cancelRun, {
      label: 'Cancel Pipeline Run',
      execute: args => cancelAndRefresh(String(args.runId ?? ''))
    });
    commands.addCommand(RunCommandIDs.rerun, {
      label: 'Rerun Pipeline Run',
      execute: args => rerunAndOpen(String(args.runId ?? ''))
    });
    commands.addCommand(RunCommandIDs.showRuns, {
      label: 'Show Pipeline Runs',
      caption: 'Show the Pipelines sidebar',
      execute: () => shell.activateById(SIDEBAR_ID)
    });
    commands.addCommand(RunCommandIDs.refreshSidebar, {
      label: 'Refresh the Pipelines Sidebar',
      execute: () => sidebar?.refresh()
    });
    palette?.addItem({ command: RunCommandIDs.showRuns, category: 'Pipelines' });

    sidebar = new PipelinesSidebarWidget({
      openPipeline: openPath,
      openRun,
      cancelRun: cancelAndRefresh,
      rerunRun: rerunAndOpen
    });
    sidebar.title.icon = pipelinesRunsIcon;
    sidebar.title.caption = 'Pipelines: pipeline files, published pipelines, experiments and runs';
    shell.add(sidebar, 'left', { rank: 650 });

    if (restorer) {
      restorer.add(sidebar, SIDEBAR_ID);
      void restorer.restore(tracker, {
        command: RunCommandIDs.openRun,
        args: widget => ({ runId: widget.content.runId }),
        name: widget => widget.content.runId
      });
    }
  }
};
