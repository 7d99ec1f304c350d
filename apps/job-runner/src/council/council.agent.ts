import { Inject } from '@nestjs/common';
import { Agent, ModelTimeoutError, PendingEmits, type AgentContext, type AgentImplementation, type ChatMessage, type Models } from '@platform/agent-registry';
import {
  COUNCIL_AGENT_TYPE,
  COUNCIL_RETRYABLE,
  CouncilErrorCode,
  ErrorCode,
  ownerOf,
  type CouncilOutcome,
  type Deliberation,
  type DeliberationRound,
  type MemberAnswer,
} from '@platform/contracts';
import { RequestContextStore } from '@platform/runtime';
import { MODELS } from '../agents/agent-services';
import { JobRunnerConfig } from '../config';
import { confidenceOf, meanPairwise, round4, similarityMatrix, tfIdfVectors } from './agreement';
import { CouncilRepository } from './council.repository';
import { defaultMembers, parseMembers, type CouncilMember } from './members';
import {
  centroid,
  consensusPrompt,
  firstRoundPrompt,
  metaSynthesisPrompt,
  resolveStrategy,
  revisionPrompt,
  weightedFusion,
  wordTokens,
  type ResolvedStrategy,
  type SessionTurn,
  type StrategyInput,
} from './strategies';

/** A council run that ends with one of the document's error codes; the job's error reads `CODE: message`. */
export class CouncilFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The council's options on its job (`agent_options.council`, written by CouncilService). */
export interface CouncilJobOptions {
  sessionId?: string | null;
  synthesisStrategy?: StrategyInput;
}

interface Answered {
  member: CouncilMember;
  answer: string;
}

/**
 * The AI council (seed 004) as an agent: members answer in parallel, their agreement is measured, a
 * strategy turns the answers into one decision, which streams as `llm.chunk`. Its progress goes to the
 * log as `tool.start {name: "council.progress"}`, each member's answer as `tool.end {name:
 * "council.member"}`, each round's agreement as `tool.end {name: "council.round"}`; the outcome (decision,
 * confidence, agreement, cost, latency, the deliberation) is stored with the request (CouncilRepository).
 */
@Agent({ agent_type: COUNCIL_AGENT_TYPE, description: 'Asks a council of models and synthesizes their consensus (AI council API)' })
export class CouncilAgent implements AgentImplementation {
  private readonly configured: CouncilMember[] | null;

  constructor(
    @Inject(JobRunnerConfig) private readonly config: JobRunnerConfig,
    private readonly repo: CouncilRepository,
    @Inject(MODELS) models: Models | null,
  ) {
    this.configured = config.COUNCIL_MEMBERS ? parseMembers(config.COUNCIL_MEMBERS) : null;
    // A member naming a model the catalogue lacks stops start-up (UnknownModelError lists the known names).
    if (models && this.configured) for (const m of this.configured) models.catalogue.require(m.model);
    const size = this.configured?.length ?? 3;
    if (config.COUNCIL_MIN_QUORUM > size) throw new Error(`COUNCIL_MIN_QUORUM (${config.COUNCIL_MIN_QUORUM}) is more than the council's ${size} members`);
    if (config.COUNCIL_CONFIDENCE_MEDIUM > config.COUNCIL_CONFIDENCE_HIGH)
      throw new Error('COUNCIL_CONFIDENCE_MEDIUM must not be above COUNCIL_CONFIDENCE_HIGH');
  }

  /** The members for this catalogue; throws when COUNCIL_MEMBERS names a model it does not have. */
  members(models: Models): CouncilMember[] {
    if (!this.configured) return defaultMembers(models.catalogue.default.name);
    for (const m of this.configured) models.catalogue.require(m.model);
    return this.configured;
  }

