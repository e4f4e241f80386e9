/** The storage browser's content readers for previews: CSV rows and GeoJSON shapes. */
import { parseCsv, shapesOf } from '../../console/src/content';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and CRLF lines', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",3', 10)).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', '3'],
    ]);
  });

  it('stops at the rows asked for, and reads a last line without a line break', () => {
    expect(parseCsv('1\n2\n3\n4', 2)).toEqual([['1'], ['2']]);
    expect(parseCsv('1\n2', 5)).toEqual([['1'], ['2']]);
    expect(parseCsv('', 5)).toEqual([]);
  });
});

describe('shapesOf', () => {
  it('collects areas, lines and points from features, collections and multi-geometries', () => {
    const shapes = shapesOf({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: {
            type: 'MultiPolygon',
            coordinates: [
              [
                [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                  [0, 0],
                ],
              ],
              [
                [
                  [2, 2],
                  [3, 2],
                  [3, 3],
                  [2, 2],
                ],
              ],
            ],
          },
        },
        {
          type: 'Feature',
          geometry: {
            type: 'GeometryCollection',
            geometries: [
              {
                type: 'MultiPoint',
                coordinates: [
                  [1, 1],
                  [2, 2],
                ],
              },
            ],
          },
        },
        {
          type: 'Feature',
          geometry: {
            type: 'MultiLineString',
            coordinates: [
              [
                [0, 0],
                [1, 1],
              ],
            ],
          },
        },
      ],
    });
    expect([shapes.areas.length, shapes.lines.length, shapes.points.length]).toEqual([2, 1, 2]);
  });

  it('drops what is not a position on Earth instead of drawing it', () => {
    const shapes = shapesOf({
      type: 'GeometryCollection',
      geometries: [
        { type: 'Point', coordinates: ['8', 47] },
        { type: 'Point', coordinates: [8, 1e9] },
        { type: 'LineString', coordinates: [[0, 0]] },
        { type: 'Polygon', coordinates: 'nope' },
        { type: 'MultiPolygon', coordinates: [7, 'x', [8]] },
        { type: 'MultiPoint', coordinates: { length: 3 } },
        { type: 'Unknown', coordinates: [[0, 0]] },
        null,
      ],
    });
    expect(shapes).toEqual({ areas: [], lines: [], points: [] });
  });
});
