import { describe, expect, it, vi } from 'vitest';
import { Browser, hiddenField, ORIGIN } from './support/browser';
import { tokenStatus } from './support/mcp';
import {
  authorizePath,
  connect,
  consentPage,
  decide,
  exchangeCode,
  pkce,
  REDIRECT_URI,
  redirectOf,
  refreshWith,
  registerClient,
  signIn,
  type Tokens,
  tokenRequest,
} from './support/oauth';
import { OFF_ORIGIN_RETURN_TOS, resolvedOrigin } from './support/return-to';

const XSS_NAME = '<img src=x onerror=alert(1)>';

describe('authorization code flow', () => {
  it('signs in, asks for consent, and issues tokens for this resource', async () => {
    const client = await registerClient({ client_name: XSS_NAME });
    const browser = new Browser();
    const { verifier, challenge } = await pkce();
    const path = authorizePath(client, challenge, { state: 'xyz-state' });

    // Not signed in: the sign-in page, with email and password inputs.
    const signInPage = await browser.get(path);
    expect(signInPage.status).toBe(200);
    const signInHtml = await signInPage.text();
    expect(signInHtml).toContain('<input id="email" type="email" name="email"');
    expect(signInHtml).toContain('<input id="password" type="password" name="password"');
    expect(hiddenField(signInHtml, 'return_to')).toBe(path.replaceAll('&', '&amp;'));

    // Signing in returns to the authorization request.
    const signedIn = await browser.postForm('/signin', {
      csrf: hiddenField(signInHtml, 'csrf'),
      return_to: path,
      email: 'Ada@Example.com',
      password: 'pw',
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('Location')).toBe(path);
    expect(browser.cookies.has('__Host-session')).toBe(true);

    // The consent page: the client's name escaped, where the token goes, the loopback warning.
    const { html, ...consent } = await consentPage(browser, path);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(XSS_NAME);
    expect(html).not.toContain('<img');
    expect(html).toContain('<strong>127.0.0.1</strong>');
    expect(html).toContain('This sends access to an app on your computer.');
    expect(html).toContain('ada@example.com');
    expect(html).toContain('This app registered itself: its name is not verified.');

    // Allow: back to the app with a code, its state and our issuer (RFC 9207).
    const redirect = redirectOf(await decide(browser, consent, 'approve'));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('state')).toBe('xyz-state');
    expect(redirect.searchParams.get('iss')).toBe(ORIGIN);
    const code = redirect.searchParams.get('code');
    expect(code).toEqual(expect.any(String));

    // The code and the PKCE verifier buy an access and a refresh token for this origin.
    const response = await exchangeCode(client, code ?? '', verifier);
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Tokens;
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'mcp', resource: ORIGIN, expires_in: 3600 });
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await tokenStatus(tokens.access_token)).toBe(200);

    // A code works once.
    expect((await exchangeCode(client, code ?? '', verifier)).status).toBe(400);
  });

  it('does not warn about a local app when the redirect goes to an https host', async () => {
    const client = await registerClient({ redirect_uris: ['https://app.example/callback'] });
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const { html } = await consentPage(browser, path);
    expect(html).toContain('<strong>app.example</strong>');
    expect(html).not.toContain('This sends access to an app on your computer.');
  });

  it('Deny sends the app access_denied with its state and no code', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge, { state: 'deny-state' });
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    const redirect = redirectOf(await decide(browser, consent, 'deny'));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('deny-state');
    expect(redirect.searchParams.get('iss')).toBe(ORIGIN);
    expect(redirect.searchParams.has('code')).toBe(false);
  });

  it('a consent page answers once', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    expect((await decide(browser, consent, 'approve')).status).toBe(302);
    const again = await decide(browser, consent, 'approve');
    expect(again.status).toBe(400);
    expect(again.headers.has('Location')).toBe(false);
  });

  it('refuses consent posted from another browser (no consent cookie) with our page, no redirect', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const consent = await consentPage(browser, path);

    const other = new Browser();
    await signIn(other, '/signin', 'mallory@example.com');
    const response = await decide(other, consent, 'approve');
    expect(response.status).toBe(400);
    expect(response.headers.has('Location')).toBe(false);
    expect(await response.text()).toContain('This page has expired');
  });

  it('refuses consent from a browser that is signed out', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    browser.cookies.delete('__Host-session');
    const response = await decide(browser, consent, 'approve');
    expect(response.status).toBe(403);
    expect(response.headers.has('Location')).toBe(false);
  });
});

describe('PKCE', () => {
  it('is required for a public client: the app gets invalid_request', async () => {
    const client = await registerClient();
    const redirect = redirectOf(await new Browser().get(authorizePath(client, null, { state: 's1' })));
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.get('state')).toBe('s1');
    expect(redirect.searchParams.has('code')).toBe(false);
  });

  it('refuses the plain method', async () => {
    const client = await registerClient();
    const { verifier } = await pkce();
    const redirect = redirectOf(
      await new Browser().get(authorizePath(client, verifier, { method: 'plain' })),
    );
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.has('code')).toBe(false);
  });

  it('refuses a code exchanged with the wrong verifier', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { challenge } = await pkce();
    const path = authorizePath(client, challenge);
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    const code = redirectOf(await decide(browser, consent, 'approve')).searchParams.get('code') ?? '';
    const response = await exchangeCode(client, code, (await pkce()).verifier);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a code exchanged without a verifier', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path);
    const consent = await consentPage(browser, path);
    const code = redirectOf(await decide(browser, consent, 'approve')).searchParams.get('code') ?? '';
    const response = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^invalid_(grant|request)$/);
  });
});

