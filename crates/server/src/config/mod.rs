//! Configuration: defaults, then a TOML file, then `GUILDHALL_*` environment variables, then
//! command-line flags — each later source wins. Loaded once in `main` and passed down; the
//! process environment is never modified.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use guildhall_http::{Limit, RateLimitConfig};
use serde::Deserialize;

mod voice;

pub use voice::{
    DEFAULT_VOICE_UDP, ENV_VOICE_HOST, ENV_VOICE_MODES, ENV_VOICE_PUBLIC_IP, ENV_VOICE_UDP, VoiceOverrides,
};

/// Everything `guildhall serve` needs to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where REST (and later the gateway) listens.
    pub listen: SocketAddr,
    /// Directory holding the embedded database and the installation secret.
    pub data_dir: PathBuf,
    /// A `tracing` filter, e.g. `info` or `guildhall=debug,info`.
    pub log: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// How hard the embedded store pushes commits to disk.
    pub durability: Durability,
    /// REST rate limits (TOML table `[rate_limits]`; `GUILDHALL_RATE_LIMITS=off` disables them).
    pub rate_limits: RateLimitConfig,
    /// Test-only routes under `/_guildhall/test/` (e.g. forcing gateway disconnects). Never
    /// enable on a server others use.
    pub test_hooks: bool,
    /// The TLS listener serving the same routes plus the voice WebSocket (`wss://`): with the
    /// configured certificate (see [`Config::tls`]), else one generated into the data dir.
    pub tls: TlsOverrides,
    /// Gateway timings and buffers (`[gateway]`); absent keys keep the defaults.
    pub gateway: GatewayOverrides,
    /// The voice server (`[voice]`).
    pub voice: VoiceOverrides,
}

/// The `[gateway]` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayOverrides {
    /// HELLO's heartbeat interval. Default 41250 ms (Discord's); keep it under 60 s, which is
    /// how long discord.py waits for any frame.
    pub heartbeat_interval_ms: Option<u64>,
    /// How long a disconnected session stays resumable. Default 180 s.
    pub resume_window_secs: Option<u64>,
    /// Dispatches kept per session for RESUME. Default 4096.
    pub replay_capacity: Option<usize>,
    /// Unsent dispatches after which a connected client counts as too slow. Default 2048.
    pub max_backlog: Option<u64>,
}

/// The TLS listener: PEM certificate chain and private key files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// Where the TLS listener binds (default 127.0.0.1:8443).
    pub listen: SocketAddr,
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key.
    pub key: PathBuf,
}

/// The `[tls]` table. Without `cert` and `key` a certificate is generated (see
/// `guildhall_server::certs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsOverrides {
    /// Listen address of the TLS listener.
    pub listen: Option<SocketAddr>,
    /// Extra host names and IPs the generated certificate holds (besides `localhost`,
    /// `127.0.0.1` and `::1`).
    pub hosts: Option<Vec<String>>,
    /// Certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Private key (PEM).
    pub key: Option<PathBuf>,
}

/// Default address of the TLS listener.
pub const DEFAULT_TLS_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8443);

/// One limit in the config file: `{ limit = 5, window_ms = 5000 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSetting {
    /// Requests per window.
    pub limit: u32,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

impl From<LimitSetting> for Limit {
    fn from(s: LimitSetting) -> Self {
        Limit::per_ms(s.limit.max(1), s.window_ms.max(1))
    }
}

/// The `[rate_limits]` table; absent keys keep the defaults (close to Discord's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitOverrides {
    /// `false` turns every limit off.
    pub enabled: Option<bool>,
    /// Per token (per address without one), all routes together. Default 50 per second.
    pub global: Option<LimitSetting>,
    /// Message create and webhook execute, per channel. Default 5 per 5 s.
    pub message_create: Option<LimitSetting>,
    /// Own reaction add/remove. Default 1 per 250 ms.
    pub reactions: Option<LimitSetting>,
    /// Bulk delete. Default 1 per second.
    pub bulk_delete: Option<LimitSetting>,
    /// Login/registration. Default 5 per minute.
    pub auth: Option<LimitSetting>,
    /// Every other route, per top-level resource. Default 50 per 10 s.
    pub default: Option<LimitSetting>,
    /// 401/403/429 answers per client address before it is refused. Default 10,000 per 10 min.
    pub invalid_requests: Option<LimitSetting>,
}

