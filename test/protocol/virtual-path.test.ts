import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  baseName,
  childPath,
  joinSegments,
  normalizeVirtualPath,
  parentPath,
  parseQuotedPath,
  quotePathForReply,
  resolveVirtualPath,
  rootPath,
  splitSegments,
  type VirtualPath,
} from '../../src/protocol/virtual-path.js';

const path = (text: string): VirtualPath => text as VirtualPath;

describe('resolveVirtualPath', () => {
  const cases: { title: string; cwd: string; input: string; expected: string | null }[] = [
    { title: 'resolves a relative name against the current directory', cwd: '/home', input: 'a.txt', expected: '/home/a.txt' },
    { title: 'uses an absolute input as is', cwd: '/home', input: '/etc/x', expected: '/etc/x' },
    { title: 'resolves an empty input to the current directory', cwd: '/home/anna', input: '', expected: '/home/anna' },
    { title: 'applies ".."', cwd: '/a/b', input: '../c', expected: '/a/c' },
    { title: 'never goes above "/" with ".."', cwd: '/a', input: '../../../../etc/passwd', expected: '/etc/passwd' },
    { title: 'keeps ".." at the root at the root', cwd: '/', input: '..', expected: '/' },
    { title: 'never goes above "/" with an absolute ".." path', cwd: '/a/b', input: '/../..', expected: '/' },
    { title: 'ignores "." segments', cwd: '/a', input: './b/./c/.', expected: '/a/b/c' },
    { title: 'collapses repeated slashes', cwd: '/', input: '//a///b//', expected: '/a/b' },
    { title: 'keeps backslashes as name characters', cwd: '/', input: '..\\..\\etc', expected: '/..\\..\\etc' },
    { title: 'keeps "..." as an ordinary name', cwd: '/a', input: '...', expected: '/a/...' },
    { title: 'keeps spaces inside and around names', cwd: '/', input: ' a / b ', expected: '/ a / b ' },
    { title: 'refuses NUL', cwd: '/', input: 'a\0b', expected: null },
  ];
  for (const { title, cwd, input, expected } of cases) {
    it(title, () => assert.equal(resolveVirtualPath(path(cwd), input), expected));
  }
});

describe('path helpers', () => {
  const cases: { title: string; actual: () => unknown; expected: unknown }[] = [
    { title: 'normalizeVirtualPath treats its input as absolute', actual: () => normalizeVirtualPath('a/../b/'), expected: '/b' },
    { title: 'normalizeVirtualPath maps NUL input to the root', actual: () => normalizeVirtualPath('a\0'), expected: '/' },
    { title: 'splitSegments of the root is empty', actual: () => splitSegments(rootPath), expected: [] },
    { title: 'splitSegments splits at slashes', actual: () => splitSegments(path('/a/b')), expected: ['a', 'b'] },
    { title: 'joinSegments of nothing is the root', actual: () => joinSegments([]), expected: '/' },
    { title: 'parentPath of the root is the root', actual: () => parentPath(rootPath), expected: '/' },
    { title: 'parentPath drops the last segment', actual: () => parentPath(path('/a/b')), expected: '/a' },
    { title: 'baseName of the root is empty', actual: () => baseName(rootPath), expected: '' },
    { title: 'baseName is the last segment', actual: () => baseName(path('/a/b c')), expected: 'b c' },
    { title: 'childPath appends a name', actual: () => childPath(path('/a'), 'b'), expected: '/a/b' },
    { title: 'childPath of the root has one slash', actual: () => childPath(rootPath, 'b'), expected: '/b' },
  ];
  for (const { title, actual, expected } of cases) {
    it(title, () => assert.deepEqual(actual(), expected));
  }
});

describe('257 path quoting (RFC 959 Appendix II)', () => {
  const cases: { title: string; path: string; quoted: string }[] = [
    { title: 'wraps a plain path in quotes', path: '/home/anna', quoted: '"/home/anna"' },
    { title: 'doubles an embedded quote', path: '/say "hi"', quoted: '"/say ""hi"""' },
    { title: 'keeps spaces', path: '/ a ', quoted: '"/ a "' },
    { title: 'quotes the root', path: '/', quoted: '"/"' },
    { title: 'handles a path that is only quotes', path: '/""', quoted: '"/"""""' },
  ];
  for (const { title, path: text, quoted } of cases) {
    it(`${title}, and parses back`, () => {
      assert.equal(quotePathForReply(text), quoted);
      assert.equal(parseQuotedPath(`${quoted} is the current directory`), text);
    });
  }

  const parseCases: { title: string; text: string; expected: string | null }[] = [
    { title: 'skips text before the opening quote', text: 'MKD ok: "/new" created', expected: '/new' },
    { title: 'returns null without a quote', text: 'created', expected: null },
    { title: 'returns null for an unterminated quote', text: '"/never closed', expected: null },
    { title: 'reads an empty quoted path', text: '"" odd', expected: '' },
  ];
  for (const { title, text, expected } of parseCases) {
    it(title, () => assert.equal(parseQuotedPath(text), expected));
  }
});
