#!/usr/bin/env node
// Entry point of the `tfs` CLI. Commands are compiled to dist/commands (npm run build).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
