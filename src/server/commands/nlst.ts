import { sendListing } from '../directory-listing.js';
import type { CommandSpec } from './command-spec.js';

/** NLST (RFC 959 §4.1.3): names only, one per line. */
export const nlstCommand: CommandSpec = {
  name: 'NLST',
  help: 'NLST [<sp> pathname]',
  argument: 'optional',
  permission: 'list',
  handle: (context, argument) => sendListing(context, 'nlst', argument),
};
