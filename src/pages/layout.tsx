import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { SignedInUser } from '../auth/props';

export interface LayoutProps {
  title: string;
  /** The signed-in user, shown with a sign-out button. */
  user?: SignedInUser | null;
  csrf?: string;
  narrow?: boolean;
  children?: Child;
}

/** The frame of every page: our stylesheet, the header with who is signed in, no scripts. */
export function Layout({ title, user, csrf, narrow, children }: LayoutProps) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{title}</title>
          <link rel="stylesheet" href="/assets/style.css" />
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/">
              Remote MCP server
            </a>
            {user && csrf ? (
              <div class="who">
                <span>
                  Signed in as <strong>{user.email || user.name}</strong>
                </span>
                <form method="post" action="/signout">
                  <input type="hidden" name="csrf" value={csrf} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </div>
            ) : null}
          </header>
          <main class={narrow ? 'narrow' : undefined}>{children}</main>
          <footer>MCP over OAuth 2.1 on Cloudflare Workers</footer>
        </body>
      </html>
    </>
  );
}
