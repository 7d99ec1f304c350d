import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@platform/auth';
import { DEBUG_CONSOLE_HTML } from './debug-console.page';

/** Seed 000's debug console: submit a job, watch its SSE stream and UI state in a browser. The page is public; its API calls are not. */
@ApiExcludeController()
@Public()
@Controller('debug')
export class DebugConsoleController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
  page(): string {
    return DEBUG_CONSOLE_HTML;
  }
}
