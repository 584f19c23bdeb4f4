import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { startFakeModelServer, type FakeModelOptions, type FakeModelServer } from '../fixtures/fakeModelServer';

/**
 * Fake model servers answering from `planted`, and fresh cache folders, for one test file: everything
 * it starts or makes is closed and removed after the file's tests.
 */
export function useFakeServers(
  planted: Pick<FakeModelOptions, 'terms' | 'baseLogprob' | 'answer'>,
  scratchPrefix: string,
): { fake: (options?: Partial<FakeModelOptions>) => Promise<FakeModelServer>; freshCache: () => string } {
  const servers: FakeModelServer[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), scratchPrefix));
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    rmSync(scratch, { recursive: true, force: true });
  });
  let caches = 0;
  return {
    fake: async (options = {}) => {
      const server = await startFakeModelServer({ ...planted, ...options });
      servers.push(server);
      return server;
    },
    freshCache: () => {
      caches += 1;
      return path.join(scratch, `cache-${caches}`);
    },
  };
}
