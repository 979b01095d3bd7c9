import type { InputRequiredResult } from '@modelcontextprotocol/server';

/** What a tool asks the user to confirm (src/mcp/confirmation.ts asks). */
export interface ConfirmationRequest {
  /** The tool asking: an answer given to one tool is refused by any other. */
  tool: string;
  /** What the action is about (a note id): an answer is valid for this subject only. */
  subject: string;
  /** The question the user sees, in plain words. */
  message: string;
}

/**
 * Where a confirmation stands:
 * - `ask`: the user has not answered yet; return `ask` from the handler (MCP 2026-07-28: an
 *   `input_required` result with an elicitation and a signed request state);
 * - `confirmed`: the user said yes; do the action, recording `answer` with it in the same
 *   transaction so this answer can never authorize anything again;
 * - `declined`: the user said no or dismissed the question (the answer is already recorded);
 * - `unavailable`: this client cannot be asked (a 2025-era client on this stateless server, or a
 *   2026 client without form elicitation): the tool needs an explicit argument instead.
 */
export type Confirmation =
  | { status: 'ask'; ask: AskUser }
  | { status: 'confirmed'; answer: string }
  | { status: 'declined' }
  | { status: 'unavailable' };

/** A question for the user that a handler returns instead of a result; the client asks and retries. */
export class AskUser {
  constructor(readonly result: InputRequiredResult) {}
}
