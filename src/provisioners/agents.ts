import { z } from 'zod';

import { AGENT_LIFECYCLE_STATES } from '../jobs/model.js';
import type { AgentDeclaration } from './types.js';

const AgentName = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MAX_AGENTS = 32;

const Declaration = z
  .object({
    agents: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(
                AgentName,
                'must be 1-64 letters, digits, _ or -, starting with a letter or digit',
              ),
            lifecycle_state: z.enum(AGENT_LIFECYCLE_STATES).default('ready'),
          })
          .strict(),
      )
      .max(MAX_AGENTS, `at most ${MAX_AGENTS} agents`),
  })
  .strict();

export type AgentLineResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'agents'; readonly agents: readonly AgentDeclaration[] }
  | { readonly kind: 'invalid'; readonly error: string };

/**
 * Recognises an agent declaration among a command's output lines: a line that is a JSON object
 * mentioning "agents" (`{"agents":[{"name":"main","lifecycle_state":"ready"}]}`). Any other line
 * is plain log output. A line that looks like a declaration but is not a valid one is an error,
 * so a typo never silently yields the default agent.
 */
export function parseAgentLine(line: string): AgentLineResult {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('"agents"')) return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      kind: 'invalid',
      error: `agent declaration is not valid JSON (${(error as Error).message}): ${clip(text)}`,
    };
  }
  const parsed = Declaration.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`)
      .join('; ');
    return { kind: 'invalid', error: `invalid agent declaration: ${problems}` };
  }
  const names = new Set<string>();
  for (const agent of parsed.data.agents) {
    if (names.has(agent.name)) {
      return {
        kind: 'invalid',
        error: `invalid agent declaration: agent "${agent.name}" is declared twice`,
      };
    }
    names.add(agent.name);
  }
  return { kind: 'agents', agents: parsed.data.agents };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
