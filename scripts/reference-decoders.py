#!/usr/bin/env python3
"""Reference decodings of the three detector families, written to test/detect/fixtures/decoder-reference.json.

The TypeScript decoders (src/detect/decode-*.ts) are checked against this file by
test/detect/decoder-reference.test.ts. The upstream Python/C++ packages cannot be installed here (no
PyPI access, no OpenCV), so each algorithm below is re-implemented with numpy, step by step, from the
upstream source named in its docstring, in that source's own array order and float32 arithmetic where
the source uses it. What this proves: the TypeScript decoders agree with an independent numpy reading
of the upstream algorithms on random outputs of a non-square input. It does not run the upstream code.

Run: python3 scripts/reference-decoders.py   (numpy only; deterministic: seeded)
"""
import json
import math
import os

import numpy as np

# A non-square input (multiple of 32), so row/column mix-ups show: grids 8x4, 4x2, 2x1.
W, H = 64, 32
STRIDES = [8, 16, 32]
THRESHOLD = 0.6
rng = np.random.default_rng(20261130)


def yunet(outputs):
    """OpenCV modules/objdetect/src/face_detect.cpp, FaceDetectorYNImpl::postProcess (before NMS):
    for each stride, rows r and columns c of the padded input, idx = r*cols + c; cls and obj clamped
    to [0, 1]; score = sqrt(cls*obj); centre ((c + b0)*s, (r + b1)*s), size exp(b2)*s × exp(b3)*s;
    landmark n = ((k[2n] + c)*s, (k[2n+1] + r)*s). float32 throughout, as the C++ code."""
    faces = []
    for s in STRIDES:
        cols, rows = W // s, H // s
        cls, obj = outputs[f'cls_{s}'].reshape(-1), outputs[f'obj_{s}'].reshape(-1)
        bbox, kps = outputs[f'bbox_{s}'].reshape(-1, 4), outputs[f'kps_{s}'].reshape(-1, 10)
        for r in range(rows):
            for c in range(cols):
                idx = r * cols + c
                score = np.sqrt(np.float32(min(max(cls[idx], 0), 1)) * np.float32(min(max(obj[idx], 0), 1)))
                if score < THRESHOLD:
                    continue
                cx = np.float32((c + bbox[idx, 0]) * s)
                cy = np.float32((r + bbox[idx, 1]) * s)
                w = np.float32(np.exp(bbox[idx, 2]) * s)
                h = np.float32(np.exp(bbox[idx, 3]) * s)
                x1, y1 = cx - w / np.float32(2), cy - h / np.float32(2)
                lm = [[float((kps[idx, 2 * n] + c) * s), float((kps[idx, 2 * n + 1] + r) * s)] for n in range(5)]
                faces.append({'box': [float(x1), float(y1), float(x1 + w), float(y1 + h)], 'score': float(score), 'landmarks': lm})
    return faces


def scrfd_centres(height, width, stride, anchors):
    """InsightFace python-package/insightface/model_zoo/scrfd.py, SCRFD.forward: centres of an
    np.mgrid over (height, width) with x first, times the stride, each repeated `_num_anchors` (2)
    times in a row."""
    ys, xs = np.mgrid[:height, :width]
    centres = (np.stack([xs, ys], axis=-1).astype(np.float32) * stride).reshape(-1, 2)
    return np.repeat(centres, anchors, axis=0)


