/**
 * The task catalog flags of `flotilla controller`: Flyte's datacatalog service
 * (`--catalog-endpoint`, as FlytePropeller's `catalog-cache.endpoint`, TLS with the system roots
 * unless `--catalog-insecure`), else the embedded catalog on `--redis`.
 */
import type { CatalogSettings } from '../catalog/open.js';
import { parseDuration } from '../api/duration.js';
import { readFileSync } from 'node:fs';
import { CliError, ExitCode } from './exit.js';

export interface CatalogFlags {
  catalogEndpoint?: string;
  catalogInsecure?: boolean;
  catalogCa?: string;
  catalogMaxCacheAge?: string;
}

/** `[flag, help]` for `.option(...)`. */
export const CATALOG_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  [
    '--catalog-endpoint <host:port>',
    "Flyte's datacatalog service for cached task outputs (gRPC, TLS unless --catalog-insecure); default: the embedded catalog on --redis",
  ],
  ['--catalog-insecure', 'plaintext gRPC to --catalog-endpoint (FlytePropeller catalog-cache.insecure)'],
  ['--catalog-ca <file>', "PEM CA of the datacatalog's certificate (default: the system roots)"],
  ['--catalog-max-cache-age <duration>', 'cached outputs older than this are misses, e.g. 720h (default: never)'],
];

export function catalogSettingsFromFlags(flags: CatalogFlags): CatalogSettings {
  if ((flags.catalogInsecure || flags.catalogCa) && !flags.catalogEndpoint)
    throw new CliError('--catalog-insecure and --catalog-ca need --catalog-endpoint', ExitCode.usage);
  if (flags.catalogInsecure && flags.catalogCa)
    throw new CliError('--catalog-insecure and --catalog-ca exclude each other', ExitCode.usage);
  let maxCacheAgeMs: number | undefined;
  if (flags.catalogMaxCacheAge !== undefined) {
    maxCacheAgeMs = parseDuration(flags.catalogMaxCacheAge);
    if (maxCacheAgeMs === undefined)
      throw new CliError(
        `invalid --catalog-max-cache-age ${JSON.stringify(flags.catalogMaxCacheAge)}: a duration like 30m, 720h`,
        ExitCode.usage,
      );
  }
  const address = flags.catalogEndpoint?.trim();
  if (address !== undefined && !/^(dns:\/\/\/)?[^\s/]+:\d+$/.test(address))
    throw new CliError(`invalid --catalog-endpoint ${JSON.stringify(address)}: HOST:PORT`, ExitCode.usage);
  let caPem: string | undefined;
  if (flags.catalogCa) {
    try {
      caPem = readFileSync(flags.catalogCa, 'utf8');
    } catch (error) {
      throw new CliError(
        `cannot read --catalog-ca ${flags.catalogCa}: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.usage,
        { cause: error },
      );
    }
  }
  return {
    ...(address !== undefined
      ? {
          endpoint: {
            address,
            ...(flags.catalogInsecure ? {} : { security: { tls: caPem !== undefined ? { caPem } : {} } }),
          },
        }
      : {}),
    ...(maxCacheAgeMs !== undefined ? { maxCacheAgeMs } : {}),
  };
}