impl RateLimitOverrides {
    fn apply(self, config: &mut RateLimitConfig) {
        if let Some(v) = self.enabled {
            config.enabled = v;
        }
        let pairs = [
            (self.global, &mut config.global),
            (self.message_create, &mut config.message_create),
            (self.reactions, &mut config.reactions),
            (self.bulk_delete, &mut config.bulk_delete),
            (self.auth, &mut config.auth),
            (self.default, &mut config.default),
            (self.invalid_requests, &mut config.invalid_requests),
        ];
        for (setting, slot) in pairs {
            if let Some(setting) = setting {
                *slot = setting.into();
            }
        }
    }
}

/// Commit durability of the embedded store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Survives a crash of the process (`kill -9`); an OS crash may lose the newest commits.
    Normal,
    /// Also survives power loss: every commit is fsynced (slower writes).
    Full,
}

impl std::str::FromStr for Durability {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_choice("durability", s)
    }
}

/// Parses an env/flag value with the same names the TOML file uses (serde's lowercase renames),
/// case-insensitively, so the accepted spellings are declared once, on the enum.
fn parse_choice<T: serde::de::DeserializeOwned>(key: &'static str, value: &str) -> Result<T, ConfigError> {
    use serde::de::IntoDeserializer;
    let lower = value.to_ascii_lowercase();
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(lower.as_str()))
        .map_err(|_| ConfigError::Invalid { key, value: value.to_owned() })
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines with structured fields.
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_choice("log_format", s)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./guildhall-data"),
            log: "info".to_owned(),
            log_format: LogFormat::Text,
            durability: Durability::Normal,
            rate_limits: RateLimitConfig::default(),
            test_hooks: false,
            tls: TlsOverrides::default(),
            gateway: GatewayOverrides::default(),
            voice: VoiceOverrides::default(),
        }
    }
}

/// Values from one source; `None` leaves the earlier source's value in place.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Listen address.
    pub listen: Option<SocketAddr>,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Log filter.
    pub log: Option<String>,
    /// Log format.
    pub log_format: Option<LogFormat>,
    /// Store commit durability.
    pub durability: Option<Durability>,
    /// Rate limits.
    pub rate_limits: Option<RateLimitOverrides>,
    /// Test-only routes.
    pub test_hooks: Option<bool>,
    /// The TLS listener.
    pub tls: Option<TlsOverrides>,
    /// Gateway settings.
    pub gateway: Option<GatewayOverrides>,
    /// Voice server settings.
    pub voice: Option<VoiceOverrides>,
}

/// A configuration source could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid TOML for [`Overrides`].
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value has the wrong form.
    #[error("invalid value {value:?} for {key}")]
    Invalid {
        /// Which setting.
        key: &'static str,
        /// What was given.
        value: String,
    },
}

/// Environment variable names, one per setting.
pub const ENV_LISTEN: &str = "GUILDHALL_LISTEN";
/// See [`ENV_LISTEN`].
pub const ENV_DATA_DIR: &str = "GUILDHALL_DATA_DIR";
/// See [`ENV_LISTEN`].
pub const ENV_LOG: &str = "GUILDHALL_LOG";
/// See [`ENV_LISTEN`].
pub const ENV_LOG_FORMAT: &str = "GUILDHALL_LOG_FORMAT";
/// See [`ENV_LISTEN`].
pub const ENV_DURABILITY: &str = "GUILDHALL_DURABILITY";
/// See [`ENV_LISTEN`]: `on` or `off`.
pub const ENV_RATE_LIMITS: &str = "GUILDHALL_RATE_LIMITS";
/// See [`ENV_LISTEN`]: `1`/`true` enables the test-only routes.
pub const ENV_TEST_HOOKS: &str = "GUILDHALL_TEST_HOOKS";
/// See [`ENV_LISTEN`]: TLS listen address.
pub const ENV_TLS_LISTEN: &str = "GUILDHALL_TLS_LISTEN";
/// See [`ENV_LISTEN`]: TLS certificate chain (PEM file).
pub const ENV_TLS_CERT: &str = "GUILDHALL_TLS_CERT";
/// See [`ENV_LISTEN`]: TLS private key (PEM file).
pub const ENV_TLS_KEY: &str = "GUILDHALL_TLS_KEY";
/// Path of the config file.
pub const ENV_CONFIG: &str = "GUILDHALL_CONFIG";

