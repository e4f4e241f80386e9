/** The storage browser's address fragment: the folder shown, as `#/type/prefix/`. */
import { addressOf, parentOf, placeIn } from '../../console/src/address';

describe('the folder in the address fragment', () => {
  it('names a type and a prefix, each part encoded, and reads back the same', () => {
    const place = { type: 'data', prefix: 'docs/a b#?/' } as const;
    expect(addressOf(place)).toBe('#/data/docs/a%20b%23%3F/');
    expect(placeIn(addressOf(place), ['data'])).toEqual(place);
    expect(placeIn('#/tmp/', ['data', 'tmp'])).toEqual({ type: 'tmp', prefix: '' });
  });

  it('names nothing for a type the caller may not list, a key rather than a folder, or broken encoding', () => {
    expect(placeIn('#/logs/x/', ['data'])).toBeUndefined();
    expect(placeIn('#/data/docs/readme.txt', ['data'])).toBeUndefined();
    expect(placeIn('#/data/%E0%A4%A/', ['data'])).toBeUndefined();
    expect(placeIn('#token=abc', ['data'])).toBeUndefined();
  });

  it('goes up one folder at a time', () => {
    expect(parentOf('a/b/c/')).toBe('a/b/');
    expect(parentOf('a/')).toBe('');
    expect(parentOf('')).toBe('');
  });
});
