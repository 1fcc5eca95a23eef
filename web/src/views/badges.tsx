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

/** The ChainVerification fields the badges read (verifyTrace, verifySession). */
export const VERIFY_FIELDS = `valid entriesChecked firstBrokenSeq reason traceId tracesChecked
  verifiedAt logChecked entriesNotCheckpointed checkpoint { size rootHash timestamp keyId }`;

/** What a verification was checked against, in words: the signed checkpoint (its size, key
 * and signing time) and when it ran. */
export function checkpointText(v: Verification): string {
  const when = v.verifiedAt ? `verified ${fmtTime(v.verifiedAt)}` : "verified";
  const cp = v.checkpoint;
  if (!cp) {
    return `${when}; no signed checkpoint yet${v.logChecked ? " (checked against the log's leaves)" : ""}`;
  }
  const after = v.entriesNotCheckpointed ? `; ${v.entriesNotCheckpointed} entries logged after it` : "";
  return `${when} against signed checkpoint #${cp.size} (root ${cp.rootHash.slice(0, 12)}…, ` +
    `key ${cp.keyId}, signed ${fmtTime(cp.timestamp)})${after}`;
}

/** A chain's verdict: verified or the first broken seq and the reason, with the signed
 * checkpoint it was verified against as a tooltip, and as text unless ``compact``. */
export function VerifyBadge({ v, label, compact }: {
  v: Verification | undefined; label?: string; compact?: boolean;
}) {
  if (!v) return <span class="badge pending">verifying…</span>;
  const against = checkpointText(v);
  const cp = v.checkpoint;
  // Compact (the trace list): the details are the tooltip, and reachable without a mouse:
  // the note takes focus, its accessible name is the whole text, and CSS spells it out while
  // it has the keyboard's focus.
  const note = compact
    ? <span class="muted small cp" data-testid="verify-checkpoint" title={against}
        tabIndex={0} aria-label={against}>
        {cp ? `checkpoint #${cp.size} · ${fmtTime(cp.timestamp)}` : "no checkpoint yet"}</span>
    : <span class="muted small cp" data-testid="verify-checkpoint">{against}</span>;
  if (v.valid) {
    return (
      <span class="verdict">
        <span class="badge ok" data-testid="verify-ok" title={`${v.entriesChecked} entries checked, ${against}`}>
          ✓ {label ?? "chain"} verified
        </span> {note}
      </span>
    );
  }
  const where = v.firstBrokenSeq !== null ? ` at seq ${v.firstBrokenSeq}` : "";
  return (
    <span class="verdict">
      <span class="badge broken" data-testid="verify-broken" role="status" title={against}>
        ✗ {label ?? "chain"} broken{where}{v.traceId ? ` (trace ${v.traceId})` : ""}: {v.reason ?? "does not verify"}
      </span> {note}
    </span>
  );
}

export function fmtCost(usd: number): string {
  return `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 4 : 2)}`;
}

export function fmtTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
