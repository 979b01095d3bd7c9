import { Layout } from './layout';

export interface ErrorPageProps {
  title: string;
  message: string;
  /** What the reader can do about it. */
  hint?: string;
}

export function ErrorPage({ title, message, hint }: ErrorPageProps) {
  return (
    <Layout title={title} narrow>
      <div class="card error">
        <h1>{title}</h1>
        <p>{message}</p>
        {hint ? <p class="muted">{hint}</p> : null}
        <p>
          <a href="/">Back to the start page</a>
        </p>
      </div>
    </Layout>
  );
}
