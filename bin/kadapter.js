#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so the repository needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../pipeline/cli.ts');
await main();
