// Timers tied to a page's AbortSignal, so leaving a page stops them all.

/** Resolves true after `ms`, or false as soon as `signal` aborts. Never rejects. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Returns a trigger that runs `task` at most once per `ms`. Triggers during a
 * run or the quiet period after it collapse into one more run, so the last
 * change is never missed. `task` must handle its own errors.
 */
export function throttle(task, ms, signal) {
  let timer = null;
  let running = false;
  let pending = false;
  let lastStart = -Infinity;

  const run = async () => {
    timer = null;
    if (signal?.aborted) return;
    running = true;
    lastStart = Date.now();
    try {
      await task();
    } finally {
      running = false;
    }
    if (pending) {
      pending = false;
      trigger();
    }
  };

  const trigger = () => {
    if (signal?.aborted) return;
    if (running) {
      pending = true;
      return;
    }
    if (timer !== null) return;
    timer = setTimeout(run, Math.max(0, lastStart + ms - Date.now()));
  };

  signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return trigger;
}

/** Runs `task` now and then `ms` after each run ends, until `signal` aborts. */
export async function repeat(task, ms, signal) {
  do {
    await task();
  } while (await sleep(ms, signal));
}
