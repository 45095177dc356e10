// Nodes of the CI/CD pipeline (the tutorial's practice exercise): lint → test → build → deploy → notify over the
// small application in ./app. Effects write under a workspace directory (`input_data.workspace`, default
// .onex/cicd-pipeline under the directory onex runs from): artifacts/<version>/ and environments/<env>/current.json.
// Each export name is a `target_node_type` of workflow.yaml; helpers are not exported (every export becomes a node).
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const VALIDATION_ERROR = 'ONEX_CORE_006_VALIDATION_ERROR';
const SERVICE_UNAVAILABLE = 'ONEX_CORE_205_SERVICE_UNAVAILABLE';

/**
 * @typedef {{ inputs: unknown[], signal: AbortSignal, attempt: number, idempotencyKey: string,
 *   logger: { info(o: object, m?: string): void }, workflowInput?: Record<string, unknown> }} Ctx
 * @typedef {{ version: string, artifact_dir: string, files: number, created: boolean }} Build
 * @typedef {{ version: string, artifact_dir: string, activated_at: string, activated_by: string,
 *   previous: Release | null }} Release
 */

/**
 * An Error carrying an onex code (onex keeps the code of a plain Error; VALIDATION_ERROR is never retried).
 * @param {string} code @param {string} message
 */
function coded(code, message) {
  return Object.assign(new Error(message), { code });
}

/** The application directory: `op.root` (from the workflow file), relative to this example. @param {{ root?: string }} op */
function appDir(op) {
  return resolve(HERE, op?.root ?? 'app');
}

/** The workspace the effects write to. @param {Ctx} ctx */
function workspace(ctx) {
  return resolve(process.cwd(), String(ctx.workflowInput?.workspace ?? '.onex/cicd-pipeline'));
}

/** The release label (`input_data.release`); it goes into directory names, so only safe characters. @param {Ctx} ctx */
function release(ctx) {
  const label = String(ctx.workflowInput?.release ?? '0.0.0');
  if (!/^[0-9A-Za-z][0-9A-Za-z._-]*$/.test(label)) throw coded(VALIDATION_ERROR, `invalid release label: ${label}`);
  return label;
}

/** @param {Ctx} ctx */
function environment(ctx) {
  return String(ctx.workflowInput?.environment ?? 'staging');
}

/** Every .js file under `dir`, sorted (so versions and lint output are stable). @param {string} dir @returns {string[]} */
function jsFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsFiles(path));
    else if (entry.name.endsWith('.js')) out.push(path);
  }
  return out.sort();
}

/** @param {string | Buffer} data */
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

