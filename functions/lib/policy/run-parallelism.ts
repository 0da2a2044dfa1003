import type { PlatformPolicy } from './platform-policy.ts';

/**
 * How many builds of one run may run at once: what pushgate.yml's `parallelism` asks for, never more
 * than the platform policy's `maxParallelBuilds` (the operator's share of the account's CodeBuild
 * quota); the cap itself when the repository asks for nothing.
 */
export function runParallelism(
  requested: number | undefined,
  policy: Pick<PlatformPolicy, 'maxParallelBuilds'>,
): number {
  const cap = policy.maxParallelBuilds;
  return Math.min(requested ?? cap, cap);
}
