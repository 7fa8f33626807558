/** Which server-supplied names may become one local path segment. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertSafeName, isSafeName } from '../../src/client/safe-name.js';
import { FtpUnsafeNameError } from '../../src/client/errors.js';

const accepted: [string, NodeJS.Platform][] = [
  ['report.pdf', 'linux'],
  ['with space', 'linux'],
  ['-leading-dash', 'linux'],
  ['..hidden', 'linux'],
  ['trailing.', 'linux'],
  ['naïve ☃', 'linux'],
  ['C:colon-is-fine-on-posix', 'linux'],
  ['x'.repeat(255), 'linux'],
];

const refused: [string, NodeJS.Platform, RegExp][] = [
  ['', 'linux', /not a file name/],
  ['.', 'linux', /not a file name/],
  ['..', 'linux', /not a file name/],
  ['../x', 'linux', /separator/],
  ['/etc/passwd', 'linux', /separator/],
  ['a/b', 'linux', /separator/],
  ['a\\b', 'linux', /separator/],
  ['cr\rlf', 'linux', /control character/],
  ['line\nbreak', 'linux', /control character/],
  ['nul\0', 'linux', /control character/],
  ['del\x7f', 'linux', /control character/],
  ['x'.repeat(256), 'linux', /longer than 255/],
  ['C:evil', 'win32', /":"/],
  ['NUL.txt', 'win32', /reserved/],
  ['com1', 'win32', /reserved/],
  ['dots...', 'win32', /dot or space/],
];

describe('assertSafeName', () => {
  for (const [name, platform] of accepted) {
    it(`accepts ${JSON.stringify(name.slice(0, 40))} on ${platform}`, () => {
      assert.equal(assertSafeName(name, platform), name);
      assert.equal(isSafeName(name, platform), true);
    });
  }
  for (const [name, platform, reason] of refused) {
    it(`refuses ${JSON.stringify(name.slice(0, 40))} on ${platform}`, () => {
      assert.throws(() => assertSafeName(name, platform), (error: unknown) => {
        assert.ok(error instanceof FtpUnsafeNameError);
        assert.equal(error.code, 'ERR_FTP_UNSAFE_NAME');
        assert.equal(error.unsafeName, name);
        assert.match(error.message, reason);
        return true;
      });
    });
  }
});
