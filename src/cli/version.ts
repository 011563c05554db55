/**
 * The package's version, read from its package.json at run time (`--version` on both CLIs). The
 * file is found by walking up from this module: `src/cli/` in a checkout, `dist/src/cli/` in an
 * installed package or the image, so there is one version and nothing to regenerate.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'flotilla';

let cached: string | undefined;

/** The `version` of the flotilla package.json above this module, or `unknown`. */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === PACKAGE_NAME && typeof parsed.version === 'string') return (cached = parsed.version);
    }
    const parent = dirname(dir);
    if (parent === dir) return (cached = 'unknown');
    dir = parent;
  }
}
