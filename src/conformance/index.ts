import { serverExtensions } from '../mcp/server';
import { registerConformanceFixtures } from './fixtures';
import { registerHeadersAndSchemas } from './headers-and-schemas';
import { registerInputRequiredFixtures } from './input-required';
import { registerTaskFixtures } from './tasks';

/**
 * The conformance build (wrangler.conformance.jsonc): the product Worker plus the fixtures the
 * MCP conformance suite calls by name. Never deployed; the product build (src/index.ts) does not
 * import this directory.
 */
serverExtensions.push(registerConformanceFixtures);
serverExtensions.push(registerInputRequiredFixtures);
serverExtensions.push(registerHeadersAndSchemas);
serverExtensions.push(registerTaskFixtures);

export {
  AnswerLedger,
  CodeRedemption,
  default,
  McpSession,
  Notebook,
  SseSession,
  TaskRunner,
} from '../index';
