import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateCollectionRequest, SearchBody, Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { collectionName } from '../http/not-found';

/** Knowledge API: collections and search. Thin: validation here, the knowledge base in knowledge-ingestor. */
@ApiTags('knowledge')
@Controller('v1/collections')
export class CollectionsController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a collection (409 if the name exists)' })
  @ApiBody({ type: CreateCollectionRequest })
  create(@Body() body: CreateCollectionRequest) {
    return this.bus.request(Subjects.knowledge.collections.create, body);
  }

  @Get()
  @ApiOperation({ summary: "List the caller's collections" })
  list() {
    return this.bus.request(Subjects.knowledge.collections.list, {});
  }

  @Get(':name')
  @ApiOperation({ summary: 'Get a collection' })
  get(@Param('name') name: string) {
    return this.bus.request(Subjects.knowledge.collections.get, { name: collectionName(name) });
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Delete a collection with its documents, chunks and stored files' })
  remove(@Param('name') name: string) {
    return this.bus.request(Subjects.knowledge.collections.delete, { name: collectionName(name) });
  }

  @Post(':name/search')
  @HttpCode(200)
  @ApiOperation({ summary: 'Search a collection; results best first' })
  @ApiBody({ type: SearchBody })
  search(@Param('name') name: string, @Body() body: SearchBody) {
    return this.bus.request(Subjects.knowledge.search, { collection_name: collectionName(name), query: body.query, top_k: body.top_k ?? 5 });
  }
}
