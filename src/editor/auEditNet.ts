/**
 * AUEditNet (Sec. 3, DESIGN §3): the source branch removes the source AU status (Ŵ_N = W_src −
 * Φ_dec(z_src)), the target branch builds the target embedding from a normalised embedding — of a
 * random other-subject image in training (dual), of the source itself at test time and in the
 * single-branch variant — and adds the target labels through T (Eq. 2). Rows of W+ that are not
 * edited are kept from W_src.
 *
 * Shapes: W+ [B, L, D]; labels and estimates [B, N]; level-wise quantities [M, B, N] where M is
 * the number of editing modules (levels, or 1 for the flat variant).
 */
import { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';
import { AU_N, moduleCount, type EditorConfig } from './config.js';
import { phiDec } from './phiDec.js';
import { phiEnc, type PhiEncOutput } from './phiEnc.js';
import { psiDec, psiEnc, type LevelLabels } from './psi.js';
import { applyT, directions } from './T.js';

export interface Labels {
  /** Activation, 0/1 for given labels or a probability for estimates. */
  c: tf.Tensor2D;
  a: tf.Tensor2D;
}

export class AUEditNet {
  readonly params: Params;

  constructor(
    readonly config: EditorConfig,
    seed = 0,
  ) {
    this.params = new Params(seed);
  }

  /** Creates every parameter (Params are made on first use) for a W+ with `rows` rows. */
  build(rows: number): this {
    tf.tidy(() => {
      const w = tf.zeros([1, rows, this.config.styleDim]) as tf.Tensor3D;
      const l = { c: tf.zeros([1, AU_N]) as tf.Tensor2D, a: tf.zeros([1, AU_N]) as tf.Tensor2D };
      this.forwardTrain(w, w, l);
      this.transfer(w, w);
      // Ψ_dec is only reached through the estimates (L_L, `estimate`)
      this.estimate(w);
    });
    return this;
  }

  private checkLevels(w: tf.Tensor3D): void {
    const L = w.shape[1];
    const bad = this.config.levels.find((l) => l >= L);
    if (bad !== undefined) throw new RangeError(`editor levels include row ${bad} but the W+ has ${L} rows`);
    if (w.shape[2] !== this.config.styleDim) throw new RangeError(`W+ rows are ${w.shape[2]} long, the editor expects ${this.config.styleDim}`);
  }

  /** The module inputs: each edited row, or all of them concatenated (flat). */
  private moduleInputs(w: tf.Tensor3D): tf.Tensor2D[] {
    const rows = this.config.levels.map((l) => tf.squeeze(tf.slice(w, [0, l, 0], [-1, 1, -1]), [1]) as tf.Tensor2D);
    return this.config.modules === 'flat' ? [tf.concat(rows, 1) as tf.Tensor2D] : rows;
  }

  /** Φ_enc on every module (Eq. 1). */
  encode(w: tf.Tensor3D): PhiEncOutput[] {
    this.checkLevels(w);
    return this.moduleInputs(w).map((x, m) => phiEnc(this.params, this.config, m, x));
  }

  /** Φ_dec of module m. */
  decode(m: number, z: tf.Tensor2D): tf.Tensor2D {
    const out = this.config.modules === 'flat' ? this.config.levels.length * this.config.styleDim : this.config.styleDim;
    return phiDec(this.params, this.config, m, z, out);
  }

  /**
   * Φ_dec of two embedding batches per module in one pass: the same weights on stacked rows, so an
   * edit reads each Φ_dec's weights once (single-row products are bound by weight reads, see
   * docs/performance.md).
   */
  private decodePairs(a: tf.Tensor2D[], b: tf.Tensor2D[]): [tf.Tensor2D[], tf.Tensor2D[]] {
    const out = a.map((za, m) => tf.split(this.decode(m, tf.concat([za, b[m]!], 0) as tf.Tensor2D), [za.shape[0], b[m]!.shape[0]], 0) as tf.Tensor2D[]);
    return [out.map((o) => o[0]!), out.map((o) => o[1]!)];
  }

  /** W+ with each edited row r replaced by rows[r] + delta (delta per module, split for flat). */
  private apply(w: tf.Tensor3D, deltas: tf.Tensor2D[], sign: 1 | -1 = 1): tf.Tensor3D {
    const perLevel = this.config.modules === 'flat' ? (tf.split(deltas[0]!, this.config.levels.length, 1) as tf.Tensor2D[]) : deltas;
    const rows = tf.unstack(w, 1) as tf.Tensor2D[];
    this.config.levels.forEach((l, k) => {
      rows[l] = (sign === 1 ? tf.add(rows[l]!, perLevel[k]!) : tf.sub(rows[l]!, perLevel[k]!)) as tf.Tensor2D;
    });
    return tf.stack(rows, 1) as tf.Tensor3D;
  }

  /** Level-wise estimates of an encoding: σ(ĉ^{·,j}), â^{·,j} as [M, B, N]. */
  static levelEstimates(enc: PhiEncOutput[]): LevelLabels {
    return { c: tf.stack(enc.map((e) => tf.sigmoid(e.cLogit))) as tf.Tensor3D, a: tf.stack(enc.map((e) => e.a)) as tf.Tensor3D };
  }

  /** Labels → per-module pseudo-labels: Ψ_enc, or the same labels for every module without label mapping. */
  pseudoLabels(l: Labels): LevelLabels {
    if (this.config.labelMapping) return psiEnc(this.params, this.config, l.c, l.a);
    const M = moduleCount(this.config);
    return { c: tf.stack(Array(M).fill(l.c)) as tf.Tensor3D, a: tf.stack(Array(M).fill(l.a)) as tf.Tensor3D };
  }

  /** Image-level estimates of the source labels: Ψ_dec of the level-wise ones, or their mean over modules. */
  labelEstimates(levels: LevelLabels): Labels {
    if (this.config.labelMapping) return psiDec(this.params, this.config, levels);
    return { c: tf.mean(levels.c, 0) as tf.Tensor2D, a: tf.mean(levels.a, 0) as tf.Tensor2D };
  }

  /** z − Σ_i σ(ĉ^i) â^i T_i per module: the embedding with its own AU status removed. */
  normalised(enc: PhiEncOutput[]): tf.Tensor2D[] {
    const T = directions(this.params, this.config);
    return enc.map((e) => tf.sub(e.z, applyT(T, tf.sigmoid(e.cLogit) as tf.Tensor2D, e.a)) as tf.Tensor2D);
  }

  /** base_m + Σ_i c^{i,m} a^{i,m} T_i per module. */
  private withTargets(base: tf.Tensor2D[], target: LevelLabels): tf.Tensor2D[] {
    const T = directions(this.params, this.config);
    const cs = tf.unstack(target.c) as tf.Tensor2D[], as = tf.unstack(target.a) as tf.Tensor2D[];
    return base.map((b, m) => tf.add(b, applyT(T, cs[m]!, as[m]!)) as tf.Tensor2D);
  }

  /**
   * The training pass (Eq. 1–3): source branch on W_src, target branch from W_rnd (dual) or W_src
   * (single) with the target labels. Returns Ŵ_N, Ŵ_tar and the source's level-wise estimates.
   */
  forwardTrain(wSrc: tf.Tensor3D, wRnd: tf.Tensor3D | null, target: Labels): { wN: tf.Tensor3D; wTar: tf.Tensor3D; source: PhiEncOutput[]; sourceLevels: LevelLabels } {
    const source = this.encode(wSrc);
    const fromRandom = this.config.branch === 'dual' && wRnd !== null;
    const base = this.normalised(fromRandom ? this.encode(wRnd) : source);
    const zTar = this.withTargets(base, this.pseudoLabels(target));
    const [dSrc, dTar] = this.decodePairs(source.map((e) => e.z), zTar);
    const wN = this.apply(wSrc, dSrc, -1);
    const wTar = this.apply(wN, dTar);
    return { wN, wTar, source, sourceLevels: AUEditNet.levelEstimates(source) };
  }

  /** Test-time edit: the target branch starts from the source's own normalised embedding. */
  edit(w: tf.Tensor3D, target: Labels): { wN: tf.Tensor3D; wTar: tf.Tensor3D } {
    const { wN, wTar } = this.forwardTrain(w, null, target);
    return { wN, wTar };
  }

  /** Ŵ_N: every AU removed. */
  neutral(w: tf.Tensor3D): tf.Tensor3D {
    const source = this.encode(w);
    return this.apply(w, source.map((e, m) => this.decode(m, e.z)), -1);
  }

  /** Expression transfer: Ŵ = W_src − Φ_dec(z_src) + Φ_dec(z_ref). */
  transfer(wSrc: tf.Tensor3D, wRef: tf.Tensor3D): tf.Tensor3D {
    const s = this.encode(wSrc), r = this.encode(wRef);
    const [dSrc, dRef] = this.decodePairs(s.map((e) => e.z), r.map((e) => e.z));
    return this.apply(this.apply(wSrc, dSrc, -1), dRef);
  }

  /** The editor's own estimate of the source labels (c as probability). */
  estimate(w: tf.Tensor3D): Labels {
    return this.labelEstimates(AUEditNet.levelEstimates(this.encode(w)));
  }

  dispose(): void {
    this.params.dispose();
  }
}
