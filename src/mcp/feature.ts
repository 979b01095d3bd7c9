import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { Caller, ToolDefinition } from '../tools/define-tool';
import type { AskedCall, Asking } from './asking';

/**
 * What a registration gets besides the server being built for one request: who is calling, and
 * the server's own machinery, so that what it adds behaves as the rest does (tools registered
 * exactly as the registry's are, the asking of a prompt or resource handler).
 */
export interface ServerBuild {
  caller: Caller;
  registerTool: (tool: ToolDefinition) => void;
  asking: (ctx: ServerContext, call: AskedCall) => Asking;
}

/** Adds something to the server being built: a resource, a resource template, a prompt… */
export type Registration = (server: McpServer, build: ServerBuild) => void;

/**
 * One feature of the server: a folder of `src/features/` and one line of the registry
 * (`src/features/index.ts`), which `buildMcpServer` reads. Removing the line (and the folder)
 * removes the feature and nothing else.
 */
export interface Feature {
  /** Short and unique ("notes"): what tests and docs call it. */
  name: string;
  /** Its tools (`defineTool`), listed in this order after those of the features before it. */
  tools: readonly ToolDefinition[];
  /** Its resources and resource templates (`server.registerResource`). */
  resources?: readonly Registration[];
  /** Its prompts (`server.registerPrompt`). */
  prompts?: readonly Registration[];
  /**
   * Anything else, called after the lists above: a resource with any URI (an MCP App's `ui://`
   * view through `registerAppResource` of @modelcontextprotocol/ext-apps/server), a tool that
   * needs more than `defineTool`…
   */
  register?: Registration;
}

/** The registry's rule: names unique among features, tool names unique among all their tools. */
export function featureProblems(features: readonly Feature[]): string[] {
  const problems: string[] = [];
  const featureNames = new Set<string>();
  const toolOwners = new Map<string, string>();
  for (const feature of features) {
    if (featureNames.has(feature.name)) problems.push(`two features are named ${feature.name}`);
    featureNames.add(feature.name);
    for (const tool of feature.tools) {
      const owner = toolOwners.get(tool.name);
      if (owner !== undefined) problems.push(`the tool ${tool.name} is in ${owner} and in ${feature.name}`);
      toolOwners.set(tool.name, feature.name);
    }
  }
  return problems;
}

/** A list of features fit to serve (see {@link featureProblems}); throws otherwise, when the registry loads. */
export function featureRegistry(features: readonly Feature[]): readonly Feature[] {
  const problems = featureProblems(features);
  if (problems.length > 0) throw new Error(`The feature registry is not valid: ${problems.join('; ')}.`);
  return features;
}

/** Every tool of `features`, in their order. */
export function toolsOf(features: readonly Feature[]): readonly ToolDefinition[] {
  return features.flatMap((feature) => feature.tools);
}
