// Drawing helpers: an image with its face boxes, landmarks and labels on a canvas.

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

/** Boxes, landmark dots and an optional label per face. */
export function drawOverlay(ctx, faces, lineWidth) {
  for (const face of faces) {
    const [x1, y1, x2, y2] = face.box;
    ctx.lineWidth = lineWidth;
    ctx.strokeStyle = face.colour ?? '#00e5ff';
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    face.landmarks?.forEach(([x, y], i) => {
      ctx.fillStyle = LANDMARK_COLOURS[i];
      ctx.beginPath();
      ctx.arc(x, y, lineWidth * 1.2, 0, Math.PI * 2);
      ctx.fill();
    });
    if (face.label) {
      const size = Math.max(12, lineWidth * 6);
      ctx.font = `${size}px system-ui, sans-serif`;
      const text = face.label;
      const tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = 'rgba(0,0,0,0.75)';
      ctx.fillRect(x1, Math.max(0, y1 - size - 6), tw, size + 6);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, x1 + 4, Math.max(size, y1 - 5));
    }
  }
}
