/**
 * DISFA label files: `ActionUnit_Labels/SNxxx/SNxxx_au{N}.txt`, one `frame,intensity` line per frame,
 * frames numbered from 1, intensities whole numbers 0–5. Parsing is strict, because a label file
 * that silently shifts by one frame poisons every model trained on it; every problem is reported
 * with the file and line.
 */
import { fileError } from '../errors.js';

export const MAX_INTENSITY = 5;

/** Intensities by frame (index = frame − 1). */
export function parseLabelFile(text: string, file: string): Uint8Array {
  const lines = text.split(/\r?\n/);
  // trailing blank lines (a final newline, editors) are not frames
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end === 0) throw fileError(file, 'is empty; expected one "frame,intensity" line per frame');
  const out = new Uint8Array(end);
  for (let i = 0; i < end; i++) {
    const line = lines[i]!;
    const where = `line ${i + 1}`;
    const m = /^\s*(-?\d+)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(line);
    if (!m) {
      const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
      throw fileError(file, `${where}: expected "frame,intensity" (two whole numbers separated by a comma), got "${shown}"`);
    }
    const frame = Number(m[1]);
    if (frame !== i + 1) {
      throw fileError(file, `${where}: frame ${frame} where frame ${i + 1} was expected (frames must run 1, 2, 3, … without gaps)`);
    }
    const value = Number(m[2]);
    if (!Number.isInteger(value) || value < 0 || value > MAX_INTENSITY) {
      throw fileError(file, `${where}: intensity ${m[2]} is not a whole number from 0 to ${MAX_INTENSITY}`);
    }
    out[i] = value;
  }
  return out;
}

/** The text of a label file for the given intensities (frame numbers from 1). */
export function formatLabelFile(intensities: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < intensities.length; i++) text += `${i + 1},${intensities[i]}\n`;
  return text;
}
