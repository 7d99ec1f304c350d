import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CouncilRequestDto } from '@platform/contracts';
import { ConfigError, loadConfig } from '@platform/runtime';
import { JobRunnerConfig } from '../config';
import { agreementWithOthers, confidenceOf, cosine, meanPairwise, similarityMatrix, tfIdfVectors, tokenize } from './agreement';
import { errorOf, toView } from './council-view';
import { defaultMembers, parseMembers } from './members';
import { centroid, consensusPrompt, firstRoundPrompt, resolveStrategy, revisionPrompt, weightedFusion, wordTokens } from './strategies';

describe('council agreement', () => {
  it('tokenizes words in any script, lower-cased', () => {
    expect(tokenize('Paris, the CAPITAL — été 2024!')).toEqual(['paris', 'the', 'capital', 'été', '2024']);
  });

  it('gives identical answers agreement 1 and disjoint ones 0', () => {
    expect(meanPairwise(similarityMatrix(tfIdfVectors(['the sky is blue', 'the sky is blue'])))).toBe(1);
    expect(meanPairwise(similarityMatrix(tfIdfVectors(['cats purr softly', 'rockets burn fuel'])))).toBe(0);
  });

  it('ranks similar answers above divergent ones, within [0, 1]', () => {
    const agreeing = meanPairwise(
      similarityMatrix(tfIdfVectors(['Paris is the capital of France', 'The capital of France is Paris', 'Paris is France’s capital'])),
    )!;
    const divergent = meanPairwise(similarityMatrix(tfIdfVectors(['Paris is the capital of France', 'Lyon has the best food', 'Bananas are yellow fruit'])))!;
    expect(agreeing).toBeGreaterThan(0.6);
    expect(divergent).toBeLessThan(0.3);
    expect(agreeing).toBeLessThanOrEqual(1);
    expect(divergent).toBeGreaterThanOrEqual(0);
  });

  it('weights rare words above words every answer uses (IDF)', () => {
    const [a, b] = tfIdfVectors(['the cat', 'the dog', 'the cat']);
    // "the" is in all three documents, "cat" in two, "dog" in one: the IDF weights say so
    expect(a.filter((x) => x > 0)).toHaveLength(2);
    expect(Math.max(...b)).toBeGreaterThan(Math.max(...a));
  });

  it('has no agreement with fewer than two answers, and clamps cosine to [0, 1]', () => {
    expect(meanPairwise(similarityMatrix([[1, 2]]))).toBeNull();
    expect(cosine([1, 0], [-1, 0])).toBe(0);
    expect(cosine([0, 0], [1, 0])).toBe(0);
    expect(cosine([1, 1], [2, 2])).toBeCloseTo(1);
  });

  it('maps agreement to confidence by the thresholds', () => {
    const t = { high: 0.8, medium: 0.5 };
    expect(confidenceOf(0.8, t)).toBe('high');
    expect(confidenceOf(0.79, t)).toBe('medium');
    expect(confidenceOf(0.5, t)).toBe('medium');
    expect(confidenceOf(0.49, t)).toBe('low');
  });
});

describe('council strategies (pure parts)', () => {
  it('fills in the defaults: consensus-extraction, 3 rounds at 0.8, meta-synthesis fallback, parallel', () => {
    expect(resolveStrategy(undefined)).toEqual({
      type: 'consensus-extraction',
      maxRounds: 3,
      agreementThreshold: 0.8,
      fallbackStrategy: 'meta-synthesis',
      earlyTerminationEnabled: true,
      negotiationMode: 'parallel',
    });
    expect(resolveStrategy({ type: 'iterative-consensus', config: { maxRounds: 5, negotiationMode: 'sequential', embeddingModel: 'e' } })).toMatchObject({
      type: 'iterative-consensus',
      maxRounds: 5,
      negotiationMode: 'sequential',
      embeddingModel: 'e',
    });
  });

  it('weighted-fusion picks by weight × agreement with the others', () => {
    const m = [
      [1, 0.9, 0.1],
      [0.9, 1, 0.2],
      [0.1, 0.2, 1],
    ];
    expect(agreementWithOthers(m).map((x) => Math.round(x * 100))).toEqual([50, 55, 15]);
    expect(weightedFusion([1, 1, 1], m).index).toBe(1);
    expect(weightedFusion([2, 1, 1], m).index).toBe(0);
    expect(weightedFusion([1, 1, 10], m).index).toBe(2);
    expect(centroid(m)).toBe(1);
  });

  it("puts the session, the others' answers and the member's own into the prompts", () => {
    const history = [{ query: 'What is 2+2?', decision: '4' }];
    const first = firstRoundPrompt('And times 3?', history);
    expect(first.map((m) => m.role)).toEqual(['system', 'system', 'user']);
    expect(first[1].content).toContain('What is 2+2?');
    expect(first[1].content).toContain('Council decision: 4');
    expect(firstRoundPrompt('q', [])).toHaveLength(2);
    const revision = revisionPrompt('q', [], 'mine', [{ member: 'b', answer: 'theirs' }]);
    expect(revision.find((m) => m.role === 'assistant')?.content).toBe('mine');
    expect(revision[revision.length - 1].content).toContain('theirs');
    expect(revision[revision.length - 1].content).toMatch(/Revise your answer/);
    expect(consensusPrompt('q', ['a1', 'a2'])[1].content).toBe('Question: q\n\nAnswer 1:\na1\n\nAnswer 2:\na2');
  });

  it('splits a decision into stream tokens that join back to it', () => {
    expect(wordTokens('Paris is  the capital.').join('')).toBe('Paris is  the capital.');
  });
});

