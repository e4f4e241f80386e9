/**
 * The gateway's bucket CORS rule beside an operator's: written when missing or different,
 * left alone when present, and a store that keeps no CORS rules (MinIO: NotImplemented) or
 * refuses them is reported, not fatal. A store that does not answer is an outage.
 */
import { S3ServiceException, type CORSRule, type S3Client } from '@aws-sdk/client-s3';
import { ensureCorsRule, type CorsRuleSpec } from '../../src/store/buckets';

const spec: CorsRuleSpec = { id: 'ours', methods: ['GET', 'PUT'], origins: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 3600 };
const ours: CORSRule = {
  ID: 'ours',
  AllowedMethods: ['GET', 'PUT'],
  AllowedOrigins: ['*'],
  AllowedHeaders: ['*'],
  ExposeHeaders: ['ETag'],
  MaxAgeSeconds: 3600,
};
const operators: CORSRule = { ID: 'theirs', AllowedMethods: ['GET'], AllowedOrigins: ['https://site.example'] };

const refusal = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status < 500 ? 'client' : 'server', $metadata: { httpStatusCode: status } });

/** A store that answers GetBucketCors with `existing` (or throws it) and records what is put. */
function storeWith(existing: CORSRule[] | Error, put?: Error) {
  const written: CORSRule[][] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: { CORSConfiguration?: { CORSRules?: CORSRule[] } } }) => {
      if (command.constructor.name === 'GetBucketCorsCommand') {
        if (existing instanceof Error) throw existing;
        return { CORSRules: existing };
      }
      if (put) throw put;
      written.push(command.input.CORSConfiguration?.CORSRules ?? []);
      return {};
    },
  } as unknown as S3Client;
  return { client, written };
}

it('writes the rule on a bucket without CORS rules', async () => {
  const { client, written } = storeWith(refusal('NoSuchCORSConfiguration', 404));
  expect(await ensureCorsRule(client, 'b', spec)).toEqual({ cors: 'written' });
  expect(written).toEqual([[ours]]);
});

it("keeps an operator's rules beside ours, and replaces an outdated one of ours", async () => {
  const { client, written } = storeWith([operators, { ...ours, MaxAgeSeconds: 1 }]);
  expect(await ensureCorsRule(client, 'b', spec)).toEqual({ cors: 'written' });
  expect(written).toEqual([[operators, ours]]);
});

it('writes nothing when the rule is there (in any order)', async () => {
  const { client, written } = storeWith([operators, { ...ours, AllowedMethods: ['PUT', 'GET'] }]);
  expect(await ensureCorsRule(client, 'b', spec)).toEqual({ cors: 'present' });
  expect(written).toEqual([]);
});

it.each([
  ['keeps no CORS rules (MinIO)', refusal('NotImplemented', 501), 'NotImplemented 501'],
  ['refuses the gateway the permission', refusal('AccessDenied', 403), 'AccessDenied 403'],
])('reports a store that %s, and carries on', async (_why, error, said) => {
  expect(await ensureCorsRule(storeWith([], error).client, 'b', spec)).toEqual({ cors: 'unsupported', corsRefusal: said });
  expect(await ensureCorsRule(storeWith(error).client, 'b', spec)).toEqual({ cors: 'unsupported', corsRefusal: said });
});

it('fails on a store that does not answer or is unavailable, so start-up retries', async () => {
  await expect(
    ensureCorsRule(storeWith(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).client, 'b', spec),
  ).rejects.toThrow(/ECONNREFUSED/);
  await expect(ensureCorsRule(storeWith(refusal('SlowDown', 503)).client, 'b', spec)).rejects.toThrow();
});
