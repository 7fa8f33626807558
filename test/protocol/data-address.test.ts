import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DataAddressError,
  formatEprtArgument,
  formatEpsvReplyText,
  formatPasvReplyText,
  formatPortArgument,
  isSameHost,
  parseEprtArgument,
  parseEpsvReplyText,
  parsePasvReplyText,
  parsePortArgument,
  unmapIPv4,
  type DataAddress,
  type ExtendedDataAddress,
} from '../../src/protocol/data-address.js';

function isDataAddressError(error: unknown): boolean {
  return error instanceof DataAddressError && error.code === 'ERR_FTP_DATA_ADDRESS';
}

describe('PORT argument', () => {
  const valid: { title: string; argument: string; expected: DataAddress }[] = [
    { title: 'parses host and port bytes (RFC 959 §4.1.2)', argument: '192,168,1,2,4,1', expected: { host: '192.168.1.2', port: 1025 } },
    { title: 'parses the highest port', argument: '10,0,0,1,255,255', expected: { host: '10.0.0.1', port: 65535 } },
    { title: 'tolerates spaces around the numbers', argument: ' 10, 0,0,1,0,21 ', expected: { host: '10.0.0.1', port: 21 } },
  ];
  for (const { title, argument, expected } of valid) {
    it(title, () => assert.deepEqual(parsePortArgument(argument), expected));
  }

  const invalid: { title: string; argument: string }[] = [
    { title: 'rejects five numbers', argument: '1,2,3,4,5' },
    { title: 'rejects seven numbers', argument: '1,2,3,4,5,6,7' },
    { title: 'rejects a number above 255', argument: '256,0,0,1,4,1' },
    { title: 'rejects a negative number', argument: '-1,0,0,1,4,1' },
    { title: 'rejects port 0', argument: '127,0,0,1,0,0' },
    { title: 'rejects letters', argument: 'a,b,c,d,e,f' },
    { title: 'rejects an empty field', argument: '127,0,,1,4,1' },
    { title: 'rejects an empty argument', argument: '' },
  ];
  for (const { title, argument } of invalid) {
    it(title, () => assert.throws(() => parsePortArgument(argument), isDataAddressError));
  }

  it('formats an address as six numbers and parses back', () => {
    const address = { host: '172.16.5.9', port: 50123 };
    assert.equal(formatPortArgument(address), '172,16,5,9,195,203');
    assert.deepEqual(parsePortArgument(formatPortArgument(address)), address);
  });

  it('formats an IPv4-mapped IPv6 host as its IPv4 address', () => {
    assert.equal(formatPortArgument({ host: '::ffff:127.0.0.1', port: 21 }), '127,0,0,1,0,21');
  });

  it('refuses to format an IPv6 host for PORT', () => {
    assert.throws(() => formatPortArgument({ host: '::1', port: 21 }), isDataAddressError);
  });
});

describe('227 reply text', () => {
  const cases: { title: string; text: string; expected: DataAddress }[] = [
    { title: 'reads the usual parenthesised form', text: 'Entering Passive Mode (127,0,0,1,195,80).', expected: { host: '127.0.0.1', port: 50000 } },
    { title: 'reads the form without parentheses', text: 'Entering Passive Mode 10,1,2,3,4,5', expected: { host: '10.1.2.3', port: 1029 } },
    { title: 'reads the "=" form', text: 'Passive mode OK =192,168,0,1,200,1', expected: { host: '192.168.0.1', port: 51201 } },
    { title: 'reads numbers with spaces', text: 'Entering Passive Mode (1, 2, 3, 4, 5, 6)', expected: { host: '1.2.3.4', port: 1286 } },
    {
      title: 'does not take part of a longer number as the first byte',
      text: 'Server 1234,5,6,7,8,9 (10,0,0,1,4,1)',
      expected: { host: '10.0.0.1', port: 1025 },
    },
  ];
  for (const { title, text, expected } of cases) {
    it(title, () => assert.deepEqual(parsePasvReplyText(text), expected));
  }

  it('rejects a text without six numbers', () => {
    assert.throws(() => parsePasvReplyText('Entering Passive Mode (1,2,3,4,5)'), isDataAddressError);
  });

  it('round-trips formatPasvReplyText', () => {
    const address = { host: '203.0.113.7', port: 2121 };
    assert.equal(formatPasvReplyText(address), 'Entering Passive Mode (203,0,113,7,8,73).');
    assert.deepEqual(parsePasvReplyText(formatPasvReplyText(address)), address);
  });
});

