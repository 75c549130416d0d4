//! Many sessions refreshed at once, the load that meets in a rotation
//! group (`store::rotation`).

use std::collections::HashSet;

use tokio::task::JoinSet;

use super::{Response, TestApp, assert_status};

/// 40 sessions of 10 users, each refreshed by two racers at once, the
/// racers spread over `instances` (one, or siblings on one database).
/// Every answer must be its own session's, both racers of a session get
/// its one new token (a session twice in one moment still rotates once),
/// and every new token refreshes again.
pub async fn forty_sessions_refreshed_twice_at_once(instances: &[&TestApp]) {
    // Arrange
    let app = instances[0];
    let mut sessions = Vec::new();
    for _ in 0..10 {
        let user = app.new_user().await;
        for _ in 0..3 {
            sessions.push(app.new_session(&user).await);
        }
        sessions.push((user.jar.clone(), user.info.clone()));
    }
    let mut racers = JoinSet::new();
    for (index, (jar, _)) in sessions.iter().enumerate() {
        for racer in 0..2 {
            let api = instances[(index + racer) % instances.len()].api.clone();
            let mut jar = jar.clone();
            racers.spawn(async move { (index, api.refresh(&mut jar).await) });
        }
    }

    // Act
    let mut answers: Vec<Vec<Response>> = vec![Vec::new(); sessions.len()];
    while let Some(joined) = racers.join_next().await {
        let (index, response) = joined.expect("a racing refresh task");
        answers[index].push(response);
    }

    // Assert
    let mut live_tokens = HashSet::new();
    for ((_, info), responses) in sessions.iter().zip(&answers) {
        let tokens: HashSet<String> = responses
            .iter()
            .map(|response| {
                assert_status(response, 200);
                let answered = response.session_info();
                assert_eq!(answered.session_id, info.session_id, "an answer for another session");
                assert_eq!(answered.user.email, info.user.email, "an answer for another user");
                response.cookie_value(&app.refresh_cookie)
            })
            .collect();
        assert_eq!(tokens.len(), 1, "both racers of {} got the one new token", info.session_id);
        live_tokens.extend(tokens);
    }
    assert_eq!(live_tokens.len(), sessions.len(), "every session has its own live token");
    for (index, live) in live_tokens.iter().enumerate() {
        let other = instances[index % instances.len()];
        assert_status(&other.refresh(&mut other.jar_with_refresh(live)).await, 200);
    }
}
