import { describe, expect, it } from 'vitest';
import { formatLabelFile, parseLabelFile } from '../../src/data/labels.js';
import { UserError } from '../../src/errors.js';

const F = 'ActionUnit_Labels/SN001/SN001_au12.txt';

function problem(text: string): string {
  try {
    parseLabelFile(text, F);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('parsed without error');
}

describe('DISFA label files', () => {
  it('reads frame,intensity lines (LF or CRLF, spaces, trailing newline) into intensities by frame', () => {
    expect(Array.from(parseLabelFile('1,0\n2,3\n3,5\n', F))).toEqual([0, 3, 5]);
    expect(Array.from(parseLabelFile('1,0\r\n2, 4\r\n3 ,1\r\n\r\n', F))).toEqual([0, 4, 1]);
    expect(formatLabelFile([0, 2, 1])).toBe('1,0\n2,2\n3,1\n');
    expect(Array.from(parseLabelFile(formatLabelFile([5, 0, 0, 1]), F))).toEqual([5, 0, 0, 1]);
  });

  it('names the file and line of every problem', () => {
    expect(problem('')).toBe(`${F}: is empty; expected one "frame,intensity" line per frame`);
    expect(problem('1,0\n2;3\n')).toBe(`${F}: line 2: expected "frame,intensity" (two whole numbers separated by a comma), got "2;3"`);
    expect(problem('1,0\n3,1\n')).toMatch(/^ActionUnit_Labels\/SN001\/SN001_au12\.txt: line 2: frame 3 where frame 2 was expected/);
    expect(problem('0,0\n1,1\n')).toMatch(/line 1: frame 0 where frame 1 was expected/);
    expect(problem('1,0\n2,6\n')).toBe(`${F}: line 2: intensity 6 is not a whole number from 0 to 5`);
    expect(problem('1,2.5\n')).toMatch(/line 1: intensity 2.5 is not a whole number/);
    expect(problem('1,0\n\n3,0\n')).toMatch(/line 2: expected "frame,intensity"/);
    expect(problem('frame,intensity\n1,0\n')).toMatch(/line 1: expected/);
  });
});
