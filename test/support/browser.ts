import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where end-to-end tests leave screenshots (kept by CI as artifacts; not committed). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser downloads are not
 * possible here). scripts/setup-browser.sh installs the package on a fresh Debian machine.
 * @throws Error with the script's message when no Chromium can be found or installed.
 */
export async function launchChromium(): Promise<Browser> {
  const r = spawnSync('bash', [join(process.cwd(), 'scripts/setup-browser.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`no Chromium for the browser tests: ${r.stderr.trim()}`);
  const executablePath = r.stdout.trim().split('\n').pop()!;
  mkdirSync(ARTIFACTS, { recursive: true });
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}
