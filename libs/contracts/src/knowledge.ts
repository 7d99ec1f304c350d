import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

export const COLLECTION_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `knowledge.search`: ranked chunks of one collection the caller owns. */
export class SearchCollectionRequest {
  @IsString() @Matches(COLLECTION_NAME_PATTERN, { message: 'collection_name must match ^[a-z0-9][a-z0-9_-]{0,62}$' })
  collection_name: string;

  @IsString() @Length(1, 4000)
  query: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(50)
  top_k?: number;
}

export interface SearchResult {
  document_id: string;
  filename: string;
  chunk_index: number;
  text: string;
  score: number;
}

export interface SearchReply {
  results: SearchResult[];
}

declare module './subjects' {
  interface RpcMap {
    'knowledge.search': { request: SearchCollectionRequest; reply: SearchReply };
  }
}

export const KnowledgeSubjects = {
  search: 'knowledge.search',
} as const;
