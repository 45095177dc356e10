// ModelONEXContainer (spec §6): services as values or lazy factories, DEPENDENCY_UNAVAILABLE for missing ones,
// nodes with one or several instances, and one structured logger that emitLogEvent (and the engine) write to.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, EnumLogLevel, ModelONEXContainer, NodeOrchestrator, OnexError } from '../../src/index.js';
import { createLogger } from '../../src/observability/logger.js';

function thrown(fn: () => unknown): OnexError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw new Error(`expected an OnexError, got ${String(err)}`);
  }
  throw new Error('expected an OnexError, nothing was thrown');
}

/** A container whose pino logger (at `level`) writes parsed JSON lines into `lines`. */
function capturing(level = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { container: new ModelONEXContainer({ logger: pino({ level }, stream) }), lines };
}

const quiet = () => new ModelONEXContainer({ logger: createLogger('silent') });

describe('services', () => {
  it('register a value and get it back', () => {
    const c = quiet();
    const config = { url: 'postgres://x' };
    expect(c.register('config', config)).toBe(c);
    expect(c.get('config')).toBe(config);
    expect(c.has('config')).toBe(true);
  });

  it('a factory runs lazily, once, and receives the container', () => {
    const c = quiet();
    const calls: ModelONEXContainer[] = [];
    c.register('pool', (container: ModelONEXContainer) => {
      calls.push(container);
      return { id: calls.length };
    });
    expect(calls).toEqual([]);
    expect(c.has('pool')).toBe(true);
    const first = c.get<{ id: number }>('pool');
    const second = c.get<{ id: number }>('pool');
    expect(first).toEqual({ id: 1 });
    expect(second).toBe(first);
    expect(calls).toEqual([c]);
  });

  it('a factory can resolve other services from the container it receives', () => {
    const c = quiet();
    c.register('host', 'db.local');
    c.register('dsn', (container: ModelONEXContainer) => `postgres://${container.get<string>('host')}/app`);
    expect(c.get('dsn')).toBe('postgres://db.local/app');
  });

  it('registerValue stores a function as the service itself, without calling it', () => {
    const c = quiet();
    let called = false;
    const handler = () => {
      called = true;
      return 'ran';
    };
    c.registerValue('handler', handler);
    expect(c.get('handler')).toBe(handler);
    expect(called).toBe(false);
  });

  it('registering again replaces a factory by a value and a value by a factory', () => {
    const c = quiet();
    c.register('svc', () => 'from factory');
    c.registerValue('svc', 'value');
    expect(c.get('svc')).toBe('value');
    c.register('svc', () => 'factory again');
    expect(c.get('svc')).toBe('factory again');
  });

  it('get of a missing service throws DEPENDENCY_UNAVAILABLE naming it', () => {
    const err = thrown(() => quiet().get('event_bus'));
    expect(err.code).toBe('ONEX_CORE_122_DEPENDENCY_UNAVAILABLE');
    expect(err.code).toBe(EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE);
    expect(err.message).toContain("'event_bus'");
    expect(err.context.service).toBe('event_bus');
  });

  it('getOptional returns undefined for a missing service and the service otherwise', () => {
    const c = quiet();
    expect(c.getOptional('missing')).toBeUndefined();
    expect(c.has('missing')).toBe(false);
    c.register('lazy', () => 42);
    expect(c.getOptional('lazy')).toBe(42);
    c.register('falsy', 0);
    expect(c.getOptional('falsy')).toBe(0);
  });
});

describe('nodes', () => {
  it('registerNode with one instance', () => {
    const c = quiet();
    const node = async () => 1;
    c.registerNode('one', node);
    expect(c.getNodes('one')).toEqual([node]);
    expect(c.getNodes('other')).toEqual([]);
    expect(c.nodeTypes()).toEqual(['one']);
  });

  it('registerNode with several instances keeps them in order, frozen', () => {
    const c = quiet();
    const a = { execute: () => 'a' };
    const b = { execute: () => 'b' };
    c.registerNode('pair', [a, b]);
    const nodes = c.getNodes('pair');
    expect(nodes).toEqual([a, b]);
    expect(nodes[0]).toBe(a);
    expect(Object.isFrozen(nodes)).toBe(true);
  });

  it('registerNode replaces an earlier registration', () => {
    const c = quiet();
    c.registerNode('x', async () => 1);
    const second = async () => 2;
    c.registerNode('x', second);
    expect(c.getNodes('x')).toEqual([second]);
    expect(c.nodeTypes()).toEqual(['x']);
  });

  it('registerNode with an empty list is an INVALID_PARAMETER error', () => {
    const err = thrown(() => quiet().registerNode('none', []));
    expect(err.code).toBe(EnumCoreErrorCode.INVALID_PARAMETER);
    expect(err.message).toContain("'none'");
  });

  it('several instances share the work in BATCH mode (least loaded first)', async () => {
    const c = quiet();
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const instance = (name: string) => async () => {
      ran.push(name);
      if (ran.length === 4) release();
      await gate;
      return name;
    };
    c.registerNode('worker', [instance('a'), instance('b')]);
    const out = await new NodeOrchestrator(c).process({
      executionMode: 'batch',
      maxParallelSteps: 4,
      steps: Array.from({ length: 4 }, (_, i) => ({
        stepName: `s${i}`,
        actions: [{ actionType: 'effect', targetNodeType: 'worker' }],
      })),
    });
    expect(out.workflowState).toBe('completed');
    expect(ran.filter((n) => n === 'a')).toHaveLength(2);
    expect(ran.filter((n) => n === 'b')).toHaveLength(2);
  });
});

describe('logging', () => {
  it('emitLogEvent writes one structured event through the container logger', () => {
    const { container, lines } = capturing();
    container.emitLogEvent(EnumLogLevel.INFO, 'step started', { stepName: 'load', attempt: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'step started', stepName: 'load', attempt: 1 });
  });

  it('maps every EnumLogLevel to the pino level of the same meaning', () => {
    const { container, lines } = capturing();
    const levels: [string, number][] = [
      [EnumLogLevel.TRACE, 10],
      [EnumLogLevel.DEBUG, 20],
      [EnumLogLevel.INFO, 30],
      [EnumLogLevel.WARNING, 40],
      [EnumLogLevel.ERROR, 50],
      [EnumLogLevel.CRITICAL, 60],
    ];
    for (const [level] of levels) container.emitLogEvent(level as EnumLogLevel, `at ${level}`);
    expect(lines.map((l) => [l.msg, l.level])).toEqual(levels.map(([name, n]) => [`at ${name}`, n]));
  });

  it("respects the logger's level", () => {
    const { container, lines } = capturing('warn');
    container.emitLogEvent(EnumLogLevel.DEBUG, 'hidden');
    container.emitLogEvent(EnumLogLevel.ERROR, 'shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it('the orchestrator and node contexts log through the same container logger', async () => {
    const { container, lines } = capturing('info');
    container.registerNode('talker', async (_d: unknown, ctx: { logger: { info: (o: object, m: string) => void } }) => {
      ctx.logger.info({ from: 'node' }, 'hello from a node');
      return 1;
    });
    const out = await new NodeOrchestrator(container).process({
      steps: [{ stepName: 'talk', actions: [{ actionType: 'effect', targetNodeType: 'talker' }] }],
    });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'hello from a node', from: 'node' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'workflow finished', workflowId: out.workflowId, state: 'completed' }),
    );
  });

  it('has a default logger when none is given', () => {
    const c = new ModelONEXContainer();
    expect(typeof c.logger.info).toBe('function');
    expect(typeof c.logger.level).toBe('string');
  });
});
