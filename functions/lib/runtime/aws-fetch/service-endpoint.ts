import { AWS_SERVICES, type AwsService } from './aws-services.ts';

/**
 * Where a service is called, as the SDK resolves it: `AWS_ENDPOINT_URL_<SERVICE_ID>`, then
 * `AWS_ENDPOINT_URL`, then the regional endpoint (the local stack sets the first); with
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, the regional endpoint only.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function serviceEndpoint(service: AwsService, region: string, env: NodeJS.ProcessEnv): string {
  const ignore = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true';
  const configured = ignore
    ? undefined
    : env[`AWS_ENDPOINT_URL_${AWS_SERVICES[service].serviceId}`] || env.AWS_ENDPOINT_URL;
  if (configured) return configured.replace(/\/+$/, '');
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${AWS_SERVICES[service].host}.${region}.${suffix}`;
}
