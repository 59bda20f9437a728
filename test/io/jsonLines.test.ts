import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../src/io/jsonLines.js';
import { tempDir } from '../gan/helpers.js';

describe('readJsonLines', () => {
  it('parses non-blank lines and keeps their 1-based line numbers', async () => {
    const f = join(tempDir(), 'a.jsonl');
    writeFileSync(f, '{"a":1}\n\n  \n[2,3]\n');
    expect(await readJsonLines(f, 'hint')).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: [2, 3] },
    ]);
  });

  it('names the file and line of bad JSON, and the hint for a missing file', async () => {
    const f = join(tempDir(), 'b.jsonl');
    writeFileSync(f, '{"a":1}\n{oops\n');
    await expect(readJsonLines(f, 'hint')).rejects.toThrow(/b\.jsonl.*line 2 is not JSON/);
    await expect(readJsonLines(join(tempDir(), 'none.jsonl'), 'made by X')).rejects.toThrow(/none\.jsonl.*no such file; made by X/);
  });
});
