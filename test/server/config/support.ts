import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isHelpRequest, loadConfig, type ServerConfig } from '../../../src/server/config/index.js';

/** A long enough admin key, so loads do not generate one. */
export const KEY = 'test-admin-key-0123456789';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kwp-config-'));
}

export function writeJson(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** loadConfig that must yield a configuration (not the help marker). */
export async function load(argv: string[], env: Record<string, string | undefined> = {}, cwd = tempDir()): Promise<ServerConfig> {
  const r = await loadConfig({ argv, env, cwd });
  assert.ok(!isHelpRequest(r), 'not a help request');
  return r;
}

/** Asserts that `p` rejects with a ConfigError for `field` whose message matches `message`. */
export async function rejectsConfig(p: Promise<unknown>, field: string, message: RegExp): Promise<ConfigError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'SERVER_ERR_CONFIG');
  assert.equal(caught.field, field, caught.message);
  assert.match(caught.message, message);
  return caught;
}
