// Types of infra/settings.cjs (plain CommonJS, because osls require()s it).
import type * as z from 'zod';

declare namespace settings {
  interface SettingInfo {
    required: boolean;
    description: string;
    example: string;
  }
  /** The settings as serverless.yml's custom: block resolves them: strings, '' when not given. */
  type RawSettings = Record<
    | 'allowedRepos'
    | 'sourceOwner'
    | 'applyRoleArns'
    | 'planRoleArns'
    | 'stateBucket'
    | 'stateLockTable'
    | 'changeSetStackPattern'
    | 'slackChannels'
    | 'githubAppSecret',
    string
  >;
  interface ParsedSettings {
    allowedRepos: string[];
    sourceOwner: string;
    applyRoleArns: string[];
    planRoleArns: string[];
    stateBucket: string;
    stateLockTable: string;
    changeSetStackPattern: string;
    slackChannels: Record<string, string>;
    githubAppSecret: string;
  }
}

declare const settings: {
  SETTINGS: Record<keyof settings.RawSettings, settings.SettingInfo>;
  Settings: z.ZodType<settings.ParsedSettings, settings.RawSettings>;
  REPO_PATTERN: RegExp;
  SECRET_NAME_PATTERN: RegExp;
  InvalidSettingsError: new (message: string, options?: ErrorOptions) => Error;
  /** Throws InvalidSettingsError naming every missing or invalid setting and how to give it. */
  checkSettings(raw: settings.RawSettings, stage?: string): settings.ParsedSettings;
  rawSettings(custom: Record<string, unknown> | undefined): settings.RawSettings;
  defaultSourceOwner(context: { resolveConfigurationProperty(path: string[]): Promise<unknown> }): Promise<string>;
};

export = settings;
