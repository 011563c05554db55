/**
 * Draws the view: on a TTY redrawn in place (cursor home, each line cleared to its end, the rest of
 * the screen cleared: no full-screen clear, so no flicker) at most every `intervalMs` (≥ 250 ms);
 * otherwise one plain line every `plainIntervalMs`.
 */
import type { ViewCollector } from './collect.js';
import { renderLine, renderView } from './render.js';

export interface TerminalViewOptions {
  collector: ViewCollector;
  /** Redraw in place (a TTY, and the UI not turned off). */
  tty: boolean;
  write?: (text: string) => void;
  /** @defaultValue 500 */
  intervalMs?: number;
  /** @defaultValue 5000 */
  plainIntervalMs?: number;
  columns?: () => number;
  /** Text shown under the view on a TTY (what to try next). */
  footer?: string;
}

/** Frame text for an in-place redraw of `screen`. */
export function inPlaceFrame(screen: string): string {
  return `\x1b[H${screen
    .split('\n')
    .map((line) => `${line}\x1b[K`)
    .join('\n')}\n\x1b[J`;
}

export class TerminalView {
  private timer: NodeJS.Timeout | undefined;
  private drawing = false;
  private readonly write: (text: string) => void;

  constructor(private readonly options: TerminalViewOptions) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
  }

  start(): void {
    if (this.options.tty) this.write('\x1b[?25l\x1b[2J');
    const every = this.options.tty
      ? Math.max(250, this.options.intervalMs ?? 500)
      : (this.options.plainIntervalMs ?? 5_000);
    this.timer = setInterval(() => void this.draw(), every);
    void this.draw();
  }

  private async draw(): Promise<void> {
    if (this.drawing) return;
    this.drawing = true;
    try {
      const state = await this.options.collector.collect();
      if (this.timer === undefined) return;
      const footer = this.options.footer ? `\n\n${this.options.footer.trimEnd()}` : '';
      if (this.options.tty)
        this.write(inPlaceFrame(`${renderView(state, { width: this.options.columns?.() ?? 100 })}${footer}`));
      else this.write(`${renderLine(state)}\n`);
    } catch {
      // a failed sample is skipped; the next one will tell
    } finally {
      this.drawing = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.tty) this.write('\x1b[?25h\n');
  }
}
