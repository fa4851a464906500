//! Voice members for the voice end-to-end tests: a bot logged in to the gateway that joined a
//! voice channel through op 4 and finished the voice handshake.

use guildhall_testkit::gateway::GatewayClient;
use guildhall_testkit::voice::{self, VoiceClient, VoiceJoin};
use guildhall_voice_proto::crypto::Mode;

use super::{Account, World, intents};

/// What a voice member's gateway session asks for.
pub const VOICE_INTENTS: u64 = intents::GUILDS | intents::GUILD_VOICE_STATES;

/// A bot in voice: its gateway session (kept open: closing it would end the voice state), what
/// op 4 gave it, and its voice connection.
pub struct InVoice {
    pub gateway: GatewayClient,
    pub join: VoiceJoin,
    pub voice: VoiceClient,
}

impl World {
    /// `who` logs in, joins `channel` with op 4 and connects to the voice endpoint (which must
    /// be this server's TLS listener) on voice gateway `version` with `mode`.
    pub async fn enter(&self, who: &Account, channel: &str, version: u8, mode: Mode) -> InVoice {
        let mut gateway = self.login(who, VOICE_INTENTS).await;
        let join = voice::join(&mut gateway, &self.guild, channel, &who.id).await;
        assert_eq!(join.endpoint, format!("127.0.0.1:{}/voice", self.server.tls_addr().port()));
        let voice = VoiceClient::connect(self.server.ca_path(), &join, version, mode).await;
        InVoice { gateway, join, voice }
    }
}
