#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// Exit at once with main's status: output is flushed by then, and letting the runtime tear down
// instead can crash in the cap addon's destructor after a failed open (exit by signal, not 1).
process.exit(await main(process.argv.slice(2)));
