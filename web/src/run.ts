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
    for (const s of e.trace.steps) steps.set(s.stepId, s);
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
}

export function treeRows(run: Run, expanded: Set<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (id: string, level: number) => {
    const e = run.entries.get(id);
    if (!e) return;
    const t = e.trace;
    rows.push({ kind: "trace", id, traceId: id, level, expandable: true,
      label: `${t.agentId ?? "agent?"} · ${id} (${t.steps.length} steps)` });
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

/** Nodes and edges of the expanded traces; a collapsed trace is one node. */
export function dagOf(run: Run, expanded: Set<string>, maxNodes: number):
  { nodes: DagNode[]; edges: DagEdge[]; clipped: boolean } {
  const nodes: DagNode[] = [];
  const edges: DagEdge[] = [];
  const where = new Map<string, string>();  // step id -> node id it is drawn as
  const visible = new Set<string>();  // traces drawn (expanded or as a node)
  let clipped = false;
  const stack = [run.rootId];
  while (stack.length) {
    const id = stack.shift()!;
    const e = run.entries.get(id);
    if (!e) continue;
    visible.add(id);
    if (!expanded.has(id) || nodes.length + e.trace.steps.length > maxNodes) {
      if (expanded.has(id)) clipped = true;
      nodes.push({ id: `trace:${id}`, kind: "trace", traceId: id,
        label: `▸ ${e.trace.agentId ?? id} (${e.trace.steps.length})` });
      for (const s of collectSteps(run, id)) where.set(s, `trace:${id}`);
      continue;
    }
    for (const s of e.trace.steps) {
      nodes.push({ id: s.stepId, kind: "step", traceId: id, label: `${s.stepType}` });
      where.set(s.stepId, s.stepId);
      const notTaken = s.alternativesConsidered.filter((a) => a !== s.selectedAlternative);
      for (const a of notTaken) {
        const altId = `${s.stepId}#alt${s.alternativesConsidered.indexOf(a)}`;
        nodes.push({ id: altId, kind: "alt", traceId: id, label: `✗ ${a}` });
        edges.push({ src: s.stepId, dst: altId, kind: "alt" });
      }
    }
    stack.push(...e.childIds);
  }
  const seen = new Set<string>();
  const add = (src: string | undefined, dst: string | undefined, kind: DagEdge["kind"]) => {
    if (!src || !dst || src === dst) return;
    const key = `${src}>${dst}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ src, dst, kind });
  };
  for (const id of visible) {
    const t = run.entries.get(id)!.trace;
    if (t.parentTraceId && t.spawnedByStepId) {
      const first = t.steps[0]?.stepId;
      add(where.get(t.spawnedByStepId), first ? where.get(first) : `trace:${id}`, "spawn");
    } else if (t.parentTraceId) {
      const parentLast = run.entries.get(t.parentTraceId)?.trace.steps[0]?.stepId;
      add(parentLast ? where.get(parentLast) : undefined, where.get(t.steps[0]?.stepId ?? "") ?? `trace:${id}`, "spawn");
    }
    if (!expanded.has(id)) continue;
    t.steps.forEach((s, i) => {
      for (const d of s.dependsOn) add(where.get(d), where.get(s.stepId), "dep");
      if (i > 0 && !s.dependsOn.length) add(where.get(t.steps[i - 1].stepId), where.get(s.stepId), "next");
    });
  }
  return { nodes, edges, clipped };
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
