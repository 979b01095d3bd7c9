import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type CreateMessageResult,
  type ElicitRequestFormParams,
  type InputRequest,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type Root,
  type SamplingMessage,
  type ServerContext,
  specTypeSchemas,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import { randomToken } from '../lib/base64url';
import { ToolError } from '../tools/define-tool';
import type {
  AskKind,
  Confirmation,
  ConfirmationRequest,
  ElicitAnswer,
  ElicitForm,
  Sampled,
  SampleOptions,
  UrlAnswer,
  UrlRequest,
} from '../tools/support/asking';
import { answerLedgerOf } from './answer-ledger';
import { type AskState, callFingerprint, requestStateCodec, type StateHolder } from './request-state';

/** The first protocol revision with multi-round-trip requests (`input_required`). */
export const FIRST_MODERN_VERSION = '2026-07-28';

/**
 * How long a 2025-era session's handler waits for the client's answer: a person filling in a form
 * takes longer than a model or the client itself. The call's stream stays open meanwhile.
 */
export const LIVE_ANSWER_TIMEOUT_MS: Record<AskKind, number> = {
  elicitation: 10 * 60_000,
  sampling: 2 * 60_000,
  roots: 30_000,
  url: 10 * 60_000,
};

/** How many times a 2025-era session's form is asked when the answers do not fit it. */
const LIVE_FORM_ATTEMPTS = 3;

/** A request state longer than this is not handed to the client (it must echo it on every round). */
export const MAX_REQUEST_STATE_LENGTH = 64 * 1024;

/** The call whose handler asks: a request state is valid for this same call only. */
export interface AskedCall {
  method: 'tools/call' | 'prompts/get';
  name: string;
  arguments: unknown;
}

/**
 * Thrown by an ask whose answer has not come yet: it ends this round of the handler, and
 * {@link Asking.run} answers `input_required` with every question asked in the round. Handlers
 * never catch it (one that does still ends with the question: the asks are recorded).
 */
export class InputRequired extends Error {
  override readonly name = 'InputRequired';
  constructor() {
    super('The client must answer first: this round ends with input_required.');
  }
}

const WHAT: Record<AskKind, string> = {
  elicitation: 'the user a question (elicitation)',
  sampling: 'the client’s model for a completion (sampling)',
  roots: 'the client for its roots',
  url: 'the user to open a page (URL elicitation)',
};

/** The yes/no form of a confirmation. */
/** The yes/no form of {@link Asking.confirm}, and of a confirmation inside a task (src/mcp/tasks/jobs.ts). */
export const CONFIRMATION_FORM = z.object({
  confirm: z.boolean().meta({ title: 'Yes, do it', description: 'Tick to confirm. This cannot be undone.' }),
});

/**
 * Asking the user, the client's model or the client, the MCP 2026-07-28 way (multi-round-trip
 * requests, SEP-2322), for one request. Stateless: the handler runs again, from the start, on
 * every round. Each ask either returns the client's answer (from this round's `inputResponses`,
 * or from the signed request state that carries earlier rounds' answers) or ends the round with
 * an `input_required` answer that asks it, together with every other question asked in the same
 * round (`Promise.all` over several asks sends them at once).
 *
 * - Answers are as trustworthy as arguments: they come from the client, and are validated (a form
 *   against its zod schema, a completion and roots against the MCP schema); an answer that is
 *   missing or does not fit is asked again, extra ones are ignored.
 * - The request state binds earlier answers to the user, the app, the call (tool or prompt and its
 *   arguments) and an expiry (src/mcp/request-state.ts); the SDK refuses a forged, altered,
 *   expired or foreign one before the handler runs. Single-use questions (`once`, confirmations)
 *   count only with their own state, and once.
 * - A client is never asked what it did not declare it can answer: asking anyway refuses the call
 *   with `-32021 MissingRequiredClientCapability` (HTTP 400, SEP-2575), which the SDK sends for
 *   the questions this round could not put.
 *
 * A 2025-era client that declared what it can answer has a session (src/mcp/session.ts): there
 * each ask is a request to the client on the call's own stream, and its answer comes back to the
 * same session while the handler waits (`live`). A 2025-era client without a session declared
 * nothing it could answer: the ask fails with a {@link ToolError} that says why.
 */
export class Asking {
  readonly #pending: Record<string, InputRequest> = {};
  readonly #refused: Record<string, InputRequest> = {};
  /** Answers used in this round, carried to the next one. */
  readonly #used: Record<string, unknown> = {};
  readonly #once: string[] = [];
  readonly #counts = new Map<string, number>();
  readonly #fresh: Record<string, unknown>;
  readonly #state: AskState | undefined;
  readonly #modern: boolean;
  /** A 2025-era session's client capabilities (asked directly); undefined when stateless. */
  readonly #live: ClientCapabilities | undefined;
  #fingerprint: Promise<string> | undefined;
  #spent: Promise<void> | undefined;

