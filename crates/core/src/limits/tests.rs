//! Boundary tests for every limit and the JSON shape of form errors.
use guildhall_model::message::{EmbedAuthor, EmbedField, EmbedFooter};

use super::validate::max_length_error;
use super::*;
use guildhall_model::channel::ChannelType;
use guildhall_model::message::Embed;
use guildhall_model::message::Nonce;
use serde_json::{Value, json};

fn s(n: usize) -> String {
    "a".repeat(n)
}

fn field(name: &str, value: &str) -> EmbedField {
    EmbedField { name: name.to_owned(), value: value.to_owned(), inline: None }
}

#[test]
fn constants_match_the_spec() {
    let usizes = [
        ("MESSAGE_CONTENT_MAX", MESSAGE_CONTENT_MAX, 2000),
        ("NONCE_MAX", NONCE_MAX, 25),
        ("GUILD_NAME_MIN", GUILD_NAME_MIN, 2),
        ("GUILD_NAME_MAX", GUILD_NAME_MAX, 100),
        ("CHANNEL_NAME_MIN", CHANNEL_NAME_MIN, 1),
        ("CHANNEL_NAME_MAX", CHANNEL_NAME_MAX, 100),
        ("ROLE_NAME_MAX", ROLE_NAME_MAX, 100),
        ("USERNAME_MIN", USERNAME_MIN, 2),
        ("USERNAME_MAX", USERNAME_MAX, 32),
        ("NICKNAME_MIN", NICKNAME_MIN, 1),
        ("NICKNAME_MAX", NICKNAME_MAX, 32),
        ("TOPIC_MAX", TOPIC_MAX, 1024),
        ("FORUM_TOPIC_MAX", FORUM_TOPIC_MAX, 4096),
        ("EMBEDS_MAX", EMBEDS_MAX, 10),
        ("EMBED_TITLE_MAX", EMBED_TITLE_MAX, 256),
        ("EMBED_DESCRIPTION_MAX", EMBED_DESCRIPTION_MAX, 4096),
        ("EMBED_FIELDS_MAX", EMBED_FIELDS_MAX, 25),
        ("EMBED_FIELD_NAME_MAX", EMBED_FIELD_NAME_MAX, 256),
        ("EMBED_FIELD_VALUE_MAX", EMBED_FIELD_VALUE_MAX, 1024),
        ("EMBED_FOOTER_TEXT_MAX", EMBED_FOOTER_TEXT_MAX, 2048),
        ("EMBED_AUTHOR_NAME_MAX", EMBED_AUTHOR_NAME_MAX, 256),
        ("EMBED_TOTAL_MAX", EMBED_TOTAL_MAX, 6000),
        ("BULK_DELETE_MIN", BULK_DELETE_MIN, 2),
        ("BULK_DELETE_MAX", BULK_DELETE_MAX, 100),
        ("WEBHOOK_NAME_MIN", WEBHOOK_NAME_MIN, 1),
        ("WEBHOOK_NAME_MAX", WEBHOOK_NAME_MAX, 80),
        ("REACTIONS_MAX", REACTIONS_MAX, 20),
        ("PINS_MAX", PINS_MAX, 250),
        ("ROLES_MAX", ROLES_MAX, 250),
        ("CHANNELS_MAX", CHANNELS_MAX, 500),
    ];
    for (name, got, want) in usizes {
        assert_eq!(got, want, "{name}");
    }
    let u32s = [
        ("BITRATE_MIN", BITRATE_MIN, 8000),
        ("BITRATE_MAX", BITRATE_MAX, 96_000),
        ("STAGE_BITRATE_MAX", STAGE_BITRATE_MAX, 64_000),
        ("VOICE_USER_LIMIT_MAX", VOICE_USER_LIMIT_MAX, 99),
        ("STAGE_USER_LIMIT_MAX", STAGE_USER_LIMIT_MAX, 10_000),
        ("RATE_LIMIT_PER_USER_MAX", RATE_LIMIT_PER_USER_MAX, 21_600),
        ("INVITE_MAX_AGE_MAX", INVITE_MAX_AGE_MAX, 604_800),
        ("INVITE_MAX_USES_MAX", INVITE_MAX_USES_MAX, 100),
        ("DELETE_MESSAGE_SECONDS_MAX", DELETE_MESSAGE_SECONDS_MAX, 604_800),
    ];
    for (name, got, want) in u32s {
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(AFK_TIMEOUTS, [60, 300, 900, 1800, 3600]);
    assert_eq!(BULK_DELETE_MAX_AGE_SECS, 1_209_600);
    assert_eq!(TIMEOUT_MAX_SECS, 2_419_200);
}

type StrCheck = fn(&str) -> Result<(), FormError>;

#[test]
fn string_limits_boundaries() {
    // (name, validator, shortest accepted, longest accepted, field)
    type Case = (&'static str, StrCheck, usize, usize, &'static str);
    let cases: [Case; 11] = [
        ("content", validate_message_content, 0, 2000, "content"),
        ("nonce", |v| validate_nonce(&Nonce::String(v.to_owned())), 0, 25, "nonce"),
        ("guild name", validate_guild_name, 2, 100, "name"),
        ("channel name", validate_channel_name, 1, 100, "name"),
        ("role name", validate_role_name, 0, 100, "name"),
        ("username", validate_username, 2, 32, "username"),
        ("nickname", validate_nickname, 1, 32, "nick"),
        ("webhook name", validate_webhook_name, 1, 80, "name"),
        ("text topic", |v| validate_topic(ChannelType::GuildText, v), 0, 1024, "topic"),
        ("forum topic", |v| validate_topic(ChannelType::GuildForum, v), 0, 4096, "topic"),
        ("media topic", |v| validate_topic(ChannelType::GuildMedia, v), 0, 4096, "topic"),
    ];
    for (name, check, min, max, path) in cases {
        assert_eq!(check(&s(max)), Ok(()), "{name}: {max} passes");
        assert_eq!(check(&s(min)), Ok(()), "{name}: {min} passes");
        let too_long = check(&s(max + 1)).unwrap_err();
        assert_eq!(too_long.path(), [PathSegment::field(path)], "{name}");
        if min == 0 {
            assert_eq!(too_long.code(), codes::BASE_TYPE_MAX_LENGTH, "{name}");
            assert_eq!(too_long.message(), format!("Must be {max} or fewer in length."), "{name}");
        } else {
            assert_eq!(too_long.code(), codes::BASE_TYPE_BAD_LENGTH, "{name}");
            let message = format!("Must be between {min} and {max} in length.");
            assert_eq!(too_long.message(), message, "{name}");
            let too_short = check(&s(min - 1)).unwrap_err();
            assert_eq!(
                (too_short.code(), too_short.message()),
                (codes::BASE_TYPE_BAD_LENGTH, message.as_str()),
                "{name}"
            );
        }
    }
    assert_eq!(validate_nonce(&Nonce::Integer(i64::MAX)), Ok(()));
}

#[test]
fn multibyte_characters_count_once() {
    assert_eq!(validate_message_content(&"€".repeat(2000)), Ok(()));
    assert!(validate_message_content(&"€".repeat(2001)).is_err());
    // "👍🏽" is two scalar values (emoji + skin tone): Discord's count, not graphemes.
    assert_eq!(validate_message_content(&"👍🏽".repeat(1000)), Ok(()));
    assert!(validate_message_content(&format!("{}a", "👍🏽".repeat(1000))).is_err());
    assert_eq!(validate_username(&"é".repeat(32)), Ok(()));
}

#[test]
fn number_limits_boundaries() {
    // (name, validator, lowest accepted, highest accepted, field)
    type Case = (&'static str, fn(u32) -> Result<(), FormError>, u32, u32, &'static str);
    let cases: [Case; 10] = [
        ("voice bitrate", |v| validate_bitrate(ChannelType::GuildVoice, v), 8000, 96_000, "bitrate"),
        ("stage bitrate", |v| validate_bitrate(ChannelType::GuildStageVoice, v), 8000, 64_000, "bitrate"),
        ("voice user limit", |v| validate_user_limit(ChannelType::GuildVoice, v), 0, 99, "user_limit"),
        ("stage user limit", |v| validate_user_limit(ChannelType::GuildStageVoice, v), 0, 10_000, "user_limit"),
        ("slowmode", validate_rate_limit_per_user, 0, 21_600, "rate_limit_per_user"),
        ("invite max_age", validate_invite_max_age, 0, 604_800, "max_age"),
        ("invite max_uses", validate_invite_max_uses, 0, 100, "max_uses"),
        ("delete_message_seconds", validate_delete_message_seconds, 0, 604_800, "delete_message_seconds"),
        ("generic range", |v| validate_range(&["x".into()], v, 5, 6), 5, 6, "x"),
        ("generic range, one value", |v| validate_range(&["x".into()], v, 7, 7), 7, 7, "x"),
    ];
    for (name, check, min, max, path) in cases {
        assert_eq!(check(min), Ok(()), "{name}: {min} passes");
        assert_eq!(check(max), Ok(()), "{name}: {max} passes");
        let high = check(max + 1).unwrap_err();
        assert_eq!(high.path(), [PathSegment::field(path)], "{name}");
        assert_eq!(high.code(), codes::NUMBER_TYPE_MAX, "{name}");
        assert_eq!(high.message(), format!("int value should be less than or equal to {max}."), "{name}");
        if min > 0 {
            let low = check(min - 1).unwrap_err();
            assert_eq!(low.code(), codes::NUMBER_TYPE_MIN, "{name}");
            assert_eq!(low.message(), format!("int value should be greater than or equal to {min}."), "{name}");
        }
    }
    assert_eq!(validate_range(&[], -3_i64, -3, 3), Ok(()));
    assert_eq!(validate_range(&[], -4_i64, -3, 3).unwrap_err().code(), codes::NUMBER_TYPE_MIN);
}

#[test]
fn afk_timeout_choices() {
    for ok in AFK_TIMEOUTS {
        assert_eq!(validate_afk_timeout(ok), Ok(()), "{ok}");
    }
    for bad in [0, 59, 61, 301, 3599, 3601, 7200] {
        let error = validate_afk_timeout(bad).unwrap_err();
        assert_eq!(error.code(), codes::BASE_TYPE_CHOICES, "{bad}");
        assert_eq!(error.message(), "Value must be one of {60, 300, 900, 1800, 3600}.", "{bad}");
        assert_eq!(error.path(), [PathSegment::field("afk_timeout")]);
    }
}

#[test]
fn min_length_and_required() {
    assert_eq!(validate_min_length(&["x".into()], "ab", 2), Ok(()));
    let error = validate_min_length(&["x".into()], "€", 2).unwrap_err();
    assert_eq!((error.code(), error.message()), (codes::BASE_TYPE_MIN_LENGTH, "Must be 2 or more in length."));
    assert_eq!(validate_required(&["x".into()], Some(&1)), Ok(()));
    let error = validate_required::<u8>(&["x".into()], None).unwrap_err();
    assert_eq!((error.code(), error.message()), (codes::BASE_TYPE_REQUIRED, "This field is required"));
}

#[test]
fn username_rules() {
    let cases: [(&str, Option<&str>); 17] = [
        ("ab", None),
        ("valid_name.123", None),
        ("Everyone1", None),
        ("hereandthere", None),
        ("a", Some(codes::BASE_TYPE_BAD_LENGTH)),
        ("a@b", Some(codes::USERNAME_INVALID_CONTAINS)),
        ("a#b", Some(codes::USERNAME_INVALID_CONTAINS)),
        ("a:b", Some(codes::USERNAME_INVALID_CONTAINS)),
        ("a```b", Some(codes::USERNAME_INVALID_CONTAINS)),
        ("a``b", None),
        ("mydiscordname", Some(codes::USERNAME_INVALID_CONTAINS)),
        ("DisCord", Some(codes::USERNAME_INVALID_CONTAINS)),
        ("everyone", Some(codes::USERNAME_INVALID)),
        ("EVERYONE", Some(codes::USERNAME_INVALID)),
        ("here", Some(codes::USERNAME_INVALID)),
        ("Here", Some(codes::USERNAME_INVALID)),
        ("a@b@c@d@e@f@g@h@i@j@k@l@m@n@o@p@q", Some(codes::BASE_TYPE_BAD_LENGTH)),
    ];
    for (name, expect) in cases {
        let got = validate_username(name).err();
        assert_eq!(got.as_ref().map(FormError::code), expect, "{name}");
        if let Some(error) = got {
            assert_eq!(error.path(), [PathSegment::field("username")], "{name}");
        }
    }
    assert_eq!(validate_username("xdiscordx").unwrap_err().message(), "Username cannot contain \"discord\"");
    assert_eq!(validate_username("here").unwrap_err().message(), "Username cannot be \"here\"");
}

fn leaf(code: &str, message: &str) -> Value {
    json!({"code": code, "message": message})
}

fn paths(errors: &FormErrors) -> Vec<String> {
    errors.iter().map(|e| format!("{e}")).collect()
}

#[test]
fn embed_per_field_limits() {
    struct Case {
        name: &'static str,
        embed: fn(usize) -> Embed,
        max: usize,
        path: &'static str,
    }
    let cases = [
        Case {
            name: "title",
            embed: |n| Embed { title: Some(s(n)), ..Embed::default() },
            max: 256,
            path: "embeds.0.title",
        },
        Case {
            name: "description",
            embed: |n| Embed { description: Some(s(n)), ..Embed::default() },
            max: 4096,
            path: "embeds.0.description",
        },
        Case {
            name: "footer text",
            embed: |n| Embed {
                footer: Some(EmbedFooter { text: s(n), icon_url: None, proxy_icon_url: None }),
                ..Embed::default()
            },
            max: 2048,
            path: "embeds.0.footer.text",
        },
        Case {
            name: "author name",
            embed: |n| Embed {
                author: Some(EmbedAuthor { name: s(n), url: None, icon_url: None, proxy_icon_url: None }),
                ..Embed::default()
            },
            max: 256,
            path: "embeds.0.author.name",
        },
        Case {
            name: "field name",
            embed: |n| Embed { fields: Some(vec![field("ok", "ok"), field(&s(n), "v")]), ..Embed::default() },
            max: 256,
            path: "embeds.0.fields.1.name",
        },
        Case {
            name: "field value",
            embed: |n| Embed { fields: Some(vec![field("n", &s(n))]), ..Embed::default() },
            max: 1024,
            path: "embeds.0.fields.0.value",
        },
    ];
    for case in cases {
        assert!(validate_embeds(&[(case.embed)(case.max)]).is_empty(), "{}: boundary passes", case.name);
        let errors = validate_embeds(&[(case.embed)(case.max + 1)]);
        let want = format!("{}: Must be {} or fewer in length.", case.path, case.max);
        assert_eq!(paths(&errors), [want], "{}", case.name);
        assert_eq!(errors.iter().next().map(FormError::code), Some(codes::BASE_TYPE_MAX_LENGTH));
    }
}

#[test]
fn embed_counts_and_required_fields() {
    let embed = Embed { title: Some("t".to_owned()), ..Embed::default() };
    assert!(validate_embeds(&vec![embed.clone(); 10]).is_empty());
    assert_eq!(paths(&validate_embeds(&vec![embed; 11])), ["embeds: Must be 10 or fewer in length."]);

    let with_fields = |n: usize| Embed { fields: Some(vec![field("n", "v"); n]), ..Embed::default() };
    assert!(validate_embeds(&[with_fields(25)]).is_empty());
    assert_eq!(paths(&validate_embeds(&[with_fields(26)])), ["embeds.0.fields: Must be 25 or fewer in length."]);

    let empty = Embed { fields: Some(vec![field("", "")]), ..Embed::default() };
    assert_eq!(
        paths(&validate_embeds(&[Embed::default(), empty])),
        ["embeds.1.fields.0.name: This field is required", "embeds.1.fields.0.value: This field is required"]
    );
    assert!(validate_embeds(&[]).is_empty());
}

#[test]
fn embed_total_size() {
    // Spread 6000 characters over every counted part of two embeds.
    let full = |extra: usize| {
        let a = Embed {
            title: Some(s(256)),
            description: Some(s(4096)),
            footer: Some(EmbedFooter { text: s(400), icon_url: None, proxy_icon_url: None }),
            author: Some(EmbedAuthor { name: s(100), url: None, icon_url: None, proxy_icon_url: None }),
            ..Embed::default()
        };
        let b = Embed {
            fields: Some(vec![field(&s(24), &s(1024)), field("€", &"€".repeat(extra))]),
            ..Embed::default()
        };
        vec![a, b]
    };
    let counted = 256 + 4096 + 400 + 100 + 24 + 1024 + 1;
    let fits = full(EMBED_TOTAL_MAX - counted);
    assert!(validate_embeds(&fits).is_empty(), "{:?}", paths(&validate_embeds(&fits)));
    let errors = validate_embeds(&full(EMBED_TOTAL_MAX - counted + 1));
    assert_eq!(paths(&errors), ["embeds: Embed size exceeds maximum size of 6000"]);
    let size = leaf("BASE_TYPE_MAX_LENGTH", "Embed size exceeds maximum size of 6000");
    assert_eq!(errors.to_errors_json(), json!({"embeds": {"_errors": [size]}}));
    // Unlimited parts (urls, colors) do not count.
    let mut with_url = fits;
    with_url[0].url = Some(s(3000));
    assert!(validate_embeds(&with_url).is_empty());
}

#[test]
fn errors_json_nests_paths() {
    let title = FormError::new(
        vec!["embeds".into(), 0.into(), "title".into()],
        codes::BASE_TYPE_MAX_LENGTH,
        "Must be 256 or fewer in length.",
    );
    assert_eq!(
        FormErrors::from(title.clone()).to_errors_json(),
        json!({"embeds": {"0": {"title": {"_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}
        ]}}}})
    );

    let mut errors = FormErrors::new();
    errors.push(title);
    errors.check(validate_length(&["embeds".into(), 0.into(), "description".into()], &s(5), 0, 4));
    errors.check(validate_length(&["embeds".into(), 0.into(), "title".into()], "", 1, 256));
    errors.check(validate_length(&["embeds".into(), 12.into(), "title".into()], &s(300), 0, 256));
    errors.check(validate_message_content("fine"));
    errors.push(FormError::required(&["content".into()]));
    errors.push(FormError::new(Vec::new(), "CONTENT_TYPE_INVALID", "Expected \"Content-Type\" header"));
    errors.push(max_length_error(&["embeds".into()], 10));
    assert_eq!(errors.len(), 7);
    assert_eq!(
        errors.to_errors_json(),
        json!({
            "_errors": [leaf("CONTENT_TYPE_INVALID", "Expected \"Content-Type\" header")],
            "content": {"_errors": [leaf("BASE_TYPE_REQUIRED", "This field is required")]},
            "embeds": {
                "_errors": [leaf("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")],
                "0": {
                    "title": {"_errors": [
                        leaf("BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
                        leaf("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 256 in length."),
                    ]},
                    "description": {"_errors": [
                        leaf("BASE_TYPE_MAX_LENGTH", "Must be 4 or fewer in length."),
                    ]},
                },
                "12": {"title": {"_errors": [
                    leaf("BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
                ]}},
            },
        })
    );
    assert_eq!(FormErrors::new().to_errors_json(), json!({}));
    assert!(FormErrors::new().into_result().is_ok());
    assert_eq!(errors.clone().into_result().unwrap_err().len(), 7);
}

#[test]
fn prefix_and_display() {
    let error = validate_embeds(&[Embed { title: Some(s(257)), ..Embed::default() }])
        .into_iter()
        .next()
        .unwrap()
        .prefixed(&["message".into(), String::from("dynamic").into()]);
    assert_eq!(error.to_string(), "message.dynamic.embeds.0.title: Must be 256 or fewer in length.");
    assert_eq!(FormError::required(&[]).to_string(), "This field is required");
    assert_eq!(FormErrors::from(error).to_string(), "Invalid Form Body (1 error(s))");
}
