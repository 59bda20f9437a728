/**
 * One entry point for "a file of tensors", whatever its format, chosen by content rather than by
 * extension. Used by `inspect` and anything else that only needs names, dtypes, shapes and data.
 */
import { fileError } from '../errors.js';
import { readHead } from './files.js';
import { readNpy, readNpyHeader } from './npy.js';
import { SafetensorsFile } from './safetensors.js';
import { describeFormat, sniffFormat, SNIFF_BYTES } from './sniff.js';
import type { Tensor } from './tensor.js';
import { flattenCheckpoint, openTorchCheckpoint, type JsonValue } from './torch.js';

export type TensorFileFormat = 'safetensors' | 'pytorch-zip' | 'pytorch-legacy' | 'npy';

export interface TensorFileEntry {
  /** Dotted key; '' for a file that is a single array (.npy, torch.save(tensor)). */
  readonly name: string;
  /** torch-style dtype name ('float32', 'int64', …); for dtypes we cannot decode, the file's own name lower-cased. */
  readonly dtype: string;
  readonly shape: number[];
}

export interface TensorFile {
  readonly path: string;
  readonly format: TensorFileFormat;
  readonly entries: readonly TensorFileEntry[];
  /** Everything that is not a tensor: safetensors `__metadata__`, or a checkpoint's plain values by dotted key. */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** Reads one tensor's data (loaded on demand; nothing is kept after the call). */
  read(name: string): Tensor;
  close(): void;
}

/** Opens any supported tensor file lazily; call close() when done. */
export function readTensorFile(path: string): TensorFile {
  const { head, size } = readHead(path, SNIFF_BYTES);
  const format = sniffFormat(head, size);
  switch (format) {
    case 'safetensors':
      return openSafetensors(path);
    case 'npy':
      return openNpy(path);
    case 'zip':
    case 'pickle':
    case 'tar':
      // the torch reader knows how to refuse TorchScript, .npz and the legacy tar format
      return openTorch(path);
    default:
      if (size === 0) throw fileError(path, 'is empty');
      throw fileError(path, `is not a tensor file this tool reads (it looks like ${describeFormat(format)}); expected safetensors, a PyTorch .pt/.pth or .npy`);
  }
}

function openSafetensors(path: string): TensorFile {
  const f = SafetensorsFile.open(path);
  const entries = f.keys().map((name) => {
    const info = f.info(name);
    return { name, dtype: info.dtype ?? info.fileDtype.toLowerCase(), shape: info.shape };
  });
  return { path, format: 'safetensors', entries, metadata: { ...f.metadata }, read: (name) => f.get(name), close: () => f.close() };
}

function openNpy(path: string): TensorFile {
  const { dtype, shape } = readNpyHeader(path);
  return {
    path,
    format: 'npy',
    entries: [{ name: '', dtype, shape }],
    metadata: {},
    read: (name) => {
      if (name !== '') throw fileError(path, `no tensor named '${name}' (a .npy file holds one array, named '')`);
      return readNpy(path);
    },
    close: () => undefined,
  };
}

function openTorch(path: string): TensorFile {
  const ckpt = openTorchCheckpoint(path);
  try {
    const flat = flattenCheckpoint(ckpt.root, { label: path });
    const entries = Object.entries(flat.tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
    return {
      path,
      format: ckpt.format === 'zip' ? 'pytorch-zip' : 'pytorch-legacy',
      entries,
      metadata: flat.values,
      read: (name) => {
        const t = flat.tensors[name];
        if (!t || !Object.hasOwn(flat.tensors, name)) throw fileError(path, `no tensor named '${name}'`);
        return { dtype: t.dtype, shape: t.shape, data: t.read() };
      },
      close: () => ckpt.close(),
    };
  } catch (err) {
    ckpt.close();
    throw err;
  }
}
