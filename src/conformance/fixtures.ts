import {
  type CallToolResult,
  completable,
  type GetPromptResult,
  type McpServer,
  type ReadResourceResult,
  ResourceTemplate,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';

/**
 * The fixtures of the MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, server
 * scenarios): every tool, resource, resource template and prompt the scenarios call by name,
 * with the content each scenario checks. Only the conformance build (src/conformance/index.ts)
 * registers them; docs/conformance.md lists what this stateless server cannot pass.
 */

/** A 1×1 red PNG. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A WAV file with one silent 16-bit sample at 8 kHz. */
const WAV_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** Pause between the notifications of the logging and progress tools (the scenarios ask for ~50 ms). */
const STEP_MS = 50;

// ----- schemas -----

const noInput = z.object({});

const samplingInput = z.object({
  prompt: z.string().describe('The prompt to send to the LLM'),
});

const elicitationInput = z.object({
  message: z.string().describe('The message to show the user'),
});

const ARG1_COMPLETIONS = ['paris', 'park', 'party', 'test', 'testing'] as const;

const promptArgs = z.object({
  arg1: completable(z.string().describe('First test argument'), (value: string) =>
    ARG1_COMPLETIONS.filter((candidate) => candidate.startsWith(value)),
  ),
  arg2: z.string().describe('Second test argument'),
});

const embeddedResourceArgs = z.object({
  resourceUri: z.string().describe('URI of the resource to embed'),
});

const resourceUri = z.object({ uri: z.string() });

// ----- tools -----

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Logs through the request's own stream (`notifications/message`), as the scenario expects. */
async function toolWithLogging(ctx: ServerContext): Promise<CallToolResult> {
  await ctx.mcpReq.log('info', 'Tool execution started');
  await sleep(STEP_MS);
  await ctx.mcpReq.log('info', 'Tool processing data');
  await sleep(STEP_MS);
  await ctx.mcpReq.log('info', 'Tool execution completed');
  return text('Tool with logging executed successfully');
}

async function toolWithProgress(ctx: ServerContext): Promise<CallToolResult> {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  for (const progress of [0, 50, 100]) {
    if (progressToken !== undefined) {
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
      });
    }
    if (progress < 100) await sleep(STEP_MS);
  }
  return text(`Progress reported (token ${String(progressToken)})`);
}

/**
 * How long a server-to-client request (sampling, elicitation) may wait for the client's answer.
 * It can come only in a 2025-era session (src/mcp/session.ts): a stateless request's client
 * declared nothing it could answer, and the SDK refuses to ask it.
 */
const CLIENT_ANSWER_TIMEOUT_MS = 30_000;

/**
 * Runs a server-to-client request and reports its failure as an error result. The request goes on
 * the call's own stream (`relatedRequestId`), where the SDK's `mcpReq.elicitInput` and
 * `requestSampling` would otherwise not send it.
 */
async function askClient(what: string, ask: () => Promise<string>): Promise<CallToolResult> {
  try {
    return text(await ask());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { isError: true, content: [{ type: 'text', text: `${what} is not available: ${reason}` }] };
  }
}

