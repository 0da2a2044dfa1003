// @ts-check
// An osls plugin (serverless.yml plugins:, listed first): checks pushgate's deploy settings
// (infra/settings.cjs) before anything is packaged, so `osls package`, `osls deploy` and
// `npm run deploy` stop with one message naming every missing or invalid setting. `osls deploy
// --package <dir>` skips packaging, so the check runs before that deploy too. `osls remove` and
// `osls info` do not need the settings.
'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: osls loads this file with require() */

const { checkSettings, rawSettings, InvalidSettingsError } = require('./settings.cjs');

class PushgateSettingsPlugin {
  /**
   * @param {{ service: { custom?: Record<string, unknown>, provider: { stage?: string } }, classes: { Error: new (message: string) => Error } }} serverless
   * @param {{ stage?: string }} options
   */
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    this.checked = false;
    this.hooks = {
      'before:package:initialize': () => this.check(),
      'before:deploy:deploy': () => this.check(),
    };
  }

  check() {
    if (this.checked) return;
    const stage = this.options.stage ?? this.serverless.service.provider.stage ?? 'dev';
    try {
      checkSettings(rawSettings(this.serverless.service.custom), stage);
    } catch (error) {
      // osls prints a ServerlessError's message alone, without a stack trace.
      if (error instanceof InvalidSettingsError) throw new this.serverless.classes.Error(error.message);
      throw error;
    }
    this.checked = true;
  }
}

module.exports = PushgateSettingsPlugin;
