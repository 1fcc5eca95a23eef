// The shapes the UI reads from the GraphQL API (a subset of schema.graphql).
export interface Totals {
  inputTokens: number; outputTokens: number; thinkingTokens: number;
  costUsd: number; durationMs: number; stepCount: number; apiCallCount: number;
}
export interface TraceRow {
  traceId: string; tenantId: string; sessionId: string; agentId: string | null;
  goal: string | null; status: string; outcome: string | null; createdAt: string;
  parentTraceId: string | null; modelIdsUsed: string[]; totals: Totals;
}
export interface Checkpoint { size: number; rootHash: string; timestamp: string; keyId: string }
export interface Verification {
  valid: boolean; entriesChecked: number; firstBrokenSeq: number | null;
  reason: string | null; traceId: string | null; tracesChecked: number;
  verifiedAt: string | null; logChecked: boolean; entriesNotCheckpointed: number;
  checkpoint: Checkpoint | null; // the signed checkpoint verified against (null: none yet)
}
export interface StepRow {
  stepId: string; traceId: string; stepIndex: number; stepType: string; // traceId: set by buildRun
  dependsOn: string[]; selectedAlternative: string | null; alternativesConsidered: string[];
}
export interface RunTrace {
  traceId: string; parentTraceId: string | null; spawnedByStepId: string | null;
  agentId: string | null; status: string; outcome: string | null; goal: string | null;
  sessionId: string; steps: StepRow[];
}
export interface RunTreeEntry { depth: number; childIds: string[]; trace: RunTrace }
