# OpenAI's Python SDK (openai[realtime]) against `ct2-whisper serve`'s /v1/realtime: streams a
# recording as PCM16 at 24 kHz at real time (PACE times faster) and prints, as one JSON line, the
# event types received, the deltas and the completed transcripts.
# Usage: python openai-realtime-client.py BASE_URL API_KEY AUDIO [PACE]
import asyncio
import json
import subprocess
import sys

from openai import AsyncOpenAI


async def main() -> None:
    base, key, audio = sys.argv[1], sys.argv[2], sys.argv[3]
    pace = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    client = AsyncOpenAI(api_key=key, base_url=f"{base}/v1", websocket_base_url=f"{base.replace('http', 'ws', 1)}/v1")
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", audio, "-ac", "1", "-ar", "24000", "-f", "s16le", "-"], capture_output=True, check=True).stdout
    pcm = bytes(48000) + pcm + bytes(48000 * 3)
    out = {"types": [], "deltas": [], "completed": []}
    async with client.realtime.connect(model="whisper-1") as conn:
        await conn.session.update(session={
            "type": "transcription",
            "audio": {"input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "whisper-1", "language": "en"},
                "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 1500},
            }},
        })

        async def read() -> None:
            async for event in conn:
                out["types"].append(event.type)
                if event.type == "conversation.item.input_audio_transcription.delta":
                    out["deltas"].append(event.delta)
                elif event.type == "conversation.item.input_audio_transcription.completed":
                    out["completed"].append(event.transcript)
                committed = out["types"].count("input_audio_buffer.committed")
                if committed and len(out["completed"]) == committed and sending.done():
                    return

        async def send() -> None:
            chunk = 4800
            for i in range(0, len(pcm), chunk):
                await conn.input_audio_buffer.append(audio=__import__("base64").b64encode(pcm[i:i + chunk]).decode())
                await asyncio.sleep(0.1 / pace)

        sending = asyncio.ensure_future(send())
        await asyncio.wait_for(asyncio.gather(sending, read()), timeout=600)
    print(json.dumps(out))


asyncio.run(main())
