import { Controller, UseFilters, UseInterceptors, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CollectionRef,
  CreateCollectionRequest,
  DocumentRef,
  KnowledgeSubjects,
  ListDocumentsQuery,
  RegisterDocumentsRequest,
  SearchCollectionRequest,
  type Principal,
} from '@platform/contracts';
import { Caller, RpcContextInterceptor, RpcErrorFilter, rpcValidationPipe } from '@platform/runtime';
import { KnowledgeService } from './knowledge.service';

/** NATS face of the knowledge base; the gateway's /v1/collections and /v1/documents routes and the agents land here. */
/*
 * The validation pipe, context interceptor and error filter are bound here as well as globally:
 * in this Nest version the hybrid app's `ms.useGlobal*()` enhancers were observed not to run for
 * NATS handlers, which let unvalidated messages through and dropped the caller's principal.
 */
@Controller()
@UsePipes(rpcValidationPipe())
@UseInterceptors(RpcContextInterceptor)
@UseFilters(new RpcErrorFilter())
export class KnowledgeController {
  constructor(private readonly knowledge: KnowledgeService) {}

  @MessagePattern(KnowledgeSubjects.collections.create)
  createCollection(@Payload() req: CreateCollectionRequest, @Caller() caller: Principal) {
    return this.knowledge.createCollection(req, caller);
  }

  @MessagePattern(KnowledgeSubjects.collections.list)
  listCollections(@Caller() caller: Principal) {
    return this.knowledge.listCollections(caller);
  }

  @MessagePattern(KnowledgeSubjects.collections.get)
  getCollection(@Payload() ref: CollectionRef, @Caller() caller: Principal) {
    return this.knowledge.getCollection(ref.name, caller);
  }

  @MessagePattern(KnowledgeSubjects.collections.delete)
  deleteCollection(@Payload() ref: CollectionRef, @Caller() caller: Principal) {
    return this.knowledge.deleteCollection(ref.name, caller);
  }

  @MessagePattern(KnowledgeSubjects.documents.register)
  register(@Payload() req: RegisterDocumentsRequest, @Caller() caller: Principal) {
    return this.knowledge.register(req, caller);
  }

  @MessagePattern(KnowledgeSubjects.documents.get)
  getDocument(@Payload() ref: DocumentRef, @Caller() caller: Principal) {
    return this.knowledge.getDocument(ref.document_id, caller);
  }

  @MessagePattern(KnowledgeSubjects.documents.list)
  listDocuments(@Payload() q: ListDocumentsQuery, @Caller() caller: Principal) {
    return this.knowledge.listDocuments(q, caller);
  }

  @MessagePattern(KnowledgeSubjects.documents.delete)
  deleteDocument(@Payload() ref: DocumentRef, @Caller() caller: Principal) {
    return this.knowledge.deleteDocument(ref.document_id, caller);
  }

  @MessagePattern(KnowledgeSubjects.search)
  search(@Payload() req: SearchCollectionRequest, @Caller() caller: Principal) {
    return this.knowledge.search(req, caller);
  }
}