  async run(ctx: AgentContext): Promise<string> {
    const opts = (ctx.options.council ?? {}) as CouncilJobOptions;
    const principal = RequestContextStore.current()?.principal;
    const owner = principal ? ownerOf(principal) : 'anonymous';
    const row = { id: ctx.jobId, owner, sessionId: opts.sessionId ?? null, query: ctx.input };
    const acceptedAt = (await this.repo.acceptedAt(ctx.jobId)) ?? new Date();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('council timeout')), this.config.COUNCIL_TIMEOUT_MS);
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    const run = new CouncilRun(ctx, signal, this.config, resolveStrategy(opts.synthesisStrategy));
    await ctx.emit({ type: 'workflow.start', data: { name: 'council' } });
    try {
      if (!ctx.models) throw new CouncilFailure(ErrorCode.SERVICE_UNAVAILABLE, 'no model is configured for the council (LLM_BASE_URL or LLM_MODELS_FILE)');
      let members: CouncilMember[];
      try {
        members = this.members(ctx.models);
      } catch (err) {
        throw new CouncilFailure(ErrorCode.SERVICE_UNAVAILABLE, (err as Error).message);
      }
      const history = row.sessionId ? await this.repo.session(owner, row.sessionId, { id: ctx.jobId, createdAt: acceptedAt }) : [];
      const result = await run.deliberate(ctx.models, members, history);
      const outcome: CouncilOutcome = {
        consensusDecision: result.decision,
        confidence: confidenceOf(result.agreementLevel, { high: this.config.COUNCIL_CONFIDENCE_HIGH, medium: this.config.COUNCIL_CONFIDENCE_MEDIUM }),
        agreementLevel: result.agreementLevel,
        cost: round10(run.cost),
        latency: Date.now() - acceptedAt.getTime(),
        completedAt: new Date().toISOString(),
        deliberation: run.deliberation,
      };
      ctx.signal.throwIfAborted();
      await this.repo.saveOutcome(row, outcome);
      await ctx.emit({ type: 'artifact.update', data: { type: 'output', content: result.decision } });
      await ctx.emit({ type: 'workflow.end', data: { name: 'council' } });
      return result.decision;
    } catch (err) {
      if (ctx.signal.aborted) throw err; // cancelled or handed back: nothing more is written
      const failure =
        err instanceof CouncilFailure
          ? err
          : deadline.signal.aborted
            ? new CouncilFailure(ErrorCode.TIMEOUT, `the council did not finish within ${this.config.COUNCIL_TIMEOUT_MS} ms`)
            : new CouncilFailure(ErrorCode.INTERNAL_ERROR, (err as Error)?.message ?? String(err));
      const outcome: CouncilOutcome = {
        cost: round10(run.cost),
        latency: Date.now() - acceptedAt.getTime(),
        completedAt: new Date().toISOString(),
        error: { code: failure.code, message: failure.message.slice(failure.code.length + 2), retryable: COUNCIL_RETRYABLE[failure.code] ?? true },
        deliberation: run.deliberation,
      };
      await this.repo.saveOutcome(row, outcome);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }
}

const round10 = (x: number) => Math.round(x * 1e10) / 1e10;

/** One council run: the rounds, the agreement measure, the synthesis, and what it all cost. */
export class CouncilRun {
  cost = 0;
  readonly deliberation: Deliberation;
  private readonly pending = new PendingEmits();

  constructor(
    private readonly ctx: AgentContext,
    /** The job's signal and the council's deadline. */
    private readonly signal: AbortSignal,
    private readonly config: JobRunnerConfig,
    private readonly strategy: ResolvedStrategy,
  ) {
    this.deliberation = { strategy: strategy.type, synthesizedBy: strategy.type, agreementMethod: 'tf-idf', rounds: [], synthesis: null };
  }

