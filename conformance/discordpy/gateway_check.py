"""discord.py (unmodified, from PyPI) against guildhall's gateway.

Three seeded bots log in through the gateway in one process: A (bot 0, guild owner) and B (bot 1)
request GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, reactions and MESSAGE_CONTENT; C (bot 2) requests the
default intents only (no MESSAGE_CONTENT). Each named check drives the library's own calls and waits
for the event the library parsed, always starting the wait *before* the action. The last checks force
a disconnect of A through the test hook while B streams messages, and expect a RESUME with every
message delivered exactly once and the dispatch sequence strictly consecutive.

discord.py picks the transport compression by itself: zstd-stream iff `zstandard` is importable, else
zlib-stream. The harness runs this file in two venvs and passes the expected one.

Usage: gateway_check.py BASE_URL SEED_JSON RESULTS_JSON LIBRARY_NAME EXPECTED_COMPRESS
Writes {LIBRARY_NAME: {check: "pass"|"fail"}} to RESULTS_JSON; reasons for failures go to stderr.
Exits 0 iff every check passed.
"""

import asyncio
import collections
import json
import logging
import sys
import time
import traceback

import aiohttp
import discord
import discord.gateway
import discord.http
import discord.utils
import yarl

base, seed = sys.argv[1], json.loads(open(sys.argv[2]).read())
results_path, library, expected_compress = sys.argv[3], sys.argv[4], sys.argv[5]
WAIT = 10.0  # seconds for any single event
READY_WAIT = 20.0

# discord.py has no option for the REST base; this class attribute is the documented knob.
discord.http.Route.BASE = base + "/api/v10"

GUILD = int(seed["guild"]["id"])
TEXT = int(seed["text_channels"][0]["id"])
BOT_A, BOT_B, BOT_C = (seed["bots"][i] for i in range(3))

# Observation only: which URLs each client's HTTPClient opened a gateway socket to, and whether
# each frame the library decoded arrived as bytes (transport compression) or as text.
ws_urls: dict[int, list[str]] = collections.defaultdict(list)
frame_kinds: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
_orig_ws_connect = discord.http.HTTPClient.ws_connect


reconnect_delay: dict[int, float] = {}


async def _ws_connect(self, url, *, compress=0):
    ws_urls[id(self)].append(url)
    delay = reconnect_delay.pop(id(self), 0)
    if delay:
        await asyncio.sleep(delay)
    return await _orig_ws_connect(self, url, compress=compress)


discord.http.HTTPClient.ws_connect = _ws_connect
_orig_received = discord.gateway.DiscordWebSocket.received_message


async def _received_message(self, msg, /):
    frame_kinds[id(self._connection)]["binary" if type(msg) is bytes else "text"] += 1
    return await _orig_received(self, msg)


discord.gateway.DiscordWebSocket.received_message = _received_message
close_codes: dict[int, list] = collections.defaultdict(list)
_orig_poll = discord.gateway.DiscordWebSocket.poll_event


async def _poll_event(self):
    try:
        return await _orig_poll(self)
    except discord.gateway.ReconnectWebSocket:
        close_codes[id(self._connection)].append(self._close_code or self.socket.close_code)
        raise
    except Exception as e:
        # Anything else ends the client: keep the reason for the failure message.
        close_codes[id(self._connection)].append(f"{self._close_code or self.socket.close_code} after {e!r}")
        raise


discord.gateway.DiscordWebSocket.poll_event = _poll_event


