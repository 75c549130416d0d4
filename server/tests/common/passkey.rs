//! A software authenticator for the passkey tests: it answers the server's
//! WebAuthn options the way `navigator.credentials.create`/`get` and the
//! credential's `toJSON()` would in a browser, with P-256 keys held here.
//!
//! It attests with the `none` format (as browsers do for a passkey when the
//! site asks for no attestation) and signs assertions like any
//! authenticator. Because it is ours, a test can also do what a real one
//! never should: present an old signature counter (a clone), register one
//! credential to two accounts, or send another user's handle.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Flags of the authenticator data (WebAuthn §6.1).
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED_CREDENTIAL: u8 = 0x40;

/// One credential the authenticator holds.
pub struct Credential {
    pub id: Vec<u8>,
    key: SigningKey,
    /// The user handle the site gave at creation (`user.id`).
    pub user_handle: Vec<u8>,
    /// The signature counter of the last assertion.
    pub counter: u32,
}

/// The authenticator, for one site (`origin`, relying party `rp_id`).
pub struct Authenticator {
    origin: String,
    rp_id: String,
    pub credentials: Vec<Credential>,
}

impl Authenticator {
    pub fn new(origin: &str, rp_id: &str) -> Self {
        Self { origin: origin.to_owned(), rp_id: rp_id.to_owned(), credentials: Vec::new() }
    }

    /// A new credential for creation `options`; the browser's answer.
    pub fn create(&mut self, options: &Value) -> Value {
        let key = loop {
            if let Ok(key) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                break key;
            }
        };
        let credential = Credential {
            id: rand::random::<[u8; 32]>().to_vec(),
            key,
            user_handle: decode(&options["user"]["id"]),
            counter: 0,
        };
        let answer = self.attest(options, &credential);
        self.credentials.push(credential);
        answer
    }

    /// Answers creation `options` with credential `index` again (a real
    /// authenticator would refuse: it is registered already).
    pub fn create_again(&self, options: &Value, index: usize) -> Value {
        self.attest(options, &self.credentials[index])
    }

    /// An assertion by credential `index` for request `options`, its
    /// counter moved on by one.
    pub fn get(&mut self, options: &Value, index: usize) -> Value {
        let counter = self.credentials[index].counter + 1;
        self.get_with_counter(options, index, counter)
    }

    /// An assertion by credential `index` claiming signature counter
    /// `counter`, whatever the last one was.
    pub fn get_with_counter(&mut self, options: &Value, index: usize, counter: u32) -> Value {
        let credential = &mut self.credentials[index];
        credential.counter = counter;
        let mut auth_data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        auth_data.push(USER_PRESENT | USER_VERIFIED);
        auth_data.extend_from_slice(&counter.to_be_bytes());
        let client_data = client_data("webauthn.get", options, &self.origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = credential.key.sign(&signed);
        json!({
            "id": encode(&credential.id),
            "rawId": encode(&credential.id),
            "type": "public-key",
            "response": {
                "authenticatorData": encode(&auth_data),
                "clientDataJSON": encode(&client_data),
                "signature": encode(signature.to_der().as_bytes()),
                "userHandle": encode(&credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }

    fn attest(&self, options: &Value, credential: &Credential) -> Value {
        let point = credential.key.verifying_key().to_sec1_point(false);
        let (x, y) = point.as_bytes()[1..].split_at(32);
        // COSE_Key, EC2 / ES256 / P-256 (RFC 9053), keys in CTAP order.
        let mut cose = Vec::new();
        cbor_head(&mut cose, 5, 5);
        for (label, value) in [(1, 2), (3, -7), (-1, 1)] {
            cbor_int(&mut cose, label);
            cbor_int(&mut cose, value);
        }
        cbor_int(&mut cose, -2);
        cbor_bytes(&mut cose, x);
        cbor_int(&mut cose, -3);
        cbor_bytes(&mut cose, y);

        let mut auth_data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        auth_data.push(USER_PRESENT | USER_VERIFIED | ATTESTED_CREDENTIAL);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]); // AAGUID
        auth_data.extend_from_slice(&(credential.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&credential.id);
        auth_data.extend_from_slice(&cose);

        let mut attestation = Vec::new();
        cbor_head(&mut attestation, 5, 3);
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        cbor_head(&mut attestation, 5, 0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);

        json!({
            "id": encode(&credential.id),
            "rawId": encode(&credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": encode(&client_data("webauthn.create", options, &self.origin)),
                "attestationObject": encode(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }
}

/// The client data a browser would make for these options.
fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
    let challenge = options["challenge"].as_str().expect("the options hold a challenge");
    serde_json::to_vec(&json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false }))
        .expect("serialise the client data")
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value.as_str().expect("a base64url string")).expect("base64url")
}

fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    match n {
        0..24 => out.push(major | n as u8),
        24..256 => out.extend_from_slice(&[major | 24, n as u8]),
        256..65_536 => {
            out.push(major | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(major | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
}

fn cbor_int(out: &mut Vec<u8>, value: i64) {
    if value >= 0 { cbor_head(out, 0, value as u64) } else { cbor_head(out, 1, (-1 - value) as u64) }
}

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    cbor_head(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    cbor_head(out, 3, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}
