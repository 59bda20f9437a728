/**
 * Markdown tables of an edit evaluation (src/eval/editProtocol.ts) in the layout of the paper:
 * Table 1 (per-AU ICC(3,1) and MSE of H_est on the edited images vs the targets, plus the '(N)'
 * rows: MSE of H_est on the neutralised images vs 0), Table 2 (ID distance and L2 against the
 * real and the inverted target), and the SynthFACS oracle columns.
 */
import type { AuScores } from './auMetrics.js';
import type { MeanSd, ProtocolSummary } from './editProtocol.js';

/** 3 decimals; NaN (undefined ICC) as an em dash. */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const s = v.toFixed(digits);
  return /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const header = (cells: string[]) => [row(cells), row(cells.map((_, i) => (i === 0 ? ':--' : '--:')))];
const auHeader = (aus: readonly number[], first: string) => header([first, ...aus.map((a) => `AU${a}`), 'Avg']);
const ms = (v: MeanSd, digits = 3) => `${num(v.mean, digits)} ± ${num(v.sd, digits)}`;

function iccRow(name: string, s: AuScores): string {
  return row([name, ...s.perAu.map((x) => num(x.icc)), num(s.meanIcc) + (s.iccUndefined ? `*` : '')]);
}

function mseRow(name: string, s: { perAu: { mse: number }[]; meanMse: number }): string {
  return row([name, ...s.perAu.map((x) => num(x.mse)), num(s.meanMse)]);
}

/** Table 1: ICC block, MSE block, '(N)' block; reference rows first. */
export function table1(summary: ProtocolSummary, aus: readonly number[]): string {
  const ref: [string, AuScores][] = [['H_est on real I_tar (reference)', summary.reference.real]];
  if (summary.reference.oracle) ref.push(['H_est on oracle render (reference)', summary.reference.oracle]);
  // the N references only mean something beside (N) rows
  const nRef = summary.methods.some((m) => m.neutral) ? summary.reference.neutral : null;
  const lines = [
    '**ICC(3,1) ↑** between the target intensities and H_est(Î_tar)',
    '',
    ...auHeader(aus, 'Method'),
    ...ref.map(([n, s]) => iccRow(n, s)),
    ...summary.methods.map((m) => iccRow(m.name, m.edit)),
    '',
    '**MSE ↓** between the target intensities and H_est(Î_tar); rows marked (N): H_est(Î_N) against all-zero',
    '',
    ...auHeader(aus, 'Method'),
    ...ref.map(([n, s]) => mseRow(n, s)),
    ...summary.methods.map((m) => mseRow(m.name, m.edit)),
    ...(nRef
      ? [mseRow(`H_est on real I_tar at rest (N reference, ${nRef.frames} pairs)`, nRef.real), mseRow('H_est on inverted I_tar at rest (N reference)', nRef.inverted)]
      : []),
    ...summary.methods.filter((m) => m.neutral).map((m) => mseRow(`${m.name} (N)`, m.neutral!)),
  ];
  if (nRef) {
    lines.push('', 'N references: H_est against all-zero on the target frames whose 12 labels are all 0, as they are and as the pair inverts them (G(E(I_tar))) — what the estimator reads on a truly neutral face of these subjects, before and after the GAN.');
  }
  if ([...ref.map(([, s]) => s), ...summary.methods.map((m) => m.edit)].some((s) => s.iccUndefined > 0)) {
    lines.push('', '\\* ICC is undefined (—) where both the targets and the estimates are constant; the average skips those AUs.');
  }
  return lines.join('\n');
}

/** Table 2: identity distance and L2 per method, against the real and the inverted target. */
export function table2(summary: ProtocolSummary): string {
  const lines = [...header(['Method', 'Target image', 'ID distance ↓', 'L2 ↓'])];
  for (const m of summary.methods) {
    lines.push(row([m.name, 'Real', ms(m.identity.real), ms(m.l2.real, 4)]));
    lines.push(row(['', 'Inverted', ms(m.identity.inverted), ms(m.l2.inverted, 4)]));
  }
  return lines.join('\n');
}

/** Oracle columns (SynthFACS): pixel MSE vs the exact target render and H_est disagreement with it. */
export function oracleTable(summary: ProtocolSummary, aus: readonly number[]): string | null {
  const withOracle = summary.methods.filter((m) => m.oracle);
  if (withOracle.length === 0) return null;
  const lines = [
    ...header(['Method', 'L2 to oracle ↓', ...aus.map((a) => `AU${a}`), 'H_est MSE Avg ↓']),
    ...withOracle.map((m) => row([m.name, ms(m.oracle!.l2, 4), ...m.oracle!.hest.perAu.map((x) => num(x.mse)), num(m.oracle!.hest.meanMse)])),
  ];
  return lines.join('\n');
}
