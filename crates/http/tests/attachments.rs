//! File uploads: multipart message create/edit and webhook execute, the attachment objects in
//! responses and MESSAGE_CREATE, downloads through the signed links, ATTACH_FILES, the size
//! limits, and files erased with their messages (delete, bulk delete, ban purge, edits).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_model::Id;
use guildhall_model::channel::{OverwriteType, PermissionOverwrite};
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::AttachmentMarker;
use serde_json::{Value, json};
use support::{Form, Harness, Resp};

fn messages_path(h: &Harness) -> String {
    format!("/api/v10/channels/{}/messages", h.general())
}

/// A PNG header (signature and IHDR) of a `width`×`height` image, then some bytes.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    data.extend_from_slice(&width.to_be_bytes());
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(b"\x08\x06\0\0\0rest of the image");
    data
}

async fn post_form(h: &Harness, auth: &str, form: Form) -> Resp {
    h.send_form("POST", &messages_path(h), Some(auth), form).await
}

fn attachment_id(a: &Value) -> Id<AttachmentMarker> {
    a["id"].as_str().unwrap().parse().unwrap()
}

async fn stored(h: &Harness, a: &Value) -> bool {
    h.core.blobs().blob(attachment_id(a)).await.unwrap().is_some()
}

/// Two files with their metadata, as discord.py sends them (numeric ids, `null` descriptions).
fn two_files() -> Form {
    Form::new()
        .json(&json!({"content": "two", "attachments": [
            {"id": 0, "filename": "first.txt", "description": "alt text"},
            {"id": 1, "filename": "pic.png", "description": null}
        ]}))
        .file("files[0]", "first.txt", Some("application/octet-stream"), b"hello\nworld")
        .file("files[1]", "pic.png", Some("application/octet-stream"), &png(64, 32))
}

