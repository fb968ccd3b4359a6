import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SegmintError } from '../core/errors.js';

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
    // The temporary name is ours, not the user's: messages name the folder the run was building.
    throw renamePath(e, tmp, finalDir);
  }
}

function renamePath(e: unknown, from: string, to: string): unknown {
  const swap = (v: string) => v.split(from).join(to);
  if (e instanceof SegmintError) {
    const where = Object.fromEntries(
      Object.entries(e.where).map(([k, v]) => [k, typeof v === 'string' ? swap(v) : v]),
    );
    return new SegmintError(e.code, swap(e.message), {
      hint: swap(e.hint),
      where,
      details: e.details,
      cause: e.cause,
    });
  }
  if (e instanceof Error && e.message.includes(from)) e.message = swap(e.message);
  return e;
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

/** What a workspace lock file holds: who runs there, since when. */
interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the workspace's lock (`<outDir>/.segmint.lock`, created exclusively): one run at a time
 * per workspace, across processes. A lock whose process is gone (on this host) is stale and taken
 * over. Once held, debris of dead runs (`runs/.tmp-*` folders, `latest.tmp-*` links, `.tmp-*`
 * files) is removed, since no other run can be building. Returns the release function.
 */
export function acquireWorkspaceLock(outDir: string): () => void {
  // The output folder is checked before any work: a file, a device, an unwritable place or an
  // impossible name is a clear error now, not after the whole pipeline ran.
  const unusable = (why: string) =>
    new SegmintError(
      'OUTPUT_INVALID',
      `The output folder ${JSON.stringify(outDir)} cannot be used: ${why}.`,
      {
        where: { path: 'output.dir' },
      },
    );
  if (outDir.includes('\0')) throw unusable('its name holds a NUL character');
  // Kernel file systems: writing there is refused, and on some systems creating a folder waits.
  if (/^\/(proc|sys|dev)(\/|$)/.test(outDir))
    throw unusable('it is inside a system folder (/proc, /sys, /dev)');
  try {
    if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw unusable('it is a file, not a folder');
    mkdirSync(outDir, { recursive: true });
    accessSync(outDir, constants.W_OK);
  } catch (e) {
    if (e instanceof SegmintError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw unusable(
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'this user may not write there'
        : code === 'ENAMETOOLONG'
          ? 'its name is too long'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'a part of its path is a file'
            : (e as Error).message,
    );
  }
  const file = join(outDir, '.segmint.lock');
  const me: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: LockInfo | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      } catch {
        holder = null; // being written, or damaged: treated as stale below only on a retry
      }
      const stale = holder ? holder.host === me.host && !isAlive(holder.pid) : attempt > 0;
      if (!stale) {
        throw new SegmintError(
          'RUN_IN_PROGRESS',
          `Another run is using ${outDir}${holder ? ` (process ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : ''}.`,
          {
            where: { file },
            hint: 'Wait for it to finish, or give this run its own output folder (--out or output.dir). A lock left by a process that no longer runs is taken over by the next run.',
          },
        );
      }
      rmSync(file, { force: true });
    }
  }
  // Debris of runs that died (kill -9) while holding the lock: nobody else builds here now.
  const runs = join(outDir, 'runs');
  for (const dir of [outDir, runs]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir))
      if (name.startsWith('.tmp-') || name.startsWith('latest.tmp-'))
        rmSync(join(dir, name), { recursive: true, force: true });
  }
  return () => {
    try {
      const held = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      if (held.pid === me.pid && held.startedAt === me.startedAt) rmSync(file, { force: true });
    } catch {
      /* already gone */
    }
  };
}
