export declare class GitCommandError extends Error {
  constructor(args: string[], exitCode: number, stderr: string | Buffer, options?: { cause?: unknown });
  readonly exitCode: number;
  readonly stderr: string;
}

export interface RunGitOptions {
  encoding?: 'utf8' | 'buffer';
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  maxBuffer?: number;
}

export declare function runGit(
  gitDir: string,
  args: string[],
  options?: RunGitOptions & { encoding?: 'utf8' },
): Promise<string>;
export declare function runGit(
  gitDir: string,
  args: string[],
  options: RunGitOptions & { encoding: 'buffer' },
): Promise<Buffer>;

export declare function gitSucceeds(gitDir: string, args: string[]): Promise<boolean>;
