/**
 * The IR-SE-50 ArcFace network that e4e/pSp use for their ID loss (`model_ir_se50.pth`, TreB1eN's
 * InsightFace_Pytorch `Backbone(input_size=112, num_layers=50, mode='ir_se')`), loaded from the
 * PyTorch checkpoint by name, and e4e's ID-loss preprocessing (criteria/id_loss.py):
 *
 *   image (any size) → 256×256 (pSp's face_pool: AdaptiveAvgPool2d((256, 256)); bilinear when
 *   smaller) → crop rows 35:223, cols 32:220 → AdaptiveAvgPool2d((112, 112)) → backbone
 *
 *   backbone = input_layer (conv3×3 → BN → PReLU) → body (IR / IR-SE units, 4 stride-2 stages)
 *              → output_layer (BN2d → Dropout (eval: identity) → Flatten (C, H, W order)
 *              → Linear(C·7·7, D) → BatchNorm1d(D)) → L2 normalisation
 *
 * The Linear over the flattened C×7×7 map is held as a 7×7 'valid' convolution with the same
 * weights ([D, C·49] is [D, C, 7, 7] in C order), so NHWC features need no transpose. Depth, widths,
 * SE reduction and embedding size are read off the checkpoint's shapes, so reduced test copies
 * load with the same code; stage boundaries are where the unit width changes.
 */
import { existsSync } from 'node:fs';
import { fileError, UserError } from '../errors.js';
import { BottleneckIR } from '../gan/bottleneckIR.js';
import { ParamStore, randomInit, zeroInit, type TorchLikeTensor } from '../gan/params.js';
import { BatchNorm2d, Conv2d, PReLU } from '../gan/torchLayers.js';
import { flattenCheckpoint, openTorchCheckpoint } from '../io/torch.js';
import { tf } from '../runtime/tf.js';

export interface IrseConfig {
  /** Units per stage (IR-50: [3, 4, 14, 3]). */
  units: number[];
  /** Channels per stage (IR-50: [64, 128, 256, 512]). */
  widths: number[];
  /** Channels of the input layer (64). */
  inputWidth: number;
  /** Embedding size (512). */
  embedDim: number;
  mode: 'ir' | 'ir_se';
  seReduction: number;
  /** BatchNorm1d(affine=True) at the end, as e4e's ID loss builds it (IR_SE_50() uses affine=False). */
  affineOut: boolean;
}

export const IRSE50_CONFIG: Readonly<IrseConfig> = {
  units: [3, 4, 14, 3],
  widths: [64, 128, 256, 512],
  inputWidth: 64,
  embedDim: 512,
  mode: 'ir_se',
  seReduction: 16,
  affineOut: true,
};

/** Spatial size of the backbone's input, and of its last feature map (112 / 2⁴). */
export const IRSE_INPUT = 112;
const FINAL = 7;
const LINEAR = 'output_layer.3';

export class IrseBackbone {
  readonly store = new ParamStore();
  private readonly inputConv: Conv2d;
  private readonly inputBn: BatchNorm2d;
  private readonly inputPrelu: PReLU;
  readonly body: BottleneckIR[] = [];
  private readonly outBn: BatchNorm2d;
  private readonly linear: Conv2d;
  private readonly bn1d: { mean: tf.Variable; variance: tf.Variable; weight: tf.Variable | null; bias: tf.Variable | null };
  private kept: { w: tf.Tensor4D; b: tf.Tensor1D; a1: tf.Tensor1D; b1: tf.Tensor1D } | null = null;

