"""discord.py 2.7.1 (unmodified, from PyPI, with the [voice] extra) plays Opus packets in a voice channel.

The machine has no libopus, so the source is a custom AudioSource with is_opus() == True that yields
pre-encoded 20 ms Opus packets (file: u16 big-endian length + bytes, back to back; made by audio.js).
Only the REST base (discord.http.Route.BASE, discord.py's knob) and the main gateway URL (the class
attribute a non-sharded Client connects to) are set; the voice WebSocket URL is discord.py's own
wss://{endpoint}/?v=8, trusted through SSL_CERT_FILE.

Usage: dpy_play.py BASE_URL BOT_JSON GUILD_ID VOICE_CHANNEL_ID PACKETS_FILE
Prints one JSON line: {"mode": vc.mode, "sent": packets handed to the library, "error": null|"..."}.
"""

import asyncio
import json
import logging
import struct
import sys
import traceback

import aiohttp
import discord
import discord.gateway
import discord.http
import discord.utils
import yarl

base, bot = sys.argv[1], json.loads(sys.argv[2])
guild_id, channel_id, packets_path = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

discord.http.Route.BASE = base + "/api/v10"


def read_packets(path: str) -> list[bytes]:
    data = open(path, "rb").read()
    packets, at = [], 0
    while at < len(data):
        (length,) = struct.unpack_from(">H", data, at)
        packets.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return packets


class PacketSource(discord.AudioSource):
    """Pre-encoded Opus: discord.py sends each read() as one packet, no encoder needed."""

    def __init__(self, packets: list[bytes]):
        self.packets = packets
        self.sent = 0

    def read(self) -> bytes:
        if self.sent >= len(self.packets):
            return b""
        packet = self.packets[self.sent]
        self.sent += 1
        return packet

    def is_opus(self) -> bool:
        return True


async def main() -> dict:
    report = {"mode": None, "sent": 0, "error": None}
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/api/v10/gateway/bot", headers={"Authorization": "Bot " + bot["token"]}) as resp:
            assert resp.status == 200, f"GET /gateway/bot -> {resp.status}"
            gateway = (await resp.json())["url"]
    # A non-sharded discord.Client never asks REST for the gateway: it connects to this class attribute.
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)

    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.5)
    ready = asyncio.get_running_loop().create_future()
    client.event(_on_ready(ready))
    task = asyncio.create_task(client.start(bot["token"]))
    try:
        await asyncio.wait_for(asyncio.shield(ready), 20)
        channel = client.get_guild(guild_id).get_channel(channel_id)
        vc = await channel.connect(timeout=20, self_deaf=False)
        report["mode"] = vc.mode
        source = PacketSource(read_packets(packets_path))
        done = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        vc.play(source, after=lambda error: loop.call_soon_threadsafe(done.set_result, error))
        error = await asyncio.wait_for(done, len(source.packets) * 0.02 + 15)
        report["sent"] = source.sent
        if error:
            report["error"] = f"player error: {error!r}"
        await vc.disconnect()
    except Exception as error:  # the report carries every failure to the node side
        traceback.print_exc()
        report["error"] = f"{type(error).__name__}: {error}"
    finally:
        await client.close()
        task.cancel()
    return report


def _on_ready(future):
    async def on_ready():
        if not future.done():
            future.set_result(None)

    return on_ready


discord.utils.setup_logging(level=logging.INFO)
print(json.dumps(asyncio.run(main())), flush=True)
