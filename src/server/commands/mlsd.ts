import { sendListing } from '../directory-listing.js';
import type { CommandSpec } from './command-spec.js';

/** MLSD (RFC 3659 §7): machine-readable directory listing over the data connection. */
export const mlsdCommand: CommandSpec = {
  name: 'MLSD',
  help: 'MLSD [<sp> pathname]',
  argument: 'optional',
  permission: 'list',
  handle: (context, argument) => sendListing(context, 'mlsd', argument),
};
