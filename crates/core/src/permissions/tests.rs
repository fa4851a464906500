//! Table-driven cases for every step of the computation.
use guildhall_model::channel::ChannelType;

use super::*;

const GUILD: u64 = 1;
const OWNER: u64 = 100;
const USER: u64 = 200;
const OTHER_USER: u64 = 300;
const MOD: u64 = 10;
const HELPER: u64 = 11;
const ADMIN: u64 = 12;
const UNRELATED: u64 = 13;
const NOW_MS: i64 = 1_700_000_000_000;

fn id<T>(raw: u64) -> Id<T> {
    Id::new_checked(raw).unwrap()
}

fn role(raw: u64, position: i32, permissions: Permissions) -> Role {
    let mut role = Role::everyone(id(GUILD), permissions);
    role.id = id(raw);
    role.name = format!("role {raw}");
    role.position = position;
    role
}

/// @everyone plus the fixed roles; `everyone` varies per case.
fn guild_roles(everyone: Permissions) -> Vec<Role> {
    vec![
        Role::everyone(id(GUILD), everyone),
        role(MOD, 3, Permissions::KICK_MEMBERS | Permissions::MANAGE_MESSAGES),
        role(HELPER, 2, Permissions::ADD_REACTIONS),
        role(ADMIN, 4, Permissions::ADMINISTRATOR),
        role(UNRELATED, 1, Permissions::BAN_MEMBERS),
    ]
}

fn ow(kind: OverwriteType, target: u64, allow: Permissions, deny: Permissions) -> PermissionOverwrite {
    PermissionOverwrite { id: id(target), kind, allow, deny }
}

fn role_ow(target: u64, allow: Permissions, deny: Permissions) -> PermissionOverwrite {
    ow(OverwriteType::Role, target, allow, deny)
}

fn member_ow(target: u64, allow: Permissions, deny: Permissions) -> PermissionOverwrite {
    ow(OverwriteType::Member, target, allow, deny)
}

fn channel(kind: ChannelType, overwrites: Vec<PermissionOverwrite>) -> Channel {
    let mut channel = Channel::new(id(50), kind);
    channel.guild_id = Some(id(GUILD));
    channel.permission_overwrites = Some(overwrites);
    channel
}

fn text(overwrites: Vec<PermissionOverwrite>) -> Channel {
    channel(ChannelType::GuildText, overwrites)
}

fn thread(kind: ChannelType) -> Channel {
    let mut thread = Channel::new(id(60), kind);
    thread.guild_id = Some(id(GUILD));
    thread
}

const P: Permissions = Permissions::empty();
const VIEW: Permissions = Permissions::VIEW_CHANNEL;
const SEND: Permissions = Permissions::SEND_MESSAGES;
const HISTORY: Permissions = Permissions::READ_MESSAGE_HISTORY;
const REACT: Permissions = Permissions::ADD_REACTIONS;
const THREAD_SEND: Permissions = Permissions::SEND_MESSAGES_IN_THREADS;
const CHAT: Permissions = VIEW.union(SEND).union(HISTORY);

struct Case {
    name: &'static str,
    user: u64,
    everyone: Permissions,
    member_roles: Vec<u64>,
    /// Timeout end relative to `now`, in milliseconds.
    timeout_in_ms: Option<i64>,
    channel: Channel,
    parent: Option<Channel>,
    expect: Permissions,
}

impl Case {
    fn new(name: &'static str, everyone: Permissions, channel: Channel, expect: Permissions) -> Self {
        Self {
            name,
            user: USER,
            everyone,
            member_roles: Vec::new(),
            timeout_in_ms: None,
            channel,
            parent: None,
            expect,
        }
    }
    fn user(mut self, user: u64) -> Self {
        self.user = user;
        self
    }
    fn roles(mut self, roles: &[u64]) -> Self {
        self.member_roles = roles.to_vec();
        self
    }
    fn timeout(mut self, in_ms: i64) -> Self {
        self.timeout_in_ms = Some(in_ms);
        self
    }
    fn parent(mut self, parent: Channel) -> Self {
        self.parent = Some(parent);
        self
    }
}

