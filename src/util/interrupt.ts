// Letting Ctrl-C and SIGTERM in. Signal handlers run on the event loop, so a long synchronous
// computation (a training loop, a feature cache, pooling, evaluation) never sees them unless it
// yields. Every such loop awaits `yieldToEventLoop()` between steps: at most every few
// milliseconds it gives the event loop a turn (a macrotask, so pending signals are delivered;
// awaiting a resolved promise would not do), and once a stop has been requested it never returns,
// so the stage halts at a step boundary — after a checkpoint or shard write, never inside one —
// while the signal handler closes the services and exits. Nothing here touches any number the
// loops compute.
let stopping: NodeJS.Signals | null = null;
let lastYield = performance.now();

/** How long a loop may run between two turns of the event loop. */
export const YIELD_EVERY_MS = 20;

/** Called by the signal handler: loops stop at their next step boundary. */
export function requestStop(signal: NodeJS.Signals): void {
  stopping = signal;
}

/**
 * Between two steps of a long loop: a turn of the event loop when the last one is more than
 * `everyMs` ago; after a stop request, a wait that does not end (the handler exits the process).
 */
export async function yieldToEventLoop(everyMs = YIELD_EVERY_MS): Promise<void> {
  if (stopping === null && performance.now() - lastYield < everyMs) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastYield = performance.now();
  if (stopping !== null) {
    // A held timer keeps the process alive until the handler's own exit, whatever else is pending.
    await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
  }
}