  constructor(
    private readonly env: Env,
    private readonly holder: StateHolder,
    private readonly ctx: ServerContext,
    private readonly call: AskedCall,
    private readonly protocolVersion: string | undefined,
    session?: { clientCapabilities: ClientCapabilities | undefined },
  ) {
    this.#modern = (protocolVersion ?? '') >= FIRST_MODERN_VERSION;
    this.#live =
      !this.#modern && ctx.sessionId !== undefined && session
        ? (session.clientCapabilities ?? {})
        : undefined;
    const fresh = ctx.mcpReq.inputResponses;
    this.#fresh = typeof fresh === 'object' && fresh !== null ? fresh : {};
    this.#state = this.#modern ? ctx.mcpReq.requestState<AskState>() : undefined;
  }

  /**
   * Whether this client can be asked `kind`: it declared the capability on this 2026-07-28
   * request, or when it opened its 2025-era session.
   */
  readonly canAsk = (kind: AskKind): boolean => {
    let declared: Record<string, unknown> | undefined;
    if (this.#modern) {
      const envelope = this.ctx.mcpReq.envelope as Record<string, unknown> | undefined;
      declared = envelope?.[CLIENT_CAPABILITIES_META_KEY] as Record<string, unknown> | undefined;
    } else declared = this.#live;
    const capability = declared?.[kind === 'url' ? 'elicitation' : kind];
    if (!isObject(capability)) return false;
    if (kind === 'url') return isObject(capability.url);
    // MCP 2025-11-25+: `elicitation: {}` means form; `{ url: {} }` alone means URL mode only.
    return kind !== 'elicitation' || 'form' in capability || !('url' in capability);
  };

