//! Response hardening: a strict Content-Security-Policy on pages whose
//! nonce is the one on the page's own scripts, and the other security
//! headers on pages and API responses alike.

mod common;

use common::*;

#[tokio::test]
async fn pages_carry_a_nonce_based_csp_without_unsafe_sources() {
    let app = TestApp::spawn().await;

    let page = app.get("/login", &Jar::default()).await;

    assert_status(&page, 200);
    let csp = page.header("content-security-policy").expect("a CSP on pages").to_owned();
    for directive in ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "'wasm-unsafe-eval'"] {
        assert!(csp.contains(directive), "CSP {csp:?} lacks {directive}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "CSP {csp:?}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the script-src has a nonce")
        .to_owned();
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the CSP nonce");
    let again = app.get("/login", &Jar::default()).await;
    assert!(!again.header("content-security-policy").unwrap_or("").contains(&nonce), "a fresh nonce per response");
}

#[tokio::test]
async fn pages_and_api_responses_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    for response in [app.get("/login", &Jar::default()).await, app.me(&user.jar).await] {
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert!(response.header("referrer-policy").is_some());
        assert_eq!(response.header("cross-origin-opener-policy"), Some("same-origin"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert!(response.header("content-security-policy").is_some_and(|csp| csp.contains("frame-ancestors 'none'")));
        assert!(response.header("access-control-allow-origin").is_none());
    }
    assert_eq!(app.me(&user.jar).await.header("cache-control"), Some("no-store"));
}
