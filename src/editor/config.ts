/**
 * AUEditNet's configuration: architecture (DESIGN §3), the Table-4 variants, and the loss weights.
 * One JSON file holds it beside the weights; `aueditnet train editor --config` reads a partial one
 * over these defaults.
 */
import { AU_COUNT } from '../data/aus.js';
import { UserError } from '../errors.js';

export interface LossWeights {
  /** Pixel MSE of Î_tar against I_tar (Eq. 5). */
  R: number;
  /** Perceptual feature MSE (Eq. 5) in the frozen F_id's blocks (losses.ts says why not a VGG). */
  P: number;
  /** Pretrained-function loss (Eq. 6): F_pre feature maps f_k and Δa. */
  F: number;
  /** Identity loss (Eq. 7) with F_id, on Î_tar and Î_N. */
  ID: number;
  /** Label loss (Eq. 8). */
  L: number;
  /**
   * Neutral loss (ours, not in the paper; 0 = the paper's Eq. 4): F_pre's predicted change from
   * I_src to Î_N should be −a_src, i.e. Î_N should read all-zero. Nothing else in Eq. 4 asks Ŵ_N to
   * be neutral; docs/decisions.md has the measurements.
   */
  N?: number;
  /**
   * Neutral reconstruction (ours, not in the paper; 0 = off): Î_N against a rest frame (all 12
   * labels 0) of the source's subject, pixel MSE plus F_id feature MSE — what Eq. 5 asks of Î_tar
   * against I_tar, with a neutral frame as the target. L_N alone lets Ŵ_N drift off the generator's
   * face manifold in ways F_pre does not see; docs/decisions.md has the measurements.
   */
  RN?: number;
  /**
   * Neutral AU features (ours, not in the paper; 0 = off): Eq. 6's two F_pre terms with the source
   * subject's rest frame I_0 as both the reference and the target — f_k(Î_N) against f_k(I_0), and
   * F_pre(I_0, Î_N) against F_pre(I_0, I_0). L_RN's F_id features are made for identity; this asks
   * the AU network's features of Î_N to be those of the person at rest. Uses RN's rest frames.
   */
  RNF?: number;
}

export interface EditorConfig {
  /** W+ rows edited (DESIGN: every level ≤ 64 px, i.e. 0–9); the others are kept from W_src. */
  levels: number[];
  styleDim: number;
  /** Width of the two hidden layers of phiEnc / phiDec. */
  hidden: number;
  /** Embedding size D (rows of T are D long). */
  zDim: number;
  /** Width of the hidden layer of each AU's psiEnc / psiDec. */
  psiHidden: number;
  /** 'dual': the target branch starts from a random other-subject image (AUEditNet); 'single': from the source (ReDirTrans-style). */
  branch: 'single' | 'dual';
  /** 'levelwise': one phiEnc/phiDec per level; 'flat': one module over all edited levels at once. */
  modules: 'levelwise' | 'flat';
  /** Level-wise pseudo-labels through psiEnc/psiDec (Eq. 3); off: every level gets the plain labels. */
  labelMapping: boolean;
  lambda: LossWeights;
}

export const AU_N = AU_COUNT;

export function defaultEditorConfig(levels: number[] = [...Array(10).keys()]): EditorConfig {
  return {
    levels,
    styleDim: 512,
    hidden: 512,
    zDim: 128,
    psiHidden: 64,
    branch: 'dual',
    modules: 'levelwise',
    labelMapping: true,
    // pixel and feature terms are MSEs of [-1, 1] images / feature maps; ID is 1 − cos per image
    lambda: { R: 1, P: 0.5, F: 0.5, ID: 0.1, L: 0.1 },
  };
}

/** Number of editing modules (M in Eq. 8): one per level, or one for the flat variant. */
export function moduleCount(c: EditorConfig): number {
  return c.modules === 'flat' ? 1 : c.levels.length;
}

/** Defaults overlaid with a partial config (e.g. from JSON); unknown keys and bad values are refused by name. */
export function resolveEditorConfig(partial: Record<string, unknown> = {}, where = 'editor config'): EditorConfig {
  const d = defaultEditorConfig();
  const known = new Set(Object.keys(d));
  for (const k of Object.keys(partial)) if (!known.has(k)) throw new UserError(`${where}: unknown key '${k}' (known: ${[...known].join(', ')})`);
  const c = { ...d, ...partial, lambda: { ...d.lambda, ...((partial['lambda'] as object | undefined) ?? {}) } } as EditorConfig;
  const posInt = (k: 'styleDim' | 'hidden' | 'zDim' | 'psiHidden') => {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new UserError(`${where}: ${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  };
  (['styleDim', 'hidden', 'zDim', 'psiHidden'] as const).forEach(posInt);
  if (!Array.isArray(c.levels) || c.levels.length === 0 || !c.levels.every((l) => Number.isInteger(l) && l >= 0) || new Set(c.levels).size !== c.levels.length) {
    throw new UserError(`${where}: levels must be distinct W+ row indices, got ${JSON.stringify(c.levels)}`);
  }
  if (c.branch !== 'single' && c.branch !== 'dual') throw new UserError(`${where}: branch must be 'single' or 'dual', got ${JSON.stringify(c.branch)}`);
  if (c.modules !== 'flat' && c.modules !== 'levelwise') throw new UserError(`${where}: modules must be 'flat' or 'levelwise', got ${JSON.stringify(c.modules)}`);
  if (typeof c.labelMapping !== 'boolean') throw new UserError(`${where}: labelMapping must be true or false`);
  for (const [k, v] of Object.entries(c.lambda)) {
    if (!['R', 'P', 'F', 'ID', 'L', 'N', 'RN', 'RNF'].includes(k)) throw new UserError(`${where}: unknown loss weight lambda.${k} (known: R, P, F, ID, L, N, RN, RNF)`);
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new UserError(`${where}: lambda.${k} must be a number ≥ 0, got ${JSON.stringify(v)}`);
  }
  return c;
}
