/**
 * The data directory holds the admin key and the routes, with their SASL passwords and client
 * keys, so it and everything in it belong to the proxy's user alone: directories 0700, files
 * 0600. Modes are set with chmod after creating, because a mode given to mkdir or open is first
 * cut by the umask (a umask of 0277 would leave a directory we cannot write).
 */
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
export const ADMIN_KEY_FILE = 'admin.key';
export const ROUTES_DIR = 'routes';

/** Whether an entry of the data directory is one we write: the key, its temp files, the routes. */
export function isDataDirEntry(name: string): boolean {
  return name === ADMIN_KEY_FILE || name === ROUTES_DIR || (name.startsWith(`.${ADMIN_KEY_FILE}.`) && name.endsWith('.tmp'));
}

/**
 * Creates `dir` and its missing parents with mode 0700. An existing directory open to other users
 * is made 0700 when every entry in it is `ours` (say, a data directory made by a version before
 * this rule), and otherwise left as it is: it may be a directory the operator shares with other
 * programs (a home directory, /var/lib), which a chmod would break. Then the reason is returned,
 * for the caller to report; the files inside are 0600 either way.
 * @throws the file system's error when the directory cannot be made or read.
 */
export async function ensurePrivateDir(dir: string, ours: (name: string) => boolean): Promise<string | undefined> {
  const first = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (process.platform === 'win32') return undefined; // no POSIX modes
  if (first !== undefined) {
    // Every directory from `first` (the top one mkdir made) down to `dir` is new, so ours.
    const top = resolve(first);
    for (let d = resolve(dir); ; d = dirname(d)) {
      await chmod(d, PRIVATE_DIR_MODE);
      if (d === top || dirname(d) === d) break;
    }
    return undefined;
  }
  const open = (await stat(dir)).mode & 0o077;
  if (open === 0) return undefined;
  if ((await readdir(dir)).every(ours)) {
    await chmod(dir, PRIVATE_DIR_MODE);
    return undefined;
  }
  const mode = ((await stat(dir)).mode & 0o777).toString(8).padStart(4, '0');
  return `is open to other users (mode ${mode}) and holds files that are not the proxy's, so it was left as it is; make it 0700 (chmod 700) or choose a directory of its own`;
}

/** Makes a file of ours 0600 if it is open to anyone else. */
export async function ensurePrivateFile(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, PRIVATE_FILE_MODE);
}
