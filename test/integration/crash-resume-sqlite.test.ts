// Crash and resume on SQLite: `onex run` of a 500-action workflow killed with SIGKILL at 10 seeded random moments,
// resumed by `onex resume` each time, then finished (see support/crash-resume.ts for what is checked).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import { crashAndResume } from './support/crash-resume.js';

const dir = mkdtempSync(join(tmpdir(), 'onex-crash-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crash and resume (SQLite)', () => {
  it('after 10 SIGKILLs and a last resume, every action ran to completion once, with the output of an unkilled run', async () => {
    const path = join(dir, 'onex.db');
    await crashAndResume({
      storeSpec: `sqlite:${path}`,
      openStore: async () => SqliteStore.open(path),
      seed: Number(process.env.ONEX_TEST_SEED ?? 20240611),
      kills: 10,
    });
  }, 150_000);
});
