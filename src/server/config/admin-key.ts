import { randomBytes } from 'node:crypto';
import { link, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_KEY_FILE, ensurePrivateDir, ensurePrivateFile, isDataDirEntry, PRIVATE_FILE_MODE } from '../data-dir.js';
import { ConfigError } from './errors.js';
import { adminKeyKind, BadValue } from './kinds.js';

export { ADMIN_KEY_FILE } from '../data-dir.js';
/** 32 random bytes, 64 hex characters: as strong as any key a person would type. */
const GENERATED_KEY_BYTES = 32;

export interface StoredAdminKey {
  key: string;
  /** 'generated' only for the process whose key file won; it should print the key once. */
  source: 'stored' | 'generated';
}

/**
 * The admin key kept in `<dataDir>/admin.key`, created on first start when no key is configured.
 * Creation is atomic and never overwrites: the key is written to a private temp file (mode 0600)
 * and published with link(), which, unlike rename(), fails with EEXIST when the name exists. So
 * processes starting at once all end with the key of whichever linked first, and no reader ever
 * sees a half-written file.
 * @throws {ConfigError} (field `data_dir`) when the directory or file cannot be made or read, or
 *   the stored key is not a usable key.
 */
export async function loadOrCreateAdminKey(dataDir: string): Promise<StoredAdminKey> {
  const path = join(dataDir, ADMIN_KEY_FILE);
  const stored = await readStored(path);
  if (stored !== null) return { key: stored, source: 'stored' };
  try {
    // A directory that is not the proxy's own is left open; the route store reports it.
    await ensurePrivateDir(dataDir, isDataDirEntry);
  } catch (err) {
    throw new ConfigError('data_dir', `data directory ${dataDir} cannot be created: ${describe(err)}`, { cause: err });
  }
  const key = randomBytes(GENERATED_KEY_BYTES).toString('hex');
  const temp = join(dataDir, `.${ADMIN_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writePrivate(temp, `${key}\n`);
    await link(temp, path);
    return { key, source: 'generated' };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') {
      const winner = await readStored(path);
      if (winner !== null) return { key: winner, source: 'stored' };
    }
    throw new ConfigError('data_dir', `admin key file ${path} cannot be written: ${describe(err)}`, { cause: err });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function writePrivate(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  try {
    // open()'s mode passes through the umask, which may only remove bits; chmod states it exactly.
    if (process.platform !== 'win32') await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The stored key, or null when there is no file. A key file open to others is made 0600. */
async function readStored(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
    await ensurePrivateFile(path);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw new ConfigError('data_dir', `admin key file ${path} cannot be read: ${describe(err)}`, { cause: err });
  }
  const key = text.trim();
  try {
    return adminKeyKind.fromText(key, '');
  } catch (err) {
    if (!(err instanceof BadValue)) throw err;
    throw new ConfigError('data_dir', `admin key file ${path} does not hold a usable key (it ${err.message}); delete it to have a new one generated`);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : String(e.message ?? err);
}
