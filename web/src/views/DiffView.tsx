// Diff of two runs (GraphQL diffRuns): deltas, decisions that chose differently, tool
// calls added or removed, and the aligned steps.
import { useEffect, useState } from "preact/hooks";
import { gql } from "../api";
import type { Totals } from "../types";
import { fmtCost } from "./badges";

const DIFF = `query Diff($a: ID!, $b: ID!) { diffRuns(a: $a, b: $b) {
  a b
  steps { status agentId stepType aStepId bStepId changes }
  decisions { aStepId bStepId agentId stepType aSelected bSelected aAlternatives bAlternatives }
  addedToolCalls { apiType method endpoint count }
  removedToolCalls { apiType method endpoint count }
  totalsA { ...T } totalsB { ...T } delta { ...T }
} }
fragment T on Totals { inputTokens outputTokens thinkingTokens costUsd durationMs stepCount apiCallCount }`;
const SHOWN_STEPS = 500;

interface Aligned { status: string; agentId: string | null; stepType: string; aStepId: string | null; bStepId: string | null; changes: string[] }
interface Decision { aStepId: string; bStepId: string; agentId: string | null; stepType: string; aSelected: string | null; bSelected: string | null; aAlternatives: string[]; bAlternatives: string[] }
interface ToolCall { apiType: string; method: string | null; endpoint: string | null; count: number }
interface Diff { a: string; b: string; steps: Aligned[]; decisions: Decision[]; addedToolCalls: ToolCall[]; removedToolCalls: ToolCall[]; totalsA: Totals; totalsB: Totals; delta: Totals }

const ROWS: [keyof Totals, string][] = [["stepCount", "Steps"], ["apiCallCount", "API calls"],
  ["inputTokens", "Input tokens"], ["outputTokens", "Output tokens"], ["thinkingTokens", "Thinking tokens"],
  ["costUsd", "Cost"], ["durationMs", "Duration (ms)"]];

function fmt(k: keyof Totals, v: number): string {
  return k === "costUsd" ? fmtCost(v) : String(Math.round(v * 100) / 100);
}

function stepLink(traceOf: string, id: string | null) {
  return id ? <a href={`#/run/${encodeURIComponent(traceOf)}?step=${encodeURIComponent(id)}`}>{id}</a> : <span class="muted">—</span>;
}

export function DiffView({ a, b }: { a: string; b: string }) {
  const [diff, setDiff] = useState<Diff | null>(null);
  const [error, setError] = useState("");
  const [all, setAll] = useState(false);
  useEffect(() => {
    if (!a || !b) return;
    let stale = false;
    setDiff(null);
    gql<{ diffRuns: Diff }>(DIFF, { a, b }).then((d) => { if (!stale) { setDiff(d.diffRuns); setError(""); } })
      .catch((e: Error) => !stale && setError(e.message));
    return () => { stale = true; };
  }, [a, b]);

  function submit(e: Event) {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    location.hash = `#/diff?a=${encodeURIComponent(String(f.get("a") ?? "").trim())}&b=${encodeURIComponent(String(f.get("b") ?? "").trim())}`;
  }
  const steps = diff ? (all ? diff.steps : diff.steps.slice(0, SHOWN_STEPS)) : [];
  return (
    <section aria-labelledby="diff-title">
      <h1 id="diff-title">Diff of two runs</h1>
      <form class="filters" onSubmit={submit} aria-label="Runs to compare">
        <label>Run A (trace id) <input name="a" defaultValue={a} required /></label>
        <label>Run B (trace id) <input name="b" defaultValue={b} required /></label>
        <button type="submit">Compare</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {a && b && !diff && !error && <p aria-busy="true">Comparing…</p>}
      {diff && <div data-testid="diff">
        <h2>Totals</h2>
        <table class="diff-totals"><thead><tr><th scope="col"></th><th scope="col">A: {diff.a}</th>
          <th scope="col">B: {diff.b}</th><th scope="col">B − A</th></tr></thead>
          <tbody>{ROWS.map(([k, label]) => <tr><th scope="row">{label}</th><td>{fmt(k, diff.totalsA[k])}</td>
            <td>{fmt(k, diff.totalsB[k])}</td>
            <td class={diff.delta[k] > 0 ? "delta-pos" : diff.delta[k] < 0 ? "delta-neg" : ""}>
              {diff.delta[k] > 0 ? "+" : ""}{fmt(k, diff.delta[k])}</td></tr>)}</tbody></table>
        <h2>Decisions that chose differently ({diff.decisions.length})</h2>
        <ul data-testid="diff-decisions">{diff.decisions.map((d) => (
          <li class="diff-changed">
            <b>{d.agentId ?? "?"} · {d.stepType}</b>: A chose <b>{d.aSelected ?? "nothing"}</b>, B chose <b>{d.bSelected ?? "nothing"}</b>
            <span class="muted"> (A considered {d.aAlternatives.join(", ") || "—"}; B considered {d.bAlternatives.join(", ") || "—"})</span>
            {" "}{stepLink(diff.a, d.aStepId)} / {stepLink(diff.b, d.bStepId)}
          </li>))}</ul>
        <h2>Tool calls</h2>
        <ul data-testid="diff-tools">
          {diff.addedToolCalls.map((c) => <li class="diff-added">+ {c.apiType} {c.method ?? ""} {c.endpoint ?? "—"}: {c.count} call(s), only in B</li>)}
          {diff.removedToolCalls.map((c) => <li class="diff-removed">− {c.apiType} {c.method ?? ""} {c.endpoint ?? "—"}: {c.count} call(s), only in A</li>)}
          {!diff.addedToolCalls.length && !diff.removedToolCalls.length && <li>Same tool calls.</li>}
        </ul>
        <h2>Aligned steps ({diff.steps.length})</h2>
        <table data-testid="diff-steps"><thead><tr><th scope="col">Change</th><th scope="col">Agent</th>
          <th scope="col">Type</th><th scope="col">Step in A</th><th scope="col">Step in B</th><th scope="col">Fields</th></tr></thead>
          <tbody>{steps.map((s) => (
            <tr class={s.status === "same" ? "" : `diff-${s.status}`}>
              <td>{s.status}</td><td>{s.agentId ?? "—"}</td><td>{s.stepType}</td>
              <td>{stepLink(diff.a, s.aStepId)}</td><td>{stepLink(diff.b, s.bStepId)}</td>
              <td>{s.changes.join(", ")}</td></tr>))}</tbody></table>
        {!all && diff.steps.length > SHOWN_STEPS && <button type="button" onClick={() => setAll(true)}>Show all {diff.steps.length} steps</button>}
      </div>}
    </section>
  );
}
