import type { KnownModel, ModelLicence, ModelOrigin, ScoreCalibration } from './known-model.js';

/*
 * Facts below were checked as follows.
 * - Sizes and SHA-256 of files staged in the project's shared models folder were measured with
 *   `sha256sum` (yunet-*, scrfd-500m, scrfd-2.5g, retinaface-mnet025, w600k-mbf-int8,
 *   arcface-mbf-luxonis).
 * - det_10g, w600k_r50, w600k_mbf and glintr100: sizes and SHA-256 as published in several
 *   independent download manifests that agree with one another; likewise the sizes and checksums
 *   of the buffalo_l, buffalo_m, buffalo_s, buffalo_sc and antelopev2 archives. No checksum is
 *   recorded for the Luxonis IResNet100 archive: none could be confirmed.
 * - Cosine thresholds: only w600k-mbf-int8 has been calibrated by this project (see
 *   W600K_MBF_INT8_LFW); the other recognisers have none yet.
 */

/** InsightFace release v0.7 assets (the "buffalo" packs and antelopev2). */
const INSIGHTFACE_RELEASE = 'https://github.com/deepinsight/insightface/releases/download/v0.7';
/** libfacedetection.train commit whose `onnx/yunet_*_dynamic.onnx` match the recorded checksums. */
const YUNET_TRAIN_COMMIT = 'https://github.com/ShiqiYu/libfacedetection.train/raw/dca340aa082c71081a68d17db8e58b33a58a914b';
/** libfacedetection.train commit that still holds the RetinaFace export (removed later). */
const RETINAFACE_COMMIT = 'https://github.com/ShiqiYu/libfacedetection.train/raw/204b0c9f687f2fd5c012988199a3cd47feb69a90';

const INSIGHTFACE_LICENCE: ModelLicence = Object.freeze({
  name: 'InsightFace pretrained models: non-commercial research only',
  nonCommercial: true,
  url: 'https://github.com/deepinsight/insightface#license',
});
const OPENCV_ZOO_YUNET_LICENCE: ModelLicence = Object.freeze({
  name: 'MIT',
  nonCommercial: false,
  url: 'https://github.com/opencv/opencv_zoo/blob/main/models/face_detection_yunet/LICENSE',
});
const YUNET_TRAIN_LICENCE: ModelLicence = Object.freeze({
  name: 'Apache-2.0',
  nonCommercial: false,
  url: 'https://github.com/ShiqiYu/libfacedetection.train/blob/master/LICENSE',
});
const RETINAFACE_LICENCE: ModelLicence = Object.freeze({
  name: 'MIT',
  nonCommercial: false,
  url: 'https://github.com/biubug6/Pytorch_Retinaface/blob/master/LICENSE.MIT',
});

const YUNET_CONTRACT =
  'input `input` float32 NCHW [N,3,H,W], BGR 0..255 with no mean or scaling; H and W multiples of 32 ' +
  '(pad bottom/right); outputs cls/obj/bbox/kps at strides 8, 16, 32; score = sqrt(cls*obj); 5 landmarks ' +
  'in ArcFace template order.';
const SCRFD_CONTRACT =
  'input `input.1` float32 NCHW [1,3,H,W], RGB, (x-127.5)/128; H and W multiples of 32; 9 outputs: scores, ' +
  'boxes, keypoints for strides 8, 16, 32, 2 anchors per cell, scores already sigmoided; NMS 0.4.';
const INSIGHTFACE_RECOGNIZER_CONTRACT =
  'input `input.1` float32 NCHW [N,3,112,112], face aligned to the ArcFace 112x112 template, RGB, ' + '(x-127.5)/127.5; output [N,512] not L2-normalised.';

/**
 * Cosine threshold of w600k-mbf-int8 at FAR 1e-3, measured on LFW View-2. With 3000 impostor pairs,
 * FAR 1e-3 is 3 false accepts: a coarse operating point, to be refined on a larger impostor set.
 * 0.2488 is the score of the last ROC point with FAR ≤ 1e-3, rounded up to 0.249 (stricter).
 */
const W600K_MBF_INT8_LFW = Object.freeze({
  cosine: 0.249,
  far: 1e-3,
  source:
    'LFW View-2 pairs.txt (6000 pairs, 3000 impostor), lfw-deepfunneled 250x250, detector yunet-n, ArcFace 5-point ' +
    'alignment, central face, no flip (FaceRecognizer defaults); last ROC point with FAR <= 1e-3: cosine 0.2488, ' +
    'TAR 0.9903; 10-fold accuracy 0.9952 +/- 0.0026; no image without a detected face. Measured 2026-11-27 with ' +
    'runLfwEvaluation + calibrateThreshold (src/eval).',
});

