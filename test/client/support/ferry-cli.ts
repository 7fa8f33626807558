/** Runs the real `ferry` entry (src/cli/main.ts) from source, as bin/ferry.js runs the compiled one. */
import { main } from '../../../src/cli/main.js';

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`ferry: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
