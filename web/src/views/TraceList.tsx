// Trace list: filters, cursor paging, status and verification badges, live new runs.
import { useEffect, useState } from "preact/hooks";
import { gql, subscribe } from "../api";
import type { TraceRow, Verification } from "../types";
import { StatusBadge, VERIFY_FIELDS, VerifyBadge, fmtCost, fmtTime } from "./badges";

const PAGE = 20;
const TRACE_FIELDS = `traceId tenantId sessionId agentId goal status outcome createdAt
  parentTraceId modelIdsUsed
  totals { inputTokens outputTokens thinkingTokens costUsd durationMs stepCount apiCallCount }`;
const TRACES = `query Traces($filter: TraceFilter, $first: Int, $after: String) {
  traces(filter: $filter, first: $first, after: $after) {
    edges { cursor node { ${TRACE_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SESSION_EVENTS = `subscription Live($sessionId: ID!) {
  sessionEvents(sessionId: $sessionId) { traceId seq kind }
}`;
const TRACES_STARTED = `subscription Started($filter: TraceFilter) {
  tracesStarted(filter: $filter) { ${TRACE_FIELDS} }
}`;
const FILTER_KEYS = ["sessionId", "agentId", "status", "outcome", "modelId", "createdAfter",
  "createdBefore", "rootsOnly"] as const;

function verifyQuery(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$t${i}: ID!`).join(", ");
  const fields = Array.from({ length: n }, (_, i) =>
    `v${i}: verifyTrace(traceId: $t${i}) { ${VERIFY_FIELDS} }`);
  return `query Verify(${vars}) { ${fields.join("\n")} }`;
}

function filterFrom(params: URLSearchParams): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (!v) continue;
    if (k === "rootsOnly") f[k] = v === "1";
    else if (k === "createdAfter" || k === "createdBefore") f[k] = new Date(v).toISOString();
    else f[k] = v;
  }
  return f;
}

