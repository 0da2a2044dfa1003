/**
 * Whether `repo` (`owner/name`) matches one of the patterns: `owner/name`, or `owner/*` for every
 * repository of an owner. GitHub owner and repository names are case-insensitive, so is this.
 */
export function isAllowedRepo(repo: string, allowed: readonly string[]): boolean {
  const wanted = repo.toLowerCase();
  const slash = wanted.indexOf('/');
  if (slash <= 0) return false;
  const owner = wanted.slice(0, slash + 1);
  for (const pattern of allowed) {
    const p = pattern.trim().toLowerCase();
    if (p === wanted) return true;
    if (p.endsWith('/*') && p.length > 2 && p.slice(0, -1) === owner) return true;
  }
  return false;
}
