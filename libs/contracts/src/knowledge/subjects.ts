import type {
  CollectionList,
  CollectionView,
  DeleteCollectionReply,
  DeleteDocumentReply,
  DocumentList,
  DocumentView,
  RegisterDocumentsReply,
  SearchReply,
} from './replies';
import type { CollectionRef, CreateCollectionRequest, DocumentRef, ListDocumentsQuery, RegisterDocumentsRequest, SearchCollectionRequest } from './requests';

/** The knowledge base's subjects, answered by knowledge-ingestor's queue group. */
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

export interface KnowledgeRpc {
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