  async deliberate(models: Models, members: CouncilMember[], history: SessionTurn[]): Promise<{ decision: string; agreementLevel: number }> {
    const s = this.strategy;
    const embeddingModel = s.embeddingModel ?? models.catalogue.defaultEmbedding?.name;
    this.deliberation.agreementMethod = embeddingModel ? 'embeddings' : 'tf-idf';
    const maxRounds = s.type === 'iterative-consensus' ? s.maxRounds : 1;

    await this.progress('distributing', `Distributing to ${members.length} council members`);
    await this.progress('deliberating', `Round 1 of ${maxRounds}`);
    let answered = await this.round(1, models, members, () => firstRoundPrompt(this.ctx.input, history));
    let matrix = await this.similarity(models, embeddingModel, answered);
    let agreement = this.recordAgreement(1, matrix);

    if (s.type === 'iterative-consensus') {
      for (let r = 2; r <= maxRounds; r++) {
        if (s.earlyTerminationEnabled && agreement >= s.agreementThreshold) break;
        await this.progress('deliberating', `Round ${r} of ${maxRounds}`);
        answered = await this.revise(r, models, members, history, answered);
        matrix = await this.similarity(models, embeddingModel, answered);
        agreement = this.recordAgreement(r, matrix);
      }
      await this.progress('synthesizing', 'Synthesizing the consensus');
      if (agreement >= s.agreementThreshold) {
        this.deliberation.synthesizedBy = 'iterative-consensus';
        return { decision: await this.emitText(answered[centroid(matrix)].answer), agreementLevel: agreement };
      }
      this.deliberation.synthesizedBy = s.fallbackStrategy;
      return { decision: await this.synthesize(models, s.fallbackStrategy, answered, matrix), agreementLevel: agreement };
    }
    await this.progress('synthesizing', 'Synthesizing the consensus');
    return { decision: await this.synthesize(models, s.type, answered, matrix), agreementLevel: agreement };
  }

  private async synthesize(models: Models, type: string, answered: Answered[], matrix: number[][]): Promise<string> {
    if (type === 'weighted-fusion') {
      const { index } = weightedFusion(
        answered.map((a) => a.member.weight),
        matrix,
      );
      return this.emitText(answered[index].answer);
    }
    if (answered.length === 1) return this.emitText(answered[0].answer);
    const texts = answered.map((a) => a.answer);
    const messages: ChatMessage[] = type === 'meta-synthesis' ? metaSynthesisPrompt(this.ctx.input, texts) : consensusPrompt(this.ctx.input, texts);
    const model = this.strategy.synthesizerModel ?? models.catalogue.default.name;
    await this.ctx.emit({ type: 'llm.start', data: { model, role: type === 'meta-synthesis' ? 'moderator' : 'synthesizer' } });
    let res;
    try {
      res = await models.chat({
        messages,
        model,
        temperature: 0.2,
        signal: this.signal,
        onToken: (content) => this.pending.add(this.ctx.emit({ type: 'llm.chunk', data: { content } })),
      });
    } catch (err) {
      if (this.signal.aborted) throw err;
      throw new CouncilFailure(ErrorCode.SERVICE_UNAVAILABLE, `the synthesizer model failed: ${(err as Error).message}`);
    }
    this.cost += res.cost;
    this.deliberation.synthesis = { model: res.model, latencyMs: res.latencyMs, cost: res.cost };
    await this.pending.settle();
    await this.ctx.emit({ type: 'llm.end', data: { model: res.model, usage: res.usage, cost: res.cost } });
    return res.text;
  }

  /** A decision that no model streamed (a member's answer) goes out as chunks all the same. */
  private async emitText(text: string): Promise<string> {
    await this.ctx.emit({ type: 'llm.start', data: { model: 'council' } });
    await Promise.all(wordTokens(text).map((content) => this.ctx.emit({ type: 'llm.chunk', data: { content } })));
    await this.ctx.emit({ type: 'llm.end', data: { model: 'council' } });
    return text;
  }

  /** Every member at once; the failed ones are dropped for this round. */
  private async round(n: number, models: Models, members: CouncilMember[], prompt: (m: CouncilMember) => ChatMessage[]): Promise<Answered[]> {
    const results = await Promise.all(members.map((m) => this.ask(n, models, m, prompt(m))));
    return this.quorum(n, results);
  }

  /** iterative-consensus: each member revises seeing the others' last answers (parallel), or one after another seeing the latest (sequential). */
  private async revise(n: number, models: Models, members: CouncilMember[], history: SessionTurn[], last: Answered[]): Promise<Answered[]> {
    const latest = new Map(last.map((a) => [a.member.id, a.answer]));
    const promptFor = (m: CouncilMember, view: Map<string, string>) =>
      revisionPrompt(
        this.ctx.input,
        history,
        view.get(m.id) ?? null,
        [...view].filter(([id]) => id !== m.id).map(([member, answer]) => ({ member, answer })),
      );
    if (this.strategy.negotiationMode === 'parallel') return this.round(n, models, members, (m) => promptFor(m, latest));
    const results: (Answered | null)[] = [];
    for (const m of members) {
      const a = await this.ask(n, models, m, promptFor(m, latest));
      if (a) latest.set(m.id, a.answer);
      results.push(a);
    }
    return this.quorum(n, results);
  }

