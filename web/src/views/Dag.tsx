// The DAG of a run's steps, laid out by dagre: dependsOn (across traces), spawned traces,
// and the branches not taken drawn apart (dashed, grey) from the path taken.
import dagre from "@dagrejs/dagre";
import { useMemo } from "preact/hooks";
import type { DagEdge, DagNode } from "../run";

const W = 150;
const H = 30;

interface Laid { nodes: (DagNode & { x: number; y: number })[]; edges: (DagEdge & { points: { x: number; y: number }[] })[]; width: number; height: number }

export function layout(nodes: DagNode[], edges: DagEdge[]): Laid {
  performance.mark("tg:layout-start");  // Performance API marks: bench/ui.py reads them
  try {
    return layoutNow(nodes, edges);
  } finally {
    performance.mark("tg:layout-end");
  }
}

function layoutNow(nodes: DagNode[], edges: DagEdge[]): Laid {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 16, ranksep: 28, marginx: 10, marginy: 10, });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.kind === "alt" ? 110 : W, height: H });
  for (const e of edges) g.setEdge(e.src, e.dst);
  dagre.layout(g);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const laidNodes = nodes.map((n) => { const p = g.node(n.id); return { ...n, x: p.x, y: p.y }; });
  const laidEdges = edges.filter((e) => byId.has(e.src) && byId.has(e.dst))
    .map((e) => ({ ...e, points: g.edge(e.src, e.dst).points ?? [] }));
  const graph = g.graph();
  return { nodes: laidNodes, edges: laidEdges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

export function Dag({ nodes, edges, selected, highlight, onSelect }: {
  nodes: DagNode[]; edges: DagEdge[]; selected: string | null; highlight: Set<string>;
  onSelect: (n: DagNode) => void;
}) {
  const laid = useMemo(() => layout(nodes, edges), [nodes, edges]);
  return (
    <div class="dag" data-testid="dag">
      <svg width={laid.width} height={laid.height} role="group" aria-label="Steps of the run as a graph">
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L8,4 L0,8 z" fill="currentColor" />
          </marker>
        </defs>
        {laid.edges.map((e) => (
          <path key={`${e.src}>${e.dst}`} marker-end="url(#arrow)"
            class={`edge ${e.kind}${highlight.has(e.src) && highlight.has(e.dst) ? " hl" : ""}`}
            d={`M${e.points.map((p) => `${p.x},${p.y}`).join(" L")}`} />
        ))}
        {laid.nodes.map((n) => {
          const w = n.kind === "alt" ? 110 : W;
          const cls = `node ${n.kind}${n.id === selected ? " selected" : ""}${highlight.has(n.id) ? " hl" : ""}`;
          return (
            <g key={n.id} class={cls} data-node={n.id} transform={`translate(${n.x - w / 2},${n.y - H / 2})`}
              tabIndex={n.kind === "alt" ? -1 : 0} role="button"
              aria-label={`${n.kind === "trace" ? "Collapsed trace" : n.kind === "alt" ? "Branch not taken" : "Step"} ${n.label} (${n.id})`}
              aria-pressed={n.id === selected}
              onClick={() => onSelect(n)}
              onKeyDown={(ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); onSelect(n); } }}>
              <rect width={w} height={H} rx={5} />
              <text x={8} y={19}>{n.label.length > 22 ? `${n.label.slice(0, 21)}…` : n.label}</text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
