import {
  defaultResource,
  detectResources,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ResolvedConfig, ResourceDetectorName } from './types';

const DETECTORS: Record<Exclude<ResourceDetectorName, 'env'>, ResourceDetector> = {
  host: hostDetector,
  os: osDetector,
  process: processDetector,
  serviceinstance: serviceInstanceIdDetector,
};

/**
 * The SDK resource, later entries winning: SDK defaults (`telemetry.sdk.*`,
 * `service.name=unknown_service:node`), the detectors, the resolved resource attributes
 * (`OTEL_RESOURCE_ATTRIBUTES` under the `env` detector, then `resourceAttributes`), the service
 * name, and last the `resource` option.
 *
 * @internal
 */
export function buildResource(config: ResolvedConfig, explicit: Resource | undefined): Resource {
  const detectors = config.resourceDetectors.filter((d) => d !== 'env').map((d) => DETECTORS[d]);
  let resource = defaultResource().merge(detectResources({ detectors }));
  if (Object.keys(config.resourceAttributes).length > 0) resource = resource.merge(resourceFromAttributes(config.resourceAttributes));
  if (config.serviceName !== undefined) resource = resource.merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }));
  if (explicit) resource = resource.merge(explicit);
  return resource;
}
