import { globToRegExp } from './request-log.js';
import { SeededRandom } from './seeded-random.js';

/**
 * Faults for the routes a key of {@link FaultConfig.routes} matches. Every field is optional
 * and off when absent (cloud-apis.md §7: "inject failure N times per endpoint", latency,
 * dropped connections mid-body).
 */
export interface RouteFaults {
  /** Probability (0..1) that a request is answered with `errorCode` instead of being handled. */
  errorRate?: number;
  /** The next N matching requests are answered with `errorCode` (deterministic; counts down). */
  failNext?: number;
  /**
   * Provider code for injected errors; the flavour renders it with its documented HTTP status
   * and envelope. Default: the flavour's documented retryable code (Feishu `1061001`).
   */
  errorCode?: number | string;
  /** Extra delay (ms, real time) before the request is handled. */
  latencyMs?: number;
  /** Probability (0..1) that the connection is destroyed after `dropAfterBytes` body bytes. */
  dropRate?: number;
  /** The next N matching requests have their connection destroyed mid-body (counts down). */
  dropNext?: number;
  /** Body bytes read before a drop; default {@link DEFAULT_DROP_AFTER_BYTES}. */
  dropAfterBytes?: number;
}

/** Fault configuration of the whole emulator; `{}` (the default) injects nothing. */
export interface FaultConfig {
  /** Seed of the PRNG behind `errorRate` / `dropRate`; default 1. Setting a config reseeds. */
  seed?: number;
  /**
   * Route-name glob → faults. The most specific key wins: an exact name, else the matching
   * glob with the most literal characters. Route names look like `feishu.medias.upload_part`;
   * `*` matches every route (admin routes are never faulted).
   * @example { "feishu.*.upload_part": { "errorRate": 0.2 } }
   */
  routes?: Record<string, RouteFaults>;
  /**
   * Early upload-id expiry: an upload session expires once it has accepted this many parts,
   * so the next call on it gets the provider's "expired" error (Feishu `1061021`).
   */
  expireUploadsAfterParts?: number;
}

/** What the server should do with one request. */
export interface FaultDecision {
  latencyMs: number;
  /** Provider code to answer with (`null` = use the flavour default); undefined = no error. */
  error?: number | string | null;
  /** Destroy the connection after this many body bytes; undefined = no drop. */
  dropAfterBytes?: number;
}

/** Body bytes read before an injected drop when the config names no number. */
export const DEFAULT_DROP_AFTER_BYTES = 1024;

/** Thrown by {@link FaultController.set} for a malformed config. */
export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

/**
 * Holds the fault config and decides, per request, which fault (if any) applies.
 * @example
 * emulator.faults.set({ seed: 7, routes: { 'feishu.*.upload_part': { errorRate: 0.3 } } });
 */
export class FaultController {
  #config: FaultConfig = {};
  #random = new SeededRandom(1);
  #compiled: { key: string; re: RegExp; specificity: number; faults: RouteFaults }[] = [];

  /** @param initial config applied at start (validated like {@link set}). */
  constructor(initial?: FaultConfig) {
    if (initial) this.set(initial);
  }

