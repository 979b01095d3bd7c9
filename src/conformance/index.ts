import { serverExtensions } from '../mcp/server';
import { registerConformanceFixtures } from './fixtures';

/**
 * The conformance build (wrangler.conformance.jsonc): the product Worker plus the fixtures the
 * MCP conformance suite calls by name. Never deployed; the product build (src/index.ts) does not
 * import this directory.
 */
serverExtensions.push(registerConformanceFixtures);

export { CodeRedemption, default, Notebook, SseSession, TaskRunner } from '../index';
