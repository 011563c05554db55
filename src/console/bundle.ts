/**
 * The page's script: `ui/main.ts` (preact + htm, @dagrejs/dagre) bundled into one ES module, so
 * the console serves everything itself (no CDN). An installed package ships it prebuilt
 * (`ui/app.js`, written by scripts/build-dist.mjs); a checkout bundles it in memory at start with
 * esbuild (a dev dependency, ~0.5 s), so there is no build step to forget and no output to commit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConsoleError } from './errors.js';

export interface UiAssets {
  /** The bundled script. */
  script: string;
  css: string;
}

const ENTRY = fileURLToPath(new URL('./ui/main.ts', import.meta.url));
const PREBUILT = fileURLToPath(new URL('./ui/app.js', import.meta.url));
const CSS = fileURLToPath(new URL('./ui/style.css', import.meta.url));

/** Bundles `ui/main.ts` with esbuild (what build-dist also calls). */
export async function bundleUi(): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (cause) {
    throw new ConsoleError('BundleFailed', `no prebuilt console script at ${PREBUILT} and esbuild is not installed`, {
      cause,
    });
  }
  try {
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild wrote no output');
    return file.text;
  } catch (cause) {
    throw new ConsoleError(
      'BundleFailed',
      `cannot bundle the console script: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

export async function loadUiAssets(): Promise<UiAssets> {
  const script = existsSync(PREBUILT) ? readFileSync(PREBUILT, 'utf8') : await bundleUi();
  return { script, css: readFileSync(CSS, 'utf8') };
}
