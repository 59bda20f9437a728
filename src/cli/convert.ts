/**
 * `aueditnet convert <in.pt> <out.safetensors>`: turns a PyTorch checkpoint into safetensors plus
 * a JSON sidecar for its non-tensor values, so nothing downstream ever has to read a pickle again.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { isFloatDtype, numelOf, type TensorDtype } from '../io/tensor.js';
import { flattenCheckpoint, openTorchCheckpoint, TorchTensor, type JsonValue } from '../io/torch.js';

export interface ConvertOptions {
  /** Store floating-point tensors as float16 instead of float32. */
  half?: boolean;
  /** Keep only entries under this dotted prefix, and drop the prefix from their names. */
  select?: string;
}

export interface ConvertResult {
  output: string;
  sidecar: string;
  tensors: number;
  elements: number;
  values: number;
}

/** The JSON written beside `out.safetensors` is `out.json`. */
export function sidecarPath(output: string): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}.json`);
}

function selectPrefix<T>(entries: Record<string, T>, prefix: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(entries)) {
    let name: string | undefined;
    if (k === prefix) name = '';
    else if (k.startsWith(`${prefix}.`)) name = k.slice(prefix.length + 1);
    if (name !== undefined) Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export async function convertCheckpoint(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const sidecar = sidecarPath(output);
  if (resolve(sidecar) === resolve(output)) {
    throw fileError(output, 'the output must not end in .json: that name is taken by the sidecar for non-tensor values');
  }
  if (resolve(input) === resolve(output) || resolve(input) === resolve(sidecar)) {
    throw fileError(output, 'would overwrite the input checkpoint');
  }
  // fail before the (possibly long) conversion if the output cannot be written at all
  const outDir = dirname(output);
  const dirStat = await stat(outDir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw fileError(output, `cannot write: directory ${outDir} does not exist`);

  const ckpt = openTorchCheckpoint(input);
  try {
    const flat = flattenCheckpoint(ckpt.root, { label: input, rootKey: ckpt.root instanceof TorchTensor ? 'tensor' : '' });
    let { tensors, values } = flat;
    if (options.select !== undefined) {
      const prefix = options.select.replace(/\.$/, '');
      tensors = selectPrefix(tensors, prefix);
      values = selectPrefix(values, prefix);
      if (Object.keys(tensors).length === 0) {
        const top = [...new Set(Object.keys(flat.tensors).map((k) => k.split('.')[0]!))].slice(0, 20);
        throw fileError(input, `no tensors under '${prefix}'; tensors start with: ${top.join(', ') || '(none)'}`);
      }
      if (Object.hasOwn(tensors, '')) throw fileError(input, `'${prefix}' is itself a tensor; select its parent instead`);
    }
    const names = Object.keys(tensors);
    if (names.length === 0) throw fileError(input, 'contains no tensors');

    const toWrite: Record<string, TensorToWrite> = {};
    let elements = 0;
    for (const name of names) {
      const t = tensors[name]!;
      const dtype: TensorDtype = isFloatDtype(t.dtype) ? (options.half ? 'float16' : 'float32') : t.dtype;
      elements += numelOf(t.shape);
      // data is a thunk: each tensor is read from the checkpoint only when the writer reaches it
      Object.defineProperty(toWrite, name, {
        value: { dtype, shape: t.shape, data: () => t.read() } satisfies TensorToWrite,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    await writeSafetensors(output, toWrite, { format: 'pt', source: basename(input) });
    await writeFileAtomic(sidecar, `${JSON.stringify(values satisfies Record<string, JsonValue>, null, 2)}\n`);
    return { output, sidecar, tensors: names.length, elements, values: Object.keys(values).length };
  } finally {
    ckpt.close();
  }
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a PyTorch checkpoint (.pt/.pth) to safetensors, with its non-tensor values in a JSON sidecar')
    .argument('<in.pt>', 'PyTorch checkpoint, zip or legacy (pre-1.6) format')
    .argument('<out.safetensors>', 'output file; the sidecar is written beside it with the extension .json (out.json)')
    .option('--half', 'store floating-point tensors as float16 (F16) instead of float32 (F32)')
    .option('--select <prefix>', "keep only entries under this dotted prefix and drop it from the names (e.g. --select g_ema)")
    .addHelpText(
      'after',
      `
Nested dicts and lists are flattened into dotted names: {'g_ema': {'style.1.weight': …}} becomes
'g_ema.style.1.weight'. Floating-point tensors (float64/32/16, bfloat16) are stored as F32, or F16
with --half (float64 loses precision either way); integer and bool tensors keep their type, so
int64 buffers such as BatchNorm's num_batches_tracked stay I64. Non-contiguous and shared tensors
are written as independent contiguous copies.

Everything that is not a tensor (e4e's 'opts', epoch counters, …) goes to the JSON sidecar under
the same dotted names. Both files are written atomically. No code from the checkpoint is run: only
tensors and plain Python values are accepted.

Examples:
  aueditnet convert stylegan2-ffhq-config-f.pt g.safetensors --select g_ema
  aueditnet convert e4e_ffhq_encode.pt e4e.safetensors      # also writes e4e.json`,
    )
    .action(async (input: string, output: string, options: ConvertOptions) => {
      const r = await convertCheckpoint(input, output, options);
      process.stdout.write(
        `wrote ${r.output}: ${r.tensors} tensors, ${r.elements.toLocaleString('en-US')} elements${options.half ? ' (floats as F16)' : ''}\n` +
          `wrote ${r.sidecar}: ${r.values} non-tensor value${r.values === 1 ? '' : 's'}\n`,
      );
    });
}
