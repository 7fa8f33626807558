/**
 * TYPE A (RFC 959 §3.1.1.1): the wire uses CRLF line ends. These Transforms convert between the
 * local LF convention and the network's CRLF, keeping state across chunks so that a CR at the end
 * of one chunk followed by LF at the start of the next is handled exactly once.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

/** Local → network: a bare LF becomes CRLF; an existing CRLF is left alone. */
export function createLocalToNetworkAscii(): Transform {
  let previousByte = -1;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let extra = 0;
      for (let index = 0; index < chunk.length; index++) {
        if (chunk[index] === LF && (index === 0 ? previousByte : chunk[index - 1]) !== CR) extra++;
      }
      if (extra === 0) {
        if (chunk.length > 0) previousByte = chunk[chunk.length - 1]!;
        callback(null, chunk);
        return;
      }
      const output = Buffer.allocUnsafe(chunk.length + extra);
      let out = 0;
      for (let index = 0; index < chunk.length; index++) {
        const byte = chunk[index]!;
        if (byte === LF && previousByte !== CR) output[out++] = CR;
        output[out++] = byte;
        previousByte = byte;
      }
      callback(null, output);
    },
  });
}

/** Network → local: CRLF becomes LF; a lone CR is kept. A trailing CR waits for the next chunk. */
export function createNetworkToLocalAscii(): Transform {
  let isHoldingCR = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const output = Buffer.allocUnsafe(chunk.length + 1);
      let out = 0;
      for (let index = 0; index < chunk.length; index++) {
        const byte = chunk[index]!;
        if (isHoldingCR) {
          isHoldingCR = false;
          if (byte !== LF) output[out++] = CR;
        }
        if (byte === CR) isHoldingCR = true;
        else output[out++] = byte;
      }
      callback(null, output.subarray(0, out));
    },
    flush(callback: TransformCallback) {
      callback(null, isHoldingCR ? Buffer.from([CR]) : undefined);
    },
  });
}
