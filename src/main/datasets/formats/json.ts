// The app's own JSON (one record per face, everything we know) and a COCO-style JSON (faces as annotations).
import type { OutputFile, WriteContext } from './types';

export const JSON_FILE = 'faces.json';
export const COCO_FILE = 'coco.json';

/** `{"format":…,"faces":[` then one face per line: readable, diffable, and written without building one string. */
export function jsonFiles({ faces }: WriteContext): OutputFile[] {
  return [
    {
      name: JSON_FILE,
      lines: function* () {
        yield `{"format":"faceinsight-faces","version":1,"faces":[`;
        for (let i = 0; i < faces.length; i++) {
          const f = faces[i]!;
          const rec = {
            faceId: f.faceId,
            image: f.relPath,
            split: f.split,
            size: f.width !== null && f.height !== null ? [f.width, f.height] : null,
            face: { idx: f.idx, source: f.faceSource, box: [f.box.x, f.box.y, f.box.w, f.box.h] },
            values: Object.fromEntries(
              Object.keys(f.values)
                .sort()
                .map((k) => [k, { value: f.values[k], source: f.sources[k] }]),
            ),
            labels: f.labels,
            review: f.review ?? 'unreviewed',
            identity: f.identity,
            landmarks: f.landmarks,
            annotation: f.annotation,
            predictions: f.predictions,
          };
          yield JSON.stringify(rec) + (i < faces.length - 1 ? ',' : '');
        }
        yield `]}`;
      },
    },
  ];
}

/** COCO layout: images, one `face` category, each face an annotation carrying its effective values. */
export function cocoFiles({ faces }: WriteContext): OutputFile[] {
  return [
    {
      name: COCO_FILE,
      lines: function* () {
        yield `{"info":{"description":"FaceInsight Studio export"},"categories":[{"id":1,"name":"face"}],`;
        yield `"images":[`;
        const seen = new Set<number>();
        const imgs = faces.filter((f) => !seen.has(f.imageId) && seen.add(f.imageId));
        for (let i = 0; i < imgs.length; i++) {
          const f = imgs[i]!;
          const img = {
            id: f.imageId,
            file_name: f.relPath,
            width: f.width,
            height: f.height,
            split: f.split,
          };
          yield JSON.stringify(img) + (i < imgs.length - 1 ? ',' : '');
        }
        yield `],"annotations":[`;
        for (let i = 0; i < faces.length; i++) {
          const f = faces[i]!;
          const ann = {
            id: f.faceId,
            image_id: f.imageId,
            category_id: 1,
            bbox: [f.box.x, f.box.y, f.box.w, f.box.h],
            area: f.box.w * f.box.h,
            iscrowd: 0,
            attributes: f.values,
            attribute_sources: f.sources,
            review: f.review ?? 'unreviewed',
          };
          yield JSON.stringify(ann) + (i < faces.length - 1 ? ',' : '');
        }
        yield `]}`;
      },
    },
  ];
}
