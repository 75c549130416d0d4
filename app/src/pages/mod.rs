//! One module per route (plus the 403 page the admin route shows). Each
//! page sets its own title; guards and shared pieces live in
//! [`crate::components`].

mod admin;
mod dashboard;
mod forbidden;
mod forgot;
mod link_token;
mod login;
mod mailed_link;
mod not_found;
mod passkey_sign_in;
mod register;
mod reset;
mod second_step;
mod security;

pub use admin::Admin;
pub use dashboard::Dashboard;
pub use forbidden::Forbidden;
pub use forgot::Forgot;
pub use login::Login;
pub use mailed_link::{ConfirmEmail, UndoEmail, Verify};
pub use not_found::NotFound;
pub use register::Register;
pub use reset::Reset;
pub use security::Security;
