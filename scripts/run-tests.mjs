// `npm test`: typecheck, lint, node tests, browser tests, e2e; then one closing line
// `N passed, N failed` that CI reads. A suite that fails without counting counts as 1 failed.
import { spawn } from 'node:child_process';

const only = process.argv.slice(2);
const suites = [
  { name: 'typecheck', cmd: ['npm', 'run', '-s', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '-s', 'lint'] },
  { name: 'node', cmd: ['npm', 'run', '-s', 'test:node'] },
  { name: 'browser', cmd: ['npm', 'run', '-s', 'test:browser'] },
  { name: 'e2e', cmd: ['npm', 'run', '-s', 'test:e2e'] },
].filter((s) => only.length === 0 || only.includes(s.name));

function run({ cmd }) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const tee = (stream, sink) => stream.on('data', (d) => { out += d; sink.write(d); });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Counts from node's test runner (tap or spec) or web-test-runner's summary. */
function count(out) {
  const plain = out.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*[A-Za-z]", "g"), "");
  const nodePass = [...plain.matchAll(/^(?:#|ℹ) pass (\d+)$/gm)].map((m) => Number(m[1]));
  const nodeFail = [...plain.matchAll(/^(?:#|ℹ) fail (\d+)$/gm)].map((m) => Number(m[1]));
  if (nodePass.length) return { passed: nodePass.at(-1), failed: nodeFail.at(-1) ?? 0 };
  // web-test-runner prints one progress line per browser; the last line of each browser counts.
  const perBrowser = new Map();
  for (const m of plain.matchAll(/^\s*(?:\S*\[G)?([\w ]+?):\s*\|[^|]*\|.*?(\d+) passed, (\d+) failed/gm)) {
    perBrowser.set(m[1].trim(), { passed: Number(m[2]), failed: Number(m[3]) });
  }
  if (perBrowser.size > 0) {
    const totals = [...perBrowser.values()];
    return { passed: totals.reduce((n, t) => n + t.passed, 0), failed: totals.reduce((n, t) => n + t.failed, 0) };
  }
  return null;
}

let passed = 0;
let failed = 0;
const table = [];
for (const suite of suites) {
  const started = Date.now();
  const { code, out } = await run(suite);
  const counted = count(out);
  let p = counted?.passed ?? (code === 0 ? 1 : 0);
  let f = counted?.failed ?? (code === 0 ? 0 : 1);
  if (code !== 0 && f === 0) f = 1; // a crash after green tests is still a failure
  passed += p;
  failed += f;
  table.push(`${suite.name.padEnd(10)} ${String(p).padStart(4)} passed ${String(f).padStart(3)} failed  ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log('\n' + table.join('\n'));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
