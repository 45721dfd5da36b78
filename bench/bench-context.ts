import type { ProviderName } from '../src/core/index.js';
import type { BenchBrowser } from './bench-browser.js';
import type { BenchFiles } from './bench-files.js';
import type { BenchStack, BenchStackOptions } from './bench-stack.js';

/** What every measurement module gets from the runner. */
export interface BenchContext {
  /** Repetitions per figure (≥ 3; the median is reported). */
  reps: number;
  files: BenchFiles;
  /** Built bench pages (served by every stack). */
  pageDir: string;
  chrome: BenchBrowser;
  /** A stack shared by measurements that store little; started on first use. */
  sharedStack(): Promise<BenchStack>;
  /** A stack of its own (fresh emulator data, optional backend variations); the caller stops it. */
  freshStack(options?: BenchStackOptions): Promise<BenchStack>;
  /** Providers with a browser client in this build (the registry, asked in the page). */
  providers: readonly ProviderName[];
  /**
   * The provider for the whole-element figures (long tasks, memory, resume, TTFB): S3 when it has a
   * browser client (parallel direct parts, no rapid upload), else PDS, else Feishu.
   */
  primary: ProviderName;
  /** Progress line on stderr (the table goes to stdout). */
  log(line: string): void;
  /** Milliseconds left in the run's time budget. */
  remainingMs(): number;
}
