//! The `[voice]` table and its `GUILDHALL_VOICE_*` variables: where the voice server's UDP
//! socket binds, what it announces, and which encryption modes it offers in which order.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use guildhall_voice_proto::crypto::Mode;
use serde::Deserialize;

use super::{Config, ConfigError};

/// Default UDP address of the voice server (Discord's media ports are in this range too).
pub const DEFAULT_VOICE_UDP: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 50000);

/// See [`super::ENV_LISTEN`]: UDP address of the voice server (port 0 picks one; READY tells
/// clients the bound port).
pub const ENV_VOICE_UDP: &str = "GUILDHALL_VOICE_UDP";
/// See [`super::ENV_LISTEN`]: the IP READY announces for UDP.
pub const ENV_VOICE_PUBLIC_IP: &str = "GUILDHALL_VOICE_PUBLIC_IP";
/// See [`super::ENV_LISTEN`]: the host name in VOICE_SERVER_UPDATE's endpoint.
pub const ENV_VOICE_HOST: &str = "GUILDHALL_VOICE_HOST";
/// See [`super::ENV_LISTEN`]: comma-separated encryption modes in order of preference.
pub const ENV_VOICE_MODES: &str = "GUILDHALL_VOICE_MODES";

/// The `[voice]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceOverrides {
    /// UDP listen address. Default 127.0.0.1:50000.
    pub udp: Option<SocketAddr>,
    /// The IP clients send UDP to (READY `ip`). Default: the UDP address, or 127.0.0.1 when
    /// that is unspecified (0.0.0.0).
    pub public_ip: Option<IpAddr>,
    /// Host name or IP in VOICE_SERVER_UPDATE's `endpoint` (`host:port/voice`, the TLS
    /// listener). Default: the TLS listen address, or 127.0.0.1 when unspecified. It must be
    /// a name the TLS certificate holds (the generated one includes it).
    pub host: Option<String>,
    /// Encryption modes offered, in order. Default
    /// `["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"]`.
    pub modes: Option<Vec<String>>,
    /// Region name of this voice server. Default `local`.
    pub region: Option<String>,
}

impl VoiceOverrides {
    pub(super) fn from_env(env: &HashMap<String, String>) -> Result<Option<Self>, ConfigError> {
        let invalid = |key: &'static str, v: &String| ConfigError::Invalid { key, value: v.clone() };
        let voice = Self {
            udp: env.get(ENV_VOICE_UDP).map(|v| v.parse().map_err(|_| invalid(ENV_VOICE_UDP, v))).transpose()?,
            public_ip: env
                .get(ENV_VOICE_PUBLIC_IP)
                .map(|v| v.parse().map_err(|_| invalid(ENV_VOICE_PUBLIC_IP, v)))
                .transpose()?,
            host: env.get(ENV_VOICE_HOST).cloned(),
            modes: env.get(ENV_VOICE_MODES).map(|v| v.split(',').map(|m| m.trim().to_owned()).collect()),
            region: None,
        };
        Ok((voice != Self::default()).then_some(voice))
    }

    pub(super) fn merge(&mut self, other: Self) {
        self.udp = other.udp.or(self.udp);
        self.public_ip = other.public_ip.or(self.public_ip);
        self.host = other.host.or(self.host.take());
        self.modes = other.modes.or(self.modes.take());
        self.region = other.region.or(self.region.take());
    }
}

impl Config {
    /// The encryption modes to offer, in order: an unknown or repeated name, or a list without
    /// `aead_xchacha20_poly1305_rtpsize`, is a configuration error.
    pub fn voice_modes(&self) -> Result<Vec<Mode>, ConfigError> {
        let Some(names) = &self.voice.modes else { return Ok(Mode::ALL.to_vec()) };
        let mut modes = Vec::new();
        for name in names {
            match Mode::from_name(name) {
                Some(mode) if !modes.contains(&mode) => modes.push(mode),
                _ => return Err(ConfigError::Invalid { key: "voice.modes", value: name.clone() }),
            }
        }
        // Every client must support XChaCha20 and discord.py supports nothing else: a list
        // without it would lock those clients out (protocol.md §6.7).
        if !modes.contains(&Mode::XChaCha20Poly1305Rtpsize) {
            return Err(ConfigError::Invalid {
                key: "voice.modes",
                value: format!("{names:?} (without {})", Mode::XChaCha20Poly1305Rtpsize.as_str()),
            });
        }
        Ok(modes)
    }

    /// The voice server's UDP listen address.
    pub fn voice_udp(&self) -> SocketAddr {
        self.voice.udp.unwrap_or(DEFAULT_VOICE_UDP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_from_env_keep_their_order_and_bad_names_are_errors() {
        let env: HashMap<String, String> =
            [(ENV_VOICE_MODES.to_owned(), "aead_xchacha20_poly1305_rtpsize, aead_aes256_gcm_rtpsize".to_owned())]
                .into();
        let config = Config::load(None, &env, super::super::Overrides::default()).unwrap();
        assert_eq!(config.voice_modes().unwrap(), vec![Mode::XChaCha20Poly1305Rtpsize, Mode::Aes256GcmRtpsize]);
        assert_eq!(Config::default().voice_modes().unwrap(), Mode::ALL.to_vec());
        let mut bad = Config::default();
        bad.voice.modes = Some(vec!["xsalsa20_poly1305".into()]);
        assert!(bad.voice_modes().is_err());
        bad.voice.modes = Some(vec![]);
        assert!(bad.voice_modes().is_err());
        bad.voice.modes = Some(vec!["aead_aes256_gcm_rtpsize".into()]);
        assert!(bad.voice_modes().is_err(), "XChaCha20 must be offered");
        assert_eq!(Config::default().voice_udp(), DEFAULT_VOICE_UDP);
    }

    #[test]
    fn voice_table_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "[voice]\nudp = \"0.0.0.0:50010\"\nhost = \"chat.example\"\nregion = \"eu\"\n").unwrap();
        let config = Config::load(Some(&path), &HashMap::new(), super::super::Overrides::default()).unwrap();
        assert_eq!(config.voice_udp(), "0.0.0.0:50010".parse().unwrap());
        assert_eq!(config.voice.host.as_deref(), Some("chat.example"));
        assert_eq!(config.voice.region.as_deref(), Some("eu"));
    }
}
