/**
 * Long-running commands (`apiserver`, `event-sink`, `webhook`, ...) serve until SIGINT or
 * SIGTERM. While waiting, the listeners replace Node's default (exit at once), so the command
 * can stop its servers cleanly and exit 0; once the signal arrives they are removed again, so a
 * second Ctrl-C during a slow stop still ends the process.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
