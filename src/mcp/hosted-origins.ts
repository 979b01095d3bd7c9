/**
 * Origins that hosted MCP clients send on their requests to a remote server, each with the public
 * report it comes from. These are valid `Origin`s on the MCP routes of any deployment (add your
 * own with `ALLOWED_ORIGINS`). Keep the list to origins that are seen in the wild: each entry lets
 * pages of that site call the MCP routes from a browser, with a token the user gave them.
 */
export const HOSTED_CLIENT_ORIGINS: readonly { origin: string; client: string; source: string }[] = [
  {
    origin: 'https://claude.ai',
    client: 'Claude (claude.ai, Desktop connectors)',
    source: 'SocketDev/socket-mcp#214 (Claude Desktop connector sends Origin: https://claude.ai)',
  },
  {
    origin: 'https://claude.com',
    client: 'Claude (claude.com)',
    source: 'koala73/worldmonitor#4802 (allowlist of claude.ai and claude.com for Claude web clients)',
  },
  {
    origin: 'https://chatgpt.com',
    client: 'ChatGPT (developer mode, apps)',
    source:
      'koala73/worldmonitor#4802, actionhero/keryx#499, chrisdoc/hevy-mcp#720 (403s on Origin: https://chatgpt.com)',
  },
  {
    origin: 'https://playground.ai.cloudflare.com',
    client: 'Cloudflare Workers AI playground (a browser MCP client)',
    source: 'developers.cloudflare.com/agents/guides/test-remote-mcp-server',
  },
];
