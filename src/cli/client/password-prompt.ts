/** Ask for a password on the terminal without echoing it. */
import { createInterface } from 'node:readline';

/** Prompt on stderr and read one line from stdin with echo off; rejects when stdin is not a terminal. */
export async function promptPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no password given and stdin is not a terminal to ask for one');
  const readline = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Replace echoed characters with nothing; readline calls _writeToOutput for every keystroke.
  const muted = readline as unknown as { _writeToOutput: (text: string) => void; output: NodeJS.WritableStream };
  let isPrompting = true;
  muted._writeToOutput = (text: string) => {
    if (isPrompting) {
      muted.output.write(text);
      isPrompting = false;
    }
  };
  try {
    return await new Promise<string>((resolve) => readline.question(prompt, resolve));
  } finally {
    process.stderr.write('\n');
    readline.close();
  }
}
