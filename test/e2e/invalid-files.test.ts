/**
 * Invalid workflow files (spec §3, §8): `onex validate` and `onex run` both reject them before anything runs,
 * with exit 2 and one `[<code>] <message>` line on stderr, no stack trace unless `--verbose`.
 * The fixture nodes append to a marker file when they run; it must never appear.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { fixture, markerLines, runCli, stackLines, tempDirs } from '../support/cli.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

interface InvalidCase {
  /** Fixture file under test/fixtures/workflows/invalid. */
  file: string;
  /** Run a copy of the fixture with this name placed in the test's cwd (for fixtures lint must not parse). */
  copyAs?: string;
  /** The error code on stderr (a prefix of the full `ONEX_CORE_NNN_NAME`). */
  code: RegExp;
  /** What the message must say. */
  says: RegExp[];
}

const CASES: InvalidCase[] = [
  {
    file: 'cycle.yaml',
    code: /ONEX_CORE_301_/,
    says: [
      /cycle\.yaml/,
      // The cycle path names its steps and closes on the first one: `alpha -> beta -> gamma -> alpha` or a rotation.
      /\b(alpha|beta|gamma) -> (alpha|beta|gamma) -> (alpha|beta|gamma) -> \1\b/,
    ],
  },
  { file: 'unknown-dependency.yaml', code: /ONEX_CORE_302_/, says: [/unknown-dependency\.yaml/, /ghost_step/] },
  // The unclosed `[` is on line 7; the parser notices on line 8. Either is a useful pointer, `?` is not.
  // Stored as malformed.yaml.txt because Biome would report its (intended) parse errors.
  {
    file: 'malformed.yaml.txt',
    copyAs: 'malformed.yaml',
    code: /ONEX_CORE_\d{3}_/,
    says: [/malformed\.yaml:[78](:\d+)?: /],
  },
  {
    file: 'missing-nodes.yaml',
    code: /ONEX_CORE_122_/,
    says: [/missing-nodes\.yaml/, /no-such-nodes-module\.js/],
  },
  {
    file: 'unknown-target.yaml',
    code: /ONEX_CORE_322_/,
    says: [/unknown-target\.yaml/, /no_such_node_type/, /second/],
  },
  { file: 'bad-when.yaml', code: /ONEX_CORE_323_/, says: [/bad-when\.yaml/, /gated/] },
  { file: 'conditional-mode.yaml', code: /ONEX_CORE_006_/, says: [/conditional-mode\.yaml/, /conditional/] },
];

const COMMANDS = ['validate', 'run'] as const;
const MATRIX = CASES.flatMap((c) => COMMANDS.map((command) => ({ ...c, command })));

describe('invalid workflow files', () => {
  it.concurrent.for(MATRIX)('onex $command $file → exit 2, [code] message, nothing runs', async (c, { expect }) => {
    const cwd = dirs.make();
    const marker = join(cwd, 'marker.txt');
    let file = fixture('invalid', c.file);
    if (c.copyAs) {
      copyFileSync(file, join(cwd, c.copyAs));
      file = join(cwd, c.copyAs);
    }
    const result = await runCli([c.command, file], { cwd, env: { ONEX_E2E_MARKER: marker } });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).toMatch(/^\[ONEX_CORE_\d{3}_[A-Z_]+\] \S/);
    expect(line.slice(1, line.indexOf(']'))).toMatch(c.code);
    for (const pattern of c.says) expect(line).toMatch(pattern);
    expect(stackLines(result.stderr)).toEqual([]);
    expect(markerLines(marker)).toEqual([]);
  });

  it.concurrent.for(COMMANDS)('onex --verbose %s adds the stack trace', async (command, { expect }) => {
    const cwd = dirs.make();
    const marker = join(cwd, 'marker.txt');
    const result = await runCli(['--verbose', command, fixture('invalid', 'cycle.yaml')], {
      cwd,
      env: { ONEX_E2E_MARKER: marker },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^\[ONEX_CORE_301_[A-Z_]+\] /);
    expect(stackLines(result.stderr).length).toBeGreaterThan(0);
    expect(markerLines(marker)).toEqual([]);
  });

  it.concurrent('onex plan rejects an invalid file the same way', async ({ expect }) => {
    const result = await runCli(['plan', fixture('invalid', 'unknown-dependency.yaml')], { cwd: dirs.make() });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(/^\[ONEX_CORE_302_[A-Z_]+\] .*ghost_step/);
    expect(stackLines(result.stderr)).toEqual([]);
  });
});
