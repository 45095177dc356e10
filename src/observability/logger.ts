/**
 * The structured logger: pino, writing JSON to stderr so stdout stays clean for `--json` output.
 * Level from `ONEX_LOG_LEVEL` (default `warn`; `silent` turns it off).
 * @module
 */
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** A logger writing to stderr at `level` (default: `ONEX_LOG_LEVEL` or `warn`). */
export function createLogger(level: string = process.env.ONEX_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: { name: 'onex' } }, pino.destination({ dest: 2, sync: true }));
}
