import type { CallToolResult } from '@modelcontextprotocol/server';
import { allows, SCOPES } from '../auth/scopes';
import { log } from '../lib/log';
import { type ToolContext, type ToolDefinition, ToolError } from '../tools/define-tool';
import { InputRequired } from './asking';

/**
 * The error boundary: a tool's {@link ToolError} becomes an `isError` result with its message;
 * anything else becomes a generic message, so no stack trace or upstream text reaches the model.
 * A question that ends the round ({@link InputRequired}) passes through to {@link Asking.run}.
 * The tool's scope is checked again here (the step-up challenge answers first on every route).
 */
export async function callTool(
  tool: ToolDefinition,
  input: unknown,
  context: ToolContext,
): Promise<CallToolResult> {
  try {
    if (!allows(context.scopes, tool.scope)) {
      throw new ToolError(
        `This app may not use ${tool.name}: it needs the ${tool.scope} scope (${SCOPES[tool.scope]}). Connect the app again and allow it.`,
      );
    }
    const output = await tool.handler(input as never, context);
    return {
      content: [{ type: 'text', text: output.text }],
      structuredContent: output.structured as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof InputRequired) throw error;
    if (error instanceof ToolError) {
      return { isError: true, content: [{ type: 'text', text: error.message }] };
    }
    log('error', 'tool_failed', { tool: tool.name, error: String(error) });
    return { isError: true, content: [{ type: 'text', text: `The tool ${tool.name} failed unexpectedly.` }] };
  }
}