describe('council members and config', () => {
  it('parses model[@temperature][*weight], labelling repeats', () => {
    expect(parseMembers('small@0.2, small@0.2*2 ,large*3')).toEqual([
      { id: 'small@0.2', model: 'small', temperature: 0.2, weight: 1 },
      { id: 'small@0.2#2', model: 'small', temperature: 0.2, weight: 2 },
      { id: 'large@0.7', model: 'large', temperature: 0.7, weight: 3 },
    ]);
    expect(defaultMembers('m').map((m) => m.temperature)).toEqual([0.2, 0.7, 1.0]);
  });

  it('refuses bad entries', () => {
    expect(() => parseMembers('')).toThrow(/no member/);
    expect(() => parseMembers('a@3')).toThrow(/temperature/);
    expect(() => parseMembers('a*0')).toThrow(/weight/);
    expect(() => parseMembers('a b')).toThrow(/model\[@temperature\]/);
  });

  it('validates the COUNCIL_* variables at start-up', () => {
    const config = loadConfig(JobRunnerConfig, { COUNCIL_MEMBERS: 'small@0.2,large' });
    expect(config).toMatchObject({ COUNCIL_MIN_QUORUM: 2, COUNCIL_TIMEOUT_MS: 120_000, COUNCIL_MEMBER_TIMEOUT_MS: 30_000, COUNCIL_CONFIDENCE_HIGH: 0.8 });
    expect(() => loadConfig(JobRunnerConfig, { COUNCIL_MEMBERS: 'small@9' })).toThrow(ConfigError);
    expect(() => loadConfig(JobRunnerConfig, { COUNCIL_MIN_QUORUM: '0' })).toThrow(ConfigError);
    expect(() => loadConfig(JobRunnerConfig, { COUNCIL_CONFIDENCE_HIGH: '1.5' })).toThrow(ConfigError);
  });
});

describe('council request body', () => {
  const errors = (body: unknown) => validateSync(plainToInstance(CouncilRequestDto, body), { whitelist: true, forbidNonWhitelisted: true }).length;

  it("accepts the document's example and refuses unknown strategies, out-of-range and unknown config", () => {
    const ok = {
      query: 'q',
      sessionId: 'user-123-session',
      streaming: false,
      synthesisStrategy: {
        type: 'iterative-consensus',
        config: {
          maxRounds: 5,
          agreementThreshold: 0.85,
          fallbackStrategy: 'meta-synthesis',
          embeddingModel: 'e',
          earlyTerminationEnabled: true,
          negotiationMode: 'parallel',
        },
      },
    };
    expect(errors(ok)).toBe(0);
    expect(errors({ query: '' })).toBeGreaterThan(0);
    expect(errors({ query: 'q', synthesisStrategy: { type: 'majority-vote' } })).toBeGreaterThan(0);
    expect(errors({ query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 0 } } })).toBeGreaterThan(0);
    expect(errors({ query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { agreementThreshold: 1.2 } } })).toBeGreaterThan(0);
    expect(errors({ query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { negotiationMode: 'round-robin' } } })).toBeGreaterThan(0);
    expect(errors({ query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { fallbackStrategy: 'iterative-consensus' } } })).toBeGreaterThan(0);
    expect(errors({ query: 'q', synthesisStrategy: { type: 'weighted-fusion', config: { bogus: 1 } } })).toBeGreaterThan(0);
  });
});

describe('council request view', () => {
  const row = { id: 'r', session_id: null, query: 'q', created_at: new Date('2024-01-15T10:30:00Z'), outcome: null, error: null };

  it("maps job statuses and errors onto the document's", () => {
    expect(toView({ ...row, status: 'running' })).toEqual({
      requestId: 'r',
      status: 'processing',
      query: 'q',
      sessionId: null,
      createdAt: '2024-01-15T10:30:00.000Z',
    });
    expect(toView({ ...row, status: 'interrupted', error: 'Cancelled by request' }).error).toEqual({
      code: 'CANCELLED',
      message: 'Cancelled by request',
      retryable: false,
    });
    expect(errorOf('failure', 'MINIMUM_QUORUM_NOT_MET: 1 of 3')).toEqual({ code: 'MINIMUM_QUORUM_NOT_MET', message: '1 of 3', retryable: true });
    expect(errorOf('failure', 'Job failed: worker lost 3 times')).toMatchObject({ code: 'INTERNAL_ERROR', retryable: true });
    const outcome = {
      consensusDecision: 'd',
      confidence: 'high' as const,
      agreementLevel: 0.9,
      cost: 0.01,
      latency: 5,
      completedAt: 'x',
      deliberation: { strategy: 'weighted-fusion' as const, synthesizedBy: 'weighted-fusion', agreementMethod: 'tf-idf' as const, rounds: [], synthesis: null },
    };
    expect(toView({ ...row, status: 'success', outcome })).toMatchObject({
      status: 'completed',
      consensusDecision: 'd',
      confidence: 'high',
      agreementLevel: 0.9,
      cost: 0.01,
      latency: 5,
      completedAt: 'x',
    });
    expect(toView({ ...row, status: 'success', outcome }).deliberation).toBeUndefined();
    expect(toView({ ...row, status: 'success', outcome }, true).deliberation).toEqual(outcome.deliberation);
  });
});
