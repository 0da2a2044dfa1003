import { describe, expect, it } from 'vitest';
import { handlerModules } from '../../../local/lambda/handler-modules.ts';
import { serverlessFunctions } from '../../../local/stack.ts';

// The local stack (and the CLI's bundle) import the handlers of serverless.yml through a map. It must
// name every one of them, and only them; that each entry loads the right module, every start of the
// local stack shows (a handler that does not export its function stops it).
describe('local/lambda/handler-modules.ts', () => {
  it('has exactly the handler modules of serverless.yml', () => {
    const modules = serverlessFunctions().map((fn) => fn.modulePath);
    expect(Object.keys(handlerModules).sort()).toEqual([...new Set(modules)].sort());
  });
});
