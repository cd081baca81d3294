// Choosing the compute backend (SPEC §8): native TensorFlow (GPU, then CPU) → wasm → pure-JS cpu.
// `KADAPTER_BACKEND` / config.backend overrides; the choice and why others were passed over are
// returned for the manifests.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import type { Backend } from '../config/schema.ts';
import { registerWasmKernels } from './wasm-kernels.ts';

export interface BackendChoice {
  /** The configured wish. */
  requested: Backend;
  /** The backend that runs: tensorflow-gpu, tensorflow, wasm or cpu. */
  name: Exclude<Backend, 'auto'>;
  /** Why each earlier candidate was passed over. */
  skipped: Record<string, string>;
}

const ORDER: Exclude<Backend, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const NATIVE_HINT = 'build it with `npm run setup:tensorflow` (README, "Backends")';

let current: BackendChoice | null = null;

// Production mode: no per-op debug checks, and no console banner urging the native backend (the
// choice and its reasons are reported by describeBackend instead).
tf.env().set('PROD', true);

async function tryBackend(name: Exclude<Backend, 'auto'>): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      // libtensorflow's informational start-up lines would otherwise land in every command's output.
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
      try {
        await import(pkg);
      } catch (e) {
        const msg = firstLine(e);
        const why = /Cannot find package/.test(msg)
          ? 'not installed'
          : /can not be found at path|tfjs_binding/.test(msg)
            ? 'installed, binding not built'
            : msg;
        throw new Error(
          `${pkg}: ${why}; ${name === 'tensorflow-gpu' ? 'on a GPU machine, `npm run setup:tensorflow -- --gpu`' : NATIVE_HINT}`,
        );
      }
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
      return;
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmKernels();
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      return;
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  }
}

/** Sets the backend once per process; later calls return the same choice. */
export async function initBackend(requested: Backend): Promise<BackendChoice> {
  const tfName = (n: string) => (n === 'tensorflow-gpu' ? 'tensorflow' : n);
  if (current && current.requested === requested && tf.getBackend() === tfName(current.name)) return current;
  const candidates = requested === 'auto' ? ORDER : [requested];
  const skipped: Record<string, string> = {};
  for (const name of candidates) {
    try {
      await tryBackend(name);
      await tf.ready();
      current = { requested, name, skipped };
      return current;
    } catch (e) {
      if (requested !== 'auto') throw new UserError(`backend "${name}" is not available: ${firstLine(e)}`);
      skipped[name] = firstLine(e);
    }
  }
  throw new UserError(`no backend could start: ${JSON.stringify(skipped)}`);
}

export function describeBackend(c: BackendChoice): string {
  const passed = Object.entries(c.skipped).map(([n, why]) => `${n}: ${why}`);
  return `${c.name}${c.requested === 'auto' ? ' (auto)' : ''}${passed.length ? `; passed over ${passed.join('; ')}` : ''}`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