def scrfd(outputs):
    """InsightFace scrfd.py: outputs in session order scores, boxes, keypoints per stride; distances
    scaled by the stride; distance2bbox (centre − left/top, centre + right/bottom) and distance2kps
    (centre + offset) for the anchors whose score ≥ threshold, in index order."""
    faces = []
    for idx, s in enumerate(STRIDES):
        scores = outputs[f'score_{s}'].reshape(-1)
        boxes = outputs[f'bbox_{s}'].reshape(-1, 4) * s
        kps = outputs[f'kps_{s}'].reshape(-1, 10) * s
        centres = scrfd_centres(H // s, W // s, s, 2)
        for i in np.where(scores >= THRESHOLD)[0]:
            cx, cy = centres[i]
            box = [cx - boxes[i, 0], cy - boxes[i, 1], cx + boxes[i, 2], cy + boxes[i, 3]]
            lm = [[float(cx + kps[i, 2 * k]), float(cy + kps[i, 2 * k + 1])] for k in range(5)]
            faces.append({'box': [float(v) for v in box], 'score': float(scores[i]), 'landmarks': lm})
    return faces


def retinaface_priors():
    """biubug6/Pytorch_Retinaface layers/functions/prior_box.py, PriorBox.forward with cfg_mnet
    (steps 8/16/32, min_sizes [16,32]/[64,128]/[256,512]): for each feature map of ceil(H/step) ×
    ceil(W/step), rows i then columns j then min sizes: [(j+0.5)*step/W, (i+0.5)*step/H, size/W, size/H]."""
    min_sizes = [[16, 32], [64, 128], [256, 512]]
    priors = []
    for k, step in enumerate(STRIDES):
        for i in range(math.ceil(H / step)):
            for j in range(math.ceil(W / step)):
                for size in min_sizes[k]:
                    priors.append([(j + 0.5) * step / W, (i + 0.5) * step / H, size / W, size / H])
    return np.array(priors, dtype=np.float32)


def retinaface(outputs, priors):
    """biubug6 utils/box_utils.py decode and decode_landm with variances (0.1, 0.2) on normalised
    priors, then scaled by (W, H) as detect.py does; score = conf[:, 1] (softmaxed in the export)."""
    v0, v1 = 0.1, 0.2
    loc, conf, landm = outputs['loc'].reshape(-1, 4), outputs['conf'].reshape(-1, 2), outputs['iou'].reshape(-1, 10)
    centre = priors[:, :2] + loc[:, :2] * v0 * priors[:, 2:]
    size = priors[:, 2:] * np.exp(loc[:, 2:] * v1)
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1) * np.array([W, H, W, H], dtype=np.float32)
    lms = np.concatenate([priors[:, :2] + landm[:, 2 * k:2 * k + 2] * v0 * priors[:, 2:] for k in range(5)], axis=1)
    lms = lms * np.array([W, H] * 5, dtype=np.float32)
    faces = []
    for i in np.where(conf[:, 1] >= THRESHOLD)[0]:
        faces.append({'box': [float(v) for v in boxes[i]], 'score': float(conf[i, 1]),
                      'landmarks': [[float(lms[i, 2 * k]), float(lms[i, 2 * k + 1])] for k in range(5)]})
    return faces


def tensor(rows, per, low, high):
    return rng.uniform(low, high, size=(rows, per)).astype(np.float32)


def main():
    cells = {s: (W // s) * (H // s) for s in STRIDES}
    # OpenCV's order: cls of each stride, then obj, bbox, kps.
    yn = {}
    for name, per, low, high in [('cls', 1, -0.1, 1.1), ('obj', 1, 0.3, 1.2), ('bbox', 4, -1, 1), ('kps', 10, -1.5, 1.5)]:
        for s in STRIDES:
            yn[f'{name}_{s}'] = tensor(cells[s], per, low, high)
    # Session output order of the exports: the scores of each stride, then the boxes, then the keypoints.
    sc = {}
    for s in STRIDES:
        sc[f'score_{s}'] = tensor(cells[s] * 2, 1, 0, 1)
    for s in STRIDES:
        sc[f'bbox_{s}'] = tensor(cells[s] * 2, 4, 0, 3)
    for s in STRIDES:
        sc[f'kps_{s}'] = tensor(cells[s] * 2, 10, -2, 2)
    priors = retinaface_priors()
    n = len(priors)
    logits = tensor(n, 2, -3, 3)
    conf = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    rf = {'loc': tensor(n, 4, -2, 2), 'conf': conf.astype(np.float32), 'iou': tensor(n, 10, -2, 2)}
    pixel_priors = [{'cx': float(p[0] * W), 'cy': float(p[1] * H), 'size': float(p[2] * W)} for p in priors]
    out = {
        'source': 'scripts/reference-decoders.py (numpy re-implementation of OpenCV face_detect.cpp, InsightFace scrfd.py, '
                  'biubug6 prior_box.py + box_utils.py; see its docstrings)',
        'width': W, 'height': H, 'threshold': THRESHOLD,
        'yunet': {'names': list(yn), 'outputs': {k: v.reshape(-1).tolist() for k, v in yn.items()}, 'faces': yunet(yn)},
        'scrfd': {'names': list(sc), 'outputs': {k: v.reshape(-1).tolist() for k, v in sc.items()}, 'faces': scrfd(sc)},
        'retinaface': {'names': list(rf), 'outputs': {k: v.reshape(-1).tolist() for k, v in rf.items()}, 'faces': retinaface(rf, priors),
                       'priors': pixel_priors},
    }
    path = os.path.join(os.path.dirname(__file__), '..', 'test', 'detect', 'fixtures', 'decoder-reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    print(path, {k: len(out[k]['faces']) for k in ('yunet', 'scrfd', 'retinaface')})


if __name__ == '__main__':
    main()
