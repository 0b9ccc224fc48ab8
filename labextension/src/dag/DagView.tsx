/**
 * The React Flow canvas of a pipeline: steps as nodes with ports, data and ordering edges,
 * live statuses and issues. Used read-only by the run view and for editing by the editor.
 */
import * as React from 'react';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type OnSelectionChangeParams,
  type ReactFlowInstance
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';

import type { Issue, ParallelProgress, PipelineDocument } from '../api/types';
import type { XY } from '../model/document';
import { uniqueName } from '../model/document';
import { NEW_OUTPUT, newOutputName, portName, toEdges, toNodes, type NodeDataCache } from '../model/graph';
import { NODE_WIDTH, nodeHeight } from '../model/layout';
import { openingViewport } from '../model/viewport';
import type { UiStatus } from '../model/status';
import { RoutedEdge, RoutesContext, useEdgeRoutes } from './RoutedEdge';
import { StepNode } from './StepNode';

export interface DagViewProps {
  document: PipelineDocument;
  /** Live status of each step (the run view and the editor during a run). */
  statuses?: Record<string, UiStatus>;
  /** Mini-batch progress of ParallelRunSteps (a bar on their nodes), by step name. */
  progress?: Record<string, ParallelProgress>;
  /** When each step started and ended in the run shown (epoch seconds): the nodes say how
   * long a step has been running or took. */
  times?: Record<string, { started: number | null; ended: number | null }>;
  /** The Dask worker that ran each step (its address; the node's tooltip names its host). */
  workers?: Record<string, string | null>;
  /** Validation issues, shown on the nodes they concern. */
  issues?: Issue[];
  /** No editing: the run view. */
  readOnly?: boolean;
  /** The selected step, if any. */
  selected?: string | null;
  onStepClick?: (step: string) => void;
  /** Click on the empty canvas. */
  onPaneClick?: () => void;
  /** Nodes were dragged to new positions (on drag end). */
  onNodesMoved?: (positions: Record<string, XY>) => void;
  /**
   * An output port was dropped on another step: on input `input` when dropped on an input
   * port, else (null) on the node itself.
   */
  onConnect?: (source: string, output: string, target: string, input: string | null) => void;
  /** The steps and edges selected on the canvas (for delete/copy). */
  onSelectionChange?: (steps: string[], edges: { target: string; input: string | null; source: string }[]) => void;
  onNodeContextMenu?: (step: string, event: React.MouseEvent) => void;
  /** The React Flow instance, once ready (fitView, screenToFlowPosition...). */
  onInit?: (instance: ReactFlowInstance) => void;
}

const NODE_TYPES = { step: StepNode };
const EDGE_TYPES = { routed: RoutedEdge };
/** The smallest zoom at which a pipeline opens: node names (14 px) are drawn at 11 px or
 * more, and nodes are easy to click. A bigger pipeline opens on its start. */
export const MIN_READABLE_ZOOM = 0.8;
const isValidConnection = (c: Edge | Connection): boolean => c.source !== c.target;

/** From how many steps the canvas shows a minimap. */
const MINIMAP_FROM = 15;

/** The canvas (wrapped in its own React Flow provider). */
export function DagView(props: DagViewProps): JSX.Element {
  return (
    <ReactFlowProvider>
      <DagCanvas {...props} />
    </ReactFlowProvider>
  );
}

