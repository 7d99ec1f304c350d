/* The AI council (seed 004): what a council request is and what it answers. */

export const SYNTHESIS_STRATEGIES = ['consensus-extraction', 'weighted-fusion', 'meta-synthesis', 'iterative-consensus'] as const;
export type SynthesisStrategyType = (typeof SYNTHESIS_STRATEGIES)[number];
/** What `iterative-consensus` falls back to when its rounds never reach the threshold. */
export const FALLBACK_STRATEGIES = ['consensus-extraction', 'weighted-fusion', 'meta-synthesis'] as const;
export type FallbackStrategyType = (typeof FALLBACK_STRATEGIES)[number];
export const NEGOTIATION_MODES = ['parallel', 'sequential'] as const;
export type NegotiationMode = (typeof NEGOTIATION_MODES)[number];

export const COUNCIL_AGENT_TYPE = 'council';

/** The council's error codes beyond the platform's (`ErrorCode`). */
export const CouncilErrorCode = {
  ALL_PROVIDERS_FAILED: 'ALL_PROVIDERS_FAILED',
  MINIMUM_QUORUM_NOT_MET: 'MINIMUM_QUORUM_NOT_MET',
  CANCELLED: 'CANCELLED',
} as const;

/** The document's codes and whether a client may retry (its table), plus ours (`FORBIDDEN`, `CONFLICT`, … by status). */
export const COUNCIL_RETRYABLE: Record<string, boolean> = {
  INVALID_REQUEST: false,
  UNAUTHORIZED: false,
  FORBIDDEN: false,
  NOT_FOUND: false,
  CONFLICT: false,
  PAYLOAD_TOO_LARGE: false,
  UNSUPPORTED_MEDIA_TYPE: false,
  CANCELLED: false,
  RATE_LIMIT_EXCEEDED: true,
  TIMEOUT: true,
  SERVICE_UNAVAILABLE: true,
  INTERNAL_ERROR: true,
  ALL_PROVIDERS_FAILED: true,
  MINIMUM_QUORUM_NOT_MET: true,
};

export interface CouncilErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
}

/** One member's answer in one round (`?include=deliberation`). */
export interface MemberAnswer {
  member: string;
  model: string;
  temperature: number;
  weight: number;
  answer: string | null;
  latencyMs: number;
  cost: number;
  error: string | null;
}

export interface DeliberationRound {
  round: number;
  /** Mean pairwise similarity of this round's answers (null when fewer than two answered). */
  agreement: number | null;
  members: MemberAnswer[];
}

export interface Deliberation {
  strategy: SynthesisStrategyType;
  /** The strategy that wrote the answer (iterative-consensus: the fallback when the threshold was never reached). */
  synthesizedBy: string;
  agreementMethod: 'embeddings' | 'tf-idf';
  rounds: DeliberationRound[];
  /** The synthesizer's call, when one was made. */
  synthesis: { model: string; latencyMs: number; cost: number } | null;
}

/** What a finished council run leaves: the decision and how it was reached, or the error it ended with. */
export interface CouncilOutcome {
  consensusDecision?: string;
  confidence?: 'high' | 'medium' | 'low';
  agreementLevel?: number;
  cost: number;
  latency: number;
  completedAt: string;
  error?: CouncilErrorInfo;
  deliberation?: Deliberation;
}
