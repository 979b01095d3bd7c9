import { type AuthorizationError, CimdFetchError } from '@cloudflare/workers-oauth-provider';
import { ErrorPage } from '../pages/error';
import { SignInPage } from '../pages/sign-in';
import type { AppContext } from './env';
import { csrfToken } from './session';
import { signInChoices } from './sign-in/methods';

/** The sign-in page, for `returnTo` after signing in. */
export function signInPage(
  c: AppContext,
  returnTo: string,
  form?: { error: string; email: string },
  status: 200 | 400 | 403 = 200,
) {
  const url = new URL(c.req.url);
  const choices = signInChoices(c.env, url);
  return c.html(
    <SignInPage
      returnTo={returnTo}
      csrf={csrfToken(c)}
      demoEnabled={choices.demo}
      providers={choices.upstream}
      host={url.host}
      error={form?.error}
      email={form?.email}
    />,
    status,
  );
}

/** The body of a form post, or `null` when it is not one. */
export async function formOf(c: AppContext): Promise<FormData | null> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return null;
  try {
    return await c.req.raw.formData();
  } catch {
    return null;
  }
}

export function expiredForm(c: AppContext) {
  return c.html(
    <ErrorPage
      title="This form has expired"
      message="The form was not sent from this server's own page, or your browser's session for it has ended."
      hint="Go back, reload the page and try again."
    />,
    403,
  );
}

/** A message we wrote for an authorization failure; the library's descriptions are ours to show. */
export function describeError(error: AuthorizationError | CimdFetchError): string {
  if (error instanceof CimdFetchError) {
    return 'The app identifies itself with a metadata document that could not be fetched or is not valid.';
  }
  return error.description || 'The authorization request is not valid.';
}
