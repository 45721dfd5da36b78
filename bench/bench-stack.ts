import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchStackProcessOptions, BenchStackUrls } from './bench-stack-process.js';

/** Longest wait for the child to listen (tsx compiles the emulator and backend first). */
const START_TIMEOUT_MS = 60_000;

/** Variations of the stack for experiments (bench-stack-process.ts). */
export type BenchStackOptions = Omit<BenchStackProcessOptions, 'dataDir' | 'pageDir'>;

/** A running stack (see bench-stack-process.ts) plus the admin calls the measurements need. */
export interface BenchStack extends BenchStackUrls {
  /** Replace the emulator's fault config (docs/emulator.md "Fault config"); `{}` clears it. */
  setFaults(config: unknown): Promise<void>;
  /** Switch the emulator's Feishu rate limit (5 QPS, per app) on or off. */
  setFeishuRateLimit(enabled: boolean): Promise<void>;
  /** Delay added by the page server to `/sign` and `/api/*` (ms). */
  setPageLatency(ms: number): Promise<void>;
  /** Stop every server and delete the stack's data (uploaded objects included). */
  stop(): Promise<void>;
}

async function call(url: string, method: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * Start the emulator, both backends, the page server and the sink in a child process with a
 * fresh data dir. A measurement that uploads gigabytes starts its own stack per repetition, so
 * the emulator's disk is freed between them and rapid upload never sees an earlier copy.
 *
 * @example
 * const stack = await startBenchStack(pageDir);
 * await page.goto(stack.pageUrl);
 * await stack.stop();
 */
export async function startBenchStack(pageDir: string, extra: BenchStackOptions = {}): Promise<BenchStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-bench-stack-'));
  const options: BenchStackProcessOptions = { ...extra, dataDir, pageDir };
  const child: ChildProcess = fork(fileURLToPath(new URL('./bench-stack-process.ts', import.meta.url)), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let urls: BenchStackUrls;
  try {
    urls = await new Promise<BenchStackUrls>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench stack did not start in ${START_TIMEOUT_MS / 1000} s:\n${stderr}`)), START_TIMEOUT_MS);
      child.once('message', (message: { type: string; urls: BenchStackUrls }) => {
        clearTimeout(timer);
        resolve(message.urls);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`bench stack exited (${String(code)}):\n${stderr}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    ...urls,
    setFaults: (config) => call(`${urls.emulatorUrl}/__emulator/faults`, 'PUT', config),
    setFeishuRateLimit: (enabled) => call(`${urls.emulatorUrl}/__emulator/feishu/rate-limit`, 'PUT', { enabled }),
    setPageLatency: (ms) => call(`${urls.pageUrl}/__bench/latency`, 'POST', { ms }),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.connected) child.send('stop');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
        await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
