/**
 * Opens the S3 store on MinIO, SeaweedFS or AWS S3, for the gateway and the tests: builds what
 * it works with (its endpoints unless handed in, the pools its calls take turns in, its
 * clients, and with `signing` the URL signer and its STS sessions), and answers it by the
 * interfaces of types.ts, so nothing outside store/ holds the concrete class. What is opened
 * here is closed here.
 */
import type { S3Settings } from '../config';
import { endpointsFor } from './endpoints';
import { closeS3Clients, createS3Clients } from './s3Clients';
import { S3Store } from './s3Store';
import { DEFAULT_RESPONSE_TIMEOUT_MS, storeCallShares, TRANSFER_SOCKETS, type StoreOptions } from './s3StoreOptions';
import { SigningCredentials } from './signingCredentials';
import type { OpenedStore } from './types';
import { UrlSigner } from './urlSigner';

export function openS3Store(settings: S3Settings, options: StoreOptions = {}): OpenedStore {
  const endpoints = options.endpoints ?? endpointsFor(settings);
  const shares = storeCallShares();
  const clients = createS3Clients(settings, endpoints, {
    responseTimeoutMs: options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS,
    streamSockets: options.streamSockets ?? TRANSFER_SOCKETS,
    smallCalls: shares.storeCalls,
  });
  const signing = options.signing && new SigningCredentials(settings, endpoints, options.signing.buckets, options.signing.maxUrlTtlSeconds);
  const signer = signing && new UrlSigner(settings, endpoints, signing);
  const store = new S3Store(
    settings,
    { clients, shares, signer, credentials: signing, publicEndpoint: () => endpoints.pickPublic() },
    options,
  );
  return {
    store,
    upkeep: store.upkeep,
    calls: shares,
    prepareSigning: async () => signing?.prepare(),
    describe: () => store.describe(),
    close: async () => {
      await closeS3Clients(clients);
      signing?.close();
      // Endpoints handed in are their owner's to close.
      if (options.endpoints === undefined) await endpoints.close();
    },
  };
}
