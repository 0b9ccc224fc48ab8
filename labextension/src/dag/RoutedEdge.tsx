/**
 * Edges drawn along routes that go around the nodes (model/routing.ts): the routes of all
 * edges are computed together from React Flow's measured nodes and handles
 * (`useEdgeRoutes`) and handed to the edge components through a context.
 */
import * as React from 'react';
import {
  getSmoothStepPath,
  useStore,
  useStoreApi,
  type Edge,
  type EdgeProps,
  type InternalNode,
  type Node
} from '@xyflow/react';

import type { XY } from '../model/document';
import { roundedPath, routeEdges, type EdgeRequest, type Rect, type Side } from '../model/routing';

/** The routes of the canvas' edges, by edge id. */
export const RoutesContext = React.createContext<Map<string, XY[]>>(new Map());

const near = (p: XY, x: number, y: number) => Math.abs(p.x - x) < 0.75 && Math.abs(p.y - y) < 0.75;

/** An edge along its route (a smooth step while its route is not known, e.g. mid-drag). */
function RoutedEdgeImpl(props: EdgeProps): JSX.Element {
  const routes = React.useContext(RoutesContext);
  const points = routes.get(props.id);
  let path: string;
  const routed = !!points && points.length > 1 && near(points[0], props.sourceX, props.sourceY) && near(points[points.length - 1], props.targetX, props.targetY);
  if (routed) {
    path = roundedPath(points!);
  } else {
    [path] = getSmoothStepPath({ ...props, borderRadius: 8 });
  }
  // (BaseEdge's two paths, with the ends named for tests and tools)
  return (
    <>
      <path
        id={props.id}
        d={path}
        fill="none"
        className="react-flow__edge-path"
        style={props.style}
        data-source={props.source}
        data-target={props.target}
        data-routed={routed ? 'true' : 'false'}
      />
      <path d={path} fill="none" strokeOpacity={0} strokeWidth={12} className="react-flow__edge-interaction" />
    </>
  );
}

export const RoutedEdge = React.memo(RoutedEdgeImpl);

/** A small cache of string hashes (handle ids repeat on every store update). */
const idHashes = new Map<string, number>();
function hashId(id: string): number {
  let h = idHashes.get(id);
  if (h === undefined) {
    h = 0;
    for (let i = 0; i < id.length; i++) {
      h = (h * 31 + id.charCodeAt(i)) | 0;
    }
    if (idHashes.size > 50_000) {
      idHashes.clear();
    }
    idHashes.set(id, h);
  }
  return h;
}

/**
 * A fingerprint of the nodes' geometry (positions, sizes, handles) that changes whenever a
 * route may; 'dragging' while a node is dragged (routes wait for the drop).
 */
function geometryKey(s: { nodeLookup: Map<string, InternalNode<Node>> }): string {
  let h = 0;
  let n = 0;
  for (const node of s.nodeLookup.values()) {
    if (node.dragging) {
      return 'dragging';
    }
    const p = node.internals.positionAbsolute;
    h = (h * 31 + hashId(node.id) + p.x * 7 + p.y * 13 + (node.measured.width ?? 0) * 17 + (node.measured.height ?? 0) * 19) % 1e9;
    const bounds = node.internals.handleBounds;
    for (const list of [bounds?.source, bounds?.target]) {
      for (const handle of list ?? []) {
        h = (h * 31 + hashId(handle.id ?? '') + handle.x * 3 + handle.y * 5) % 1e9;
      }
    }
    n++;
  }
  return `${n}:${h}`;
}

const SIDE: Record<string, Side> = { left: 'left', right: 'right', top: 'top', bottom: 'bottom' };

/** The point where an edge meets a handle (the middle of the handle's outer side). */
function handlePoint(node: InternalNode<Node>, handleId: string | null | undefined, type: 'source' | 'target'): { at: XY; side: Side } | null {
  const handles = node.internals.handleBounds?.[type] ?? [];
  const handle = handles.find(h => h.id === handleId) ?? (handleId ? undefined : handles[0]);
  if (!handle) {
    return null;
  }
  const x = node.internals.positionAbsolute.x + handle.x;
  const y = node.internals.positionAbsolute.y + handle.y;
  const side = SIDE[handle.position] ?? (type === 'source' ? 'right' : 'left');
  const at =
    side === 'right'
      ? { x: x + handle.width, y: y + handle.height / 2 }
      : side === 'left'
        ? { x, y: y + handle.height / 2 }
        : side === 'top'
          ? { x: x + handle.width / 2, y }
          : { x: x + handle.width / 2, y: y + handle.height };
  return { at, side };
}

/** Routes of `edges` around the canvas' nodes, recomputed when the geometry changes. */
export function useEdgeRoutes(edges: Edge[]): Map<string, XY[]> {
  const key = useStore(geometryKey);
  const store = useStoreApi();
  const last = React.useRef<Map<string, XY[]>>(new Map());
  return React.useMemo(() => {
    if (key === 'dragging') {
      return last.current; // the dragged node's edges are drawn as smooth steps meanwhile
    }
    const { nodeLookup } = store.getState();
    const rects = new Map<string, Rect>();
    for (const node of nodeLookup.values()) {
      const width = node.measured.width;
      const height = node.measured.height;
      if (width && height) {
        const p = node.internals.positionAbsolute;
        rects.set(node.id, { x: p.x, y: p.y, width, height });
      }
    }
    const requests: EdgeRequest[] = [];
    for (const e of edges) {
      const source = nodeLookup.get(e.source);
      const target = nodeLookup.get(e.target);
      if (!source || !target || !rects.has(e.source) || !rects.has(e.target)) {
        continue;
      }
      const from = handlePoint(source, e.sourceHandle, 'source');
      const to = handlePoint(target, e.targetHandle, 'target');
      if (from && to) {
        requests.push({
          id: e.id,
          source: e.source,
          target: e.target,
          from: from.at,
          fromSide: from.side,
          to: to.at,
          toSide: to.side,
          bundle: `${e.source}\u0000${e.sourceHandle ?? ''}`
        });
      }
    }
    last.current = routeEdges(rects, requests);
    return last.current;
  }, [key, edges, store]);
}
