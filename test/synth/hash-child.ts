// Run in a separate process by render.test.ts: prints the pixel hashes of the reference renders.
import { referenceHashes } from './helpers.js';

process.stdout.write(JSON.stringify(referenceHashes()));
