import { featureRegistry, toolsOf } from '../mcp/feature';
import { core } from './core/index';
import { github } from './github/index';
import { notes } from './notes/index';
import { profileFeature } from './profile/index';

/**
 * What this server offers: one line per feature, each a folder of this directory. The MCP server
 * (src/mcp/server.ts) serves their tools, resources and prompts in this order; a tool that runs as
 * a task is found here by name (src/mcp/tasks/jobs.ts). Add a feature with its folder and a line;
 * remove one by deleting both (docs/tools.md, "Adding or removing a feature").
 */
export const features = featureRegistry([core, notes, github, profileFeature]);

/** Every tool of the registry, in order. */
export const tools = toolsOf(features);
