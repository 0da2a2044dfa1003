import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface Functions {
  provider: { memorySize?: number };
  functions: Record<string, { memorySize?: number }>;
}

/** Each function's memory in MB as serverless.yml deploys it (its own `memorySize`, else the provider's). */
export function functionMemory(): Record<string, number> {
  const path = new URL('../../serverless.yml', import.meta.url);
  // CloudFormation's short tags are read as plain values: only the numbers are needed here.
  const config = parse(readFileSync(path, 'utf8').replace(/!(Ref|GetAtt|Sub|Join)\b/g, '')) as Functions;
  const fallback = config.provider.memorySize ?? 1024;
  return Object.fromEntries(Object.entries(config.functions).map(([name, fn]) => [name, fn.memorySize ?? fallback]));
}