  /** A deep copy of the current config (counters show what is left). */
  get(): FaultConfig {
    return structuredClone(this.#config);
  }

  /** Replaces the whole config and reseeds the PRNG. Throws {@link FaultConfigError} when invalid. */
  set(config: FaultConfig): void {
    const valid = validateFaultConfig(config);
    this.#config = valid;
    this.#random = new SeededRandom(valid.seed ?? 1);
    this.#compiled = Object.entries(valid.routes ?? {}).map(([key, faults]) => ({
      key,
      re: globToRegExp(key),
      specificity: key === '*' ? 0 : key.replaceAll('*', '').length + (key.includes('*') ? 0 : 1_000),
      faults,
    }));
    this.#compiled.sort((a, b) => b.specificity - a.specificity);
  }

  /** Turns every fault off. */
  reset(): void {
    this.set({});
  }

  /** Early-expiry threshold, if configured. */
  get expireUploadsAfterParts(): number | undefined {
    return this.#config.expireUploadsAfterParts;
  }

  /** Decides the fault for one request on `route`; consumes `failNext`/`dropNext` counters. */
  decide(route: string): FaultDecision {
    const entry = this.#compiled.find((c) => c.re.test(route));
    if (!entry) return { latencyMs: 0 };
    const f = entry.faults;
    // Draw both numbers every time so the sequence depends only on the request order.
    const errorDraw = this.#random.next();
    const dropDraw = this.#random.next();
    const decision: FaultDecision = { latencyMs: f.latencyMs ?? 0 };
    if (f.dropNext !== undefined && f.dropNext > 0) {
      f.dropNext -= 1;
      decision.dropAfterBytes = f.dropAfterBytes ?? DEFAULT_DROP_AFTER_BYTES;
      return decision;
    }
    if (f.failNext !== undefined && f.failNext > 0) {
      f.failNext -= 1;
      decision.error = f.errorCode ?? null;
      return decision;
    }
    if (f.dropRate !== undefined && dropDraw < f.dropRate) {
      decision.dropAfterBytes = f.dropAfterBytes ?? DEFAULT_DROP_AFTER_BYTES;
      return decision;
    }
    if (f.errorRate !== undefined && errorDraw < f.errorRate) decision.error = f.errorCode ?? null;
    return decision;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkNumber(where: string, value: unknown, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new FaultConfigError(`${where} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  }
  return value;
}

/** Validates untrusted JSON (env, admin route) into a clean {@link FaultConfig}. */
export function validateFaultConfig(input: unknown): FaultConfig {
  if (!isRecord(input)) throw new FaultConfigError('fault config must be a JSON object');
  const known = new Set(['seed', 'routes', 'expireUploadsAfterParts']);
  for (const key of Object.keys(input)) if (!known.has(key)) throw new FaultConfigError(`unknown fault config key "${key}"`);
  const out: FaultConfig = {};
  const seed = checkNumber('seed', input['seed'], -(2 ** 53), 2 ** 53, true);
  if (seed !== undefined) out.seed = seed;
  const expire = checkNumber('expireUploadsAfterParts', input['expireUploadsAfterParts'], 1, Number.MAX_SAFE_INTEGER, true);
  if (expire !== undefined) out.expireUploadsAfterParts = expire;
  const routes = input['routes'];
  if (routes !== undefined) {
    if (!isRecord(routes)) throw new FaultConfigError('routes must be an object of route glob → faults');
    out.routes = {};
    for (const [glob, raw] of Object.entries(routes)) {
      if (!isRecord(raw)) throw new FaultConfigError(`routes["${glob}"] must be an object`);
      const knownFault = new Set(['errorRate', 'failNext', 'errorCode', 'latencyMs', 'dropRate', 'dropNext', 'dropAfterBytes']);
      for (const key of Object.keys(raw)) if (!knownFault.has(key)) throw new FaultConfigError(`unknown fault "${key}" in routes["${glob}"]`);
      const f: RouteFaults = {};
      const at = (k: string): string => `routes["${glob}"].${k}`;
      const errorRate = checkNumber(at('errorRate'), raw['errorRate'], 0, 1, false);
      if (errorRate !== undefined) f.errorRate = errorRate;
      const dropRate = checkNumber(at('dropRate'), raw['dropRate'], 0, 1, false);
      if (dropRate !== undefined) f.dropRate = dropRate;
      const failNext = checkNumber(at('failNext'), raw['failNext'], 0, Number.MAX_SAFE_INTEGER, true);
      if (failNext !== undefined) f.failNext = failNext;
      const dropNext = checkNumber(at('dropNext'), raw['dropNext'], 0, Number.MAX_SAFE_INTEGER, true);
      if (dropNext !== undefined) f.dropNext = dropNext;
      const latencyMs = checkNumber(at('latencyMs'), raw['latencyMs'], 0, 600_000, false);
      if (latencyMs !== undefined) f.latencyMs = latencyMs;
      const dropAfterBytes = checkNumber(at('dropAfterBytes'), raw['dropAfterBytes'], 0, Number.MAX_SAFE_INTEGER, true);
      if (dropAfterBytes !== undefined) f.dropAfterBytes = dropAfterBytes;
      const code = raw['errorCode'];
      if (code !== undefined) {
        if (typeof code !== 'number' && typeof code !== 'string') throw new FaultConfigError(`${at('errorCode')} must be a number or string`);
        f.errorCode = code;
      }
      out.routes[glob] = f;
    }
  }
  return out;
}
