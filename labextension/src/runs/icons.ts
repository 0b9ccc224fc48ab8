/** The icons of the runs UI (the Pipelines sidebar tab and run view tabs). */
import { LabIcon } from '@jupyterlab/ui-components';

const PIPELINES_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="3" width="7" height="5" rx="1"/>
    <rect x="15" y="9.5" width="7" height="5" rx="1"/>
    <rect x="2" y="16" width="7" height="5" rx="1"/>
    <path d="M9 5.5h3a1 1 0 0 1 1 1V11h2v2h-2v4.5a1 1 0 0 1-1 1H9v-2h2V13v-2V7.5H9z"/>
  </g>
</svg>`;

/** The Pipelines sidebar's and run views' icon. */
export const pipelinesRunsIcon = new LabIcon({ name: 'jupyter-pipelines:runs', svgstr: PIPELINES_SVG });
