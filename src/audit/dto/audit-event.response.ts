import { ApiProperty } from '@nestjs/swagger';
import { AuditEvent } from '../entities/audit-event.entity';

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'login_failed' })
  type: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  userId: string | null;

  @ApiProperty({ type: String, nullable: true })
  clientId: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent: string | null;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { outcome: 'failure', reason: 'credentials' },
  })
  detail: Record<string, string | number | boolean | null>;
}

export function toAuditEventResponse(event: AuditEvent): AuditEventResponse {
  return {
    id: event.id,
    type: event.type,
    userId: event.userId,
    clientId: event.clientId,
    ip: event.ip,
    userAgent: event.userAgent,
    at: event.at.toISOString(),
    detail: event.detail,
  };
}