class Bot:
    """One discord.Client plus what the checks observe about it."""

    def __init__(self, name: str, record: dict, intents: discord.Intents):
        self.name, self.record = name, record
        self.id = int(record["id"])
        self.client = discord.Client(intents=intents, guild_ready_timeout=0.2, enable_debug_events=True)
        self.ready = asyncio.Event()
        self.resumed = asyncio.Event()
        self.frames: list[dict] = []  # every decoded gateway payload: op, t, s
        self.stream: collections.Counter = collections.Counter()
        self.stream_channels: set[int] = set()
        self.task: asyncio.Task | None = None
        client = self.client

        @client.event
        async def on_ready():
            self.ready.set()

        @client.event
        async def on_resumed():
            self.resumed.set()

        @client.event
        async def on_socket_raw_receive(raw):
            payload = json.loads(raw)
            self.frames.append({"op": payload.get("op"), "t": payload.get("t"), "s": payload.get("s")})

        @client.event
        async def on_message(message):
            if message.channel.id in self.stream_channels and message.content.startswith("stream-"):
                self.stream[message.content] += 1

    def start(self) -> None:
        self.task = asyncio.create_task(self.client.start(self.record["token"]))

    @property
    def close_codes(self) -> list:
        return close_codes[id(self.client._connection)]

    def trace(self) -> str:
        """What A saw around the forced disconnect, for failure messages."""
        hellos = [i for i, f in enumerate(self.frames) if f["op"] == 10]
        tail = self.frames[hellos[-1]:] if len(hellos) > 1 else self.frames[-8:]
        short = [f"op{f['op']}" + (f":{f['t']}#{f['s']}" if f["op"] == 0 else "") for f in tail[:30]]
        return f"close codes {self.close_codes}, gateway URLs {self.urls()}, frames since last HELLO {short}"

    def urls(self) -> list[str]:
        return ws_urls[id(self.client.http)]

    def kinds(self) -> collections.Counter:
        return frame_kinds[id(self.client._connection)]

    def guild(self) -> discord.Guild:
        guild = self.client.get_guild(GUILD)
        assert guild is not None, f"{self.name}: guild {GUILD} not in cache"
        return guild

    def channel(self) -> discord.TextChannel:
        channel = self.guild().get_channel(TEXT)
        assert channel is not None, f"{self.name}: text channel {TEXT} not in cache"
        return channel

    def expect(self, event: str, check=None, timeout: float = WAIT) -> asyncio.Future:
        """Registers the wait now (before the action that should cause the event)."""
        return asyncio.ensure_future(self.client.wait_for(event, check=check, timeout=timeout))


async def expect_result(fut: asyncio.Future, what: str):
    try:
        return await fut
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


results: dict[str, str] = {}
state: dict = {}


async def check(name: str, coro) -> bool:
    start = time.monotonic()
    try:
        await coro
    except Exception as e:  # noqa: BLE001 - any failure of a check is reported, the rest still run
        results[name] = "fail"
        detail = str(e) or e.__class__.__name__
        print(f"[{library}] FAIL {name}: {detail}", file=sys.stderr)
        if not isinstance(e, AssertionError):
            traceback.print_exc(file=sys.stderr)
        return False
    results[name] = "pass"
    print(f"[{library}] pass {name} ({time.monotonic() - start:.2f}s)", file=sys.stderr)
    return True


