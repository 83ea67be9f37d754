// G.711 µ-law and A-law (telephony's audio/pcmu and audio/pcma, 8 kHz) to float samples.

function ulaw(b: number): number {
  const u = ~b & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return (u & 0x80 ? 0x84 - t : t - 0x84) / 32768;
}

function alaw(b: number): number {
  const a = b ^ 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
  return (a & 0x80 ? t : -t) / 32768;
}

const table = (f: (b: number) => number) => Float32Array.from({ length: 256 }, (_, b) => f(b));
const ULAW = table(ulaw);
const ALAW = table(alaw);

export function g711ToFloat(bytes: Uint8Array, law: 'pcmu' | 'pcma'): Float32Array {
  const t = law === 'pcmu' ? ULAW : ALAW;
  return Float32Array.from(bytes, (b) => t[b]);
}
