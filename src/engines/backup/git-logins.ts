import type { Explanation } from '../../graph/command.js';

/**
 * What git prints when an http(s) server refuses the login its credential helper gave (git exits
 * 128 for this as for any other failure), naming where the user and the password are set
 * (`the user and password of option 'remote_url' (site.backup:3 [point])`), so that the line to fix is known.
 */
export function gitLoginFailures(credentials: string): Explanation[] {
  return [
    {
      status: 'other',
      printed: 'Authentication failed for',
      message: `the server refused ${credentials}: one of them is wrong`,
    },
  ];
}
