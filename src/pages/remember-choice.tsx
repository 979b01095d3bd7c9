/**
 * "Remember my choice" on the consent page: with it ticked, Allow also remembers the approval
 * for this app, redirect URI and scopes, for the signed-in user in this browser
 * (src/auth/consent-memory.ts). Unticked by default: skipping the page is the user's choice.
 */
export function RememberChoice({ clientName }: { clientName: string }) {
  return (
    <p class="remember">
      <input id="remember" type="checkbox" name="remember" value="yes" />
      <label for="remember">
        Remember my choice: next time, let <span class="client-name">{clientName}</span> connect without
        asking for the same access. Revoking the app under Connected apps undoes it.
      </label>
    </p>
  );
}
