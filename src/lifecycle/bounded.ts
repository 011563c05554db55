/** A stop step that settles after `ms` even when its promise does not (then logs what hung). */

export interface StepLog {
  warn(fields: object, message: string): void;
}

export async function bounded(what: string, promise: Promise<unknown>, ms: number, log: StepLog): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const result = await Promise.race([promise.then(() => 'done' as const), timeout]);
    if (result === 'timeout') log.warn({ what, ms }, 'stop step timed out');
  } catch (error) {
    log.warn({ what, err: String(error) }, 'stop step failed');
  } finally {
    clearTimeout(timer);
  }
}