/**
 * Impostor and genuine score tables of w600k-mbf-int8 for open-set identification thresholds
 * (`identificationThreshold`): every pair of the 7,701 shared LFW photos (the View-2 pairs.txt
 * set, 4,281 people), 29,640,749 cross-person pairs and 8,101 same-person pairs, the central face of
 * each photo as the defaults embed it. FAR points every 10^0.1 from 10^-0.5 to 1e-7 (≈ 3 pairs).
 * Below FAR ≈ 1e-6 the table is shaped by a dozen LFW label errors (one person filed under two
 * names, e.g. Joseph_Blatter / Sepp_Blatter, Hasan_Wirayuda / Hassan_Wirajuda, cosine 0.63-0.95),
 * so thresholds for galleries of more than a few thousand identities err on the strict side.
 * Measured with `scripts/openset-embed.ts` + `scripts/openset-study.ts --write-calibration`
 * (the same tables as `arcface calibrate --faces`); see docs/identification.md.
 */
const W600K_MBF_INT8_LFW_SCORES: ScoreCalibration = Object.freeze<ScoreCalibration>({
  impostor: [
    [0.3162, 0.0463],
    [0.2512, 0.0593],
    [0.1995, 0.071],
    [0.1585, 0.0817],
    [0.1259, 0.0917],
    [0.1, 0.1012],
    [0.07943, 0.1101],
    [0.0631, 0.1187],
    [0.05012, 0.1269],
    [0.03981, 0.1348],
    [0.03162, 0.1424],
    [0.02512, 0.15],
    [0.01995, 0.1572],
    [0.01585, 0.1643],
    [0.01259, 0.1713],
    [0.01, 0.1781],
    [0.007943, 0.1846],
    [0.00631, 0.1913],
    [0.005012, 0.1977],
    [0.003981, 0.204],
    [0.003162, 0.2102],
    [0.002512, 0.2163],
    [0.001995, 0.2223],
    [0.001585, 0.2283],
    [0.001259, 0.2343],
    [0.001, 0.2403],
    [0.0007943, 0.2462],
    [0.000631, 0.2519],
    [0.0005012, 0.2577],
    [0.0003981, 0.2633],
    [0.0003162, 0.2688],
    [0.0002512, 0.2743],
    [0.0001995, 0.2796],
    [0.0001585, 0.285],
    [0.0001259, 0.2906],
    [0.0001, 0.2956],
    [7.943e-5, 0.3012],
    [6.31e-5, 0.3065],
    [5.012e-5, 0.3117],
    [3.981e-5, 0.3166],
    [3.162e-5, 0.3212],
    [2.512e-5, 0.3262],
    [1.995e-5, 0.3318],
    [1.585e-5, 0.3369],
    [1.259e-5, 0.3419],
    [1e-5, 0.347],
    [7.943e-6, 0.352],
    [6.31e-6, 0.3582],
    [5.012e-6, 0.3652],
    [3.981e-6, 0.3697],
    [3.162e-6, 0.3766],
    [2.512e-6, 0.3847],
    [1.995e-6, 0.3922],
    [1.585e-6, 0.4033],
    [1.259e-6, 0.4204],
    [1e-6, 0.48],
    [7.943e-7, 0.5008],
    [6.31e-7, 0.5388],
    [5.012e-7, 0.5729],
    [3.981e-7, 0.6154],
    [3.162e-7, 0.6335],
    [2.512e-7, 0.646],
    [1.995e-7, 0.6737],
    [1.585e-7, 0.676],
    [1.259e-7, 0.6912],
    [1e-7, 0.698],
  ],
  genuine: [
    [0.001, 0.0588],
    [0.002, 0.1593],
    [0.005, 0.2126],
    [0.01, 0.2764],
    [0.02, 0.3349],
    [0.05, 0.3926],
    [0.1, 0.4434],
    [0.2, 0.5001],
    [0.3, 0.5352],
    [0.5, 0.5943],
    [0.7, 0.6496],
    [0.9, 0.7259],
  ],
  impostorPairs: 29640749,
  genuinePairs: 8101,
  source:
    'every pair of the 7,701 LFW View-2 photos (lfw-deepfunneled 250x250, 4,281 people), detector yunet-n, central face, no flip ' +
    '(FaceRecognizer defaults), no detected face in 0 photos; measured 2026-11-30 with scoreHistograms + scoreCalibration (src/eval).',
});

