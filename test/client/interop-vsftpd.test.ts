/** FtpClient against Debian's vsftpd (no MLSD: exercises LIST parsing and MDTM), IPv4 and IPv6. */
import { describeClientAgainst, standardVariants } from './support/client-contract.js';
import { isVsftpdAvailable, startVsftpd } from './support/vsftpd.js';
import { test } from 'node:test';

if (!isVsftpdAvailable()) {
  test('vsftpd interop needs /usr/sbin/vsftpd and root', { skip: 'vsftpd not available' }, () => undefined);
} else {
  describeClientAgainst('vsftpd', '127.0.0.1', startVsftpd, standardVariants);
  // PASV and PORT cannot address IPv6 (RFC 2428 §1): only EPSV and EPRT there.
  describeClientAgainst('vsftpd', '::1', startVsftpd, standardVariants.filter((variant) => !variant.label.includes('only')));
}
