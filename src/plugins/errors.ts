/** Typed errors of the plugin layer. */
export type PluginErrorCode = 'DuplicatePlugin' | 'UnknownPlugin' | 'GatewayUnavailable';

export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    readonly code: PluginErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