export function TraceList({ params, onTenant }: {
  params: URLSearchParams; onTenant: (t: string) => void;
}) {
  const filter = filterFrom(params);
  const filterKey = JSON.stringify(filter);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [rows, setRows] = useState<TraceRow[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [verified, setVerified] = useState<Record<string, Verification>>({});
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const after = cursors[cursors.length - 1];

  useEffect(() => { setCursors([null]); }, [filterKey]);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    gql<{ traces: { edges: { node: TraceRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      TRACES, { filter, first: PAGE, after },
    ).then(async (d) => {
      if (stale) return;
      const list = d.traces.edges.map((e) => e.node);
      setRows(list);
      setNext(d.traces.pageInfo.hasNextPage ? d.traces.pageInfo.endCursor : null);
      setError("");
      if (list.length) onTenant(list[0].tenantId);
      if (!list.length) return;
      const vars: Record<string, string> = {};
      list.forEach((t, i) => { vars[`t${i}`] = t.traceId; });
      const v = await gql<Record<string, Verification>>(verifyQuery(list.length), vars);
      if (stale) return;
      const byId: Record<string, Verification> = {};
      list.forEach((t, i) => { byId[t.traceId] = v[`v${i}`]; });
      setVerified(byId);
    }).catch((e: Error) => { if (!stale) setError(e.message); })
      .finally(() => { if (!stale) setLoading(false); });
    return () => { stale = true; };
  }, [filterKey, after, tick]);

  // Live, no polling: a session's traces (new ones and their completion) re-read the page on
  // its sessionEvents; otherwise tracesStarted (same filter) puts each new trace on top of
  // the first page and verifies it.
  useEffect(() => {
    if (after) return;
    const session = params.get("sessionId");
    if (session) {
      return subscribe<{ sessionEvents: { kind: string } }>(SESSION_EVENTS, { sessionId: session },
        (d) => { if (d.sessionEvents.kind !== "STEP") setTick((t) => t + 1); });
    }
    return subscribe<{ tracesStarted: TraceRow }>(TRACES_STARTED, { filter }, (d) => {
      const t = d.tracesStarted;
      setRows((list) => [t, ...list.filter((r) => r.traceId !== t.traceId)]);
      onTenant(t.tenantId);
      gql<{ v0: Verification }>(verifyQuery(1), { t0: t.traceId })
        .then((v) => setVerified((m) => ({ ...m, [t.traceId]: v.v0 })))
        .catch((e: Error) => setError(e.message));
    });
  }, [filterKey, after]);

  function applyFilters(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const p = new URLSearchParams();
    for (const k of FILTER_KEYS) {
      const v = form.get(k);
      if (typeof v === "string" && v) p.set(k, v);
    }
    location.hash = `#/?${p.toString()}`;
  }

  return (
    <section aria-labelledby="traces-title">
      <h1 id="traces-title">Traces</h1>
      <form class="filters" onSubmit={applyFilters} aria-label="Filter traces">
        <label>Session <input name="sessionId" defaultValue={params.get("sessionId") ?? ""} /></label>
        <label>Agent <input name="agentId" defaultValue={params.get("agentId") ?? ""} /></label>
        <label>Status
          <select name="status" defaultValue={params.get("status") ?? ""}>
            <option value="">any</option>
            {["ACTIVE", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"].map((s) =>
              <option value={s}>{s.toLowerCase()}</option>)}
          </select>
        </label>
        <label>Outcome
          <select name="outcome" defaultValue={params.get("outcome") ?? ""}>
            <option value="">any</option>
            {["SUCCESS", "PARTIAL", "FAILURE"].map((s) => <option value={s}>{s.toLowerCase()}</option>)}
          </select>
        </label>
        <label>Model <input name="modelId" defaultValue={params.get("modelId") ?? ""} /></label>
        <label>From <input type="datetime-local" name="createdAfter" defaultValue={params.get("createdAfter") ?? ""} /></label>
        <label>Until <input type="datetime-local" name="createdBefore" defaultValue={params.get("createdBefore") ?? ""} /></label>
        <label class="check"><input type="checkbox" name="rootsOnly" value="1"
          defaultChecked={params.get("rootsOnly") === "1"} /> Runs only (roots)</label>
        <button type="submit">Apply filters</button>
        <a class="button ghost" href="#/">Clear</a>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      <table class="traces" aria-busy={loading}>
        <caption class="sr-only">Traces, newest first</caption>
        <thead>
          <tr><th scope="col">Trace</th><th scope="col">Agent</th><th scope="col">Session</th>
            <th scope="col">Status</th><th scope="col">Chain</th><th scope="col">Models</th>
            <th scope="col">Steps</th><th scope="col">Tokens</th><th scope="col">Cost</th>
            <th scope="col">Created</th><th scope="col"><span class="sr-only">Diff</span></th></tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.traceId} data-trace={t.traceId}>
              <td>
                <a href={`#/run/${encodeURIComponent(t.traceId)}`}>{t.traceId}</a>
                {t.parentTraceId && <span class="muted"> (nested)</span>}
                {t.goal && <div class="muted small">{t.goal}</div>}
              </td>
              <td>{t.agentId ?? "—"}</td>
              <td><a href={`#/?sessionId=${encodeURIComponent(t.sessionId)}`}>{t.sessionId}</a></td>
              <td><StatusBadge status={t.status} outcome={t.outcome} /></td>
              <td><VerifyBadge v={verified[t.traceId]} compact /></td>
              <td>{t.modelIdsUsed.join(", ") || "—"}</td>
              <td>{t.totals.stepCount}</td>
              <td>{t.totals.inputTokens + t.totals.outputTokens}</td>
              <td>{fmtCost(t.totals.costUsd)}</td>
              <td><time dateTime={t.createdAt}>{fmtTime(t.createdAt)}</time></td>
              <td><a href={`#/diff?a=${encodeURIComponent(t.traceId)}`} aria-label={`Diff ${t.traceId} with another run`}>diff…</a></td>
            </tr>
          ))}
          {!rows.length && !loading && <tr><td colSpan={11}>No traces match.</td></tr>}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length < 2}
          onClick={() => setCursors((c) => c.slice(0, -1))}>← Newer</button>
        <span>Page {cursors.length}</span>
        <button type="button" disabled={!next}
          onClick={() => next && setCursors((c) => [...c, next])}>Older →</button>
      </nav>
    </section>
  );
}
