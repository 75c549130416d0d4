//! Pieces that more than one page uses.

mod credentials_form;

pub use credentials_form::{AuthAction, CredentialsForm, FormKind};
