import type {
  CreateMessageRequestParamsBase,
  CreateMessageResult,
  Root,
  SamplingMessage,
} from '@modelcontextprotocol/server';
import type * as z from 'zod';

/**
 * What a tool can ask of the client during a call (MCP 2026-07-28 multi-round-trip requests,
 * SEP-2322; src/mcp/asking.ts asks): the user, through a form (`elicitation`); the client's model,
 * for a completion (`sampling`); the client, for its roots (`roots`); the user, to open a page of
 * this server (`url`: URL-mode elicitation).
 */
export type AskKind = 'elicitation' | 'sampling' | 'roots' | 'url';

/** A form for the user: a message and flat fields (strings, numbers, booleans, enums). */
export interface ElicitForm<Schema extends z.ZodObject = z.ZodObject> {
  /** What the user reads, in plain words. */
  message: string;
  /**
   * The fields, as a zod object of primitives: converted to MCP's restricted form schema for the
   * client, and used to validate the answer (an answer that does not fit is asked for again).
   */
  schema: Schema;
  /**
   * The question's name across rounds (its key in `inputRequests`). By default `elicit`,
   * `elicit-2`, … in the order the handler asks; name questions whose order depends on answers.
   */
  key?: string;
  /**
   * Single use: the answer counts only when it comes back with the request state of the round
   * that asked it, and that state cannot be answered twice (recorded in the user's ledger). For
   * answers that authorize something; {@link ToolContext.confirm} is built on it.
   */
  once?: boolean;
}

/** The user's answer to a form: the validated fields, or a refusal. */
export type ElicitAnswer<T> = { action: 'accept'; content: T } | { action: 'decline' } | { action: 'cancel' };

/** How to ask the client's model: the sampling parameters besides the messages. */
export type SampleOptions = Omit<CreateMessageRequestParamsBase, 'messages' | '_meta' | 'task'> & {
  /** The question's name across rounds; by default `sample`, `sample-2`, … in order. */
  key?: string;
};

/** The client's completion: its text (the text blocks, joined) and the whole result. */
export interface Sampled {
  text: string;
  model: string;
  stopReason?: string;
  result: CreateMessageResult;
}

export type { Root, SamplingMessage };

/** A yes/no question before an action that cannot be undone (src/mcp/asking.ts asks). */
export interface ConfirmationRequest {
  /**
   * The question the user sees, in plain words. The answer counts for this same call only (the
   * same tool with the same arguments: the same note, say), and once.
   */
  message: string;
}

/**
 * Where a confirmation stands (a pending question ends the handler's round by itself: the
 * client asks the user and calls again with the answer):
 * - `confirmed`: the user said yes, and this answer is now spent: it can never authorize anything
 *   again (a replay is refused);
 * - `declined`: the user said no or dismissed the question (the answer is spent too);
 * - `unavailable`: this client cannot be asked (a 2025-era client on this stateless server, or a
 *   2026 client without form elicitation): the tool needs an explicit argument instead.
 */
export type Confirmation = { status: 'confirmed' } | { status: 'declined' } | { status: 'unavailable' };

/** A page of this server for the user to open (URL-mode elicitation), and why. */
export interface UrlRequest {
  /** What the user reads before opening it, in plain words. */
  message: string;
  /** An https URL (http on a loopback host) of this server. */
  url: string;
  /** The question's name across rounds; `url` by default. */
  key?: string;
}

/** The user's answer: `accept` (they opened the page, or agreed to), or a refusal. */
export interface UrlAnswer {
  action: 'accept' | 'decline' | 'cancel';
}