const LINT_RULES = [
  { rule: 'no-trailing-whitespace', severity: 'error', test: (/** @type {string} */ l) => /[ \t]+$/.test(l) },
  { rule: 'no-var', severity: 'error', test: (/** @type {string} */ l) => /^\s*var\s/.test(l) },
  { rule: 'no-debugger', severity: 'error', test: (/** @type {string} */ l) => /^\s*debugger\b/.test(l) },
  { rule: 'no-console', severity: 'warning', test: (/** @type {string} */ l) => /\bconsole\.log\(/.test(l) },
];

/** COMPUTE: line rules over the application's .js files; any error fails the step (VALIDATION_ERROR, no retry). */
export const lint_sources = {
  /** @param {{ root?: string, max_line_length?: number }} op @param {Ctx} ctx */
  compute(op, ctx) {
    const root = appDir(op);
    const maxLength = op?.max_line_length ?? 120;
    /** @type {{ file: string, line: number, rule: string, severity: string }[]} */
    const problems = [];
    let lines = 0;
    const files = jsFiles(root);
    for (const file of files) {
      const text = readFileSync(file, 'utf8').split('\n');
      lines += text.length;
      text.forEach((line, i) => {
        const at = { file: relative(root, file), line: i + 1 };
        if (line.length > maxLength) problems.push({ ...at, rule: 'max-line-length', severity: 'error' });
        for (const r of LINT_RULES) if (r.test(line)) problems.push({ ...at, rule: r.rule, severity: r.severity });
      });
    }
    const errors = problems.filter((p) => p.severity === 'error');
    const result = {
      files_checked: files.length,
      lines,
      lint_errors: errors.length,
      lint_warnings: problems.length - errors.length,
      problems,
    };
    ctx.logger.info({ files: files.length, errors: errors.length }, 'lint done');
    if (errors.length > 0) {
      const first = errors[0];
      throw coded(VALIDATION_ERROR, `lint: ${errors.length} error(s), first ${first.file}:${first.line} ${first.rule}`);
    }
    return result;
  },
};

/** COMPUTE: runs the application's checks (app/test/*.checks.js); failures are counted, not thrown. */
export const run_tests = {
  /** @param {{ root?: string }} op @param {Ctx} ctx */
  async compute(op, ctx) {
    const dir = join(appDir(op), 'test');
    /** @type {{ name: string, run(): void }[]} */
    const checks = [];
    for (const file of jsFiles(dir).filter((f) => f.endsWith('.checks.js'))) {
      const module = await import(pathToFileURL(file).href);
      checks.push(...module.checks);
      if (ctx.workflowInput?.inject_failing_test && module.brokenCheck) checks.push(module.brokenCheck);
    }
    /** @type {{ name: string, message: string }[]} */
    const failures = [];
    for (const check of checks) {
      try {
        check.run();
      } catch (err) {
        failures.push({ name: check.name, message: /** @type {Error} */ (err).message });
      }
    }
    return {
      tests_run: checks.length,
      tests_passed: checks.length - failures.length,
      tests_failed: failures.length,
      failures,
    };
  },
};

/**
 * EFFECT: copies app/src into artifacts/<version>/ with a manifest of sha-256 hashes. The version is the release label
 * plus the hash of the sources, so building the same release twice gives the same artifact (`created: false` the
 * second time). Written to a
 * temporary directory first and renamed, so a half-written artifact never appears under its version.
 */
export const build_artifact = {
  /** @param {{ root?: string }} op @param {Ctx} ctx @returns {Build} */
  execute(op, ctx) {
    const src = join(appDir(op), 'src');
    const files = jsFiles(src).map((path) => ({ path: relative(src, path), data: readFileSync(path) }));
    const digest = sha256(files.map((f) => `${f.path}\n${sha256(f.data)}`).join('\n')).slice(0, 8);
    const version = `${release(ctx)}-${digest}`;
    const artifacts = join(workspace(ctx), 'artifacts');
    const target = join(artifacts, version);
    if (existsSync(target)) return { version, artifact_dir: target, files: files.length, created: false };
    mkdirSync(artifacts, { recursive: true });
    const staging = mkdtempSync(join(artifacts, `.${version}-`));
    cpSync(src, staging, { recursive: true });
    const manifest = {
      version,
      files: files.map((f) => ({ path: f.path, sha256: sha256(f.data), bytes: f.data.length })),
    };
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(staging, target);
    ctx.logger.info({ version, files: files.length }, 'artifact built');
    return { version, artifact_dir: target, files: files.length, created: true };
  },
};

/** EFFECT, the build step's compensation: removes the artifact the failed run created (never an older one). */
export const discard_artifact = {
  /** @param {{ reason?: string }} op @param {Ctx} ctx */
  execute(op, ctx) {
    const build = /** @type {Build} */ (ctx.inputs[0]);
    if (!build?.created) return { discarded: false, version: build?.version ?? null };
    rmSync(build.artifact_dir, { recursive: true, force: true });
    ctx.logger.info({ version: build.version, reason: op?.reason }, 'artifact discarded');
    return { discarded: true, version: build.version };
  },
};

/** @param {Ctx} ctx */
function releasePaths(ctx) {
  const dir = join(workspace(ctx), 'environments', environment(ctx));
  return { dir, current: join(dir, 'current.json'), history: join(dir, 'history.log') };
}

/** @param {string} path @returns {Release | null} */
function readRelease(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

/**
 * EFFECT with its own compensation: points environments/<env>/current.json at the built artifact, keeping the
 * release it replaces. `compensate` (run by the saga when a later step fails) puts that release back.
 */
export const activate_release = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  execute(_op, ctx) {
    const build = /** @type {Build | undefined} */ (
      ctx.inputs.find((v) => v && typeof v === 'object' && 'version' in v)
    );
    if (!build) throw coded(VALIDATION_ERROR, 'activate_release needs the build result as input');
    const paths = releasePaths(ctx);
    const current = readRelease(paths.current);
    // A retry of this very action (same idempotency key) finds its own release: activating again would lose `previous`.
    if (current?.activated_by === ctx.idempotencyKey) {
      return { environment: environment(ctx), version: current.version, previous: current.previous };
    }
    /** @type {Release} */
    const release = {
      version: build.version,
      artifact_dir: build.artifact_dir,
      activated_at: new Date().toISOString(),
      activated_by: ctx.idempotencyKey,
      previous: current,
    };
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.current, `${JSON.stringify(release, null, 2)}\n`);
    appendFileSync(paths.history, `${release.activated_at} activate ${release.version}\n`);
    return { environment: environment(ctx), version: release.version, previous: current };
  },

  /**
   * Roll back: restore the release that was current before (or remove current.json when there was none).
   * @param {Record<string, unknown>} _op
   * @param {{ environment: string, version: string, previous: Release | null }} result
   * @param {Ctx} ctx
   */
  compensate(_op, result, ctx) {
    const paths = releasePaths(ctx);
    if (result.previous) writeFileSync(paths.current, `${JSON.stringify(result.previous, null, 2)}\n`);
    else rmSync(paths.current, { force: true });
    const restored = result.previous?.version ?? 'nothing';
    appendFileSync(paths.history, `${new Date().toISOString()} rollback ${result.version} -> ${restored}\n`);
    ctx.logger.info({ environment: result.environment, from: result.version, to: restored }, 'rolled back');
    return { rolled_back: result.version, restored };
  },
};

