// Negative tests of the hardening issue that the other files do not already cover: each asserts
// the safe answer to a hostile or broken request (docs/security.md maps threats to tests).
import { createExecutionContext, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { grantUserId } from '../src/auth/grant-user';
import { sha256Base64Url } from '../src/lib/base64url';
import { authorizationFor, tokenLifetimes } from '../src/oauth';
import { Browser, hiddenField, ORIGIN, send } from './support/browser';
import { countingKv, failingDurableObjects } from './support/faults';
import { captureLogs } from './support/logs';
import { answerOf, initializeRequest, mcpPost, modernRequest, tokenStatus } from './support/mcp';
import {
  approvedCode,
  authorizePath,
  connect,
  consentPage,
  decide,
  exchangeCode,
  pkce,
  REDIRECT_URI,
  redirectOf,
  refreshWith,
  register,
  registerClient,
  signIn,
  type Tokens,
  tokenRequest,
} from './support/oauth';
import { bindings, workerWith } from './support/worker';

describe('/authorize with a redirect URI the client did not register', () => {
  it.each([
    ['a trailing slash', `${REDIRECT_URI}/`],
    ['an extra query', `${REDIRECT_URI}?extra=1`],
    ['a fragment', `${REDIRECT_URI}#fragment`],
    ['another host', 'http://127.0.0.2:33418/callback'],
    ['a user@host trick', 'http://127.0.0.1:33418@evil.example/callback'],
    ['userinfo before the registered host', 'http://evil.example@127.0.0.1:33418/callback'],
    ['non-loopback http', 'http://evil.example/callback'],
    ['another path', 'http://127.0.0.1:33418/other'],
    ['https instead of http', 'https://127.0.0.1:33418/callback'],
  ])('%s: our 400 page, never a redirect there', async (_name, redirectUri) => {
    const client = await registerClient();
    const path = authorizePath(client, (await pkce()).challenge, { redirectUri });
    const response = await new Browser().get(path);
    expect(response.status).toBe(400);
    expect(response.headers.has('Location')).toBe(false);
  });

  it('a loopback redirect URI with another port is allowed, for native apps (RFC 8252 §7.3)', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { verifier, challenge } = await pkce();
    const redirectUri = 'http://127.0.0.1:50123/callback';
    const path = authorizePath(client, challenge, { redirectUri });
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    const redirect = redirectOf(await decide(browser, consent, 'approve'));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(redirectUri);
    const response = await tokenRequest({
      grant_type: 'authorization_code',
      code: redirect.searchParams.get('code') ?? '',
      redirect_uri: redirectUri,
      client_id: client.client_id,
      code_verifier: verifier,
    });
    expect(response.status).toBe(200);
  });
});

describe('client metadata URIs', () => {
  it.each(['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'])(
    'refuses a %s that is not http(s), in any case or padding',
    async (field) => {
      for (const uri of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' data:text/html,x', 'vbscript:x']) {
        const response = await register({
          client_name: 'Some app',
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'none',
          [field]: uri,
        });
        expect(response.status, `${field}=${uri}`).toBe(400);
        expect(await response.json()).not.toHaveProperty('client_id');
      }
    },
  );

  it('the consent page never loads the logo a client registered', async () => {
    const client = await registerClient({ logo_uri: 'https://tracker.example/logo.png' });
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const page = await browser.get(path);
    const html = await page.text();
    expect(html).not.toContain('tracker.example');
    expect(html).not.toMatch(/<img/i);
    expect(page.headers.get('Content-Security-Policy')).toContain("img-src 'self'");
  });
});

