/**
 * An exponential moving average of a network's weights (StyleGAN2's g_ema, rosinality's
 * `accumulate`). Adam at a learning rate high enough to move a StyleGAN2 generator noticeably in a
 * few thousand steps leaves its weights jittering around where they are heading; the average is
 * where they are heading, without lowering the rate. The shadow copy is a second network of the
 * same architecture; it is never trained, only pulled towards the live weights after each step.
 */
import { tf } from '../runtime/tf.js';
import type { TrainableModel } from '../nn/trainLoop.js';
import type { ParamStore } from './params.js';
import { storeModel } from './trainable.js';
import { fileError } from '../errors.js';

/** β per step for a half-life given in images (StyleGAN2's ema_kimg, in images) at a batch size. */
export function emaBeta(halfLifeImages: number, batch: number): number {
  if (!(halfLifeImages > 0) || !Number.isFinite(halfLifeImages)) throw new Error(`EMA half-life must be a positive number of images, got ${halfLifeImages}`);
  if (!(batch >= 1)) throw new Error(`EMA batch must be ≥ 1, got ${batch}`);
  return 0.5 ** (batch / halfLifeImages);
}

export class WeightEma {
  constructor(
    readonly live: ParamStore,
    readonly shadow: ParamStore,
    readonly beta: number,
  ) {
    if (!(beta >= 0 && beta < 1)) throw new Error(`EMA β must be in [0, 1), got ${beta}`);
    const a = live.names(), b = shadow.names();
    if (a.length !== b.length || a.some((n, i) => n !== b[i])) throw new Error('EMA: the shadow network does not have the live network\'s parameters');
    for (const n of a) {
      if (!tf.util.arraysEqual(live.get(n).shape, shadow.get(n).shape)) throw new Error(`EMA: '${n}' is [${live.get(n).shape}] live but [${shadow.get(n).shape}] in the shadow`);
    }
    shadow.setTrainable(false);
  }

  /** Shadow := live, every tensor (the start of a run, or after loading other weights). */
  copy(): void {
    for (const n of this.live.names()) this.shadow.get(n).assign(this.live.get(n));
  }

  /**
   * One step: parameters move to β·shadow + (1 − β)·live; buffers (BatchNorm running statistics,
   * the fixed noise maps) are copied, since they are already averages or constants.
   */
  update(): void {
    tf.tidy(() => {
      for (const n of this.live.names()) {
        const s = this.shadow.get(n), l = this.live.get(n);
        if (this.live.entry(n).kind === 'param') s.assign(tf.add(l, tf.mul(tf.sub(s, l), this.beta)));
        else s.assign(l);
      }
    });
  }

  /** The shadow for checkpoints: saved and restored like a model, but offers no variable to train. */
  model(): TrainableModel {
    return { ...storeModel(this.shadow), trainableVariables: () => [] };
  }
}

/**
 * The checkpoint models that hold a `train pair` run's pair to use: the average where the run kept
 * one (StyleGAN2 ships g_ema; it is also the better start for a new run), the trained weights
 * otherwise. `keys` are the checkpoint's tensor names.
 */
export function pairModelNames(keys: readonly string[]): { generator: string; encoder: string } {
  const averaged = keys.some((k) => k.startsWith('param.generatorEma.'));
  return averaged ? { generator: 'generatorEma', encoder: 'encoderEma' } : { generator: 'generator', encoder: 'encoder' };
}

/**
 * One model's parameters out of a `train pair` checkpoint, `names` looked up as
 * `param.<prefix>.<name>`; a missing one is named with the file.
 */
export function pairModelTensors<T>(lookup: (key: string) => T | undefined, file: string, prefix: string, names: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const n of names) {
    const t = lookup(`param.${prefix}.${n}`);
    if (t === undefined) throw fileError(file, `has no tensor param.${prefix}.${n}`);
    out[n] = t;
  }
  return out;
}
