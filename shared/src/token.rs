//! How long a form token (the signed time a form was served, which the edge uses to time a visitor)
//! counts, and when the widget renews the one it holds. Both sides read these; the edge enforces the
//! first, the widget acts on the second, so a person's submission never meets an expired token.

/// A token served longer ago than this no longer counts as a person's: otherwise one fetched token
/// could vouch for every submission a script sends afterwards.
pub const FORM_TOKEN_MAX_AGE_SECONDS: u32 = 60 * 60;

/// The widget renews a token it has held this long (by the browser's clock) before sending with it.
/// Half the maximum age leaves room for a slow network and a browser clock that drifts.
pub const FORM_TOKEN_RENEW_AFTER_SECONDS: u32 = FORM_TOKEN_MAX_AGE_SECONDS / 2;
