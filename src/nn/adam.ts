import { tf } from '../runtime/tf.js';

export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW); 0 = plain Adam. */
  weightDecay?: number;
}

/**
 * Adam with its whole state in named tensors, so a checkpoint restores it exactly: the bias
 * corrections are computed in float64 from the step count (tfjs's Adam keeps running products of
 * β and rebuilds them with pow() on restore, which does not continue bit for bit).
 */
export class Adam {
  private readonly m = new Map<tf.Variable, tf.Variable>();
  private readonly v = new Map<tf.Variable, tf.Variable>();
  step = 0;
  /** Per-variable learning-rate multipliers (a GAN's discriminator learning faster than its generator). */
  private readonly lrScale = new Map<tf.Variable, number>();

  constructor(readonly config: AdamConfig) {}

  /** Scales the learning rate (and the decoupled weight decay) of these variables by `scale`. */
  setLrMultiplier(vars: readonly tf.Variable[], scale: number): void {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`learning-rate multiplier must be a positive number, got ${scale}`);
    for (const v of vars) this.lrScale.set(v, scale);
  }

  /** Computes the loss and its gradients for `vars`, applies one update, returns the loss. */
  minimize(loss: () => tf.Scalar, vars: tf.Variable[]): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, vars);
    this.apply(grads);
    tf.dispose(Object.values(grads));
    return value;
  }

  apply(grads: Record<string, tf.Tensor | null>): void {
    const { lr: baseLr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = this.config;
    this.step += 1;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const epsHat = eps * Math.sqrt(c2);
    for (const [name, g] of Object.entries(grads)) {
      // tf.variableGrads maps frozen (non-trainable) variables of the list to null
      if (!g) continue;
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`Adam: no variable named ${name}`);
      const lr = baseLr * (this.lrScale.get(variable) ?? 1);
      const stepSize = (lr * Math.sqrt(c2)) / c1;
      tf.tidy(() => {
        const m = this.slot(this.m, variable);
        const v = this.slot(this.v, variable);
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        // lr·m̂/(√v̂ + ε) written with the corrections folded into scalars
        let next = variable.sub(m.mul(stepSize).div(v.sqrt().add(epsHat)));
        if (weightDecay) next = next.sub(variable.mul(lr * weightDecay));
        variable.assign(next);
      });
    }
  }

  private slot(map: Map<tf.Variable, tf.Variable>, variable: tf.Variable): tf.Variable {
    let s = map.get(variable);
    if (!s) {
      s = tf.variable(tf.zerosLike(variable), false);
      map.set(variable, s);
    }
    return s;
  }

  /** State keyed by the parameter names given for each variable (for checkpoints). */
  state(names: Map<tf.Variable, string>): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [variable, m] of this.m) out[`${names.get(variable)}.exp_avg`] = m;
    for (const [variable, v] of this.v) out[`${names.get(variable)}.exp_avg_sq`] = v;
    return out;
  }

  loadState(names: Map<string, tf.Variable>, state: Record<string, Float32Array>, step: number): void {
    this.dispose();
    for (const [key, data] of Object.entries(state)) {
      const m = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(key);
      const variable = m ? names.get(m[1]!) : undefined;
      if (!m || !variable) throw new Error(`optimizer state ${key} matches no parameter`);
      (m[2] === 'exp_avg' ? this.m : this.v).set(variable, tf.variable(tf.tensor(data, variable.shape), false));
    }
    this.step = step;
  }

  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
  }
}
