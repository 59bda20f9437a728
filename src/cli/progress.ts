/**
 * Progress of long jobs on stderr. On a terminal: a bar with count, rate and ETA (cli-progress).
 * Elsewhere (logs, CI, pipes) a bar would fill the log with carriage returns, so one plain line is
 * printed every ~10 s and a summary line at the end. `quiet` prints nothing.
 *
 *   const p = progress('rendering', total);
 *   p.tick(n, { subject: 'SN003' });
 *   p.stop();
 */
import cliProgress from 'cli-progress';

export type ProgressFields = Record<string, string | number>;

export interface Progress {
  /** Advances by n (default 1); fields are shown after the count until changed. */
  tick(n?: number, fields?: ProgressFields): void;
  /** Sets the absolute count. */
  update(value: number, fields?: ProgressFields): void;
  /** Finishes the bar (or prints the summary line); safe to call twice. */
  stop(): void;
  readonly value: number;
}

export interface ProgressOptions {
  quiet?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force bar (true) or line (false) mode; default: whether the stream is a terminal. */
  tty?: boolean;
  /** Line mode: milliseconds between lines (default 10 000). */
  intervalMs?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
  /** Count already done before this process (a resumed run): the bar starts there, the rate and ETA count only new work. */
  initial?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '?';
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

function fieldsText(fields: ProgressFields): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k} ${v}`);
  return parts.length ? ` ${parts.join(', ')}` : '';
}

export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const start = now();
  const initial = options.initial ?? 0;
  let value = initial;
  let fields: ProgressFields = {};
  let stopped = false;
  const rate = () => (value - initial) / Math.max((now() - start) / 1000, 1e-9);
  const eta = () => (total - value) / Math.max(rate(), 1e-9);

  if (options.quiet) {
    return {
      tick(n = 1) {
        value += n;
      },
      update(v) {
        value = v;
      },
      stop() {},
      get value() {
        return value;
      },
    };
  }

  const tty = options.tty ?? Boolean(stream.isTTY);
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} {rate}/s ETA {eta_formatted}{extra}`,
        hideCursor: true,
        barsize: 28,
        etaBuffer: 50,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, initial, { rate: '0', extra: '' });
    const payload = () => ({ rate: formatRate(rate()), extra: fieldsText(fields) });
    return {
      tick(n = 1, f) {
        value += n;
        if (f) fields = { ...fields, ...f };
        bar.update(value, payload());
      },
      update(v, f) {
        value = v;
        if (f) fields = { ...fields, ...f };
        bar.update(value, payload());
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.update(value, payload());
        bar.stop();
      },
      get value() {
        return value;
      },
    };
  }

  const interval = options.intervalMs ?? 10_000;
  let lastLine = start;
  const line = () => {
    const pct = total > 0 ? ` (${((100 * value) / total).toFixed(1)}%)` : '';
    stream.write(`${label}: ${value}/${total}${pct}, ${formatRate(rate())}/s, ETA ${formatDuration(eta())}${fieldsText(fields)}\n`);
  };
  const maybeLine = () => {
    const t = now();
    if (t - lastLine >= interval) {
      lastLine = t;
      line();
    }
  };
  return {
    tick(n = 1, f) {
      value += n;
      if (f) fields = { ...fields, ...f };
      maybeLine();
    },
    update(v, f) {
      value = v;
      if (f) fields = { ...fields, ...f };
      maybeLine();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      const seconds = (now() - start) / 1000;
      stream.write(`${label}: ${value}/${total}${initial ? ` (from step ${initial})` : ''} in ${formatDuration(seconds)} (${formatRate(rate())}/s)${fieldsText(fields)}\n`);
    },
    get value() {
      return value;
    },
  };
}