describe('EPRT argument (RFC 2428 §2)', () => {
  const valid: { title: string; argument: string; expected: ExtendedDataAddress }[] = [
    { title: 'parses IPv4', argument: '|1|132.235.1.2|6275|', expected: { family: 1, host: '132.235.1.2', port: 6275 } },
    { title: 'parses IPv6', argument: '|2|1080::8:800:200C:417A|5282|', expected: { family: 2, host: '1080::8:800:200C:417A', port: 5282 } },
    { title: 'accepts another printable delimiter', argument: '!1!10.0.0.1!21!', expected: { family: 1, host: '10.0.0.1', port: 21 } },
    { title: 'accepts a mapped IPv4 address as IPv6', argument: '#2#::ffff:10.0.0.1#21#', expected: { family: 2, host: '::ffff:10.0.0.1', port: 21 } },
  ];
  for (const { title, argument, expected } of valid) {
    it(title, () => assert.deepEqual(parseEprtArgument(argument), expected));
  }

  const invalid: { title: string; argument: string }[] = [
    { title: 'rejects an unknown network protocol', argument: '|3|10.0.0.1|21|' },
    { title: 'rejects an IPv6 address under family 1', argument: '|1|::1|21|' },
    { title: 'rejects an IPv4 address under family 2', argument: '|2|10.0.0.1|21|' },
    { title: 'rejects port 0', argument: '|1|10.0.0.1|0|' },
    { title: 'rejects a port above 65535', argument: '|1|10.0.0.1|65536|' },
    { title: 'rejects a non-numeric port', argument: '|1|10.0.0.1|http|' },
    { title: 'rejects a missing final delimiter', argument: '|1|10.0.0.1|21' },
    { title: 'rejects a space as delimiter', argument: ' 1 10.0.0.1 21 ' },
    { title: 'rejects a host name', argument: '|1|example.com|21|' },
    { title: 'rejects an empty argument', argument: '' },
  ];
  for (const { title, argument } of invalid) {
    it(title, () => assert.throws(() => parseEprtArgument(argument), isDataAddressError));
  }

  const formatCases: { title: string; address: DataAddress; expected: string }[] = [
    { title: 'formats IPv4 with family 1', address: { host: '10.0.0.1', port: 2000 }, expected: '|1|10.0.0.1|2000|' },
    { title: 'formats IPv6 with family 2', address: { host: '::1', port: 2000 }, expected: '|2|::1|2000|' },
    { title: 'formats a mapped IPv4 host as IPv4', address: { host: '::ffff:10.0.0.1', port: 21 }, expected: '|1|10.0.0.1|21|' },
  ];
  for (const { title, address, expected } of formatCases) {
    it(title, () => {
      assert.equal(formatEprtArgument(address), expected);
      const parsed = parseEprtArgument(expected);
      assert.equal(parsed.port, address.port);
    });
  }

  it('refuses to format a host name', () => {
    assert.throws(() => formatEprtArgument({ host: 'example.com', port: 21 }), isDataAddressError);
  });
});

describe('229 reply text (RFC 2428 §3)', () => {
  const cases: { title: string; text: string; expected: number }[] = [
    { title: 'reads the port between "|||" and "|"', text: 'Entering Extended Passive Mode (|||6446|)', expected: 6446 },
    { title: 'reads another delimiter', text: 'EPSV ok (!!!50000!)', expected: 50000 },
    { title: 'round-trips formatEpsvReplyText', text: formatEpsvReplyText(40001), expected: 40001 },
  ];
  for (const { title, text, expected } of cases) {
    it(title, () => assert.equal(parseEpsvReplyText(text), expected));
  }

  const invalid: { title: string; text: string }[] = [
    { title: 'rejects mixed delimiters', text: 'Entering Extended Passive Mode (|!|6446|)' },
    { title: 'rejects port 0', text: '(|||0|)' },
    { title: 'rejects a port above 65535', text: '(|||70000|)' },
    { title: 'rejects a text without the group', text: 'Entering Extended Passive Mode' },
  ];
  for (const { title, text } of invalid) {
    it(title, () => assert.throws(() => parseEpsvReplyText(text), isDataAddressError));
  }
});

describe('unmapIPv4 and isSameHost', () => {
  const unmapCases: [string, string][] = [
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
  ];
  for (const [input, expected] of unmapCases) {
    it(`unmaps ${input} to ${expected}`, () => assert.equal(unmapIPv4(input), expected));
  }

  const hostCases: { a: string; b: string; expected: boolean }[] = [
    { a: '127.0.0.1', b: '127.0.0.1', expected: true },
    { a: '::ffff:127.0.0.1', b: '127.0.0.1', expected: true },
    { a: '0:0:0:0:0:ffff:7f00:1', b: '127.0.0.1', expected: true },
    { a: '::ffff:7f00:1', b: '::ffff:127.0.0.1', expected: true },
    { a: '::1', b: '0:0:0:0:0:0:0:1', expected: true },
    { a: '2001:DB8::1', b: '2001:0db8:0000:0000:0000:0000:0000:0001', expected: true },
    { a: '2001:db8:0:0:1::', b: '2001:db8::1:0:0:0', expected: true },
    { a: '127.0.0.1', b: '127.0.0.2', expected: false },
    { a: '::1', b: '127.0.0.1', expected: false },
    { a: '::127.0.0.1', b: '127.0.0.1', expected: false },
    { a: '2001:db8::1', b: '2001:db8::2', expected: false },
    { a: 'example.com', b: 'example.org', expected: false },
  ];
  for (const { a, b, expected } of hostCases) {
    it(`${expected ? 'treats' : 'does not treat'} ${a} and ${b} as the same host`, () => {
      assert.equal(isSameHost(a, b), expected);
      assert.equal(isSameHost(b, a), expected);
    });
  }
});
