import * as z from 'zod';
import { svgIcon } from '../../mcp/icons';
import { defineTool } from '../../tools/define-tool';

const input = z.object({
  a: z.number().describe('The first number'),
  b: z.number().describe('The second number'),
});

const output = z.object({
  sum: z.number().describe('a + b'),
});

export default defineTool({
  name: 'add',
  title: 'Add two numbers',
  description: 'Adds two numbers and returns their sum.',
  inputSchema: input,
  outputSchema: output,
  icons: [svgIcon('add')],
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'mcp',
  async handler({ a, b }) {
    const sum = a + b;
    return { structured: { sum }, text: String(sum) };
  },
});
