import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = join(import.meta.dirname, '../../src/server/cli.js');

test('logs to a stdout whose reader has gone are dropped: SIGTERM still stops the proxy cleanly (exit 0, no EPIPE crash)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-epipe-'));
  try {
    const child = spawn(process.execPath, [CLI, 'start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--admin-key', 'epipe-admin-key-0123456789'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        if (out.includes('"msg":"ready"')) resolve();
      });
      child.once('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
    });
    // The supervisor goes: the pipe's reading end closes, and the next log line meets EPIPE.
    child.stdout.destroy();
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0, `exit code; stderr: ${stderr}`);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
