// Starts the demo exactly as a user does (`npm start`), on free ports with its own
// credentials, and tears it down. E2E tests drive the page it serves.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoStack {
  pageUrl: string;
  emulatorUrl: string;
  /** The emulator's S3 listener (path-style `${s3Url}/${bucket}/${key}`). */
  s3Url: string;
  backendUrl: string;
  appId: string;
  appSecret: string;
  folderToken: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Run `npm start` (scripts/start.ts) with env of our own and wait until the page answers. */
export async function startDemoStack(extraEnv: Record<string, string> = {}): Promise<DemoStack> {
  const [port, serverPort, emulatorPort, s3Port] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-e2e-'));
  const appId = 'cli_e2e_app';
  const appSecret = `e2e-secret-${Math.random().toString(36).slice(2)}`;
  const folderToken = 'fldE2eFolder001';
  const env = {
    ...process.env,
    PORT: String(port),
    SERVER_PORT: String(serverPort),
    EMULATOR_PORT: String(emulatorPort),
    EMULATOR_S3_PORT: String(s3Port),
    EMULATOR_DATA_DIR: dataDir,
    FEISHU_APP_ID: appId,
    FEISHU_APP_SECRET: appSecret,
    EMULATOR_FEISHU_PARENTS: `${folderToken},doxE2eDoc001`,
    // The page must not reload itself mid-upload because a source file changed.
    DEMO_HMR: 'off',
    UPLOAD_TICKET_SECRET: `e2e-ticket-secret-${Math.random().toString(36).slice(2)}-0123456789abcdef`,
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

  const pageUrl = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(pageUrl);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`demo did not come up within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    pageUrl,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    s3Url: `http://127.0.0.1:${env.EMULATOR_S3_PORT}`,
    backendUrl: `http://127.0.0.1:${serverPort}`,
    appId,
    appSecret,
    folderToken,
    dataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
