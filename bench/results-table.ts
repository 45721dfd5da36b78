import type { BenchFigure, BenchReport } from './bench-result.js';

const VERDICT: Record<BenchFigure['verdict'], string> = { met: 'met', missed: 'MISSED', info: 'info', unmeasured: 'not measured' };

function num(value: number | null, unit: string): string {
  if (value === null) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The results as a Markdown table (stdout, README, docs/benchmarks.md), then one line per figure
 * saying what its baseline is and anything that limits or explains it.
 *
 * @example
 * process.stdout.write(resultsTable(report));
 */
export function resultsTable(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `cloud-chunk-uploader benchmarks — ${report.startedAt}, ${report.durationSec.toFixed(0)} s, Chromium ${m.chromium}, Node ${m.node}, ${m.cpus} × ${m.cpuModel}`,
    `load average at start ${m.loadAvgStart.map((l) => l.toFixed(2)).join(' / ')}, at end ${m.loadAvgEnd.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min); median of ${report.repetitions} repetitions; MiB = 2^20 B, KB = 1000 B`,
    '',
    '| # | figure | ours | baseline | ratio | goal | verdict |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const f of report.figures) {
    const ratio = f.ratio === null ? '—' : `${f.ratio.toFixed(f.ratio >= 10 ? 1 : 2)} (${f.ratioLabel})`;
    lines.push(`| ${f.item === 0 ? '+' : String(f.item)} | ${cell(f.title)} | ${num(f.value, f.unit)} | ${num(f.baselineValue, f.baselineUnit ?? f.unit)} | ${cell(ratio)} | ${cell(f.goal || '—')} | ${VERDICT[f.verdict]} |`);
  }
  lines.push('', 'Baselines and notes:', '');
  for (const f of report.figures) {
    lines.push(`- \`${f.id}\`: baseline = ${f.baseline}.${f.note === '' ? '' : ` ${f.note}`}`);
  }
  return `${lines.join('\n')}\n`;
}