  private quorum(n: number, results: (Answered | null)[]): Answered[] {
    const answered = results.filter((a): a is Answered => a !== null);
    if (answered.length === 0) throw new CouncilFailure(CouncilErrorCode.ALL_PROVIDERS_FAILED, `no council member answered in round ${n}`);
    if (answered.length < this.config.COUNCIL_MIN_QUORUM)
      throw new CouncilFailure(
        CouncilErrorCode.MINIMUM_QUORUM_NOT_MET,
        `${answered.length} of ${results.length} council members answered in round ${n} (COUNCIL_MIN_QUORUM is ${this.config.COUNCIL_MIN_QUORUM})`,
      );
    return answered;
  }

  /** One member's answer, or null when it failed or timed out (recorded either way). */
  private async ask(n: number, models: Models, member: CouncilMember, messages: ChatMessage[]): Promise<Answered | null> {
    const started = Date.now();
    const entry: MemberAnswer = {
      member: member.id,
      model: member.model,
      temperature: member.temperature,
      weight: member.weight,
      answer: null,
      latencyMs: 0,
      cost: 0,
      error: null,
    };
    try {
      const res = await models.chat({
        messages,
        model: member.model,
        temperature: member.temperature,
        timeoutMs: this.config.COUNCIL_MEMBER_TIMEOUT_MS,
        signal: this.signal,
      });
      entry.answer = res.text;
      entry.cost = res.cost;
      this.cost += res.cost;
      if (!res.text.trim()) entry.error = 'empty answer';
    } catch (err) {
      if (this.signal.aborted) throw err;
      entry.error = err instanceof ModelTimeoutError ? `timed out after ${this.config.COUNCIL_MEMBER_TIMEOUT_MS} ms` : (err as Error).message;
    }
    entry.latencyMs = Date.now() - started;
    this.roundOf(n).members.push(entry);
    await this.ctx.emit({ type: 'tool.end', data: { name: 'council.member', round: n, ...entry } });
    return entry.error === null ? { member, answer: entry.answer! } : null;
  }

  private roundOf(n: number): DeliberationRound {
    let r = this.deliberation.rounds.find((x) => x.round === n);
    if (!r) {
      r = { round: n, agreement: null, members: [] };
      this.deliberation.rounds.push(r);
    }
    return r;
  }

  /** The answers' similarity matrix: embeddings when a model is configured (TF-IDF if that call fails), else TF-IDF. */
  private async similarity(models: Models, embeddingModel: string | undefined, answered: Answered[]): Promise<number[][]> {
    const texts = answered.map((a) => a.answer);
    if (embeddingModel && texts.length > 1) {
      try {
        const res = await models.embed({ input: texts, model: embeddingModel, signal: this.signal, timeoutMs: this.config.COUNCIL_MEMBER_TIMEOUT_MS });
        this.cost += res.cost;
        return similarityMatrix(res.vectors);
      } catch (err) {
        if (this.signal.aborted) throw err;
        this.deliberation.agreementMethod = 'tf-idf';
      }
    }
    return similarityMatrix(tfIdfVectors(texts));
  }

  /** The round's agreement (0 with fewer than two answers: nothing to agree with). */
  private recordAgreement(n: number, matrix: number[][]): number {
    const agreement = meanPairwise(matrix);
    this.roundOf(n).agreement = agreement;
    this.pending.add(this.ctx.emit({ type: 'tool.end', data: { name: 'council.round', round: n, agreement } }));
    return agreement === null ? 0 : round4(agreement);
  }

  private progress(status: 'distributing' | 'deliberating' | 'synthesizing', message: string): Promise<void> {
    return this.ctx.emit({ type: 'tool.start', data: { name: 'council.progress', status, message } });
  }
}
