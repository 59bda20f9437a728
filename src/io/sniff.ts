/**
 * Recognises file formats from their first bytes. Extensions lie (a safetensors file named .pt, a
 * TorchScript archive named .pth), so readers dispatch on content and refuse with a message that
 * says what the file actually is.
 */

export type SniffedFormat =
  | 'safetensors'
  | 'npy'
  | 'zip'
  | 'pickle'
  | 'tar'
  | 'gzip'
  | 'png'
  | 'jpeg'
  | 'webp'
  | 'gif'
  | 'hdf5'
  | 'onnx-or-protobuf'
  | 'unknown';

/** How many leading bytes sniffFormat looks at (tar's magic sits at 257). */
export const SNIFF_BYTES = 512;

function startsWith(head: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (head.length < at + sig.length) return false;
  return sig.every((b, i) => head[at + i] === b);
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export function sniffFormat(head: Uint8Array, fileSize: number): SniffedFormat {
  if (startsWith(head, [0x93, ...ascii('NUMPY')])) return 'npy';
  if (startsWith(head, ascii('PK\x03\x04')) || startsWith(head, ascii('PK\x05\x06'))) return 'zip';
  if (startsWith(head, ascii('ustar'), 257)) return 'tar';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0x89, ...ascii('PNG')])) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(head, ascii('GIF8'))) return 'gif';
  if (startsWith(head, [0x89, ...ascii('HDF')])) return 'hdf5';
  // safetensors: u64 header length that fits the file, then the JSON object's '{'
  if (head.length >= 9 && head[8] === 0x7b) {
    const len = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (len >= 2n && len + 8n <= BigInt(fileSize)) return 'safetensors';
  }
  // PROTO opcode with a protocol number 2..5: a pickle (legacy torch.save writes protocol 2)
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'pickle';
  if (head.length >= 2 && head[0] === 0x08 && fileSize > 16) return 'onnx-or-protobuf';
  return 'unknown';
}

/** A phrase for messages: "it looks like <this>". */
export function describeFormat(format: SniffedFormat): string {
  switch (format) {
    case 'safetensors':
      return 'a safetensors file';
    case 'npy':
      return 'a NumPy .npy array';
    case 'zip':
      return 'a zip archive';
    case 'pickle':
      return 'a Python pickle';
    case 'tar':
      return 'a tar archive';
    case 'gzip':
      return 'a gzip-compressed file';
    case 'png':
      return 'a PNG image';
    case 'jpeg':
      return 'a JPEG image';
    case 'webp':
      return 'a WebP image';
    case 'gif':
      return 'a GIF image';
    case 'hdf5':
      return 'an HDF5 file (Keras .h5?)';
    case 'onnx-or-protobuf':
      return 'a protobuf file (ONNX?)';
    case 'unknown':
      return 'an unrecognised format';
  }
}
