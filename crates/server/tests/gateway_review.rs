//! Defects found reviewing the gateway, each shown end to end before it was fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use gateway_support::World;
use gateway_support::{Account, intents};
use guildhall_testkit::gateway::{WAIT, names};
use serde_json::json;

/// Guild membership, not the GUILDS intent, decides which guilds' events a session gets: a
/// session with GUILD_MESSAGES but not GUILDS that joins a guild must get its messages.
#[tokio::test]
async fn joining_a_guild_without_the_guilds_intent_still_subscribes() {
    let world = World::start(1, 1, 1).await;
    let other = world.seed_elsewhere().await;
    let outsider = Account::from_seed(&other.users[0], false);
    let other_owner = Account::from_seed(&other.bots[0], true);
    let other_text = other.text_channels[0].id.to_string();
    let owner = world.owner().clone();
    let mut session = world.login(&outsider, intents::GUILD_MESSAGES | intents::MESSAGE_CONTENT).await;

    let invite = world.rest.ok(&owner, "POST", &format!("/channels/{}/invites", world.text[0]), Some(json!({}))).await;
    let code = invite["code"].as_str().unwrap();
    world.rest.ok(&outsider, "POST", &format!("/invites/{code}"), Some(json!({}))).await;
    let joined = world.post(&owner, &world.text[0], "welcome").await;
    let end = world.post(&other_owner, &other_text, "barrier 1").await;
    let got = session.collect_until_match(WAIT, |f| f.d["id"] == end).await;
    assert!(
        got.iter().any(|f| f.name() == "MESSAGE_CREATE" && f.d["id"] == joined),
        "a message of the joined guild: {:?}",
        names(&got)
    );
}