async def until_ready(bot: Bot) -> None:
    """on_ready, or the reason the client stopped (it does not retry a refused gateway)."""
    ready = asyncio.ensure_future(bot.ready.wait())
    done, _ = await asyncio.wait({ready, bot.task}, timeout=READY_WAIT, return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if bot.ready.is_set():
        return
    if bot.task in done:
        error = bot.task.exception() if not bot.task.cancelled() else "cancelled"
        raise AssertionError(f"{bot.name} stopped before on_ready: {error!r} (gateway URLs: {bot.urls()})")
    raise AssertionError(f"{bot.name}: no on_ready within {READY_WAIT}s (gateway URLs: {bot.urls()})")


async def check_ready(a: Bot, b: Bot, c: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": "Bot " + BOT_A["token"]}
        async with http.get(base + "/api/v10/gateway/bot", headers=headers) as resp:
            assert resp.status == 200, f"GET /gateway/bot -> {resp.status}"
            gateway = (await resp.json())["url"]
    # Non-sharded discord.Client never asks REST for the gateway: it uses this class attribute.
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    for bot in (a, b, c):
        bot.start()
    await asyncio.gather(*(until_ready(bot) for bot in (a, b, c)))
    for bot, others in ((a, (b, c)), (b, (a, c))):
        guild = bot.guild()
        assert guild.name == seed["guild"]["name"], f"{bot.name}: guild name {guild.name!r}"
        assert guild.get_channel(TEXT) is not None, f"{bot.name}: text channel missing"
        voice = guild.get_channel(int(seed["voice_channels"][0]["id"]))
        assert isinstance(voice, discord.VoiceChannel), f"{bot.name}: voice channel missing or wrong type"
        assert guild.default_role.id == GUILD, f"{bot.name}: @everyone role missing"
        assert guild.me is not None and guild.me.id == bot.id, f"{bot.name}: itself not among members"
    assert c.guild().me is not None, "C: itself not among members"


async def check_members_chunk(a: Bot, b: Bot, c: Bot) -> None:
    # Without GUILD_PRESENCES, Discord's GUILD_CREATE lists only the bot itself (and members in voice);
    # with GUILD_MEMBERS, discord.py chunks at startup before on_ready (op 8 -> GUILD_MEMBERS_CHUNK).
    total = len(seed["bots"]) + len(seed["users"])
    for bot, others in ((a, (b, c)), (b, (a, c))):
        guild = bot.guild()
        assert guild.chunked and len(guild.members) == total, f"{bot.name}: {len(guild.members)} members cached"
        for other in others:
            member = guild.get_member(other.id)
            assert member is not None and member.bot, f"{bot.name}: member {other.name} missing"
    # And on request (the library's own op 8 call), by user id.
    fetched = await a.guild().query_members(user_ids=[b.id, c.id])
    assert sorted(m.id for m in fetched) == sorted([b.id, c.id]), f"query_members returned {fetched}"


async def check_compression(a: Bot) -> None:
    urls = a.urls()
    assert urls, "no gateway connection recorded"
    query = yarl.URL(urls[0]).query
    assert query.get("compress") == expected_compress, f"asked for {query.get('compress')!r} in {urls[0]}"
    assert discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE == expected_compress


async def check_frames_compressed(a: Bot) -> None:
    kinds = a.kinds()
    # The server may legally ignore `compress` and send text; this check records whether it compresses.
    assert kinds["binary"] > 0 and kinds["text"] == 0, f"frames received: {dict(kinds)} (expected all binary)"


async def check_message_create(a: Bot, b: Bot, c: Bot) -> None:
    content = "hello from A"
    own = a.expect("message", lambda m: m.channel.id == TEXT and m.content == content)
    other = b.expect("message", lambda m: m.channel.id == TEXT and m.author.id == a.id)
    blind = c.expect("message", lambda m: m.channel.id == TEXT and m.author.id == a.id)
    await asyncio.sleep(0)
    sent = await a.channel().send(content)
    state.update(message=sent, other=other, blind=blind)
    got = await expect_result(own, "A's own MESSAGE_CREATE")
    assert got.id == sent.id and got.author.id == a.id and got.guild.id == GUILD


async def check_other_bot_sees_content(a: Bot) -> None:
    got = await expect_result(state["other"], "B to receive A's message")
    assert got.id == state["message"].id, "B got another message"
    assert got.content == "hello from A", f"B saw content {got.content!r}"


async def check_content_withheld(a: Bot) -> None:
    got = await expect_result(state["blind"], "C (no MESSAGE_CONTENT) to receive A's message")
    assert got.id == state["message"].id
    assert got.content == "" and got.embeds == [] and got.attachments == [], f"C saw content {got.content!r}"


async def check_message_update(a: Bot) -> None:
    sent = state["message"]
    fut = a.expect("raw_message_edit", lambda p: p.message_id == sent.id)
    await asyncio.sleep(0)
    await sent.edit(content="edited by A")
    payload = await expect_result(fut, "MESSAGE_UPDATE")
    assert payload.data.get("content") == "edited by A", f"update content {payload.data.get('content')!r}"
    assert payload.channel_id == TEXT


async def check_reaction_add(a: Bot, b: Bot) -> None:
    sent = state["message"]
    fut_a = a.expect("raw_reaction_add", lambda p: p.message_id == sent.id)
    fut_b = b.expect("raw_reaction_add", lambda p: p.message_id == sent.id)
    await asyncio.sleep(0)
    await sent.add_reaction("\N{THUMBS UP SIGN}")
    for fut, who in ((fut_a, "A"), (fut_b, "B")):
        payload = await expect_result(fut, f"MESSAGE_REACTION_ADD at {who}")
        assert str(payload.emoji) == "\N{THUMBS UP SIGN}", f"{who}: emoji {payload.emoji!r}"
        assert payload.user_id == a.id and payload.guild_id == GUILD and payload.channel_id == TEXT


async def check_message_delete(a: Bot, b: Bot) -> None:
    sent = state["message"]
    fut_a = a.expect("raw_message_delete", lambda p: p.message_id == sent.id)
    fut_b = b.expect("raw_message_delete", lambda p: p.message_id == sent.id)
    await asyncio.sleep(0)
    await sent.delete()
    for fut, who in ((fut_a, "A"), (fut_b, "B")):
        payload = await expect_result(fut, f"MESSAGE_DELETE at {who}")
        assert payload.channel_id == TEXT and payload.guild_id == GUILD


async def check_role_create(a: Bot, b: Bot) -> None:
    fut_a = a.expect("guild_role_create", lambda r: r.name == "gateway role")
    fut_b = b.expect("guild_role_create", lambda r: r.name == "gateway role")
    await asyncio.sleep(0)
    role = await a.guild().create_role(name="gateway role", colour=discord.Colour.green(), hoist=True)
    state["role"] = role
    for fut, who in ((fut_a, "A"), (fut_b, "B")):
        got = await expect_result(fut, f"GUILD_ROLE_CREATE at {who}")
        assert got.id == role.id and got.colour == discord.Colour.green() and got.hoist, f"{who}: {got!r}"


async def check_member_update(a: Bot, b: Bot) -> None:
    role = state["role"]
    has_role = lambda before, after: after.id == b.id and role.id in [r.id for r in after.roles]  # noqa: E731
    fut_a = a.expect("member_update", has_role)
    fut_b = b.expect("member_update", has_role)
    await asyncio.sleep(0)
    await a.guild().get_member(b.id).add_roles(role)
    for fut, who in ((fut_a, "A"), (fut_b, "B")):
        before, after = await expect_result(fut, f"GUILD_MEMBER_UPDATE at {who}")
        assert role.id not in [r.id for r in before.roles], f"{who}: role already cached before the event"
    assert role in b.guild().me.roles, "B's own cached member lacks the role"


async def check_channel_create(a: Bot, b: Bot) -> None:
    fut_a = a.expect("guild_channel_create", lambda ch: ch.name == "gateway-chan")
    fut_b = b.expect("guild_channel_create", lambda ch: ch.name == "gateway-chan")
    await asyncio.sleep(0)
    created = await a.guild().create_text_channel("gateway-chan", topic="made over REST")
    for fut, who in ((fut_a, "A"), (fut_b, "B")):
        got = await expect_result(fut, f"CHANNEL_CREATE at {who}")
        assert got.id == created.id and isinstance(got, discord.TextChannel) and got.topic == "made over REST"
    assert a.guild().get_channel(created.id) is not None


async def disconnect(user_id: int) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "/_guildhall/test/disconnect", json={"user_id": str(user_id)}) as resp:
            body = await resp.text()
            assert resp.status == 200, f"test hook -> {resp.status} {body}"
            return json.loads(body)["closed"]


STREAM = 40
STREAM_CHANNELS = 8  # 5 messages each: within Discord's 5 per 5 s per channel, so no 429 waits
RECONNECT_DELAY = 1.5  # seconds A stays away, so the second half of the stream must be replayed


async def check_resume(a: Bot, b: Bot) -> None:
    names = [f"stream-{i}" for i in range(STREAM_CHANNELS)]
    seen_by_b = [b.expect("guild_channel_create", lambda ch, n=n: ch.name == n) for n in names]
    await asyncio.sleep(0)
    for n in names:
        await a.guild().create_text_channel(n)
    channels = [await expect_result(f, "CHANNEL_CREATE at B") for f in seen_by_b]
    a.stream_channels.update(ch.id for ch in channels)
    for i in range(STREAM // 2):
        await channels[i % STREAM_CHANNELS].send(f"stream-{i}")
    # Close A's connections in the middle of the stream; A's reconnect is held back a little (as a
    # slow network would), so the second half is published while A is away and must be replayed.
    reconnect_delay[id(a.client.http)] = RECONNECT_DELAY
    closed = await disconnect(a.id)
    assert closed >= 1, f"test hook closed {closed} connections of A"
    for i in range(STREAM // 2, STREAM):
        await channels[i % STREAM_CHANNELS].send(f"stream-{i}")
    resumed = asyncio.ensure_future(a.resumed.wait())
    await asyncio.wait({resumed, a.task}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    resumed.cancel()
    assert a.resumed.is_set(), f"A never fired on_resumed; {a.trace()}"
    assert a.close_codes[:1] == [4000], f"close codes seen by A: {a.close_codes}"
    readies = [f for f in a.frames if f["t"] == "READY"]
    assert len(readies) == 1, f"A identified {len(readies)} times (expected a RESUME, not a new session); {a.trace()}"
    resumes = [f for f in a.frames if f["t"] == "RESUMED"]
    assert len(resumes) == 1, f"RESUMED dispatches: {len(resumes)}"


async def check_replay_before_resumed(a: Bot) -> None:
    # Discord replays the missed dispatches on the new connection, then sends RESUMED.
    hello = max(i for i, f in enumerate(a.frames) if f["op"] == 10)
    resumed = next(i for i, f in enumerate(a.frames) if f["t"] == "RESUMED")
    replayed = [f["t"] for f in a.frames[hello:resumed] if f["op"] == 0]
    print(f"[{library}] A: {len(replayed)} dispatches replayed before RESUMED", file=sys.stderr)
    assert replayed, f"nothing replayed before RESUMED; {a.trace()}"


async def check_resume_exactly_once(a: Bot) -> None:
    deadline = time.monotonic() + 10
    while len(a.stream) < STREAM and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a late duplicate would arrive now
    missing = [i for i in range(STREAM) if a.stream[f"stream-{i}"] == 0]
    dupes = {k: n for k, n in a.stream.items() if n > 1}
    assert not missing and not dupes, f"missing {missing}, duplicated {dupes}"


async def check_sequence(a: Bot) -> None:
    seqs = [f["s"] for f in a.frames if f["op"] == 0]
    assert seqs, "no dispatches recorded"
    assert None not in seqs[:1], "READY has no s"
    numbered = [s for s in seqs if s is not None]
    assert numbered[0] == 1, f"first dispatch s = {numbered[0]}"
    gaps = [(x, y) for x, y in zip(numbered, numbered[1:]) if y != x + 1]
    assert not gaps, f"non-consecutive s (prev, next): {gaps[:10]}"
    hellos = [i for i, f in enumerate(a.frames) if f["op"] == 10]
    assert len(hellos) >= 2, "only one HELLO: no reconnect happened"


async def main() -> None:
    logging.getLogger("discord").setLevel(logging.CRITICAL)
    privileged = discord.Intents.default()
    privileged.members = True
    privileged.message_content = True
    a = Bot("A", BOT_A, privileged)
    b = Bot("B", BOT_B, privileged)
    c = Bot("C", BOT_C, discord.Intents.default())
    names = [
        "ready_guild_cached", "request_guild_members", "compression_requested", "frames_compressed", "message_create",
        "message_create_seen_by_other_bot", "message_content_withheld_without_intent", "message_update",
        "reaction_add", "message_delete", "role_create", "member_update_role", "channel_create",
        "resume_after_forced_disconnect", "resume_replays_before_resumed", "resume_messages_exactly_once",
        "resume_sequence_consecutive",
    ]
    try:
        if await check("ready_guild_cached", check_ready(a, b, c)):
            await check("request_guild_members", check_members_chunk(a, b, c))
            await check("compression_requested", check_compression(a))
            await check("frames_compressed", check_frames_compressed(a))
            if await check("message_create", check_message_create(a, b, c)):
                await check("message_create_seen_by_other_bot", check_other_bot_sees_content(a))
                await check("message_content_withheld_without_intent", check_content_withheld(a))
                await check("message_update", check_message_update(a))
                await check("reaction_add", check_reaction_add(a, b))
                await check("message_delete", check_message_delete(a, b))
            if await check("role_create", check_role_create(a, b)):
                await check("member_update_role", check_member_update(a, b))
            await check("channel_create", check_channel_create(a, b))
            if await check("resume_after_forced_disconnect", check_resume(a, b)):
                await check("resume_replays_before_resumed", check_replay_before_resumed(a))
                await check("resume_messages_exactly_once", check_resume_exactly_once(a))
                await check("resume_sequence_consecutive", check_sequence(a))
    finally:
        for bot in (a, b, c):
            try:
                await asyncio.wait_for(bot.client.close(), 5)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
            if bot.task is not None:
                bot.task.cancel()
    for name in names:
        if name not in results:
            results[name] = "fail"
            print(f"[{library}] FAIL {name}: not run (an earlier check it depends on failed)", file=sys.stderr)
    with open(results_path, "w") as f:
        json.dump({library: results}, f, indent=2, sort_keys=True)
    passed = sum(v == "pass" for v in results.values())
    print(f"[{library}] {passed} of {len(results)} checks passed", file=sys.stderr)
    sys.exit(0 if passed == len(results) else 1)


asyncio.run(main())
