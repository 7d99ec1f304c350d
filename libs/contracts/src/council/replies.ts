import type { CouncilErrorInfo, Deliberation } from './model';

export type CouncilStatus = 'processing' | 'completed' | 'failed';

export interface CouncilAccepted {
  requestId: string;
  status: 'processing';
  createdAt: string;
}

/** `GET /api/v1/requests/:requestId` (seed 004), `error` and `deliberation` being our additions. */
export interface CouncilRequestView {
  requestId: string;
  status: CouncilStatus;
  query: string;
  sessionId: string | null;
  consensusDecision?: string;
  confidence?: 'high' | 'medium' | 'low';
  agreementLevel?: number;
  cost?: number;
  latency?: number;
  createdAt: string;
  completedAt?: string;
  error?: CouncilErrorInfo;
  deliberation?: Deliberation;
}

export interface CouncilList {
  data: CouncilRequestView[];
  pagination: { limit: number; offset: number; total: number; hasMore: boolean };
}