impl Overrides {
    /// Reads a TOML config file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.to_path_buf(), source: Box::new(source) })
    }

    /// Reads the `GUILDHALL_*` variables from `env` (pass `std::env::vars().collect()`).
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let parse_addr = |v: &String| {
            v.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid { key: ENV_LISTEN, value: v.clone() })
        };
        Ok(Self {
            listen: env.get(ENV_LISTEN).map(parse_addr).transpose()?,
            data_dir: env.get(ENV_DATA_DIR).map(PathBuf::from),
            log: env.get(ENV_LOG).cloned(),
            log_format: env.get(ENV_LOG_FORMAT).map(|v| v.parse()).transpose()?,
            durability: env.get(ENV_DURABILITY).map(|v| v.parse()).transpose()?,
            rate_limits: env
                .get(ENV_RATE_LIMITS)
                .map(|v| match v.to_ascii_lowercase().as_str() {
                    "on" | "true" | "1" => Ok(RateLimitOverrides { enabled: Some(true), ..Default::default() }),
                    "off" | "false" | "0" => Ok(RateLimitOverrides { enabled: Some(false), ..Default::default() }),
                    _ => Err(ConfigError::Invalid { key: ENV_RATE_LIMITS, value: v.clone() }),
                })
                .transpose()?,
            test_hooks: env
                .get(ENV_TEST_HOOKS)
                .map(|v| match v.to_ascii_lowercase().as_str() {
                    "on" | "true" | "1" => Ok(true),
                    "off" | "false" | "0" => Ok(false),
                    _ => Err(ConfigError::Invalid { key: ENV_TEST_HOOKS, value: v.clone() }),
                })
                .transpose()?,
            tls: {
                let listen = env
                    .get(ENV_TLS_LISTEN)
                    .map(|v| {
                        v.parse::<SocketAddr>()
                            .map_err(|_| ConfigError::Invalid { key: ENV_TLS_LISTEN, value: v.clone() })
                    })
                    .transpose()?;
                let tls = TlsOverrides {
                    listen,
                    hosts: None,
                    cert: env.get(ENV_TLS_CERT).map(PathBuf::from),
                    key: env.get(ENV_TLS_KEY).map(PathBuf::from),
                };
                (tls != TlsOverrides::default()).then_some(tls)
            },
            gateway: None,
            voice: VoiceOverrides::from_env(env)?,
        })
    }
}

impl Config {
    /// Applies `overrides` on top of `self`.
    #[must_use]
    pub fn with(mut self, overrides: Overrides) -> Self {
        if let Some(v) = overrides.listen {
            self.listen = v;
        }
        if let Some(v) = overrides.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = overrides.log {
            self.log = v;
        }
        if let Some(v) = overrides.log_format {
            self.log_format = v;
        }
        if let Some(v) = overrides.durability {
            self.durability = v;
        }
        if let Some(v) = overrides.rate_limits {
            v.apply(&mut self.rate_limits);
        }
        if let Some(v) = overrides.test_hooks {
            self.test_hooks = v;
        }
        if let Some(tls) = overrides.tls {
            self.tls.listen = tls.listen.or(self.tls.listen);
            self.tls.cert = tls.cert.or(self.tls.cert);
            self.tls.key = tls.key.or(self.tls.key);
            self.tls.hosts = tls.hosts.or(self.tls.hosts);
        }
        if let Some(voice) = overrides.voice {
            self.voice.merge(voice);
        }
        if let Some(g) = overrides.gateway {
            self.gateway.heartbeat_interval_ms = g.heartbeat_interval_ms.or(self.gateway.heartbeat_interval_ms);
            self.gateway.resume_window_secs = g.resume_window_secs.or(self.gateway.resume_window_secs);
            self.gateway.replay_capacity = g.replay_capacity.or(self.gateway.replay_capacity);
            self.gateway.max_backlog = g.max_backlog.or(self.gateway.max_backlog);
        }
        self
    }

