/**
 * client-node's `Watch`, plus what 1.4 lacks: it asks for bookmarks, reports every line of traffic
 * (for the watchdog), and can be killed for good — an aborted or late-answering watch of a
 * discarded informer incarnation then delivers nothing and is aborted as soon as it exists.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';

export class TrackingWatch extends Watch {
  private readonly controllers: AbortController[] = [];
  private killed = false;

  constructor(
    config: KubeConfig,
    private readonly onTraffic: () => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, apiObj, watchObj) => {
        if (this.killed) return;
        this.onTraffic();
        callback(phase, apiObj, watchObj);
      },
      (err) => {
        if (!this.killed) done(err);
      },
    );
    if (this.killed) controller.abort();
    else this.controllers.push(controller);
    return controller;
  }

  /** Silences this watch for good and aborts its requests. */
  kill(): void {
    this.killed = true;
    for (const controller of this.controllers.splice(0)) controller.abort();
  }
}
