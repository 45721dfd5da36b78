// The emulator's admin API (`/__emulator/*`, docs/emulator.md) for every test suite: node,
// e2e and browser tests alike, so nothing here may import a node module.
import type { RequestLogEntry } from '../../src/emulator/infra/request-log.js';

/** One line of the emulator's request log, as `GET /__emulator/log` sends it. */
export type EmulatorLogEntry = RequestLogEntry;

/**
 * Calls the emulator's admin API (`/__emulator/<path>`); its JSON answer, or undefined for none.
 * Throws when the emulator answers with an error status, so a test never runs on a switch that
 * was not set.
 */
export async function emulatorAdmin(emulatorUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulatorUrl}/__emulator/${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} /__emulator/${path}: HTTP ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Replaces the emulator's fault config (`{}` turns faults off). */
export async function setFaults(emulatorUrl: string, faults: unknown): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'PUT', 'faults', faults);
}

/** Every request the emulator logged (it keeps the last 10,000) for routes matching `glob`, e.g. `feishu.*.upload_part`; oldest first. */
export async function emulatorLog(emulatorUrl: string, glob = '*'): Promise<EmulatorLogEntry[]> {
  const { entries } = (await emulatorAdmin(emulatorUrl, 'GET', `log?route=${encodeURIComponent(glob)}`)) as { entries: EmulatorLogEntry[] };
  return entries;
}

/** Forgets the emulator's request log, so a test counts only its own requests. */
export async function clearLog(emulatorUrl: string): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'DELETE', 'log');
}
