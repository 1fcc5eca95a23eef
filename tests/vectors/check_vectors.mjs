// An independent check of tracegraph's hash-chain vectors: Node.js, no dependencies.
// RFC 8785 is JSON.stringify's own number and string output with keys sorted by UTF-16 code
// units (JavaScript's default sort), so the canonicalizer is four lines.
// It also checks the Merkle log vectors in DIR/merkle (merkle.mjs beside this file): RFC 6962
// proofs (transparency-dev's and ours), a signed checkpoint and every audit bundle.
// Usage: node tests/vectors/check_vectors.mjs [DIR]   (exit status 1 when a vector disagrees)
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const jcs = (v) =>
  v === null || typeof v !== "object" ? JSON.stringify(v)
  : Array.isArray(v) ? `[${v.map(jcs).join(",")}]`
  : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(",")}}`;
const sha = (text) =>
  createHash("sha256").update(Buffer.concat([Buffer.from([0]), Buffer.from(text, "utf8")]))
    .digest("hex");

function verify(tenant, trace, entries) {
  let prev = "0".repeat(64);
  for (const [i, e] of entries.entries()) {
    const { version, tenant_id, trace_id, seq, prev_hash, kind, record } = e;
    const text = jcs({ version, tenant_id, trace_id, seq, prev_hash, kind, record });
    if (text !== e.canonical) throw new Error(`entry ${i}: canonical form differs`);
    if (seq !== i) return { valid: false, first_broken_seq: Math.min(seq, i) };
    const ok = version === 1 && tenant_id === tenant && trace_id === trace
      && prev_hash === prev && sha(text) === e.hash;
    if (!ok) return { valid: false, first_broken_seq: i };
    prev = e.hash;
  }
  return { valid: true, first_broken_seq: null };
}

const dir = process.argv[2] ?? dirname(fileURLToPath(import.meta.url));
let failures = 0;
for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
  const v = JSON.parse(readFileSync(join(dir, name), "utf8"));
  const got = verify(v.tenant_id, v.trace_id, v.entries);
  const same = got.valid === v.expected.valid
    && got.first_broken_seq === v.expected.first_broken_seq;
  failures += same ? 0 : 1;
  console.log(`${same ? "ok  " : "FAIL"} ${name}: valid=${got.valid} first_broken_seq=${got.first_broken_seq}`);
}
if (existsSync(join(dir, "merkle"))) {
  const { checkMerkleVectors } = await import("./merkle.mjs");
  for (const [name, ok, detail] of checkMerkleVectors(join(dir, "merkle"))) {
    failures += ok ? 0 : 1;
    console.log(`${ok ? "ok  " : "FAIL"} merkle/${name}${detail ? `: ${detail}` : ""}`);
  }
}
process.exit(failures ? 1 : 0);
