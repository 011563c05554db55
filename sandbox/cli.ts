/**
 * `flotilla` as a checkout runs it: the production commands plus the sandbox's own (`sandbox`,
 * `apiserver`). The production build and the image run `src/cli/flotilla.ts` alone.
 */
import { main as flotillaMain } from '../src/cli/flotilla.js';
import { register as registerApiserver } from './commands/apiserver.js';
import { register as registerSandbox } from './commands/sandbox.js';

export async function main(argv: readonly string[]): Promise<void> {
  await flotillaMain(argv, [registerSandbox, registerApiserver]);
}
