import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../scripts/chromium-path.mjs';

/** How often the heap sampler asks CDP (ms): often enough to catch a part-sized peak. */
const HEAP_SAMPLE_MS = 100;

/** Headless Chromium as the tests launch it (scripts/chromium-path.mjs). */
export interface BenchBrowser {
  browser: Browser;
  version: string;
  /** A fresh page on `url`, once the bench page says it is ready. */
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launch headless Chromium with the shared launch options. Long-task reporting and the
 * precise heap numbers need nothing beyond them.
 *
 * @example
 * const chrome = await launchBenchBrowser();
 * const page = await chrome.open(`${stack.pageUrl}/index.html`);
 */
export async function launchBenchBrowser(): Promise<BenchBrowser> {
  const browser = await chromium.launch(chromiumLaunchOptions());
  return {
    browser,
    version: browser.version(),
    async open(url) {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => document.documentElement.dataset['benchReady'] === 'true', undefined, { timeout: 30_000 });
      return page;
    },
    close: () => browser.close(),
  };
}

/** What CDP `Runtime.getHeapUsage` answers (backingStorageSize: ArrayBuffer contents, which live outside the V8 heap). */
export interface HeapUsage {
  usedSize?: number;
  backingStorageSize?: number;
}

/**
 * The JS memory a context holds: its V8 heap plus the backing stores of its ArrayBuffers.
 * Part bytes read by a worker are ArrayBuffers, so a heap figure without them could not see
 * a leaked part.
 */
export function jsMemoryBytes(usage: HeapUsage | undefined): number {
  return (usage?.usedSize ?? 0) + (usage?.backingStorageSize ?? 0);
}

/** Peak JS memory (heap + ArrayBuffer contents) seen while sampling: the page's own, and the page's plus its workers'. */
export interface HeapPeak {
  /** Page (main thread) heap + ArrayBuffer contents, bytes. */
  pageBytes: number;
  /** Page plus every dedicated worker (hash pool), bytes, summed per sample. */
  totalBytes: number;
  /** Workers seen by the sampler. */
  workers: number;
  samples: number;
}

interface AttachedEvent {
  sessionId: string;
  targetInfo: { type: string; targetId: string };
}

/**
 * Sample the JS memory (`Runtime.getHeapUsage`: V8 heap + ArrayBuffer contents) of the page and
 * of each worker (through the page session's non-flat auto-attach) every 100 ms.
 *
 * @example
 * const sampler = await HeapSampler.start(page);
 * ... upload ...
 * const peak = await sampler.stop();
 */
export class HeapSampler {
  readonly #session: CDPSession;
  readonly #workers = new Set<string>();
  readonly #pending = new Map<number, (used: number) => void>();
  #nextId = 1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #peak: HeapPeak = { pageBytes: 0, totalBytes: 0, workers: 0, samples: 0 };

  private constructor(session: CDPSession) {
    this.#session = session;
  }

  /** Start sampling `page` now. */
  static async start(page: Page): Promise<HeapSampler> {
    const session = await page.context().newCDPSession(page);
    const sampler = new HeapSampler(session);
    session.on('Target.attachedToTarget', (event: AttachedEvent) => {
      if (event.targetInfo.type === 'worker') sampler.#workers.add(event.sessionId);
    });
    session.on('Target.detachedFromTarget', (event: { sessionId: string }) => sampler.#workers.delete(event.sessionId));
    session.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
      const reply = JSON.parse(event.message) as { id?: number; result?: HeapUsage };
      if (reply.id === undefined) return;
      sampler.#pending.get(reply.id)?.(jsMemoryBytes(reply.result));
      sampler.#pending.delete(reply.id);
    });
    // Deprecated non-flat mode on purpose: Playwright's CDPSession cannot address flat child sessions.
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    sampler.#timer = setInterval(() => void sampler.#sample(), HEAP_SAMPLE_MS);
    await sampler.#sample();
    return sampler;
  }

  #workerHeap(sessionId: string): Promise<number> {
    const id = this.#nextId++;
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(0);
      }, 2000);
      this.#pending.set(id, (used) => {
        clearTimeout(timer);
        resolve(used);
      });
      this.#session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) }).catch(() => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(0);
      });
    });
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const page = jsMemoryBytes(await this.#session.send('Runtime.getHeapUsage'));
      const workers = await Promise.all([...this.#workers].map((id) => this.#workerHeap(id)));
      const total = page + workers.reduce((a, b) => a + b, 0);
      this.#peak = {
        pageBytes: Math.max(this.#peak.pageBytes, page),
        totalBytes: Math.max(this.#peak.totalBytes, total),
        workers: Math.max(this.#peak.workers, workers.length),
        samples: this.#peak.samples + 1,
      };
    } catch {
      // The page navigated or closed mid-sample; the peak so far stands.
    } finally {
      this.#busy = false;
    }
  }

  /** Stop and return the peaks. */
  async stop(): Promise<HeapPeak> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#sample();
    await this.#session.detach().catch(() => undefined);
    return { ...this.#peak };
  }
}

/** Cumulative main-thread times, seconds. */
interface ThreadTimes {
  task: number;
  script: number;
  cpu: number;
}

/**
 * Main-thread busy time of a page as a stopwatch, from CDP `Performance.getMetrics`:
 * TaskDuration (wall time inside tasks), ScriptDuration (of which script) and ThreadTime (CPU
 * time the main thread actually got). Task time well above CPU time means the thread was
 * waiting or descheduled, not working: on two shared cores, workers and servers take turns.
 *
 * @example
 * const watch = await MainThreadClock.start(page);
 * ... work ...
 * const { taskMs, scriptMs, cpuMs } = await watch.read();
 */
export class MainThreadClock {
  readonly #session: CDPSession;
  readonly #start: ThreadTimes;

  private constructor(session: CDPSession, start: ThreadTimes) {
    this.#session = session;
    this.#start = start;
  }

  static async start(page: Page): Promise<MainThreadClock> {
    const session = await page.context().newCDPSession(page);
    await session.send('Performance.enable');
    return new MainThreadClock(session, await MainThreadClock.#now(session));
  }

  static async #now(session: CDPSession): Promise<ThreadTimes> {
    const { metrics } = await session.send('Performance.getMetrics');
    const value = (name: string): number => metrics.find((m) => m.name === name)?.value ?? 0;
    return { task: value('TaskDuration'), script: value('ScriptDuration'), cpu: value('ThreadTime') };
  }

  /** Milliseconds of main-thread tasks (wall), of script, and of CPU since start; detaches. */
  async read(): Promise<{ taskMs: number; scriptMs: number; cpuMs: number }> {
    const now = await MainThreadClock.#now(this.#session);
    await this.#session.detach().catch(() => undefined);
    return {
      taskMs: (now.task - this.#start.task) * 1000,
      scriptMs: (now.script - this.#start.script) * 1000,
      cpuMs: (now.cpu - this.#start.cpu) * 1000,
    };
  }
}
