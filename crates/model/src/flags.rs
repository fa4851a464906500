//! Bit sets: permissions (decimal strings on the wire) and the integer flag fields.
//!
//! Unknown bits are kept (`from_bits_retain`) so a newer client's value survives a round trip.

use bitflags::bitflags;

/// Serde for a bitflags type carried as a JSON integer (accepts a decimal string too).
macro_rules! int_flags_serde {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u64(self.bits())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::flags::deserialize_bits(d).map(Self::from_bits_retain)
            }
        }
    };
}

/// Accepts a u64 given as a JSON integer or a decimal string.
pub(crate) fn deserialize_bits<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct BitsVisitor;
    impl serde::de::Visitor<'_> for BitsVisitor {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a bit set as an unsigned integer or a decimal string")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom("bit set must not be negative"))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse().map_err(|_| E::custom("bit set string is not a decimal u64"))
        }
    }
    d.deserialize_any(BitsVisitor)
}

bitflags! {
    /// Guild and channel permissions (protocol.md §4). Serialized as a decimal string.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct Permissions: u64 {
        const CREATE_INSTANT_INVITE = 1 << 0;
        const KICK_MEMBERS = 1 << 1;
        const BAN_MEMBERS = 1 << 2;
        const ADMINISTRATOR = 1 << 3;
        const MANAGE_CHANNELS = 1 << 4;
        const MANAGE_GUILD = 1 << 5;
        const ADD_REACTIONS = 1 << 6;
        const VIEW_AUDIT_LOG = 1 << 7;
        const PRIORITY_SPEAKER = 1 << 8;
        const STREAM = 1 << 9;
        const VIEW_CHANNEL = 1 << 10;
        const SEND_MESSAGES = 1 << 11;
        const SEND_TTS_MESSAGES = 1 << 12;
        const MANAGE_MESSAGES = 1 << 13;
        const EMBED_LINKS = 1 << 14;
        const ATTACH_FILES = 1 << 15;
        const READ_MESSAGE_HISTORY = 1 << 16;
        const MENTION_EVERYONE = 1 << 17;
        const USE_EXTERNAL_EMOJIS = 1 << 18;
        const VIEW_GUILD_INSIGHTS = 1 << 19;
        const CONNECT = 1 << 20;
        const SPEAK = 1 << 21;
        const MUTE_MEMBERS = 1 << 22;
        const DEAFEN_MEMBERS = 1 << 23;
        const MOVE_MEMBERS = 1 << 24;
        const USE_VAD = 1 << 25;
        const CHANGE_NICKNAME = 1 << 26;
        const MANAGE_NICKNAMES = 1 << 27;
        const MANAGE_ROLES = 1 << 28;
        const MANAGE_WEBHOOKS = 1 << 29;
        const MANAGE_GUILD_EXPRESSIONS = 1 << 30;
        const USE_APPLICATION_COMMANDS = 1 << 31;
        const REQUEST_TO_SPEAK = 1 << 32;
        const MANAGE_EVENTS = 1 << 33;
        const MANAGE_THREADS = 1 << 34;
        const CREATE_PUBLIC_THREADS = 1 << 35;
        const CREATE_PRIVATE_THREADS = 1 << 36;
        const USE_EXTERNAL_STICKERS = 1 << 37;
        const SEND_MESSAGES_IN_THREADS = 1 << 38;
        const USE_EMBEDDED_ACTIVITIES = 1 << 39;
        const MODERATE_MEMBERS = 1 << 40;
        const VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41;
        const USE_SOUNDBOARD = 1 << 42;
        const CREATE_GUILD_EXPRESSIONS = 1 << 43;
        const CREATE_EVENTS = 1 << 44;
        const USE_EXTERNAL_SOUNDS = 1 << 45;
        const SEND_VOICE_MESSAGES = 1 << 46;
        /// Undocumented (once "use Clyde AI"); kept so every bit 0–52 has a name.
        const USE_CLYDE_AI = 1 << 47;
        const SET_VOICE_CHANNEL_STATUS = 1 << 48;
        const SEND_POLLS = 1 << 49;
        const USE_EXTERNAL_APPS = 1 << 50;
        const PIN_MESSAGES = 1 << 51;
        const BYPASS_SLOWMODE = 1 << 52;
    }
}

