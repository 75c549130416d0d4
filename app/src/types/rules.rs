//! Input rules both sides apply: the forms hint and check them as the user
//! types, the server enforces them.

/// A new password has at least this many characters (Unicode scalar values).
pub const PASSWORD_MIN_CHARS: usize = 8;
/// … and at most this many; longer input is refused before hashing.
pub const PASSWORD_MAX_CHARS: usize = 1024;
