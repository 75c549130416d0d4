//! One module per route. Each page sets its own title and content; the form
//! the sign-in and register pages share lives in [`crate::components`].

mod home;
mod login;
mod not_found;
mod register;

pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use register::Register;
