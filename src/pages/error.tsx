import { Layout } from './layout';

export interface ErrorPageProps {
  title: string;
  message: string;
  /** What the reader can do about it. */
  hint?: string;
  /** A way on: e.g. back to the app that asked, with an OAuth error it understands. */
  action?: { href: string; label: string };
}

export function ErrorPage({ title, message, hint, action }: ErrorPageProps) {
  return (
    <Layout title={title} narrow>
      <div class="card error">
        <h1>{title}</h1>
        <p>{message}</p>
        {hint ? <p class="muted">{hint}</p> : null}
        {action ? (
          <p class="actions">
            <a class="button primary" href={action.href}>
              {action.label}
            </a>
          </p>
        ) : null}
        <p>
          <a href="/">Back to the start page</a>
        </p>
      </div>
    </Layout>
  );
}
