import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes a file through a temporary name in the same folder and renames it into place. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Builds a folder under a temporary name and renames it to `finalDir` only when `build` succeeds;
 * on failure the temporary folder is removed and nothing else is touched.
 */
export async function buildDirAtomic<T>(finalDir: string, build: (tmpDir: string) => Promise<T>): Promise<T> {
  const parent = dirname(finalDir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.tmp-${basename(finalDir)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    const result = await build(tmp);
    renameSync(tmp, finalDir);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Points the symlink `link` at `target` (relative), replacing any previous link atomically. */
export function pointLinkAtomic(link: string, target: string): void {
  const tmp = `${link}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  symlinkSync(target, tmp, 'dir');
  try {
    renameSync(tmp, link);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
