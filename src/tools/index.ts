import add from './add';
import type { ToolDefinition } from './define-tool';
import whoami from './whoami';

/** Every tool this server offers. The one list: add a tool by adding its file here. */
export const tools: readonly ToolDefinition[] = [add, whoami] as readonly ToolDefinition[];
