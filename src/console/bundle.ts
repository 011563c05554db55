/**
 * The page's script: `ui/main.ts` (preact + htm, @dagrejs/dagre) bundled into one ES module, so
 * the console serves everything itself (no CDN). An installed package and the image ship it
 * prebuilt (`ui/app.js`, written by scripts/build-dist.mjs and the Dockerfile); a checkout bundles
 * it in memory at start with esbuild (bundle-dev.ts, ~0.5 s), so there is no build step to forget
 * and no output to commit.
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

interface DevBundler {
  bundleUiScript(entry: string): Promise<string>;
}

/** Bundles `ui/main.ts` with the checkout's bundler (not part of the build: loaded by URL, so tsc leaves it out). */
export async function bundleUi(): Promise<string> {
  const fromSources = import.meta.url.endsWith('.ts');
  const devBundler = new URL(fromSources ? './bundle-dev.ts' : './bundle-dev.js', import.meta.url).href;
  let bundler: DevBundler;
  try {
    bundler = (await import(devBundler)) as DevBundler;
  } catch (cause) {
    throw new ConsoleError(
      'BundleFailed',
      `no prebuilt console script at ${PREBUILT}, and the checkout's bundler (esbuild) cannot be loaded`,
      { cause },
    );
  }
  try {
    return await bundler.bundleUiScript(ENTRY);
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
