/**
 * A minimal PNG encoder (8-bit RGB, zlib): data set frames are tiny, and encoding them here costs a
 * fraction of what a general-purpose encoder does per call. Node-only (node:zlib).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encodes RGB (HWC) bytes. Each row gets the filter (sub or up) with the smaller sum of absolute
 * residuals, the usual heuristic; zlib at `level` (3: within 5 % of the size of level 6 at half the time).
 */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array, level = 3): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} bytes for ${width}×${height} RGB, got ${rgb.length}`);
  const stride = width * 3;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const o = y * (stride + 1) + 1;
    let costSub = 0;
    let costUp = 0;
    for (let i = 0; i < stride; i++) {
      const v = rgb[row + i]!;
      const sub = (v - (i >= 3 ? rgb[row + i - 3]! : 0)) & 0xff;
      const up = (v - (y > 0 ? rgb[row - stride + i]! : 0)) & 0xff;
      costSub += sub < 128 ? sub : 256 - sub;
      costUp += up < 128 ? up : 256 - up;
    }
    const useUp = costUp < costSub;
    raw[o - 1] = useUp ? 2 : 1;
    if (useUp) for (let i = 0; i < stride; i++) raw[o + i] = rgb[row + i]! - (y > 0 ? rgb[row - stride + i]! : 0);
    else for (let i = 0; i < stride; i++) raw[o + i] = rgb[row + i]! - (i >= 3 ? rgb[row + i - 3]! : 0);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level })), chunk('IEND', new Uint8Array(0))]);
}
