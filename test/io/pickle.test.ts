import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { PickleTruncatedError, STANDARD_GLOBALS, unpickle } from '../../src/io/pickle.js';
import { bytes, tempDir } from './helpers.js';

const dir = tempDir();
const run = (data: Uint8Array) => unpickle(data, { label: 'bad.pt', globals: STANDARD_GLOBALS }).value;

function refused(data: Uint8Array): string {
  try {
    run(data);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected the pickle to be refused');
}

describe('hostile pickles are refused before anything runs', () => {
  const canary = join(dir, 'pwned');
  const cmd = `touch ${canary}`;
  const binunicode = (s: string) => [0x58, s.length, 0, 0, 0, ...Buffer.from(s, 'latin1')];

  it('GLOBAL os.system + REDUCE', () => {
    const msg = refused(bytes(0x80, 2, 'cos\nsystem\n', binunicode(cmd), 0x85, 'R', '.'));
    expect(msg).toBe("bad.pt: pickle refers to global 'os.system', which is not on the tensor-rebuild allow-list");
    expect(existsSync(canary)).toBe(false);
  });

  it('STACK_GLOBAL (protocol 4) os.system', () => {
    const msg = refused(bytes(0x80, 4, 0x8c, 2, 'os', 0x94, 0x8c, 6, 'system', 0x94, 0x93, 0x94, binunicode(cmd), 0x85, 'R', '.'));
    expect(msg).toContain("'os.system'");
    expect(existsSync(canary)).toBe(false);
  });

  it('builtins.eval and its Python 2 spelling', () => {
    expect(refused(bytes(0x80, 2, 'cbuiltins\neval\n', binunicode('1+1'), 0x85, 'R.'))).toContain("'builtins.eval'");
    expect(refused(bytes(0x80, 2, 'c__builtin__\neval\n', binunicode('1+1'), 0x85, 'R.'))).toContain("'__builtin__.eval'");
  });

  it('protocol 0 INST and OBJ forms', () => {
    expect(refused(bytes("(S'ls'\nios\nsystem\n."))).toContain("'os.system'");
    expect(refused(bytes("(csubprocess\nPopen\nS'ls'\no."))).toContain("'subprocess.Popen'");
  });

  it('names outside the allow-list, including torch.storage._load_from_bytes', () => {
    for (const [mod, name] of [
      ['torch.storage', '_load_from_bytes'],
      ['posix', 'system'],
      ['numpy.core.multiarray', '_reconstruct'],
      ['builtins', 'getattr'],
      ['copyreg', '_reconstructor'],
    ]) {
      expect(refused(bytes(0x80, 2, `c${mod}\n${name}\n`, ').'))).toContain(`'${mod}.${name}'`);
    }
  });

  it('calling a non-callable, and the copyreg extension registry', () => {
    expect(refused(bytes(0x80, 2, 'K', 1, ')R.'))).toMatch(/REDUCE on something that is not an allow-listed global/);
    expect(refused(bytes(0x80, 2, 0x82, 1, '.'))).toMatch(/extension registry/);
  });

  it('a "__proto__" key cannot pollute prototypes', () => {
    // {'__proto__': {'polluted': True}}
    const v = run(bytes(0x80, 2, '}', binunicode('__proto__'), '}', binunicode('polluted'), 0x88, 's', 's', '.')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('pickle VM', () => {
  // {'a': 1, 'b': [1.5, 2**70, -3, -2**40, None, True, False, 255, 65535, 65536], 'c': ('x', b'\x00\xff', 'ünï ✓'),
  //  'd': {1: 2}, 's': {7}, 'e': (), 'f': (1,), 'g': (1, 2, 3, 4)} as CPython 3.11 pickles it
  const byProtocol: Record<number, string> = {
    0: '286470300a56610a70310a49310a7356620a70320a286c70330a46312e350a614c313138303539313632303731373431313330333432344c0a61492d330a614c2d313039393531313632373737364c0a614e614930310a614930300a61493235350a614936353533350a614936353533360a617356630a70340a2856780a70350a635f636f646563730a656e636f64650a70360a28565c7530303030ff0a70370a566c6174696e310a70380a7470390a527031300a56fc6eef205c75323731330a7031310a747031320a7356640a7031330a28647031340a49310a49320a737356730a7031350a635f5f6275696c74696e5f5f0a7365740a7031360a28286c7031370a49370a61747031380a527031390a7356650a7032300a28747356660a7032310a2849310a747032320a7356670a7032330a2849310a49320a49330a49340a747032340a732e',
    1: '7d71002858010000006171014b0158010000006271025d710328473ff80000000000004c313138303539313632303731373431313330333432344c0a4afdffffff4c2d313039393531313632373737364c0a4e4930310a4930300a4bff4dffff4a00000100655801000000637104285801000000787105635f636f646563730a656e636f64650a710628580300000000c3bf710758060000006c6174696e31710874710952710a5809000000c3bc6ec3af20e29c93710b74710c580100000064710d7d710e4b014b0273580100000073710f635f5f6275696c74696e5f5f0a7365740a7110285d71114b07617471125271135801000000657114295801000000667115284b017471165801000000677117284b014b024b034b04747118752e',
    2: '80027d71002858010000006171014b0158010000006271025d710328473ff80000000000008a090000000000000000404afdffffff8a060000000000ff4e88894bff4dffff4a000001006558010000006371045801000000787105635f636f646563730a656e636f64650a7106580300000000c3bf710758060000006c6174696e31710886710952710a5809000000c3bc6ec3af20e29c93710b87710c580100000064710d7d710e4b014b0273580100000073710f635f5f6275696c74696e5f5f0a7365740a71105d71114b076185711252711358010000006571142958010000006671154b018571165801000000677117284b014b024b034b04747118752e',
    3: '80037d71002858010000006171014b0158010000006271025d710328473ff80000000000008a090000000000000000404afdffffff8a060000000000ff4e88894bff4dffff4a000001006558010000006371045801000000787105430200ff71065809000000c3bc6ec3af20e29c93710787710858010000006471097d710a4b014b0273580100000073710b636275696c74696e730a7365740a710c5d710d4b076185710e52710f58010000006571102958010000006671114b018571125801000000677113284b014b024b034b04747114752e',
    4: '8004958d000000000000007d94288c0161944b018c0162945d9428473ff80000000000008a090000000000000000404afdffffff8a060000000000ff4e88894bff4dffff4a00000100658c0163948c017894430200ff948c09c3bc6ec3af20e29c939487948c0164947d944b014b02738c0173948f94284b07908c016594298c0166944b0185948c016794284b014b024b034b047494752e',
    5: '8005958d000000000000007d94288c0161944b018c0162945d9428473ff80000000000008a090000000000000000404afdffffff8a060000000000ff4e88894bff4dffff4a00000100658c0163948c017894430200ff948c09c3bc6ec3af20e29c939487948c0164947d944b014b02738c0173948f94284b07908c016594298c0166944b0185948c016794284b014b024b034b047494752e',
  };

  it.each([0, 1, 2, 3, 4, 5])('protocol %i', (protocol) => {
    const data = new Uint8Array(Buffer.from(byProtocol[protocol]!, 'hex'));
    const { value, end } = unpickle(data, { label: 'x', globals: STANDARD_GLOBALS });
    expect(end).toBe(data.length);
    expect(value).toEqual({
      a: 1,
      b: [1.5, 2n ** 70n, -3, -(2 ** 40), null, true, false, 255, 65535, 65536],
      c: ['x', new Uint8Array([0, 255]), 'ünï ✓'],
      d: { '1': 2 },
      s: [7],
      e: [],
      f: [1],
      g: [1, 2, 3, 4],
    });
  });

  it('memo references keep object identity', () => {
    const v = run(new Uint8Array(Buffer.from('80025d7100285d71014b01616801652e', 'hex'))) as unknown[][];
    expect(v[0]).toBe(v[1]);
  });

  it('truncated and corrupt pickles are UserErrors', () => {
    const full = new Uint8Array(Buffer.from(byProtocol[2]!, 'hex'));
    expect(() => run(full.subarray(0, 40))).toThrow(PickleTruncatedError);
    expect(() => run(full.subarray(0, 40))).toThrow(/bad\.pt: truncated pickle/);
    expect(() => run(bytes(0x80, 2, 0xff))).toThrow(/bad\.pt: corrupt pickle: unknown opcode 0xff/);
    expect(() => run(bytes(0x80, 2, 'a.'))).toThrow(/stack underflow/);
    expect(() => run(bytes(0x80, 9, 'N.'))).toThrow(/protocol 9 is newer/);
    expect(() => run(bytes(0x80, 2, 0x8d, [255, 255, 255, 255, 255, 255, 255, 127], '.'))).toThrow(UserError);
  });

  it('persistent ids are refused without a resolver', () => {
    expect(() => run(bytes(0x80, 2, 'N', 'Q', '.'))).toThrow(/refers to an external object/);
  });
});
