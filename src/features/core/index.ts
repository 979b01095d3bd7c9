import type { Feature } from '../../mcp/feature';
import add from './add';
import whoami from './whoami';

/** The tools every server built from this one keeps: a trivial one, and who is signed in. */
export const core: Feature = {
  name: 'core',
  tools: [add, whoami],
};