function registerTools(server: McpServer): void {
  server.registerTool(
    'test_simple_text',
    { description: 'Returns simple text content.', inputSchema: noInput },
    () => text('This is a simple text response for testing.'),
  );
  server.registerTool(
    'test_image_content',
    { description: 'Returns image content (a 1x1 PNG).', inputSchema: noInput },
    () => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }),
  );
  server.registerTool(
    'test_audio_content',
    { description: 'Returns audio content (a minimal WAV).', inputSchema: noInput },
    () => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),
  );
  server.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded text resource.', inputSchema: noInput },
    () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and resource content together.', inputSchema: noInput },
    () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three log notifications while it runs.', inputSchema: noInput },
    (_input, ctx) => toolWithLogging(ctx),
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 while it runs.', inputSchema: noInput },
    (_input, ctx) => toolWithProgress(ctx),
  );
  server.registerTool(
    'test_error_handling',
    { description: 'Always fails, with an error result.', inputSchema: noInput },
    () => ({
      isError: true,
      content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
    }),
  );
  server.registerTool(
    'test_reconnection',
    {
      description: 'SEP-1699 stream reconnection test: answers on the stream of its own request.',
      inputSchema: noInput,
    },
    () => text('Reconnection test completed (this stateless server never closes a stream mid-call).'),
  );
  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client for an LLM completion (sampling/createMessage).',
      inputSchema: samplingInput,
    },
    ({ prompt }, ctx) =>
      askClient('Sampling', async () => {
        const result = await ctx.mcpReq.requestSampling(
          {
            messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
            maxTokens: 100,
          },
          { timeout: CLIENT_ANSWER_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id },
        );
        const content = Array.isArray(result.content) ? result.content[0] : result.content;
        return `LLM response: ${content?.type === 'text' ? content.text : 'No response'}`;
      }),
  );
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the user for input (elicitation/create).', inputSchema: elicitationInput },
    ({ message }, ctx) =>
      askClient('Elicitation', async () => {
        const result = await ctx.mcpReq.elicitInput(
          {
            mode: 'form',
            message,
            requestedSchema: {
              type: 'object',
              properties: {
                username: { type: 'string', description: "User's response" },
                email: { type: 'string', description: "User's email address" },
              },
              required: ['username', 'email'],
            },
          },
          { timeout: CLIENT_ANSWER_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id },
        );
        return `User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
      }),
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation with a default for every primitive type (SEP-1034).', inputSchema: noInput },
    (_input, ctx) =>
      askClient('Elicitation', async () => {
        const result = await ctx.mcpReq.elicitInput(
          {
            mode: 'form',
            message: 'Please review and update the form fields with defaults',
            requestedSchema: {
              type: 'object',
              properties: {
                name: { type: 'string', description: 'User name', default: 'John Doe' },
                age: { type: 'integer', description: 'User age', default: 30 },
                score: { type: 'number', description: 'User score', default: 95.5 },
                status: {
                  type: 'string',
                  description: 'User status',
                  enum: ['active', 'inactive', 'pending'],
                  default: 'active',
                },
                verified: { type: 'boolean', description: 'Verification status', default: true },
              },
              required: [],
            },
          },
          { timeout: CLIENT_ANSWER_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id },
        );
        return `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
      }),
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation with all five enum schema variants (SEP-1330).', inputSchema: noInput },
    (_input, ctx) =>
      askClient('Elicitation', async () => {
        const result = await ctx.mcpReq.elicitInput(
          {
            mode: 'form',
            message: 'Please select options from the enum fields',
            requestedSchema: {
              type: 'object',
              properties: {
                untitledSingle: {
                  type: 'string',
                  description: 'Select one option',
                  enum: ['option1', 'option2', 'option3'],
                },
                titledSingle: {
                  type: 'string',
                  description: 'Select one option with titles',
                  oneOf: [
                    { const: 'value1', title: 'First Option' },
                    { const: 'value2', title: 'Second Option' },
                    { const: 'value3', title: 'Third Option' },
                  ],
                },
                legacyEnum: {
                  type: 'string',
                  description: 'Select one option (legacy)',
                  enum: ['opt1', 'opt2', 'opt3'],
                  enumNames: ['Option One', 'Option Two', 'Option Three'],
                },
                untitledMulti: {
                  type: 'array',
                  description: 'Select multiple options',
                  minItems: 1,
                  maxItems: 3,
                  items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
                },
                titledMulti: {
                  type: 'array',
                  description: 'Select multiple options with titles',
                  minItems: 1,
                  maxItems: 3,
                  items: {
                    anyOf: [
                      { const: 'value1', title: 'First Choice' },
                      { const: 'value2', title: 'Second Choice' },
                      { const: 'value3', title: 'Third Choice' },
                    ],
                  },
                },
              },
              required: [],
            },
          },
          { timeout: CLIENT_ANSWER_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id },
        );
        return `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
      }),
  );
}

// ----- resources -----

function registerResources(server: McpServer): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static Text Resource', description: 'A static text resource.', mimeType: 'text/plain' },
    (): ReadResourceResult => ({
      contents: [
        {
          uri: 'test://static-text',
          mimeType: 'text/plain',
          text: 'This is the content of the static text resource.',
        },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    {
      title: 'Static Binary Resource',
      description: 'A static binary resource (a PNG).',
      mimeType: 'image/png',
    },
    (): ReadResourceResult => ({
      contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG_BASE64 }],
    }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    {
      title: 'Watched Resource',
      description: 'A resource clients may subscribe to.',
      mimeType: 'text/plain',
    },
    (): ReadResourceResult => ({
      contents: [
        { uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content' },
      ],
    }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    {
      title: 'Resource Template',
      description: 'A resource template with parameter substitution.',
      mimeType: 'application/json',
    },
    (uri, variables): ReadResourceResult => {
      const id = String(variables.id);
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    },
  );
  // Subscriptions are acknowledged only: a stateless server keeps no session to send
  // notifications/resources/updated on (docs/conformance.md).
  server.server.setRequestHandler('resources/subscribe', (request) => {
    resourceUri.parse(request.params);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', (request) => {
    resourceUri.parse(request.params);
    return {};
  });
}

// ----- prompts -----

function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple Test Prompt', description: 'A simple prompt without arguments.' },
    (): GetPromptResult => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt With Arguments',
      description: 'A prompt with two required arguments.',
      argsSchema: promptArgs,
    },
    ({ arg1, arg2 }): GetPromptResult => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt With Embedded Resource',
      description: 'A prompt that embeds a resource.',
      argsSchema: embeddedResourceArgs,
    },
    ({ resourceUri: uri }): GetPromptResult => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt With Image', description: 'A prompt that includes an image.' },
    (): GetPromptResult => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );
}

/**
 * Adds every conformance fixture to `server`, and the capabilities they need that the product
 * does not declare: resource subscriptions, logging and completions (the product declares
 * resources and prompts itself, for the notes). Capabilities are registered first, so the SDK
 * keeps `listChanged: false` (a stateless server never sends list-changed notifications).
 */
export function registerConformanceFixtures(server: McpServer): void {
  server.server.registerCapabilities({
    resources: { subscribe: true, listChanged: false },
    prompts: { listChanged: false },
    logging: {},
    completions: {},
  });
  registerTools(server);
  registerResources(server);
  registerPrompts(server);
}
