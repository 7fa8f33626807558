import { sendListing } from '../directory-listing.js';
import type { CommandSpec } from './command-spec.js';

/** LIST (RFC 959 §4.1.3): `ls -l` style listing; ls options such as -a and -la are tolerated. */
export const listCommand: CommandSpec = {
  name: 'LIST',
  help: 'LIST [<sp> pathname]',
  argument: 'optional',
  permission: 'list',
  handle: (context, argument) => sendListing(context, 'list', argument),
};
