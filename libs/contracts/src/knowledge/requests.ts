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
import { COLLECTION_NAME_MESSAGE, COLLECTION_NAME_PATTERN, DOCUMENT_FORMATS, SAFE_FILENAME_PATTERN, type DocumentFormat } from './model';

/* Bodies of the Knowledge API's routes and the NATS requests built from them (AI-Q Knowledge API). */

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
