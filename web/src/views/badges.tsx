// Status and verification badges shared by the views.
import type { Verification } from "../types";

export function StatusBadge({ status, outcome }: { status: string; outcome?: string | null }) {
  const s = status.toLowerCase();
  return (
    <span class={`badge status-${s}`} title={`status ${s}${outcome ? `, outcome ${outcome.toLowerCase()}` : ""}`}>
      {s}{outcome ? ` · ${outcome.toLowerCase()}` : ""}
    </span>
  );
}

export function VerifyBadge({ v, label }: { v: Verification | undefined; label?: string }) {
  if (!v) return <span class="badge pending">verifying…</span>;
  if (v.valid) {
    return (
      <span class="badge ok" data-testid="verify-ok" title={`${v.entriesChecked} entries checked`}>
        ✓ {label ?? "chain"} verified
      </span>
    );
  }
  const where = v.firstBrokenSeq !== null ? ` at seq ${v.firstBrokenSeq}` : "";
  return (
    <span class="badge broken" data-testid="verify-broken" role="status">
      ✗ {label ?? "chain"} broken{where}{v.traceId ? ` (trace ${v.traceId})` : ""}: {v.reason ?? "does not verify"}
    </span>
  );
}

export function fmtCost(usd: number): string {
  return `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 4 : 2)}`;
}

export function fmtTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