describe('sign-in form', () => {
  it('refuses a post without the CSRF field: 403, not signed in', async () => {
    const browser = new Browser();
    await browser.get('/signin'); // sets the CSRF cookie
    const response = await browser.postForm('/signin', { email: 'ada@example.com', password: 'pw' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('This form has expired');
    expect(response.headers.getSetCookie().join('\n')).not.toContain('__Host-session=');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('refuses a post with a CSRF field that is not the cookie', async () => {
    const browser = new Browser();
    await browser.get('/signin');
    const response = await browser.postForm('/signin', {
      csrf: 'A'.repeat(43),
      email: 'ada@example.com',
      password: 'pw',
    });
    expect(response.status).toBe(403);
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('refuses a CSRF field of another length (403, not an error) or differing in its last character', async () => {
    const browser = new Browser();
    const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
    const last = csrf.endsWith('A') ? 'B' : 'A';
    for (const forged of [`${csrf}A`, csrf.slice(0, -1), `${csrf.slice(0, -1)}${last}`, 'é'.repeat(43)]) {
      const response = await browser.postForm('/signin', {
        csrf: forged,
        email: 'ada@example.com',
        password: 'pw',
      });
      expect(response.status).toBe(403);
    }
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('compares the CSRF token in constant time (crypto.subtle.timingSafeEqual), not with ===', async () => {
    const browser = new Browser();
    const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
    const compare = vi.spyOn(crypto.subtle, 'timingSafeEqual');
    try {
      const response = await browser.postForm('/signin', { csrf, email: 'ada@example.com', password: 'pw' });
      expect(response.status).toBe(303);
      const token = new TextEncoder().encode(csrf);
      expect(compare).toHaveBeenCalledWith(token, token);
    } finally {
      compare.mockRestore();
    }
  });

  it('refuses a post from another origin even with the right token', async () => {
    const browser = new Browser();
    const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
    const response = await browser.postForm(
      '/signin',
      { csrf, email: 'ada@example.com', password: 'pw' },
      { Origin: 'https://evil.example' },
    );
    expect(response.status).toBe(403);
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('answers a bad email with 400 and says what is wrong', async () => {
    const browser = new Browser();
    const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
    const response = await browser.postForm('/signin', { csrf, email: 'not-an-email', password: 'pw' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Enter a valid email address, like ada@example.com.');
    expect(html).toContain('value="not-an-email"');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('never returns to another host after signing in', async () => {
    const browser = new Browser();
    const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
    const response = await browser.postForm('/signin', {
      csrf,
      return_to: '//evil.example/steal',
      email: 'ada@example.com',
      password: 'pw',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('/');
  });

  it.each(OFF_ORIGIN_RETURN_TOS)(
    'never returns to another host with return_to %j, signing in or signed in',
    async (returnTo) => {
      const browser = new Browser();
      const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
      const signedIn = await browser.postForm('/signin', {
        csrf,
        return_to: returnTo,
        email: 'ada@example.com',
        password: 'pw',
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.get('Location')).toBe('/');
      // Signed in, GET /signin answers at once with the redirect: no page in between.
      const again = await browser.get(`/signin?return_to=${encodeURIComponent(returnTo)}`);
      expect(again.status).toBe(303);
      expect(again.headers.get('Location')).toBe('/');
      expect(resolvedOrigin(again.headers.get('Location'), ORIGIN)).toBe(ORIGIN);
    },
  );
});

describe('tokens', () => {
  it('rotates the refresh token; the old access token keeps working', async () => {
    const { client, tokens } = await connect();
    const refreshed = await refreshWith(client, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Tokens;
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.resource).toBe(ORIGIN);
    expect(await tokenStatus(next.access_token)).toBe(200);
    expect(await tokenStatus(tokens.access_token)).toBe(200);

    // Once the new refresh token is used, the first one is spent.
    const third = await refreshWith(client, next.refresh_token);
    expect(third.status).toBe(200);
    const replay = await refreshWith(client, tokens.refresh_token);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes an access token (RFC 7009): it then gets 401', async () => {
    const { client, tokens } = await connect();
    expect(await tokenStatus(tokens.access_token)).toBe(200);
    const revoked = await tokenRequest({
      token: tokens.access_token,
      token_type_hint: 'access_token',
      client_id: client.client_id,
    });
    expect(revoked.status).toBe(200);
    expect(await tokenStatus(tokens.access_token)).toBe(401);
  });

  it('revoking the refresh token ends the grant: refresh and access token both stop working', async () => {
    const { client, tokens } = await connect();
    const revoked = await tokenRequest({
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(revoked.status).toBe(200);
    expect(await tokenStatus(tokens.access_token)).toBe(401);
    const refresh = await refreshWith(client, tokens.refresh_token);
    expect(refresh.status).toBe(400);
  });

  it('another client cannot revoke a token that is not its own', async () => {
    const { tokens } = await connect();
    const stranger = await registerClient();
    const response = await tokenRequest({ token: tokens.access_token, client_id: stranger.client_id });
    expect(response.status).toBe(200); // RFC 7009 §2.2: the same answer, and nothing happens
    expect(await tokenStatus(tokens.access_token)).toBe(200);
  });

  it.each([
    ['refresh_token', { grant_type: 'refresh_token', refresh_token: `${'a'.repeat(600)}:b:c` }],
    [
      'code',
      { grant_type: 'authorization_code', code: `${'a'.repeat(600)}:b:c`, code_verifier: 'v'.repeat(43) },
    ],
    ['revocation', { token: `${'a'.repeat(600)}:b:c` }],
  ])('answers an oversized %s as an invalid one, not a 500', async (_name, fields) => {
    const client = await registerClient();
    const response = await tokenRequest({
      ...fields,
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
    });
    expect(response.status).toBeLessThan(500);
    if (!('token' in fields)) expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
