/**
 * A real headless Chromium for the console tests: Debian's `chromium` (installed by
 * scripts/bootstrap.sh) driven through playwright-core. No browser is downloaded; a machine
 * without one fails the test with the reason (never skips it). `FLOTILLA_CHROMIUM` names another binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const given = process.env.FLOTILLA_CHROMIUM;
  if (given) {
    if (!existsSync(given)) throw new Error(`FLOTILLA_CHROMIUM=${given} does not exist`);
    return given;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found)
    throw new Error(
      `no Chromium found (looked at ${CANDIDATES.join(', ')}): run scripts/bootstrap.sh (apt-get install chromium) or set FLOTILLA_CHROMIUM`,
    );
  return found;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
