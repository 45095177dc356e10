// Enum wire values (spec §1, omnibase-core.md §3): every member's value is the lowercase of its name, and the
// member lists are exactly the reference's (plus onex's PARTIAL_SUCCESS / TIMEOUT / COMPENSATED where the spec adds them).
import { describe, expect, it } from 'vitest';
import {
  EnumActionType,
  EnumBranchCondition,
  EnumCircuitState,
  EnumExecutionMode,
  EnumFailureStrategy,
  EnumStepState,
  EnumWorkflowState,
} from '../../../src/index.js';

const cases: [string, Record<string, string>, string[]][] = [
  ['EnumActionType', EnumActionType, ['COMPUTE', 'EFFECT', 'REDUCE', 'ORCHESTRATE', 'CUSTOM']],
  ['EnumExecutionMode', EnumExecutionMode, ['SEQUENTIAL', 'PARALLEL', 'BATCH', 'CONDITIONAL', 'STREAMING']],
  [
    'EnumWorkflowState',
    EnumWorkflowState,
    ['PENDING', 'RUNNING', 'COMPLETED', 'PARTIAL_SUCCESS', 'FAILED', 'CANCELLED', 'PAUSED'],
  ],
  [
    'EnumStepState',
    EnumStepState,
    ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED', 'TIMEOUT', 'COMPENSATED'],
  ],
  [
    'EnumBranchCondition',
    EnumBranchCondition,
    ['IF_TRUE', 'IF_FALSE', 'IF_SUCCESS', 'IF_ERROR', 'IF_TIMEOUT', 'CUSTOM'],
  ],
  ['EnumFailureStrategy', EnumFailureStrategy, ['FAIL_FAST', 'CONTINUE_ON_ERROR', 'RETRY', 'COMPENSATE']],
  ['EnumCircuitState', EnumCircuitState, ['CLOSED', 'OPEN', 'HALF_OPEN']],
];

describe('enum wire values', () => {
  it.each(cases)('%s has exactly the spec members', (_name, enumObject, members) => {
    expect(Object.keys(enumObject).sort()).toEqual([...members].sort());
  });

  it.each(cases)('%s: every value is the lowercase of its member name', (_name, enumObject) => {
    for (const [member, value] of Object.entries(enumObject)) expect(value).toBe(member.toLowerCase());
  });

  it('uses the reference strings literally', () => {
    // Spot checks against omnibase-core.md §1/§3, so a systematic renaming (e.g. REDUCE -> "reducer") is caught.
    expect(EnumActionType.REDUCE).toBe('reduce');
    expect(EnumActionType.ORCHESTRATE).toBe('orchestrate');
    expect(EnumExecutionMode.SEQUENTIAL).toBe('sequential');
    expect(EnumWorkflowState.PARTIAL_SUCCESS).toBe('partial_success');
    expect(EnumBranchCondition.IF_TIMEOUT).toBe('if_timeout');
    expect(EnumFailureStrategy.CONTINUE_ON_ERROR).toBe('continue_on_error');
    expect(EnumCircuitState.HALF_OPEN).toBe('half_open');
  });
});
