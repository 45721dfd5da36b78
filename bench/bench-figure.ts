import type { BenchFigure, GoalVerdict } from './bench-result.js';
import { median, ratio, round } from './bench-stats.js';

/** What a figure is, before any number: everything but the measured values. */
export interface FigureSpec {
  id: string;
  item: number;
  title: string;
  unit: string;
  baseline: string;
  baselineUnit?: string;
  /** How the ratio is formed; default "value / baseline". */
  ratioLabel?: string;
  /** The goal in words; empty for informational rows. */
  goal: string;
  /** Whether the medians meet the goal; omitted for informational rows. */
  judge?: (medians: { value: number; baselineValue: number | null; ratio: number | null }) => boolean;
}

/** One repetition: the value, its baseline from the same repetition, and anything worth keeping. */
export interface FigureRun {
  value: number | null;
  baseline: number | null;
  /** Overrides value / baseline (e.g. a ratio against a constant). */
  ratio?: number | null;
  extra?: Record<string, number | string | null>;
}

/**
 * A table row from its repetitions: medians of value, baseline and the per-repetition ratios
 * (the ratio of medians would mix repetitions measured under different load), then the verdict.
 *
 * @example
 * buildFigure(spec, runs, 'S3 default concurrency 3')
 */
export function buildFigure(spec: FigureSpec, runs: readonly FigureRun[], note = ''): BenchFigure {
  const kept = runs.map((run) => ({
    value: round(run.value, 3),
    baseline: round(run.baseline, 3),
    ratio: round(run.ratio !== undefined ? run.ratio : ratio(run.value, run.baseline), 3),
    ...(run.extra !== undefined && { extra: run.extra }),
  }));
  const value = median(kept.map((r) => r.value));
  const baselineValue = median(kept.map((r) => r.baseline));
  const ratioValue = median(kept.map((r) => r.ratio));
  let verdict: GoalVerdict;
  if (value === null) verdict = 'unmeasured';
  else if (spec.judge === undefined) verdict = 'info';
  else verdict = spec.judge({ value, baselineValue, ratio: ratioValue }) ? 'met' : 'missed';
  return {
    id: spec.id,
    item: spec.item,
    title: spec.title,
    value: round(value, 2),
    unit: spec.unit,
    baseline: spec.baseline,
    baselineValue: round(baselineValue, 2),
    ...(spec.baselineUnit !== undefined && { baselineUnit: spec.baselineUnit }),
    ratioLabel: spec.ratioLabel ?? 'value / baseline',
    ratio: round(ratioValue, 3),
    goal: spec.goal,
    verdict,
    runs: kept,
    note: value === null && note === '' ? 'not measured: every repetition failed' : note,
  };
}

/** A row that could not be measured, saying why (never a made-up number). */
export function unmeasured(spec: FigureSpec, why: string): BenchFigure {
  return buildFigure(spec, [], `not measured: ${why}`);
}