function DagCanvas(props: DagViewProps): JSX.Element {
  const { document: doc, statuses, issues, readOnly, selected, progress, times, workers } = props;
  const cache = React.useRef<NodeDataCache>(new Map());
  const graphNodes = React.useMemo(
    () => toNodes(doc, { statuses, issues, readOnly, progress, times, workers }, cache.current) as unknown as Node[],
    [doc, statuses, issues, readOnly, progress, times, workers]
  );
  const edges = React.useMemo<Edge[]>(
    () =>
      toEdges(doc).map(e => ({
        id: e.id,
        type: 'routed',
        source: e.source,
        target: e.target,
        sourceHandle: e.kind === 'after' ? 'after-out' : e.sourceHandle,
        targetHandle: e.kind === 'after' ? 'after-in' : e.targetHandle,
        className: `jp-PipelineEdge jp-mod-${e.kind}`,
        animated: e.kind === 'data' && statuses?.[e.target] === 'running',
        data: { kind: e.kind }
      })),
    [doc, statuses]
  );
  const [nodes, setNodes] = React.useState<Node[]>(graphNodes);
  const routes = useEdgeRoutes(edges);
  const selectedRef = React.useRef<Set<string>>(new Set(selected ? [selected] : []));

  // New document/status: new nodes, keeping what React Flow measured and the selection.
  React.useEffect(() => {
    setNodes(prev => {
      const old = new Map(prev.map(n => [n.id, n]));
      return graphNodes.map(n => {
        const o = old.get(n.id);
        return { ...n, measured: o?.measured, selected: selectedRef.current.has(n.id) };
      });
    });
  }, [graphNodes]);

  // The selection set from outside (an issue clicked, a step renamed).
  React.useEffect(() => {
    if (selected === undefined) {
      return;
    }
    if (selected && selectedRef.current.size === 1 && selectedRef.current.has(selected)) {
      return;
    }
    selectedRef.current = new Set(selected ? [selected] : []);
    setNodes(prev =>
      prev.map(n => (n.selected === (n.id === selected) ? n : { ...n, selected: n.id === selected }))
    );
  }, [selected]);

  // Once React Flow has measured the nodes: show the whole pipeline when it is readable at
  // MIN_READABLE_ZOOM or more, else its start at that zoom (nodes stay readable and clickable).
  const initialized = useNodesInitialized();
  const flow = useReactFlow();
  const paneRef = React.useRef<HTMLDivElement>(null);
  // (an empty pipeline keeps the default viewport: the first dropped files stay where dropped)
  const fitted = React.useRef(Object.keys(doc.steps).length === 0);
  React.useEffect(() => {
    if (!initialized || fitted.current) {
      return;
    }
    fitted.current = true;
    const pane = paneRef.current?.getBoundingClientRect();
    const boxes = flow.getNodes().map(n => ({
      position: n.position,
      width: n.measured?.width ?? NODE_WIDTH,
      height: n.measured?.height ?? nodeHeight(0)
    }));
    void flow.setViewport(openingViewport(boxes, { width: pane?.width ?? 0, height: pane?.height ?? 0 }, { minZoom: MIN_READABLE_ZOOM }));
  }, [initialized, flow]);

  const onNodesChange = React.useCallback(
    (changes: NodeChange[]) =>
      setNodes(prev => applyNodeChanges(changes.filter(c => c.type !== 'remove'), prev)),
    []
  );

  const { onNodesMoved, onConnect, onStepClick, onSelectionChange, onNodeContextMenu } = props;
  const connectedRef = React.useRef(false);

  // The output a connection starts from: a port, or a new output ("+ output").
  const docRef = React.useRef(doc);
  docRef.current = doc;
  const outputOf = React.useCallback((step: string, handle: string | null | undefined): string | null => {
    if (handle === NEW_OUTPUT) {
      return uniqueName(newOutputName(step), Object.keys(docRef.current.steps[step]?.outputs ?? {}));
    }
    return portName(handle);
  }, []);

  const handleConnect = React.useCallback(
    (c: Connection) => {
      const output = outputOf(c.source, c.sourceHandle);
      if (!output || !c.target || c.source === c.target) {
        return;
      }
      connectedRef.current = true;
      // (a new input, named like the output, when dropped on "+ input")
      onConnect?.(c.source, output, c.target, portName(c.targetHandle));
    },
    [onConnect, outputOf]
  );

  // Dropping an output onto a node (not on a port) connects to a new input of that node.
  const fromRef = React.useRef<{ node: string; output: string } | null>(null);
  const handleConnectStart = React.useCallback(
    (_: unknown, params: { nodeId: string | null; handleId: string | null; handleType: string | null }) => {
      connectedRef.current = false;
      const output = params.handleType === 'source' && params.nodeId ? outputOf(params.nodeId, params.handleId) : null;
      fromRef.current = params.nodeId && output ? { node: params.nodeId, output } : null;
    },
    [outputOf]
  );
  const handleConnectEnd = React.useCallback(
    (event: MouseEvent | TouchEvent) => {
      const from = fromRef.current;
      fromRef.current = null;
      if (!from || connectedRef.current) {
        return;
      }
      const point = 'changedTouches' in event ? event.changedTouches[0] : (event as MouseEvent);
      const el = window.document.elementFromPoint(point.clientX, point.clientY);
      const node = el?.closest('[data-testid="step-node"]') as HTMLElement | null;
      const target = node?.dataset.step;
      if (target && target !== from.node) {
        onConnect?.(from.node, from.output, target, null);
      }
    },
    [onConnect]
  );

  const handleDragStop = React.useCallback(
    (_: unknown, _node: Node, dragged: Node[]) => {
      const moved: Record<string, XY> = {};
      for (const n of dragged) {
        moved[n.id] = n.position;
      }
      onNodesMoved?.(moved);
    },
    [onNodesMoved]
  );

  const handleSelection = React.useCallback(
    ({ nodes: ns, edges: es }: OnSelectionChangeParams) => {
      selectedRef.current = new Set(ns.map(n => n.id));
      onSelectionChange?.(
        ns.map(n => n.id),
        es.map(e => ({
          source: e.source,
          target: e.target,
          input: (e.data as any)?.kind === 'after' ? null : portName(e.targetHandle)
        }))
      );
    },
    [onSelectionChange]
  );

  const { onPaneClick } = props;
  const handleNodeClick = React.useCallback((_: React.MouseEvent, n: Node) => onStepClick?.(n.id), [onStepClick]);
  const handleNodeContextMenu = React.useCallback(
    (e: React.MouseEvent, n: Node) => onNodeContextMenu?.(n.id, e),
    [onNodeContextMenu]
  );

  return (
    <div className="jp-PipelineDag" tabIndex={0} ref={paneRef}>
      <RoutesContext.Provider value={routes}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        onNodeClick={handleNodeClick}
        onPaneClick={onPaneClick}
        onNodeDragStop={readOnly ? undefined : handleDragStop}
        onConnect={handleConnect}
        onConnectStart={handleConnectStart}
        onConnectEnd={handleConnectEnd}
        isValidConnection={isValidConnection}
        onSelectionChange={handleSelection}
        onNodeContextMenu={onNodeContextMenu ? handleNodeContextMenu : undefined}
        onInit={props.onInit}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        elementsSelectable
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        minZoom={0.02}
        maxZoom={2}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
        {/* a map helps to find one's way in big graphs; in small ones it would hide nodes */}
        {nodes.length > MINIMAP_FROM && <MiniMap pannable zoomable />}
      </ReactFlow>
      </RoutesContext.Provider>
    </div>
  );
}
