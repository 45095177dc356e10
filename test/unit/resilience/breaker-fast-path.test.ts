// The breakers' fast path (src/resilience/circuit-breakers.ts): while a circuit is closed and no failure is counted,
// calls skip cockatiel's policy and only report their outcome. Counting must be exactly what the policy alone would
// do: N consecutive failures open the circuit, a success in between ends the streak, cancellations never count.
import { describe, expect, it } from 'vitest';
import { EnumCircuitState, EnumCoreErrorCode, OnexError } from '../../../src/index.js';
import { CircuitBreakerRegistry } from '../../../src/resilience/circuit-breakers.js';

const boom = () => new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'down');
const cancelled = () => new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED, 'run stopped');

describe('CircuitBreakerRegistry fast path', () => {
  it('is clear while closed and clean; counted failures open the circuit at the threshold', async () => {
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 3, cooldownMs: 60_000 });
    expect(breakers.isClear('db')).toBe(true);
    await breakers.recordFailure('db', boom());
    expect(breakers.isClear('db')).toBe(false);
    expect(breakers.state('db')).toBe(EnumCircuitState.CLOSED);
    await breakers.recordFailure('db', boom());
    await breakers.recordFailure('db', boom());
    expect(breakers.state('db')).toBe(EnumCircuitState.OPEN);
    // Through the policy now: rejected without calling.
    let called = false;
    const rejected = await breakers
      .execute('db', async () => {
        called = true;
      })
      .catch((err: unknown) => err);
    expect(called).toBe(false);
    expect(rejected).toMatchObject({ code: EnumCoreErrorCode.RESOURCE_UNAVAILABLE });
  });

  it('a success between failures ends the streak (and makes the breaker clear again)', async () => {
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 2, cooldownMs: 60_000 });
    await breakers.recordFailure('api', boom());
    breakers.recordSuccess('api');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(breakers.isClear('api')).toBe(true);
    await breakers.recordFailure('api', boom());
    expect(breakers.state('api')).toBe(EnumCircuitState.CLOSED);
    await breakers.recordFailure('api', boom());
    expect(breakers.state('api')).toBe(EnumCircuitState.OPEN);
  });

  it('never counts cancellations, and has nothing to count for node types without a breaker', async () => {
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 1, perNodeType: { free: false } });
    expect(breakers.recordFailure('db', cancelled())).toBeUndefined();
    expect(breakers.isClear('db')).toBe(true);
    expect(breakers.state('db')).toBe(EnumCircuitState.CLOSED);
    expect(breakers.isClear('free')).toBe(true);
    expect(breakers.recordFailure('free', boom())).toBeUndefined();
    expect(breakers.isClear('free')).toBe(true);
  });

  it('execute() takes the fast path while clear and still opens after the threshold', async () => {
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 2, cooldownMs: 60_000 });
    await expect(breakers.execute('svc', async () => 42)).resolves.toBe(42);
    for (let i = 0; i < 2; i++) {
      await expect(
        breakers.execute('svc', async () => {
          throw boom();
        }),
      ).rejects.toMatchObject({ code: EnumCoreErrorCode.SERVICE_UNAVAILABLE });
    }
    expect(breakers.state('svc')).toBe(EnumCircuitState.OPEN);
  });

  it('allClear holds while every breaker is clean, and counts a first failure made without isClear', async () => {
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 2, cooldownMs: 60_000 });
    expect(breakers.allClear).toBe(true);
    // The scheduler skips isClear while allClear: the failure must create the breaker and count.
    await breakers.recordFailure('a', boom());
    expect(breakers.allClear).toBe(false);
    expect(breakers.isClear('a')).toBe(false);
    expect(breakers.isClear('b')).toBe(true);
    await breakers.recordFailure('a', boom());
    expect(breakers.state('a')).toBe(EnumCircuitState.OPEN);
    expect(breakers.allClear).toBe(false);
    // Cancellations never make a breaker unclean.
    const other = new CircuitBreakerRegistry({ failureThreshold: 2 });
    expect(other.recordFailure('a', cancelled())).toBeUndefined();
    expect(other.allClear).toBe(true);
    // A success ends the streak and the registry is clear again.
    const healed = new CircuitBreakerRegistry({ failureThreshold: 3, cooldownMs: 60_000 });
    await healed.recordFailure('x', boom());
    expect(healed.allClear).toBe(false);
    healed.recordSuccess('x');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(healed.allClear).toBe(true);
  });
});
