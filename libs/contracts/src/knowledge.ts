import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export const COLLECTION_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const COLLECTION_NAME_MESSAGE = 'collection name must match ^[a-z0-9][a-z0-9_-]{0,62}$';

/** A filename after the gateway sanitised it: no path separators, no control characters, at most 255 characters. */
export const SAFE_FILENAME_PATTERN = /^[^/\\\x00-\x1f\x7f]{1,255}$/;

/** The JetStream object store bucket uploaded files live in (written by the gateway, read and deleted by the ingestor). */
export const KNOWLEDGE_FILES_BUCKET = 'knowledge-files';

/** Formats the ingestor can parse. Anything else is refused with 415 before it is stored. */
export const DOCUMENT_FORMATS = ['text', 'markdown', 'html', 'pdf', 'json'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

export const DOCUMENT_STATUSES = ['queued', 'processing', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Collections

/** `POST /v1/collections` body, and `knowledge.collections.create`. */
export class CreateCollectionRequest {
  @IsString()
  @Matches(COLLECTION_NAME_PATTERN, { message: COLLECTION_NAME_MESSAGE })
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class CollectionRef {
  @IsString()
  @Matches(COLLECTION_NAME_PATTERN, { message: COLLECTION_NAME_MESSAGE })
  name: string;
}

export interface CollectionView {
  name: string;
  description: string | null;
  created_at: string;
  document_count: number;
}

export interface CollectionList {
  collections: CollectionView[];
}

export interface DeleteCollectionReply {
  name: string;
  deleted: true;
  documents_deleted: number;
}

// ---------------------------------------------------------------------------------------------
// Documents

/** One uploaded file, already in the object store under `object_name`. Bytes never travel on NATS. */
export class StoredFileRef {
  @IsString()
  @Matches(/^[A-Za-z0-9._/-]{1,200}$/)
  object_name: string;

  @IsString()
  @Matches(SAFE_FILENAME_PATTERN, { message: 'filename must be 1-255 characters without path separators or control characters' })
  filename: string;

  @IsIn(DOCUMENT_FORMATS)
  format: DocumentFormat;

  @IsString()
  @MaxLength(200)
  content_type: string;

  @IsInt()
  @Min(0)
  size_bytes: number;

  @IsString()
  @Matches(/^[0-9a-f]{64}$/)
  sha256: string;
}

/** `knowledge.documents.register`: the gateway stored the files; the ingestor records and queues them. */
export class RegisterDocumentsRequest {
  @IsString()
  @Matches(COLLECTION_NAME_PATTERN, { message: COLLECTION_NAME_MESSAGE })
  collection_name: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => StoredFileRef)
  files: StoredFileRef[];
}

/** The multipart text fields of `POST /v1/documents` (the files come as parts named `files`). */
export class UploadDocumentsForm {
  @IsString()
  @Matches(COLLECTION_NAME_PATTERN, { message: COLLECTION_NAME_MESSAGE })
  collection_name: string;
}

export interface DocumentAccepted {
  document_id: string;
  filename: string;
  collection_name: string;
  status: DocumentStatus;
  /** True when the same content was already in the collection: the existing document is returned. */
  duplicate?: boolean;
}

export interface RegisterDocumentsReply {
  documents: DocumentAccepted[];
}

export class DocumentRef {
  @IsUUID()
  document_id: string;
}

export class ListDocumentsQuery {
  @IsOptional()
  @IsString()
  @Matches(COLLECTION_NAME_PATTERN, { message: COLLECTION_NAME_MESSAGE })
  collection_name?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;
}

export interface DocumentView {
  document_id: string;
  filename: string;
  collection_name: string;
  status: DocumentStatus;
  chunk_count: number;
  error?: string;
  format: DocumentFormat;
  content_type: string;
  size_bytes: number;
  created_at: string;
  updated_at: string;
}

export interface DocumentList {
  documents: DocumentView[];
  total: number;
  limit: number;
  offset: number;
}

export interface DeleteDocumentReply {
  document_id: string;
  deleted: true;
}

// ---------------------------------------------------------------------------------------------
// Search

/** `POST /v1/collections/{name}/search` body. */
export class SearchBody {
  @IsString()
  @Length(1, 4000)
  query: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  top_k?: number;
}

/** `knowledge.search`: ranked chunks of one collection the caller owns. */
export class SearchCollectionRequest {
  @IsString()
  @Matches(COLLECTION_NAME_PATTERN, { message: 'collection_name must match ^[a-z0-9][a-z0-9_-]{0,62}$' })
  collection_name: string;

  @IsString()
  @Length(1, 4000)
  query: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
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
    'knowledge.collections.create': { request: CreateCollectionRequest; reply: CollectionView };
    'knowledge.collections.list': { request: Record<string, never>; reply: CollectionList };
    'knowledge.collections.get': { request: CollectionRef; reply: CollectionView };
    'knowledge.collections.delete': { request: CollectionRef; reply: DeleteCollectionReply };
    'knowledge.documents.register': { request: RegisterDocumentsRequest; reply: RegisterDocumentsReply };
    'knowledge.documents.get': { request: DocumentRef; reply: DocumentView };
    'knowledge.documents.list': { request: ListDocumentsQuery; reply: DocumentList };
    'knowledge.documents.delete': { request: DocumentRef; reply: DeleteDocumentReply };
  }
}

export const KnowledgeSubjects = {
  search: 'knowledge.search',
  collections: {
    create: 'knowledge.collections.create',
    list: 'knowledge.collections.list',
    get: 'knowledge.collections.get',
    delete: 'knowledge.collections.delete',
  },
  documents: {
    register: 'knowledge.documents.register',
    get: 'knowledge.documents.get',
    list: 'knowledge.documents.list',
    delete: 'knowledge.documents.delete',
  },
} as const;
