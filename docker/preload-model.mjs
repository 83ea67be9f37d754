// Resolves (and so downloads into the image's Hugging Face cache) the model named on the command
// line, at image build time: node preload-model.mjs small
import { resolveModel } from 'ct2-whisper';

const name = process.argv[2];
const resolved = await resolveModel(name);
console.log(`preloaded ${name}: ${resolved.dir}`);
