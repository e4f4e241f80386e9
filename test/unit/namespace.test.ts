import { createHash } from 'node:crypto';
import { namespaceFor, objectKey } from '../../src/protocol/namespace';
import { NAMESPACE_PATTERN } from '../../src/protocol/storageTypes';

describe('namespaceFor', () => {
  it('is the hex SHA-1 of the subject: stable and documented', () => {
    expect(namespaceFor('alice')).toBe('522b276a356bdf39013dfabea2cd43e141ecc9e8');
    expect(namespaceFor('alice')).toBe(createHash('sha1').update('alice').digest('hex'));
  });

  it.each(['alice', 'auth0|5f0c', 'user@example.com', '../../etc', 'ünï/cödé', ''])(
    'is always a safe key prefix, even for %j',
    (subject) => {
      expect(namespaceFor(subject)).toMatch(NAMESPACE_PATTERN);
    },
  );

  it('tells different subjects apart', () => {
    expect(namespaceFor('alice')).not.toBe(namespaceFor('Alice'));
  });

  it('places keys under the namespace', () => {
    expect(objectKey('abc', 'x/y')).toBe('abc/x/y');
  });
});
