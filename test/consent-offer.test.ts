import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { offerField, offerOf } from '../src/auth/consent-scopes';
import type { AppEnv } from '../src/auth/env';
import { sign } from '../src/lib/keys';

const bindings = env as unknown as AppEnv;

describe("the consent page's signed offer", () => {
  it("carries the scopes and the app's name, for its own handle only", async () => {
    const name = 'Ada\'s "notes" <app> . é';
    const field = await offerField(bindings, 'handle-1', ['mcp', 'notes:read'], name);
    expect(await offerOf(bindings, 'handle-1', field)).toEqual({
      scopes: ['mcp', 'notes:read'],
      clientName: name,
    });
    expect(await offerOf(bindings, 'handle-2', field)).toBeNull();
    expect(
      await offerOf(bindings, 'handle-1', field.replace('mcp notes:read', 'mcp notes:write')),
    ).toBeNull();
    expect(await offerOf(bindings, 'handle-1', 'no signature')).toBeNull();
    expect(await offerOf(bindings, 'handle-1', undefined)).toBeNull();
  });

  it('still reads a field from a page served before names were in it (scopes alone)', async () => {
    const field = `mcp.${await sign(bindings, 'consent-offer', 'handle-3.mcp')}`;
    expect(await offerOf(bindings, 'handle-3', field)).toEqual({ scopes: ['mcp'] });
  });
});
