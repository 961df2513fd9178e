import { ApiProperty } from '@nestjs/swagger';

export class TotpEnrolmentResponse {
  @ApiProperty({
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    description: 'Base32 (RFC 4648); shown this once, never again',
  })
  secret: string;

  @ApiProperty({
    example:
      'otpauth://totp/auth.example.com:ada?issuer=auth.example.com&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
  })
  otpauthUri: string;

  @ApiProperty({
    example: 'data:image/png;base64,iVBORw0KGgo…',
    description: 'The URI as a QR code',
  })
  qrCode: string;
}

export class RecoveryCodesResponse {
  @ApiProperty({
    type: [String],
    example: ['abcd-efgh-ijkl-mnop'],
    description: 'Ten single-use codes, shown this once; each logs in in place of a TOTP code',
  })
  recoveryCodes: string[];
}
