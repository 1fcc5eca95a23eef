// The step panel: everything recorded about one step, its API calls and human inputs.
import { useEffect, useState } from "preact/hooks";
import { gql } from "../api";
import { fmtCost } from "./badges";

const STEP = `query Step($id: ID!, $t: ID!) {
  lineage(nodeId: $id, direction: UP, maxDepth: 1) { node { step {
    stepId traceId stepIndex seq stepType content inputData outputData inputSummary outputSummary
    alternatives { text selected } confidence durationMs modelId inputTokens outputTokens
    thinkingTokens dependsOn createdAt hash prevHash
    apiCalls { callId apiType endpoint method statusCode latencyMs requestTokens responseTokens costUsd error }
  } } }
  trace(traceId: $t) { humanInputs { inputId stepId question answer answeredBy } }
}`;

interface ApiCall { callId: string; apiType: string; endpoint: string | null; method: string | null;
  statusCode: number | null; latencyMs: number | null; requestTokens: number | null;
  responseTokens: number | null; costUsd: number | null; error: string | null }
interface Step { stepId: string; traceId: string; stepIndex: number; seq: number; stepType: string;
  content: string | null; inputData: unknown; outputData: unknown; inputSummary: string | null;
  outputSummary: string | null; alternatives: { text: string; selected: boolean }[];
  confidence: number | null; durationMs: number | null; modelId: string | null;
  inputTokens: number | null; outputTokens: number | null; thinkingTokens: number | null;
  dependsOn: string[]; createdAt: string; hash: string; prevHash: string; apiCalls: ApiCall[] }
interface Human { inputId: string; stepId: string | null; question: string; answer: string | null; answeredBy: string | null }

export function StepPanel({ stepId, traceId, actions }: {
  stepId: string; traceId: string; actions: preact.ComponentChildren;
}) {
  const [step, setStep] = useState<Step | null>(null);
  const [humans, setHumans] = useState<Human[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    let stale = false;
    gql<{ lineage: { node: { step: Step | null } }; trace: { humanInputs: Human[] } | null }>(
      STEP, { id: stepId, t: traceId },
    ).then((d) => {
      if (stale) return;
      setStep(d.lineage.node.step);
      setHumans((d.trace?.humanInputs ?? []).filter((h) => h.stepId === stepId));
    }).catch((e: Error) => !stale && setError(e.message));
    return () => { stale = true; };
  }, [stepId, traceId]);
  if (error) return <p role="alert" class="error">{error}</p>;
  if (!step) return <p aria-busy="true">Loading step…</p>;
  const cost = step.apiCalls.reduce((a, c) => a + (c.costUsd ?? 0), 0);
  return (
    <div data-testid="step-panel">
      <h2>{step.stepIndex}. {step.stepType}</h2>
      <div class="toolbar">{actions}</div>
      <dl>
        <dt>Step</dt><dd>{step.stepId}</dd>
        <dt>Trace</dt><dd>{step.traceId} (seq {step.seq})</dd>
        <dt>Content</dt><dd>{step.content ?? "—"}</dd>
        {step.alternatives.length > 0 && <><dt>Alternatives</dt><dd><ul>
          {step.alternatives.map((a) => <li>{a.selected ? <b>✓ {a.text} (chosen)</b> : <span class="muted">✗ {a.text}</span>}</li>)}
        </ul></dd></>}
        <dt>Confidence</dt><dd>{step.confidence ?? "—"}</dd>
        <dt>Model</dt><dd>{step.modelId ?? "—"}</dd>
        <dt>Tokens</dt><dd>in {step.inputTokens ?? 0} · out {step.outputTokens ?? 0} · thinking {step.thinkingTokens ?? 0}</dd>
        <dt>Cost</dt><dd>{fmtCost(cost)}</dd>
        <dt>Duration</dt><dd>{step.durationMs !== null ? `${step.durationMs} ms` : "—"}</dd>
        <dt>Depends on</dt><dd>{step.dependsOn.join(", ") || "—"}</dd>
        <dt>Created</dt><dd>{step.createdAt}</dd>
        <dt>Hash</dt><dd class="hash" data-testid="step-hash">{step.hash}</dd>
        <dt>Previous hash</dt><dd class="hash">{step.prevHash}</dd>
      </dl>
      <h2>Input</h2>
      {step.inputSummary && <p>{step.inputSummary}</p>}
      <pre>{step.inputData === null ? "—" : JSON.stringify(step.inputData, null, 2)}</pre>
      <h2>Output</h2>
      {step.outputSummary && <p>{step.outputSummary}</p>}
      <pre>{step.outputData === null ? "—" : JSON.stringify(step.outputData, null, 2)}</pre>
      <h2>API calls ({step.apiCalls.length})</h2>
      {step.apiCalls.length > 0 && <table><thead><tr><th scope="col">Type</th><th scope="col">Endpoint</th>
        <th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Tokens</th><th scope="col">Cost</th></tr></thead>
        <tbody>{step.apiCalls.map((c) => <tr key={c.callId}><td>{c.apiType}</td><td>{c.endpoint ?? "—"}</td>
          <td>{c.error ?? c.statusCode ?? "—"}</td><td>{c.latencyMs ?? "—"}</td>
          <td>{(c.requestTokens ?? 0) + (c.responseTokens ?? 0)}</td><td>{fmtCost(c.costUsd ?? 0)}</td></tr>)}</tbody></table>}
      <h2>Human inputs ({humans.length})</h2>
      {humans.map((h) => <p key={h.inputId}><b>Q:</b> {h.question}<br /><b>A:</b> {h.answer ?? "—"} {h.answeredBy && <span class="muted">({h.answeredBy})</span>}</p>)}
    </div>
  );
}
