/* Knowledge base (AI-Q Knowledge API): collections, documents and their formats. */

export const COLLECTION_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const COLLECTION_NAME_MESSAGE = 'collection name must match ^[a-z0-9][a-z0-9_-]{0,62}$';

/** A filename after the gateway sanitised it: no path separators, no control characters, at most 255 characters. */
export const SAFE_FILENAME_PATTERN = /^[^/\\\x00-\x1f\x7f]{1,255}$/;

/** The JetStream object store bucket uploaded files live in (written by the gateway, read and deleted by the ingestor). */
export const KNOWLEDGE_FILES_BUCKET = 'knowledge-files';

/** Formats the ingestor can parse. Anything else is refused with 415 before it is stored. */
export const DOCUMENT_FORMATS = ['text', 'markdown', 'html', 'pdf', 'json'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

export const DOCUMENT_STATUSES = ['queued', 'processing', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
