import assert from 'node:assert/strict';
import { Readable, type Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { createLocalToNetworkAscii, createNetworkToLocalAscii } from '../../src/protocol/ascii-transform.js';

async function run(transform: Transform, chunks: readonly Buffer[]): Promise<string> {
  return (await buffer(Readable.from(chunks, { objectMode: false }).pipe(transform))).toString('latin1');
}

/** The input cut at two positions, in every way (empty chunks included). */
function everySplit(input: string): Buffer[][] {
  const bytes = Buffer.from(input, 'latin1');
  const splits: Buffer[][] = [];
  for (let first = 0; first <= bytes.length; first++) {
    for (let second = first; second <= bytes.length; second++) {
      splits.push([bytes.subarray(0, first), bytes.subarray(first, second), bytes.subarray(second)]);
    }
  }
  return splits;
}

describe('createLocalToNetworkAscii (TYPE A, RFC 959 §3.1.1.1)', () => {
  const cases: { title: string; input: string; expected: string }[] = [
    { title: 'turns LF into CRLF', input: 'a\nb\n', expected: 'a\r\nb\r\n' },
    { title: 'leaves an existing CRLF alone', input: 'a\r\nb', expected: 'a\r\nb' },
    { title: 'leaves a lone CR alone', input: 'a\rb', expected: 'a\rb' },
    { title: 'converts consecutive LFs each', input: '\n\n', expected: '\r\n\r\n' },
    { title: 'converts the LF of CR CR LF only once', input: '\r\r\n', expected: '\r\r\n' },
    { title: 'passes text without line ends unchanged', input: 'plain', expected: 'plain' },
    { title: 'handles empty input', input: '', expected: '' },
  ];
  for (const { title, input, expected } of cases) {
    it(`${title}, whichever way the input is split into chunks`, async () => {
      for (const chunks of everySplit(input)) {
        assert.equal(await run(createLocalToNetworkAscii(), chunks), expected, JSON.stringify(chunks.map(String)));
      }
    });
  }
});

describe('createNetworkToLocalAscii', () => {
  const cases: { title: string; input: string; expected: string }[] = [
    { title: 'turns CRLF into LF', input: 'a\r\nb\r\n', expected: 'a\nb\n' },
    { title: 'keeps a bare LF', input: 'a\nb', expected: 'a\nb' },
    { title: 'keeps a lone CR in the middle', input: 'a\rb', expected: 'a\rb' },
    { title: 'keeps a lone CR at the very end', input: 'a\r', expected: 'a\r' },
    { title: 'keeps the first CR of CR CR LF', input: 'x\r\r\ny', expected: 'x\r\ny' },
    { title: 'converts consecutive CRLFs each', input: '\r\n\r\n', expected: '\n\n' },
    { title: 'handles empty input', input: '', expected: '' },
  ];
  for (const { title, input, expected } of cases) {
    it(`${title}, whichever way the input is split into chunks`, async () => {
      for (const chunks of everySplit(input)) {
        assert.equal(await run(createNetworkToLocalAscii(), chunks), expected, JSON.stringify(chunks.map(String)));
      }
    });
  }
});

describe('ASCII round trip', () => {
  const texts = ['line one\nline two\n', '\n\nx\n', 'lone\rcarriage\r', 'no newline', 'trailing CR\r', 'ünïcode\n'];
  for (const text of texts) {
    it(`restores local text ${JSON.stringify(text)} after local → network → local`, async () => {
      for (const chunks of everySplit(text)) {
        const network = await run(createLocalToNetworkAscii(), chunks);
        const back = await run(createNetworkToLocalAscii(), [Buffer.from(network, 'latin1')]);
        assert.equal(back, text);
      }
    });
  }
});
