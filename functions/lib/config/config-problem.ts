/** One thing wrong in `pushgate.yml`: where (`projects[1].engine`, empty for the whole file) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based line in pushgate.yml, when known. */
  line?: number;
}

/** `projects[1].engine (line 9): …`, the form users read. */
export function formatProblem(problem: ConfigProblem): string {
  const where = [problem.path, problem.line === undefined ? '' : `(line ${problem.line})`].filter(Boolean).join(' ');
  return where ? `${where}: ${problem.message}` : problem.message;
}
