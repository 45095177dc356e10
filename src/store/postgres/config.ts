/**
 * `postgres://…` store specs: the connection string as `pg` understands it, plus onex's own `schema` parameter (the
 * PostgreSQL schema that holds onex's tables, default `onex`), which is taken out before `pg` sees the string.
 * @module
 */
import { EnumCoreErrorCode } from '../../errors/error-codes.js';
import { OnexError } from '../../errors/onex-error.js';

/** Schema holding onex's tables when the URL names none. */
export const DEFAULT_PG_SCHEMA = 'onex';

/** A parsed PostgreSQL store spec. */
export interface PostgresConfig {
  /** The connection string without the `schema` parameter. */
  readonly connectionString: string;
  /** A validated identifier: lowercase letters, digits and `_`, starting with a letter or `_`. */
  readonly schema: string;
  /** `host:port/database`, for messages (never the password). */
  readonly display: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Parse `postgres://user@host:port/db?schema=name`. Throws INVALID_PARAMETER for a malformed URL or schema. */
export function parsePostgresUrl(url: string): PostgresConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `store '${redact(url)}' is not a valid PostgreSQL URL`, {
      context: { store: redact(url) },
      cause: err,
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new OnexError(
      EnumCoreErrorCode.INVALID_PARAMETER,
      `store '${redact(url)}': expected a postgres:// or postgresql:// URL`,
      { context: { store: redact(url) } },
    );
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!IDENTIFIER.test(schema)) {
    throw new OnexError(
      EnumCoreErrorCode.INVALID_PARAMETER,
      `store '${redact(url)}': schema '${schema}' must be lowercase letters, digits and _ (at most 63)`,
      { context: { schema } },
    );
  }
  parsed.searchParams.delete('schema');
  // `postgres://127.0.0.1:5432/test` (the spec's own example) names no user; libpq would use the OS user name, but a
  // service or CI environment may not set USER at all. Fall back to PGUSER, USER, then the conventional 'postgres'.
  if (!parsed.username) parsed.username = process.env.PGUSER || process.env.USER || 'postgres';
  const database = parsed.pathname.replace(/^\//, '') || '(default database)';
  return {
    connectionString: parsed.toString(),
    schema,
    display: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}/${database}`,
  };
}

/** The URL with its password replaced, safe to print. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
