import type { GetPromptResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { ServerBuild } from '../mcp/feature';
import { defineTool, type ToolContext, type ToolDefinition } from '../tools/define-tool';

/**
 * The fixtures of the 2026-07-28 conformance scenarios about asking the client
 * (@modelcontextprotocol/conformance 0.2.0-alpha.12: `input-required-result-*`, SEP-2322, and the
 * diagnostic tools of `server-stateless`, SEP-2575). They are built like the product's tools, with
 * `defineTool` and the context methods every tool has (`elicit`, `sample`, `roots`, `canAsk`), so
 * the suite tests the machinery real tools use (src/mcp/asking.ts). Only the conformance build
 * registers them (src/conformance/index.ts).
 */

const noInput = z.object({});
const said = z.object({ text: z.string() });
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** A fixture tool: no input, a text answer (also as `structuredContent.text`), the baseline scope. */
function fixture(
  name: string,
  description: string,
  run: (context: ToolContext) => Promise<string>,
): ToolDefinition<typeof noInput, typeof said> {
  return defineTool({
    name,
    title: name,
    description,
    inputSchema: noInput,
    outputSchema: said,
    annotations: READ_ONLY,
    scope: 'mcp',
    async handler(_input, context) {
      const text = await run(context);
      return { structured: { text }, text };
    },
  });
}

const nameForm = z.object({ name: z.string() });
const colorForm = z.object({ color: z.string() });
const okForm = z.object({ ok: z.boolean() });
const valueForm = z.object({ value: z.string() });
const contextForm = z.object({ context: z.string() });

const elicitation = fixture(
  'test_input_required_result_elicitation',
  'Asks the user their name (one form), then greets them.',
  async ({ elicit }) => {
    const answer = await elicit({ key: 'user_name', message: 'What is your name?', schema: nameForm });
    return answer.action === 'accept'
      ? `Hello, ${answer.content.name}!`
      : `No name given (${answer.action}).`;
  },
);

const sampling = fixture(
  'test_input_required_result_sampling',
  'Asks the client’s model a question, then returns its answer.',
  async ({ sample }) => {
    const answer = await sample('What is the capital of France?', {
      key: 'capital_question',
      maxTokens: 100,
    });
    return `Sampling result: ${answer.text}`;
  },
);

const listRoots = fixture(
  'test_input_required_result_list_roots',
  'Asks the client for its roots, then lists them.',
  async ({ roots }) => {
    const found = await roots({ key: 'client_roots' });
    return `Found ${found.length} root(s): ${found.map((root) => root.uri).join(', ')}`;
  },
);

const requestState = fixture(
  'test_input_required_result_request_state',
  'Asks for a single-use confirmation: the answer counts only with the verified request state of its round.',
  async ({ elicit }) => {
    const answer = await elicit({ key: 'confirm', message: 'Please confirm', schema: okForm, once: true });
    const ok = answer.action === 'accept' && answer.content.ok;
    return `state-ok: the request state was verified and its answer used once (ok: ${ok})`;
  },
);

const multipleInputs = fixture(
  'test_input_required_result_multiple_inputs',
  'Asks a form, the model and the roots in one round.',
  async ({ elicit, sample, roots }) => {
    const [name, greeting, found] = await Promise.all([
      elicit({ key: 'user_name', message: 'What is your name?', schema: nameForm }),
      sample('Generate a greeting', { key: 'greeting', maxTokens: 50 }),
      roots({ key: 'client_roots' }),
    ]);
    const who = name.action === 'accept' ? name.content.name : `(${name.action})`;
    return `Name: ${who}; Greeting: ${greeting.text}; Roots: ${found.length}`;
  },
);

const multiRound = fixture(
  'test_input_required_result_multi_round',
  'Asks two questions, one after the other (the first answer travels in the request state).',
  async ({ elicit }) => {
    const name = await elicit({ key: 'step1', message: 'Step 1: What is your name?', schema: nameForm });
    const color = await elicit({
      key: 'step2',
      message: 'Step 2: What is your favorite color?',
      schema: colorForm,
    });
    const who = name.action === 'accept' ? name.content.name : 'someone';
    const likes = color.action === 'accept' ? color.content.color : 'no color in particular';
    return `Multi-round complete for ${who} who likes ${likes}`;
  },
);

const tamperedState = fixture(
  'test_input_required_result_tampered_state',
  'Asks for a confirmation with a signed request state (a tampered state is refused before this runs).',
  async ({ elicit }) => {
    const answer = await elicit({ key: 'confirm', message: 'Please confirm', schema: okForm });
    return `integrity-ok: state verified (${answer.action})`;
  },
);

const capabilities = fixture(
  'test_input_required_result_capabilities',
  'Asks only what the client declared it can answer (a form and/or the model).',
  async ({ canAsk, elicit, sample }) => {
    const asks: Array<Promise<string>> = [];
    if (canAsk('elicitation')) {
      asks.push(
        elicit({ key: 'elicit_input', message: 'Elicitation input', schema: valueForm }).then(
          () => 'elicit_input',
        ),
      );
    }
    if (canAsk('sampling')) {
      asks.push(sample('Sample request', { key: 'sample_input', maxTokens: 50 }).then(() => 'sample_input'));
    }
    if (asks.length === 0) return 'No supported capabilities declared';
    return `capabilities-ok: received ${(await Promise.all(asks)).join(',')}`;
  },
);

const missingCapability = fixture(
  'test_missing_capability',
  'Needs the client’s model (sampling): a client that does not declare sampling is refused with -32021.',
  async ({ sample }) => {
    await sample('Say "Success".', { key: 'needed', maxTokens: 10 });
    return 'Success';
  },
);

const streamingElicitation = fixture(
  'test_streaming_elicitation',
  'Asks the user on a 2026-07-28 request: the answer is input_required, never a request on the stream.',
  async ({ elicit }) => {
    await elicit({ key: 'continue', message: 'Continue streaming?', schema: okForm });
    return 'Streaming complete';
  },
);

/** Every fixture tool of this file, in the order tools/list shows them. */
export const inputRequiredFixtures: readonly ToolDefinition[] = [
  elicitation,
  sampling,
  listRoots,
  requestState,
  multipleInputs,
  multiRound,
  tamperedState,
  capabilities,
  missingCapability,
  streamingElicitation,
] as readonly ToolDefinition[];

/**
 * Registers the fixtures: the tools above, `test_input_required_result_prompt` (a prompt that asks
 * through the same machinery: input_required is not only for tools) and `test_logging_tool` (logs
 * only for a request that set `_meta.io.modelcontextprotocol/logLevel`, which the SDK enforces).
 */
export function registerInputRequiredFixtures(server: McpServer, build: ServerBuild): void {
  for (const tool of inputRequiredFixtures) build.registerTool(tool);
  server.registerPrompt(
    'test_input_required_result_prompt',
    {
      title: 'Prompt that asks first',
      description: 'Asks the user what context to use (elicitation), then returns the prompt.',
    },
    (ctx: ServerContext) => {
      const asking = build.asking(ctx, {
        method: 'prompts/get',
        name: 'test_input_required_result_prompt',
        arguments: {},
      });
      return asking.run(async (): Promise<GetPromptResult> => {
        const answer = await asking.elicit({
          key: 'user_context',
          message: 'What context should the prompt use?',
          schema: contextForm,
        });
        const context = answer.action === 'accept' ? answer.content.context : 'none given';
        return {
          messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${context}` } }],
        };
      });
    },
  );
  server.registerTool(
    'test_logging_tool',
    {
      description: 'Logs one message; the SDK sends it only when the request set a log level.',
      inputSchema: noInput,
    },
    async (_input, ctx) => {
      await ctx.mcpReq.log('info', 'Diagnostic trace logging activated');
      return { content: [{ type: 'text', text: 'Logging evaluated' }] };
    },
  );
}
