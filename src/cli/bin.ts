// Source entry point for running the CLI without a build (`node --import tsx src/cli/bin.ts`),
// used by the tests; the published bin runs the compiled copy of main.ts.
import { main } from './main.js';

main(process.argv).then((code) => process.exit(code));
