/**
 * `flotilla init-certs`: creates (or reuses, or rotates) the webhook's serving certificate in a
 * `kubernetes.io/tls` Secret and patches the webhook configurations' caBundle. Idempotent: a
 * second run writes nothing. Prints one summary line (or JSON with `-o json`).
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';

interface InitCertsFlags {
  namespace?: string;
  service: string;
  secret: string;
  mutatingConfig: string;
  validatingConfig: string;
  fenceConfig: string;
  dnsName: string[];
  ip: string[];
  rotateBefore: string;
  validityDays: string;
  force: boolean;
  writeDir?: string;
  kubeconfig?: string;
  context?: string;
  output: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('init-certs')
    .description(
      "Create or rotate the webhook's serving certificate (a kubernetes.io/tls Secret) and patch the webhook configurations' caBundle",
    )
    .option(
      '-n, --namespace <ns>',
      "namespace of the webhook Service and the Secret (default: the context's namespace, else flotilla)",
    )
    .option(
      '--service <name>',
      'webhook Service name (its cluster DNS names go in the certificate)',
      'flotilla-webhook',
    )
    .option('--secret <name>', 'Secret holding tls.crt, tls.key and ca.crt', 'flotilla-webhook-tls')
    .option(
      '--mutating-config <name>',
      "MutatingWebhookConfiguration whose caBundle to patch ('' to skip)",
      'flotilla-workflows',
    )
    .option(
      '--validating-config <name>',
      "ValidatingWebhookConfiguration whose caBundle to patch ('' to skip)",
      'flotilla-workflows',
    )
    .option(
      '--fence-config <name>',
      "the fence's ValidatingWebhookConfiguration (webhook --fence) whose caBundle to patch too ('' to skip)",
      '',
    )
    .option('--dns-name <name>', 'extra DNS name for the certificate (repeatable)', collect, [])
    .option('--ip <addr>', 'IP address for the certificate (repeatable)', collect, [])
    .option('--rotate-before <days>', 'reissue when the certificate expires within this many days', '30')
    .option('--validity-days <days>', 'validity of a new serving certificate', '365')
    .option('--force', 'reissue even when the Secret is valid', false)
    .option('--write-dir <dir>', 'also write tls.crt, tls.key and ca.crt to DIR')
    .option(
      '--kubeconfig <file>',
      'kubeconfig (default: $KUBECONFIG, in-cluster, ./.flotilla/kubeconfig, ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: InitCertsFlags) => {
      const rotateBeforeDays = Number(flags.rotateBefore);
      if (!Number.isFinite(rotateBeforeDays) || rotateBeforeDays < 0)
        throw new CliError(`--rotate-before must be a number of days >= 0, got ${flags.rotateBefore}`, ExitCode.usage);
      const validityDays = Number(flags.validityDays);
      if (!Number.isInteger(validityDays) || validityDays < 1)
        throw new CliError(`--validity-days must be a whole number >= 1, got ${flags.validityDays}`, ExitCode.usage);
      if (rotateBeforeDays >= validityDays)
        throw new CliError(
          '--rotate-before must be shorter than --validity-days (every run would rotate)',
          ExitCode.usage,
        );
      if (flags.output !== 'text' && flags.output !== 'json')
        throw new CliError(`-o must be text or json, got ${flags.output}`, ExitCode.usage);
      const { isIP } = await import('node:net');
      for (const ip of flags.ip)
        if (isIP(ip) === 0) throw new CliError(`--ip ${ip} is not an IP address`, ExitCode.usage);
      const { kubeTargetFromFlags } = await import('../kubeconfig.js');
      const { kubeConfig: kc, namespace } = kubeTargetFromFlags(flags, 'flotilla');
      const { initCerts } = await import('../../webhook/init-certs.js');
      let result;
      try {
        result = await initCerts({
          kubeConfig: kc,
          namespace,
          service: flags.service,
          secret: flags.secret,
          mutatingConfig: flags.mutatingConfig,
          validatingConfig: flags.validatingConfig,
          fenceConfig: flags.fenceConfig,
          dnsNames: flags.dnsName,
          ipAddresses: flags.ip,
          rotateBeforeDays,
          validityDays,
          force: flags.force,
          ...(flags.writeDir !== undefined ? { writeDir: flags.writeDir } : {}),
        });
      } catch (cause) {
        const detail =
          cause instanceof Error && cause.cause instanceof Error
            ? ` (${cause.cause.message.split('\n')[0] ?? ''})`
            : '';
        throw new CliError(
          `init-certs failed: ${cause instanceof Error ? cause.message : String(cause)}${detail}`,
          ExitCode.failed,
          { cause },
        );
      }
      if (flags.output === 'json') process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        process.stdout.write(
          `secret ${namespace}/${flags.secret}: ${result.secret}${result.reason !== undefined ? ` (${result.reason})` : ''}; valid until ${result.notAfter}\n` +
            `mutating ${flags.mutatingConfig || '-'}: ${result.mutating}; validating ${flags.validatingConfig || '-'}: ${result.validating}; fence ${flags.fenceConfig || '-'}: ${result.fence}; caBundle CAs: ${result.bundleCas}\n`,
        );
      }
    });
}
