#!/usr/bin/env node
// Entry point. In a checkout (src/ present) the TypeScript sources run through tsx, so there is
// no build step to forget; an installed image ships only dist/ and runs the compiled code.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fromSource = existsSync(`${root}/src`) && process.env.FLOTILLA_USE_DIST !== '1';
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
}
const entry = fromSource ? `${root}/src/cli/shardctl/shardctl.ts` : `${root}/dist/src/cli/shardctl/shardctl.js`;
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv.slice(2));
