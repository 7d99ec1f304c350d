import type { NewJobEvent } from '@platform/contracts';
import type { Models } from './models/models';

/** A chat message for the model. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Any OpenAI-compatible chat-completions server, streaming. */
export interface LlmClient {
  readonly model: string;
  /** Yields content tokens as they arrive. Aborting `signal` aborts the HTTP request. */
  stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<string>;
}

export interface KnowledgeHit {
  document_id: string;
  filename: string;
  collection_name: string;
  chunk_index: number;
  text: string;
  score: number;
}

/** Search over the caller's knowledge collections (served by knowledge-ingestor over NATS). */
export interface KnowledgeClient {
  search(collection: string, query: string, topK: number, signal: AbortSignal): Promise<KnowledgeHit[]>;
}

export interface AgentOptions {
  collections?: string[];
  /** The caller cannot answer clarifying questions. */
  skip_clarifier?: boolean;
  /** Whatever else the caller's API passed (a service's `params`, a chat's `messages`): an agent reads what it understands. */
  [option: string]: unknown;
}

/** Everything an agent gets for one run. */
export interface AgentContext {
  jobId: string;
  input: string;
  options: AgentOptions;
  /** Appends an event to the job's log. Resolves once it is durable; callers may skip awaiting token chunks. */
  emit(event: NewJobEvent): Promise<void>;
  /** Fires on cancel (and shutdown hand-back). Pass it to every I/O call. */
  signal: AbortSignal;
  /** The default model of `models` (tokens only); null when no model is configured. */
  llm: LlmClient | null;
  /**
   * The model catalogue (`LLM_MODELS_FILE`, or `LLM_MODEL` on `LLM_BASE_URL`): pick a model by name or
   * tier, set temperature, ask for JSON, get usage and cost. Null when no model is configured.
   */
  models: Models | null;
  knowledge: KnowledgeClient;
}

export interface AgentImplementation {
  /** Runs the agent to completion and returns its final report (Markdown). */
  run(ctx: AgentContext): Promise<string>;
}

export interface AgentDescriptor {
  agent_type: string;
  description: string;
}
