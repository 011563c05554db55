#!/usr/bin/env node
// Entry point. In a checkout (src/ present) the TypeScript sources run through tsx, so there is
// no build step to forget. An installed package (npm pack → npm install) and the image ship only
// dist/ (built by `npm run build:dist`) and run the compiled code with production dependencies
// only: tsx is a devDependency and is imported only from a checkout.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fromSource = existsSync(`${root}/src`) && process.env.FLOTILLA_USE_DIST !== '1';
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
}
// A checkout also has the sandbox package (`sandbox/`), which adds the `sandbox` and `apiserver`
// commands; the production build leaves it out.
const entry = fromSource ? `${root}/sandbox/cli.ts` : `${root}/dist/src/cli/flotilla.js`;
if (!existsSync(entry)) {
  process.stderr.write(`flotilla: ${entry} is missing: run \`npm run build:dist\` (or unset FLOTILLA_USE_DIST)\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv.slice(2));
