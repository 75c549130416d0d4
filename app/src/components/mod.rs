//! Pieces that more than one page uses, or that make a page too long to
//! read in one file.

mod busy_button;
mod code_field;
mod confirm_twice;
mod credentials_form;
mod email_form;
mod fetched;
mod guard;
mod passkey;
mod password_form;
mod session_list;
mod site_header;
mod step_up;
mod token_status;
mod verify_banner;

pub use busy_button::BusyButton;
pub use code_field::{CodeField, CodeKind, read_code};
pub use confirm_twice::{ConfirmTwice, ConfirmWords};
pub use credentials_form::{AuthAction, CredentialsForm, FormKind};
pub use email_form::EmailForm;
pub use fetched::Fetched;
pub use guard::{GuestOnly, RequireSession};
pub use passkey::{PasskeyFailure, PasskeyMessage, PasskeyNote, describe_failure, sign_challenge, use_passkey_support};
pub use password_form::PasswordForm;
pub use session_list::SessionList;
pub use site_header::SiteHeader;
pub use step_up::{StepUp, StepUpDialog, provide_step_up, use_step_up, with_step_up};
pub use token_status::TokenStatus;
pub use verify_banner::VerifyBanner;
