/** Reading a ListObjectsV2 answer without an XML library: the first key, entities decoded. */
import { firstListedKey } from '../../src/store/signedHttp';

it('reads the first key of a listing, decoding XML entities', () => {
  const xml =
    '<ListBucketResult><Contents><Key>ns/a &amp; b/&lt;c&gt;&#233;&#x4e2d;</Key></Contents><Contents><Key>ns/z</Key></Contents></ListBucketResult>';
  expect(firstListedKey(xml)).toBe('ns/a & b/<c>é中');
});

it('answers undefined for an empty listing', () => {
  expect(firstListedKey('<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>')).toBeUndefined();
});
