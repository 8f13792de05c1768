/**
 * One file per route under `<dataDir>/routes/`, written atomically: a temp file in the same
 * directory is written and fsynced, renamed over the route file, then the directory is fsynced
 * so the rename itself survives a power cut. A `kill -9` between the steps leaves either the old
 * file or the new one, plus at worst a stray `*.tmp`, which the next open removes.
 */
import { open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile, PRIVATE_FILE_MODE } from '../data-dir.js';
import { ROUTE_ID } from './schema.js';

const TEMP_SUFFIX = '.tmp';
const ROUTE_SUFFIX = '.json';
let tempCounter = 0;

/**
 * File name of a route id. Ids are [a-zA-Z0-9._-], already safe in file names, but upper-case
 * letters become %XX so "A" and "a" stay two files on case-insensitive file systems.
 */
export function routeFileName(id: string): string {
  return id.replace(/[A-Z]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) + ROUTE_SUFFIX;
}

/** The id a route file name stands for, or undefined when the name is not one we write. */
export function idOfFileName(name: string): string | undefined {
  if (!name.endsWith(ROUTE_SUFFIX)) return undefined;
  const id = name.slice(0, -ROUTE_SUFFIX.length).replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return ROUTE_ID.test(id) && routeFileName(id) === name ? id : undefined;
}

/** Creates the route directory, or makes it private (0700): everything in it is ours. */
export async function ensureDir(dir: string): Promise<void> {
  await ensurePrivateDir(dir, () => true);
}

/** Writes `text` to `dir/name` so that a crash leaves either the old or the new content. */
export async function writeAtomic(dir: string, name: string, text: string): Promise<void> {
  const temp = join(dir, `${name}.${process.pid}.${++tempCounter}${TEMP_SUFFIX}`);
  try {
    const fh = await open(temp, 'wx', PRIVATE_FILE_MODE); // secrets inside: readable by the owner only
    try {
      // open()'s mode is cut by the umask; chmod states it exactly.
      if (process.platform !== 'win32') await fh.chmod(PRIVATE_FILE_MODE);
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, join(dir, name));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** Removes `dir/name`; false when it did not exist. */
export async function removeFile(dir: string, name: string): Promise<boolean> {
  try {
    await unlink(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await syncDir(dir);
  return true;
}

/** Lists the route files of `dir` (name, id, text) after deleting stray temp files; each is made 0600. */
export async function readRouteFiles(dir: string): Promise<{ routes: Array<{ name: string; id: string | undefined; text: string }>; removedTemp: string[] }> {
  const routes: Array<{ name: string; id: string | undefined; text: string }> = [];
  const removedTemp: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    if (entry.name.endsWith(TEMP_SUFFIX)) {
      await unlink(join(dir, entry.name));
      removedTemp.push(entry.name);
    } else if (entry.name.endsWith(ROUTE_SUFFIX)) {
      await ensurePrivateFile(join(dir, entry.name));
      routes.push({ name: entry.name, id: idOfFileName(entry.name), text: await readFile(join(dir, entry.name), 'utf8') });
    }
  }
  if (removedTemp.length > 0) await syncDir(dir);
  return { routes, removedTemp };
}

async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}
