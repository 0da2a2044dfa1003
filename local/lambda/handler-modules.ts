/**
 * The handler modules serverless.yml names (`handler: functions/<name>/handler.handler`), by module
 * path. The local stack imports them through this map rather than by a path computed at run time so
 * that the CLI's bundle (scripts/build-cli.ts), which has no TypeScript sources beside it, contains
 * them. A function of serverless.yml missing here stops the stack at start, naming it.
 */
export const handlerModules: Readonly<Record<string, () => Promise<object>>> = {
  'functions/webhook/handler': () => import('../../functions/webhook/handler.ts'),
  'functions/validate/handler': () => import('../../functions/validate/handler.ts'),
  'functions/load-targets/handler': () => import('../../functions/load-targets/handler.ts'),
  'functions/acquire-lock/handler': () => import('../../functions/acquire-lock/handler.ts'),
  'functions/wait-for-lock/handler': () => import('../../functions/wait-for-lock/handler.ts'),
  'functions/lock-sweep/handler': () => import('../../functions/lock-sweep/handler.ts'),
  'functions/summarize/handler': () => import('../../functions/summarize/handler.ts'),
  'functions/request-approval/handler': () => import('../../functions/request-approval/handler.ts'),
  'functions/prepare-apply/handler': () => import('../../functions/prepare-apply/handler.ts'),
  'functions/release-lock/handler': () => import('../../functions/release-lock/handler.ts'),
  'functions/target-failed/handler': () => import('../../functions/target-failed/handler.ts'),
  'functions/record/handler': () => import('../../functions/record/handler.ts'),
  'functions/execution-ended/handler': () => import('../../functions/execution-ended/handler.ts'),
  'functions/notify/handler': () => import('../../functions/notify/handler.ts'),
  'functions/approve/handler': () => import('../../functions/approve/handler.ts'),
  'functions/rollback/handler': () => import('../../functions/rollback/handler.ts'),
  'functions/drift-check/handler': () => import('../../functions/drift-check/handler.ts'),
  'functions/commands/handler': () => import('../../functions/commands/handler.ts'),
  'functions/slack-actions/handler': () => import('../../functions/slack-actions/handler.ts'),
};