/** InsightFace v0.7 packs: name, archive SHA-256, archive size. */
type Pack = readonly [name: string, sha256: string, size: number];
/** buffalo_l.zip holds det_10g.onnx and w600k_r50.onnx among others. */
const BUFFALO_L: Pack = ['buffalo_l', '80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f', 288_621_354];
/** buffalo_m.zip holds det_2.5g.onnx and w600k_r50.onnx among others. */
const BUFFALO_M: Pack = ['buffalo_m', 'd98264bd8f2dc75cbc2ddce2a14e636e02bb857b3051c234b737bf3b614edca9', 275_951_529];
/** buffalo_s.zip holds det_500m.onnx and w600k_mbf.onnx among others. */
const BUFFALO_S: Pack = ['buffalo_s', 'd85a87f503f691807cd8bb97128bdf7a0660326cd9cd02657127fa978bab8b5e', 127_607_557];
/** buffalo_sc.zip holds only det_500m.onnx and w600k_mbf.onnx: the smallest download for them. */
const BUFFALO_SC: Pack = ['buffalo_sc', '57d31b56b6ffa911c8a73cfc1707c73cab76efe7f13b675a05223bf42de47c72', 14_969_382];
/** antelopev2.zip holds scrfd_10g_bnkps.onnx (= det_10g.onnx) and glintr100.onnx among others. */
const ANTELOPEV2: Pack = ['antelopev2', '8e182f14fc6e80b3bfa375b33eb6cff7ee05d8ef7633e738d1c89021dcf0c5c5', 360_662_982];

function pack([name, archiveSha256, archiveSize]: Pack, entry: string): ModelOrigin {
  return Object.freeze({ kind: 'zip-entry', url: `${INSIGHTFACE_RELEASE}/${name}.zip`, entry, archiveSha256, archiveSize });
}