fn run(case: &Case, check: impl Fn(&MemberPermissionContext<'_>) -> Permissions) -> Permissions {
    let guild_roles = guild_roles(case.everyone);
    let member_roles: Vec<Id<RoleMarker>> = case.member_roles.iter().map(|&r| id(r)).collect();
    let ctx = MemberPermissionContext {
        guild_id: id(GUILD),
        owner_id: id(OWNER),
        user_id: id(case.user),
        member_roles: &member_roles,
        guild_roles: &guild_roles,
        communication_disabled_until: case.timeout_in_ms.map(|ms| Timestamp::from_millis(NOW_MS + ms)),
        now: Timestamp::from_millis(NOW_MS),
    };
    check(&ctx)
}

#[test]
fn guild_level_table() {
    let none = text(Vec::new());
    let cases = [
        Case::new("owner gets everything", P, none.clone(), Permissions::all()).user(OWNER),
        Case::new("@everyone only", CHAT, none.clone(), CHAT),
        Case::new(
            "roles are OR-ed in",
            CHAT,
            none.clone(),
            CHAT | REACT | Permissions::KICK_MEMBERS | Permissions::MANAGE_MESSAGES,
        )
        .roles(&[MOD, HELPER]),
        Case::new("admin via @everyone", Permissions::ADMINISTRATOR, none.clone(), Permissions::all()),
        Case::new("admin via a role", CHAT, none.clone(), Permissions::all()).roles(&[ADMIN]),
        Case::new("unknown role ids ignored", CHAT, none.clone(), CHAT | REACT).roles(&[999, HELPER, 998]),
        Case::new("member listing @everyone as a role changes nothing", CHAT, none.clone(), CHAT).roles(&[GUILD]),
        Case::new("timeout keeps view and history", CHAT | REACT, none.clone(), VIEW | HISTORY)
            .roles(&[MOD])
            .timeout(60_000),
        Case::new("timeout in the past ignored", CHAT, none.clone(), CHAT).timeout(-1),
        Case::new("timeout ending exactly now ignored", CHAT, none.clone(), CHAT).timeout(0),
        Case::new("owner exempt from timeout", P, none.clone(), Permissions::all()).user(OWNER).timeout(60_000),
        Case::new("admin exempt from timeout", CHAT, none.clone(), Permissions::all()).roles(&[ADMIN]).timeout(60_000),
    ];
    for case in &cases {
        let got = run(case, guild_permissions);
        assert_eq!(got, case.expect, "{}: got {got:?}", case.name);
    }
}

#[test]
fn channel_level_table() {
    let deny_all = Permissions::all();
    let voice_member = VIEW | Permissions::CONNECT | Permissions::SPEAK | Permissions::STREAM;
    let no_connect = voice_member | SEND | Permissions::MANAGE_CHANNELS | Permissions::MANAGE_ROLES;
    let sendish = CHAT | Permissions::SEND_DEPENDENT;
    let parent_allows_threads = text(vec![role_ow(GUILD, THREAD_SEND, P)]);
    let parent_denies_threads = text(vec![role_ow(GUILD, P, THREAD_SEND)]);
    let parent_hides = text(vec![role_ow(GUILD, P, VIEW)]);
    let cases = [
        Case::new("no overwrites: base", CHAT, text(Vec::new()), CHAT),
        Case::new("owner ignores deny overwrites", P, text(vec![member_ow(OWNER, P, deny_all)]), Permissions::all())
            .user(OWNER),
        Case::new(
            "admin via @everyone ignores overwrites",
            Permissions::ADMINISTRATOR,
            text(vec![role_ow(GUILD, P, VIEW)]),
            Permissions::all(),
        ),
        Case::new(
            "admin via role ignores deny overwrites",
            CHAT,
            text(vec![role_ow(GUILD, P, deny_all), role_ow(ADMIN, P, deny_all), member_ow(USER, P, deny_all)]),
            Permissions::all(),
        )
        .roles(&[ADMIN]),
        Case::new("@everyone overwrite denies", CHAT | REACT, text(vec![role_ow(GUILD, P, REACT)]), CHAT),
        Case::new("@everyone overwrite allows", CHAT, text(vec![role_ow(GUILD, REACT, P)]), CHAT | REACT),
        Case::new(
            "@everyone overwrite: allow wins over deny of the same bit",
            CHAT,
            text(vec![role_ow(GUILD, REACT, REACT)]),
            CHAT | REACT,
        ),
        Case::new("role overwrite of a role not held is ignored", CHAT, text(vec![role_ow(MOD, P, SEND)]), CHAT),
        Case::new(
            "role overwrite applies after @everyone",
            CHAT,
            text(vec![role_ow(GUILD, P, SEND), role_ow(HELPER, SEND, P)]),
            CHAT | REACT,
        )
        .roles(&[HELPER]),
        Case::new(
            "role allow beats higher role's deny",
            CHAT,
            text(vec![role_ow(MOD, P, SEND), role_ow(HELPER, SEND, P)]),
            CHAT | REACT | Permissions::KICK_MEMBERS | Permissions::MANAGE_MESSAGES,
        )
        .roles(&[MOD, HELPER]),
        Case::new(
            "role allow beats lower role's deny",
            CHAT,
            text(vec![role_ow(HELPER, P, SEND), role_ow(MOD, SEND, P)]),
            CHAT | REACT | Permissions::KICK_MEMBERS | Permissions::MANAGE_MESSAGES,
        )
        .roles(&[MOD, HELPER]),
        Case::new(
            "role denies combine",
            CHAT | REACT,
            text(vec![role_ow(HELPER, P, REACT), role_ow(MOD, P, HISTORY)]),
            VIEW | SEND | Permissions::KICK_MEMBERS | Permissions::MANAGE_MESSAGES,
        )
        .roles(&[MOD, HELPER]),
        Case::new("overwrite for unknown role id ignored", CHAT, text(vec![role_ow(999, P, SEND)]), CHAT).roles(&[999]),
        Case::new(
            "member overwrite beats role allow",
            CHAT,
            text(vec![role_ow(HELPER, REACT, P), member_ow(USER, P, REACT)]),
            CHAT,
        )
        .roles(&[HELPER]),
        Case::new(
            "member overwrite beats role deny",
            CHAT,
            text(vec![role_ow(HELPER, P, SEND), member_ow(USER, SEND, P)]),
            CHAT | REACT,
        )
        .roles(&[HELPER]),
        Case::new("other member's overwrite ignored", CHAT, text(vec![member_ow(OTHER_USER, P, SEND)]), CHAT),
        Case::new(
            "member overwrite with a role's id is not a role overwrite",
            CHAT,
            text(vec![member_ow(HELPER, P, SEND)]),
            CHAT | REACT,
        )
        .roles(&[HELPER]),
        Case::new("no VIEW_CHANNEL: nothing", CHAT | REACT, text(vec![role_ow(GUILD, P, VIEW)]), P),
        Case::new(
            "no VIEW_CHANNEL: role allows do not matter",
            CHAT,
            text(vec![member_ow(USER, P, VIEW), role_ow(HELPER, SEND, P)]),
            P,
        )
        .roles(&[HELPER]),
        Case::new(
            "no SEND_MESSAGES drops mention/tts/attach/embed",
            sendish,
            text(vec![role_ow(GUILD, P, SEND)]),
            VIEW | HISTORY,
        ),
        Case::new("SEND_MESSAGES keeps mention/tts/attach/embed", sendish, text(Vec::new()), sendish),
        Case::new(
            "category: send-dependent bits kept (not text-capable)",
            VIEW | Permissions::EMBED_LINKS,
            channel(ChannelType::GuildCategory, Vec::new()),
            VIEW | Permissions::EMBED_LINKS,
        ),
        Case::new(
            "voice with CONNECT keeps voice bits",
            voice_member,
            channel(ChannelType::GuildVoice, Vec::new()),
            voice_member,
        ),
        Case::new(
            "voice without CONNECT loses voice and manage bits",
            no_connect,
            channel(ChannelType::GuildVoice, vec![role_ow(GUILD, P, Permissions::CONNECT)]),
            VIEW | SEND,
        ),
        Case::new(
            "stage without CONNECT loses voice bits",
            voice_member | Permissions::REQUEST_TO_SPEAK,
            channel(ChannelType::GuildStageVoice, vec![role_ow(GUILD, P, Permissions::CONNECT)]),
            VIEW,
        ),
        Case::new(
            "text channel: voice bits untouched without CONNECT",
            VIEW | SEND | Permissions::MANAGE_CHANNELS,
            text(Vec::new()),
            VIEW | SEND | Permissions::MANAGE_CHANNELS,
        ),
        Case::new(
            "thread: SEND_MESSAGES follows SEND_MESSAGES_IN_THREADS (allowed)",
            VIEW | HISTORY,
            thread(ChannelType::PublicThread),
            VIEW | HISTORY | SEND | THREAD_SEND,
        )
        .parent(parent_allows_threads.clone()),
        Case::new(
            "thread: SEND_MESSAGES alone does not allow sending",
            CHAT,
            thread(ChannelType::PrivateThread),
            VIEW | HISTORY,
        )
        .parent(text(Vec::new())),
        Case::new(
            "thread: parent denies SEND_MESSAGES_IN_THREADS",
            CHAT | THREAD_SEND,
            thread(ChannelType::AnnouncementThread),
            VIEW | HISTORY,
        )
        .parent(parent_denies_threads.clone()),
        Case::new("thread: parent overwrites hide it", CHAT | THREAD_SEND, thread(ChannelType::PublicThread), P)
            .parent(parent_hides.clone()),
        Case::new(
            "thread: own overwrites ignored",
            CHAT | THREAD_SEND,
            channel(ChannelType::PublicThread, vec![role_ow(GUILD, P, VIEW)]),
            CHAT | THREAD_SEND,
        )
        .parent(text(Vec::new())),
        Case::new("thread: without parent fails closed", CHAT | THREAD_SEND, thread(ChannelType::PublicThread), P),
        Case::new(
            "thread: admin needs no parent",
            Permissions::ADMINISTRATOR,
            thread(ChannelType::PublicThread),
            Permissions::all(),
        ),
        Case::new("non-thread ignores parent (no category inheritance)", CHAT, text(Vec::new()), CHAT)
            .parent(parent_hides.clone()),
        Case::new(
            "timeout keeps only view and history",
            CHAT | REACT,
            text(vec![role_ow(GUILD, Permissions::ATTACH_FILES, P)]),
            VIEW | HISTORY,
        )
        .timeout(60_000),
        Case::new("timeout cannot grant view", CHAT, text(vec![role_ow(GUILD, P, VIEW)]), P).timeout(60_000),
        Case::new("timeout in the past ignored", CHAT, text(Vec::new()), CHAT).timeout(-60_000),
        Case::new("owner exempt from timeout", P, text(Vec::new()), Permissions::all()).user(OWNER).timeout(60_000),
        Case::new("admin exempt from timeout", CHAT, text(Vec::new()), Permissions::all())
            .roles(&[ADMIN])
            .timeout(60_000),
    ];
    for case in &cases {
        let got = run(case, |ctx| channel_permissions(ctx, &case.channel, case.parent.as_ref()));
        assert_eq!(got, case.expect, "{}: got {got:?}", case.name);
    }
}

#[test]
fn missing_everyone_role_means_no_base_permissions() {
    let roles = vec![role(HELPER, 2, REACT)];
    let member_roles = [id(HELPER)];
    let ctx = MemberPermissionContext {
        guild_id: id(GUILD),
        owner_id: id(OWNER),
        user_id: id(USER),
        member_roles: &member_roles,
        guild_roles: &roles,
        communication_disabled_until: None,
        now: Timestamp::from_millis(NOW_MS),
    };
    assert_eq!(guild_permissions(&ctx), REACT);
    assert!(!ctx.is_owner() && !ctx.is_timed_out());
}
