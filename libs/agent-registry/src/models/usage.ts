import type { ChatMessage } from '../agent';

/**
 * The token count used when a server does not report usage: about four characters per token (OpenAI's
 * rule of thumb for English; real tokenizers differ by model, so no tokenizer is a better guess for an
 * arbitrary OpenAI-compatible server). Results counted this way carry `estimated: true`.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A chat message's overhead (role and framing) in the chat format, in tokens. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** The estimated prompt tokens of a chat request: each message's content plus its framing. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);
}
