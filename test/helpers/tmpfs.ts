import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Why a real small disk (a tmpfs) cannot be mounted here, or false when it can: it needs Linux, root
 * and a kernel that lets this process mount. Tests of a disk that fills up skip with this reason.
 */
export function tmpfsSkip(): string | false {
  if (process.platform !== 'linux') return 'tmpfs is Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    execFileSync('sh', ['-c', 'probe=$(mktemp -d) && mount -t tmpfs -o size=4k tmpfs "$probe" && umount "$probe" && rmdir "$probe"'], {
      stdio: 'ignore',
    });
    return false;
  } catch {
    return 'this process may not mount a tmpfs';
  }
}

/** Mounts a tmpfs of `sizeKiB` on a fresh folder; `unmount` removes both. */
export function mountTmpfs(sizeKiB: number): { readonly path: string; unmount(): void } {
  const mountPoint = mkdtempSync(path.join(tmpdir(), 'spex-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', mountPoint]);
  return {
    path: mountPoint,
    unmount: () => {
      execFileSync('umount', ['-l', mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    },
  };
}
