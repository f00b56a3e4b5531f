import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, small filesystem: a tmpfs of `bytes` mounted on a new folder (needs root, as in CI). Throws
 * when it cannot be mounted: a disk-full test must fail loudly, never pass without a full disk.
 */
export function mountTmpfs(prefix: string, bytes: number): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `this test needs a real full filesystem: mounting a ${bytes}-byte tmpfs on ${dir} failed (run as root, or in a container allowed to mount tmpfs): ${why}`,
    );
  }
  return {
    dir,
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch (e) {
        // Busy: a file on it is still open (a leak the test should see). Detach it all the same.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        throw new Error(`${dir} was still in use when unmounted (a file left open?): ${String(e)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Bytes an unprivileged write can still put on the filesystem of `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Fills the filesystem of `dir` until `leave` bytes (rounded down to its block size) are free,
 * with the file `name` in `dir`; delete that file to free the space again.
 */
export function fillTo(dir: string, leave: number, name = 'filler'): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, Buffer.alloc(Math.max(0, freeBytes(dir) - leave)));
  return file;
}
