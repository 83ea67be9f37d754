// Uploads a job's artifacts to S3 or R2 (STORAGE_ENDPOINT, STORAGE_BUCKET, STORAGE_ACCESS_KEY,
// STORAGE_SECRET_KEY, PREFIX_TRANSCRIPTS, PRESIGN_TTL) and presigns GET URLs for them.
import { S3Client, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Env } from '../env.js';

export interface StorageConfig {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  prefix: string;
  presignTtl: number;
}

export function storageFromEnv(env: Env): StorageConfig | undefined {
  const { STORAGE_ENDPOINT, STORAGE_BUCKET, STORAGE_ACCESS_KEY, STORAGE_SECRET_KEY } = env;
  if (!STORAGE_BUCKET || !STORAGE_ACCESS_KEY || !STORAGE_SECRET_KEY) return undefined;
  return {
    endpoint: STORAGE_ENDPOINT || '',
    bucket: STORAGE_BUCKET,
    accessKeyId: STORAGE_ACCESS_KEY,
    secretAccessKey: STORAGE_SECRET_KEY,
    region: env.STORAGE_REGION || 'auto',
    prefix: (env.PREFIX_TRANSCRIPTS ?? 'transcripts').replace(/^\/+|\/+$/g, ''),
    presignTtl: Number(env.PRESIGN_TTL) > 0 ? Number(env.PRESIGN_TTL) : 3600,
  };
}

export interface Artifact {
  format: string;
  body: string;
  contentType: string;
  extension: string;
}

export interface UploadedArtifact {
  key: string;
  url: string;
}

export class ArtifactStore {
  private client: S3Client;

  constructor(private config: StorageConfig) {
    this.client = new S3Client({
      endpoint: config.endpoint || undefined,
      region: config.region,
      forcePathStyle: !!config.endpoint,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      maxAttempts: 4,
      // R2 and most S3-compatible servers do not want the newer default checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Uploads each artifact under <prefix>/<jobId>/transcript.<ext>; returns keys and presigned URLs. */
  async upload(jobId: string, artifacts: Artifact[]): Promise<Record<string, UploadedArtifact>> {
    const out: Record<string, UploadedArtifact> = {};
    const safeId = jobId.replace(/[^\w.-]/g, '_');
    for (const a of artifacts) {
      const key = [this.config.prefix, safeId, `transcript.${a.extension}`].filter(Boolean).join('/');
      await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: key, Body: a.body, ContentType: a.contentType }));
      const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.config.bucket, Key: key }), { expiresIn: this.config.presignTtl });
      out[a.format] = { key, url };
    }
    return out;
  }

  destroy(): void {
    this.client.destroy();
  }
}
