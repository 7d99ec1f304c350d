import type { DocumentFormat, DocumentStatus } from './model';

/* What knowledge-ingestor answers on NATS. */

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
