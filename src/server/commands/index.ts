/** The registry: the one list of commands. FEAT and HELP derive from it. */
import { aborCommand } from './abor.js';
import { acctCommand } from './acct.js';
import { alloCommand } from './allo.js';
import { appeCommand } from './appe.js';
import { authCommand } from './auth.js';
import { cccCommand } from './ccc.js';
import { cdupCommand } from './cdup.js';
import type { CommandSpec } from './command-spec.js';
import { cwdCommand } from './cwd.js';
import { deleCommand } from './dele.js';
import { eprtCommand } from './eprt.js';
import { epsvCommand } from './epsv.js';
import { featCommand } from './feat.js';
import { helpCommand } from './help.js';
import { hostCommand } from './host.js';
import { listCommand } from './list.js';
import { mdtmCommand } from './mdtm.js';
import { mfmtCommand } from './mfmt.js';
import { mkdCommand } from './mkd.js';
import { mlsdCommand } from './mlsd.js';
import { mlstCommand } from './mlst.js';
import { modeCommand } from './mode.js';
import { nlstCommand } from './nlst.js';
import { noopCommand } from './noop.js';
import { optsCommand } from './opts.js';
import { passCommand } from './pass.js';
import { pasvCommand } from './pasv.js';
import { pbszCommand } from './pbsz.js';
import { portCommand } from './port.js';
import { protCommand } from './prot.js';
import { pwdCommand } from './pwd.js';
import { quitCommand } from './quit.js';
import { reinCommand } from './rein.js';
import { CommandRegistry } from './registry.js';
import { restCommand } from './rest.js';
import { retrCommand } from './retr.js';
import { rmdCommand } from './rmd.js';
import { rnfrCommand } from './rnfr.js';
import { rntoCommand } from './rnto.js';
import { siteCommand } from './site.js';
import { sizeCommand } from './size.js';
import { statCommand } from './stat.js';
import { storCommand } from './stor.js';
import { stouCommand } from './stou.js';
import { struCommand } from './stru.js';
import { systCommand } from './syst.js';
import { typeCommand } from './type.js';
import { userCommand } from './user.js';

/** Every command the server implements (RFC 959, 775, 2228/4217, 2389, 2428, 2640, 3659, 7151, MFMT). */
export const coreCommands: readonly CommandSpec[] = [
  userCommand, passCommand, acctCommand, reinCommand, quitCommand,
  cwdCommand, cdupCommand, pwdCommand, mkdCommand, rmdCommand, deleCommand, rnfrCommand, rntoCommand,
  portCommand, pasvCommand, eprtCommand, epsvCommand, typeCommand, struCommand, modeCommand,
  retrCommand, storCommand, stouCommand, appeCommand, alloCommand, restCommand, aborCommand,
  listCommand, nlstCommand, mlsdCommand, mlstCommand, statCommand,
  sizeCommand, mdtmCommand, mfmtCommand, siteCommand, systCommand, helpCommand, noopCommand,
  featCommand, optsCommand, hostCommand,
  authCommand, pbszCommand, protCommand, cccCommand,
];

/** Build the registry, optionally with extra commands (an embedder's SITE-like additions). */
export function createCommandRegistry(extraCommands: readonly CommandSpec[] = []): CommandRegistry {
  return new CommandRegistry([...coreCommands, ...extraCommands]);
}
