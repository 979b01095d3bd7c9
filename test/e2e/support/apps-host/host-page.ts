/**
 * The page of a small MCP Apps host, in the browser: a conversation with one tool call, whose view
 * it renders the way web hosts (Claude, ChatGPT) do: a sandbox proxy iframe on another origin, the
 * view's HTML inside it, and ext-apps' `AppBridge` speaking to the view over `postMessage`
 * (SEP-1865, "Sandbox proxy"). The view's tool calls go to `hostCallTool`, which the test exposes:
 * the host's own MCP connection to the server, in Node (../apps-host.ts). Bundled by esbuild there.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import {
  AppBridge,
  type McpUiHostContext,
  type McpUiResourceCsp,
  PostMessageTransport,
} from '@modelcontextprotocol/ext-apps/app-bridge';

export interface ViewToOpen {
  /** The sandbox proxy page, on an origin other than this page's. */
  sandboxUrl: string;
  html: string;
  csp: McpUiResourceCsp | undefined;
  /** The tool call the view belongs to: the tool as listed, its arguments and its result. */
  tool: Tool;
  toolInput: Record<string, unknown>;
  toolResult: CallToolResult;
}

declare global {
  interface Window {
    hostCallTool: (params: { name: string; arguments?: Record<string, unknown> }) => Promise<CallToolResult>;
    openView: (view: ViewToOpen) => Promise<void>;
  }
}

const HOST_CONTEXT: McpUiHostContext = {
  theme: 'light',
  displayMode: 'inline',
  availableDisplayModes: ['inline'],
  locale: 'en-GB',
  timeZone: 'UTC',
  platform: 'web',
  containerDimensions: { width: 640, maxHeight: 1200 },
};

window.openView = async (view: ViewToOpen) => {
  const conversation = document.getElementById('conversation');
  if (!conversation) throw new Error('no #conversation');
  const call = document.createElement('p');
  call.className = 'call';
  call.textContent = `Called ${view.tool.name} ${JSON.stringify(view.toolInput)}`;
  const iframe = document.createElement('iframe');
  iframe.id = 'view';
  iframe.title = `${view.tool.title ?? view.tool.name}: view`;
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  const proxyReady = new Promise<void>((resolve) => {
    window.addEventListener('message', function onReady(event) {
      if (event.source !== iframe.contentWindow) return;
      if (event.data?.method !== 'ui/notifications/sandbox-proxy-ready') return;
      window.removeEventListener('message', onReady);
      resolve();
    });
  });
  const sandbox = new URL(view.sandboxUrl);
  sandbox.searchParams.set('csp', JSON.stringify(view.csp ?? {}));
  iframe.src = sandbox.href;
  conversation.append(call, iframe);
  await proxyReady;

  const bridge = new AppBridge(
    null,
    { name: 'e2e MCP Apps host', version: '1.0.0' },
    { serverTools: {}, logging: {} },
    { hostContext: { ...HOST_CONTEXT, toolInfo: { tool: view.tool } } },
  );
  // Every tool call of the view goes through the host's connection, with the user's grant.
  bridge.oncalltool = (params) => window.hostCallTool({ name: params.name, arguments: params.arguments });
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) iframe.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  const frame = iframe.contentWindow;
  if (!frame) throw new Error('the sandbox iframe has no window');
  await bridge.connect(new PostMessageTransport(frame, frame));
  await bridge.sendSandboxResourceReady({ html: view.html, csp: view.csp });
  await initialized;
  await bridge.sendToolInput({ arguments: view.toolInput });
  await bridge.sendToolResult(view.toolResult);
  document.body.dataset.view = 'ready';
};
