/** FtpClient against Debian's pyftpdlib (MLSD, MFMT, user login with a password containing a space), IPv4 and IPv6. */
import { test } from 'node:test';
import { describeClientAgainst, standardVariants } from './support/client-contract.js';
import { isPyftpdlibAvailable, startPyftpdlib } from './support/pyftpdlib.js';

if (!isPyftpdlibAvailable()) {
  test('pyftpdlib interop needs python3-pyftpdlib', { skip: 'pyftpdlib not installed' }, () => undefined);
} else {
  describeClientAgainst('pyftpdlib', '127.0.0.1', startPyftpdlib, standardVariants);
  // PASV and PORT cannot address IPv6 (RFC 2428 §1): only EPSV and EPRT there.
  describeClientAgainst('pyftpdlib', '::1', startPyftpdlib, standardVariants.filter((variant) => !variant.label.includes('only')));
}
