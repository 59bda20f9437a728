/**
 * The GAN modules keep their weights in a ParamStore (PyTorch names and layouts for the official
 * checkpoints); the shared training loop checkpoints any TrainableModel. This is the bridge.
 */
import type { Tensor as FileTensor } from '../io/tensor.js';
import type { TrainableModel } from '../nn/trainLoop.js';
import type { ParamStore, TorchLikeTensor } from './params.js';

export function storeModel(store: ParamStore): TrainableModel {
  return {
    names: () => store.names(),
    variable: (name) => store.get(name),
    trainableVariables: () => store.trainableVariables(),
    toTorch: () => {
      const state = store.stateDict();
      const out: ReturnType<TrainableModel['toTorch']> = {};
      // extras (num_batches_tracked) are bookkeeping, not state a resume needs
      for (const name of store.names()) {
        const t = state[name]!;
        out[name] = { dtype: 'float32', shape: [...t.shape], data: () => t.data as Float32Array };
      }
      return out;
    },
    loadTorch: (source: string, tensors: Record<string, FileTensor>) => {
      store.loadStateDict(tensors as unknown as Record<string, TorchLikeTensor>, source);
    },
  };
}
