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
