/**
 * Vitest global setup: builds `dist/` once per run so the end-to-end tests spawn the real `node bin/onex.js`
 * against the current sources, not a stale build.
 *
 * A failed build is not thrown here, because that would fail every unit test of the run too (other people's tests
 * must not break because one file in `src/` does not type-check). Instead the result is handed to the test
 * workers with `provide`; `test/support/cli.ts` fails each end-to-end test loudly with the compiler output.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** What the build did, as seen by the test workers through `inject('onexBuild')`. */
export interface OnexBuildResult {
  /** `built`: tsc exited 0; `failed`: it did not (see `output`); `skipped`: no end-to-end test was selected. */
  status: 'built' | 'failed' | 'skipped';
  output: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    onexBuild: OnexBuildResult;
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const E2E_DIR = join(ROOT, 'test', 'e2e');

/**
 * Whether the run's file filters (`vitest run <filter>…`) select an end-to-end test. Vitest keeps the filters in
 * an internal field; when it is missing (no filters, or a future vitest renamed it) we build, which is the safe side.
 * The match mirrors vitest's own `filterFiles`: a filter selects a file when the file's path relative to the root
 * contains it (case-insensitive), or when it is an absolute path the file lies under.
 */
function selectsEndToEndTests(project: TestProject): boolean {
  const filters: unknown = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  if (!Array.isArray(filters) || filters.length === 0) return true;
  let files: string[];
  try {
    files = readdirSync(E2E_DIR)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join(E2E_DIR, f));
  } catch {
    return false;
  }
  return files.some((file) => {
    const testFile = relative(ROOT, file).toLowerCase();
    return filters.some((filter) => {
      if (typeof filter !== 'string') return true;
      if (isAbsolute(filter) && file.startsWith(filter)) return true;
      return testFile.includes(filter.toLowerCase()) || testFile.includes(relative(ROOT, filter).toLowerCase());
    });
  });
}

export default function setup(project: TestProject): void {
  if (!selectsEndToEndTests(project)) {
    project.provide('onexBuild', { status: 'skipped', output: 'no end-to-end test file was selected' });
    return;
  }
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
    // `shell` only where npx is a .cmd script.
    shell: process.platform === 'win32',
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  project.provide('onexBuild', { status: result.status === 0 ? 'built' : 'failed', output });
}
