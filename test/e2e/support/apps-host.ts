import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CallToolResult,
  Client,
  StreamableHTTPClientTransport,
  type Tool,
} from '@modelcontextprotocol/client';
import type { McpUiResourceCsp } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { FrameLocator, Page } from 'playwright-core';
import type { ViewToOpen } from './apps-host/host-page.ts';

/**
 * A small MCP Apps host for the end-to-end tests, built as web hosts are: a page (on 127.0.0.1)
 * that renders a tool's view through a sandbox proxy on another origin (localhost), with ext-apps'
 * `AppBridge` (./apps-host/host-page.ts, ./apps-host/sandbox-proxy.ts), and the host's own MCP
 * connection to our server (an SDK client with the user's token), here in Node. The view's tool
 * calls reach that connection through `hostCallTool`; the browser never talks to our server.
 */

const here = dirname(fileURLToPath(import.meta.url));
const MCP_APP_HTML = 'text/html;profile=mcp-app';

type Esbuild = typeof import('esbuild');
const require = createRequire(import.meta.url);
const esbuild = require(
  createRequire(require.resolve('wrangler/package.json')).resolve('esbuild'),
) as Esbuild;

async function bundle(file: string): Promise<string> {
  const built = await esbuild.build({
    entryPoints: [join(here, 'apps-host', file)],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return built.outputFiles[0]?.text ?? '';
}

/** Only what a CSP source list may hold: no `;`, quotes, spaces or line breaks (basic-host's rule). */
function sources(domains: string[] | undefined, none: string): string {
  const safe = (domains ?? []).filter((domain) => typeof domain === 'string' && !/[;\r\n'" ]/.test(domain));
  return safe.length > 0 ? safe.join(' ') : none;
}

/**
 * The sandbox's CSP from the view's `_meta.ui.csp` (SEP-1865, "Host Behavior"): inline script and
 * styles (the view is one document), and only the origins the server declared.
 */
export function sandboxCsp(csp: McpUiResourceCsp): string {
  const resources = sources(csp.resourceDomains, '');
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' ${resources}`.trim(),
    `style-src 'unsafe-inline' ${resources}`.trim(),
    `img-src data: ${resources}`.trim(),
    `font-src data: ${resources}`.trim(),
    `media-src data: ${resources}`.trim(),
    `connect-src ${sources(csp.connectDomains, "'none'")}`,
    `frame-src ${sources(csp.frameDomains, "'none'")}`,
    `base-uri ${sources(csp.baseUriDomains, "'none'")}`,
    "object-src 'none'",
  ].join('; ');
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export interface RunningAppsHost {
  /** The host page's origin, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The sandbox proxy's page, on another origin (http://localhost:…/sandbox.html). */
  sandboxUrl: string;
  close: () => Promise<void>;
}

/** Serves the host page and, on another origin, the sandbox proxy. */
export async function startAppsHost(): Promise<RunningAppsHost> {
  const [hostScript, proxyScript] = await Promise.all([bundle('host-page.ts'), bundle('sandbox-proxy.ts')]);
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MCP Apps host (e2e)</title>
<style>body{font:15px system-ui,sans-serif;margin:0;padding:16px;background:#f4f4f5;color:#18181b}
h1{font-size:1rem;margin:0 0 12px}.call{font:13px ui-monospace,monospace;color:#52525b;margin:0 0 8px}
iframe#view{display:block;width:640px;height:200px;border:1px solid #d4d4d8;border-radius:10px;background:#fff}</style>
</head><body><h1>Conversation with the notes server</h1><div id="conversation"></div>
<script src="/host.js"></script></body></html>`;
  const hostServer = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://host').pathname;
    if (path === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
    else if (path === '/host.js')
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hostScript);
    else response.writeHead(404).end();
  });
  const sandboxServer = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    if (url.pathname !== '/sandbox.html') {
      response.writeHead(404).end();
      return;
    }
    let csp: McpUiResourceCsp = {};
    try {
      csp = JSON.parse(url.searchParams.get('csp') ?? '{}') as McpUiResourceCsp;
    } catch {}
    response
      .writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': sandboxCsp(csp),
      })
      .end(
        `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;height:100%;overflow:hidden}iframe{border:0;width:100%;height:100%;display:block}</style></head><body><script>${proxyScript}</script></body></html>`,
      );
  });
  const hostPort = await listen(hostServer, '127.0.0.1');
  const sandboxPort = await listen(sandboxServer, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${hostPort}`,
    sandboxUrl: `http://localhost:${sandboxPort}/sandbox.html`,
    close: async () => {
      hostServer.closeAllConnections();
      sandboxServer.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => hostServer.close(resolve)),
        new Promise((resolve) => sandboxServer.close(resolve)),
      ]);
    },
  };
}

/** The view of a tool: its HTML and CSP, read with `resources/read` as the spec says hosts do. */
export interface UiResource {
  html: string;
  csp: McpUiResourceCsp | undefined;
}

/**
 * The host's MCP connection for one user (their token): lists the tools, reads views, and makes
 * the tool calls of the model and of the views. A call the server refuses for a missing scope
 * (403 `insufficient_scope`) is reported as an error naming what the server asked for; a host
 * with a user at hand would start the step-up authorization there.
 */
export class HostConnection {
  readonly client = new Client({ name: 'e2e MCP Apps host', version: '1.0.0' });
  readonly challenges: string[] = [];
  tools = new Map<string, Tool>();
  readonly #serverUrl: string;
  readonly #token: string;

  constructor(serverUrl: string, token: string) {
    this.#serverUrl = serverUrl;
    this.#token = token;
  }

  async connect(): Promise<this> {
    const transport = new StreamableHTTPClientTransport(new URL(`${this.#serverUrl}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${this.#token}` } },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 403) this.challenges.push(response.headers.get('WWW-Authenticate') ?? '');
        return response;
      },
    });
    await this.client.connect(transport);
    const { tools } = await this.client.listTools();
    this.tools = new Map(tools.map((tool) => [tool.name, tool]));
    return this;
  }

  /** The `ui://` view a tool declares (`_meta.ui.resourceUri`), if any. */
  viewOf(name: string): string | undefined {
    const ui = this.tools.get(name)?._meta?.ui as { resourceUri?: unknown } | undefined;
    return typeof ui?.resourceUri === 'string' ? ui.resourceUri : undefined;
  }

  async readView(uri: string): Promise<UiResource> {
    const { contents } = await this.#refusedAsError(() => this.client.readResource({ uri }));
    const [content] = contents;
    if (contents.length !== 1 || !content || !('text' in content)) throw new Error(`${uri}: not one text`);
    if (content.mimeType !== MCP_APP_HTML) throw new Error(`${uri}: ${content.mimeType} is no MCP App`);
    const ui = content._meta?.ui as { csp?: McpUiResourceCsp } | undefined;
    return { html: content.text, csp: ui?.csp };
  }

  /** A tool call, as the model's or a view's; a tool without `app` visibility refuses the view. */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    from: 'model' | 'view',
  ): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (!tool) throw new Error(`The server has no tool ${name}.`);
    const visibility = (tool._meta?.ui as { visibility?: string[] } | undefined)?.visibility ?? [
      'model',
      'app',
    ];
    if (!visibility.includes(from === 'view' ? 'app' : 'model')) {
      throw new Error(`The tool ${name} is not for the ${from}.`);
    }
    return (await this.#refusedAsError(() =>
      this.client.callTool({ name, arguments: args }),
    )) as CallToolResult;
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }

  async #refusedAsError<T>(request: () => Promise<T>): Promise<T> {
    const before = this.challenges.length;
    try {
      return await request();
    } catch (error) {
      const challenge = this.challenges.slice(before).at(-1);
      if (challenge === undefined) throw error;
      const description = /error_description="([^"]*)"/.exec(challenge)?.[1] ?? 'more permission is needed';
      const scope = /scope="([^"]*)"/.exec(challenge)?.[1] ?? '';
      throw new Error(`Permission needed (insufficient_scope): ${description}. Allow "${scope}" to go on.`);
    }
  }
}

