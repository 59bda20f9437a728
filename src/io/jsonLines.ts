import { readFile } from 'node:fs/promises';
import { fileError } from '../errors.js';

/** One parsed line of a JSON-lines file, with its 1-based line number for error messages. */
export interface JsonLine {
  line: number;
  value: unknown;
}

/**
 * The non-blank lines of a JSON-lines file, parsed. A missing file is reported with `hint` (where
 * such a file comes from); a bad line with its number.
 */
export async function readJsonLines(file: string, hint: string): Promise<JsonLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw fileError(file, `no such file; ${hint}`);
  }
  const out: JsonLine[] = [];
  text.split('\n').forEach((text, i) => {
    if (!text.trim()) return;
    try {
      out.push({ line: i + 1, value: JSON.parse(text) as unknown });
    } catch {
      throw fileError(file, `line ${i + 1} is not JSON`);
    }
  });
  return out;
}
