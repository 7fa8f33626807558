/** FtpClient against Ferry's own server, IPv4 and IPv6, every data mode. */
import { describeClientAgainst, standardVariants } from './support/client-contract.js';
import { startFerryServer } from './support/ferry-server.js';

describeClientAgainst('Ferry', '127.0.0.1', startFerryServer, standardVariants);
// PASV and PORT cannot address IPv6 (RFC 2428 §1): only EPSV and EPRT there.
describeClientAgainst('Ferry', '::1', startFerryServer, standardVariants.filter((variant) => !variant.label.includes('only')));
