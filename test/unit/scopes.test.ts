import { describe, expect, it } from 'vitest';
import { BASE_SCOPE, isScope, SUPPORTED_SCOPES, scopesToGrant } from '../../src/auth/scopes';

describe('scopes', () => {
  it('supports mcp, the baseline', () => {
    expect(BASE_SCOPE).toBe('mcp');
    expect(SUPPORTED_SCOPES).toEqual(['mcp']);
    expect(isScope('mcp')).toBe(true);
  });

  it('knows no other scope, not even inherited object keys', () => {
    expect(isScope('admin')).toBe(false);
    expect(isScope('toString')).toBe(false);
    expect(isScope('__proto__')).toBe(false);
  });

  it('always grants the baseline and drops scopes it does not know', () => {
    expect(scopesToGrant([])).toEqual(['mcp']);
    expect(scopesToGrant(['mcp'])).toEqual(['mcp']);
    expect(scopesToGrant(['openid', 'admin', 'mcp', 'mcp'])).toEqual(['mcp']);
  });
});
