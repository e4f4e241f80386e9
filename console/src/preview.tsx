/**
 * A look at a key's content in the details panel, fetched from the store through a signed URL
 * (the bytes never pass through the gateway): the first 64 KiB of text, JSON (pretty-printed),
 * CSV (a table of the first rows) and GeoJSON (its shapes drawn on a plain SVG outline, no map
 * tiles); images in an <img>. Everything read is shown as text or as numbers drawn: a file's
 * content never becomes markup.
 */
import { useEffect, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import type { Api, ObjectDetails } from './api';
import { parseCsv, shapesOf, type Position } from './content';

/** Text is read up to this much (a Range request). */
const TEXT_BYTES = 64 * 1024;
/** GeoJSON is parsed whole, up to this size. */
const GEOJSON_BYTES = 5 * 1024 * 1024;
const IMAGE_BYTES = 25 * 1024 * 1024;
const CSV_ROWS = 50;

type Kind = 'text' | 'json' | 'csv' | 'geojson' | 'image';

/** What kind of preview a key gets, from its stored type and its name; undefined: none. */
export function previewKind(key: string, details: ObjectDetails): Kind | undefined {
  const type = details.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const name = key.toLowerCase();
  if (type === 'application/geo+json' || name.endsWith('.geojson')) return details.size <= GEOJSON_BYTES ? 'geojson' : 'text';
  if (type.startsWith('image/') && type !== 'image/svg+xml') return details.size <= IMAGE_BYTES ? 'image' : undefined;
  if (type === 'text/csv' || name.endsWith('.csv')) return 'csv';
  if (type === 'application/json' || name.endsWith('.json')) return details.size <= TEXT_BYTES ? 'json' : 'text';
  if (type.startsWith('text/') || /\.(txt|md|log)$/.test(name)) return 'text';
  return undefined;
}

interface Props {
  api: Api;
  type: StorageType;
  objectKey: string;
  details: ObjectDetails;
}

type Loaded = { kind: 'image'; url: string } | { kind: Exclude<Kind, 'image'>; text: string; cut: boolean };

export function Preview({ api, type, objectKey, details }: Props) {
  const kind = previewKind(objectKey, details);
  const [loaded, setLoaded] = useState<Loaded>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    if (!kind) return;
    let current = true;
    (async () => {
      const url = await api.downloadUrl(type, objectKey, 300);
      if (kind === 'image') return { kind, url } as const;
      const whole = kind === 'geojson' || (kind === 'json' && details.size <= TEXT_BYTES);
      const response = await fetch(url, {
        headers: whole ? {} : { range: `bytes=0-${TEXT_BYTES - 1}` },
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
      if (!response.ok) throw new Error(`The store answered ${response.status}.`);
      const text = await response.text();
      return { kind, text, cut: !whole && details.size > TEXT_BYTES } as const;
    })().then(
      (result) => current && setLoaded(result),
      (error: unknown) => current && setProblem(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      current = false;
    };
  }, []);

  if (!kind) return null;
  return (
    <section class="preview" aria-label="Preview">
      <h3>Preview</h3>
      {problem && <p class="note">No preview: {problem}</p>}
      {!loaded && !problem && <p class="note">Loading the preview…</p>}
      {loaded?.kind === 'image' && <ImagePreview url={loaded.url} name={objectKey} />}
      {loaded?.kind === 'text' && <TextPreview text={loaded.text} cut={loaded.cut} />}
      {loaded?.kind === 'json' && <TextPreview text={prettyJson(loaded.text)} cut={loaded.cut} />}
      {loaded?.kind === 'csv' && <CsvPreview text={loaded.text} />}
      {loaded?.kind === 'geojson' && <GeoJsonPreview text={loaded.text} />}
    </section>
  );
}

function ImagePreview({ url, name }: { url: string; name: string }) {
  const [broken, setBroken] = useState(false);
  if (broken) return <p class="note">This browser cannot show this image (TIFF, for one, only some browsers show).</p>;
  return <img src={url} alt={`Preview of ${name}`} referrerPolicy="no-referrer" onError={() => setBroken(true)} />;
}

function TextPreview({ text, cut }: { text: string; cut: boolean }) {
  return (
    <>
      <pre tabIndex={0} aria-label="File content">
        {text}
      </pre>
      {cut && <p class="note">The first 64 KiB are shown.</p>}
    </>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function CsvPreview({ text }: { text: string }) {
  const rows = parseCsv(text, CSV_ROWS + 1);
  const [head, ...body] = rows;
  if (!head) return <p class="note">The file is empty.</p>;
  return (
    <div class="table-scroll" tabIndex={0}>
      <table>
        <caption class="sr-only">First rows of the file</caption>
        <thead>
          <tr>
            {head.map((cell, index) => (
              <th key={index} scope="col">
                {cell}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.slice(0, CSV_ROWS).map((cells, index) => (
            <tr key={index}>
              {cells.map((cell, column) => (
                <td key={column}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GeoJsonPreview({ text }: { text: string }) {
  let shapes: ReturnType<typeof shapesOf>;
  try {
    shapes = shapesOf(JSON.parse(text));
  } catch {
    return <p class="note">This is not valid JSON.</p>;
  }
  const all = [...shapes.lines.flat(), ...shapes.areas.flat(), ...shapes.points];
  if (all.length === 0) return <p class="note">No shapes to draw.</p>;
  const xs = all.map((p) => p[0] as number);
  const ys = all.map((p) => -(p[1] as number));
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(maxX - minX, maxY - minY, 1e-6);
  const pad = span * 0.05;
  const box = [minX - pad, minY - pad, maxX - minX + 2 * pad || span, maxY - minY + 2 * pad || span];
  const n = (v: number) => Number(v.toFixed(6));
  const path = (ring: Position[], close: boolean) =>
    ring.map((p, i) => `${i ? 'L' : 'M'}${n(p[0] as number)} ${n(-(p[1] as number))}`).join(' ') + (close ? ' Z' : '');
  const stroke = span / 150;
  return (
    <figure class="geo">
      <svg
        viewBox={box.map(n).join(' ')}
        role="img"
        aria-label={`Outline of ${count(shapes.areas.length, 'area')}, ${count(shapes.lines.length, 'line')} and ${count(shapes.points.length, 'point')}`}
      >
        <rect x={box[0]} y={box[1]} width={box[2]} height={box[3]} class="geo-back" />
        {shapes.areas.map((ring, i) => (
          <path key={`a${i}`} d={path(ring, true)} class="geo-area" stroke-width={stroke} />
        ))}
        {shapes.lines.map((line, i) => (
          <path key={`l${i}`} d={path(line, false)} class="geo-line" stroke-width={stroke} />
        ))}
        {shapes.points.map((p, i) => (
          <circle key={`p${i}`} cx={n(p[0] as number)} cy={n(-(p[1] as number))} r={stroke * 3} class="geo-point" />
        ))}
      </svg>
      <figcaption class="note">
        {count(shapes.areas.length, 'area')}, {count(shapes.lines.length, 'line')}, {count(shapes.points.length, 'point')} (longitude
        across, latitude up)
      </figcaption>
    </figure>
  );
}

function count(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? '' : 's'}`;
}
