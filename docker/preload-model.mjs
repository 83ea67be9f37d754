// Resolves (and so downloads into the image's Hugging Face cache, HF_HOME=/app/hf) the model named
// on the command line, at image build time: node preload-model.mjs small
import { resolveModel, settingsFromEnv } from 'ct2-whisper';

const name = process.argv[2];
const resolved = await resolveModel(name, settingsFromEnv(process.env));
console.log(`preloaded ${name}: ${resolved.dir}`);
