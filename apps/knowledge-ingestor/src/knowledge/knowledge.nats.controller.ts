import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CollectionRef,
  CreateCollectionRequest,
  DocumentRef,
  ListDocumentsQuery,
  RegisterDocumentsRequest,
  SearchCollectionRequest,
  type Principal,
  Subjects,
} from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { KnowledgeService } from './knowledge.service';

/** NATS face of the knowledge base; the gateway's /v1/collections and /v1/documents routes and the agents land here (validation, context and errors: bootstrapService). */
@Controller()
export class KnowledgeNatsController {
  constructor(private readonly knowledge: KnowledgeService) {}

  @MessagePattern(Subjects.knowledge.collections.create)
  createCollection(@Payload() req: CreateCollectionRequest, @Caller() caller: Principal) {
    return this.knowledge.createCollection(req, caller);
  }

  @MessagePattern(Subjects.knowledge.collections.list)
  listCollections(@Caller() caller: Principal) {
    return this.knowledge.listCollections(caller);
  }

  @MessagePattern(Subjects.knowledge.collections.get)
  getCollection(@Payload() ref: CollectionRef, @Caller() caller: Principal) {
    return this.knowledge.getCollection(ref.name, caller);
  }

  @MessagePattern(Subjects.knowledge.collections.delete)
  deleteCollection(@Payload() ref: CollectionRef, @Caller() caller: Principal) {
    return this.knowledge.deleteCollection(ref.name, caller);
  }

  @MessagePattern(Subjects.knowledge.documents.register)
  register(@Payload() req: RegisterDocumentsRequest, @Caller() caller: Principal) {
    return this.knowledge.register(req, caller);
  }

  @MessagePattern(Subjects.knowledge.documents.get)
  getDocument(@Payload() ref: DocumentRef, @Caller() caller: Principal) {
    return this.knowledge.getDocument(ref.document_id, caller);
  }

  @MessagePattern(Subjects.knowledge.documents.list)
  listDocuments(@Payload() q: ListDocumentsQuery, @Caller() caller: Principal) {
    return this.knowledge.listDocuments(q, caller);
  }

  @MessagePattern(Subjects.knowledge.documents.delete)
  deleteDocument(@Payload() ref: DocumentRef, @Caller() caller: Principal) {
    return this.knowledge.deleteDocument(ref.document_id, caller);
  }

  @MessagePattern(Subjects.knowledge.search)
  search(@Payload() req: SearchCollectionRequest, @Caller() caller: Principal) {
    return this.knowledge.search(req, caller);
  }
}