    /// Defaults → file → env → flags. The file is `file` if given (a missing one is an error),
    /// else `$GUILDHALL_CONFIG`, else `./guildhall.toml` when it exists.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>, flags: Overrides) -> Result<Self, ConfigError> {
        let file = file.map(Path::to_path_buf).or_else(|| env.get(ENV_CONFIG).map(PathBuf::from)).or_else(|| {
            let default = PathBuf::from("guildhall.toml");
            default.exists().then_some(default)
        });
        let from_file = file.as_deref().map(Overrides::from_file).transpose()?.unwrap_or_default();
        Ok(Self::default().with(from_file).with(Overrides::from_env(env)?).with(flags))
    }

    /// The TLS listener, if configured: both `cert` and `key` are needed (one alone is an
    /// error, not a silent plain-text server).
    pub fn tls(&self) -> Result<Option<TlsConfig>, ConfigError> {
        match (&self.tls.cert, &self.tls.key) {
            (Some(cert), Some(key)) => Ok(Some(TlsConfig {
                listen: self.tls.listen.unwrap_or(DEFAULT_TLS_LISTEN),
                cert: cert.clone(),
                key: key.clone(),
            })),
            (None, None) => Ok(None),
            (Some(_), None) => {
                Err(ConfigError::Invalid { key: "tls.key", value: "missing (tls.cert is set)".to_owned() })
            }
            (None, Some(_)) => {
                Err(ConfigError::Invalid { key: "tls.cert", value: "missing (tls.key is set)".to_owned() })
            }
        }
    }

    /// Where the TLS listener binds.
    pub fn tls_listen(&self) -> SocketAddr {
        self.tls.listen.unwrap_or(DEFAULT_TLS_LISTEN)
    }

    /// The host of the voice endpoint: `[voice] host`, else the TLS listen IP (127.0.0.1 when
    /// it is unspecified).
    pub fn voice_host(&self) -> String {
        self.voice.host.clone().unwrap_or_else(|| match self.tls_listen().ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        })
    }

    /// The names the generated certificate must hold: `[tls] hosts` and the voice host.
    pub fn tls_hosts(&self) -> Vec<String> {
        let mut hosts = self.tls.hosts.clone().unwrap_or_default();
        hosts.push(self.voice_host().trim_start_matches('[').trim_end_matches(']').to_owned());
        hosts
    }

    /// The gateway settings this configuration asks for, with the defaults filled in.
    /// `resume_url` is READY's `resume_gateway_url`, known once the listener is bound.
    pub fn gateway_config(&self, resume_url: String) -> guildhall_gateway::GatewayConfig {
        let defaults = guildhall_gateway::GatewayConfig::default();
        let g = &self.gateway;
        let mut connection = defaults.connection;
        if let Some(ms) = g.heartbeat_interval_ms {
            connection.heartbeat_interval = std::time::Duration::from_millis(ms.max(1));
        }
        guildhall_gateway::GatewayConfig {
            connection,
            resume_window: g
                .resume_window_secs
                .map_or(defaults.resume_window, |s| std::time::Duration::from_secs(s.max(1))),
            replay_capacity: g.replay_capacity.unwrap_or(defaults.replay_capacity).max(1),
            max_backlog: g.max_backlog.unwrap_or(defaults.max_backlog).max(1),
            resume_url,
        }
    }

    /// The SQLite database file inside the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("guildhall.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn tls_is_on_with_cert_and_key_from_any_source() {
        let c = Config::load(None, &env(&[]), Overrides::default()).unwrap();
        assert_eq!(c.tls().unwrap(), None);
        let c =
            Config::load(None, &env(&[(ENV_TLS_CERT, "c.pem"), (ENV_TLS_KEY, "k.pem")]), Overrides::default()).unwrap();
        let tls = c.tls().unwrap().unwrap();
        assert_eq!(tls.listen, DEFAULT_TLS_LISTEN);
        assert_eq!(tls.cert, PathBuf::from("c.pem"));
        let flags = Overrides {
            tls: Some(TlsOverrides { listen: Some("127.0.0.1:9443".parse().unwrap()), ..TlsOverrides::default() }),
            ..Overrides::default()
        };
        let c = Config::load(None, &env(&[(ENV_TLS_CERT, "c.pem"), (ENV_TLS_KEY, "k.pem")]), flags).unwrap();
        assert_eq!(c.tls().unwrap().unwrap().listen, "127.0.0.1:9443".parse().unwrap());
        let half = Config::load(None, &env(&[(ENV_TLS_CERT, "c.pem")]), Overrides::default()).unwrap();
        assert!(half.tls().is_err());
        assert!(Config::load(None, &env(&[(ENV_TLS_LISTEN, "nope")]), Overrides::default()).is_err());
    }

    #[test]
    fn defaults_are_the_documented_embedded_setup() {
        let c = Config::load(None, &env(&[]), Overrides::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("./guildhall-data"));
        assert_eq!(c.log, "info");
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("g.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:1111\"\ndata_dir = \"/from/file\"\nlog = \"warn\"\n").unwrap();
        let e = env(&[(ENV_LISTEN, "127.0.0.1:2222"), (ENV_DATA_DIR, "/from/env")]);
        let flags = Overrides { listen: Some("127.0.0.1:3333".parse().unwrap()), ..Overrides::default() };
        let c = Config::load(Some(&file), &e, flags).unwrap();
        assert_eq!(c.listen, "127.0.0.1:3333".parse().unwrap(), "flag wins");
        assert_eq!(c.data_dir, PathBuf::from("/from/env"), "env beats file");
        assert_eq!(c.log, "warn", "file beats default");
        assert_eq!(c.log_format, LogFormat::Text, "default stays");
    }

    #[test]
    fn config_file_can_come_from_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("g.toml");
        std::fs::write(&file, "log_format = \"json\"\ndurability = \"full\"\n").unwrap();
        let c = Config::load(None, &env(&[(ENV_CONFIG, file.to_str().unwrap())]), Overrides::default()).unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.durability, Durability::Full);
        let c = Config::load(
            None,
            &env(&[(ENV_CONFIG, file.to_str().unwrap()), (ENV_DURABILITY, "normal")]),
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.durability, Durability::Normal, "env beats file");
    }

    #[test]
    fn env_and_flag_spellings_match_the_file_case_insensitively() {
        assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("text".parse::<LogFormat>().unwrap(), LogFormat::Text);
        assert_eq!("Full".parse::<Durability>().unwrap(), Durability::Full);
        assert!(matches!("xml".parse::<LogFormat>(), Err(ConfigError::Invalid { key: "log_format", .. })));
        assert!(matches!("fast".parse::<Durability>(), Err(ConfigError::Invalid { key: "durability", .. })));
    }

    #[test]
    fn rate_limits_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "[rate_limits]\nmessage_create = { limit = 10, window_ms = 1000 }\n").unwrap();
        let config = Config::load(Some(&path), &env(&[]), Overrides::default()).unwrap();
        assert_eq!(config.rate_limits.message_create, Limit::per_ms(10, 1000));
        assert_eq!(config.rate_limits.global, RateLimitConfig::default().global);
        assert!(config.rate_limits.enabled);
        let config = Config::load(Some(&path), &env(&[(ENV_RATE_LIMITS, "off")]), Overrides::default()).unwrap();
        assert!(!config.rate_limits.enabled);
        assert_eq!(config.rate_limits.message_create, Limit::per_ms(10, 1000));
        assert!(Config::load(None, &env(&[(ENV_RATE_LIMITS, "maybe")]), Overrides::default()).is_err());
    }

    #[test]
    fn gateway_and_tls_tables_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        let text = "[gateway]\nheartbeat_interval_ms = 30000\nresume_window_secs = 300\n\n[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n";
        std::fs::write(&path, text).unwrap();
        let config = Config::load(Some(&path), &env(&[]), Overrides::default()).unwrap();
        let gateway = config.gateway_config("ws://x/gateway".to_owned());
        assert_eq!(gateway.connection.heartbeat_interval, std::time::Duration::from_secs(30));
        assert_eq!(gateway.resume_window, std::time::Duration::from_secs(300));
        assert_eq!(gateway.replay_capacity, guildhall_gateway::GatewayConfig::default().replay_capacity);
        assert_eq!(gateway.resume_url, "ws://x/gateway");
        assert_eq!(config.tls().unwrap().unwrap().key, PathBuf::from("k.pem"));
        std::fs::write(&path, "[gateway]\nheartbeat = 1\n").unwrap();
        assert!(Config::load(Some(&path), &env(&[]), Overrides::default()).is_err());
    }

    #[test]
    fn bad_values_are_reported_not_ignored() {
        assert!(matches!(
            Config::load(None, &env(&[(ENV_LISTEN, "nowhere")]), Overrides::default()),
            Err(ConfigError::Invalid { key: ENV_LISTEN, .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("g.toml");
        std::fs::write(&file, "lisen = \"typo\"\n").unwrap();
        assert!(matches!(Config::load(Some(&file), &env(&[]), Overrides::default()), Err(ConfigError::Parse { .. })));
        assert!(matches!(
            Config::load(Some(&dir.path().join("missing.toml")), &env(&[]), Overrides::default()),
            Err(ConfigError::Read { .. })
        ));
    }
}
