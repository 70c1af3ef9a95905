// Drawing helpers: an image with its face boxes, landmarks and labels on a canvas. Labels are placed
// by the library's own layout (the same as annotated videos): inside the picture and clear of each other.
import { placeLabels } from '/arcface/arcface.js';

const LANDMARK_COLOURS = ['#00c853', '#00c853', '#ff6d00', '#d500f9', '#d500f9'];

/** Loads a File/Blob into an ImageBitmap-like image element. */
export function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`Cannot display ${file.name ?? 'the image'}`));
    img.src = url;
  });
}

/** Draws `source` (image or video frame) scaled to the canvas width, then the faces. */
export function drawFaces(canvas, source, faces, options = {}) {
  const w = source.videoWidth || source.naturalWidth || source.width;
  const h = source.videoHeight || source.naturalHeight || source.height;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (options.clear) ctx.clearRect(0, 0, w, h);
  else ctx.drawImage(source, 0, 0, w, h);
  drawOverlay(ctx, faces, Math.max(2, Math.round(Math.max(w, h) / 200)));
}

/** CSS colour of an `[r, g, b]` overlay colour from the library (`trackOverlays`). */
export function cssColour(rgb) {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

/**
 * Boxes (dashed when `face.dashed`, for a box predicted rather than seen), landmark dots and an
 * optional label per face. Every call draws the whole overlay of one frame: callers redraw the frame
 * first, so nothing of an earlier frame stays.
 */
export function drawOverlay(ctx, faces, lineWidth) {
  for (const face of faces) {
    const [x1, y1, x2, y2] = face.box;
    ctx.lineWidth = face.dashed ? Math.max(1, lineWidth / 2) : lineWidth;
    ctx.setLineDash(face.dashed ? [lineWidth * 3, lineWidth * 3] : []);
    ctx.strokeStyle = face.colour ?? '#00e5ff';
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    face.landmarks?.forEach(([x, y], i) => {
      ctx.fillStyle = LANDMARK_COLOURS[i];
      ctx.beginPath();
      ctx.arc(x, y, lineWidth * 1.2, 0, Math.PI * 2);
      ctx.fill();
    });
  }
  ctx.setLineDash([]);
  const labelled = faces.filter((f) => f.label);
  const size = Math.max(12, lineWidth * 6);
  const tabH = size + 6;
  ctx.font = `${size}px system-ui, sans-serif`;
  const widths = labelled.map((f) => ctx.measureText(f.label).width + 8);
  const spots = placeLabels(
    labelled.map((f, i) => ({ box: f.box, width: widths[i], height: tabH })),
    ctx.canvas.width,
    ctx.canvas.height,
  );
  labelled.forEach((face, i) => {
    const { x, y } = spots[i];
    ctx.fillStyle = 'rgba(0,0,0,0.75)';
    ctx.fillRect(x, y, widths[i], tabH);
    ctx.fillStyle = face.dashed ? '#cfd8dc' : '#fff';
    ctx.fillText(face.label, x + 4, y + size);
  });
  // What this frame's overlay holds, for tests and assistive tools: boxes, labels and label rectangles, in pixels.
  ctx.canvas.dataset.overlay = JSON.stringify(
    faces.map((f) => {
      const i = labelled.indexOf(f);
      const rect = i < 0 ? null : { x: spots[i].x, y: spots[i].y, width: widths[i], height: tabH };
      return { box: f.box, label: f.label ?? null, dashed: f.dashed === true, rect };
    }),
  );
}
