/**
 * Loading a recorded run's nodes module again for `onex resume`: the same rule as workflow files (spec §8) — each
 * export is a `target_node_type`; a plain-object default export contributes its keys too.
 * @module
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ModelONEXContainer } from '../container/container.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/** Import `path` and register its exports as nodes in `container`. DEPENDENCY_UNAVAILABLE when it cannot load. */
export async function registerNodesModule(path: string, container: ModelONEXContainer): Promise<void> {
  if (!existsSync(path)) {
    throw new OnexError(EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE, `nodes module ${path} not found`, {
      context: { nodes: path },
    });
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new OnexError(
      EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE,
      `nodes module ${path} failed to load: ${(err as Error)?.message ?? err}`,
      { context: { nodes: path }, cause: err },
    );
  }
  const fromDefault =
    module.default && typeof module.default === 'object' && Object.getPrototypeOf(module.default) === Object.prototype
      ? (module.default as Record<string, unknown>)
      : {};
  for (const [target, node] of Object.entries({ ...fromDefault, ...module })) {
    if (target !== 'default') container.registerNode(target, node);
  }
}
