/** subjectFace: the oracle render of a subject by AU number or 'AUn' key; unknown AUs refused. */
import { describe, expect, it } from 'vitest';
import { auIndex } from '../../src/data/aus.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { subjectIdentity } from '../../src/synth/identity.js';
import { auVector, subjectFace } from '../../src/synth/subjectFace.js';

describe('subjectFace', () => {
  it('reads AU keys as numbers or AUn, zero elsewhere, and refuses an AU outside the 12', () => {
    const v = auVector({ 12: 3, AU6: 2 });
    expect(v[auIndex(12)]).toBe(3);
    expect(v[auIndex(6)]).toBe(2);
    expect(Array.from(v).filter((x) => x !== 0)).toHaveLength(2);
    expect(() => auVector({ AU3: 1 })).toThrow(/not one of the 12 AUs: AU3/);
  });

  it('is the renderer\'s image of the subject, scaled to [0, 1]', () => {
    const im = subjectFace('SN003', { AU12: 4 }, 32);
    const rgb = renderRgb({ identity: subjectIdentity('SN003'), aus: auVector({ 12: 4 }), nuisance: null }, 32);
    expect([im.width, im.height, im.data.length]).toEqual([32, 32, rgb.length]);
    for (let i = 0; i < rgb.length; i += 97) expect(im.data[i]).toBeCloseTo(rgb[i]! / 255, 6);
    expect(Math.max(...im.data)).toBeLessThanOrEqual(1);
  });
});
