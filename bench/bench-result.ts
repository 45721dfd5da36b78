/**
 * The shape of one benchmark figure and of `bench/results/latest.json`. Every figure is
 * measured beside its baseline in the same run and carries both, plus their ratio, so a
 * noisy machine moves both sides together (issue 7).
 */

/** How a figure compares with its goal. `unmeasured`: the prerequisite is missing. */
export type GoalVerdict = 'met' | 'missed' | 'info' | 'unmeasured';

/** One row of the results table. */
export interface BenchFigure {
  /** Stable id, e.g. `throughput.s3`. */
  id: string;
  /** Issue 7 item number (1–9), or 0 for extra rows ("make it fast" experiments). */
  item: number;
  /** What is measured, in words. */
  title: string;
  /** Median of the repetitions, in `unit`; null when not measured. */
  value: number | null;
  unit: string;
  /** What the value is compared with, in words (e.g. "raw XHR PUT to the bench sink"). */
  baseline: string;
  /** Median of the baseline repetitions, in `baselineUnit` (default: `unit`); null when none. */
  baselineValue: number | null;
  baselineUnit?: string;
  /** How the ratio is formed, e.g. "ours / raw" (higher is better) or "ours / goal". */
  ratioLabel: string;
  /** Median of the per-repetition ratios; null when either side is missing. */
  ratio: number | null;
  /** The goal in words (e.g. "≥ 0.9×"); empty when the row is informational. */
  goal: string;
  verdict: GoalVerdict;
  /** Every repetition, for the JSON (values and baselines in their units). */
  runs: { value: number | null; baseline: number | null; ratio: number | null; extra?: Record<string, number | string | null> }[];
  /** Why it was not measured, what limits it, or anything else a reader needs. */
  note: string;
}

/** Everything `npm run bench` writes to bench/results/latest.json. */
export interface BenchReport {
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time of the whole run (s). */
  durationSec: number;
  machine: {
    cpus: number;
    cpuModel: string;
    totalMemGiB: number;
    /** os.loadavg() when the run started and when it ended: the machine is shared. */
    loadAvgStart: number[];
    loadAvgEnd: number[];
    node: string;
    chromium: string;
  };
  /** Repetitions per figure (the median is reported). */
  repetitions: number;
  figures: BenchFigure[];
}
