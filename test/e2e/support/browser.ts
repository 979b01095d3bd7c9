import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-chromium.sh installs it); `npx playwright install` fails offline. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that work as root and offline (see /work/shared/CLIENTS.md); the user-data-dir is fresh per launch. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots of failed browser flows go (git-ignored). */
export const ARTIFACTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-results');

export interface LaunchedBrowser {
  context: BrowserContext;
  close: () => Promise<void>;
}

/**
 * Starts headless Debian Chromium with a fresh profile (no cookies, no session, as a new user's
 * browser), made under `profileParent` (the system temporary directory by default).
 */
export async function launchBrowser(
  profileParent: string = tmpdir(),
  extraArgs: string[] = [],
): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: run \`bash scripts/ensure-chromium.sh\` first.`);
  }
  const userDataDir = mkdtempSync(join(profileParent, 'e2e-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(30_000);
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

export type Decision = 'allow' | 'deny';

/** Signing in through an identity provider instead of the demo form. */
export interface UpstreamSignIn {
  /** The provider's name on the sign-in button: "Continue with <name>". */
  name: string;
  /** The login to type on the provider's page (oidc-provider's development login). */
  login?: string;
  /** Cancel at the provider instead of signing in (it answers `error=access_denied`). */
  cancel?: boolean;
}

export interface AuthorizeOptions {
  /** The demo sign-in accepts any email and any password. */
  email: string;
  /** Sign in through this provider after Allow, instead of the demo form before consent. */
  upstream?: UpstreamSignIn;
  password?: string;
  decision?: Decision;
  /** Names the screenshots saved when the flow fails. */
  label?: string;
  /** Where to make the browser profile (see {@link launchBrowser}). */
  profileParent?: string;
  /** Scopes to untick on the consent page before answering (the user grants less than asked). */
  uncheck?: string[];
}

/** What the user saw on the way, and where the browser ended up. */
export interface AuthorizeResult {
  /** The URL the browser was redirected to: the app's loopback callback, with `code` or `error`. */
  callbackUrl: URL;
  /** The heading of the sign-in page. */
  signInHeading: string;
  /** The heading of the consent page, e.g. "Allow My App to use this server as you?". */
  consentHeading: string;
  /** The whole visible text of the consent page. */
  consentText: string;
  /** A page of ours the browser stopped at after the provider (a refusal), before going back. */
  stoppedAt?: { heading: string; text: string };
}

/**
 * Plays the user in a real browser: opens `authorizationUrl`, signs in through the demo form,
 * answers the consent page, and waits for the redirect to the app's callback (the authorization
 * request's `redirect_uri`). On failure, saves a screenshot of every page it saw to test-results/
 * and says where.
 *
 * The callback is taken from the server's redirect itself (its `Location`), so it works for every
 * kind of redirect URI: an app's loopback listener, a hosted client's https callback (Claude's,
 * ChatGPT's: outside this machine, so the browser is shown a stand-in page there), and a native
 * app's private-use scheme (`cursor://…`), which a browser hands to the operating system.
 */
export async function authorizeInBrowser(
  authorizationUrl: string | URL,
  options: AuthorizeOptions,
): Promise<AuthorizeResult> {
  const target = new URL(authorizationUrl);
  const redirectUri = target.searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error(`The authorization URL has no redirect_uri: ${target.href}`);
  const decision = options.decision ?? 'allow';
  const label = options.label ?? 'authorize';
  const browser = await launchBrowser(options.profileParent);
  const shots: Array<{ step: string; png: Buffer }> = [];
  let page: Page | undefined;
  const snap = async (step: string) => {
    if (!page) return;
    try {
      shots.push({ step, png: await page.screenshot({ fullPage: true, timeout: 10_000 }) });
    } catch {}
  };
  try {
    page = await browser.context.newPage();
    await page.goto(target.href);

    const signInHeading = page.getByRole('heading', { level: 1 });
    await signInHeading.waitFor();
    const signInTitle = (await signInHeading.textContent())?.trim() ?? '';
    await snap('sign-in');
    if (signInTitle !== 'Sign in') {
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
      const shown = (await page.locator('main').innerText()).replace(/\s+/g, ' ').trim();
      throw new Error(`Expected the sign-in page, but the browser shows: ${shown}`);
    }
    if (options.upstream) {
      await page.getByRole('link', { name: `Continue with ${options.upstream.name}`, exact: true }).click();
    } else {
      await page.getByLabel('Email').fill(options.email);
      await page.getByLabel('Password').fill(options.password ?? 'correct horse battery staple');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }

    const consentHeading = page.getByRole('heading', {
      level: 1,
      name: /^Allow .+ to use this server as you\?$/,
    });
    await consentHeading.waitFor();
    const consentTitle = (await consentHeading.textContent())?.trim() ?? '';
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
    const consentText = await page.locator('main').innerText();
    for (const scope of options.uncheck ?? []) {
      await page.locator(`input[type="checkbox"][name="scope"][value="${scope}"]`).uncheck();
    }
    await snap('consent');

    const redirected = redirectTo(page, redirectUri);
    await page.getByRole('button', { name: decision === 'allow' ? 'Allow' : 'Deny', exact: true }).click();
    let stoppedAt: AuthorizeResult['stoppedAt'];
    if (options.upstream && decision === 'allow') {
      stoppedAt = await playProvider(page, options.upstream, target.origin, redirectUri, snap);
    }
    const callbackUrl = await redirected;
    return { callbackUrl, signInHeading: signInTitle, consentHeading: consentTitle, consentText, stoppedAt };
  } catch (error) {
    await snap('failure');
    const saved = saveScreenshots(label, shots);
    const where = page ? page.url() : '(no page)';
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Browser flow failed at ${where}: ${message}\nScreenshots: ${saved.join(', ') || 'none'}`,
      {
        cause: error,
      },
    );
  } finally {
    await browser.close();
  }
}

/**
 * Where the page is sent at `redirectUri`. A loopback callback is the app's own listener on this
 * machine: the browser goes there (and the listener sees it) before this resolves. A hosted
 * client's https callback is on the internet: the browser is shown a stand-in page there. A
 * private-use scheme is for the operating system: the server's `Location` says where it went.
 */
async function redirectTo(page: Page, redirectUri: string): Promise<URL> {
  const target = new URL(redirectUri);
  const web = target.protocol === 'https:' || target.protocol === 'http:';
  if (web && isLoopback(target.hostname)) {
    await page.waitForURL((url) => url.href.startsWith(redirectUri), { waitUntil: 'commit' });
    return new URL(page.url());
  }
  // Listening before anything is awaited: the click that leads there is already on its way.
  const located = new Promise<URL>((resolve) => {
    page.on('response', (response) => {
      const location = response.headers().location;
      if (location && new URL(location, response.url()).href.startsWith(redirectUri)) {
        resolve(new URL(location, response.url()));
      }
    });
  });
  if (web) {
    await page.route(
      (url) => url.href.startsWith(redirectUri),
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: '<!doctype html><title>Client callback</title><h1>Back at the app</h1>',
        }),
    );
  }
  return located;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

/**
 * Plays the user at the identity provider until the browser is back: at oidc-provider's
 * development pages (login form, then "Continue"), at the GitHub stand-in ("Authorize"), or
 * "[ Cancel ]" to decline. When the browser stops at a page of ours instead (a refusal), records
 * it and follows its "Return to …" link, which brings the app its OAuth error.
 */
async function playProvider(
  page: Page,
  upstream: UpstreamSignIn,
  serverOrigin: string,
  redirectUri: string,
  snap: (step: string) => Promise<void>,
): Promise<AuthorizeResult['stoppedAt']> {
  for (let step = 0; step < 8; step++) {
    await page.waitForLoadState('domcontentloaded');
    const here = page.url();
    if (here.startsWith(redirectUri)) return undefined;
    if (new URL(here).origin === serverOrigin) {
      const heading = (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
      const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ').trim();
      await snap('stopped');
      const back = page.getByRole('link', { name: /^Return to / });
      if ((await back.count()) === 0) throw new Error(`Stopped at ${here}: ${text}`);
      await back.click();
      return { heading, text };
    }
    await snap(`provider-${step}`);
    const moved = page.waitForURL((url) => url.href !== here, { waitUntil: 'commit' });
    if (upstream.cancel) {
      await page.getByText('[ Cancel ]').click();
    } else if ((await page.locator('input[name="login"]').count()) > 0) {
      await page.locator('input[name="login"]').fill(upstream.login ?? 'ada');
      await page.locator('input[name="password"]').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
    } else {
      await page.getByRole('button', { name: /^(Continue|Authorize)/ }).click();
    }
    await moved;
  }
  throw new Error(`Still at the provider after 8 steps: ${page.url()}`);
}

function saveScreenshots(label: string, shots: Array<{ step: string; png: Buffer }>): string[] {
  if (shots.length === 0) return [];
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, '-');
  return shots.map(({ step, png }, index) => {
    const file = join(ARTIFACTS_DIR, `${safe}-${stamp}-${index + 1}-${step}.png`);
    writeFileSync(file, png);
    return file;
  });
}

/** Path of the `$BROWSER` script for mcp-remote (the `open` package's xdg-open runs `$BROWSER <url>`). */
export const BROWSER_OPEN_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), 'browser-open.mjs');

/** What the background browser helper reports, one file per sign-in it played. */
export interface HelperReport {
  pid: number;
  url: string;
  ok: boolean;
  callbackUrl?: string;
  consentHeading?: string;
  error?: string;
}

export interface BrowserCommand {
  /** Environment for the process that opens the browser (mcp-remote): `BROWSER` and the helper's settings. */
  env: Record<string, string>;
  /** Reports of finished helpers so far. */
  reports: () => HelperReport[];
  /** Waits until at least `count` helpers have finished (they close Chromium after the callback). */
  waitForReports: (count: number, timeoutMs: number) => Promise<HelperReport[]>;
  /** Ends any helper still running (by its recorded pid) and removes the state directory. */
  cleanup: () => Promise<void>;
}

/**
 * A `$BROWSER` for a client that opens the sign-in page itself (mcp-remote): each URL it opens is
 * answered by a background helper that drives headless Chromium (see browser-open.mjs).
 */
export function browserCommand(options: AuthorizeOptions): BrowserCommand {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-browser-helper-'));
  const env = {
    BROWSER: BROWSER_OPEN_SCRIPT,
    E2E_BROWSER_DIR: dir,
    E2E_BROWSER_EMAIL: options.email,
    E2E_BROWSER_DECISION: options.decision ?? 'allow',
    E2E_BROWSER_LABEL: options.label ?? 'browser-helper',
    E2E_BROWSER_UPSTREAM: options.upstream ? JSON.stringify(options.upstream) : '',
  };
  const files = (prefix: string) => readdirSync(dir).filter((name) => name.startsWith(prefix));
  const reports = () =>
    files('report-').map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as HelperReport);
  const logs = () =>
    files('helper-')
      .map((name) => readFileSync(join(dir, name), 'utf8'))
      .join('\n');
  return {
    env,
    reports,
    waitForReports: async (count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const done = reports();
        if (done.length >= count) return done;
        if (Date.now() > deadline) {
          throw new Error(
            `${done.length} of ${count} browser helpers finished within ${timeoutMs / 1000} s; ` +
              `started: ${files('pid-').length}\nhelper output:\n${logs()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    cleanup: async () => {
      for (const name of files('pid-')) {
        const pid = Number(name.slice(4));
        if (
          Number.isInteger(pid) &&
          pid > 0 &&
          !existsSync(join(dir, `report-${pid}.json`)) &&
          isHelper(pid)
        ) {
          try {
            process.kill(-pid, 'SIGKILL'); // the helper leads its own process group
          } catch {}
        }
      }
      // Chromium (its own process group) exits when the helper's pipe closes; let it finish
      // writing its profile, which lives in `dir`, before removing it.
      const deadline = Date.now() + 10_000;
      while (processesMentioning(dir) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** Whether any running process has `text` in its command line (e.g. a Chromium profile path). */
function processesMentioning(text: string): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) return true;
    } catch {}
  }
  return false;
}

/** Whether `pid` is still one of our browser helpers (and not a recycled pid). */
function isHelper(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('browser-helper');
  } catch {
    return false;
  }
}
