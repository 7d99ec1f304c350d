import {
  type ArgumentsHost,
  BadRequestException,
  type CanActivate,
  Catch,
  type ExceptionFilter,
  type ExecutionContext,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { GatewayConfig } from '../config';

/** Before multer reads a byte: the request must be multipart and its declared size within the limit. */
@Injectable()
export class UploadLimitGuard implements CanActivate {
  constructor(private readonly config: GatewayConfig) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException({ detail: 'Upload documents as multipart/form-data with one or more "files" parts' });
    }
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > this.config.UPLOAD_MAX_REQUEST_BYTES) {
      throw new PayloadTooLargeException({ detail: `Request larger than ${this.config.UPLOAD_MAX_REQUEST_BYTES} bytes` });
    }
    return true;
  }
}

/** multer's count limits come out as 400; over a configured limit is a 413 like an oversize file. Other 400s stay 400. */
@Catch(BadRequestException)
export class UploadLimitsFilter implements ExceptionFilter {
  catch(exception: BadRequestException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return void res.end();
    const tooMany = /^Too many (files|parts|fields)$/.test(exception.message);
    res.status(tooMany ? 413 : 400).json({ detail: tooMany ? `${exception.message} in one upload` : exception.message });
  }
}
