/** Repeated generator and encoder calls, inference and gradients, must not leak tensors. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { fixture, fixtureEncoder, fixtureGenerator } from './helpers.js';

beforeAll(async () => {
  await initRuntime();
});

/** A turn of the event loop: long synchronous stretches make vitest's worker RPC time out. */
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

async function leakCheck(run: () => void): Promise<void> {
  run(); // first call may create lasting state (kept precomputed weights)
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await yieldToLoop();
    run();
  }
  expect(tf.memory().numTensors).toBe(before);
}

describe('tensor memory', () => {
  it('generator: synthesis, forward from z, truncation, in every mode, frozen or not', async () => {
    const g = fixtureGenerator();
    const wplus = fixture('wplus.npy') as tf.Tensor3D;
    const z = fixture('z.npy') as tf.Tensor2D;
    for (const frozen of [false, true]) {
      if (frozen) g.freeze();
      for (const mode of ['shared', 'perSample', 'auto'] as const) {
        await leakCheck(() => {
          tf.dispose([g.synthesis(wplus, { mode }), g.synthesis(wplus, { mode, noise: 'random', seed: 3 }), g.forward([z], { mode, truncation: 0.7 }), g.map(z)]);
          tf.dispose(g.truncate(wplus, 0.5));
        });
      }
    }
    tf.dispose([wplus, z]);
    const n = tf.memory().numTensors;
    g.dispose();
    expect(tf.memory().numTensors).toBeLessThan(n);
  });

  it('generator: gradients w.r.t. W+ and weights', async () => {
    const g = fixtureGenerator();
    const wplus = fixture('wplus.npy') as tf.Tensor3D;
    await leakCheck(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(g.synthesis(wplus)) as tf.Scalar, g.trainableVariables());
      tf.dispose([value, grads]);
      tf.dispose(tf.grad((w: tf.Tensor) => tf.mean(g.synthesis(w as tf.Tensor3D)))(wplus));
    });
    tf.dispose(wplus);
    g.dispose();
  });

  it('loading and disposing models releases every tensor they made', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const g = fixtureGenerator().freeze();
      const e = fixtureEncoder().freeze();
      const x = fixture('e4e_input.npy') as tf.Tensor4D;
      tf.dispose([x, g.synthesis(e.encode(x))]);
      g.dispose();
      e.dispose();
    }
    // the shared leaky-ReLU slope vectors stay (a few tiny tensors, made once)
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(4);
  });

  it('encoder: eval, frozen, training mode and gradients', async () => {
    const e = fixtureEncoder();
    const x = fixture('e4e_input.npy') as tf.Tensor4D;
    await leakCheck(() => tf.dispose([e.forward(x), e.encode(x)]));
    await leakCheck(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(e.forward(x, { training: true })) as tf.Scalar, e.trainableVariables());
      tf.dispose([value, grads]);
    });
    e.freeze();
    await leakCheck(() => tf.dispose([e.forward(x), e.encode(x)]));
    tf.dispose(x);
    e.dispose();
  });
});
