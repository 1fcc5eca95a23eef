// A run as the views read it: traces by id, steps by id, the rows of the tree and the
// nodes and edges of the DAG for the traces currently expanded.
import type { RunTreeEntry, StepRow } from "./types";

export interface Run {
  rootId: string;
  entries: Map<string, RunTreeEntry>;
  order: string[];
  steps: Map<string, StepRow>;
  stepCount: number;
}

export function buildRun(entries: RunTreeEntry[]): Run {
  const map = new Map<string, RunTreeEntry>();
  const steps = new Map<string, StepRow>();
  for (const e of entries) {
    map.set(e.trace.traceId, e);
    for (const s of e.trace.steps) steps.set(s.stepId, { ...s, traceId: e.trace.traceId });
  }
  return { rootId: entries[0].trace.traceId, entries: map, order: entries.map((e) => e.trace.traceId),
    steps, stepCount: steps.size };
}

/** Traces expanded at first: all of a small run, the root and its children's headers else. */
export function initialExpanded(run: Run, budget = 400): Set<string> {
  const open = new Set<string>();
  let shown = 0;
  for (const id of run.order) {  // breadth first
    const n = run.entries.get(id)!.trace.steps.length;
    if (open.size && shown + n > budget) break;
    open.add(id);
    shown += n;
  }
  return open;
}

export interface TreeRow {
  kind: "trace" | "step";
  id: string;
  traceId: string;
  level: number;
  label: string;
  expandable: boolean;
  collapsed: boolean;
}

export function treeRows(run: Run, expanded: Set<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (id: string, level: number) => {
    const e = run.entries.get(id);
    if (!e) return;
    const t = e.trace;
    rows.push({ kind: "trace", id, traceId: id, level, expandable: true,
      collapsed: !expanded.has(id), label: `${t.agentId ?? "agent?"} · ${id} (${t.steps.length} steps)` });
    if (!expanded.has(id)) return;
    const spawnedBy = new Map<string, string[]>();
    const unattached: string[] = [];
    for (const c of e.childIds) {
      const sb = run.entries.get(c)?.trace.spawnedByStepId;
      if (sb) spawnedBy.set(sb, [...(spawnedBy.get(sb) ?? []), c]);
      else unattached.push(c);
    }
    for (const s of t.steps) {
      rows.push({ kind: "step", id: s.stepId, traceId: id, level: level + 1, expandable: false,
        collapsed: false,
        label: `${s.stepIndex}. ${s.stepType}${s.selectedAlternative ? ` → ${s.selectedAlternative}` : ""}` });
      for (const c of spawnedBy.get(s.stepId) ?? []) visit(c, level + 2);
    }
    for (const c of unattached) visit(c, level + 1);
  };
  visit(run.rootId, 0);
  return rows;
}

export interface DagNode { id: string; kind: "step" | "trace" | "alt"; label: string; traceId: string }
export interface DagEdge { src: string; dst: string; kind: "next" | "dep" | "spawn" | "alt" }

/** The DAG of one page of the tree's rows (``rows[first, first + size)``): the steps shown,
 * each collapsed trace as one node, the alternatives not taken apart, and every edge
 * between them (dependsOn across traces, the step that spawned a trace, step order). */
export function dagOf(run: Run, rows: TreeRow[], first: number, size: number):
  { nodes: DagNode[]; edges: DagEdge[] } {
  const nodes: DagNode[] = [];
  const edges: DagEdge[] = [];
  const where = new Map<string, string>();  // step id -> node id it is drawn as
  const firstOf = new Map<string, string>();  // trace id -> node of its first step
  for (const r of rows.slice(first, first + size)) {
    const t = run.entries.get(r.traceId)!.trace;
    if (r.kind === "trace") {
      if (r.expandable && r.collapsed) {
        nodes.push({ id: `trace:${r.id}`, kind: "trace", traceId: r.id,
          label: `▸ ${t.agentId ?? r.id} (${t.steps.length})` });
        for (const s of collectSteps(run, r.id)) where.set(s, `trace:${r.id}`);
        firstOf.set(r.id, `trace:${r.id}`);
      }
      continue;
    }
    const s = run.steps.get(r.id)!;
    nodes.push({ id: s.stepId, kind: "step", traceId: r.traceId, label: s.stepType });
    where.set(s.stepId, s.stepId);
    if (s.stepIndex === 0) firstOf.set(r.traceId, s.stepId);
    s.alternativesConsidered.forEach((a, i) => {
      if (a === s.selectedAlternative) return;
      const altId = `${s.stepId}#alt${i}`;
      nodes.push({ id: altId, kind: "alt", traceId: r.traceId, label: `✗ ${a}` });
      edges.push({ src: s.stepId, dst: altId, kind: "alt" });
    });
  }
  const seen = new Set<string>();
  const add = (src: string | undefined, dst: string | undefined, kind: DagEdge["kind"]) => {
    if (!src || !dst || src === dst) return;
    const key = `${src}>${dst}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ src, dst, kind });
  };
  for (const [traceId, node] of firstOf) {
    const t = run.entries.get(traceId)!.trace;
    if (t.spawnedByStepId) add(where.get(t.spawnedByStepId), node, "spawn");
  }
  for (const n of nodes) {
    if (n.kind !== "step") continue;
    const s = run.steps.get(n.id)!;
    for (const d of s.dependsOn) add(where.get(d), n.id, "dep");
    const t = run.entries.get(s.traceId)!.trace;
    if (s.stepIndex > 0 && !s.dependsOn.length) add(where.get(t.steps[s.stepIndex - 1]?.stepId), n.id, "next");
  }
  return { nodes, edges };
}

function collectSteps(run: Run, traceId: string): string[] {
  const out: string[] = [];
  const stack = [traceId];
  while (stack.length) {
    const e = run.entries.get(stack.pop()!);
    if (!e) continue;
    for (const s of e.trace.steps) out.push(s.stepId);
    stack.push(...e.childIds);
  }
  return out;
}