describe('authorization codes', () => {
  it('a code redeemed by another client is refused, and the right client can still redeem it', async () => {
    const { client, code, verifier } = await approvedCode();
    const other = await registerClient();
    const stolen = await exchangeCode(other, code, verifier);
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });

  it('a replayed code is refused, and the token the first redemption got is revoked', async () => {
    const { client, code, verifier } = await approvedCode();
    const first = (await (await exchangeCode(client, code, verifier)).json()) as Tokens;
    expect(await tokenStatus(first.access_token)).toBe(200);
    const replay = await exchangeCode(client, code, verifier);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect(await tokenStatus(first.access_token)).toBe(401);
    const refresh = await refreshWith(client, first.refresh_token);
    expect(refresh.status).toBe(400);
  });

  it('20 parallel redemptions of one code: exactly one succeeds, the others get invalid_grant', async () => {
    const { client, code, verifier } = await approvedCode();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => exchangeCode(client, code, verifier)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(19);
    for (const response of responses.filter((each) => each.status === 400))
      expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a replay is refused and revokes the grant even when KV still shows the code unused', async () => {
    // KV is eventually consistent: another location may read the grant as it was before the
    // redemption for up to a minute. Writing that old record back plays such a read.
    const { client, code, verifier } = await approvedCode();
    const [userId, grantId] = code.split(':');
    const before = await bindings.OAUTH_KV.get(`grant:${userId}:${grantId}`);
    expect(before).toContain('authCodeId');
    const first = (await (await exchangeCode(client, code, verifier)).json()) as Tokens;
    await bindings.OAUTH_KV.put(`grant:${userId}:${grantId}`, before ?? '');
    const replay = await exchangeCode(client, code, verifier);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect(await tokenStatus(first.access_token)).toBe(401);
  });

  it('a failed redemption (wrong code_verifier) leaves the code to the right verifier', async () => {
    const { client, code, verifier } = await approvedCode();
    const wrong = await exchangeCode(client, code, `${verifier}x`);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });

  it('a made-up code is refused and leaves nothing stored in its redemption object', async () => {
    const client = await registerClient();
    const code = 'someone:something:made-up';
    const response = await exchangeCode(client, code, 'verifier'.repeat(6));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
    const namespace = bindings.CODE_REDEMPTION;
    const stub = namespace.get(namespace.idFromName(await sha256Base64Url(code)));
    await runInDurableObject(stub, async (_instance, state) => {
      expect((await state.storage.list()).size).toBe(0);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });
});

describe('made-up codes never reach a redemption object', () => {
  // With every CodeRedemption object unreachable, a request that reached one would be a 503: the
  // library's own refusal proves the object was never asked.
  const noObjects = () => workerWith({ CODE_REDEMPTION: failingDurableObjects(bindings.CODE_REDEMPTION) });

  it('a made-up code from a made-up client: invalid_client, not 503', async () => {
    const response = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code: `someone:${crypto.randomUUID()}:made-up`,
        client_id: crypto.randomUUID(),
        code_verifier: 'verifier'.repeat(6),
        redirect_uri: REDIRECT_URI,
      },
      noObjects(),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a made-up code from a registered client: invalid_grant, not 503', async () => {
    const client = await registerClient();
    const response = await exchangeCode(
      client,
      `someone:${crypto.randomUUID()}:made-up`,
      'v'.repeat(43),
      noObjects(),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it("a made-up code naming a real grant, from that grant's own client: invalid_grant, not 503, and the real code still works", async () => {
    // The grant keeps its code's hash: only that code is ever claimed.
    const { client, code, verifier } = await approvedCode();
    const [userId, grantId] = code.split(':');
    const forged = await exchangeCode(client, `${userId}:${grantId}:made-up`, verifier, noObjects());
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });

  it('the checks before the library cost no KV read of their own: a code exchange reads what the library alone reads', async () => {
    const readsOf = async (answer: (kv: KVNamespace, request: Request) => Promise<Response>) => {
      const { client, code, verifier } = await approvedCode();
      const [userId, grantId] = code.split(':');
      const kv = countingKv(bindings.OAUTH_KV);
      const request = new Request(`${ORIGIN}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          client_id: client.client_id,
          code_verifier: verifier,
          resource: ORIGIN,
        }),
      });
      expect((await answer(kv, request)).status).toBe(200);
      return kv.reads.map((read) =>
        read.replace(client.client_id, '<client>').replace(`${userId}:${grantId}`, '<grant>'),
      );
    };
    const libraryAlone = await readsOf((kv, request) => {
      const { authorizationServer } = authorizationFor(ORIGIN, tokenLifetimes(bindings));
      return authorizationServer.fetch(request, { ...bindings, OAUTH_KV: kv }, createExecutionContext());
    });
    expect(libraryAlone).toContain('get grant:<grant>');
    // The keys the library alone reads, and no more reads of them: ours starts the client's and the
    // grant's at the same time, and reads a client's record once however often the library asks.
    const ours = await readsOf((kv, request) => workerWith({ OAUTH_KV: kv })(request));
    expect(new Set(ours)).toEqual(new Set(libraryAlone));
    expect(ours.length).toBeLessThanOrEqual(libraryAlone.length);
  });

  it('a real code from a made-up client: invalid_client, not 503, and the code still works', async () => {
    const { client, code, verifier } = await approvedCode();
    const stolen = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code,
        client_id: crypto.randomUUID(),
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
      },
      noObjects(),
    );
    expect(stolen.status).toBe(401);
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('a refresh token used by another client is refused, and still works for its own', async () => {
    const { client, tokens } = await connect();
    const other = await registerClient();
    const stolen = await refreshWith(other, tokens.refresh_token);
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
    const own = await refreshWith(client, tokens.refresh_token);
    expect(own.status).toBe(200);
  });

  it('10 parallel refreshes with one refresh token: no 5xx, and a working token chain remains', async () => {
    const { client, tokens } = await connect();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refreshWith(client, tokens.refresh_token)),
    );
    expect(responses.every((response) => response.status < 500)).toBe(true);
    const issued = await Promise.all(
      responses
        .filter((response) => response.status === 200)
        .map((response) => response.json() as Promise<Tokens>),
    );
    expect(issued.length).toBeGreaterThan(0);
    // Every access token issued works.
    for (const next of issued) expect(await tokenStatus(next.access_token)).toBe(200);
    // At least one of the new refresh tokens (or the one they rotated from) still refreshes.
    let chains = 0;
    for (const candidate of [...issued.map((next) => next.refresh_token), tokens.refresh_token]) {
      const refreshed = await refreshWith(client, candidate);
      expect(refreshed.status).toBeLessThan(500);
      if (refreshed.status === 200) {
        chains++;
        break;
      }
    }
    expect(chains).toBe(1);
  });
});

describe('access tokens that must not work', () => {
  it('an expired access token gets 401', async () => {
    const { tokens } = await connect();
    const [userId, grantId] = tokens.access_token.split(':');
    const listed = await bindings.OAUTH_KV.list({ prefix: `token:${userId}:${grantId}:` });
    expect(listed.keys.length).toBe(1);
    for (const { name } of listed.keys) {
      const record = (await bindings.OAUTH_KV.get(name, 'json')) as { expiresAt: number };
      await bindings.OAUTH_KV.put(
        name,
        JSON.stringify({ ...record, expiresAt: Math.floor(Date.now() / 1000) - 1 }),
      );
    }
    expect(await tokenStatus(tokens.access_token)).toBe(401);
  });

  it('a revoked access token gets 401 on /sse as well as /mcp', async () => {
    const { client, tokens } = await connect();
    await tokenRequest({ token: tokens.access_token, client_id: client.client_id });
    expect(await tokenStatus(tokens.access_token)).toBe(401);
    const sse = await send('/sse', { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(sse.status).toBe(401);
  });

  it('two Authorization headers (one valid) get 401, never a 5xx', async () => {
    const { tokens } = await connect();
    const headers = new Headers({ 'Content-Type': 'application/json' });
    headers.append('Authorization', `Bearer ${tokens.access_token}`);
    headers.append('Authorization', 'Bearer garbage');
    const response = await send('/mcp', {
      method: 'POST',
      headers,
      body: JSON.stringify(initializeRequest()),
    });
    expect(response.status).toBe(401);
  });

  it('a token in the query string is not accepted (bearer in the header only)', async () => {
    const { tokens } = await connect();
    const response = await send(`/mcp?access_token=${encodeURIComponent(tokens.access_token)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify(initializeRequest()),
    });
    expect(response.status).toBe(401);
  });
});

describe('bad MCP requests with a valid token', () => {
  let token = '';
  const withToken = async () => {
    if (!token) token = (await connect('mcp-bad@example.com')).tokens.access_token;
    return token;
  };

  // A body of a known length is read by the Worker itself; a streamed one (no Content-Length)
  // is left to the SDK, which reads it with the same limit. Both must answer alike.
  const sizing = [
    ['with a Content-Length', true],
    ['streamed, without one', false],
  ] as const;
  const post = async (body: string, declared: boolean, headers: Record<string, string> = {}) => {
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
    return send('/mcp', {
      method: 'POST',
      headers: {
        ...headers,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${await withToken()}`,
      },
      body: declared ? body : stream,
    });
  };

  it.each(sizing)('malformed JSON, %s: a JSON-RPC parse error (400), never a 5xx', async (_, declared) => {
    const response = await post('{"jsonrpc": "2.0", "id": 1, "method": ', declared);
    expect(response.status).toBe(400);
    expect((await answerOf(response)).error?.code).toBe(-32700);
  });

  it.each(sizing)('an empty body, %s: a JSON-RPC parse error (400)', async (_, declared) => {
    const response = await post('', declared);
    expect(response.status).toBe(400);
    expect((await answerOf(response)).error?.code).toBe(-32700);
  });

  it.each(sizing)('a body over 1 MiB, %s: 413', async (_, declared) => {
    const huge = JSON.stringify({ ...initializeRequest(), padding: 'x'.repeat(1_048_577) });
    expect((await post(huge, declared)).status).toBe(413);
  });

  it.each(sizing)('a tools/call, %s: answered', async (_, declared) => {
    const { body, headers } = modernRequest('tools/call', { name: 'add', arguments: { a: 2, b: 3 } });
    const response = await post(JSON.stringify(body), declared, headers);
    expect(response.status).toBe(200);
    expect((await answerOf(response)).result).toMatchObject({ structuredContent: { sum: 5 } });
  });

  it('an unknown JSON-RPC method: method not found, nothing runs', async () => {
    const { body, headers } = modernRequest('tools/explode');
    const response = await mcpPost(body, { token: await withToken(), headers });
    expect(response.status).toBeLessThan(500);
    expect((await answerOf(response)).error?.code).toBe(-32601);
  });

  it('a JSON-RPC batch: refused, never a 5xx', async () => {
    const batch = [initializeRequest(1), initializeRequest(2)];
    const response = await mcpPost(batch, { token: await withToken() });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'Content-Type %s: 415, never a 5xx',
    async (type) => {
      const response = await mcpPost(JSON.stringify(initializeRequest()), {
        token: await withToken(),
        headers: { 'Content-Type': type },
      });
      expect(response.status).toBe(415);
    },
  );

  it.each(['PUT', 'PATCH'])('HTTP %s on /mcp: 405', async (method) => {
    const response = await send('/mcp', {
      method,
      headers: { Authorization: `Bearer ${await withToken()}` },
    });
    expect(response.status).toBe(405);
  });
});

describe('consent forms', () => {
  it('a consent POST from another site is refused: no code', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    const response = await browser.postForm(
      '/authorize',
      { ...consent, scope: 'mcp', decision: 'approve' },
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get('Location') ?? '').not.toContain('code=');
  });

  it('ticking a scope the app did not ask for does not grant it', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { verifier, challenge } = await pkce();
    const path = authorizePath(client, challenge, { extra: { scope: 'mcp' } });
    await signIn(browser, path);
    const { html, ...consent } = await consentPage(browser, path);
    expect(html).not.toContain('notes:write');
    const approved = await decide(browser, consent, 'approve', ['mcp', 'notes:read', 'notes:write']);
    const code = redirectOf(approved).searchParams.get('code') ?? '';
    const tokens = (await (await exchangeCode(client, code, verifier)).json()) as Tokens;
    expect(tokens.scope).toBe('mcp');
    const { body, headers } = modernRequest('tools/call', {
      name: 'notes_create',
      arguments: { title: 't', body: 'b' },
    });
    expect((await mcpPost(body, { token: tokens.access_token, headers })).status).toBe(403);
  });

  it('an offer field changed, or taken from another consent page, grants nothing beyond the baseline', async () => {
    const browser = new Browser();
    const wide = authorizePath(await registerClient(), (await pkce()).challenge, {
      extra: { scope: 'mcp notes:read notes:write' },
    });
    await signIn(browser, wide);
    const wideOffer = (await consentPage(browser, wide)).offer;
    expect(wideOffer).toMatch(/^mcp notes:read notes:write\./);
    const client = await registerClient();
    const asked = { extra: { scope: 'mcp' } };
    const all = ['mcp', 'notes:read', 'notes:write'];
    for (const offer of [
      wideOffer,
      (await consentPage(browser, authorizePath(client, (await pkce()).challenge, asked))).offer.replace(
        /^mcp\./,
        'mcp notes:read notes:write.',
      ),
    ]) {
      const { verifier, challenge } = await pkce();
      const consent = await consentPage(browser, authorizePath(client, challenge, asked));
      const approved = await decide(browser, { ...consent, offer }, 'approve', all);
      const code = redirectOf(approved).searchParams.get('code') ?? '';
      expect(((await (await exchangeCode(client, code, verifier)).json()) as Tokens).scope).toBe('mcp');
    }
  });
});

describe('logs', () => {
  it('no line of a whole flow contains the token, the code, the password or the client secret', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    const spies = [
      vi.spyOn(console, 'log').mockImplementation(capture),
      vi.spyOn(console, 'warn').mockImplementation(capture),
      vi.spyOn(console, 'error').mockImplementation(capture),
    ];
    try {
      const password = 'correct horse battery staple';
      const secretClient = (await (
        await register({
          client_name: 'Confidential app',
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        })
      ).json()) as { client_id: string; client_secret: string };
      expect(secretClient.client_secret).toEqual(expect.any(String));

      const browser = new Browser();
      const { verifier, challenge } = await pkce();
      const path = authorizePath(
        {
          client_id: secretClient.client_id,
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'client_secret_post',
        },
        challenge,
      );
      const signInHtml = await (await browser.get(path)).text();
      await browser.postForm('/signin', {
        csrf: hiddenField(signInHtml, 'csrf'),
        return_to: path,
        email: 'logged@example.com',
        password,
      });
      const consent = await consentPage(browser, path);
      await decide(browser, consent, 'deny');
      const again = await consentPage(browser, path);
      const code = redirectOf(await decide(browser, again, 'approve')).searchParams.get('code') ?? '';
      const exchange = (fields: Record<string, string>) =>
        tokenRequest({
          ...fields,
          client_id: secretClient.client_id,
          client_secret: secretClient.client_secret,
        });
      const first = (await (
        await exchange({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
          resource: ORIGIN,
        })
      ).json()) as Tokens;
      await exchange({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      });
      expect(await tokenStatus(first.access_token)).toBe(401); // the replay revoked it
      const failed = await exchange({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(failed.status).toBe(400);

      const secrets = [
        first.access_token,
        first.refresh_token,
        code,
        verifier,
        password,
        secretClient.client_secret,
        consent.handle,
        again.handle,
      ];
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) {
        for (const secret of secrets) expect(line).not.toContain(secret);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        expect(parsed.requestId).toEqual(expect.any(String));
      }
      const events = lines.map((line) => (JSON.parse(line) as { event: string }).event);
      expect(events).toEqual(
        expect.arrayContaining(['sign_in', 'consent_denied', 'consent_given', 'token_issued', 'oauth_error']),
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('name the user by the pseudonymous grant user id, never by email, in every sign-in and consent event', async () => {
    const email = 'private.person@example.com';
    const logs = captureLogs();
    try {
      const client = await registerClient();
      const browser = new Browser();
      const path = authorizePath(client, (await pkce()).challenge);
      await signIn(browser, path, email);
      await decide(browser, await consentPage(browser, path), 'deny');
      const again = await consentPage(browser, path);
      await browser.postForm('/authorize', { ...again, scope: 'mcp', decision: 'approve', remember: 'yes' });
      expect((await browser.get(path)).status).toBe(302); // remembered
      const account = await (await browser.get('/account')).text();
      await browser.postForm('/account/revoke-all', { csrf: hiddenField(account, 'csrf') });

      const pseudonym = await grantUserId(`demo:${email}`);
      for (const line of logs.raw) {
        expect(line).not.toContain('private.person');
        expect(line).not.toContain('demo:');
      }
      const events = [
        'sign_in',
        'consent_denied',
        'consent_given',
        'consent_remembered',
        'grant_revoked',
      ].map((event) => logs.of(event)[0]);
      for (const line of events) {
        expect(line?.grantUserId, line?.event).toBe(pseudonym);
        expect(line).not.toHaveProperty('userId');
      }
    } finally {
      logs.restore();
    }
  });
});
