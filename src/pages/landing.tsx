import type { SignedInUser } from '../auth/props';
import { tools } from '../features/index';
import { Layout } from './layout';

export interface LandingPageProps {
  /** This server's origin, as the browser reached it. */
  origin: string;
  user: SignedInUser | null;
  csrf: string;
}

/** What this server is and how to connect each kind of client to it, with this host's URLs. */
export function LandingPage({ origin, user, csrf }: LandingPageProps) {
  const mcpUrl = `${origin}/mcp`;
  const sseUrl = `${origin}/sse`;
  const claudeConfig = JSON.stringify(
    { mcpServers: { 'remote-mcp': { command: 'npx', args: ['mcp-remote', mcpUrl] } } },
    null,
    2,
  );
  return (
    <Layout title="Remote MCP server" user={user} csrf={csrf}>
      <div class="card">
        <h1>Remote MCP server</h1>
        <p>
          An MCP server on Cloudflare Workers. Apps connect to it over MCP, and you sign in and approve each
          app with OAuth 2.1: the app gets a token for this server, never your password.
        </p>
        <dl class="facts">
          <dt>MCP endpoint</dt>
          <dd>
            <code>{mcpUrl}</code>
          </dd>
          <dt>Older clients (SSE)</dt>
          <dd>
            <code>{sseUrl}</code>
          </dd>
          <dt>Tools</dt>
          <dd>
            {tools.map((tool, index) => (
              <>
                {index > 0 ? ', ' : ''}
                <code>{tool.name}</code>
              </>
            ))}
          </dd>
        </dl>
        {user ? (
          <p class="muted">
            You are signed in as {user.email || user.name}. <a href="/account">Connected apps</a>: see and
            revoke the apps you allowed.
          </p>
        ) : (
          <p class="muted">
            <a href="/signin">Sign in</a> now, or when an app first connects.
          </p>
        )}
      </div>

      <div class="card">
        <h2>Clients with remote MCP support</h2>
        <p>
          Claude, ChatGPT, Cursor, VS Code and others: add a remote (HTTP) MCP server with the URL{' '}
          <code>{mcpUrl}</code>. The app opens this server's sign-in page in your browser.
        </p>
      </div>

      <div class="card">
        <h2>MCP Inspector</h2>
        <pre>npx @modelcontextprotocol/inspector</pre>
        <p>
          Choose the transport <em>Streamable HTTP</em> with <code>{mcpUrl}</code> (or <em>SSE</em> with{' '}
          <code>{sseUrl}</code>), then connect and follow the sign-in.
        </p>
      </div>

      <div class="card">
        <h2>Claude Desktop, through mcp-remote</h2>
        <p>
          In Settings → Developer → Edit Config, add to <code>claude_desktop_config.json</code>, then restart
          Claude:
        </p>
        <pre>{claudeConfig}</pre>
        <p class="muted">
          For the old SSE transport use <code>{sseUrl}</code> and add <code>"--transport", "sse-only"</code>.
        </p>
      </div>

      <div class="card">
        <h2>Starting over</h2>
        <p>
          mcp-remote keeps its registration and tokens in <code>~/.mcp-auth</code>. If a connection keeps
          failing after the server changed (a new port, a reset local state), remove it and connect again:
        </p>
        <pre>rm -rf ~/.mcp-auth</pre>
      </div>
    </Layout>
  );
}
