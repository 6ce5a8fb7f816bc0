import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets the heap grow past its live data before a full collection. V8's default factor
 * adapts up to 4× while a process allocates fast, so a hub that meets a burst of leads right after
 * start (when the heap's limit is still the generous initial one) grew its old space from ~55 MB to
 * ~145 MB of mostly garbage before the first full collection: RSS 280-290 MB against 190 MB with a
 * factor of 1.4, at the same throughput (docs/BENCHMARKS.md). The flag is read whenever V8 sets the
 * next limit, so setting it at start-up takes effect for the whole run.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
