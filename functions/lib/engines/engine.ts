import * as z from 'zod';

/** The engines a project can use (`engine:` in pushgate.yml); each has a buildspec generator (buildspec-for.ts). */
export const ENGINES = ['terraform', 'opentofu', 'cloudformation', 'command'] as const;
export const Engine = z.enum(ENGINES);
export type Engine = z.infer<typeof Engine>;
