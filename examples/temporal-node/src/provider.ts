/**
 * The upstream a worker reads from: the library's Graph or CIPP provider, built from the
 * provider settings JSON the host keeps (base URLs, client id, and the secrets it resolved).
 */
import { CippProvider, GraphProvider } from 'entra-sync';
import type { CippSettings, GraphSettings } from 'entra-sync';

export type Provider = GraphProvider | CippProvider;

export type ProviderConfig = { kind: 'direct'; settings: GraphSettings } | { kind: 'cipp'; settings: CippSettings };

export function createProvider(config: ProviderConfig): Provider {
  return config.kind === 'direct' ? new GraphProvider(config.settings) : new CippProvider(config.settings);
}
