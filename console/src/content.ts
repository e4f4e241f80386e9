/** Reading file content for previews: CSV rows and GeoJSON shapes. Pure functions, no DOM. */

/** Rows of a CSV text: quoted fields with doubled quotes, commas and newlines inside quotes. */
export function parseCsv(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if ((field !== '' || row.length > 0) && rows.length < maxRows) rows.push([...row, field]);
  return rows;
}

export type Position = number[];

/** Every ring or line of a GeoJSON text's geometries, and its points, as coordinate lists. */
export function shapesOf(value: unknown): { lines: Position[][]; areas: Position[][]; points: Position[] } {
  const shapes = { lines: [] as Position[][], areas: [] as Position[][], points: [] as Position[] };
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const item = node as { type?: unknown; features?: unknown; geometry?: unknown; geometries?: unknown; coordinates?: unknown };
    // Coordinates are whatever the file says: only arrays are walked, the rest is dropped below.
    const c: unknown[] = Array.isArray(item.coordinates) ? item.coordinates : [];
    const lists = (v: unknown[]) => v.filter(Array.isArray) as unknown[][];
    switch (item.type) {
      case 'FeatureCollection':
        if (Array.isArray(item.features)) item.features.forEach(visit);
        return;
      case 'Feature':
        return visit(item.geometry);
      case 'GeometryCollection':
        if (Array.isArray(item.geometries)) item.geometries.forEach(visit);
        return;
      case 'Point':
        return void shapes.points.push(c as Position);
      case 'MultiPoint':
        return void shapes.points.push(...(lists(c) as Position[]));
      case 'LineString':
        return void shapes.lines.push(c as Position[]);
      case 'MultiLineString':
      case 'Polygon':
        return void (item.type === 'Polygon' ? shapes.areas : shapes.lines).push(...(lists(c) as Position[][]));
      case 'MultiPolygon':
        return void shapes.areas.push(...(lists(c).flatMap(lists) as Position[][]));
    }
  };
  visit(value);
  const valid = (p: unknown): p is Position =>
    Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]) && Math.abs(p[0] as number) <= 360 && Math.abs(p[1] as number) <= 90;
  const listOf = (ring: unknown) => (Array.isArray(ring) ? ring.filter(valid) : []);
  return {
    lines: shapes.lines.map(listOf).filter((l) => l.length > 1),
    areas: shapes.areas.map(listOf).filter((l) => l.length > 2),
    points: shapes.points.filter(valid),
  };
}
