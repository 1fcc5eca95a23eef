// An independent check of tracegraph's Merkle log vectors and audit bundles: Node.js, no
// dependencies (node:crypto has SHA-256 and Ed25519). Written from docs/audit-bundle.md and
// RFC 9162, not from the Python code. check_vectors.mjs runs it on tests/vectors/merkle.
import { createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const jcs = (v) =>
  v === null || typeof v !== "object" ? JSON.stringify(v)
  : Array.isArray(v) ? `[${v.map(jcs).join(",")}]`
  : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(",")}}`;
const sha = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leafHash = (data) => sha(Buffer.from([0]), data);
const nodeHash = (l, r) => sha(Buffer.from([1]), l, r);
const LEAF_CONTEXT = "tracegraph/log-leaf/v1\n";
const leafData = (record) => Buffer.from(LEAF_CONTEXT + jcs(record), "utf8");

// RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null when it cannot.
function rootFromInclusion(index, size, leaf, proof) {
  if (!(index >= 0 && index < size) || leaf.length !== 32) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0 || p.length !== 32) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
const inclusionOk = (index, size, leaf, proof, root) => {
  const r = rootFromInclusion(index, size, leaf, proof);
  return r !== null && r.equals(root);
};

// RFC 9162 2.1.4.2, with transparency-dev's argument checks.
function consistencyOk(size1, size2, proof, root1, root2) {
  if (size2 < size1 || size1 < 1) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (proof.length === 0 || proof.some((p) => p.length !== 32)) return false;
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1, sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr); sr = nodeHash(c, sr);
      if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else sr = nodeHash(sr, c);
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

// C2SP signed note with Ed25519 keys: "ok", "bad_signature" or "unknown_key".
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const edKey = (raw) => createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
const noteKeyId = (name, raw) => sha(Buffer.from(`${name}\n`), Buffer.from([1]), raw).subarray(0, 4);
function openNote(note, publicKeys) {
  const cut = note.lastIndexOf("\n\n");
  const text = note.slice(0, cut + 1);
  for (const line of note.slice(cut + 2).split("\n").filter((l) => l)) {
    const [, name, b64] = line.split(" ");
    const sig = Buffer.from(b64, "base64");
    for (const raw of publicKeys) {
      if (noteKeyId(name, raw).equals(sig.subarray(0, 4))) {
        return edVerify(null, Buffer.from(text, "utf8"), edKey(raw), sig.subarray(4))
          ? { status: "ok", text, name } : { status: "bad_signature", text, name };
      }
    }
  }
  return { status: "unknown_key", text };
}
function parseCheckpoint(text) {
  const [origin, size, root, stamp] = text.split("\n");
  return { origin, size: Number(size), root: Buffer.from(root, "base64"), timestamp: stamp.slice(10) };
}

// An audit bundle: the problems found, as "code|trace|seq" strings.
export function verifyBundle(path) {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
  const problems = new Set();
  const add = (code, trace = null, seq = null) => problems.add(`${code}|${trace}|${seq}`);
  const [header, ...rest] = lines;
  const keys = rest.filter((l) => l.type === "key").map((k) => {
    const raw = Buffer.from(k.public_key, "base64");
    if (createHash("sha256").update(raw).digest("hex").slice(0, 16) !== k.key_id) add("bad_key_id");
    return raw;
  });
  const opened = openNote(rest.find((l) => l.type === "checkpoint").note, keys);
  if (opened.status === "bad_signature") add("bad_checkpoint_signature");
  if (opened.status === "unknown_key") add("unknown_key_id");
  const cp = parseCheckpoint(opened.text);
  const seen = new Set();
  const leaf = (index, record, proof, trace, seq) => {
    if (index < cp.size && seen.has(index)) add("duplicate_leaf", trace, seq);
    seen.add(index);
    const ok = inclusionOk(index, cp.size, leafHash(leafData(record)), proof.map((p) => Buffer.from(p, "hex")), cp.root);
    if (!ok) add("bad_inclusion_proof", trace, seq);
  };
  const scope = (session, trace, seq) => {
    if ((header.scope === "trace" && trace !== header.scope_id)
        || (header.scope === "session" && session !== header.scope_id)) add("out_of_scope", trace, seq);
  };
  const traces = new Map(), removed = new Map(), tombstoned = new Set(), tombs = new Map();
  const logged = new Map(); // trace -> [count, hash of the highest seq, that seq]
  const log = (trace, seq, hash) => {
    const [n, h, s] = logged.get(trace) ?? [0, null, -1];
    logged.set(trace, [n + 1, seq > s ? hash : h, Math.max(seq, s)]);
  };
  for (const l of rest) {
    if (l.type === "entry") {
      const e = l.entry;
      scope(l.session_id, e.trace_id, e.seq);
      leaf(l.leaf_index, { leaf: "entry", tenant_id: e.tenant_id, session_id: l.session_id,
        trace_id: e.trace_id, seq: e.seq, kind: e.kind, entry_hash: e.hash }, l.proof, e.trace_id, e.seq);
      if (!traces.has(e.trace_id)) traces.set(e.trace_id, []);
      log(e.trace_id, e.seq, e.hash);
      traces.get(e.trace_id).push(l);
    } else if (l.type === "tombstone") {
      const t = l.tombstone;
      scope(t.session_id, t.trace_id, null);
      const { version, tenant_id, trace_id, session_id, entry_count, final_hash, removed_at } = t;
      const h = sha(Buffer.from([1]), Buffer.from(jcs({ version, tenant_id, trace_id, session_id,
        entry_count, final_hash, removed_at }), "utf8")).toString("hex");
      if (h !== t.hash) add("bad_tombstone_hash", trace_id);
      leaf(l.leaf_index, { leaf: "tombstone", tenant_id, session_id, trace_id, entry_count,
        final_hash, removed_at, tombstone_hash: t.hash }, l.proof, trace_id, null);
      tombstoned.add(trace_id);
      tombs.set(trace_id, t);
    } else if (l.type === "removed_entry") {
      const r = l.leaf;
      scope(r.session_id, r.trace_id, r.seq);
      leaf(l.leaf_index, { leaf: "entry", ...r }, l.proof, r.trace_id, r.seq);
      removed.set(r.trace_id, Math.min(removed.get(r.trace_id) ?? Infinity, r.seq));
      log(r.trace_id, r.seq, r.entry_hash);
    }
  }
  for (const [trace, seq] of removed) if (!tombstoned.has(trace)) add("chain", trace, seq);
  for (const [trace, t] of tombs) {
    const got = logged.get(trace);
    if (got && (got[0] !== t.entry_count || got[1] !== t.final_hash)) add("tombstone_mismatch", trace);
  }
  if (header.scope === "tenant") {
    for (let i = 0; i < cp.size; i++) {
      if (!seen.has(i) && (i === 0 || seen.has(i - 1))) add("missing_leaf");
    }
  }
  for (const [trace, group] of traces) {
    let prev = "0".repeat(64), broken = null;
    for (const [i, l] of group.entries()) {
      const { version, tenant_id, trace_id, seq, prev_hash, kind, record } = l.entry;
      const h = sha(Buffer.from([0]), Buffer.from(jcs({ version, tenant_id, trace_id, seq, prev_hash,
        kind, record }), "utf8")).toString("hex");
      if (seq !== i) { broken = Math.min(seq, i); break; }
      if (version !== 1 || tenant_id !== header.tenant_id || prev_hash !== prev || h !== l.entry.hash) { broken = i; break; }
      prev = l.entry.hash;
    }
    if (broken !== null) add("chain", trace, broken);
    const started = group[0].entry.seq === 0 ? group[0].entry.record.session_id : undefined;
    let completed = false, lastLeaf = -1;
    for (const l of group) {
      if (completed) { add("entry_after_completion", trace, l.entry.seq); completed = false; }
      if (l.entry.kind === "trace_completed") completed = true;
      if (started !== undefined && l.session_id !== started) add("session_mismatch", trace, l.entry.seq);
      if (l.leaf_index <= lastLeaf) add("leaf_order", trace, l.entry.seq);
      lastLeaf = l.leaf_index;
    }
  }
  return problems;
}

const CHAIN = new Set(["content_changed", "link_broken", "entry_missing", "entry_inserted",
  "reordered", "renumbered", "wrong_trace", "unsupported_version"]);

function* walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p); else if (name.endsWith(".json")) yield p;
  }
}

export function checkMerkleVectors(dir) {
  const results = [];
  const b64 = (s) => Buffer.from(s ?? "", "base64");
  for (const kind of ["inclusion", "consistency"]) {
    let n = 0, wrong = [];
    for (const p of walk(join(dir, "transparency-dev", kind))) {
      const v = JSON.parse(readFileSync(p, "utf8"));
      const ok = kind === "inclusion"
        ? inclusionOk(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root))
        : consistencyOk(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
      n += 1;
      if (ok === v.wantErr) wrong.push(p);
    }
    results.push([`transparency-dev/${kind} (${n} vectors)`, wrong.length === 0 && n > 0, wrong.join(" ")]);
  }
  const tree = JSON.parse(readFileSync(join(dir, "tree.json"), "utf8"));
  const hashes = tree.leaves.map((l) => {
    const data = leafData(l.record);
    return data.toString("utf8") === l.data && leafHash(data).toString("hex") === l.leaf_hash
      ? leafHash(data) : null;
  });
  const n = hashes.length, root = Buffer.from(tree.roots[n], "hex");
  const treeOk = hashes.every((h) => h)
    && tree.inclusion.every((x) => inclusionOk(x.index, x.size, hashes[x.index], x.proof.map((p) => Buffer.from(p, "hex")), root))
    && tree.consistency.every((x) => consistencyOk(x.size1, x.size2, x.proof.map((p) => Buffer.from(p, "hex")),
      Buffer.from(tree.roots[x.size1], "hex"), root));
  results.push(["tree.json", treeOk, `${n} leaves`]);
  const c = JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8"));
  const pub = Buffer.from(c.public_key, "base64");
  const opened = openNote(c.note, [pub]);
  const cp = parseCheckpoint(opened.text);
  const go = c.go_note;
  const goKey = Buffer.from(go.verifier_key.split("+")[2], "base64").subarray(1);
  const cpOk = opened.status === "ok" && cp.root.equals(root) && cp.size === n
    && c.must_fail.every((m) => openNote(m.note, [pub]).status === m.why.split(":")[0])
    && openNote(go.note, [goKey]).status === "ok" && openNote(go.note.replace("problem,", "problem;"), [goKey]).status === "bad_signature";
  results.push(["checkpoint.json", cpOk, `${cp.origin} size ${cp.size}`]);
  const expected = JSON.parse(readFileSync(join(dir, "bundles", "expected.json"), "utf8"));
  for (const [name, want] of Object.entries(expected)) {
    const got = verifyBundle(join(dir, "bundles", name));
    const wantSet = new Set(want.problems.map((p) => `${CHAIN.has(p.code) ? "chain" : p.code}|${p.trace_id}|${p.seq}`));
    const same = got.size === wantSet.size && [...got].every((x) => wantSet.has(x)) && (got.size === 0) === want.valid;
    results.push([`bundles/${name}`, same, same ? `${want.valid ? "valid" : [...got].join(", ")}` : `got ${[...got].join(", ")}`]);
  }
  return results;
}
