import { Controller, Get, NotFoundException, Param, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@platform/auth';
import { CONSOLE_CSP, findConsoleDir, loadConsoleFiles, type ConsoleFile } from './console-files';

/**
 * Seed 000's debug console (README "Debug console"): a Preact app built by Vite into static files,
 * served here under a strict CSP. The page and its files are public; every API call it makes is not.
 */
@ApiExcludeController()
@Public()
@Controller('debug')
export class DebugConsoleController {
  private files?: ReturnType<typeof loadConsoleFiles> | null;

  constructor() {
    const dir = findConsoleDir();
    this.files = dir ? loadConsoleFiles(dir) : null;
  }

  @Get()
  page(@Res() res: Response): void {
    if (!this.files) throw new ServiceUnavailableException({ detail: 'The debug console is not built: run `npm run build`.' });
    send(res, this.files.index, 'no-cache');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const file = this.files?.assets.get(name);
    if (!file) throw new NotFoundException({ detail: `No console asset '${name}'` });
    // Vite names assets by content hash: a name never changes meaning.
    send(res, file, 'public, max-age=31536000, immutable');
  }
}

function send(res: Response, file: ConsoleFile, cache: string): void {
  res.setHeader('Content-Type', file.type);
  res.setHeader('Cache-Control', cache);
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.status(200).end(file.body);
}
