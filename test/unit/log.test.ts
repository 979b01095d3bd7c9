import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, withRequestId } from '../../src/lib/log';

describe('log', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one JSON line with the event, the level and the fields', () => {
    const write = vi.spyOn(console, 'log').mockImplementation(() => {});
    log('info', 'consent_given', { clientId: 'abc', scope: ['mcp'] });
    expect(write).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(write.mock.calls[0]?.[0]))).toEqual({
      level: 'info',
      event: 'consent_given',
      clientId: 'abc',
      scope: ['mcp'],
    });
  });

  it('never writes a credential, whatever the caller passes', () => {
    const write = vi.spyOn(console, 'warn').mockImplementation(() => {});
    log('warn', 'oops', { token: 'tkn', Password: 'pw', code: 'c0de', refresh_token: 'r', reason: 'kept' });
    const text = String(write.mock.calls[0]?.[0]);
    for (const secret of ['tkn', 'pw', 'c0de', '"r"']) expect(text).not.toContain(secret);
    expect(JSON.parse(text).reason).toBe('kept');
  });

  it('carries the request id of the request it runs in: cf-ray when present', async () => {
    const write = vi.spyOn(console, 'error').mockImplementation(() => {});
    await withRequestId(new Request('https://x.test/', { headers: { 'cf-ray': 'ray-1' } }), async () => {
      await Promise.resolve();
      log('error', 'inside');
    });
    log('error', 'outside');
    expect(JSON.parse(String(write.mock.calls[0]?.[0])).requestId).toBe('ray-1');
    expect(JSON.parse(String(write.mock.calls[1]?.[0])).requestId).toBeUndefined();
  });

  it('makes up a request id when there is no cf-ray', () => {
    const write = vi.spyOn(console, 'log').mockImplementation(() => {});
    withRequestId(new Request('https://x.test/'), () => log('info', 'a'));
    withRequestId(new Request('https://x.test/'), () => log('info', 'b'));
    const [first, second] = write.mock.calls.map((call) => JSON.parse(String(call[0])).requestId);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });
});