impl Permissions {
    /// What Discord gives @everyone in a new guild (the value the client-library fixtures show).
    pub const DEFAULT_EVERYONE: Self = Self::from_bits_retain(2_248_473_465_835_073);

    /// Permissions that only mean something in a text-capable channel; lost with SEND_MESSAGES.
    pub const SEND_DEPENDENT: Self =
        Self::MENTION_EVERYONE.union(Self::SEND_TTS_MESSAGES).union(Self::ATTACH_FILES).union(Self::EMBED_LINKS);

    /// Permissions that only apply in voice channels; lost without CONNECT there.
    pub const VOICE: Self = Self::CONNECT
        .union(Self::SPEAK)
        .union(Self::MUTE_MEMBERS)
        .union(Self::DEAFEN_MEMBERS)
        .union(Self::MOVE_MEMBERS)
        .union(Self::USE_VAD)
        .union(Self::PRIORITY_SPEAKER)
        .union(Self::STREAM)
        .union(Self::USE_EMBEDDED_ACTIVITIES)
        .union(Self::USE_SOUNDBOARD)
        .union(Self::USE_EXTERNAL_SOUNDS)
        .union(Self::SET_VOICE_CHANNEL_STATUS)
        .union(Self::REQUEST_TO_SPEAK);

    /// What a timed-out member keeps (protocol.md §4 step 3).
    pub const TIMED_OUT_ALLOWED: Self = Self::VIEW_CHANNEL.union(Self::READ_MESSAGE_HISTORY);
}

impl serde::Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.bits())
    }
}

impl<'de> serde::Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_bits(d).map(Self::from_bits_retain)
    }
}

bitflags! {
    /// Message flags (protocol.md §3.6).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MessageFlags: u64 {
        const CROSSPOSTED = 1 << 0;
        const IS_CROSSPOST = 1 << 1;
        const SUPPRESS_EMBEDS = 1 << 2;
        const SOURCE_MESSAGE_DELETED = 1 << 3;
        const URGENT = 1 << 4;
        const HAS_THREAD = 1 << 5;
        const EPHEMERAL = 1 << 6;
        const LOADING = 1 << 7;
        const FAILED_TO_MENTION_SOME_ROLES_IN_THREAD = 1 << 8;
        const SUPPRESS_NOTIFICATIONS = 1 << 12;
        const IS_VOICE_MESSAGE = 1 << 13;
        const HAS_SNAPSHOT = 1 << 14;
        const IS_COMPONENTS_V2 = 1 << 15;
    }
}
int_flags_serde!(MessageFlags);

impl MessageFlags {
    /// The only flags a client may set when creating a message (protocol.md §3.5).
    pub const CREATABLE: Self = Self::SUPPRESS_EMBEDS
        .union(Self::SUPPRESS_NOTIFICATIONS)
        .union(Self::IS_VOICE_MESSAGE)
        .union(Self::IS_COMPONENTS_V2);
}

bitflags! {
    /// User flags (badges); `public_flags` uses the same bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct UserFlags: u64 {
        const STAFF = 1 << 0;
        const PARTNER = 1 << 1;
        const HYPESQUAD = 1 << 2;
        const BUG_HUNTER_LEVEL_1 = 1 << 3;
        const HYPESQUAD_ONLINE_HOUSE_1 = 1 << 6;
        const HYPESQUAD_ONLINE_HOUSE_2 = 1 << 7;
        const HYPESQUAD_ONLINE_HOUSE_3 = 1 << 8;
        const PREMIUM_EARLY_SUPPORTER = 1 << 9;
        const TEAM_PSEUDO_USER = 1 << 10;
        const BUG_HUNTER_LEVEL_2 = 1 << 14;
        const VERIFIED_BOT = 1 << 16;
        const VERIFIED_DEVELOPER = 1 << 17;
        const CERTIFIED_MODERATOR = 1 << 18;
        const BOT_HTTP_INTERACTIONS = 1 << 19;
        const ACTIVE_DEVELOPER = 1 << 22;
    }
}
int_flags_serde!(UserFlags);

