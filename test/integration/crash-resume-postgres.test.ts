// Crash and resume on PostgreSQL (127.0.0.1:5432, database `test`, a schema of its own): `onex run` of a 500-action
// workflow killed with SIGKILL at 10 seeded random moments, resumed by `onex resume` each time, then finished (see
// support/crash-resume.ts for what is checked). Fails, never skips, when the server is absent.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { PostgresStore } from '../../src/index.js';
import { dropTestSchemas, postgresStoreUrl, requirePostgres } from '../store/support/postgres.js';
import { crashAndResume } from './support/crash-resume.js';

beforeAll(requirePostgres);
afterAll(dropTestSchemas);

describe('crash and resume (PostgreSQL)', () => {
  it('after 10 SIGKILLs and a last resume, every action ran to completion once, with the output of an unkilled run', async () => {
    const url = postgresStoreUrl();
    await crashAndResume({
      storeSpec: url,
      openStore: () => PostgresStore.open(url),
      seed: Number(process.env.ONEX_TEST_SEED ?? 20240612),
      kills: 10,
    });
  }, 150_000);
});
