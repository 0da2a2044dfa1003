/**
 * The SSM parameters a stage reads, as serverless.yml's custom: block names them
 * (`/pushgate/${sls:stage}/…`); test/integration/cli/setup.test.ts checks they agree.
 */
export function parameterNames(stage: string) {
  const prefix = `/pushgate/${stage}`;
  return {
    webhookSecret: `${prefix}/webhook-secret`,
    webhookSecretPrevious: `${prefix}/webhook-secret-previous`,
    githubToken: `${prefix}/github-token`,
    policy: `${prefix}/policy`,
    slackBotToken: `${prefix}/slack-bot-token`,
    slackSigningSecret: `${prefix}/slack-signing-secret`,
    slackWebhookUrl: `${prefix}/slack-webhook-url`,
  };
}
