import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { repoPath } from './paths';

/**
 * A copy of the checkout as a newcomer's clone has it: every file git tracks or would track, and no
 * build output (no dist/, no out/), with this checkout's installed node_modules linked in. Packaging
 * there proves `npm run package` works from a clean clone, not only after another step made out/.
 */
export function freshCheckout(into: string): string {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoPath(), encoding: 'utf8' });
  assert.equal(listed.status, 0, `the package test copies the checkout with git ls-files: ${listed.stderr}`);
  const checkout = path.join(into, 'checkout');
  for (const file of listed.stdout.split('\0')) {
    // node_modules may itself be a link (a worktree sharing another checkout's), which git lists as a file;
    // shared/ (where a checkout keeps the test model) is no part of the package and is never copied.
    if (file === '' || file === 'node_modules' || file.startsWith('shared/') || !existsSync(repoPath(file))) continue;
    mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    copyFileSync(repoPath(file), path.join(checkout, file));
  }
  symlinkSync(realpathSync(repoPath('node_modules')), path.join(checkout, 'node_modules'), 'junction');
  return checkout;
}
