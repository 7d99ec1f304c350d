import type { ChatMessage } from '@platform/agent-registry';
import type { FallbackStrategyType, NegotiationMode, SynthesisStrategyType } from '@platform/contracts';
import { agreementWithOthers } from './agreement';

/* The pure parts of the synthesis strategies: resolved settings, prompts, weighted-fusion's choice. */

export interface ResolvedStrategy {
  type: SynthesisStrategyType;
  maxRounds: number;
  agreementThreshold: number;
  fallbackStrategy: FallbackStrategyType;
  earlyTerminationEnabled: boolean;
  negotiationMode: NegotiationMode;
  embeddingModel?: string;
  synthesizerModel?: string;
}

export interface StrategyInput {
  type?: SynthesisStrategyType;
  config?: {
    maxRounds?: number;
    agreementThreshold?: number;
    fallbackStrategy?: FallbackStrategyType;
    earlyTerminationEnabled?: boolean;
    negotiationMode?: NegotiationMode;
    embeddingModel?: string;
    synthesizerModel?: string;
  };
}

/** The request's strategy with every default filled in (the document's example values for iterative-consensus). */
export function resolveStrategy(input: StrategyInput | undefined): ResolvedStrategy {
  const c = input?.config ?? {};
  return {
    type: input?.type ?? 'consensus-extraction',
    maxRounds: c.maxRounds ?? 3,
    agreementThreshold: c.agreementThreshold ?? 0.8,
    fallbackStrategy: c.fallbackStrategy ?? 'meta-synthesis',
    earlyTerminationEnabled: c.earlyTerminationEnabled ?? true,
    negotiationMode: c.negotiationMode ?? 'parallel',
    ...(c.embeddingModel ? { embeddingModel: c.embeddingModel } : {}),
    ...(c.synthesizerModel ? { synthesizerModel: c.synthesizerModel } : {}),
  };
}

/** An earlier exchange of the same session, given to the members as context. */
export interface SessionTurn {
  query: string;
  decision: string | null;
}

const MEMBER_SYSTEM =
  'You are one member of a council of AI models that answers a question together. Answer the question directly and accurately, in a few sentences.';

function sessionContext(history: SessionTurn[]): ChatMessage[] {
  if (history.length === 0) return [];
  const lines = history.map((t, i) => `${i + 1}. Question: ${t.query}\n   Council decision: ${t.decision ?? '(no decision)'}`);
  return [{ role: 'system', content: `Earlier in this session the council was asked:\n${lines.join('\n')}` }];
}

/** A member's first answer. */
export function firstRoundPrompt(query: string, history: SessionTurn[]): ChatMessage[] {
  return [{ role: 'system', content: MEMBER_SYSTEM }, ...sessionContext(history), { role: 'user', content: query }];
}

/** A member's revision in iterative-consensus: its last answer and the others'. */
export function revisionPrompt(query: string, history: SessionTurn[], own: string | null, others: { member: string; answer: string }[]): ChatMessage[] {
  const theirs = others.map((o, i) => `Answer ${i + 1}:\n${o.answer}`).join('\n\n');
  return [
    { role: 'system', content: MEMBER_SYSTEM },
    ...sessionContext(history),
    { role: 'user', content: query },
    ...(own ? [{ role: 'assistant' as const, content: own }] : []),
    {
      role: 'user',
      content: `Other council members answered:\n\n${theirs}\n\nRevise your answer towards a consensus: keep what you are sure of, adopt what the others convincingly say, drop what you cannot defend. Reply with your revised answer only.`,
    },
  ];
}

const numbered = (query: string, answers: string[]) => `Question: ${query}\n\n${answers.map((a, i) => `Answer ${i + 1}:\n${a}`).join('\n\n')}`;

/** consensus-extraction: keep what the answers agree on. */
export function consensusPrompt(query: string, answers: string[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You are the synthesizer of a council of AI models. Write one answer to the question that keeps only what the council members agree on; leave out claims that only one member makes. Reply with the answer only.',
    },
    { role: 'user', content: numbered(query, answers) },
  ];
}

/** meta-synthesis: a moderator writes the best answer from all of them. */
export function metaSynthesisPrompt(query: string, answers: string[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        "You are the moderator of a council of AI models. Weigh the members' answers, resolve their disagreements and write the best complete answer to the question. Reply with the answer only.",
    },
    { role: 'user', content: numbered(query, answers) },
  ];
}

/**
 * weighted-fusion: each answer scores its member's weight × its mean agreement with the other answers;
 * the best-scoring answer is the decision (no further model call). Returns its index and every score.
 */
export function weightedFusion(weights: number[], matrix: number[][]): { index: number; scores: number[] } {
  const agreement = agreementWithOthers(matrix);
  const scores = weights.map((w, i) => w * agreement[i]);
  let index = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[index]) index = i;
  return { index, scores };
}

/** The answer closest to all others (iterative-consensus's decision once the members converged). */
export function centroid(matrix: number[][]): number {
  const agreement = agreementWithOthers(matrix);
  let index = 0;
  for (let i = 1; i < agreement.length; i++) if (agreement[i] > agreement[index]) index = i;
  return index;
}

/** A text as stream tokens (words with their trailing space), for decisions that were not streamed by a model. */
export const wordTokens = (text: string): string[] => text.match(/\S+\s*|\s+/g) ?? [];
