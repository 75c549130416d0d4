//! The text of every mail the server sends. Links point at the app's pages
//! (`AUTH_PUBLIC_ORIGIN`), which trade the token for a POST; a link's token
//! appears in the mail and nowhere else.

use app::types::paths;

use super::Mail;
use crate::config::Config;

fn link(config: &Config, page: &str, token: &str) -> String {
    format!("{}{page}?token={token}", config.public_origin)
}

/// A duration for people: "30 minutes", "48 hours".
fn lasting(secs: i64) -> String {
    match secs {
        s if s % 3600 == 0 && s >= 7200 => format!("{} hours", s / 3600),
        s if s % 60 == 0 && s >= 120 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// The password-reset link.
pub fn reset_password(config: &Config, to: &str, token: &str, ttl_secs: i64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Reset your password".to_owned(),
        text: format!(
            "Someone asked to reset the password of your account ({to}).\n\n\
             To choose a new password, open this link within {}:\n\n{}\n\n\
             It works once. Using it signs out every device signed in to your account.\n\n\
             If it was not you, ignore this mail: your password stays as it is.\n",
            lasting(ttl_secs),
            link(config, paths::RESET, token),
        ),
    }
}

/// The email-verification link.
pub fn verify_email(config: &Config, to: &str, token: &str, ttl_secs: i64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Confirm your email address".to_owned(),
        text: format!(
            "Please confirm that {to} is your address by opening this link within {}:\n\n{}\n\n\
             If you did not create an account, ignore this mail.\n",
            lasting(ttl_secs),
            link(config, paths::VERIFY, token),
        ),
    }
}

/// The link that makes an email change, to the new address.
pub fn confirm_email_change(config: &Config, to: &str, token: &str, ttl_secs: i64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Confirm your new email address".to_owned(),
        text: format!(
            "Someone asked to use {to} as the address of their account.\n\n\
             If it was you, open this link within {} to make the change:\n\n{}\n\n\
             If not, ignore this mail: nothing changes.\n",
            lasting(ttl_secs),
            link(config, paths::CONFIRM_EMAIL, token),
        ),
    }
}

/// To the old address, when a change to `new_email` was asked for.
pub fn email_change_requested(to: &str, new_email: &str, device: &str, when: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Someone asked to change your email address".to_owned(),
        text: format!(
            "Someone signed in to your account ({to}) asked to change its address to {new_email}, \
             from {device} at {when}.\n\n\
             Nothing changes unless the link mailed to {new_email} is used. If it is, we will mail this \
             address a link that undoes the change.\n"
        ),
    }
}

/// To the old address once the change is made: the way back.
pub fn email_changed(config: &Config, to: &str, new_email: &str, undo_token: &str, ttl_secs: i64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Your email address was changed".to_owned(),
        text: format!(
            "The address of your account is now {new_email} instead of {to}.\n\n\
             If this was not you, open this link within {}: it puts {to} back and signs out every device.\n\n{}\n\n\
             Then reset your password from the sign-in page.\n",
            lasting(ttl_secs),
            link(config, paths::UNDO_EMAIL, undo_token),
        ),
    }
}

/// A sign-in from a device none of the user's other sessions was on.
pub fn new_sign_in(config: &Config, to: &str, device: &str, when: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "New sign-in to your account".to_owned(),
        text: format!(
            "Your account ({to}) was signed in to from a device it was not used on before:\n\n\
             {device}, at {when}.\n\n\
             If this was you, there is nothing to do.\n\n\
             If it was not, reset your password now (this signs out every device):\n\n{}{}\n",
            config.public_origin,
            paths::FORGOT,
        ),
    }
}

/// The password was changed in the account, or reset by a mailed link.
pub fn password_changed(config: &Config, to: &str, by_reset: bool, device: &str, when: &str) -> Mail {
    let (subject, how) = if by_reset {
        ("Your password was reset", "reset with a link mailed to this address; every device was signed out")
    } else {
        ("Your password was changed", "changed; every other device was signed out")
    };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!(
            "The password of your account ({to}) was {how}.\n\n\
             {device}, at {when}.\n\n\
             If this was not you, reset your password now:\n\n{}{}\n",
            config.public_origin,
            paths::FORGOT,
        ),
    }
}

/// A rotated refresh token was used again: the session was ended.
pub fn session_reused(config: &Config, to: &str, device: &str, when: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "We ended a session of your account".to_owned(),
        text: format!(
            "An old sign-in token of one of your sessions ({to}) was used again, from {device} at {when}.\n\n\
             Someone may have a copy of that session, so we ended it: sign in again on that device.\n\n\
             If you did not expect this, reset your password (this signs out every device):\n\n{}{}\n",
            config.public_origin,
            paths::FORGOT,
        ),
    }
}

/// Something changed in the account's two-step verification, or a
/// recovery code was used.
pub fn second_factor_changed(config: &Config, to: &str, what: &str, device: &str, when: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Two-step verification on your account changed".to_owned(),
        text: format!(
            "Two-step verification of your account ({to}): {what}.\n\n\
             {device}, at {when}.\n\n\
             If this was not you, reset your password now (this signs out every device) and \
             check your two-step settings:\n\n{}{}\n",
            config.public_origin,
            paths::FORGOT,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(lasting(1800), "30 minutes");
        assert_eq!(lasting(48 * 3600), "48 hours");
        assert_eq!(lasting(3600), "60 minutes");
        assert_eq!(lasting(90), "90 seconds");
    }
}
