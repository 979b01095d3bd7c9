import { describe, expect, it } from 'vitest';
import {
  allows,
  BASE_SCOPE,
  effectiveScopes,
  isScope,
  SUPPORTED_SCOPES,
  scopesNeededFor,
  scopesToGrant,
} from '../../src/auth/scopes';

describe('scopes', () => {
  it('supports mcp, the baseline, and the two notes scopes', () => {
    expect(BASE_SCOPE).toBe('mcp');
    expect(SUPPORTED_SCOPES).toEqual(['mcp', 'notes:read', 'notes:write']);
    expect(isScope('mcp')).toBe(true);
    expect(isScope('notes:write')).toBe(true);
  });

  it('knows no other scope, not even inherited object keys', () => {
    expect(isScope('admin')).toBe(false);
    expect(isScope('notes')).toBe(false);
    expect(isScope('offline_access')).toBe(false);
    expect(isScope('toString')).toBe(false);
    expect(isScope('__proto__')).toBe(false);
  });

  it('always grants the baseline and drops scopes it does not know', () => {
    expect(scopesToGrant([])).toEqual(['mcp']);
    expect(scopesToGrant(['mcp'])).toEqual(['mcp']);
    expect(scopesToGrant(['openid', 'admin', 'mcp', 'mcp'])).toEqual(['mcp']);
    expect(scopesToGrant(['notes:write', 'offline_access'])).toEqual(['mcp', 'notes:write']);
  });

  it('notes:write implies notes:read, and nothing implies the baseline', () => {
    expect([...effectiveScopes(['mcp', 'notes:write'])].sort()).toEqual(['mcp', 'notes:read', 'notes:write']);
    expect([...effectiveScopes(['notes:read'])]).toEqual(['notes:read']);
    expect([...effectiveScopes(['mcp', 'admin', 'toString'])]).toEqual(['mcp']);
  });

  it('an operation needs the baseline and its own scope', () => {
    expect(scopesNeededFor('mcp')).toEqual(['mcp']);
    expect(scopesNeededFor('notes:read')).toEqual(['mcp', 'notes:read']);
    expect(scopesNeededFor('notes:write')).toEqual(['mcp', 'notes:write']);
  });

  it.each([
    [['mcp'], 'mcp', true],
    [['mcp'], 'notes:read', false],
    [['mcp', 'notes:read'], 'notes:read', true],
    [['mcp', 'notes:read'], 'notes:write', false],
    [['mcp', 'notes:write'], 'notes:read', true],
    [['mcp', 'notes:write'], 'notes:write', true],
    [['notes:read', 'notes:write'], 'notes:read', false],
    [[], 'mcp', false],
  ] as const)('a grant of %j allows %s: %s', (granted, scope, expected) => {
    expect(allows(effectiveScopes(granted), scope)).toBe(expected);
  });
});
