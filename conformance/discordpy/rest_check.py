"""discord.py (unmodified, from PyPI) against guildhall's REST API alone — no gateway yet.

Logs a seeded bot in and drives the library's own high-level calls: fetch guild/channels,
send with an embed, reply, edit, react, pin, history paging, roles, members, channels and
overwrites, invites, webhooks (send/edit/delete), DMs, bans, kick, bulk delete. Every step
asserts what the library parsed. Usage: rest_check.py BASE_URL SEED_JSON_FILE
"""

import asyncio
import io
import json
import sys

import discord

base, seed = sys.argv[1], json.loads(open(sys.argv[2]).read())
# discord.py has no option for the REST base; this class attribute is the documented knob.
discord.http.Route.BASE = base + "/api/v10"


async def main() -> None:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    client = discord.Client(intents=intents)
    await client.login(seed["bots"][0]["token"])
    try:
        await run(client)
    finally:
        await client.close()


async def run(client: discord.Client) -> None:
    bot = seed["bots"][0]
    assert client.user.id == int(bot["id"]) and client.user.bot
    app = await client.application_info()
    assert app.id == int(bot["application_id"])

    guild = await client.fetch_guild(int(seed["guild"]["id"]), with_counts=True)
    assert guild.name == seed["guild"]["name"] and guild.approximate_member_count == 3
    guilds = [g async for g in client.fetch_guilds(limit=None, with_counts=True)]
    assert [g.id for g in guilds] == [guild.id]
    channels = await guild.fetch_channels()
    assert {(c.name, c.type) for c in channels} == {
        ("general", discord.ChannelType.text),
        ("General", discord.ChannelType.voice),
    }

    channel = await client.fetch_channel(int(seed["text_channels"][0]["id"]))
    embed = discord.Embed(title="t", description="d").add_field(name="a", value="b")
    msg = await channel.send("hello from discord.py", embed=embed)
    assert msg.content == "hello from discord.py" and msg.embeds[0].fields[0].value == "b"
    reply = await msg.reply("a reply", mention_author=False)
    assert reply.reference.message_id == msg.id and reply.type == discord.MessageType.reply
    edited = await msg.edit(content="edited")
    assert edited.content == "edited" and edited.edited_at is not None
    await msg.add_reaction("👍")
    await msg.pin()
    pins = [m async for m in channel.pins()]
    assert [p.id for p in pins] == [msg.id]
    history = [m async for m in channel.history(limit=10)]
    # Newest first: the pin notice (type 6), the reply, the edited message.
    assert [m.type for m in history] == [discord.MessageType.pins_add, discord.MessageType.reply, discord.MessageType.default]
    older = [m async for m in channel.history(limit=10, before=reply)]
    assert [m.id for m in older] == [msg.id]
    oldest_first = [m async for m in channel.history(limit=10, after=discord.Object(id=1), oldest_first=True)]
    assert [m.id for m in oldest_first][:2] == [msg.id, reply.id]
    fetched = await channel.fetch_message(msg.id)
    assert fetched.pinned and [(str(r.emoji), r.count, r.me) for r in fetched.reactions] == [("👍", 1, True)]
    await msg.unpin()

    payload = b"guildhall attachment \x00\x01 bytes"
    with_file = await channel.send("with a file", file=discord.File(io.BytesIO(payload), filename="notes.txt"))
    attachment = with_file.attachments[0]
    assert (attachment.filename, attachment.size) == ("notes.txt", len(payload))
    assert await attachment.read() == payload
    two = await channel.send(files=[discord.File(io.BytesIO(b"a"), "a.bin"), discord.File(io.BytesIO(b"bb"), "b.bin")])
    assert [a.size for a in two.attachments] == [1, 2] and two.content == ""
    kept = await two.edit(attachments=[two.attachments[1]])
    assert [a.filename for a in kept.attachments] == ["b.bin"]

    role = await guild.create_role(name="dpy role", permissions=discord.Permissions(send_messages=True),
                                   colour=discord.Colour.blue(), hoist=True)
    assert role.name == "dpy role" and role.colour == discord.Colour.blue() and role.hoist
    assert "dpy role" in [r.name for r in await guild.fetch_roles()]
    members = [m async for m in guild.fetch_members(limit=None)]
    assert len(members) == 3
    member = await guild.fetch_member(int(seed["users"][0]["id"]))
    await member.add_roles(role, reason="testing")
    await member.edit(nick="nicky")
    member = await guild.fetch_member(member.id)
    assert member.nick == "nicky" and role.id in member._roles

    new_channel = await guild.create_text_channel(
        "dpy-chan", topic="made by dpy", overwrites={role: discord.PermissionOverwrite(send_messages=False)})
    assert new_channel.topic == "made by dpy" and new_channel.overwrites_for(role).send_messages is False
    renamed = await new_channel.edit(name="dpy-renamed", slowmode_delay=5)
    assert renamed.name == "dpy-renamed" and renamed.slowmode_delay == 5
    await new_channel.set_permissions(member, read_messages=True)
    voice = await guild.create_voice_channel("dpy voice", bitrate=64000, user_limit=5)
    assert (voice.bitrate, voice.user_limit) == (64000, 5)

    invite = await new_channel.create_invite(max_age=3600)
    fetched_invite = await client.fetch_invite(invite.code, with_counts=True)
    assert fetched_invite.code == invite.code and fetched_invite.approximate_member_count == 3
    assert [i.code for i in await guild.invites()] == [invite.code]

    webhook = await new_channel.create_webhook(name="dpy hook")
    sent = await webhook.send("via webhook", username="hooker", wait=True)
    assert sent.author.name == "hooker" and sent.webhook_id == webhook.id
    sent = await sent.edit(content="webhook edited")
    assert sent.content == "webhook edited"
    await sent.delete()
    assert [h.name for h in await guild.webhooks()] == ["dpy hook"]
    await webhook.delete()

    user2 = await client.fetch_user(int(seed["users"][1]["id"]))
    dm = await user2.create_dm()
    assert dm.recipient.id == user2.id and (await dm.send("hi in DM")).content == "hi in DM"
    await guild.ban(user2, reason="bye", delete_message_seconds=60)
    bans = [b async for b in guild.bans(limit=None)]
    assert [(b.user.id, b.reason) for b in bans] == [(user2.id, "bye")]
    await guild.unban(user2)
    await member.kick(reason="kick test")
    assert len([m async for m in guild.fetch_members(limit=None)]) == 1

    bulk = [await channel.send(f"bulk {i}") for i in range(3)]
    await channel.delete_messages(bulk)
    await msg.delete()
    await new_channel.delete()
    await role.delete()
    remaining = [m.id async for m in channel.history(limit=100)]
    assert msg.id not in remaining and not set(m.id for m in bulk) & set(remaining)
    print("discord.py REST: all checks passed")


asyncio.run(main())