/**
 * EFFECT: checks the active release: its manifest's files are there with the right hashes. With
 * `input_data.break_deploy` the service answers 503 (SERVICE_UNAVAILABLE, retried), as a broken release would.
 */
export const health_check = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  execute(_op, ctx) {
    const release = readRelease(releasePaths(ctx).current);
    if (!release) throw coded(SERVICE_UNAVAILABLE, `nothing is deployed to ${environment(ctx)}`);
    if (ctx.workflowInput?.break_deploy) {
      throw coded(
        SERVICE_UNAVAILABLE,
        `health check of ${environment(ctx)} failed: /healthz answered 503 for ${release.version} (attempt ${ctx.attempt})`,
      );
    }
    const manifest = JSON.parse(readFileSync(join(release.artifact_dir, 'manifest.json'), 'utf8'));
    for (const file of manifest.files) {
      if (sha256(readFileSync(join(release.artifact_dir, file.path))) !== file.sha256) {
        throw coded(SERVICE_UNAVAILABLE, `health check: ${file.path} of ${release.version} is corrupt`);
      }
    }
    return {
      environment: environment(ctx),
      version: release.version,
      healthy: true,
      files_verified: manifest.files.length,
    };
  },
};

/** COMPUTE: one line for the team: deployed, or why not. */
export const notify = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  compute(_op, ctx) {
    const tests = /** @type {{ tests_failed: number, tests_run: number }} */ (
      ctx.inputs.find((v) => v && typeof v === 'object' && 'tests_failed' in v)
    );
    const deploy = /** @type {{ version: string, healthy?: boolean }[] | undefined} */ (ctx.inputs.find(Array.isArray));
    const health = deploy?.find((r) => r?.healthy);
    if (health) {
      return { status: 'deployed', environment: environment(ctx), version: health.version, tests_run: tests.tests_run };
    }
    return {
      status: `not deployed: ${tests.tests_failed} of ${tests.tests_run} test(s) failed`,
      environment: environment(ctx),
      version: null,
      tests_run: tests.tests_run,
    };
  },
};
