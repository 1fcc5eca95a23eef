// Check one audit bundle with the independent JavaScript checker (merkle.mjs): prints the
// problems found as JSON ("code|trace|seq" strings) and exits 1 when there is one.
// Usage: node tests/vectors/check_bundle.mjs FILE
import { verifyBundle } from "./merkle.mjs";

const problems = [...verifyBundle(process.argv[2])];
console.log(JSON.stringify(problems));
process.exit(problems.length ? 1 : 0);