/**
 * What the model would do, as the host shows it: calls `tool` with `args` over the connection and
 * renders its view in `page` (on the host page of `host`). Returns the view's frame (the iframe
 * inside the sandbox proxy).
 */
export async function openToolView(
  page: Page,
  host: RunningAppsHost,
  connection: HostConnection,
  tool: string,
  args: Record<string, unknown>,
): Promise<FrameLocator> {
  const uri = connection.viewOf(tool);
  if (!uri) throw new Error(`${tool} has no view`);
  const [toolResult, view] = await Promise.all([
    connection.callTool(tool, args, 'model'),
    connection.readView(uri),
  ]);
  await page.exposeFunction('hostCallTool', (params: { name: string; arguments?: Record<string, unknown> }) =>
    connection.callTool(params.name, params.arguments ?? {}, 'view'),
  );
  await page.goto(host.url);
  const listed = connection.tools.get(tool);
  if (!listed) throw new Error(`${tool} is not listed`);
  const toOpen: ViewToOpen = {
    sandboxUrl: host.sandboxUrl,
    html: view.html,
    csp: view.csp,
    tool: listed,
    toolInput: args,
    toolResult,
  };
  // As JSON: the result and tool types are too deep for Playwright's argument typing.
  await page.evaluate((open) => window.openView(JSON.parse(open) as ViewToOpen), JSON.stringify(toOpen));
  return page.frameLocator('#view').frameLocator('iframe');
}
