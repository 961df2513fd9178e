import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/decorators/public.decorator';
import { mailConfig } from '../../config/mail.config';
import { PAGE_HEADERS, passwordResetPage, verifyEmailPage } from './recovery-pages';

const PAGE_DESCRIPTION =
  'A page for people following a mailed link: it reads the code from the URL fragment, which ' +
  'never reaches the server, and POSTs it. Loading it changes nothing.';

/** Rendered once: they depend on configuration only, never on the request. */
@ApiTags('pages')
@Public()
@Controller('auth')
export class RecoveryPagesController {
  private readonly resetPage: string;
  private readonly verifyPage: string;

  constructor(@Inject(mailConfig.KEY) config: ConfigType<typeof mailConfig>) {
    this.resetPage = passwordResetPage(config.productName);
    this.verifyPage = verifyEmailPage(config.productName);
  }

  @Get('password-reset')
  @ApiOperation({ summary: 'The password reset page (HTML)', description: PAGE_DESCRIPTION })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page' })
  passwordReset(@Res() reply: FastifyReply): void {
    void reply.headers(PAGE_HEADERS).send(this.resetPage);
  }

  @Get('verify-email')
  @ApiOperation({ summary: 'The email verification page (HTML)', description: PAGE_DESCRIPTION })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page' })
  verifyEmail(@Res() reply: FastifyReply): void {
    void reply.headers(PAGE_HEADERS).send(this.verifyPage);
  }
}
