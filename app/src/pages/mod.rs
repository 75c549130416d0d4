//! One module per route (plus the 403 page the admin route shows). Each
//! page sets its own title; guards and shared pieces live in
//! [`crate::components`].

mod admin;
mod dashboard;
mod forbidden;
mod login;
mod not_found;
mod register;

pub use admin::Admin;
pub use dashboard::Dashboard;
pub use forbidden::Forbidden;
pub use login::Login;
pub use not_found::NotFound;
pub use register::Register;