bitflags! {
    /// Application flags; the privileged-intent bits decide what a bot may ask for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ApplicationFlags: u64 {
        const APPLICATION_AUTO_MODERATION_RULE_CREATE_BADGE = 1 << 6;
        const GATEWAY_PRESENCE = 1 << 12;
        const GATEWAY_PRESENCE_LIMITED = 1 << 13;
        const GATEWAY_GUILD_MEMBERS = 1 << 14;
        const GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15;
        const VERIFICATION_PENDING_GUILD_LIMIT = 1 << 16;
        const EMBEDDED = 1 << 17;
        const GATEWAY_MESSAGE_CONTENT = 1 << 18;
        const GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19;
        const APPLICATION_COMMAND_BADGE = 1 << 23;
    }
}
int_flags_serde!(ApplicationFlags);

impl ApplicationFlags {
    /// Every privileged intent granted (what `guildhall seed` gives its bots).
    pub const ALL_PRIVILEGED_INTENTS: Self =
        Self::GATEWAY_PRESENCE.union(Self::GATEWAY_GUILD_MEMBERS).union(Self::GATEWAY_MESSAGE_CONTENT);
}

bitflags! {
    /// Guild `system_channel_flags` (bits 0–5).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct SystemChannelFlags: u64 {
        const SUPPRESS_JOIN_NOTIFICATIONS = 1 << 0;
        const SUPPRESS_PREMIUM_SUBSCRIPTIONS = 1 << 1;
        const SUPPRESS_GUILD_REMINDER_NOTIFICATIONS = 1 << 2;
        const SUPPRESS_JOIN_NOTIFICATION_REPLIES = 1 << 3;
        const SUPPRESS_ROLE_SUBSCRIPTION_PURCHASE_NOTIFICATIONS = 1 << 4;
        const SUPPRESS_ROLE_SUBSCRIPTION_PURCHASE_NOTIFICATION_REPLIES = 1 << 5;
    }
}
int_flags_serde!(SystemChannelFlags);

bitflags! {
    /// Channel flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ChannelFlags: u64 {
        const PINNED = 1 << 1;
        const REQUIRE_TAG = 1 << 4;
        const HIDE_MEDIA_DOWNLOAD_OPTIONS = 1 << 15;
    }
}
int_flags_serde!(ChannelFlags);

bitflags! {
    /// Guild member flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MemberFlags: u64 {
        const DID_REJOIN = 1 << 0;
        const COMPLETED_ONBOARDING = 1 << 1;
        const BYPASSES_VERIFICATION = 1 << 2;
        const STARTED_ONBOARDING = 1 << 3;
        const IS_GUEST = 1 << 4;
        const STARTED_HOME_ACTIONS = 1 << 5;
        const COMPLETED_HOME_ACTIONS = 1 << 6;
        const AUTOMOD_QUARANTINED_USERNAME = 1 << 7;
        const DM_SETTINGS_UPSELL_ACKNOWLEDGED = 1 << 9;
    }
}
int_flags_serde!(MemberFlags);

bitflags! {
    /// Role flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct RoleFlags: u64 {
        const IN_PROMPT = 1 << 0;
    }
}
int_flags_serde!(RoleFlags);

