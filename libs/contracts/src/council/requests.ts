import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  NotContains,
  ValidateNested,
} from 'class-validator';
import {
  FALLBACK_STRATEGIES,
  NEGOTIATION_MODES,
  SYNTHESIS_STRATEGIES,
  type FallbackStrategyType,
  type NegotiationMode,
  type SynthesisStrategyType,
} from './model';

/* What callers send to the council: the HTTP bodies (checked at the gateway) and the commands job-runner receives. */

export const SESSION_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `synthesisStrategy.config`: every field optional; a field another strategy does not use is ignored. */
export class SynthesisConfigDto {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  maxRounds?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  agreementThreshold?: number;

  @IsOptional()
  @IsIn(FALLBACK_STRATEGIES)
  fallbackStrategy?: FallbackStrategyType;

  /** A catalogue embedding model for the agreement measure (the default embedding model, else TF-IDF, when omitted). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  embeddingModel?: string;

  @IsOptional()
  @IsBoolean()
  earlyTerminationEnabled?: boolean;

  @IsOptional()
  @IsIn(NEGOTIATION_MODES)
  negotiationMode?: NegotiationMode;

  /** A catalogue chat model that writes the answer (consensus-extraction, meta-synthesis); the default model when omitted. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  synthesizerModel?: string;
}

export class SynthesisStrategyDto {
  @IsIn(SYNTHESIS_STRATEGIES, { message: `synthesisStrategy.type must be one of ${SYNTHESIS_STRATEGIES.join(', ')}` })
  type: SynthesisStrategyType;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SynthesisConfigDto)
  config?: SynthesisConfigDto;
}

/** `POST /api/v1/requests` body (seed 004). */
export class CouncilRequestDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  @NotContains('\u0000', { message: 'query must not contain NUL characters' })
  query: string;

  @IsOptional()
  @IsString()
  @Matches(SESSION_ID_PATTERN, { message: 'sessionId must match ^[A-Za-z0-9_.:-]{1,128}$' })
  sessionId?: string;

  /** Accepted as the document has it: every request can be streamed from GET …/stream. */
  @IsOptional()
  @IsBoolean()
  streaming?: boolean;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SynthesisStrategyDto)
  synthesisStrategy?: SynthesisStrategyDto;
}

/** `council.submit`: the body plus the request id the gateway chose. */
export class SubmitCouncilCommand extends CouncilRequestDto {
  @IsString()
  @Matches(/^[0-9a-f-]{36}$/)
  request_id: string;
}

export class CouncilRef {
  @IsString()
  @Matches(/^[0-9a-f-]{36}$/)
  request_id: string;

  @IsOptional()
  @IsBoolean()
  include_deliberation?: boolean;
}

/** `GET /api/v1/requests?limit=&offset=`. */
export class CouncilListQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;
}
