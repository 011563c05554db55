/** Typed errors of the plugin layer. */
import { FlotillaError } from '../api/errors.js';

export type PluginErrorCode = 'DuplicatePlugin' | 'UnknownPlugin' | 'GatewayUnavailable';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<PluginErrorCode, boolean>> = { DuplicatePlugin: false, UnknownPlugin: false, GatewayUnavailable: true };

export class PluginError extends FlotillaError<PluginErrorCode> {
  override readonly name = 'PluginError';
  constructor(code: PluginErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
