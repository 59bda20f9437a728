/**
 * `aueditnet inspect <file>`: what is inside a weights file, without loading the tensors.
 */
import type { Command } from 'commander';
import { readHead } from '../io/files.js';
import { readImage } from '../io/image.js';
import { SNIFF_BYTES, sniffFormat } from '../io/sniff.js';
import { readTensorFile, type TensorFile } from '../io/tensor-file.js';
import { numelOf } from '../io/tensor.js';

export interface InspectOptions {
  json?: boolean;
}

const FORMAT_NAMES = {
  safetensors: 'safetensors',
  'pytorch-zip': 'PyTorch checkpoint (zip)',
  'pytorch-legacy': 'PyTorch checkpoint (legacy, pre-1.6)',
  npy: 'NumPy .npy',
} as const;

/** Longest value text shown in the table view; --json always prints everything. */
const MAX_VALUE_CHARS = 160;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function displayName(name: string): string {
  return name === '' ? '(whole file)' : name;
}

const IMAGE_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif']);

/** Builds the report; kept apart from printing so tests can check it directly. */
export async function inspectFile(path: string, options: InspectOptions = {}): Promise<string> {
  const { head, size } = readHead(path, SNIFF_BYTES);
  const sniffed = sniffFormat(head, size);
  if (IMAGE_FORMATS.has(sniffed)) return inspectImage(path, sniffed, options);
  const file = readTensorFile(path);
  try {
    return options.json ? asJson(file) : asTable(file);
  } finally {
    file.close();
  }
}

/** An image is shown as the tensor the models would see: [1, H, W, 3] float32 after decoding. */
async function inspectImage(path: string, format: string, options: InspectOptions): Promise<string> {
  const img = await readImage(path);
  const shape = [1, img.height, img.width, 3];
  if (options.json) {
    return `${JSON.stringify({ file: path, format, width: img.width, height: img.height, tensor: { dtype: 'float32', shape } }, null, 2)}\n`;
  }
  return `${path}: ${format} image, ${img.width}×${img.height}, decoded as RGB tensor ${shapeText(shape)} float32\n`;
}

function asJson(file: TensorFile): string {
  const report = {
    file: file.path,
    format: file.format,
    tensors: file.entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape })),
    metadata: file.metadata,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

function asTable(file: TensorFile): string {
  const rows = file.entries.map((e) => [displayName(e.name), e.dtype, shapeText(e.shape)] as const);
  const header = ['name', 'dtype', 'shape'] as const;
  const width = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => (c < cells.length - 1 ? cell.padEnd(width[c]!) : cell)).join('  ');
  const out: string[] = [];
  out.push(`${file.path}: ${FORMAT_NAMES[file.format]}`);
  out.push('');
  out.push(line(header));
  for (const r of rows) out.push(line(r));
  const elements = file.entries.reduce((sum, e) => sum + numelOf(e.shape), 0);
  out.push('');
  out.push(`${file.entries.length} tensor${file.entries.length === 1 ? '' : 's'}, ${elements.toLocaleString('en-US')} elements`);
  const meta = Object.entries(file.metadata);
  if (meta.length > 0) {
    out.push('');
    out.push(file.format === 'safetensors' ? '__metadata__:' : 'other values:');
    for (const [k, v] of meta) {
      let text = JSON.stringify(v);
      if (text.length > MAX_VALUE_CHARS) text = `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
      out.push(`  ${k} = ${text}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('list the tensors in a weights file: name, dtype and shape (no tensor data is loaded); for an image, its decoded size')
    .argument('<file>', 'a .safetensors file, a PyTorch checkpoint (.pt/.pth, zip or legacy format), a .npy array, or a PNG/JPEG/WebP image')
    .option('--json', 'print a JSON report (tensors and all non-tensor values) instead of a table')
    .addHelpText(
      'after',
      `
The format is recognised from the file's content, not its extension. PyTorch checkpoints are read
without running any code from the file: only tensors and plain Python values (dicts, lists,
numbers, strings) are accepted, anything else is refused with the name of the offending object.

Nested checkpoint entries are shown with dotted names (g_ema.style.1.weight), the same names that
'aueditnet convert' writes to safetensors. Non-tensor values (e.g. e4e's training options) are
listed after the table.

Examples:
  aueditnet inspect stylegan2-ffhq-config-f.pt
  aueditnet inspect e4e_ffhq_encode.pt --json > e4e.json
  aueditnet inspect latents.npy`,
    )
    .action(async (file: string, options: InspectOptions) => {
      process.stdout.write(await inspectFile(file, options));
    });
}
