import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { apiAsUser } from '../../tools/support/upstream';

const input = z.object({});

const output = z.object({
  sub: z.string().describe('The provider’s id for the user'),
  claims: z
    .record(z.string(), z.unknown())
    .describe('Everything the UserInfo endpoint said: name, email, picture… as the provider chose'),
});

export default defineTool({
  name: 'profile',
  title: 'My profile at the identity provider',
  description:
    'What the OpenID Connect identity provider says about the signed-in user now (its UserInfo endpoint): name, email, and whatever else it shares.',
  inputSchema: input,
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  scope: 'mcp',
  actsAs: 'oidc',
  async handler(_input, context) {
    const provider = await apiAsUser(context, 'profile', 'oidc');
    const response = await provider.fetch('');
    const type = response.headers.get('Content-Type') ?? '';
    if (!response.ok || !type.includes('json')) {
      await response.body?.cancel();
      throw new ToolError(`${provider.name} did not share the profile (HTTP ${response.status}).`);
    }
    const claims: unknown = await response.json().catch(() => null);
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new ToolError(`${provider.name} answered with something that is not a profile.`);
    }
    const sub = (claims as Record<string, unknown>).sub;
    if (typeof sub !== 'string') throw new ToolError(`${provider.name} answered without saying who you are.`);
    const record = claims as Record<string, unknown>;
    const lines = Object.entries(record).map(([name, value]) => `- ${name}: ${JSON.stringify(value)}`);
    return {
      structured: { sub, claims: record },
      text: `Your profile at ${provider.name}:\n${lines.join('\n')}`,
    };
  },
});
