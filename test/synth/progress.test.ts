import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, progress } from '../../src/cli/progress.js';

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const s = new Writable({
    write(chunk, _enc, cb) {
      s.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean };
  s.text = '';
  s.isTTY = isTTY;
  return s;
}

describe('progress', () => {
  it('prints a line every interval when the stream is not a terminal, and a summary at the end', () => {
    const stream = sink(false);
    let t = 0;
    const p = progress('rendering', 100, { stream, now: () => t, intervalMs: 10_000 });
    t = 4_000;
    p.tick(10);
    expect(stream.text).toBe('');
    t = 10_000;
    p.tick(15, { subject: 'SN003' });
    expect(stream.text).toBe('rendering: 25/100 (25.0%), 2.5/s, ETA 30s subject SN003\n');
    t = 12_000;
    p.tick(5);
    expect(stream.text.split('\n')).toHaveLength(2);
    t = 40_000;
    p.update(100);
    p.stop();
    p.stop();
    expect(stream.text.trim().split('\n').pop()).toBe('rendering: 100/100 in 40s (2.5/s) subject SN003');
    expect(p.value).toBe(100);
  });

  it('a resumed run starts at its count; rate and ETA count only the new work', () => {
    const stream = sink(false);
    let t = 0;
    const p = progress('training', 1000, { stream, now: () => t, intervalMs: 10_000, initial: 800 });
    expect(p.value).toBe(800);
    t = 10_000;
    p.update(820);
    expect(stream.text).toBe('training: 820/1000 (82.0%), 2.0/s, ETA 1m30s\n');
    t = 20_000;
    p.update(1000);
    p.stop();
    expect(stream.text.trim().split('\n').pop()).toBe('training: 1000/1000 (from step 800) in 20s (10.0/s)');
  });

  it('draws a bar with count and rate on a terminal, and nothing when quiet', () => {
    const tty = sink(true);
    const p = progress('frames', 10, { stream: tty });
    p.tick(4);
    p.stop();
    expect(tty.text).toMatch(/frames \[.*\] 4\/10 /);
    const quiet = sink(false);
    const q = progress('frames', 10, { stream: quiet, quiet: true });
    q.tick(10);
    q.stop();
    expect(quiet.text).toBe('');
    expect(q.value).toBe(10);
  });

  it('formats durations compactly', () => {
    expect([5, 65, 3600 + 120, -1].map(formatDuration)).toEqual(['5s', '1m05s', '1h02m', '?']);
  });
});
