/**
 * The GitHub events pushgate starts something on (functions/lib/webhook/route-event.ts): a push
 * deploys, a pull request plans, a `/pushgate …` comment runs a command. The repository webhook is
 * subscribed to these and nothing else; GitHub sends `ping` to every new hook regardless.
 */
export const HANDLED_EVENTS: readonly string[] = ['issue_comment', 'pull_request', 'push'];
