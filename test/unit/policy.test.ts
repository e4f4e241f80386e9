import { ACTORS, allows, POLICY } from '../../src/storage/policy';
import { OPERATIONS } from '../../src/protocol/storageTypes';
import { STORAGE_TYPES } from '../../src/storage/types';

/** The route contract's table of what each actor may do per storage type, written out cell by cell. */
const EXPECTED_OWNER: Record<string, string[]> = {
  data: [...OPERATIONS],
  tmp: [...OPERATIONS],
  products: ['write', 'signUpload', 'exists', 'list'],
  result: ['read', 'exists', 'list', 'signDownload', 'delete'],
  logs: ['read', 'exists', 'list', 'signDownload', 'delete'],
};

describe('the policy table', () => {
  it('has a row for every storage type and a column for every actor', () => {
    expect(Object.keys(POLICY).sort()).toEqual([...STORAGE_TYPES].sort());
    for (const type of STORAGE_TYPES) expect(Object.keys(POLICY[type].allowed).sort()).toEqual([...ACTORS].sort());
  });

  for (const type of STORAGE_TYPES) {
    for (const operation of OPERATIONS) {
      const expected = EXPECTED_OWNER[type]?.includes(operation) ?? false;
      it(`${expected ? 'lets' : 'refuses'} the owner ${operation} in ${type}`, () => {
        expect(allows(type, 'owner', operation)).toBe(expected);
      });
    }
  }

  it('lets only task processing write result and logs', () => {
    for (const type of ['result', 'logs'] as const) {
      expect(allows(type, 'tasks', 'write')).toBe(true);
      expect(allows(type, 'owner', 'write')).toBe(false);
      expect(allows(type, 'catalog', 'write')).toBe(false);
    }
  });

  it('sends product deletions to the catalog', () => {
    expect(allows('products', 'catalog', 'delete')).toBe(true);
    expect(POLICY.products.refusal).toMatch(/remove_image/);
  });
});