  constructor(readonly config: IrseConfig, opts: { init?: 'random' | 'zeros'; seed?: number } = {}) {
    const c = config;
    const store = this.store;
    const init = opts.init === 'random' ? randomInit(opts.seed ?? 0) : zeroInit;
    this.inputConv = new Conv2d(store, 'input_layer.0', 3, c.inputWidth, 3, 1, 1, false, init);
    this.inputBn = new BatchNorm2d(store, 'input_layer.1', c.inputWidth);
    this.inputPrelu = new PReLU(store, 'input_layer.2', c.inputWidth);
    const last = c.widths[c.widths.length - 1]!;
    this.outBn = new BatchNorm2d(store, 'output_layer.0', last);
    this.linear = new Conv2d(store, LINEAR, last, c.embedDim, FINAL, 1, 0, true, init);
    const D = c.embedDim;
    const ones = () => tf.ones([D]);
    const zeros = () => tf.zeros([D]);
    this.bn1d = {
      weight: c.affineOut ? store.add('output_layer.4.weight', [D], 'plain', 'param', ones) : null,
      bias: c.affineOut ? store.add('output_layer.4.bias', [D], 'plain', 'param', zeros) : null,
      mean: store.add('output_layer.4.running_mean', [D], 'plain', 'buffer', zeros),
      variance: store.add('output_layer.4.running_var', [D], 'plain', 'buffer', ones),
    };
    store.extras.set('output_layer.4.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array(1) });
    let inCh = c.inputWidth;
    let idx = 0;
    for (let s = 0; s < c.units.length; s++) {
      const depth = c.widths[s]!;
      for (let u = 0; u < c.units[s]!; u++) {
        this.body.push(new BottleneckIR(store, `body.${idx++}`, u === 0 ? inCh : depth, depth, u === 0 ? 2 : 1, { se: c.mode === 'ir_se', seReduction: c.seReduction, init }));
      }
      inCh = depth;
    }
  }

  /** The BatchNorm-folded input conv and the final BatchNorm1d as y·a1 + b1. */
  private folded(): { w: tf.Tensor4D; b: tf.Tensor1D; a1: tf.Tensor1D; b1: tf.Tensor1D } {
    const { a, b } = this.inputBn.affine();
    let a1 = tf.rsqrt(tf.add(this.bn1d.variance, 1e-5));
    if (this.bn1d.weight) a1 = tf.mul(a1, this.bn1d.weight);
    let b1 = tf.neg(tf.mul(this.bn1d.mean, a1));
    if (this.bn1d.bias) b1 = tf.add(b1, this.bn1d.bias);
    return { w: tf.mul(this.inputConv.weight, a) as tf.Tensor4D, b, a1: a1 as tf.Tensor1D, b1: b1 as tf.Tensor1D };
  }

  /**
   * Computes the BatchNorm-folded weights once and keeps them (the model is inference-only). Call
   * it outside any tf.tidy (the loaders do); an unfrozen model folds on every forward pass.
   */
  freeze(): void {
    if (this.kept) return;
    for (const u of this.body) u.freeze();
    this.kept = tf.tidy(() => this.folded());
  }

  /** x: NHWC [B, 112, 112, 3] in [-1, 1] → L2-normalised embeddings [B, embedDim]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    if (x.rank !== 4 || x.shape[1] !== IRSE_INPUT || x.shape[2] !== IRSE_INPUT || x.shape[3] !== 3) {
      throw new UserError(`IR-SE input must be [B, ${IRSE_INPUT}, ${IRSE_INPUT}, 3], got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const k = this.kept ?? this.folded();
      let h = this.inputPrelu.forward(this.inputConv.forward(x, k.w, k.b));
      for (const unit of this.body) h = unit.forward(h);
      h = this.outBn.forward(h);
      const y = this.linear.forward(h).reshape([x.shape[0], this.config.embedDim]);
      const z = tf.add(tf.mul(y, k.a1), k.b1);
      // l2_norm: x / ‖x‖ (no epsilon in the reference)
      return tf.div(z, tf.norm(z, 'euclidean', 1, true)) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const u of this.body) u.unfreeze();
    if (this.kept) tf.dispose(this.kept);
    this.kept = null;
    this.store.dispose();
  }
}

/**
 * The matrix of torch's AdaptiveAvgPool over one axis: out[i] = mean(in[floor(i·n/m) … ceil((i+1)·n/m) − 1]).
 */
export function adaptivePoolMatrix(n: number, m: number): Float32Array {
  const p = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const start = Math.floor((i * n) / m);
    const end = Math.ceil(((i + 1) * n) / m);
    for (let j = start; j < end; j++) p[i * n + j] = 1 / (end - start);
  }
  return p;
}

/** torch.nn.AdaptiveAvgPool2d((outH, outW)) on NHWC, as two matrix products. */
export function adaptiveAvgPool2d(x: tf.Tensor4D, outH: number, outW: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  if (H === outH && W === outW) return x.clone();
  // pools the last axis n → m: [a, b, c, n] · Pᵀ [n, m]
  const poolLast = (t: tf.Tensor4D, n: number, m: number): tf.Tensor4D => {
    const [a, b, c] = t.shape;
    const pt = tf.tensor2d(adaptivePoolMatrix(n, m), [m, n]).transpose();
    return tf.matMul(t.reshape([a * b * c, n]), pt).reshape([a, b, c, m]);
  };
  return tf.tidy(() => {
    const byH = poolLast(tf.transpose(x, [0, 2, 3, 1]), H, outH); // [B, W, C, outH]
    const byW = poolLast(tf.transpose(byH, [0, 3, 2, 1]), W, outW); // [B, outH, C, outW]
    return tf.transpose(byW, [0, 1, 3, 2]).reshape([B, outH, outW, C]);
  });
}

/**
 * e4e's ID-loss input: images NHWC in [-1, 1] of any size → [B, 112, 112, 3]. A size other than
 * 256 is brought to 256×256 first — average pooling when shrinking (pSp's face_pool), bilinear
 * (half-pixel centres) when enlarging.
 */
export function irseInput(images: tf.Tensor4D): tf.Tensor4D {
  if (images.rank !== 4 || images.shape[3] !== 3) throw new UserError(`images must be NHWC [B, H, W, 3], got [${images.shape.join(', ')}]`);
  return tf.tidy(() => {
    const [, H, W] = images.shape;
    let x = images;
    if (H !== 256 || W !== 256) {
      if (H < 256 || W < 256) x = tf.image.resizeBilinear(x, [Math.max(H, 256), Math.max(W, 256)], false, true);
      x = adaptiveAvgPool2d(x, 256, 256);
    }
    x = tf.slice(x, [0, 35, 32, 0], [-1, 223 - 35, 220 - 32, 3]);
    return adaptiveAvgPool2d(x, IRSE_INPUT, IRSE_INPUT);
  });
}

type Shapes = Record<string, readonly number[]>;

function shapeOf(shapes: Shapes, key: string, label: string): readonly number[] {
  const s = shapes[key];
  if (!s) throw fileError(label, `is not an IR-SE ArcFace checkpoint: tensor '${key}' is missing`);
  return s;
}

/** Reads the architecture off the tensor shapes of a state dict (keys without any prefix). */
export function inferIrseConfig(shapes: Shapes, label: string): IrseConfig {
  const inputWidth = shapeOf(shapes, 'input_layer.0.weight', label)[0]!;
  const units: number[] = [];
  const widths: number[] = [];
  let n = 0;
  let prev = -1;
  let mode: IrseConfig['mode'] | null = null;
  let seReduction = 16;
  while (Object.hasOwn(shapes, `body.${n}.res_layer.1.weight`)) {
    const depth = shapes[`body.${n}.res_layer.1.weight`]![0]!;
    const se = Object.hasOwn(shapes, `body.${n}.res_layer.5.fc1.weight`);
    const unitMode = se ? 'ir_se' : 'ir';
    if (mode && unitMode !== mode) throw fileError(label, `mixes IR and IR-SE units (body.${n})`);
    mode = unitMode;
    if (se) {
      const hidden = shapes[`body.${n}.res_layer.5.fc1.weight`]![0]!;
      const r = depth / hidden;
      if (!Number.isInteger(r) || Math.floor(depth / r) !== hidden) throw fileError(label, `body.${n}: SE width ${hidden} is not ${depth}/r for an integer r`);
      if (n === 0) seReduction = r;
      else if (r !== seReduction) throw fileError(label, `body.${n}: SE reduction ${r} differs from ${seReduction}`);
    }
    if (depth !== prev) {
      units.push(0);
      widths.push(depth);
    }
    units[units.length - 1]!++;
    prev = depth;
    n++;
  }
  if (!mode) throw fileError(label, "is not an IR-SE ArcFace checkpoint: no 'body.0.res_layer.1.weight'");
  if (units.length !== 4) throw fileError(label, `has ${units.length} stages of units (widths ${widths.join(', ')}), an IR backbone has 4 (a 112-px input must end at 7×7)`);
  const lin = shapeOf(shapes, `${LINEAR}.weight`, label);
  const last = widths[3]!;
  if (lin.length !== 2 || lin[1] !== last * FINAL * FINAL) {
    throw fileError(label, `'${LINEAR}.weight' has shape [${lin.join(', ')}], expected [D, ${last * FINAL * FINAL}] (Linear(${last}·7·7, D) for a 112-px input)`);
  }
  return { units, widths, inputWidth, embedDim: lin[0]!, mode, seReduction, affineOut: Object.hasOwn(shapes, 'output_layer.4.weight') };
}

/** The state dict's key prefix ('' for model_ir_se50.pth, 'module.' for a DataParallel save …). */
function findPrefix(keys: string[]): string | null {
  const k = keys.find((n) => n.endsWith('input_layer.0.weight') && keys.includes(n.replace(/input_layer\.0\.weight$/, 'output_layer.3.weight')));
  return k === undefined ? null : k.slice(0, k.length - 'input_layer.0.weight'.length);
}

/**
 * Builds the backbone from a state dict in PyTorch layout. `num_batches_tracked` entries may be
 * present or not (the released checkpoint predates them).
 */
export function irseFromStateDict(tensors: Record<string, TorchLikeTensor>, label: string): IrseBackbone {
  const prefix = findPrefix(Object.keys(tensors));
  if (prefix === null) throw fileError(label, "is not an IR-SE ArcFace checkpoint (no 'input_layer.0.weight' with an 'output_layer.3.weight' beside it)");
  const sd: Record<string, TorchLikeTensor> = Object.create(null);
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) sd[k.slice(prefix.length)] = t;
  const shapes: Shapes = Object.create(null);
  for (const [k, t] of Object.entries(sd)) shapes[k] = t.shape;
  const config = inferIrseConfig(shapes, label);
  const lin = sd[`${LINEAR}.weight`]!;
  const last = config.widths[3]!;
  sd[`${LINEAR}.weight`] = { shape: [config.embedDim, last, FINAL, FINAL], data: lin.data, dtype: lin.dtype };
  const net = new IrseBackbone(config);
  try {
    net.store.loadStateDict(sd, label, { ignore: (n) => n.endsWith('.num_batches_tracked') });
    net.freeze();
  } catch (err) {
    net.dispose();
    throw err;
  }
  return net;
}

/** Loads `model_ir_se50.pth` (or any IR / IR-SE backbone of that layout) from a .pt/.pth file. */
export function loadIrse(path: string): IrseBackbone {
  if (!existsSync(path)) throw fileError(path, 'not found (the IR-SE-50 ArcFace checkpoint of e4e/pSp, model_ir_se50.pth)');
  const ckpt = openTorchCheckpoint(path);
  try {
    const root = ckpt.root;
    // some copies wrap the weights: {'state_dict': …}
    const flat = flattenCheckpoint(root, { label: path });
    return irseFromStateDict(flat.tensors, path);
  } finally {
    ckpt.close();
  }
}