bitflags! {
    /// Gateway intents (protocol.md §1.6): which dispatch groups a session receives.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Intents: u64 {
        const GUILDS = 1 << 0;
        const GUILD_MEMBERS = 1 << 1;
        const GUILD_MODERATION = 1 << 2;
        const GUILD_EXPRESSIONS = 1 << 3;
        const GUILD_INTEGRATIONS = 1 << 4;
        const GUILD_WEBHOOKS = 1 << 5;
        const GUILD_INVITES = 1 << 6;
        const GUILD_VOICE_STATES = 1 << 7;
        const GUILD_PRESENCES = 1 << 8;
        const GUILD_MESSAGES = 1 << 9;
        const GUILD_MESSAGE_REACTIONS = 1 << 10;
        const GUILD_MESSAGE_TYPING = 1 << 11;
        const DIRECT_MESSAGES = 1 << 12;
        const DIRECT_MESSAGE_REACTIONS = 1 << 13;
        const DIRECT_MESSAGE_TYPING = 1 << 14;
        const MESSAGE_CONTENT = 1 << 15;
        const GUILD_SCHEDULED_EVENTS = 1 << 16;
        const AUTO_MODERATION_CONFIGURATION = 1 << 20;
        const AUTO_MODERATION_EXECUTION = 1 << 21;
        const GUILD_MESSAGE_POLLS = 1 << 24;
        const DIRECT_MESSAGE_POLLS = 1 << 25;

        /// The intents that need the application's approval.
        const PRIVILEGED = Self::GUILD_MEMBERS.bits() | Self::GUILD_PRESENCES.bits() | Self::MESSAGE_CONTENT.bits();
    }
}
int_flags_serde!(Intents);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_bit_0_to_52_is_named() {
        for bit in 0..=52u32 {
            let p = Permissions::from_bits_retain(1 << bit);
            assert!(Permissions::all().contains(p), "bit {bit} has no name");
        }
        assert_eq!(Permissions::all().bits(), (1u64 << 53) - 1);
    }

    #[test]
    fn permission_names_match_protocol_table() {
        let cases = [
            (Permissions::ADMINISTRATOR, 0x8),
            (Permissions::VIEW_CHANNEL, 0x400),
            (Permissions::CONNECT, 0x10_0000),
            (Permissions::MODERATE_MEMBERS, 0x100_0000_0000),
            (Permissions::PIN_MESSAGES, 0x8_0000_0000_0000),
            (Permissions::BYPASS_SLOWMODE, 0x10_0000_0000_0000),
        ];
        for (p, bits) in cases {
            assert_eq!(p.bits(), bits);
        }
    }

    #[test]
    fn permissions_serialize_as_decimal_string() {
        let p = Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES;
        assert_eq!(serde_json::to_string(&p).unwrap(), r#""3072""#);
        assert_eq!(serde_json::to_string(&Permissions::empty()).unwrap(), r#""0""#);
        assert_eq!(serde_json::to_string(&Permissions::all()).unwrap(), r#""9007199254740991""#);
    }

    #[test]
    fn permissions_parse_string_or_integer_and_keep_unknown_bits() {
        let p: Permissions = serde_json::from_str(r#""3072""#).unwrap();
        assert_eq!(p, Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES);
        let q: Permissions = serde_json::from_str("3072").unwrap();
        assert_eq!(p, q);
        let future: Permissions = serde_json::from_str(r#""9223372036854775808""#).unwrap();
        assert_eq!(serde_json::to_string(&future).unwrap(), r#""9223372036854775808""#);
        assert!(serde_json::from_str::<Permissions>(r#""-1""#).is_err());
        assert!(serde_json::from_str::<Permissions>(r#""lots""#).is_err());
    }

    #[test]
    fn default_everyone_is_what_discord_sends() {
        let p = Permissions::DEFAULT_EVERYONE;
        assert!(p.contains(Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::CONNECT));
        assert!(!p.contains(Permissions::ADMINISTRATOR));
        assert!(!p.intersects(Permissions::MANAGE_CHANNELS | Permissions::MANAGE_ROLES | Permissions::KICK_MEMBERS));
    }

    #[test]
    fn integer_flag_sets_round_trip() {
        macro_rules! check {
            ($t:ty, $v:expr, $json:expr) => {{
                let v: $t = $v;
                assert_eq!(serde_json::to_string(&v).unwrap(), $json);
                assert_eq!(serde_json::from_str::<$t>($json).unwrap(), v);
                // Unknown high bits survive.
                let raw = <$t>::from_bits_retain(1 << 60);
                let back: $t = serde_json::from_str(&serde_json::to_string(&raw).unwrap()).unwrap();
                assert_eq!(back.bits(), 1 << 60);
            }};
        }
        check!(MessageFlags, MessageFlags::SUPPRESS_EMBEDS | MessageFlags::IS_COMPONENTS_V2, "32772");
        check!(UserFlags, UserFlags::VERIFIED_BOT, "65536");
        check!(ApplicationFlags, ApplicationFlags::ALL_PRIVILEGED_INTENTS, "282624");
        check!(SystemChannelFlags, SystemChannelFlags::all(), "63");
        check!(ChannelFlags, ChannelFlags::PINNED, "2");
        check!(MemberFlags, MemberFlags::DID_REJOIN | MemberFlags::IS_GUEST, "17");
        check!(RoleFlags, RoleFlags::IN_PROMPT, "1");
    }
}
