/**
 * `flotilla controller --admin-*`: where FlyteAdmin is and how to authenticate, as flytectl's
 * `admin` config says it (endpoint, insecure, caCertFilePath, authType ClientSecret with clientId,
 * clientSecretLocation, tokenUrl and scopes, or a bearer token). Read here, checked here; a
 * usage error names the flag and never echoes a secret.
 */
import { readPem } from '../security/grpc.js';
import type { ControllerAdminOptions } from '../controller/process.js';
import { CliError, ExitCode } from './exit.js';

export interface AdminFlags {
  adminEndpoint?: string;
  adminInsecure?: boolean;
  adminCaFile?: string;
  adminTokenFile?: string;
  adminClientId?: string;
  adminClientSecretFile?: string;
  adminTokenUrl?: string;
  adminScopes?: string;
  adminProducerId?: string;
  adminMaxInlineBytes?: string;
}

/** `[flag, help, default]` of the admin flags, for `.option(...)`. */
export const ADMIN_OPTIONS: ReadonlyArray<readonly [string, string, string | undefined]> = [
  [
    '--admin-endpoint <host:port>',
    "FlyteAdmin's gRPC endpoint: FlyteWorkflow execution events go there (needs --flyte) (env FLOTILLA_ADMIN_ENDPOINT)",
    process.env.FLOTILLA_ADMIN_ENDPOINT,
  ],
  ['--admin-insecure', 'plaintext to FlyteAdmin (default: TLS with the system roots or --admin-ca-file)', undefined],
  ['--admin-ca-file <file>', "PEM CA of FlyteAdmin's certificate", undefined],
  [
    '--admin-token-file <file>',
    'bearer token for FlyteAdmin (first line of the file, re-read on every call)',
    undefined,
  ],
  [
    '--admin-client-id <id>',
    'OAuth2 client credentials: the client id (with --admin-client-secret-file and --admin-token-url)',
    undefined,
  ],
  ['--admin-client-secret-file <file>', 'OAuth2 client credentials: file holding the client secret', undefined],
  ['--admin-token-url <url>', "OAuth2 client credentials: the authorization server's token endpoint", undefined],
  ['--admin-scopes <list>', 'OAuth2 scopes, comma-separated (e.g. all)', undefined],
  ['--admin-producer-id <id>', "events' producerId: the cluster id FlyteAdmin knows this fleet by", 'propeller'],
  [
    '--admin-max-inline-bytes <n>',
    'node outputs up to this size go inline in events, larger ones by reference (0: always by reference)',
    '65536',
  ],
];

/** The admin settings of the flags, or undefined without `--admin-endpoint`. */
export function adminOptionsFromFlags(flags: AdminFlags, flyte: boolean): ControllerAdminOptions | undefined {
  const set = (value: unknown) => value !== undefined && value !== false;
  const dependent: Array<[string, unknown]> = [
    ['--admin-insecure', flags.adminInsecure],
    ['--admin-ca-file', flags.adminCaFile],
    ['--admin-token-file', flags.adminTokenFile],
    ['--admin-client-id', flags.adminClientId],
    ['--admin-client-secret-file', flags.adminClientSecretFile],
    ['--admin-token-url', flags.adminTokenUrl],
    ['--admin-scopes', flags.adminScopes],
  ];
  if (!flags.adminEndpoint) {
    const stray = dependent.find(([, value]) => set(value));
    if (stray) throw new CliError(`${stray[0]} needs --admin-endpoint`, ExitCode.usage);
    return undefined;
  }
  if (!flyte)
    throw new CliError('--admin-endpoint needs --flyte (admin receives FlyteWorkflow events)', ExitCode.usage);
  if (!/^(dns:\/\/\/)?[^\s/]+:\d+$/.test(flags.adminEndpoint))
    throw new CliError(
      `invalid --admin-endpoint ${JSON.stringify(flags.adminEndpoint)}: HOST:PORT (e.g. flyteadmin.flyte:81)`,
      ExitCode.usage,
    );
  if (flags.adminInsecure && flags.adminCaFile)
    throw new CliError('--admin-insecure and --admin-ca-file exclude each other', ExitCode.usage);
  const credentials = [flags.adminClientId, flags.adminClientSecretFile, flags.adminTokenUrl];
  if (flags.adminTokenFile && credentials.some(set))
    throw new CliError('--admin-token-file excludes the client credentials flags', ExitCode.usage);
  if (credentials.some(set) && !credentials.every(set))
    throw new CliError(
      'client credentials need all of --admin-client-id, --admin-client-secret-file and --admin-token-url',
      ExitCode.usage,
    );
  if (flags.adminScopes && !flags.adminClientId)
    throw new CliError('--admin-scopes needs the client credentials flags', ExitCode.usage);
  const inline = Number(flags.adminMaxInlineBytes ?? '65536');
  if (!Number.isSafeInteger(inline) || inline < 0)
    throw new CliError(
      `invalid --admin-max-inline-bytes ${JSON.stringify(flags.adminMaxInlineBytes)}: a whole number of bytes`,
      ExitCode.usage,
    );
  let caPem: string | undefined;
  if (flags.adminCaFile) {
    try {
      caPem = readPem(flags.adminCaFile);
    } catch (error) {
      throw new CliError(
        `cannot read --admin-ca-file ${flags.adminCaFile}: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.usage,
        { cause: error },
      );
    }
  }
  return {
    endpoint: flags.adminEndpoint,
    ...(flags.adminInsecure ? { insecure: true } : { tls: caPem !== undefined ? { caPem } : {} }),
    ...(flags.adminTokenFile ? { auth: { kind: 'token-file' as const, path: flags.adminTokenFile } } : {}),
    ...(flags.adminClientId && flags.adminClientSecretFile && flags.adminTokenUrl
      ? {
          auth: {
            kind: 'client-credentials' as const,
            clientId: flags.adminClientId,
            clientSecretFile: flags.adminClientSecretFile,
            tokenUrl: flags.adminTokenUrl,
            ...(flags.adminScopes
              ? {
                  scopes: flags.adminScopes
                    .split(',')
                    .map((s) => s.trim())
                    .filter((s) => s !== ''),
                }
              : {}),
          },
        }
      : {}),
    producerId: flags.adminProducerId ?? 'propeller',
    maxInlineOutputBytes: inline,
  };
}
