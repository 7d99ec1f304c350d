import { UnprocessableEntityException, ValidationPipe, type ValidationError } from '@nestjs/common';

interface FieldError {
  loc: string[];
  msg: string;
  type: string;
}

function flatten(errors: ValidationError[], loc: string[]): FieldError[] {
  return errors.flatMap((e) => [
    ...Object.entries(e.constraints ?? {}).map(([type, msg]) => ({ loc: [...loc, e.property], msg, type })),
    ...flatten(e.children ?? [], [...loc, e.property]),
  ]);
}

/** Rejects unknown fields and wrong types with 422 `{"detail":[{loc,msg,type}]}` (FastAPI's shape). */
export function httpValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new UnprocessableEntityException({ detail: flatten(errors, ['body']) }),
  });
}
