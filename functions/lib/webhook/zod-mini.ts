import { en } from 'zod/locales';
import { config } from 'zod/mini';

/*
 * The webhook's schemas use `zod/mini`, not classic `zod`: the same parser core without the methods
 * every classic schema carries, so its bundle and its cold import stay small (bench/cold-start.bench.ts).
 * Classic zod turns on English messages when it loads; zod/mini leaves that to its user, and the
 * webhook answers GitHub with those messages ("Invalid input: expected string, received undefined").
 */
config(en());

// Imported as a namespace (`import * as z from './zod-mini.ts'`), which esbuild tree-shakes.
export * from 'zod/mini';