const ENTRIES: readonly KnownModel[] = [
  {
    name: 'yunet-n',
    fileName: 'yunet_n_dynamic.onnx',
    task: 'yunet',
    size: 322_906,
    sha256: '104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12',
    sources: [{ kind: 'file', url: `${YUNET_TRAIN_COMMIT}/onnx/yunet_n_dynamic.onnx` }],
    licence: YUNET_TRAIN_LICENCE,
    description: 'YuNet-n face detector with 5 landmarks, dynamic input size (WIDER hard AP 0.811 per its README).',
    contract: YUNET_CONTRACT,
  },
  {
    name: 'yunet-s',
    fileName: 'yunet_s_dynamic.onnx',
    task: 'yunet',
    size: 237_823,
    sha256: 'daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3',
    sources: [{ kind: 'file', url: `${YUNET_TRAIN_COMMIT}/onnx/yunet_s_dynamic.onnx` }],
    licence: YUNET_TRAIN_LICENCE,
    description: 'YuNet-s face detector with 5 landmarks, dynamic input size; same weights as yunet-2023mar.',
    contract: YUNET_CONTRACT,
  },
  {
    name: 'yunet-2023mar',
    fileName: 'face_detection_yunet_2023mar.onnx',
    task: 'yunet',
    size: 232_589,
    sha256: '8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4',
    sources: [
      { kind: 'file', url: 'https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx' },
      { kind: 'file', url: 'https://media.githubusercontent.com/media/opencv/opencv_zoo/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx' },
    ],
    licence: OPENCV_ZOO_YUNET_LICENCE,
    description: 'YuNet (OpenCV Zoo 2023mar) face detector with 5 landmarks, fixed 640x640 input.',
    contract: `${YUNET_CONTRACT} This file is fixed at [1,3,640,640].`,
  },
  {
    name: 'scrfd-500m',
    fileName: 'det_500m.onnx',
    task: 'scrfd',
    size: 2_524_817,
    sha256: '5e4447f50245bbd7966bd6c0fa52938c61474a04ec7def48753668a9d8b4ea3a',
    sources: [pack(BUFFALO_SC, 'det_500m.onnx'), pack(BUFFALO_S, 'det_500m.onnx')],
    licence: INSIGHTFACE_LICENCE,
    description: 'SCRFD-500MF face detector with 5 landmarks (InsightFace buffalo_s / buffalo_sc).',
    contract: SCRFD_CONTRACT,
  },
  {
    name: 'scrfd-2.5g',
    fileName: 'det_2.5g.onnx',
    task: 'scrfd',
    size: 3_292_009,
    sha256: '041f73f47371333d1d17a6fee6c8ab4e6aecabefe398ff32cca4e2d5eaee0af9',
    sources: [pack(BUFFALO_M, 'det_2.5g.onnx')],
    licence: INSIGHTFACE_LICENCE,
    description: 'SCRFD-2.5GF face detector with 5 landmarks (InsightFace buffalo_m).',
    contract: SCRFD_CONTRACT,
  },
  {
    name: 'scrfd-10g',
    fileName: 'det_10g.onnx',
    task: 'scrfd',
    size: 16_923_827,
    sha256: '5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91',
    sources: [pack(BUFFALO_L, 'det_10g.onnx'), pack(ANTELOPEV2, 'scrfd_10g_bnkps.onnx')],
    licence: INSIGHTFACE_LICENCE,
    description: 'SCRFD-10GF face detector with 5 landmarks (InsightFace buffalo_l; scrfd_10g_bnkps.onnx in antelopev2 is the same file).',
    contract: SCRFD_CONTRACT,
  },
  {
    name: 'retinaface-mnet025',
    fileName: 'retinaface_mbnet0.25.onnx',
    task: 'retinaface',
    size: 1_711_594,
    sha256: '13a69f2cb3012162ccce8466b1cd9e445ae1337ae641f31c90419e6179f13650',
    sources: [{ kind: 'file', url: `${RETINAFACE_COMMIT}/onnx/retinaface_mbnet0.25.onnx`, note: 'biubug6/Pytorch_Retinaface MobileNet-0.25 export' }],
    licence: RETINAFACE_LICENCE,
    description: 'RetinaFace MobileNet-0.25 face detector with 5 landmarks.',
    contract:
      'input `input` float32 NCHW [N,3,H,W], BGR, x-(104,117,123), no scaling; outputs `loc` [1,P,4], `conf` [1,P,2] ' +
      '(softmaxed, index 1 = face), `iou` [1,P,10] (landmarks despite the name); priors at steps 8/16/32, variances 0.1/0.2.',
  },
  {
    name: 'w600k-mbf-int8',
    fileName: 'w600k_mbf_int8.onnx',
    task: 'recognizer',
    size: 3_514_509,
    sha256: '7caa7fb0ad6c37b33e6c59f6411084b487aaabd596bba645d2cce391a5871120',
    sources: [
      {
        kind: 'file',
        url: 'https://github.com/nidheerakesh/offlineid/raw/923f7256e19e997741e15ce369a325642f502dc7/models/mobilefacenet_int8.onnx',
        note: 'third-party dynamic-int8 quantisation of w600k_mbf.onnx; accepted only when its SHA-256 matches',
      },
      { kind: 'file', url: 'https://github.com/nidheerakesh/offlineid/raw/60d7b081/models/mobilefacenet_int8.onnx' },
    ],
    licence: INSIGHTFACE_LICENCE,
    description: 'MobileFaceNet ArcFace (WebFace600K), 512-d, weights quantised to uint8 (ORT quantize_dynamic).',
    contract: INSIGHTFACE_RECOGNIZER_CONTRACT,
    threshold: W600K_MBF_INT8_LFW,
    calibration: W600K_MBF_INT8_LFW_SCORES,
  },
  {
    name: 'w600k-mbf',
    fileName: 'w600k_mbf.onnx',
    task: 'recognizer',
    size: 13_616_099,
    sha256: '9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f',
    sources: [pack(BUFFALO_SC, 'w600k_mbf.onnx'), pack(BUFFALO_S, 'w600k_mbf.onnx')],
    licence: INSIGHTFACE_LICENCE,
    description: 'MobileFaceNet ArcFace (WebFace600K), 512-d, float32 (InsightFace buffalo_s / buffalo_sc).',
    contract: INSIGHTFACE_RECOGNIZER_CONTRACT,
  },
  {
    name: 'w600k-r50',
    fileName: 'w600k_r50.onnx',
    task: 'recognizer',
    size: 174_383_860,
    sha256: '4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43',
    sources: [pack(BUFFALO_L, 'w600k_r50.onnx'), pack(BUFFALO_M, 'w600k_r50.onnx')],
    licence: INSIGHTFACE_LICENCE,
    description: 'IResNet50 ArcFace (WebFace600K), 512-d (InsightFace buffalo_l / buffalo_m).',
    contract: INSIGHTFACE_RECOGNIZER_CONTRACT,
  },
  {
    name: 'glintr100',
    fileName: 'glintr100.onnx',
    task: 'recognizer',
    size: 260_665_334,
    sha256: '4ab1d6435d639628a6f3e5008dd4f929edf4c4124b1a7169e1048f9fef534cdf',
    sources: [pack(ANTELOPEV2, 'glintr100.onnx')],
    licence: INSIGHTFACE_LICENCE,
    description: 'IResNet100 ArcFace (Glint360K), 512-d (InsightFace antelopev2).',
    contract: INSIGHTFACE_RECOGNIZER_CONTRACT,
  },
  {
    name: 'arcface-mbf-luxonis',
    fileName: 'arcface-mbf-luxonis.tar.xz',
    task: 'recognizer',
    size: 2_616_016,
    sha256: '78abe37b252e2e129593f81c9c1c6a0234dd0bac78bc50ef59f252bba62a358d',
    sources: [],
    licence: INSIGHTFACE_LICENCE,
    description:
      'w600k-mbf-int8 re-packed as a Luxonis NN Archive (config.json + ONNX). Made for this project and not ' + 'published for download: add it by hand.',
    contract:
      'NN Archive (tar.xz, config_version 1.0): input `images` float32 NCHW [1,3,112,112], BGR 0..255 (mean 0, ' +
      'scale 1; the channel swap and (x-127.5)/127.5 are inside the graph); output `output` [1,512]; head EmbeddingsParser.',
    threshold: Object.freeze({
      ...W600K_MBF_INT8_LFW,
      source: `Same weights as w600k-mbf-int8, whose embeddings it reproduces (cosine >= 0.9999 on the shared golden crops); threshold of w600k-mbf-int8: ${W600K_MBF_INT8_LFW.source}`,
    }),
    calibration: Object.freeze({ ...W600K_MBF_INT8_LFW_SCORES, source: `Same weights as w600k-mbf-int8; its tables: ${W600K_MBF_INT8_LFW_SCORES.source}` }),
  },
  {
    name: 'arcface-luxonis',
    fileName: 'arcface.tar.xz',
    task: 'recognizer',
    sources: [
      {
        kind: 'page',
        url: 'https://models.luxonis.com/luxonis/arcface/e24a577e-e2ff-4e4f-96b7-4afb63155eac',
        note:
          'Luxonis model zoo "arcface" (slug luxonis/arcface:lfw-112x112), IResNet100 trained on MS1MV3 + IBUG500K. ' +
          'The zoo serves it through its API (DepthAI getModelFromZoo) rather than a fixed URL: download the NN ' +
          'Archive of its ONNX variant there (the RVC2/RVC4/Hailo builds hold device-only blobs), then add it with ' +
          '`arcface models add FILE --as arcface-luxonis`.',
      },
    ],
    licence: {
      name: 'not stated on the zoo page; InsightFace-trained weights, treated as non-commercial',
      nonCommercial: true,
      url: 'https://models.luxonis.com/luxonis/arcface/e24a577e-e2ff-4e4f-96b7-4afb63155eac',
    },
    description: 'Luxonis model zoo ArcFace IResNet100 NN Archive, 512-d.',
    contract: 'NN Archive: input `images` float32 NCHW [1,3,112,112], BGR 0..255; output `output` [1,512]; head EmbeddingsParser.',
  },
];

