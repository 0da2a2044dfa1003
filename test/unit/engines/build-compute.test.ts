import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCompute } from '../../../functions/lib/engines/build-compute.ts';

// The build projects are created as the EC2 form (infra/codebuild.yml) and every workflow build
// overrides them; what the code assumes about a build without overrides, and about an EC2 build's
// limits (the lock lease), must be what the projects say.
const template = parse(readFileSync(new URL('../../../infra/codebuild.yml', import.meta.url), 'utf8')) as {
  Resources: Record<string, { Properties: Record<string, unknown> }>;
};

describe('infra/codebuild.yml and the compute model', () => {
  it.each(['PlanProject', 'ApplyProject'])('%s is the EC2 small compute, with its timeouts', (id) => {
    const project = template.Resources[id]!.Properties;
    const small = buildCompute('small');
    expect(project.Environment).toEqual({
      Type: small.environmentType,
      ComputeType: small.computeType,
      Image: small.image,
    });
    expect(project.TimeoutInMinutes).toBe(small.timeoutMinutes);
    expect(project.QueuedTimeoutInMinutes).toBe(small.queuedTimeoutMinutes);
  });
});