#[tokio::test]
async fn one_file_with_payload_json_is_an_attachment_and_downloads() {
    let mut h = Harness::new().await;
    h.drain_events();
    let form = Form::new()
        .json(&json!({"content": "see file", "attachments": [{"id": "0", "description": "the notes"}]}))
        .file("files[0]", "my notes.txt", Some("application/octet-stream"), b"line one\nline two\n");
    let r = post_form(&h, &h.user(0), form).await;
    r.expect(200);
    assert_eq!(r.body["content"], "see file");
    let a = &r.body["attachments"][0];
    assert_eq!(r.body["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(a["filename"], "my_notes.txt");
    assert_eq!(a["description"], "the notes");
    assert_eq!(a["content_type"], "text/plain; charset=utf-8");
    assert_eq!(a["size"], 18);
    assert!(a.get("width").is_none() && a.get("height").is_none(), "{a}");
    let url = a["url"].as_str().unwrap();
    let prefix =
        format!("http://127.0.0.1:8080/attachments/{}/{}/my_notes.txt?ex=", h.general(), a["id"].as_str().unwrap());
    assert!(url.starts_with(&prefix), "{url}");
    assert!(url.contains("&is=") && url.contains("&hm="), "{url}");
    assert_eq!(a["proxy_url"], a["url"]);

    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name, "MESSAGE_CREATE");
    let in_event = &events[0].data["attachments"][0];
    assert_eq!((&in_event["id"], &in_event["filename"], &in_event["size"]), (&a["id"], &a["filename"], &a["size"]));

    let file = h.download(url).await;
    file.expect(200);
    assert_eq!(file.raw, b"line one\nline two\n");
    let header = |name: &str| file.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("content-type").as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(header("content-length").as_deref(), Some("18"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert!(header("content-security-policy").is_some_and(|v| v.contains("sandbox")));
}

#[tokio::test]
async fn two_files_keep_their_order_metadata_and_image_size() {
    let h = Harness::new().await;
    let r = post_form(&h, &h.owner(), two_files()).await;
    r.expect(200);
    let list = r.body["attachments"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((&list[0]["filename"], &list[0]["description"]), (&json!("first.txt"), &json!("alt text")));
    assert_eq!(list[1]["filename"], "pic.png");
    assert!(list[1].get("description").is_none());
    assert_eq!(list[1]["content_type"], "image/png");
    assert_eq!((&list[1]["width"], &list[1]["height"]), (&json!(64), &json!(32)));
    assert_ne!(list[0]["id"], list[1]["id"]);

    // Fetched again, the links are freshly signed and still lead to the same bytes.
    let got = h.get(&format!("{}/{}", messages_path(&h), r.str("id")), &h.user(1)).await;
    got.expect(200);
    let image = h.download(got.body["attachments"][1]["url"].as_str().unwrap()).await;
    image.expect(200);
    assert_eq!(image.raw, png(64, 32));
    assert_eq!(image.headers["content-type"], "image/png");
    let history = h.get(&format!("{}?limit=1", messages_path(&h)), &h.owner()).await;
    assert_eq!(history.body[0]["attachments"][0]["filename"], "first.txt");
}

#[tokio::test]
async fn links_without_a_valid_signature_lead_nowhere() {
    let h = Harness::new().await;
    let form = Form::new().file("files[0]", "secret.bin", None, b"\x00\x01secret");
    let r = post_form(&h, &h.owner(), form).await;
    r.expect(200);
    let a = &r.body["attachments"][0];
    assert!(a.get("content_type").is_none(), "unknown types have none: {a}");
    let url = a["url"].as_str().unwrap().to_owned();
    let good = h.download(&url).await;
    good.expect(200);
    assert_eq!(good.headers["content-type"], "application/octet-stream");

    let (base, query) = url.split_once('?').unwrap();
    let hm = query.split('&').find_map(|kv| kv.strip_prefix("hm=")).unwrap();
    let flipped = format!("{}{}", if hm.starts_with('0') { '1' } else { '0' }, &hm[1..]);
    let ex = query.split('&').find_map(|kv| kv.strip_prefix("ex=")).unwrap();
    let later = format!("{:08x}", i64::from_str_radix(ex, 16).unwrap() + 3600);
    let other_id = format!("{}", attachment_id(a).get() + 1);
    for bad in [
        url.replace(&format!("hm={hm}"), &format!("hm={flipped}")),
        url.replace(&format!("ex={ex}"), &format!("ex={later}")),
        url.replace("secret.bin", "other.bin"),
        url.replace(a["id"].as_str().unwrap(), &other_id),
        base.to_owned(),
        url.replace(&format!("&hm={hm}"), ""),
        url.replace(&format!("hm={hm}"), "hm=zz"),
    ] {
        let r = h.download(&bad).await;
        assert_eq!(r.status, 404, "{bad}");
    }
    // Malformed ids are not API errors here, just nothing.
    let r = h.download("http://127.0.0.1:8080/attachments/notanid/1/x.bin?ex=1&is=1&hm=00").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn attach_files_is_needed_to_upload() {
    let h = Harness::new().await;
    let channel = h.seed.text_channels[0].id;
    let mut c = h.core.store().channel(channel).await.unwrap().unwrap();
    c.permission_overwrites.get_or_insert_with(Vec::new).push(PermissionOverwrite {
        id: h.seed.users[0].id.cast(),
        kind: OverwriteType::Member,
        allow: Permissions::empty(),
        deny: Permissions::ATTACH_FILES,
    });
    h.core.store().update_channel(&c).await.unwrap();
    let form = Form::new().json(&json!({"content": "x"})).file("files[0]", "a.txt", None, b"a");
    post_form(&h, &h.user(0), form).await.expect_error(403, 50013);
    // The same body without a file is fine, and so is a form without files.
    h.post(&messages_path(&h), &h.user(0), json!({"content": "x"})).await.expect(200);
    post_form(&h, &h.user(0), Form::new().json(&json!({"content": "y"}))).await.expect(200);
    // Nothing was stored for the refused upload.
    let history = h.get(&format!("{}?limit=100", messages_path(&h)), &h.owner()).await;
    assert!(history.body.as_array().unwrap().iter().all(|m| m["attachments"] == json!([])));
}

#[tokio::test]
async fn too_large_is_413_with_40005() {
    let h = Harness::new().await;
    let big = vec![b'x'; guildhall_core::limits::ATTACHMENT_MAX_BYTES + 1];
    let form = Form::new().file("files[0]", "big.txt", None, &big);
    post_form(&h, &h.owner(), form).await.expect_error(413, 40005);
    // Three files under the per-file limit but over the request limit.
    let chunk = vec![b'y'; guildhall_core::limits::ATTACHMENT_MAX_BYTES - 1024];
    let form = Form::new()
        .file("files[0]", "a.txt", None, &chunk)
        .file("files[1]", "b.txt", None, &chunk)
        .file("files[2]", "c.txt", None, &chunk);
    post_form(&h, &h.owner(), form).await.expect_error(413, 40005);
    // A file of exactly the limit is fine.
    let exact = vec![b'z'; guildhall_core::limits::ATTACHMENT_MAX_BYTES];
    let r = post_form(&h, &h.owner(), Form::new().file("files[0]", "exact.txt", None, &exact)).await;
    r.expect(200);
    assert_eq!(r.body["attachments"][0]["size"], guildhall_core::limits::ATTACHMENT_MAX_BYTES);
    // JSON bodies keep the ordinary limit on these routes.
    let long = json!({"content": "a", "embeds": [{"description": "d".repeat(2 * 1024 * 1024)}]});
    h.post(&messages_path(&h), &h.owner(), long).await.expect_error(413, 40005);
}

#[tokio::test]
async fn a_message_of_only_files_is_not_empty() {
    let h = Harness::new().await;
    let r = post_form(&h, &h.user(0), Form::new().file("files[0]", "only.gif", None, b"GIF89a\x02\0\x03\0")).await;
    r.expect(200);
    assert_eq!(r.body["content"], "");
    assert_eq!(r.body["attachments"][0]["content_type"], "image/gif");
    assert_eq!((&r.body["attachments"][0]["width"], &r.body["attachments"][0]["height"]), (&json!(2), &json!(3)));
    // Still empty without files.
    post_form(&h, &h.user(0), Form::new().json(&json!({"content": " "}))).await.expect_error(400, 50006);
}

#[tokio::test]
async fn older_part_names_plain_fields_and_urlencoded_bodies() {
    let h = Harness::new().await;
    // `file` and plain fields instead of payload_json; `tts` read as JSON, `content` as text.
    let form = Form::new().field("content", "12345").field("tts", "false").file("file", "old.txt", None, b"old");
    let r = post_form(&h, &h.owner(), form).await;
    r.expect(200);
    assert_eq!((&r.body["content"], &r.body["attachments"][0]["filename"]), (&json!("12345"), &json!("old.txt")));
    // `file0`, `file1` (an older discord.py).
    let form = Form::new().file("file0", "a.txt", None, b"a").file("file1", "b.txt", None, b"b");
    let r = post_form(&h, &h.owner(), form).await;
    assert_eq!(r.body["attachments"].as_array().map(Vec::len), Some(2), "{}", r.body);
    // application/x-www-form-urlencoded.
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(messages_path(&h))
        .header("authorization", h.owner())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("content=hello+form&nonce=42"))
        .unwrap();
    let r = h.send(request).await;
    r.expect(200);
    assert_eq!(r.body["content"], "hello form");
}

#[tokio::test]
async fn bad_forms_are_discord_errors() {
    let h = Harness::new().await;
    let send = |content_type: &'static str, body: &'static str| {
        axum::http::Request::builder()
            .method("POST")
            .uri(messages_path(&h))
            .header("authorization", h.owner())
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    h.send(send("multipart/form-data; boundary=b", "--b\r\nno end")).await.expect_error(400, 50035);
    h.send(send("multipart/form-data", "--b\r\n\r\n--b--")).await.expect_error(400, 50035);
    let not_json = "--b\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{oops\r\n--b--\r\n";
    h.send(send("multipart/form-data; boundary=b", not_json)).await.expect_error(400, 50109);
    h.send(send("text/plain", "content=x")).await.expect_error(400, 50035);

    let long = "d".repeat(1025);
    let form = Form::new()
        .json(&json!({"content": "x", "attachments": [{"id": 0, "description": long}]}))
        .file("files[0]", "a.txt", None, b"a");
    assert_eq!(
        post_form(&h, &h.owner(), form).await.form_error_at(&["attachments", "0", "description"]),
        "BASE_TYPE_MAX_LENGTH"
    );
    let form = Form::new().json(&json!({"attachments": [{"id": "first"}]})).file("files[0]", "a.txt", None, b"a");
    assert_eq!(post_form(&h, &h.owner(), form).await.form_error_at(&["attachments", "0", "id"]), "NUMBER_TYPE_COERCE");
    let eleven = (0..11).fold(Form::new(), |f, i| f.file(&format!("files[{i}]"), "f.txt", None, b"f"));
    assert_eq!(post_form(&h, &h.owner(), eleven).await.form_error_at(&["files"]), "BASE_TYPE_MAX_LENGTH");
    let form = Form::new()
        .json(&json!({"message_reference": {"type": 1, "channel_id": h.general(), "message_id": "1"}}))
        .file("files[0]", "a.txt", None, b"a");
    assert_eq!(
        post_form(&h, &h.owner(), form).await.form_error_at(&["attachments"]),
        "FORWARD_CONTAINS_UNSUPPORTED_CONTENT"
    );
}

#[tokio::test]
async fn edits_keep_only_the_listed_attachments_and_erase_the_rest() {
    let mut h = Harness::new().await;
    let created = post_form(&h, &h.owner(), two_files()).await;
    created.expect(200);
    let path = format!("{}/{}", messages_path(&h), created.str("id"));
    let first = created.body["attachments"][0].clone();
    let second = created.body["attachments"][1].clone();
    assert!(stored(&h, &first).await && stored(&h, &second).await);

    // Keep the second (sent back whole, as discord.js does) and add a new file.
    h.drain_events();
    let form = Form::new()
        .json(&json!({"attachments": [second, {"id": "0", "description": "new one"}]}))
        .file("files[0]", "third.md", None, b"# three");
    let r = h.send_form("PATCH", &path, Some(&h.owner()), form).await;
    r.expect(200);
    let names: Vec<&str> =
        r.body["attachments"].as_array().unwrap().iter().map(|a| a["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["pic.png", "third.md"]);
    assert_eq!(r.body["attachments"][1]["description"], "new one");
    assert_eq!(r.body["attachments"][1]["content_type"], "text/markdown; charset=utf-8");
    assert!(r.body["edited_timestamp"].is_string());
    assert!(!stored(&h, &first).await, "the dropped file is erased");
    assert_eq!(h.download(first["url"].as_str().unwrap()).await.status, 404);
    assert!(stored(&h, &second).await);
    assert_eq!(h.event_names(), ["MESSAGE_UPDATE"]);

    // A JSON edit without `attachments` leaves them alone.
    let r = h.patch(&path, &h.owner(), json!({"content": "still two"})).await;
    assert_eq!(r.body["attachments"].as_array().map(Vec::len), Some(2));

    // Keeping none removes them all and their files; the content keeps the message alive.
    let third = r.body["attachments"][1].clone();
    let r = h.patch(&path, &h.owner(), json!({"attachments": []})).await;
    r.expect(200);
    assert_eq!(r.body["attachments"], json!([]));
    assert!(!stored(&h, &second).await && !stored(&h, &third).await);

    // A message of only files cannot lose them all.
    let only = post_form(&h, &h.owner(), Form::new().file("files[0]", "a.txt", None, b"a")).await;
    let only_path = format!("{}/{}", messages_path(&h), only.str("id"));
    h.patch(&only_path, &h.owner(), json!({"attachments": []})).await.expect_error(400, 50006);
    assert!(stored(&h, &only.body["attachments"][0]).await);

    // Someone else's message: a moderator may not touch attachments.
    h.patch(&only_path, &h.bot(1), json!({"attachments": []})).await.expect_error(403, 50005);
}

#[tokio::test]
async fn edits_with_files_need_attach_files() {
    let h = Harness::new().await;
    let m = h.post(&messages_path(&h), &h.user(0), json!({"content": "text"})).await;
    let path = format!("{}/{}", messages_path(&h), m.str("id"));
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::ATTACH_FILES).await;
    let form = Form::new().json(&json!({"content": "with file"})).file("files[0]", "a.txt", None, b"a");
    h.send_form("PATCH", &path, Some(&h.user(0)), form).await.expect_error(403, 50013);
    let missing = format!("{}/{}", messages_path(&h), 4_242_424_242_424_242u64);
    let form = Form::new().file("files[0]", "a.txt", None, b"a");
    h.send_form("PATCH", &missing, Some(&h.user(0)), form).await.expect_error(404, 10008);
}

#[tokio::test]
async fn deleting_messages_erases_their_files() {
    let h = Harness::new().await;
    // Single delete.
    let one =
        post_form(&h, &h.user(0), Form::new().json(&json!({"content": "a"})).file("files[0]", "a.txt", None, b"a"))
            .await;
    let a = one.body["attachments"][0].clone();
    h.delete(&format!("{}/{}", messages_path(&h), one.str("id")), &h.user(0)).await.expect(204);
    assert!(!stored(&h, &a).await);
    assert_eq!(h.download(a["url"].as_str().unwrap()).await.status, 404);

    // Bulk delete.
    let x = post_form(&h, &h.user(0), two_files()).await;
    let y = post_form(&h, &h.user(1), Form::new().file("files[0]", "y.txt", None, b"y")).await;
    let files: Vec<Value> = [&x, &y].iter().flat_map(|r| r.body["attachments"].as_array().unwrap().clone()).collect();
    assert_eq!(files.len(), 3);
    let ids = json!({"messages": [x.str("id"), y.str("id")]});
    h.post(&format!("{}/bulk-delete", messages_path(&h)), &h.owner(), ids).await.expect(204);
    for file in &files {
        assert!(!stored(&h, file).await, "{file}");
    }

    // A ban that purges the member's recent messages.
    let z = post_form(&h, &h.user(2), Form::new().file("files[0]", "z.txt", None, b"z")).await;
    let zfile = z.body["attachments"][0].clone();
    assert!(stored(&h, &zfile).await);
    let ban = format!("/api/v10/guilds/{}/bans/{}", h.guild_id(), h.seed.users[2].id);
    h.put(&ban, &h.owner(), Some(json!({"delete_message_seconds": 3600}))).await.expect(204);
    assert!(!stored(&h, &zfile).await);
}

#[tokio::test]
async fn webhooks_execute_and_edit_with_files() {
    let h = Harness::new().await;
    let hook =
        h.post(&format!("/api/v10/channels/{}/webhooks", h.general()), &h.owner(), json!({"name": "hook"})).await;
    let base = format!("/api/v10/webhooks/{}/{}", hook.str("id"), hook.str("token"));
    let form = Form::new()
        .json(&json!({"username": "Uploader", "attachments": [{"id": 0, "description": "chart"}]}))
        .file("files[0]", "chart.png", Some("image/png"), &png(10, 20));
    let r = h.send_form("POST", &format!("{base}?wait=true"), None, form).await;
    r.expect(200);
    assert_eq!(r.body["author"]["username"], "Uploader");
    let a = r.body["attachments"][0].clone();
    assert_eq!((&a["filename"], &a["description"], &a["width"]), (&json!("chart.png"), &json!("chart"), &json!(10)));
    let file = h.download(a["url"].as_str().unwrap()).await;
    file.expect(200);
    assert_eq!(file.raw, png(10, 20));

    // Without wait: 204, still stored.
    let r = h.send_form("POST", &base, None, Form::new().file("files[0]", "quiet.txt", None, b"q")).await;
    r.expect(204);

    // The webhook edits its message: swap the file.
    let path = format!("{base}/messages/{}", r_id(&h, &base).await);
    let form = Form::new().json(&json!({"attachments": [{"id": 0}]})).file("files[0]", "new.txt", None, b"new");
    let edited = h.send_form("PATCH", &path, None, form).await;
    edited.expect(200);
    assert_eq!(edited.body["attachments"][0]["filename"], "new.txt");
    assert_eq!(edited.body["attachments"].as_array().map(Vec::len), Some(1));

    // Deleting it through the token erases the file.
    let new_file = edited.body["attachments"][0].clone();
    h.call("DELETE", &path, None, None).await.expect(204);
    assert!(!stored(&h, &new_file).await);
}

/// The newest message's id in the webhook's channel.
async fn r_id(h: &Harness, _base: &str) -> String {
    let latest = h.get(&format!("{}?limit=1", messages_path(h)), &h.owner()).await;
    latest.body[0]["id"].as_str().unwrap().to_owned()
}