  /** Asks the user to fill in a form; see {@link ElicitForm}. */
  readonly elicit = async <S extends z.ZodObject>(
    form: ElicitForm<S>,
  ): Promise<ElicitAnswer<z.output<S>>> => {
    const key = form.key ?? this.#nextKey('elicit');
    const once = form.once === true;
    const requestedSchema = wireForm(form.schema);
    if (this.#live) return this.#liveElicit(form, requestedSchema);
    const request = inputRequired.elicit({ message: form.message, requestedSchema });
    this.#require('elicitation', key, request);
    const answer = await this.#answer(key, once);
    const view = inputResponse({ [key]: answer }, key);
    if (view.kind === 'elicit' && view.action !== 'accept') {
      await this.#use(key, answer, once);
      return { action: view.action };
    }
    if (view.kind === 'elicit') {
      const parsed = form.schema.safeParse(view.content ?? {});
      if (parsed.success) {
        await this.#use(key, answer, once);
        return { action: 'accept', content: parsed.data };
      }
    }
    return this.#ask(key, request, once);
  };

  /**
   * Asks the user to open a page (URL-mode elicitation); see {@link UrlRequest}. The answer says
   * whether they agreed to open it: what happens there, the page itself records.
   */
  readonly elicitUrl = async (request: UrlRequest): Promise<UrlAnswer> => {
    const key = request.key ?? 'url';
    const asked = inputRequired.elicitUrl({ message: request.message, url: request.url });
    if (this.#live) {
      this.#requireLive('url');
      const answer = await this.ctx.mcpReq.send(
        { method: 'elicitation/create', params: asked.params as Record<string, unknown> },
        { timeout: LIVE_ANSWER_TIMEOUT_MS.url },
      );
      return { action: answer.action };
    }
    this.#require('url', key, asked);
    const answer = await this.#answer(key, false);
    const view = answer === undefined ? undefined : inputResponse({ [key]: answer }, key);
    if (view?.kind === 'elicit') {
      await this.#use(key, answer, false);
      return { action: view.action };
    }
    return this.#ask(key, asked, false);
  };

  /** Asks the client's model for a completion of `messages` (a string is one user message). */
  readonly sample = async (
    messages: string | SamplingMessage[],
    options: SampleOptions,
  ): Promise<Sampled> => {
    const { key: named, ...params } = options;
    const key = named ?? this.#nextKey('sample');
    const conversation: SamplingMessage[] =
      typeof messages === 'string' ? [{ role: 'user', content: { type: 'text', text: messages } }] : messages;
    if (this.#live) {
      this.#requireLive('sampling');
      const result = await this.ctx.mcpReq.send(
        { method: 'sampling/createMessage', params: { ...params, messages: conversation } },
        { timeout: LIVE_ANSWER_TIMEOUT_MS.sampling },
      );
      const checked = specTypeSchemas.CreateMessageResult['~standard'].validate(result);
      if (checked.issues !== undefined) {
        throw new ToolError(`The client's completion for ${this.call.name} is not a valid sampling result.`);
      }
      return sampled(checked.value);
    }
    const request = inputRequired.createMessage({ ...params, messages: conversation });
    this.#require('sampling', key, request);
    const answer = await this.#answer(key, false);
    const checked = specTypeSchemas.CreateMessageResult['~standard'].validate(answer);
    if (answer !== undefined && checked.issues === undefined) {
      await this.#use(key, answer, false);
      return sampled(checked.value);
    }
    return this.#ask(key, request, false);
  };

  /** Asks the client for its roots (the directories or files it lets servers work on). */
  readonly roots = async (options: { key?: string } = {}): Promise<Root[]> => {
    const key = options.key ?? this.#nextKey('roots');
    if (this.#live) {
      this.#requireLive('roots');
      const result = await this.ctx.mcpReq.send(
        { method: 'roots/list' },
        { timeout: LIVE_ANSWER_TIMEOUT_MS.roots },
      );
      return result.roots;
    }
    const request = inputRequired.listRoots();
    this.#require('roots', key, request);
    const answer = await this.#answer(key, false);
    const checked = specTypeSchemas.ListRootsResult['~standard'].validate(answer);
    if (answer !== undefined && checked.issues === undefined) {
      await this.#use(key, answer, false);
      return checked.value.roots;
    }
    return this.#ask(key, request, false);
  };

  /**
   * Asks the user to confirm an action that cannot be undone: a yes/no form, single use. A client
   * that cannot be asked gets `unavailable` (the tool then requires an explicit argument).
   */
  readonly confirm = async (request: ConfirmationRequest): Promise<Confirmation> => {
    if (!this.canAsk('elicitation')) return { status: 'unavailable' };
    const answer = await this.elicit({
      key: 'confirm',
      message: request.message,
      schema: CONFIRMATION_FORM,
      once: true,
    });
    return answer.action === 'accept' && answer.content.confirm
      ? { status: 'confirmed' }
      : { status: 'declined' };
  };

  /**
   * Runs one round of a handler that asks: its result, or the `input_required` answer with every
   * question it asked (and a new request state), or the refusal of questions this client cannot
   * answer (the SDK turns it into `-32021`).
   */
  async run<T>(work: () => Promise<T>): Promise<T | InputRequiredResult> {
    if (this.#live) return work();
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await work() };
    } catch (error) {
      outcome = { error };
    }
    const question = await this.#question();
    if (question) return question;
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  async #question(): Promise<InputRequiredResult | undefined> {
    if (Object.keys(this.#refused).length > 0) return inputRequired({ inputRequests: this.#refused });
    if (Object.keys(this.#pending).length === 0) return undefined;
    const trusted = await this.#trustedState().catch(() => undefined);
    const state: AskState = {
      v: 2,
      call: await this.#callFingerprint(),
      answers: { ...trusted?.answers, ...this.#used },
    };
    if (this.#once.length > 0) state.once = { nonce: randomToken(16), keys: this.#once };
    const requestState = await (await requestStateCodec(this.env, this.holder)).mint(state, this.ctx);
    if (requestState.length > MAX_REQUEST_STATE_LENGTH) {
      throw new ToolError(
        `The answers given so far are too large to carry to the next question (over ${MAX_REQUEST_STATE_LENGTH / 1024} KiB). Call ${this.call.name} again with less to answer.`,
      );
    }
    return inputRequired({ inputRequests: this.#pending, requestState });
  }

  /**
   * A form asked on the 2025-era session's stream: the handler waits for the answer. An answer
   * that does not fit the form is asked for again, up to {@link LIVE_FORM_ATTEMPTS} times.
   * Asked through `mcpReq.send`, which sends on the call's own stream: the SDK's
   * `mcpReq.elicitInput` would send it on the session's GET stream, which a client may not open.
   */
  async #liveElicit<S extends z.ZodObject>(
    form: ElicitForm<S>,
    requestedSchema: WireForm,
  ): Promise<ElicitAnswer<z.output<S>>> {
    this.#requireLive('elicitation');
    for (let attempt = 1; attempt <= LIVE_FORM_ATTEMPTS; attempt++) {
      const answer = await this.ctx.mcpReq.send(
        { method: 'elicitation/create', params: { mode: 'form', message: form.message, requestedSchema } },
        { timeout: LIVE_ANSWER_TIMEOUT_MS.elicitation },
      );
      if (answer.action !== 'accept') return { action: answer.action };
      const parsed = form.schema.safeParse(answer.content ?? {});
      if (parsed.success) return { action: 'accept', content: parsed.data };
    }
    throw new ToolError(
      `The answers did not fit the form ${LIVE_FORM_ATTEMPTS} times. Call ${this.call.name} again to be asked anew.`,
    );
  }

  /** In a 2025-era session: a question the client did not declare it can answer fails the call. */
  #requireLive(kind: AskKind): void {
    if (this.canAsk(kind)) return;
    throw new ToolError(
      `${this.call.name} needs to ask ${WHAT[kind]}, and this client did not declare that it can answer (the MCP "${kind}" capability). Use a client that supports it.`,
    );
  }

  /** Ends the round unless this client can be asked `kind` now. */
  #require(kind: AskKind, key: string, request: InputRequest): void {
    if (!this.#modern) {
      // A stateless 2025-era request negotiated nothing: its header names the revision it speaks.
      const version = this.protocolVersion ?? this.ctx.http?.req?.headers.get('MCP-Protocol-Version');
      throw new ToolError(
        `${this.call.name} needs to ask ${WHAT[kind]}, and this client (MCP ${version ?? 'before 2026-07-28'}) did not declare that it can answer (the MCP "${kind}" capability). Use a client that supports it.`,
      );
    }
    if (!this.canAsk(kind)) {
      this.#refused[key] = request;
      throw new InputRequired();
    }
  }

  /** The answer to `key` so far: carried by the state, or sent in this round. */
  async #answer(key: string, once: boolean): Promise<unknown> {
    const state = await this.#trustedState();
    if (once) return state?.once?.keys.includes(key) ? own(this.#fresh, key) : undefined;
    return own(state?.answers, key) ?? own(this.#fresh, key);
  }

  async #use(key: string, answer: unknown, once: boolean): Promise<void> {
    if (!once) {
      this.#used[key] = answer;
      return;
    }
    this.#spent ??= this.#spend();
    await this.#spent;
  }

  /** Records the state's single-use nonce as answered: a second use (a race) is refused. */
  async #spend(): Promise<void> {
    const nonce = this.#state?.once?.nonce;
    if (nonce === undefined || !(await answerLedgerOf(this.env, this.holder.userId).use(nonce))) {
      throw new ToolError(`This answer was already used. Call ${this.call.name} again to be asked anew.`);
    }
  }

  #ask(key: string, request: InputRequest, once: boolean): never {
    this.#pending[key] = request;
    if (once) this.#once.push(key);
    throw new InputRequired();
  }

  /** The echoed state, once it is known to belong to this call (else the call is refused). */
  async #trustedState(): Promise<AskState | undefined> {
    if (this.#state === undefined) return undefined;
    if (this.#state.call !== (await this.#callFingerprint())) {
      throw new ToolError(
        `These answers were given for another call. Call ${this.call.name} again to be asked anew.`,
      );
    }
    return this.#state;
  }

  #callFingerprint(): Promise<string> {
    this.#fingerprint ??= callFingerprint(this.call.method, this.call.name, this.call.arguments);
    return this.#fingerprint;
  }

  #nextKey(kind: string): string {
    const count = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, count);
    return count === 1 ? kind : `${kind}-${count}`;
  }
}

type WireForm = ElicitRequestFormParams['requestedSchema'];

const wireForms = new WeakMap<z.ZodObject, WireForm>();

/** A form's MCP elicitation schema, converted once per schema (the server is built per request). */
export function wireForm(schema: z.ZodObject): WireForm {
  let wire = wireForms.get(schema);
  if (!wire) {
    wire = toWireForm(schema);
    wireForms.set(schema, wire);
  }
  return wire;
}

/**
 * Converted by the SDK, which refuses what MCP's restricted form schema cannot express (nested
 * objects, patterns). The `$schema` the zod conversion adds is dropped: the form schema has none.
 */
function toWireForm(schema: z.ZodObject): WireForm {
  const params = inputRequired.elicit({ message: '', requestedSchema: schema })
    .params as ElicitRequestFormParams;
  const { $schema: _dialect, ...form } = params.requestedSchema as WireForm & { $schema?: string };
  return form;
}

export function sampled(result: CreateMessageResult): Sampled {
  const blocks = Array.isArray(result.content) ? result.content : [result.content];
  const text = blocks.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return { text, model: result.model, stopReason: result.stopReason, result };
}

function own(record: Record<string, unknown> | undefined, key: string): unknown {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