/**
 * Every model the registry knows by name, frozen. The order is the order of `arcface models list`.
 *
 * @example
 * KNOWN_MODELS.filter((m) => m.task === 'recognizer').map((m) => m.name)
 */
export const KNOWN_MODELS: readonly KnownModel[] = Object.freeze(ENTRIES.map((m) => Object.freeze({ ...m, sources: Object.freeze([...m.sources]) })));

/**
 * The known model with this registry name, or `undefined`.
 *
 * @example
 * findKnownModel('yunet-n')?.fileName // 'yunet_n_dynamic.onnx'
 */
export function findKnownModel(name: string, catalog: readonly KnownModel[] = KNOWN_MODELS): KnownModel | undefined {
  return catalog.find((m) => m.name === name);
}

/**
 * The known model stored under this file name (the last path segment of `pathOrFileName`), or `undefined`.
 *
 * @example
 * findKnownModelByFileName('/models/det_500m.onnx')?.name // 'scrfd-500m'
 */
export function findKnownModelByFileName(pathOrFileName: string, catalog: readonly KnownModel[] = KNOWN_MODELS): KnownModel | undefined {
  const base = pathOrFileName.split(/[\\/]/).pop() ?? pathOrFileName;
  return catalog.find((m) => m.fileName === base);
}

/**
 * The known model whose recorded SHA-256 is `sha256` (hex, any case), or `undefined`.
 *
 * @example
 * findKnownModelBySha256(await sha256File(path))?.name
 */
export function findKnownModelBySha256(sha256: string, catalog: readonly KnownModel[] = KNOWN_MODELS): KnownModel | undefined {
  const want = sha256.toLowerCase();
  return catalog.find((m) => m.sha256 === want);
}
