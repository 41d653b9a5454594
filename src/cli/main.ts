#!/usr/bin/env node
/** The `mamba` command. */
const [command = 'help'] = process.argv.slice(2);
console.log(`mamba: ${command}: not yet available`);
