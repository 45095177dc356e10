// The onex CLI from the sources (run with `node --import tsx`), for child processes that must not depend on a build.
import { main } from '../../../src/cli/main.js';

await main();
