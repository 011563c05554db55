/**
 * The clock every ownership decision is made by: epoch milliseconds that never step.
 *
 * `Date.now()` follows the machine's wall clock, which NTP (or an operator) may step by minutes at
 * any moment. A replica that fences itself by `Date.now()` would, after a step back, believe its
 * last renewal fresh for the length of the step and act on shards it has lost; a step forward
 * would make an observer judge a live replica's lease expired. This clock is the wall clock read
 * once at process start plus the monotonic time since, so it runs at the wall clock's rate but
 * a step after start does not move it. A constant offset between machines is harmless by design
 * (expiry is judged by the observer's own clock; docs/design.md), a step is not.
 */
export function steadyNow(): number {
  return performance.timeOrigin + performance.now();
}
